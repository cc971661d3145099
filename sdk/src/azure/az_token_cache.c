/* az_token_cache.c — process-wide access-token cache: keyed entries, refresh ahead of expiry, single-flight
 * fetches per key, LRU bound, tokens wiped on eviction. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "azure/az_token_cache.h"
#include "azure/az_util.h"

typedef struct tc_entry {
  char key[65];
  char *token;
  double expires_at, refresh_at;
  double wall_expires, wall_refresh; /* for callers that hand the token on (Unix seconds) */
  bool fetching;
  uint64_t gen;     /* completed fetches */
  int last_rc;      /* result of the last fetch */
  capz_err last_err;
  struct tc_entry *prev, *next; /* LRU: head = most recent */
} tc_entry;

struct capz_az_token_cache {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  tc_entry *head, *tail;
  size_t size, capacity;
  capz_az_clock_fn clock;
  void *clock_ud;
  capz_az_token_cache_stats st;
};

double az_token_refresh_at(double t0, double lifetime) {
  /* 80% of the lifetime or 5 minutes before expiry, whichever comes first — but never in the first half
   * of a short-lived token's life, or short tokens would be refetched on every call */
  double r = lifetime * 0.8;
  if (lifetime - 300 < r) r = lifetime - 300;
  if (r < lifetime * 0.5) r = lifetime * 0.8;
  return t0 + r;
}

double az_token_expires_at(double t0, double lifetime) {
  double skew = lifetime * 0.1 < 30 ? lifetime * 0.1 : 30; /* clock skew and request latency margin */
  return t0 + lifetime - skew;
}

capz_az_token_cache *capz_az_token_cache_new(size_t capacity, capz_az_clock_fn clock, void *clock_ud) {
  capz_az_token_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cv, &ca);
  pthread_condattr_destroy(&ca);
  c->capacity = capacity ? capacity : 256;
  c->clock = clock;
  c->clock_ud = clock_ud;
  return c;
}

static void entry_free(tc_entry *e) {
  az_free_secret(e->token);
  free(e);
}

