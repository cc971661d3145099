/* kc_workqueue.c — see capz/workqueue.h. One mutex guards everything; delayed keys live in a min-heap that
 * workers waiting in get() drain, so no timer thread is needed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capz/workqueue.h"
#include "kube/kc_internal.h"
#include "kube/kc_map.h"

typedef struct delayed {
  int64_t at_ms;
  char *key; /* owned */
} delayed;

struct capz_workqueue {
  pthread_mutex_t mu;
  pthread_cond_t cv;      /* work available / shutdown / delay changed */
  pthread_cond_t idle_cv; /* processing became empty */
  char **fifo;            /* ring of owned keys */
  size_t head, len, cap;
  kc_smap dirty;      /* key -> 1: queued or waiting to be re-queued */
  kc_smap processing; /* key -> 1 */
  kc_smap failures;   /* key -> (intptr_t) count */
  delayed *heap;
  size_t hn, hcap;
  kc_smap heap_pos; /* key -> (intptr_t) index+1 */
  int64_t base_ms, max_ms;
  double qps, burst, tokens, last;
  bool shutdown;
  uint64_t adds, retries;
};

static void key_str(const capz_key *k, char *out, size_t n) { snprintf(out, n, "%s/%s", k->ns, k->name); }

static void str_key(const char *s, capz_key *k) {
  const char *slash = strchr(s, '/');
  size_t nl = slash ? (size_t)(slash - s) : 0;
  if (nl >= sizeof k->ns) nl = sizeof k->ns - 1;
  memcpy(k->ns, s, nl);
  k->ns[nl] = '\0';
  snprintf(k->name, sizeof k->name, "%s", slash ? slash + 1 : s);
}

CAPZ_API int capz_workqueue_new(const capz_workqueue_opts *opts, capz_workqueue **out, capz_err *err) {
  capz_workqueue_opts o = {0};
  if (opts) memcpy(&o, opts, opts->struct_size && opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
  capz_workqueue *q = calloc(1, sizeof *q);
  if (!q) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->cv, &ca);
  pthread_cond_init(&q->idle_cv, &ca);
  pthread_condattr_destroy(&ca);
  q->base_ms = o.base_delay_ms > 0 ? o.base_delay_ms : 5;
  q->max_ms = o.max_delay_ms > 0 ? o.max_delay_ms : 1000000;
  q->qps = o.qps == 0 ? 10 : o.qps;
  q->burst = o.burst > 0 ? o.burst : 100;
  q->tokens = q->burst;
  q->last = kc_now();
  *out = q;
  return 0;
}

CAPZ_API void capz_workqueue_free(capz_workqueue *q) {
  if (!q) return;
  for (size_t i = 0; i < q->len; i++) free(q->fifo[(q->head + i) % q->cap]);
  free(q->fifo);
  for (size_t i = 0; i < q->hn; i++) free(q->heap[i].key);
  free(q->heap);
  kc_smap_free(&q->dirty);
  kc_smap_free(&q->processing);
  kc_smap_free(&q->failures);
  kc_smap_free(&q->heap_pos);
  pthread_cond_destroy(&q->cv);
  pthread_cond_destroy(&q->idle_cv);
  pthread_mutex_destroy(&q->mu);
  free(q);
}

static int fifo_push(capz_workqueue *q, const char *key) {
  if (q->len == q->cap) {
    size_t nc = q->cap ? q->cap * 2 : 64;
    char **nf = malloc(nc * sizeof *nf);
    if (!nf) return -1;
    for (size_t i = 0; i < q->len; i++) nf[i] = q->fifo[(q->head + i) % q->cap];
    free(q->fifo);
    q->fifo = nf;
    q->cap = nc;
    q->head = 0;
  }
  char *k = strdup(key);
  if (!k) return -1;
  q->fifo[(q->head + q->len) % q->cap] = k;
  q->len++;
  return 0;
}

