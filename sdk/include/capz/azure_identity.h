/* capz/azure_identity.h — AzureClusterIdentity semantics: namespace admission, credentials, token cache.
 *
 * Flow for a plugin: read the AzureClusterIdentity (and, for secret-based types, its Secret) through the kube
 * client; call capz_az_namespace_allowed() BEFORE building anything; then capz_az_credential_new() with the
 * secret bytes; hand the credential to an ARM client (capz/azure_arm.h). Tokens come from a process-wide
 * cache (capz_az_token_cache_default) shared by every plugin, keyed by
 * (cloud, tenant, client, type, SHA-256 of the secret / file path), so a rotated secret or a changed type
 * never reuses a token obtained with the old credential.
 *
 * Secrets: secret bytes are copied into the credential and wiped (OPENSSL_cleanse) when it is freed;
 * request bodies that carried them are wiped after each request; neither secrets nor tokens are logged or
 * put into capz_err messages.
 *
 * Thread-safety: a capz_az_credential may be used from many threads at once (token requests for one key are
 * single-flight: concurrent callers wait for one request). The token cache is internally locked.
 */
#ifndef CAPZ_AZURE_IDENTITY_H
#define CAPZ_AZURE_IDENTITY_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/azure_cloud.h"

CAPZ_BEGIN_DECLS

/* A clock returning seconds on a monotonic scale (tests inject a fake one). NULL = CLOCK_MONOTONIC. */
typedef double (*capz_az_clock_fn)(void *ud);

typedef enum capz_az_identity_type {
  CAPZ_AZ_ID_INVALID = 0,
  CAPZ_AZ_ID_SERVICE_PRINCIPAL = 1,              /* "ServicePrincipal": client secret */
  CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE = 2,  /* "ServicePrincipalCertificate": PEM or PKCS#12 */
  CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL = 3,       /* "ManualServicePrincipal" (deprecated): as ServicePrincipal */
  CAPZ_AZ_ID_WORKLOAD_IDENTITY = 4,              /* "WorkloadIdentity": federated token file */
  CAPZ_AZ_ID_USER_ASSIGNED_MSI = 5,              /* "UserAssignedMSI": IMDS */
  CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL = 6 /* "UserAssignedIdentityCredential": msi-dataplane file */
} capz_az_identity_type;

/* Parse the CRD's spec.type (exact CAPZ spelling). Returns CAPZ_AZ_ID_INVALID when unknown. */
CAPZ_API capz_az_identity_type capz_az_identity_type_parse(const char *s);
/* CRD spelling of a type; "" for invalid. Never NULL. */
CAPZ_API const char *capz_az_identity_type_name(capz_az_identity_type t);

/* allowedNamespaces admission, a pure function of the identity's spec JSON (the object holding
 * "allowedNamespaces") and the cluster's namespace name + labels (object of string→string, may be NULL).
 * Semantics (CAPZ): allowedNamespaces absent or null ⇒ deny every namespace; {} ⇒ allow all; otherwise allow
 * when the name is in "list" OR the labels match "selector" (matchLabels AND matchExpressions with In, NotIn,
 * Exists, DoesNotExist); an empty selector matches nothing. A malformed spec denies and fills err
 * (CAPZ_EINVAL); a plain denial fills err with CAPZ_EFORBIDDEN, reason "NamespaceNotAllowedByIdentity". */
CAPZ_API bool capz_az_namespace_allowed(const cJSON *identity_spec, const char *ns, const cJSON *ns_labels,
                                        capz_err *err);

typedef enum capz_az_jwt_alg { CAPZ_AZ_JWT_PS256 = 0, CAPZ_AZ_JWT_RS256 = 1 } capz_az_jwt_alg;

/* What a credential is built from. All pointers are borrowed for the duration of capz_az_credential_new
 * (everything needed later is copied). */
typedef struct capz_az_identity {
  capz_az_identity_type type;
  const char *tenant_id;           /* required except for UserAssignedMSI / UserAssignedIdentityCredential */
  const char *client_id;           /* required except for UserAssignedIdentityCredential */
  const unsigned char *secret;     /* ServicePrincipal/Manual: the client secret; ServicePrincipalCertificate:
                                    * PEM (certificate + private key) or PKCS#12 bytes */
  size_t secret_len;
  const char *cert_password;       /* optional, for an encrypted PEM key or PKCS#12 */
  const char *token_file;          /* WorkloadIdentity: NULL → $AZURE_FEDERATED_TOKEN_FILE →
                                    * /var/run/secrets/azure/tokens/azure-identity-token */
  const char *credentials_file;    /* UserAssignedIdentityCredential: path of the msi-dataplane JSON file */
  capz_az_jwt_alg jwt_alg;         /* certificate assertions: PS256 (default) or RS256 */
} capz_az_identity;

/* ---- token cache ---- */

typedef struct capz_az_token_cache capz_az_token_cache;

typedef struct capz_az_token_cache_stats {
  uint64_t hits;        /* served from cache */
  uint64_t fetches;     /* token requests sent (successful or not) */
  uint64_t fetch_errors;
  uint64_t waits;       /* callers that waited for another caller's in-flight request */
  uint64_t evictions;   /* LRU evictions */
  size_t size;          /* entries now */
} capz_az_token_cache_stats;

