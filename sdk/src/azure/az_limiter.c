/* az_limiter.c — client-side ARM rate limiter: one token bucket per (subscription, principal, class).
 * Keys are few (subscriptions × principals × 3), so a small hash table with a bound and LRU-ish eviction of
 * full (idle) buckets is enough. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "capz/azure_arm.h"
#include "azure/az_bucket.h"
#include "azure/az_util.h"
#include "azure/az_limiter.h"

#define LIM_MAX_KEYS 4096

typedef struct lim_entry {
  char *key;
  az_bucket b;
  struct lim_entry *next;
} lim_entry;

struct capz_arm_limiter {
  pthread_mutex_t mu;
  capz_arm_limits limits;
  capz_az_clock_fn clock;
  void *clock_ud;
  lim_entry *buckets[256];
  size_t n;
};

void capz_arm_limits_default(capz_arm_limits *out) {
  out->read = (capz_arm_rate){20.0, 200.0};
  out->write = (capz_arm_rate){8.0, 160.0};
  out->del = (capz_arm_rate){8.0, 160.0};
}

capz_arm_limiter *capz_arm_limiter_new(const capz_arm_limits *limits, capz_az_clock_fn clock, void *clock_ud) {
  capz_arm_limits l;
  if (limits) l = *limits;
  else capz_arm_limits_default(&l);
  if (l.read.per_second <= 0 || l.write.per_second <= 0 || l.del.per_second <= 0) return NULL;
  capz_arm_limiter *lim = calloc(1, sizeof *lim);
  if (!lim) return NULL;
  pthread_mutex_init(&lim->mu, NULL);
  lim->limits = l;
  lim->clock = clock;
  lim->clock_ud = clock_ud;
  return lim;
}

void capz_arm_limiter_free(capz_arm_limiter *l) {
  if (!l) return;
  for (size_t i = 0; i < 256; i++) {
    lim_entry *e = l->buckets[i];
    while (e) {
      lim_entry *n = e->next;
      free(e->key);
      free(e);
      e = n;
    }
  }
  pthread_mutex_destroy(&l->mu);
  free(l);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static capz_arm_limiter *default_limiter;
static void make_default(void) { default_limiter = capz_arm_limiter_new(NULL, NULL, NULL); }

capz_arm_limiter *capz_arm_limiter_default(void) {
  pthread_once(&default_once, make_default);
  return default_limiter;
}

static unsigned hash(const char *s) {
  unsigned h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* Drop buckets that have refilled completely: they carry no state a fresh bucket would not. */
static void prune(capz_arm_limiter *l, double now) {
  for (size_t i = 0; i < 256; i++) {
    lim_entry **pp = &l->buckets[i];
    while (*pp) {
      lim_entry *e = *pp;
      if (az_bucket_peek(&e->b, now) >= e->b.burst) {
        *pp = e->next;
        free(e->key);
        free(e);
        l->n--;
      } else {
        pp = &e->next;
      }
    }
  }
}

/* The bucket key of (class, subscription, principal), lower-cased (subscription IDs are case-insensitive GUIDs);
 * false on OOM. */
static bool lim_key(az_buf *key, const char *subscription, const char *principal, capz_arm_op_class cls) {
  az_buf_printf(key, "%d|%s|%s", (int)cls, subscription ? subscription : "", principal ? principal : "");
  if (key->oom || !key->p) return false;
  for (char *p = key->p; *p; p++) *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
  return true;
}

double az_limiter_level(capz_arm_limiter *l, const char *subscription, const char *principal,
                        capz_arm_op_class cls) {
  if (!l) return 1.0;
  az_buf key = {0};
  if (!lim_key(&key, subscription, principal, cls)) {
    az_buf_wipe(&key);
    return 1.0;
  }
  double level = 1.0;
  pthread_mutex_lock(&l->mu);
  lim_entry *e = l->buckets[hash(key.p) & 255];
  while (e && strcmp(e->key, key.p) != 0) e = e->next;
  if (e && e->b.burst > 0) level = az_bucket_peek(&e->b, az_clock(l->clock, l->clock_ud)) / e->b.burst;
  pthread_mutex_unlock(&l->mu);
  az_buf_wipe(&key);
  return level;
}

double capz_arm_limiter_reserve(capz_arm_limiter *l, const char *subscription, const char *principal,
                                capz_arm_op_class cls) {
  if (!l) return 0;
  az_buf key = {0};
  if (!lim_key(&key, subscription, principal, cls)) { az_buf_wipe(&key); return 0; }
  pthread_mutex_lock(&l->mu);
  double now = az_clock(l->clock, l->clock_ud);
  unsigned h = hash(key.p) & 255;
  lim_entry *e = l->buckets[h];
  while (e && strcmp(e->key, key.p) != 0) e = e->next;
  if (!e) {
    if (l->n >= LIM_MAX_KEYS) prune(l, now);
    e = calloc(1, sizeof *e);
    if (!e) { pthread_mutex_unlock(&l->mu); az_buf_wipe(&key); return 0; }
    e->key = key.p;
    key.p = NULL;
    const capz_arm_rate *r = cls == CAPZ_ARM_READ ? &l->limits.read : cls == CAPZ_ARM_WRITE ? &l->limits.write
                                                                                              : &l->limits.del;
    az_bucket_init(&e->b, r->per_second, r->burst, now);
    e->next = l->buckets[h];
    l->buckets[h] = e;
    l->n++;
  }
  double wait = az_bucket_reserve(&e->b, now);
  pthread_mutex_unlock(&l->mu);
  az_buf_wipe(&key);
  return wait;
}
