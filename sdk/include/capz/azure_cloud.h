/* capz/azure_cloud.h — Azure clouds: the endpoints an identity and an ARM client talk to.
 *
 * Built-in clouds: AzurePublicCloud (aliases "AzureCloud", "public", ""), AzureChinaCloud ("china"),
 * AzureUSGovernmentCloud ("AzureUSGovernment", "usgovernment"). A custom cloud (e.g. the ARM emulator in
 * tests) comes from config JSON.
 *
 * Transport policy: every endpoint must be https://, except that plain http:// is accepted when the host is a
 * loopback address (127.0.0.0/8, ::1, "localhost") — which is how tests reach the emulator — and, for the IMDS
 * endpoint only, the link-local IMDS address 169.254.169.254 (IMDS is plain HTTP by design).
 *
 * Ownership: capz_az_cloud is plain data (fixed buffers), copied by value; nothing to free.
 * Thread-safety: all functions are reentrant.
 */
#ifndef CAPZ_AZURE_CLOUD_H
#define CAPZ_AZURE_CLOUD_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"

CAPZ_BEGIN_DECLS

#define CAPZ_AZ_URL_MAX 256

typedef struct capz_az_cloud {
  char name[64];                        /* "AzurePublicCloud", or the custom name */
  char arm_endpoint[CAPZ_AZ_URL_MAX];   /* "https://management.azure.com" (no trailing slash) */
  char authority_host[CAPZ_AZ_URL_MAX]; /* "https://login.microsoftonline.com" (no trailing slash) */
  char imds_endpoint[CAPZ_AZ_URL_MAX];  /* "http://169.254.169.254" (no trailing slash) */
  char token_audience[CAPZ_AZ_URL_MAX]; /* "https://management.azure.com/"; scope = audience + ".default" */
} capz_az_cloud;

/* Fill out with a built-in cloud by name (case-insensitive, aliases above). CAPZ_EINVAL when unknown. */
CAPZ_API int capz_az_cloud_builtin(const char *name, capz_az_cloud *out, capz_err *err);

/* Build a cloud from config: {"name": "...", "armEndpoint": "...", "authorityHost": "...",
 * "imdsEndpoint": "...", "tokenAudience": "..."}. When name is a built-in cloud the other members
 * override its endpoints; otherwise armEndpoint and authorityHost are required, tokenAudience defaults to
 * armEndpoint + "/" and imdsEndpoint to the link-local IMDS address. Unknown members, non-string values and
 * endpoints refused by capz_az_endpoint_check give CAPZ_EINVAL naming the member. cfg may be NULL (= public). */
CAPZ_API int capz_az_cloud_from_json(const cJSON *cfg, capz_az_cloud *out, capz_err *err);

/* Check an endpoint URL against the transport policy above. allow_imds additionally admits
 * http://169.254.169.254. Returns 0 or CAPZ_EINVAL. */
CAPZ_API int capz_az_endpoint_check(const char *url, bool allow_imds, capz_err *err);

/* The OAuth2 scope for ARM: audience with one trailing '/' removed, plus "/.default"
 * ("https://management.azure.com/.default"). Returns 0, or CAPZ_EINVAL when it does not fit in n. */
CAPZ_API int capz_az_cloud_scope(const capz_az_cloud *cloud, char *out, size_t n);

/* ---- the process-wide default cloud ----
 * The host sets it once from its `azure:` config before plugins initialise; plugins use it unless their own
 * config names a cloud, so one setting points every plugin at the same cloud (or emulator).
 * Thread-safety: set before worker threads start; get is safe from any thread at any time. */

/* Validate (capz_az_endpoint_check on each endpoint) and store a copy. Returns 0 or CAPZ_EINVAL. */
CAPZ_API int capz_az_cloud_set_default(const capz_az_cloud *cloud, capz_err *err);
/* Copy the default into out. Returns 0, or CAPZ_ENOTFOUND when none was set (out is then AzurePublicCloud). */
CAPZ_API int capz_az_cloud_get_default(capz_az_cloud *out);

/* A plugin's cloud from the standard plugin-config keys: `azureEnvironment` (a built-in cloud name; empty or
 * absent = the process default above) and the optional overrides `armEndpoint`, `authorityHost`,
 * `imdsEndpoint`, `tokenAudience` (empty = keep). get(ud, key) returns the key's value or NULL (e.g. a wrapper
 * of capz_plugin_config_str). Returns 0 or CAPZ_EINVAL naming the key. */
CAPZ_API int capz_az_cloud_resolve(const char *(*get)(const void *ud, const char *key), const void *ud,
                                   capz_az_cloud *out, capz_err *err);

CAPZ_END_DECLS
#endif
