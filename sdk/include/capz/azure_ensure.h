/* capz/azure_ensure.h — desired-state helper over the ARM client: write only when the live resource differs
 * in the fields we own, and skip even the read while nothing we asked for has changed.
 *
 * capz_arm_ensure(id, desired, owned fields, tags):
 *  - remembers, per resource ID, a fingerprint of what was last applied or verified (SHA-256 of the canonical
 *    desired body + owned list + tags) and the live ETag. While the fingerprint is unchanged and the drift
 *    interval (with jitter) has not elapsed, it returns UNCHANGED with ZERO ARM requests;
 *  - otherwise it GETs the resource once: absent → PUT (create); present and every owned field equal
 *    (capz_json_subset, case-folded strings as ARM normalises casing) → UNCHANGED; different → PUT;
 *  - the GET is skipped for a top-level resource (…/resourceGroups/<g>/providers/<ns>/<type>/<name>) the ensurer
 *    has never seen, in a group it created itself (GET 404 → PUT) less than drift_interval_s ago: such a group
 *    holds only what this ensurer put there. Nested children are always read (a parent's body can create them);
 *    forgetting or evicting anything under the group ends the knowledge. Counted in
 *    capz_azure_ensure_reads_skipped_total;
 *  - with cluster_name set, the CAPZ ownership tag sigs.k8s.io_cluster-api-provider-azure_cluster_<name>=owned
 *    is added on create, and an existing resource without it is never modified (NOT_OWNED);
 *  - keep_live (optional) lists fields other controllers own on the resource: an update carries their live
 *    values into the PUT body instead of dropping them (see capz_arm_ensure_spec.keep_live);
 *  - PUTs are LROs: by default ensure returns IN_PROGRESS with requeue_after_s (the server's Retry-After) and a
 *    resume token; the next call polls once instead of re-sending the PUT.
 * Goal: zero ARM writes and at most one read per resource per drift interval when nothing changes.
 *
 * Drift-read budget: a drift read (the GET done only because the drift interval elapsed — never a read for a
 * changed fingerprint, a resume or an LRO poll) needs a slot of its ARM client's budget (drift_reads_per_s, burst
 * drift_read_burst; default 25 % of the default read limiter's refill, i.e. 5/s). Without a free slot ensure sends
 * nothing: it returns the remembered steady outcome (UNCHANGED / NOT_OWNED) with requeue_after_s = the time until
 * the slot it reserved for that resource; slots are 1/rate apart and handed out in arrival order, so under load
 * the effective drift interval stretches to resources / budget, evenly spread, and every resource is still read
 * in turn. While the client's own read bucket is under CAPZ_ARM_ENSURE_DRIFT_BUSY_LEVEL (e.g. thousands of
 * clusters converging), only one in CAPZ_ARM_ENSURE_DRIFT_BUSY_SLOWDOWN slots that come due reads (1/s instead of
 * 5/s by default); the others take a new slot at the end of the line. Drift reads keep going, slowly, the read
 * budget goes to real work, and the backlog drains at the full rate once reads are free again. Deferrals count in capz_azure_ensure_drift_deferred_total, drift reads sent in
 * capz_azure_ensure_drift_reads_total. The GETs themselves still go through the client's read limiter.
 *
 * Memory (x86-64, glibc, measured by tests/azure_sdk/test_azure_drift.c): a remembered resource costs about
 * 250 bytes + the length of its ID (330 bytes for a 76-character resource-group ID, ~420 for a 170-character AKS
 * agent pool ID; entry, lower-cased ID, ETag, malloc headers), plus 8 bytes of hash table per capacity slot
 * allocated up front (512 KiB at the default). A full default LRU is ≈ 27 MiB; 14,000 resources ≈ 6 MiB.
 *
 * Ownership: capz_arm_ensurer is freed with capz_arm_ensurer_free; a result's live/resume_token are owned by the
 * result (capz_arm_ensure_result_free). Inputs are borrowed for the call.
 * Thread-safety: an ensurer may be shared by all threads (the remembered state — a LRU bounded by capacity —
 * and the per-client drift budgets are guarded by one mutex, held only for bookkeeping, never across a request).
 * An in-flight LRO is taken out of its entry while it is polled, so evicting or forgetting that entry meanwhile
 * never frees an op in use. Calls for the same resource ID should not overlap (the host never reconciles one key twice at
 * once); if they do, the result is still correct but may cost an extra GET.
 */
