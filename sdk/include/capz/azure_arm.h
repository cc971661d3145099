/* capz/azure_arm.h — Azure Resource Manager client: resource IDs, api-versions, a client-side rate limiter,
 * retries, CloudError decoding and long-running operations (LROs) with resumable, non-blocking polling.
 *
 * Spending the rate limit wisely:
 *  - every request first takes a token from a bucket keyed by (subscription, principal, class) where class is
 *    read (GET/HEAD), write (PUT/PATCH/POST) or delete; defaults sit under ARM's per-principal limits
 *    (reads 25/s, writes 10/s, deletes 10/s) so 429s stay rare. The limiter is process-wide by default so
 *    every client of a principal shares it.
 *  - 408, 429, 5xx and transport errors are retried with jittered exponential backoff; a Retry-After header
 *    is honoured (never retried earlier). A Retry-After longer than max_retry_wait_s is not slept on: the
 *    call returns CAPZ_ETHROTTLED with capz_arm_response.retry_after_s so the caller can REQUEUE_AFTER.
 *  - a 401 makes the client fetch a new token once (single-flight in the token cache) and retry.
 *  - LROs are polled at the pace the server asks for (Retry-After), and can be driven one poll at a time.
 *
 * Ownership: capz_arm_client, capz_arm_limiter and capz_arm_op are opaque and freed with their _free function.
 * capz_arm_response owns its body (capz_arm_response_free). Borrowed inputs are only read during the call.
 * Thread-safety: a client and a limiter may be used from any number of threads at once. A capz_arm_op must be
 * driven by one thread at a time.
 */
#ifndef CAPZ_AZURE_ARM_H
#define CAPZ_AZURE_ARM_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/azure_cloud.h"
#include "capz/azure_identity.h"

CAPZ_BEGIN_DECLS

/* ---------------------------------------------------------------- resource IDs */

#define CAPZ_ARM_MAX_DEPTH 6   /* type/name pairs below the provider namespace */
#define CAPZ_ARM_NAME_MAX 264
#define CAPZ_ARM_URL_MAX 8192

typedef enum capz_arm_scope {
  CAPZ_ARM_SCOPE_TENANT = 0,        /* /providers/{ns}/{type}/{name}... */
  CAPZ_ARM_SCOPE_SUBSCRIPTION = 1,  /* /subscriptions/{s}[/providers/{ns}/...] */
  CAPZ_ARM_SCOPE_RESOURCE_GROUP = 2 /* /subscriptions/{s}/resourceGroups/{rg}[/providers/{ns}/...] */
} capz_arm_scope;

typedef struct capz_arm_resid {
  capz_arm_scope scope;
  char subscription[64];
  char resource_group[96];
  char extension_scope[512];  /* for extension resources (…/providers/X/y/z/providers/Microsoft.Authorization/…):
                               * the full ID of the resource they extend; "" otherwise */
  char provider[128];         /* "Microsoft.Network"; "" for a bare subscription / resource group ID */
  int depth;                  /* number of type segments (names may be one fewer for a collection) */
  char types[CAPZ_ARM_MAX_DEPTH][96];
  char names[CAPZ_ARM_MAX_DEPTH][CAPZ_ARM_NAME_MAX];
  bool collection;            /* the last type has no name (a list URL) */
} capz_arm_resid;

/* Parse an ID. Keywords (subscriptions, resourceGroups, providers) are matched case-insensitively; a bare
 * "/subscriptions/{s}/resourceGroups/{rg}" gives provider "Microsoft.Resources", type "resourceGroups".
 * Trailing '/' is ignored. CAPZ_EINVAL for anything malformed (empty segments, too deep, too long). */
CAPZ_API int capz_arm_resid_parse(const char *id, capz_arm_resid *out, capz_err *err);
/* Canonical text (keywords as "subscriptions", "resourceGroups", "providers"; names as given).
 * Returns the length, or -1 when it does not fit in n. */
CAPZ_API int capz_arm_resid_format(const capz_arm_resid *r, char *out, size_t n);
/* Full type "Microsoft.Network/virtualNetworks/subnets". Returns the length or -1. */
CAPZ_API int capz_arm_resid_type(const capz_arm_resid *r, char *out, size_t n);
/* The ID of the parent (child → parent resource; top-level → resource group; RG → subscription).
 * CAPZ_ENOTFOUND when there is none. */
