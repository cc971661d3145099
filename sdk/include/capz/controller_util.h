/* capz/controller_util.h — small helpers every CAPZ controller repeats: owner-reference lookup, a private copy
 * of a cached object, "fail" (Warning Event + result fields + log), merge patch of the reconciled resource,
 * CAPZ v1beta1 status.longRunningOperationStates records, Secret values, base64 and checked formatting.
 *
 * Ownership: documented per call (strings returned from an object are borrowed from it).
 * Thread-safety: every call works on its arguments only; ctx calls follow capz/controller.h (one reconcile's
 * thread). capz_secret_value uses the shared kube client and is safe from any thread.
 */
#ifndef CAPZ_CONTROLLER_UTIL_H
#define CAPZ_CONTROLLER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>
#include "capz/common.h"
#include "capz/controller.h"
#include "capz/err.h"
#include "capz/kube.h"
#include "capz/plugin.h"

CAPZ_BEGIN_DECLS

/* Name of the first ownerReference with this kind whose apiVersion is in group ("cluster.x-k8s.io" matches
 * "cluster.x-k8s.io/v1beta1", any version), or NULL. Borrowed from obj. */
CAPZ_API const char *capz_owner_ref_name(const cJSON *obj, const char *group, const char *kind);

/* A private, mutable copy of a cached object (caller frees with cJSON_Delete), or NULL when name is empty,
 * the kind is not watched or the object is not cached. */
CAPZ_API cJSON *capz_ctx_cache_copy(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name);

/* Record a failed step: res->reason/message set, a Warning Event with that reason and message, a log line
 * (error for CAPZ_TERMINAL, else warning). Returns oc. The message must not carry secrets. */
CAPZ_API capz_outcome capz_ctx_fail(capz_ctx *ctx, capz_result *res, capz_outcome oc, const char *reason,
                                    const char *fmt, ...) CAPZ_PRINTF(5, 6);

/* JSON merge patch (RFC 7386) of an object of kind gvk (e.g. spec.providerID, annotations). patch borrowed. */
CAPZ_API int capz_ctx_merge_patch(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name,
                                  const cJSON *patch, capz_err *err);

/* CAPZ v1beta1 Future records in obj.status.longRunningOperationStates ({type, serviceName, name, data}).
 * get: the data (resume token) of the record for service+name, or NULL; borrowed from obj.
 * set: replace the record with one carrying token (type e.g. "PUT"/"DELETE"), or remove it when token is NULL
 * (the list itself is removed once empty). */
CAPZ_API const char *capz_lro_state_get(const cJSON *obj, const char *service, const char *name);
CAPZ_API void capz_lro_state_set(cJSON *obj, const char *service, const char *name, const char *type,
                                 const char *token);

/* Standard base64 (padding optional; no whitespace) → bytes, NUL-terminated for convenience, *len without it.
 * Caller frees (wipe first when secret). NULL when malformed or on OOM. */
CAPZ_API unsigned char *capz_b64_decode(const char *in, size_t *len);

/* Secret ns/name's data[key], decoded, into *out (caller wipes with OPENSSL_cleanse or memset and frees) and
 * *len. The decoded tree's base64 copy is wiped before it is freed; values never reach logs or err.
 * CAPZ_ENOTFOUND (no Secret), CAPZ_EINVAL (no such key / not base64), or the client's error. */
CAPZ_API int capz_secret_value(capz_kube_client *c, const char *ns, const char *name, const char *key,
                               unsigned char **out, size_t *len, capz_err *err);

/* snprintf that reports truncation: 0, or -1 when out (size n) was too small (out then holds a prefix). */
CAPZ_API int capz_fmt(char *out, size_t n, const char *fmt, ...) CAPZ_PRINTF(3, 4);

CAPZ_END_DECLS
#endif
