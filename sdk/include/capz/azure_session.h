/* capz/azure_session.h — from an AzureClusterIdentity reference to a ready ARM client, cached.
 *
 * A plugin creates one capz_az_sessions in init and frees it in shutdown. For each reconcile it asks for "the
 * ARM client of identity <ns>/<name>, for an object in namespace N" (or the configured default identity):
 *  - the AzureClusterIdentity is read from the reconcile's cache when that kind is watched, else with one GET;
 *  - allowedNamespaces is enforced for N (CAPZ_EFORBIDDEN, reason NamespaceNotAllowedByIdentity) before any
 *    secret is read; a label selector costs one GET of the Namespace;
 *  - the secret comes from the referenced Kubernetes Secret (key clientSecret; for ServicePrincipalCertificate
 *    the file at spec.certPath when set, else key "certificate", falling back to "clientSecret"), or the file
 *    named by the default identity's config;
 *  - a capz_az_credential is built and looked up by its cache key (cloud, tenant, client, type, SHA-256 of the
 *    secret or file path): a known key returns the SAME ARM client (no new token request, the token cache and
 *    the client's limiter state are kept); a rotated Secret or a changed identity spec gives a new key and so a
 *    new credential and client.
 * Secret bytes are wiped as soon as the credential holds its copy; they never reach logs or capz_err.
 *
 * Ownership: returned ARM clients and credentials are owned by the cache and stay valid until capz_az_sessions_free (clients of
 * rotated credentials are kept too, since reconciles may still hold them). Inputs are borrowed for the call.
 * Thread-safety: every call may be made from any worker thread at once (a mutex guards the cache; Secret and
 * identity reads happen outside it). capz_az_sessions_free must not race with other calls.
 */
#ifndef CAPZ_AZURE_SESSION_H
#define CAPZ_AZURE_SESSION_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/plugin.h"
#include "capz/azure_cloud.h"
#include "capz/azure_identity.h"
#include "capz/azure_arm.h"
#include "capz/azure_ensure.h"

CAPZ_BEGIN_DECLS

typedef struct capz_az_session_config {
  const capz_az_cloud *cloud;     /* required; copied */
  const char *user_agent;         /* ARM client User-Agent; NULL = "capz-c"; copied */
  double poll_default_s;          /* ARM client's LRO poll delay without Retry-After; 0 = client default */
  double max_retry_wait_s;        /* ARM client's longest single retry wait; 0 = client default */
  /* Default identity, for objects without an identityRef: client_id "" or NULL = none. With secret_file a
   * ServicePrincipal (the file is re-read on each call, so rotating it works), else WorkloadIdentity. */
  const char *default_tenant_id;
  const char *default_client_id;
  const char *default_secret_file;
} capz_az_session_config;

typedef struct capz_az_sessions capz_az_sessions;

/* NULL with err on bad config / OOM. */
CAPZ_API capz_az_sessions *capz_az_sessions_new(const capz_az_session_config *cfg, capz_err *err);
/* Frees every client and credential. NULL is fine. */
CAPZ_API void capz_az_sessions_free(capz_az_sessions *s);

/* ARM client for AzureClusterIdentity identity_ns/identity_name (identity_ns NULL or "" = object_ns) used by
 * an object in object_ns. ctx: the reconcile's context (cache and kube client). Errors: CAPZ_ENOTFOUND (no
 * identity / Secret), CAPZ_EFORBIDDEN (namespace not allowed), CAPZ_EINVAL (bad spec, missing key),
 * credential errors as capz_az_credential_new. */
CAPZ_API int capz_az_session_for_identity(capz_az_sessions *s, capz_ctx *ctx, const char *identity_ns,
                                          const char *identity_name, const char *object_ns, capz_arm_client **arm,
                                          capz_err *err);