#ifndef CAPZ_AZURE_ENSURE_H
#define CAPZ_AZURE_ENSURE_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/azure_arm.h"

CAPZ_BEGIN_DECLS

#define CAPZ_ARM_OWNED_TAG_PREFIX "sigs.k8s.io_cluster-api-provider-azure_cluster_"

/* Default LRU capacity: fits 9,000+ AKS clusters (7 resources each) without evicting anything. */
#define CAPZ_ARM_ENSURE_DEFAULT_CAPACITY 65536
/* Default drift-read budget: this share of capz_arm_limits_default's read refill rate. */
#define CAPZ_ARM_ENSURE_DRIFT_SHARE 0.25
/* While the client's read bucket for the resource's subscription is below this fraction of its burst (real work is
 * queueing for read tokens), only one in SLOWDOWN drift-read slots is used (see above). */
#define CAPZ_ARM_ENSURE_DRIFT_BUSY_LEVEL 0.5
#define CAPZ_ARM_ENSURE_DRIFT_BUSY_SLOWDOWN 5.0

typedef struct capz_arm_ensure_config {
  size_t capacity;          /* remembered resources (LRU); 0 = CAPZ_ARM_ENSURE_DEFAULT_CAPACITY. A resource
                             * evicted before its drift interval is simply read again on its next ensure */
  double drift_interval_s;  /* re-read a resource at most this often when nothing changed; 0 = 600 */
  double drift_jitter;      /* ± fraction of the interval; 0 = 0.1, negative = none */
  bool blocking;            /* wait for LROs inside the call instead of returning IN_PROGRESS */
  double lro_timeout_s;     /* blocking only; 0 = no limit */
  capz_az_clock_fn clock;   /* NULL = monotonic */
  void *clock_ud;
  /* appended fields (zero = default, so older initialisers keep working) */
  double drift_reads_per_s; /* drift-read budget per ARM client (see above); 0 = CAPZ_ARM_ENSURE_DRIFT_SHARE of the
                             * default read refill rate (5/s); negative = unlimited */
  double drift_read_burst;  /* drift reads allowed at once before the rate applies; < 1 = one second's worth
                             * (at least 1) */
  struct capz_metrics_registry *metrics; /* where the drift counters go; NULL = the process-wide registry */
} capz_arm_ensure_config;

typedef struct capz_arm_ensurer capz_arm_ensurer;

/* cfg NULL = defaults. NULL only on OOM. */
CAPZ_API capz_arm_ensurer *capz_arm_ensurer_new(const capz_arm_ensure_config *cfg);
CAPZ_API void capz_arm_ensurer_free(capz_arm_ensurer *e);
/* Forget what is remembered about id (next ensure reads it again). */
CAPZ_API void capz_arm_ensurer_forget(capz_arm_ensurer *e, const char *id);
/* Number of remembered resources. */
CAPZ_API size_t capz_arm_ensurer_size(capz_arm_ensurer *e);
/* Totals since creation: drift reads sent and drift reads deferred by the budget (either pointer may be NULL).
 * Any thread. */
CAPZ_API void capz_arm_ensurer_drift_stats(capz_arm_ensurer *e, uint64_t *reads, uint64_t *deferred);

typedef enum capz_arm_ensure_outcome {
  CAPZ_ENSURE_UNCHANGED = 1,   /* live matches desired; nothing written */
  CAPZ_ENSURE_CREATED = 2,     /* created (LRO finished) */
  CAPZ_ENSURE_UPDATED = 3,     /* updated (LRO finished) */
  CAPZ_ENSURE_IN_PROGRESS = 4, /* an LRO (ours, or the resource's own provisioning) is running */
  CAPZ_ENSURE_NOT_OWNED = 5,   /* exists without our ownership tag: left untouched */
  CAPZ_ENSURE_DELETED = 6      /* capz_arm_ensure_delete: gone (or was absent) */
} capz_arm_ensure_outcome;