CAPZ_API int capz_arm_resid_parent(const capz_arm_resid *r, capz_arm_resid *parent);
/* Case-insensitive comparison of two IDs after parsing (falls back to a case-insensitive string compare when
 * either does not parse). */
CAPZ_API bool capz_arm_resid_equal(const char *a, const char *b);

/* ---------------------------------------------------------------- rate limiter */

typedef enum capz_arm_op_class { CAPZ_ARM_READ = 0, CAPZ_ARM_WRITE = 1, CAPZ_ARM_DELETE = 2 } capz_arm_op_class;

typedef struct capz_arm_rate {
  double per_second; /* refill rate */
  double burst;      /* bucket size */
} capz_arm_rate;

typedef struct capz_arm_limits {
  capz_arm_rate read, write, del;
} capz_arm_limits;

/* Defaults: read 20/s burst 200, write 8/s burst 160, delete 8/s burst 160 (80% of ARM's 25/10/10 refill
 * and 250/200/200 buckets). */
CAPZ_API void capz_arm_limits_default(capz_arm_limits *out);

typedef struct capz_arm_limiter capz_arm_limiter;
/* limits NULL = defaults; clock NULL = monotonic. NULL only on OOM or a non-positive rate. */
CAPZ_API capz_arm_limiter *capz_arm_limiter_new(const capz_arm_limits *limits, capz_az_clock_fn clock,
                                                void *clock_ud);
CAPZ_API void capz_arm_limiter_free(capz_arm_limiter *l);
/* The process-wide limiter (defaults). */
CAPZ_API capz_arm_limiter *capz_arm_limiter_default(void);
/* Take one token for (subscription, principal, class) and return how many seconds the caller must wait
 * before sending (0 when a token was available). Reservations queue fairly: concurrent callers get
 * increasing waits rather than all waking at once. subscription/principal NULL = "". */
CAPZ_API double capz_arm_limiter_reserve(capz_arm_limiter *l, const char *subscription, const char *principal,
                                         capz_arm_op_class cls);

/* ---------------------------------------------------------------- client */

typedef struct capz_arm_client_config {
  const capz_az_cloud *cloud;      /* required; copied */
  capz_az_credential *credential;  /* required; borrowed: must outlive the client */
  capz_arm_limiter *limiter;       /* NULL = capz_arm_limiter_default() */
  const cJSON *api_versions;       /* optional {"Microsoft.Network": "2025-05-01", "Microsoft.Compute/disks": ...};
                                    * most specific match wins; copied */
  int max_retries;                 /* retries after the first attempt; 0 = 4; negative = none */
  double max_retry_wait_s;         /* longest single wait slept inside a call; 0 = 60 */
  double backoff_base_s;           /* first backoff (then doubled, full jitter); 0 = 0.5 */
  long timeout_ms;                 /* per HTTP request; 0 = 30000 */
  double poll_default_s;           /* LRO poll delay when the server sends no Retry-After; 0 = 5 (doubling
                                    * per poll up to 60) */
  const char *user_agent;          /* NULL = "capz-c" */
  struct capz_metrics_registry *metrics; /* where the client's Prometheus counters go; NULL = the process-wide
                                    * registry (capz/metrics.h): capz_azure_arm_requests_total{method,
                                    * resource_type,code}, capz_azure_arm_limiter_wait_seconds_total{class},
                                    * capz_azure_arm_retries_total{reason} */
} capz_arm_client_config;

typedef struct capz_arm_client capz_arm_client;

/* Validates the config (cloud endpoints, api_versions values). NULL with err on failure. */
CAPZ_API capz_arm_client *capz_arm_client_new(const capz_arm_client_config *cfg, capz_err *err);
CAPZ_API void capz_arm_client_free(capz_arm_client *c);

/* api-version the client uses for a full resource type ("Microsoft.Compute/disks"). Borrowed, never NULL. */
CAPZ_API const char *capz_arm_client_api_version(const capz_arm_client *c, const char *resource_type);

/* Per-request options (all optional; pass NULL for none). */
typedef struct capz_arm_req_opts {
  const char *if_match;       /* ETag (with its quotes) or "*" */
  const char *if_none_match;  /* usually "*" (safe create) */
  const char *api_version;    /* override the configured one */
  const char *query;          /* extra query, already encoded, without '?' or '&': "$expand=instanceView" */
} capz_arm_req_opts;