void capz_az_token_cache_free(capz_az_token_cache *c) {
  if (!c) return;
  tc_entry *e = c->head;
  while (e) {
    tc_entry *n = e->next;
    entry_free(e);
    e = n;
  }
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static capz_az_token_cache *default_cache;
static void make_default(void) { default_cache = capz_az_token_cache_new(256, NULL, NULL); }

capz_az_token_cache *capz_az_token_cache_default(void) {
  pthread_once(&default_once, make_default);
  return default_cache;
}

void capz_az_token_cache_get_stats(capz_az_token_cache *c, capz_az_token_cache_stats *out) {
  pthread_mutex_lock(&c->mu);
  *out = c->st;
  out->size = c->size;
  pthread_mutex_unlock(&c->mu);
}

static void unlink_entry(capz_az_token_cache *c, tc_entry *e) {
  if (e->prev) e->prev->next = e->next;
  else c->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void push_front(capz_az_token_cache *c, tc_entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

static tc_entry *lookup(capz_az_token_cache *c, const char *key) {
  for (tc_entry *e = c->head; e; e = e->next)
    if (strcmp(e->key, key) == 0) {
      if (e != c->head) {
        unlink_entry(c, e);
        push_front(c, e);
      }
      return e;
    }
  return NULL;
}

static void evict(capz_az_token_cache *c) {
  tc_entry *e = c->tail;
  while (c->size > c->capacity && e) {
    tc_entry *prev = e->prev;
    if (!e->fetching) { /* an entry with a fetch in flight is pinned: its fetcher writes into it */
      unlink_entry(c, e);
      entry_free(e);
      c->size--;
      c->st.evictions++;
    }
    e = prev;
  }
}

static int copy_out(const char *tok, char **out) {
  *out = strdup(tok);
  return *out ? 0 : CAPZ_ENOMEM;
}

static void wait_cv(capz_az_token_cache *c) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += 1; /* bounded wait; the loop re-checks */
  pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

int az_token_cache_get(capz_az_token_cache *c, const char *key, const char *rejected, az_fetch_fn fetch, void *ud,
                       char **out, capz_err *err) {
  return az_token_cache_get_ex(c, key, rejected, fetch, ud, out, NULL, NULL, err);
}

static int served(const tc_entry *e, char **out, int64_t *expires_unix, int64_t *refresh_unix) {
  if (expires_unix) *expires_unix = (int64_t)e->wall_expires;
  if (refresh_unix) *refresh_unix = (int64_t)(e->wall_refresh + 0.999); /* never before the cache would refresh */
  return copy_out(e->token, out);
}

int az_token_cache_get_ex(capz_az_token_cache *c, const char *key, const char *rejected, az_fetch_fn fetch, void *ud,
                          char **out, int64_t *expires_unix, int64_t *refresh_unix, capz_err *err) {
  *out = NULL;
  pthread_mutex_lock(&c->mu);
  uint64_t waited_gen = 0;
  bool waited = false;
  for (;;) {
    tc_entry *e = lookup(c, key);
    if (!e) {
      e = calloc(1, sizeof *e);
      if (!e) {
        pthread_mutex_unlock(&c->mu);
        return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
      }
      az_strlcpy(e->key, key, sizeof e->key);
      push_front(c, e);
      c->size++;
      evict(c);
    }
    double now = az_clock(c->clock, c->clock_ud);
    bool valid = e->token && now < e->expires_at && !(rejected && strcmp(e->token, rejected) == 0);
    if (valid && now < e->refresh_at) {
      c->st.hits++;
      int rc = served(e, out, expires_unix, refresh_unix);
      pthread_mutex_unlock(&c->mu);
      return rc ? az_err(err, rc, 0, NULL, "out of memory") : 0;
    }
    if (e->fetching) {
      if (valid) { /* someone is refreshing; the current token is still good */
        c->st.hits++;
        int rc = served(e, out, expires_unix, refresh_unix);
        pthread_mutex_unlock(&c->mu);
        return rc ? az_err(err, rc, 0, NULL, "out of memory") : 0;
      }
      if (!waited) {
        waited = true;
        waited_gen = e->gen;
        c->st.waits++;
      }
      wait_cv(c);
      continue;
    }
    if (waited && e->gen != waited_gen && e->last_rc != 0) {
      /* the fetch we waited for failed: share its error instead of hammering the endpoint */
      int rc = e->last_rc;
      if (err) *err = e->last_err;
      pthread_mutex_unlock(&c->mu);
      return rc;
    }
    /* we fetch */
    e->fetching = true;
    c->st.fetches++;
    pthread_mutex_unlock(&c->mu);
    char *tok = NULL;
    double lifetime = 0;
    capz_err ferr;
    capz_err_clear(&ferr);
    int rc = fetch(ud, &tok, &lifetime, &ferr);
    pthread_mutex_lock(&c->mu);
    double t0 = az_clock(c->clock, c->clock_ud);
    e->fetching = false;
    e->gen++;
    e->last_rc = rc;
    e->last_err = ferr;
    if (rc == 0 && tok) {
      az_free_secret(e->token);
      e->token = tok;
      e->expires_at = az_token_expires_at(t0, lifetime);
      e->refresh_at = az_token_refresh_at(t0, lifetime);
      double wall = az_now_wall();
      e->wall_expires = wall + lifetime;
      e->wall_refresh = wall + (e->refresh_at - t0);
      rc = served(e, out, expires_unix, refresh_unix);
      if (rc) az_err(&ferr, rc, 0, NULL, "out of memory");
    } else {
      c->st.fetch_errors++;
      az_free_secret(tok);
      if (rc == 0) rc = az_err(&ferr, CAPZ_EINTERNAL, 0, NULL, "token fetch returned no token");
      e->last_rc = rc;
      e->last_err = ferr;
      bool still_valid = e->token && t0 < e->expires_at && !(rejected && strcmp(e->token, rejected) == 0);
      /* refresh failed early: keep using the old one; a caller that comes back at refresh_unix retries after a
       * quarter of the remaining life rather than at once */
      if (still_valid && served(e, out, expires_unix, refresh_unix) == 0) {
        rc = 0;
        if (refresh_unix) {
          double wall = az_now_wall(), left = e->wall_expires - wall;
          *refresh_unix = (int64_t)(wall + (left / 4 > 1 ? left / 4 : 1) + 0.999);
        }
      }
    }
    evict(c);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (rc && err) *err = ferr;
    return rc;
  }
}