typedef struct capz_arm_ensure_spec {
  const char *id;               /* resource ID (required) */
  const cJSON *desired;         /* the PUT body (required) */
  const char *const *owned;     /* NULL-terminated JSON pointers compared with the live resource; NULL = every
                                 * field of desired */
  const cJSON *tags;            /* optional extra tags (object of strings) merged into desired.tags */
  const char *cluster_name;     /* optional: ownership tag handling */
  const char *resume_token;     /* optional: from an earlier IN_PROGRESS result (e.g. stored in status); used
                                 * only when the ensurer remembers nothing about id (after a restart), so a
                                 * stale token costs nothing — still, clear it once the outcome is final */
  const capz_arm_req_opts *opts;/* optional request options (api-version override, ...) */
  const char *const *keep_live; /* optional NULL-terminated JSON pointers of fields others own on this resource
                                 * (e.g. "/properties/inboundNatRules" of a load balancer whose NAT rules other
                                 * controllers add as child resources). When ensure writes an update of an
                                 * existing resource, each such field the desired body lacks is copied from the
                                 * live resource into the PUT body, so a drift-correcting PUT (authoritative for
                                 * embedded children on ARM) does not drop them. Never compared and never a reason
                                 * to write; not part of the fingerprint; ignored on create. A field desired
                                 * does carry is sent as desired has it. */
} capz_arm_ensure_spec;

typedef struct capz_arm_ensure_result {
  capz_arm_ensure_outcome outcome;
  double requeue_after_s;  /* IN_PROGRESS: when to call again; else seconds until the next drift read */
  int arm_requests;        /* ARM requests this call made (0 on the steady-state fast path) */
  char diff_path[256];     /* first differing owned field when a PUT was sent, else "" */
  char *resume_token;      /* IN_PROGRESS: store it to survive a restart; malloc'ed or NULL */
  cJSON *live;             /* the resource as last read or returned by the PUT; NULL when not read */
} capz_arm_ensure_result;

CAPZ_API void capz_arm_ensure_result_free(capz_arm_ensure_result *r);

/* Returns 0 with res->outcome filled; CAPZ_EFAILED when the PUT's operation failed (reason = ARM code);
 * other codes as capz_arm_do. res is always initialised (free it with capz_arm_ensure_result_free). */
CAPZ_API int capz_arm_ensure(capz_arm_ensurer *e, capz_arm_client *c, const capz_arm_ensure_spec *spec,
                             capz_arm_ensure_result *res, capz_err *err);

/* Delete a resource (LRO; 404 = done → DELETED). With cluster_name, an existing resource without the ownership
 * tag is not deleted (NOT_OWNED) — this costs one GET. resume_token as for ensure. */
CAPZ_API int capz_arm_ensure_delete(capz_arm_ensurer *e, capz_arm_client *c, const char *id,
                                    const char *cluster_name, const char *resume_token, capz_arm_ensure_result *res,
                                    capz_err *err);

/* capz_arm_ensure_delete with request options: the same, but the GET (ownership check) and the DELETE use
 * spec->opts (e.g. the api-version the resource was created with). spec and its strings are borrowed for the
 * call; opts NULL = the client's defaults. */
typedef struct capz_arm_delete_spec {
  const char *id;               /* resource ID (required) */
  const char *cluster_name;     /* optional: ownership tag check (NOT_OWNED when the tag is missing) */
  const char *resume_token;     /* optional: as for capz_arm_ensure_delete */
  const capz_arm_req_opts *opts;/* optional request options (api-version override, ...) */
} capz_arm_delete_spec;

CAPZ_API int capz_arm_ensure_delete_spec(capz_arm_ensurer *e, capz_arm_client *c, const capz_arm_delete_spec *spec,
                                         capz_arm_ensure_result *res, capz_err *err);

/* True when resource (an ARM body) carries tags[<prefix><cluster_name>] == "owned" (key and value compared
 * case-insensitively, as ARM does for tag names). */
CAPZ_API bool capz_arm_is_owned(const cJSON *resource, const char *cluster_name);

CAPZ_END_DECLS
#endif