typedef struct capz_arm_response {
  int status;             /* HTTP status of the last attempt (0 = no response) */
  cJSON *body;            /* parsed body or NULL (empty / not JSON); owned */
  char etag[160];         /* ETag header, else the body's etag/eTag, else "" */
  double retry_after_s;   /* Retry-After of the last response (0 when absent) */
  char request_id[96];    /* x-ms-request-id */
  char azure_async_operation[CAPZ_ARM_URL_MAX]; /* raw LRO headers of the last response ("" when absent; ARM
                                                 * polling URLs may exceed 4 KB, longer ones are refused) */
  char location[CAPZ_ARM_URL_MAX];
} capz_arm_response;

CAPZ_API void capz_arm_response_free(capz_arm_response *r);

/* One request (limiter, auth, retries; no LRO handling). path: an ID or ID + "/action", or an absolute URL on
 * the cloud's ARM endpoint (nextLink, polling URLs — other hosts are refused, so the bearer token never leaves
 * ARM). body may be NULL. Returns 0 for 2xx; otherwise the error from the CloudError (reason = ARM code):
 * 404 CAPZ_ENOTFOUND, 409/412 CAPZ_ECONFLICT, 429 CAPZ_ETHROTTLED, 401 CAPZ_EAUTH, 403 CAPZ_EFORBIDDEN,
 * 5xx CAPZ_EUNAVAILABLE, other 4xx CAPZ_EINVAL. out (may be NULL) receives the last response either way. */
CAPZ_API int capz_arm_do(capz_arm_client *c, const char *method, const char *path, const cJSON *body,
                         const capz_arm_req_opts *opts, capz_arm_response *out, capz_err *err);

/* GET a resource. 404 gives CAPZ_ENOTFOUND. */
CAPZ_API int capz_arm_get(capz_arm_client *c, const char *id, const capz_arm_req_opts *opts,
                          capz_arm_response *out, capz_err *err);

/* GET a collection and follow nextLink to the end. *items: a new array (caller frees). max_pages 0 = 1000. */
CAPZ_API int capz_arm_list(capz_arm_client *c, const char *collection, const capz_arm_req_opts *opts,
                           int max_pages, cJSON **items, capz_err *err);

/* ---------------------------------------------------------------- CloudError */

typedef struct capz_arm_cloud_error {
  char code[96];
  char message[400];
  char target[128];
  int n_details;          /* number of entries in error.details */
  char detail_code[96];   /* code of the first detail, "" when none */
} capz_arm_cloud_error;

/* Decode {"error":{code,message,target,details}} or the unwrapped {code,message} form. Returns true when a
 * code was found. */
CAPZ_API bool capz_arm_cloud_error_decode(const cJSON *body, capz_arm_cloud_error *out);

/* ---------------------------------------------------------------- long-running operations */

typedef enum capz_arm_final_via {
  CAPZ_ARM_FINAL_DEFAULT = 0,       /* PUT/PATCH: original URI; DELETE: none; POST: Location if given */
  CAPZ_ARM_FINAL_AZURE_ASYNC = 1,   /* azure-async-operation: PUT/PATCH original URI, POST from status body */
  CAPZ_ARM_FINAL_LOCATION = 2,
  CAPZ_ARM_FINAL_ORIGINAL_URI = 3
} capz_arm_final_via;

typedef enum capz_arm_op_state {
  CAPZ_ARM_OP_IN_PROGRESS = 0,
  CAPZ_ARM_OP_SUCCEEDED = 1,
  CAPZ_ARM_OP_FAILED = 2,    /* Failed or Canceled; see capz_arm_op_error */
} capz_arm_op_state;

typedef struct capz_arm_op capz_arm_op;

/* Send the initial request of an LRO (PUT, PATCH, DELETE or POST) and classify the answer. On 0, *op is set
 * (possibly already SUCCEEDED — synchronous answers and DELETE 204/404 are done at once). A rejected initial
 * request returns its error (no op). final_via: CAPZ_ARM_FINAL_DEFAULT unless the API says otherwise. */
CAPZ_API int capz_arm_begin(capz_arm_client *c, const char *method, const char *path, const cJSON *body,
                            const capz_arm_req_opts *opts, capz_arm_final_via final_via, capz_arm_op **op,
                            capz_err *err);

