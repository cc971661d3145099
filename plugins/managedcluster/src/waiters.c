/* waiters.c — objects waiting on their cluster's other objects (see mc_plugin.h). Why in memory: a watch's map
 * callback (plugin.c) must find, from one changed object, the waiting objects of the same cluster without a cache
 * scan on the informer thread; only waiting objects are listed (normally none), and after a restart each waiter
 * records itself again on its first reconcile. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mc_plugin.h"

typedef struct waiter {
  char ns[CAPZ_NS_MAX];
  char cluster[CAPZ_NAME_MAX];
  char name[CAPZ_NAME_MAX];
} waiter;

struct mc_waiters {
  pthread_mutex_t mu;
  waiter *v;
  size_t n, cap;
};

mc_waiters *mc_waiters_new(void) {
  mc_waiters *w = calloc(1, sizeof *w);
  if (w) pthread_mutex_init(&w->mu, NULL);
  return w;
}

void mc_waiters_free(mc_waiters *w) {
  if (!w) return;
  pthread_mutex_destroy(&w->mu);
  free(w->v);
  free(w);
}

static bool fits(const char *s, size_t n) { return s && strlen(s) < n; }

void mc_waiters_set(mc_waiters *w, const char *ns, const char *cluster, const char *name, bool waiting) {
  if (!w || !fits(ns, CAPZ_NS_MAX) || !fits(cluster, CAPZ_NAME_MAX) || !fits(name, CAPZ_NAME_MAX)) return;
  pthread_mutex_lock(&w->mu);
  size_t i = 0;
  while (i < w->n && !(strcmp(w->v[i].ns, ns) == 0 && strcmp(w->v[i].name, name) == 0)) i++;
  if (!waiting) {
    if (i < w->n) w->v[i] = w->v[--w->n];
  } else {
    if (i == w->n && w->n == w->cap) {
      size_t nc = w->cap ? w->cap * 2 : 8;
      waiter *nv = realloc(w->v, nc * sizeof *nv);
      if (nv) w->v = nv, w->cap = nc;
    }
    if (i < w->cap) {
      if (i == w->n) w->n++;
      strcpy(w->v[i].ns, ns);
      strcpy(w->v[i].cluster, cluster);
      strcpy(w->v[i].name, name);
    }
  }
  pthread_mutex_unlock(&w->mu);
}

size_t mc_waiters_of(mc_waiters *w, const char *ns, const char *cluster, const char *except, capz_key *out,
                          size_t max) {
  if (!w || !ns) return 0;
  size_t n = 0;
  pthread_mutex_lock(&w->mu);
  for (size_t i = 0; i < w->n && n < max; i++) {
    if (strcmp(w->v[i].ns, ns) != 0 || (cluster && strcmp(w->v[i].cluster, cluster) != 0)) continue;
    if (except && strcmp(w->v[i].name, except) == 0) continue;
    memset(&out[n], 0, sizeof out[n]);
    strcpy(out[n].ns, w->v[i].ns);
    strcpy(out[n].name, w->v[i].name);
    n++;
  }
  pthread_mutex_unlock(&w->mu);
  return n;
}