/* Caller holds mu. */
static void add_locked(capz_workqueue *q, const char *key) {
  if (q->shutdown || kc_smap_get(&q->dirty, key)) return;
  q->adds++;
  if (kc_smap_put(&q->dirty, key, (void *)1, NULL) != 0) return;
  if (kc_smap_get(&q->processing, key)) return; /* re-run after done */
  if (fifo_push(q, key) != 0) {
    kc_smap_del(&q->dirty, key);
    return;
  }
  pthread_cond_signal(&q->cv);
}

CAPZ_API void capz_workqueue_add(capz_workqueue *q, const capz_key *k) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  add_locked(q, key);
  pthread_mutex_unlock(&q->mu);
}

/* ---- delay heap ---- */

static void heap_set(capz_workqueue *q, size_t i, delayed d) {
  q->heap[i] = d;
  kc_smap_put(&q->heap_pos, d.key, (void *)(intptr_t)(i + 1), NULL);
}

static void heap_up(capz_workqueue *q, size_t i) {
  delayed d = q->heap[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (q->heap[p].at_ms <= d.at_ms) break;
    heap_set(q, i, q->heap[p]);
    i = p;
  }
  heap_set(q, i, d);
}

static void heap_down(capz_workqueue *q, size_t i) {
  delayed d = q->heap[i];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    int64_t best = d.at_ms;
    if (l < q->hn && q->heap[l].at_ms < best) m = l, best = q->heap[l].at_ms;
    if (r < q->hn && q->heap[r].at_ms < best) m = r;
    if (m == i) break;
    heap_set(q, i, q->heap[m]);
    i = m;
  }
  heap_set(q, i, d);
}

static delayed heap_pop(capz_workqueue *q) {
  delayed top = q->heap[0];
  kc_smap_del(&q->heap_pos, top.key);
  if (--q->hn > 0) {
    q->heap[0] = q->heap[q->hn];
    heap_down(q, 0);
  }
  return top;
}

static void add_after_locked(capz_workqueue *q, const char *key, int64_t delay_ms) {
  if (q->shutdown) return;
  if (delay_ms <= 0) {
    add_locked(q, key);
    return;
  }
  int64_t at = kc_now_ms() + delay_ms;
  intptr_t pos = (intptr_t)kc_smap_get(&q->heap_pos, key);
  if (pos) {
    /* Already waiting: keep the earlier time. */
    if (at < q->heap[pos - 1].at_ms) {
      q->heap[pos - 1].at_ms = at;
      heap_up(q, (size_t)pos - 1);
      pthread_cond_broadcast(&q->cv);
    }
    return;
  }
  if (q->hn == q->hcap) {
    size_t nc = q->hcap ? q->hcap * 2 : 64;
    delayed *nh = realloc(q->heap, nc * sizeof *nh);
    if (!nh) return;
    q->heap = nh;
    q->hcap = nc;
  }
  char *k = strdup(key);
  if (!k) return;
  q->heap[q->hn++] = (delayed){at, k};
  heap_up(q, q->hn - 1);
  pthread_cond_broadcast(&q->cv);
}

CAPZ_API void capz_workqueue_add_after(capz_workqueue *q, const capz_key *k, int64_t delay_ms) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  add_after_locked(q, key, delay_ms);
  pthread_mutex_unlock(&q->mu);
}

static int64_t backoff_locked(capz_workqueue *q, const char *key) {
  intptr_t fails = (intptr_t)kc_smap_get(&q->failures, key);
  kc_smap_put(&q->failures, key, (void *)(fails + 1), NULL);
  double item = (double)q->base_ms * (fails < 62 ? (double)(1ULL << fails) : 1e300);
  if (item > (double)q->max_ms) item = (double)q->max_ms;
  double bucket = 0;
  if (q->qps > 0) {
    double now = kc_now();
    q->tokens += (now - q->last) * q->qps;
    if (q->tokens > q->burst) q->tokens = q->burst;
    q->last = now;
    q->tokens -= 1;
    if (q->tokens < 0) bucket = -q->tokens / q->qps * 1000.0;
  }
  q->retries++;
  return (int64_t)(item > bucket ? item : bucket);
}

CAPZ_API int64_t capz_workqueue_next_backoff(capz_workqueue *q, const capz_key *k) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  int64_t d = backoff_locked(q, key);
  pthread_mutex_unlock(&q->mu);
  return d;
}