/* Poll once (one status GET, plus the final GET when the operation just finished) — never sleeps except for the
 * rate limiter and in-call retries. Returns 0 when SUCCEEDED, CAPZ_EINPROGRESS while running (see
 * capz_arm_op_next_poll_in), CAPZ_EFAILED when the operation ended Failed/Canceled (err reason = the
 * operation's error code), or a transport/HTTP error of the poll itself (the op stays pollable). */
CAPZ_API int capz_arm_op_poll(capz_arm_client *c, capz_arm_op *op, capz_err *err);

/* Blocking: poll at the server's pace until done or timeout_s (0 = no limit; CAPZ_ETIMEOUT, op stays
 * pollable). */
CAPZ_API int capz_arm_op_wait(capz_arm_client *c, capz_arm_op *op, double timeout_s, capz_err *err);

CAPZ_API capz_arm_op_state capz_arm_op_get_state(const capz_arm_op *op);
/* Seconds until the next poll should be sent (>= 0; 0 once done). For REQUEUE_AFTER. */
CAPZ_API double capz_arm_op_next_poll_in(const capz_arm_op *op);
/* Final resource / action result (borrowed; NULL when none, e.g. DELETE). */
CAPZ_API const cJSON *capz_arm_op_result(const capz_arm_op *op);
/* Error of a FAILED op (borrowed; codes "" otherwise). */
CAPZ_API const capz_arm_cloud_error *capz_arm_op_error(const capz_arm_op *op);
/* Number of polls sent so far. */
CAPZ_API int capz_arm_op_polls(const capz_arm_op *op);

/* A small opaque string (base64url of the method, URLs and mode) that lets a restarted process resume polling
 * instead of re-sending the request: store it in the object's status. malloc'ed; caller frees. NULL once the
 * op is done (nothing to resume) or on OOM. */
CAPZ_API char *capz_arm_op_resume_token(const capz_arm_op *op);
/* Rebuild an op from a resume token; the next capz_arm_op_poll polls at once. CAPZ_EINVAL for a malformed
 * token or one whose URLs are not on this client's ARM endpoint. */
CAPZ_API int capz_arm_op_resume(capz_arm_client *c, const char *token, capz_arm_op **op, capz_err *err);

CAPZ_API void capz_arm_op_free(capz_arm_op *op);

/* Blocking conveniences: begin + wait (timeout_s 0 = none). result (may be NULL) receives the final body
 * (caller frees). delete: a missing resource (404/204) counts as success. */
CAPZ_API int capz_arm_put(capz_arm_client *c, const char *id, const cJSON *body, const capz_arm_req_opts *opts,
                          double timeout_s, cJSON **result, capz_err *err);
CAPZ_API int capz_arm_patch(capz_arm_client *c, const char *id, const cJSON *body, const capz_arm_req_opts *opts,
                            double timeout_s, cJSON **result, capz_err *err);
CAPZ_API int capz_arm_delete(capz_arm_client *c, const char *id, const capz_arm_req_opts *opts, double timeout_s,
                             capz_err *err);
CAPZ_API int capz_arm_post(capz_arm_client *c, const char *path, const cJSON *body, const capz_arm_req_opts *opts,
                           double timeout_s, cJSON **result, capz_err *err);

/* ---------------------------------------------------------------- accounting */

typedef struct capz_arm_stats {
  uint64_t requests;        /* HTTP requests sent to ARM (every attempt) */
  uint64_t reads, writes, deletes; /* by class */
  uint64_t retries;         /* attempts after the first */
  uint64_t throttled;       /* 429 answers */
  uint64_t server_errors;   /* 5xx answers */
  uint64_t transport_errors;/* no answer */
  uint64_t auth_refreshes;  /* 401 → new token */
  uint64_t lro_polls;       /* status/location/body polls */
  double limiter_wait_s;    /* total time slept waiting for the limiter */
  double retry_wait_s;      /* total time slept between retries */
} capz_arm_stats;

CAPZ_API void capz_arm_client_get_stats(const capz_arm_client *c, capz_arm_stats *out);

/* Visit per-(method, resource type, status) request counters of this client. The strings are borrowed for
 * the callback only. */
typedef void (*capz_arm_count_fn)(void *ud, const char *method, const char *resource_type, int status,
                                  uint64_t count);
CAPZ_API void capz_arm_client_foreach_count(const capz_arm_client *c, capz_arm_count_fn fn, void *ud);

CAPZ_END_DECLS
#endif
