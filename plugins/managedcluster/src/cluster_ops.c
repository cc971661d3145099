/* cluster_ops.c — which pool of a managed cluster has an agentPool operation running. AKS runs one operation per
 * cluster at a time and refuses the others with 409 (OperationNotAllowed / AnotherOperationInProgress); without this
 * note, sibling pools created together each paid a GET + a failed PUT every 2 s until the running one finished
 * (a third of all writes at 20 clusters). With it they take turns: a pool writes only while it holds its cluster's
 * note, and one that finds the note held by a sibling waits without calling ARM. In memory only: after a restart,
 * or against another writer, a 409 still happens once and sets a backoff note. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_plugin.h"

typedef struct op_note {
  struct op_note *next;
  char *cluster; /* managedCluster ARM id */
  char *owner;   /* the pool (namespace/name) holding the turn; "" = unknown writer (backoff after a 409) */
  double until;  /* monotonic seconds: the note lapses then (an owner that vanished cannot block forever) */
} op_note;

struct mc_cluster_ops {
  pthread_mutex_t mu;
  op_note *head;
};

mc_cluster_ops *mc_cluster_ops_new(void) {
  mc_cluster_ops *o = calloc(1, sizeof *o);
  if (o) pthread_mutex_init(&o->mu, NULL);
  return o;
}

static void note_free(op_note *n) {
  free(n->cluster);
  free(n->owner);
  free(n);
}

void mc_cluster_ops_free(mc_cluster_ops *o) {
  if (!o) return;
  for (op_note *n = o->head, *nx; n; n = nx) {
    nx = n->next;
    note_free(n);
  }
  pthread_mutex_destroy(&o->mu);
  free(o);
}

/* The cluster's note (lapsed ones are dropped on the way); caller holds mu. */
static op_note **find(mc_cluster_ops *o, const char *cluster, double now) {
  for (op_note **p = &o->head; *p;) {
    if ((*p)->until <= now) {
      op_note *d = *p;
      *p = d->next;
      note_free(d);
      continue;
    }
    if (strcasecmp((*p)->cluster, cluster) == 0) return p;
    p = &(*p)->next;
  }
  return NULL;
}

static int set(mc_cluster_ops *o, const char *cluster, const char *owner, double until, double now) {
  op_note **p = find(o, cluster, now);
  op_note *n = p ? *p : calloc(1, sizeof *n);
  if (!n) return -1;
  char *ow = strdup(owner);
  if (!ow) {
    if (!p) free(n);
    return -1;
  }
  if (!p) {
    n->cluster = strdup(cluster);
    if (!n->cluster) {
      free(ow);
      free(n);
      return -1;
    }
    n->next = o->head;
    o->head = n;
  }
  free(n->owner);
  n->owner = ow;
  n->until = until;
  return 0;
}

bool mc_cluster_ops_claim(mc_cluster_ops *o, const char *cluster, const char *pool, double now, double hold_s,
                          double *wait_s) {
  bool ok = true;
  pthread_mutex_lock(&o->mu);
  op_note **p = find(o, cluster, now);
  if (p && strcmp((*p)->owner, pool) != 0) {
    ok = false;
    if (wait_s) *wait_s = (*p)->until - now;
  } else if (set(o, cluster, pool, now + hold_s, now) != 0) {
    ok = true; /* out of memory: write without the note (AKS's 409 still protects the cluster) */
  }
  pthread_mutex_unlock(&o->mu);
  return ok;
}

void mc_cluster_ops_release(mc_cluster_ops *o, const char *cluster, const char *pool, double now) {
  pthread_mutex_lock(&o->mu);
  op_note **p = find(o, cluster, now);
  if (p && strcmp((*p)->owner, pool) == 0) {
    op_note *d = *p;
    *p = d->next;
    note_free(d);
  }
  pthread_mutex_unlock(&o->mu);
}

void mc_cluster_ops_backoff(mc_cluster_ops *o, const char *cluster, double now, double for_s) {
  pthread_mutex_lock(&o->mu);
  (void)set(o, cluster, "", now + for_s, now);
  pthread_mutex_unlock(&o->mu);
}
