/* capz/kube.h — Kubernetes API client: connection config (kubeconfig, in-cluster), CRUD/patch/watch on any
 * group-version-resource, status subresource, discovery, Status errors, retries and client-side rate limiting.
 *
 * Every request goes through the SDK's one HTTP pool (one connection cache per process).
 *
 * Ownership: config and client objects are created by *_new/_load and freed by their *_free; functions that
 * return a cJSON ** give the caller a new tree to cJSON_Delete. Strings that the client fills into a capz_gvk
 * (plural after discovery) are owned by the client and live as long as it does.
 * Thread-safety: a capz_kube_client is safe to use from any number of threads at once; a capz_kube_config is
 * immutable after loading (credential refreshes are internally synchronised).
 * Errors: a Kubernetes Status answer fills capz_err with http_status, reason (e.g. "NotFound", "Conflict") and
 * the server's message; codes: 404 ENOTFOUND, 409 AlreadyExists EEXIST, other 409 ECONFLICT, 410 EGONE,
 * 401 EAUTH, 403 EFORBIDDEN, 429 ETHROTTLED, 5xx EUNAVAILABLE (504 ETIMEOUT), 400/415/422 EINVAL.
 */
#ifndef CAPZ_KUBE_H
#define CAPZ_KUBE_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/plugin.h"

CAPZ_BEGIN_DECLS

/* ---- connection configuration ---- */
typedef struct capz_kube_config capz_kube_config;

/* Load a kubeconfig. path NULL = $KUBECONFIG (first entry) or ~/.kube/config; context NULL = current-context.
 * Supports token, tokenFile, client-certificate(-data), client-key(-data), certificate-authority(-data),
 * insecure-skip-tls-verify and exec credential plugins (client.authentication.k8s.io/v1 and v1beta1). */
CAPZ_API int capz_kube_config_load(const char *path, const char *context, capz_kube_config **out, capz_err *err);
/* Same from kubeconfig text in memory (e.g. a kubeconfig Secret's value). */
CAPZ_API int capz_kube_config_parse(const char *text, size_t len, const char *context, capz_kube_config **out,
                                    capz_err *err);
/* In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service-account directory sa_dir (NULL =
 * /var/run/secrets/kubernetes.io/serviceaccount: token, ca.crt, namespace). The token file is re-read when it
 * changes (kubelet rotates it). */
CAPZ_API int capz_kube_config_in_cluster(const char *sa_dir, capz_kube_config **out, capz_err *err);
/* A bare server URL with no credentials (emulators, kubectl proxy). */
CAPZ_API int capz_kube_config_from_url(const char *server, capz_kube_config **out, capz_err *err);
/* Borrowed: the server URL; and the namespace of the context / service account ("default" when unset). */
CAPZ_API const char *capz_kube_config_server(const capz_kube_config *cfg);
CAPZ_API const char *capz_kube_config_namespace(const capz_kube_config *cfg);
CAPZ_API void capz_kube_config_free(capz_kube_config *cfg);

/* ---- client ---- */
typedef struct capz_kube_client capz_kube_client;

typedef struct capz_kube_client_opts {
  uint32_t struct_size;   /* sizeof(capz_kube_client_opts) */
  double qps;             /* client-side rate limit; 0 = 20 */
  int burst;              /* 0 = 30 */
  long timeout_ms;        /* per non-watch request; 0 = 30 s */
  int max_retries;        /* on 429/5xx with Retry-After and on transport errors of reads; 0 = 5, <0 = none */
  const char *user_agent; /* NULL = "capz-c" */
} capz_kube_client_opts;

/* cfg is borrowed and must outlive the client. opts may be NULL. */
CAPZ_API int capz_kube_client_new(const capz_kube_config *cfg, const capz_kube_client_opts *opts,
                                  capz_kube_client **out, capz_err *err);
CAPZ_API void capz_kube_client_free(capz_kube_client *c);
CAPZ_API const capz_kube_config *capz_kube_client_config(const capz_kube_client *c);

/* Write fence: while set, every mutating request (POST/PUT/PATCH/DELETE) fails at once with CAPZ_EFORBIDDEN,
 * reason "NotLeader", without reaching the server. The controller runtime raises it the moment leadership is
 * lost, before it stops workers, so a loser never writes. Leases are written with capz_kube_request_unfenced. */
CAPZ_API void capz_kube_client_set_fence(capz_kube_client *c, bool fenced);

/* Counters since creation (requests sent to the server, including retries). */
typedef struct capz_kube_client_stats {
  uint64_t requests, reads, writes, watches, retries, throttled_waits;
} capz_kube_client_stats;
CAPZ_API void capz_kube_client_get_stats(const capz_kube_client *c, capz_kube_client_stats *out);

/* Fill gvk->plural and gvk->namespaced from discovery when gvk->plural is NULL (results cached in the client;
 * the plural string is owned by the client). Returns ENOTFOUND when the server does not serve the kind. */
CAPZ_API int capz_kube_resolve(capz_kube_client *c, capz_gvk *gvk, capz_err *err);

