/* rt_leader.c — see rt_leader.h. */
#include "runtime/rt_leader.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "capz/controller.h"
#include "capz/json.h"

struct rt_leader {
  capz_kube_client *c;
  char ns[64], name[254], id[254];
  int64_t lease_ms, renew_ms, retry_ms;
  void (*cb)(void *, bool);
  void *ud;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop, leading, lost;
  char observed[512]; /* holder|renewTime|rv last seen */
  int64_t observed_at;
  char path[512];
};

static void micro_time(char *out, size_t n) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, n, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static cJSON *lease_body(rt_leader *l, const cJSON *old, bool release) {
  char now[40];
  micro_time(now, sizeof now);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "apiVersion", "coordination.k8s.io/v1");
  cJSON_AddStringToObject(o, "kind", "Lease");
  cJSON *md = cJSON_AddObjectToObject(o, "metadata");
  cJSON_AddStringToObject(md, "name", l->name);
  cJSON_AddStringToObject(md, "namespace", l->ns);
  const char *rv = capz_json_ptr_str(old, "/metadata/resourceVersion", NULL);
  if (rv) cJSON_AddStringToObject(md, "resourceVersion", rv);
  cJSON *sp = cJSON_AddObjectToObject(o, "spec");
  const char *holder = capz_json_ptr_str(old, "/spec/holderIdentity", "");
  int64_t transitions = capz_json_ptr_int(old, "/spec/leaseTransitions", 0);
  bool mine = strcmp(holder, l->id) == 0;
  cJSON_AddStringToObject(sp, "holderIdentity", release ? "" : l->id);
  cJSON_AddNumberToObject(sp, "leaseDurationSeconds", release ? 1 : (double)((l->lease_ms + 999) / 1000));
  const char *acq = capz_json_ptr_str(old, "/spec/acquireTime", NULL);
  cJSON_AddStringToObject(sp, "acquireTime", mine && acq ? acq : now);
  cJSON_AddStringToObject(sp, "renewTime", now);
  cJSON_AddNumberToObject(sp, "leaseTransitions", (double)(mine || !old ? transitions : transitions + 1));
  return o;
}

/* One attempt to acquire or renew. Returns true when we hold the lease afterwards. */
static bool try_acquire(rt_leader *l) {
  cJSON *cur = NULL;
  capz_err e;
  int rc = capz_kube_request_unfenced(l->c, "GET", l->path, NULL, NULL, &cur, &e);
  if (rc == CAPZ_ENOTFOUND) {
    cJSON *b = lease_body(l, NULL, false);
    char coll[512];
    snprintf(coll, sizeof coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns);
    rc = capz_kube_request_unfenced(l->c, "POST", coll, "application/json", b, NULL, &e);
    cJSON_Delete(b);
    return rc == 0;
  }
  if (rc) return false;
  const char *holder = capz_json_ptr_str(cur, "/spec/holderIdentity", "");
  char obs[512];
  snprintf(obs, sizeof obs, "%s|%s|%s", holder, capz_json_ptr_str(cur, "/spec/renewTime", ""),
           capz_json_ptr_str(cur, "/metadata/resourceVersion", ""));
  int64_t now = capz_monotonic_ms();
  if (strcmp(obs, l->observed) != 0) {
    snprintf(l->observed, sizeof l->observed, "%s", obs);
    l->observed_at = now;
  }
  int64_t dur_ms = capz_json_ptr_int(cur, "/spec/leaseDurationSeconds", l->lease_ms / 1000) * 1000;
  bool mine = strcmp(holder, l->id) == 0;
  if (!mine && *holder && now < l->observed_at + dur_ms) {
    cJSON_Delete(cur);
    return false; /* someone else holds an unexpired lease */
  }
  if (mine == false && l->leading) {
    cJSON_Delete(cur);
    return false; /* we were leading but the record names someone else: lost */
  }
  cJSON *b = lease_body(l, cur, false);
  rc = capz_kube_request_unfenced(l->c, "PUT", l->path, "application/json", b, NULL, &e);
  cJSON_Delete(b);
  cJSON_Delete(cur);
  return rc == 0;
}