/* capacity: max entries (LRU beyond; 0 = 256). clock: NULL = monotonic. NULL only on OOM. */
CAPZ_API capz_az_token_cache *capz_az_token_cache_new(size_t capacity, capz_az_clock_fn clock, void *clock_ud);
/* Wipes and frees every token. No credential using the cache may be alive. */
CAPZ_API void capz_az_token_cache_free(capz_az_token_cache *c);
/* The process-wide cache (created on first use, lives until exit). */
CAPZ_API capz_az_token_cache *capz_az_token_cache_default(void);
CAPZ_API void capz_az_token_cache_get_stats(capz_az_token_cache *c, capz_az_token_cache_stats *out);

/* ---- credentials ---- */

typedef struct capz_az_credential capz_az_credential;

/* Validate the identity and build a credential. Certificates are parsed here (a bad certificate or wrong
 * password fails now with CAPZ_EAUTH, reason "InvalidCertificate"); no network call is made.
 * cache NULL = the process-wide cache. The cloud is copied. Free with capz_az_credential_free. */
CAPZ_API capz_az_credential *capz_az_credential_new(const capz_az_cloud *cloud, const capz_az_identity *id,
                                                    capz_az_token_cache *cache, capz_err *err);
/* Wipes the copied secret and key material. NULL is fine. */
CAPZ_API void capz_az_credential_free(capz_az_credential *c);

/* The cache key (64 hex chars, no secret material recoverable). Borrowed; lives as long as c. */
CAPZ_API const char *capz_az_credential_cache_key(const capz_az_credential *c);
/* "tenant/client" of the principal (for limiter keys and logs). Borrowed. */
CAPZ_API const char *capz_az_credential_principal(const capz_az_credential *c);
CAPZ_API capz_az_identity_type capz_az_credential_type(const capz_az_credential *c);

/* Get an access token for the cloud's ARM audience. Served from the cache while fresh (refresh happens at
 * 80% of the lifetime or 5 min before expiry, whichever is earlier; if a refresh fails while the old token is
 * still valid, the old token is returned). rejected: a token the server refused (401) — if the cached token
 * equals it, a new one is fetched (once, single-flight); NULL otherwise.
 * On success *token is a malloc'ed NUL-terminated string the caller releases with capz_az_token_free.
 * Errors: CAPZ_EAUTH (reason = the Entra error, e.g. "invalid_client"), CAPZ_EIO/ETIMEOUT/EUNAVAILABLE
 * (transport / 5xx), CAPZ_EINVAL (bad file contents), CAPZ_ENOTFOUND (token/credentials file missing). */
CAPZ_API int capz_az_credential_token(capz_az_credential *c, const char *rejected, char **token, capz_err *err);
/* Get an access token for any scope with this credential's principal — e.g. the AKS AAD server application
 * "6dae42f8-4368-4678-94ff-3960e28e3630/.default", Graph, Key Vault — instead of the cloud's ARM audience.
 * scope: "<resource>/.default" (a bare resource such as "api://x" or an app id gets "/.default" appended); a
 * UserAssignedMSI asks IMDS for resource=<scope without /.default>. The token is cached in the credential's token
 * cache under (credential cache key, scope): the same policy as capz_az_credential_token (refresh at 80% of the
 * lifetime or 5 min before expiry, whichever is earlier; single-flight per key; a failed refresh returns the old
 * token while it is valid; `rejected` forces one new fetch). The ARM scope shares capz_az_credential_token's entry.
 * On success *token is a malloc'ed copy the caller releases with capz_az_token_free (it wipes it);
 * *expires_unix (optional, may be NULL): when the token expires, Unix seconds (response time + expires_in, or
 * expires_on); *refresh_unix (optional): from when on this call fetches a new token — a caller that hands the token
 * on (a kubeconfig) comes back at or after this time to pick up the replacement. Errors as
 * capz_az_credential_token, plus CAPZ_EINVAL reason "InvalidScope" for an empty/over-long scope or one with
 * whitespace. Thread-safe (as every credential call); tokens and secrets are never logged. */
CAPZ_API int capz_az_credential_token_for_scope(capz_az_credential *c, const char *scope, const char *rejected,
                                                char **token, int64_t *expires_unix, int64_t *refresh_unix,
                                                capz_err *err);
/* Wipe and free a token from capz_az_credential_token / _token_for_scope. NULL is fine. */
CAPZ_API void capz_az_token_free(char *token);

/* ---- certificate client assertion (exposed for tests and for callers with their own token flows) ---- */

/* Build a signed client-assertion JWT for the given audience (the token endpoint URL) from a
 * ServicePrincipalCertificate credential: header {alg, typ:"JWT", x5t#S256 (and x5t for RS256)}, claims
 * aud, iss=sub=client_id, jti (random UUID), iat=nbf=now, exp=now+600. Returns a malloc'ed string (free with
 * capz_az_token_free) or NULL with err. */
CAPZ_API char *capz_az_credential_client_assertion(const capz_az_credential *c, const char *audience,
                                                   capz_err *err);

CAPZ_END_DECLS
#endif