CAPZ_API int64_t capz_workqueue_add_rate_limited(capz_workqueue *q, const capz_key *k) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  int64_t delay = backoff_locked(q, key);
  add_after_locked(q, key, delay);
  pthread_mutex_unlock(&q->mu);
  return delay;
}

CAPZ_API void capz_workqueue_forget(capz_workqueue *q, const capz_key *k) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  kc_smap_del(&q->failures, key);
  pthread_mutex_unlock(&q->mu);
}

CAPZ_API int capz_workqueue_num_requeues(capz_workqueue *q, const capz_key *k) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  int n = (int)(intptr_t)kc_smap_get(&q->failures, key);
  pthread_mutex_unlock(&q->mu);
  return n;
}

static void abs_time(int64_t ms_from_now, struct timespec *ts) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms_from_now / 1000;
  ts->tv_nsec += (ms_from_now % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

CAPZ_API bool capz_workqueue_get(capz_workqueue *q, capz_key *out) {
  pthread_mutex_lock(&q->mu);
  for (;;) {
    if (q->shutdown) {
      pthread_mutex_unlock(&q->mu);
      return false;
    }
    int64_t now = kc_now_ms();
    while (q->hn > 0 && q->heap[0].at_ms <= now) {
      delayed d = heap_pop(q);
      add_locked(q, d.key);
      free(d.key);
    }
    if (q->len > 0) break;
    if (q->hn > 0) {
      struct timespec ts;
      abs_time(q->heap[0].at_ms - now, &ts);
      pthread_cond_timedwait(&q->cv, &q->mu, &ts);
    } else {
      pthread_cond_wait(&q->cv, &q->mu);
    }
  }
  char *key = q->fifo[q->head];
  q->head = (q->head + 1) % q->cap;
  q->len--;
  kc_smap_del(&q->dirty, key);
  kc_smap_put(&q->processing, key, (void *)1, NULL);
  str_key(key, out);
  free(key);
  pthread_mutex_unlock(&q->mu);
  return true;
}

CAPZ_API void capz_workqueue_done(capz_workqueue *q, const capz_key *k) {
  char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  key_str(k, key, sizeof key);
  pthread_mutex_lock(&q->mu);
  kc_smap_del(&q->processing, key);
  if (kc_smap_get(&q->dirty, key) && !q->shutdown) {
    if (fifo_push(q, key) == 0) pthread_cond_signal(&q->cv);
    else kc_smap_del(&q->dirty, key);
  }
  if (q->processing.n == 0) pthread_cond_broadcast(&q->idle_cv);
  pthread_mutex_unlock(&q->mu);
}

CAPZ_API void capz_workqueue_shutdown(capz_workqueue *q) {
  pthread_mutex_lock(&q->mu);
  q->shutdown = true;
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
}

CAPZ_API bool capz_workqueue_shutting_down(capz_workqueue *q) {
  pthread_mutex_lock(&q->mu);
  bool s = q->shutdown;
  pthread_mutex_unlock(&q->mu);
  return s;
}

CAPZ_API bool capz_workqueue_wait_idle(capz_workqueue *q, int64_t timeout_ms) {
  struct timespec ts;
  if (timeout_ms >= 0) abs_time(timeout_ms, &ts);
  pthread_mutex_lock(&q->mu);
  while (q->processing.n > 0) {
    int r = timeout_ms >= 0 ? pthread_cond_timedwait(&q->idle_cv, &q->mu, &ts) : pthread_cond_wait(&q->idle_cv, &q->mu);
    if (r == ETIMEDOUT) break;
  }
  bool idle = q->processing.n == 0;
  pthread_mutex_unlock(&q->mu);
  return idle;
}

CAPZ_API void capz_workqueue_get_stats(capz_workqueue *q, capz_workqueue_stats *s) {
  pthread_mutex_lock(&q->mu);
  s->depth = q->len;
  s->delayed = q->hn;
  s->processing = q->processing.n;
  s->adds = q->adds;
  s->retries = q->retries;
  pthread_mutex_unlock(&q->mu);
}