static bool wait_or_stop(rt_leader *l, int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&l->mu);
  while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &ts) != ETIMEDOUT) {
  }
  bool s = l->stop;
  pthread_mutex_unlock(&l->mu);
  return s;
}

static void *leader_main(void *arg) {
  rt_leader *l = arg;
  unsigned seed = (unsigned)(uintptr_t)l;
  /* Campaign. */
  for (;;) {
    if (try_acquire(l)) break;
    /* client-go jitters the retry by up to 20% */
    if (wait_or_stop(l, l->retry_ms + (int64_t)(rand_r(&seed) % (unsigned)(l->retry_ms / 5 + 1)))) return NULL;
  }
  pthread_mutex_lock(&l->mu);
  l->leading = true;
  pthread_mutex_unlock(&l->mu);
  capz_kube_client_set_fence(l->c, false);
  if (l->cb) l->cb(l->ud, true);
  /* Renew until we cannot within the renew deadline. */
  int64_t last_ok = capz_monotonic_ms();
  for (;;) {
    if (wait_or_stop(l, l->retry_ms)) return NULL;
    if (try_acquire(l)) {
      last_ok = capz_monotonic_ms();
      continue;
    }
    /* A record naming someone else means the lease is gone now; otherwise keep trying until the deadline. */
    bool taken = strncmp(l->observed, l->id, strlen(l->id)) != 0 || l->observed[strlen(l->id)] != '|';
    if (taken || capz_monotonic_ms() - last_ok >= l->renew_ms) break;
  }
  capz_kube_client_set_fence(l->c, true); /* first: no write may follow the loss */
  pthread_mutex_lock(&l->mu);
  l->leading = false;
  l->lost = true;
  pthread_mutex_unlock(&l->mu);
  if (l->cb) l->cb(l->ud, false);
  return NULL;
}

int rt_leader_start(capz_kube_client *c, const rt_leader_opts *o, rt_leader **out, capz_err *err) {
  rt_leader *l = calloc(1, sizeof *l);
  if (!l) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  l->c = c;
  snprintf(l->ns, sizeof l->ns, "%s", o->ns);
  snprintf(l->name, sizeof l->name, "%s", o->name);
  snprintf(l->id, sizeof l->id, "%s", o->identity);
  l->lease_ms = o->lease_ms;
  l->renew_ms = o->renew_deadline_ms;
  l->retry_ms = o->retry_ms;
  l->cb = o->on_change;
  l->ud = o->ud;
  snprintf(l->path, sizeof l->path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s", l->ns, l->name);
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  capz_kube_client_set_fence(c, true); /* not leading yet */
  if (pthread_create(&l->th, NULL, leader_main, l) != 0) {
    free(l);
    return capz_err_set(err, CAPZ_EINTERNAL, "leader election: cannot start thread");
  }
  *out = l;
  return 0;
}

bool rt_leader_leading(rt_leader *l) {
  pthread_mutex_lock(&l->mu);
  bool v = l->leading;
  pthread_mutex_unlock(&l->mu);
  return v;
}

bool rt_leader_lost(rt_leader *l) {
  pthread_mutex_lock(&l->mu);
  bool v = l->lost;
  pthread_mutex_unlock(&l->mu);
  return v;
}

void rt_leader_stop(rt_leader *l, bool release) {
  if (!l) return;
  pthread_mutex_lock(&l->mu);
  l->stop = true;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->th, NULL);
  if (release && l->leading) {
    cJSON *cur = NULL;
    if (capz_kube_request_unfenced(l->c, "GET", l->path, NULL, NULL, &cur, NULL) == 0 &&
        strcmp(capz_json_ptr_str(cur, "/spec/holderIdentity", ""), l->id) == 0) {
      cJSON *b = lease_body(l, cur, true);
      capz_kube_request_unfenced(l->c, "PUT", l->path, "application/json", b, NULL, NULL);
      cJSON_Delete(b);
    }
    cJSON_Delete(cur);
  }
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l);
}
