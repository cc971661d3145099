/* sm_watch.c — when every AzureCluster and AzureMachine appeared, became Ready (status.ready) and went away, from
 * a watch per kind (event time in the bench's clock: finer than the objects' one-second timestamps). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "sm_scale.h"

static const capz_gvk GVK_AC = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureCluster", "azureclusters", true};
static const capz_gvk GVK_AM = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureMachine", "azuremachines", true};

int sm_cluster_index(const char *name) {
  int i = -1;
  if (strncmp(name, "sm", 2) != 0 || sscanf(name + 2, "%5d", &i) != 1) return -1;
  return i;
}

void sm_cluster_name(int i, char *out, size_t n) { snprintf(out, n, "sm%05d", i); }

static size_t hash(const char *s) {
  size_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* The machine's slot (created empty when absent), or NULL when the table is full. Caller holds mu. */
static smw_obj *machine_slot(smw *w, const char *name) {
  size_t i = hash(name) % w->mcap;
  for (size_t k = 0; k < w->mcap; k++, i = (i + 1) % w->mcap) {
    smw_obj *o = &w->machines[i];
    if (!o->name[0]) {
      snprintf(o->name, sizeof o->name, "%s", name);
      o->cluster = -1;
      o->created = o->ready = o->deleted = -1;
      w->mcount++;
      return o;
    }
    if (strcmp(o->name, name) == 0) return o;
  }
  return NULL;
}

typedef struct watch_ctx {
  smw *w;
  bool machines;
  char rv[64];
} watch_ctx;

static void observe(watch_ctx *x, capz_watch_event ev, const cJSON *obj) {
  smw *w = x->w;
  const char *name = capz_json_ptr_str(obj, "/metadata/name", "");
  double t = bench_now() - w->t0;
  pthread_mutex_lock(&w->mu);
  smw_obj *o = NULL;
  if (!x->machines) {
    int i = sm_cluster_index(name);
    if (i >= 0 && i < w->n_clusters) o = &w->clusters[i];
  } else if (*name) {
    o = machine_slot(w, name);
    if (o && o->cluster < 0) {
      const char *cl = capz_json_ptr_str(obj, "/metadata/labels/cluster.x-k8s.io~1cluster-name", "");
      o->cluster = sm_cluster_index(cl);
    }
  }
  if (o) {
    if (o->created < 0) o->created = t;
    if (ev == CAPZ_EV_DELETED) {
      if (o->deleted < 0) {
        o->deleted = t;
        if (x->machines) w->machines_gone++;
        else w->cluster_gone++;
      }
    } else if (o->ready < 0 && capz_json_ptr_bool(obj, "/status/ready", false)) {
      o->ready = t;
      if (x->machines) w->machines_ready++;
      else w->cluster_ready++;
    }
  }
  pthread_mutex_unlock(&w->mu);
}

static int on_event(void *ud, capz_watch_event ev, cJSON *obj) {
  watch_ctx *x = ud;
  if (ev == CAPZ_EV_ERROR) {
    x->rv[0] = '\0'; /* e.g. 410 Gone: relist */
    return -1;
  }
  const char *rv = capz_json_ptr_str(obj, "/metadata/resourceVersion", "");
  if (*rv) snprintf(x->rv, sizeof x->rv, "%s", rv);
  if (ev != CAPZ_EV_BOOKMARK) observe(x, ev, obj);
  return 0;
}

static int relist(watch_ctx *x) {
  cJSON *l = NULL;
  capz_err err;
  if (capz_kube_list(x->w->c, x->machines ? &GVK_AM : &GVK_AC, BENCH_NS, NULL, &l, &err) != 0) return -1;
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l, "items")) observe(x, CAPZ_EV_ADDED, it);
  snprintf(x->rv, sizeof x->rv, "%s", capz_json_ptr_str(l, "/metadata/resourceVersion", ""));
  cJSON_Delete(l);
  return 0;
}

static void *watch_thread(void *arg) {
  watch_ctx *x = arg;
  smw *w = x->w;
  while (!w->stop) {
    if (!x->rv[0] && relist(x) != 0) {
      bench_sleep(0.5);
      continue;
    }
    capz_watch_opts wo = {.resource_version = x->rv, .bookmarks = true, .timeout_seconds = 60, .cancel = &w->stop};
    capz_err err;
    int rc = capz_kube_watch(w->c, x->machines ? &GVK_AM : &GVK_AC, BENCH_NS, &wo, on_event, x, &err);
    if (rc != 0 && !w->stop) {
      x->rv[0] = '\0';
      bench_sleep(0.2);
    }
  }
  free(x);
  return NULL;
}

int smw_start(smw *w, capz_kube_client *c, int n_clusters, size_t max_machines, double t0) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->mu, NULL);
  w->c = c;
  w->t0 = t0;
  w->n_clusters = n_clusters;
  w->mcap = max_machines * 2 + 64;
  w->clusters = calloc((size_t)n_clusters, sizeof *w->clusters);
  w->machines = calloc(w->mcap, sizeof *w->machines);
  if (!w->clusters || !w->machines) return -1;
  for (int i = 0; i < n_clusters; i++) {
    sm_cluster_name(i, w->clusters[i].name, sizeof w->clusters[i].name);
    w->clusters[i].cluster = i;
    w->clusters[i].created = w->clusters[i].ready = w->clusters[i].deleted = -1;
  }
  for (int k = 0; k < 2; k++) {
    watch_ctx *x = calloc(1, sizeof *x);
    if (!x) return -1;
    x->w = w;
    x->machines = k == 1;
    if (pthread_create(&w->th[k], NULL, watch_thread, x) != 0) {
      free(x);
      return -1;
    }
    w->running++;
  }
  return 0;
}

void smw_stop(smw *w) {
  w->stop = 1;
  for (int k = 0; k < w->running; k++) pthread_join(w->th[k], NULL);
  w->running = 0;
  free(w->clusters);
  free(w->machines);
  w->clusters = w->machines = NULL;
  pthread_mutex_destroy(&w->mu);
}
