/* capz/workqueue.h — a rate-limited work queue with client-go semantics.
 *
 * - De-duplication: a key added several times before a worker takes it is processed once.
 * - A key is never handed to two workers at once: a key added while it is being processed is marked dirty
 *   and handed out again after capz_workqueue_done.
 * - Delayed adds (capz_workqueue_add_after) keep the earliest pending time per key.
 * - Rate-limited adds: delay = max(per-item exponential backoff base*2^failures capped at max, overall token
 *   bucket); capz_workqueue_forget resets the key's failure count.
 * - Shutdown: adds are ignored, get returns false at once; capz_workqueue_wait_idle waits for in-flight keys.
 *
 * Ownership: the queue copies keys. Thread-safety: every call may be made from any thread.
 */
#ifndef CAPZ_WORKQUEUE_H
#define CAPZ_WORKQUEUE_H

#include "capz/common.h"
#include "capz/err.h"
#include "capz/plugin.h"

CAPZ_BEGIN_DECLS

typedef struct capz_workqueue capz_workqueue;

typedef struct capz_workqueue_opts {
  uint32_t struct_size;  /* sizeof(capz_workqueue_opts) */
  int64_t base_delay_ms; /* per-item backoff start; 0 = 5 ms */
  int64_t max_delay_ms;  /* per-item backoff cap; 0 = 1000 s */
  double qps;            /* overall retry bucket; 0 = 10 (negative = no bucket) */
  int burst;             /* 0 = 100 */
} capz_workqueue_opts;

CAPZ_API int capz_workqueue_new(const capz_workqueue_opts *opts, capz_workqueue **out, capz_err *err);
/* Call after shutdown and after every worker returned. */
CAPZ_API void capz_workqueue_free(capz_workqueue *q);

CAPZ_API void capz_workqueue_add(capz_workqueue *q, const capz_key *k);
CAPZ_API void capz_workqueue_add_after(capz_workqueue *q, const capz_key *k, int64_t delay_ms);
/* Adds after the rate limiter's delay and counts a failure for the key; returns the delay chosen (ms). */
CAPZ_API int64_t capz_workqueue_add_rate_limited(capz_workqueue *q, const capz_key *k);
/* Count a failure for the key and return the rate limiter's delay (ms) without queueing it (for callers that
 * cap the delay themselves and then use capz_workqueue_add_after). */
CAPZ_API int64_t capz_workqueue_next_backoff(capz_workqueue *q, const capz_key *k);
CAPZ_API void capz_workqueue_forget(capz_workqueue *q, const capz_key *k);
CAPZ_API int capz_workqueue_num_requeues(capz_workqueue *q, const capz_key *k);

/* Blocks until a key is ready (true) or the queue shuts down (false). The caller must call done. */
CAPZ_API bool capz_workqueue_get(capz_workqueue *q, capz_key *out);
CAPZ_API void capz_workqueue_done(capz_workqueue *q, const capz_key *k);

CAPZ_API void capz_workqueue_shutdown(capz_workqueue *q);
CAPZ_API bool capz_workqueue_shutting_down(capz_workqueue *q);
/* Wait until no key is being processed; false on timeout (timeout_ms < 0 = forever). */
CAPZ_API bool capz_workqueue_wait_idle(capz_workqueue *q, int64_t timeout_ms);

typedef struct capz_workqueue_stats {
  uint64_t depth;      /* ready keys waiting */
  uint64_t delayed;    /* keys waiting for a delay */
  uint64_t processing; /* keys handed out and not yet done */
  uint64_t adds;       /* add calls that queued or dirtied a key (all kinds) */
  uint64_t retries;    /* rate-limited adds */
} capz_workqueue_stats;
CAPZ_API void capz_workqueue_get_stats(capz_workqueue *q, capz_workqueue_stats *out);

CAPZ_END_DECLS
#endif