/* ARM client for the configured default identity; CAPZ_EINVAL when none is configured. */
CAPZ_API int capz_az_session_default(capz_az_sessions *s, capz_arm_client **arm, capz_err *err);
/* ARM client for an identity the caller assembled (e.g. from an ASO credential Secret); id and its secret are
 * borrowed (the caller wipes them). */
CAPZ_API int capz_az_session_for(capz_az_sessions *s, const capz_az_identity *id, capz_arm_client **arm,
                                 capz_err *err);
/* The credential behind those clients, for tokens of other scopes (capz_az_credential_token_for_scope): the
 * same lookup, checks and errors as capz_az_session_for_identity / capz_az_session_for, and the same cache entry
 * (asking for the credential creates the ARM client too, so both calls share one credential and one token cache
 * entry per scope). The credential is borrowed: owned by the session cache, valid until capz_az_sessions_free, and
 * may be used from any thread; never free it. */
CAPZ_API int capz_az_session_credential_for_identity(capz_az_sessions *s, capz_ctx *ctx, const char *identity_ns,
                                                     const char *identity_name, const char *object_ns,
                                                     capz_az_credential **cred, capz_err *err);
CAPZ_API int capz_az_session_credential_for(capz_az_sessions *s, const capz_az_identity *id, capz_az_credential **cred,
                                            capz_err *err);
/* Number of cached credentials (each with its client). */
CAPZ_API size_t capz_az_sessions_count(capz_az_sessions *s);

/* ---- plugin set-up shared by the Azure plugins ----
 *
 * The config keys every Azure plugin takes, as schema entries a plugin lists in its own config_schema (by
 * address): azureEnvironment, armEndpoint, authorityHost, imdsEndpoint, tokenAudience (the cloud, see
 * capz_az_cloud_resolve), driftInterval (default 10m), pollInterval (default 1s), ensureCapacity (resources the
 * ensurer remembers, default 65,536) and driftReadsPerSecond (drift-read budget per ARM client, default 5/s,
 * negative = unlimited; see capz/azure_ensure.h). Immutable, any thread. */
CAPZ_API extern const capz_cfg_field capz_az_cfg_azure_environment, capz_az_cfg_arm_endpoint,
    capz_az_cfg_authority_host, capz_az_cfg_imds_endpoint, capz_az_cfg_token_audience, capz_az_cfg_drift_interval,
    capz_az_cfg_poll_interval, capz_az_cfg_ensure_capacity, capz_az_cfg_drift_reads_per_second;

/* What a plugin's init builds from those keys. */
typedef struct capz_az_plugin_env {
  capz_az_cloud cloud;
  double drift_interval_s;    /* driftInterval; 600 when absent or 0 */
  double poll_floor_s;        /* pollInterval: the smallest requeue while an Azure operation runs; 0.2 when 0 */
  capz_arm_ensurer *ensurer;  /* drift interval as above; owned by the plugin */
  capz_az_sessions *sessions; /* cloud, user agent, poll floor, 10 s longest retry wait; owned by the plugin */
} capz_az_plugin_env;

typedef struct capz_az_plugin_env_opts {
  const char *plugin_name;  /* prefixes error messages ("<name> config: ...") */
  const char *user_agent;   /* ARM User-Agent of the session cache's clients */
  const char *default_tenant_id, *default_client_id, *default_secret_file; /* optional default identity */
} capz_az_plugin_env_opts;

/* Resolve the cloud, read the intervals, create the ensurer and the session cache. On error nothing is left
 * allocated (CAPZ_EINVAL naming the bad key, CAPZ_ENOMEM). cfg and o are borrowed; call from the plugin's init. */
CAPZ_API int capz_az_plugin_env_init(const capz_plugin_config *cfg, const capz_az_plugin_env_opts *o,
                                     capz_az_plugin_env *out, capz_err *err);
/* Free the ensurer and the session cache (for init error paths and shutdown). NULL members are fine. */
CAPZ_API void capz_az_plugin_env_free(capz_az_plugin_env *e);

CAPZ_END_DECLS
#endif