/* The REST path of a collection or object: /api/v1/namespaces/ns/plural[/name[/sub]] (ns "" or NULL for
 * cluster-scoped or all namespaces). Returns the length, or -1 when it does not fit in n. */
CAPZ_API int capz_kube_path(const capz_gvk *gvk, const char *ns, const char *name, const char *subresource, char *out,
                            size_t n);

/* ---- verbs (gvk->plural must be set, or resolvable through discovery) ---- */
CAPZ_API int capz_kube_get(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const char *name, cJSON **out,
                           capz_err *err);

typedef struct capz_list_opts {
  const char *label_selector;
  const char *field_selector;
  const char *resource_version;       /* NULL = most recent */
  const char *resource_version_match; /* "NotOlderThan" / "Exact" or NULL */
  long limit;                         /* 0 = no paging */
  const char *continue_token;
} capz_list_opts;
/* One page (or the whole list without a limit). opts may be NULL. */
CAPZ_API int capz_kube_list(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const capz_list_opts *opts,
                            cJSON **out, capz_err *err);

/* out may be NULL. ns is used for namespaced kinds (the object's metadata.namespace when ns is NULL). */
CAPZ_API int capz_kube_create(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const cJSON *obj, cJSON **out,
                              capz_err *err);
/* PUT of the whole object (name and namespace from obj; its metadata.resourceVersion is the precondition). */
CAPZ_API int capz_kube_update(capz_kube_client *c, const capz_gvk *gvk, const cJSON *obj, cJSON **out, capz_err *err);
CAPZ_API int capz_kube_update_status(capz_kube_client *c, const capz_gvk *gvk, const cJSON *obj, cJSON **out,
                                     capz_err *err);

typedef enum capz_patch_type {
  CAPZ_PATCH_MERGE = 1,     /* application/merge-patch+json (RFC 7386) */
  CAPZ_PATCH_JSON = 2,      /* application/json-patch+json (RFC 6902) */
  CAPZ_PATCH_APPLY = 3,     /* application/apply-patch+yaml (server-side apply; field_manager required) */
  CAPZ_PATCH_STRATEGIC = 4  /* application/strategic-merge-patch+json (built-in kinds only) */
} capz_patch_type;

typedef struct capz_patch_opts {
  const char *subresource;   /* e.g. "status"; NULL = the main resource */
  const char *field_manager; /* NULL = "capz-c" */
  bool force;                /* server-side apply: take ownership of conflicting fields */
} capz_patch_opts;
CAPZ_API int capz_kube_patch(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const char *name,
                             capz_patch_type type, const cJSON *patch, const capz_patch_opts *opts, cJSON **out,
                             capz_err *err);

typedef struct capz_delete_opts {
  const char *propagation_policy; /* "Background" (NULL), "Foreground", "Orphan" */
  const char *precondition_uid;
  const char *precondition_rv;
} capz_delete_opts;
/* Returns 0 also when the object is now terminating (finalizers pending). ENOTFOUND when absent. */
CAPZ_API int capz_kube_delete(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const char *name,
                              const capz_delete_opts *opts, capz_err *err);

/* ---- watch ---- */
typedef enum capz_watch_event { CAPZ_EV_ADDED = 1, CAPZ_EV_MODIFIED, CAPZ_EV_DELETED, CAPZ_EV_BOOKMARK, CAPZ_EV_ERROR } capz_watch_event;

/* Called for each event from the watching thread. obj is owned by the callee if it returns 1 (keeps it), else
 * freed by the SDK after the call. Return <0 to stop the watch. */
typedef int (*capz_watch_fn)(void *ud, capz_watch_event type, cJSON *obj);

typedef struct capz_watch_opts {
  const char *label_selector;
  const char *field_selector;
  const char *resource_version;
  bool bookmarks;
  long timeout_seconds;  /* server-side timeout; 0 = server default */
  volatile const int *cancel;
} capz_watch_opts;
/* Blocks until the stream ends (server timeout, disconnect, callback stop or cancel): returns 0 then. Returns an
 * error when the watch request itself fails (e.g. EGONE for an HTTP 410; an in-stream ERROR event is passed to
 * the callback as CAPZ_EV_ERROR with the Status object). */
CAPZ_API int capz_kube_watch(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const capz_watch_opts *opts,
                             capz_watch_fn fn, void *ud, capz_err *err);

/* ---- raw request (relative path + query, e.g. "/api/v1/namespaces?limit=1"); out may be NULL ---- */
CAPZ_API int capz_kube_request(capz_kube_client *c, const char *method, const char *path_and_query,
                               const char *content_type, const cJSON *body, cJSON **out, capz_err *err);
/* The same, ignoring the write fence (leader election's own Lease writes). */
CAPZ_API int capz_kube_request_unfenced(capz_kube_client *c, const char *method, const char *path_and_query,
                                        const char *content_type, const cJSON *body, cJSON **out, capz_err *err);

/* Map an HTTP status (and Status reason) to a capz_errcode. */
CAPZ_API int capz_kube_errcode(long http_status, const char *reason);

CAPZ_END_DECLS
#endif
