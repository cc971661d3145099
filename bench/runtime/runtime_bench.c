/* runtime_bench.c — the controller runtime with N objects (default 10,000) against capz-kube-sim:
 *   1. cache footprint: RSS growth per cached object of a standalone informer, and the cache's own accounting;
 *   2. first start: time to ready and converging throughput (each reconcile writes status once);
 *   3. restart: time to ready and no-op reconcile throughput (nothing to write), API requests per reconcile;
 *   4. changes: M spec updates, API requests per reconcile.
 * Usage: runtime_bench [N] [M]   (env CAPZ_BUILD_DIR locates bin/capz-kube-sim) */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capz/controller.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "capz/metrics.h"
#include "capz/sdk.h"
#include "runtime/runtime.h"
#include "simproc.h"
#include "widget_plugin.h"

static simproc sim;
static capz_kube_client *cl;

/* Steady-state RSS: give freed heap (e.g. the transient list response) back to the OS first. */
static long rss_kib(void) {
  malloc_trim(0);
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) v = atol(line + 6);
  if (f) fclose(f);
  return v;
}

static const char *CRD =
    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":"
    "\"widgets.test.capz.io\"},\"spec\":{\"group\":\"test.capz.io\",\"names\":{\"kind\":\"Widget\",\"plural\":"
    "\"widgets\",\"singular\":\"widget\",\"listKind\":\"WidgetList\"},\"scope\":\"Namespaced\",\"versions\":[{"
    "\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":{"
    "\"openAPIV3Schema\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}]}}";

/* A Widget shaped like a typical CAPI infra object: labels, an owner reference, a handful of spec fields. */
static cJSON *widget(int i) {
  char buf[1400];
  snprintf(buf, sizeof buf,
           "{\"apiVersion\":\"test.capz.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"widget-%05d\","
           "\"namespace\":\"default\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"cluster-%d\","
           "\"cluster.x-k8s.io/deployment-name\":\"md-%d\",\"app\":\"bench\"},\"annotations\":{"
           "\"cluster.x-k8s.io/cloned-from-name\":\"template-%d\"},\"ownerReferences\":[{\"apiVersion\":"
           "\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Machine\",\"name\":\"machine-%05d\",\"uid\":"
           "\"6f1c3a52-1d2e-4b8f-9a7e-%012d\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
           "\"spec\":{\"mode\":\"status\",\"value\":1,\"vmSize\":\"Standard_D4s_v3\",\"location\":\"westeurope\","
           "\"image\":{\"marketplace\":{\"publisher\":\"cncf-upstream\",\"offer\":\"capi\",\"sku\":"
           "\"ubuntu-2204-gen1\",\"version\":\"130.3.20240717\"}},\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":128,"
           "\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"}},\"sshPublicKey\":\"\","
           "\"providerID\":\"azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-%d/"
           "providers/Microsoft.Compute/virtualMachines/widget-%05d\"}}",
           i, i % 50, i % 200, i % 10, i, i, i % 50, i);
  return cJSON_Parse(buf);
}

typedef struct rt_thread {
  pthread_t th;
  host_runtime_opts o;
  wp_state st;
  const capz_plugin *plugins[1];
  void *states[1];
  volatile sig_atomic_t stop;
  int rc;
  char metrics[128];
  char health[128];
} rt_thread;

static void on_listening(void *ud, const char *h, const char *m) {
  rt_thread *t = ud;
  snprintf(t->health, sizeof t->health, "%s", h ? h : "");
  snprintf(t->metrics, sizeof t->metrics, "%s", m ? m : "");
}

/* Seconds from t0 until /readyz answers 200 (polled with the curl tool every 10 ms). */
static double wait_ready(rt_thread *t, double t0) {
  char cmd[300];
  for (int i = 0; i < 30000; i++) {
    if (*t->health) {
      snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w '%%{http_code}' %s/readyz", t->health);
      FILE *p = popen(cmd, "r");
      char code[8] = "";
      if (p) {
        if (!fgets(code, sizeof code, p)) code[0] = '\0';
        pclose(p);
      }
      if (strcmp(code, "200") == 0) return (double)capz_monotonic_ms() / 1000.0 - t0;
    }
    usleep(10000);
  }
  return -1;
}

static void *rt_main(void *arg) {
  rt_thread *t = arg;
  capz_err e;
  t->rc = host_runtime_run(&t->o, t->plugins, t->states, 1, &t->stop, &e);
  if (t->rc) fprintf(stderr, "runtime: %s\n", e.msg);
  return NULL;
}

static void rt_start(rt_thread *t) {
  memset(t, 0, sizeof *t);
  wp_state_init(&t->st, "bench");
  t->plugins[0] = &widget_plugin;
  t->states[0] = &t->st;
  t->o.server_url = sim.url;
  t->o.kube_qps = 5000;
  t->o.kube_burst = 5000;
  t->o.metrics_addr = "127.0.0.1:0";
  t->o.health_addr = "127.0.0.1:0";
  t->o.on_listening = on_listening;
  t->o.ud = t;
  pthread_create(&t->th, NULL, rt_main, t);
}

/* Sum of rest_client_requests_total in the process-wide metrics registry the runtime serves. */
static double requests_total(rt_thread *t) {
  (void)t;
  char *text = capz_metrics_render(NULL, NULL);
  double sum = 0;
  for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
    if (strncmp(line, "rest_client_requests_total{", 27) == 0) sum += atof(strrchr(line, ' ') + 1);
  free(text);
  return sum;
}

static double wait_total(rt_thread *t, int want, double t0) {
  int64_t until = capz_monotonic_ms() + 300000;
  while (atomic_load(&t->st.total) < want && capz_monotonic_ms() < until) usleep(2000);
  if (atomic_load(&t->st.total) < want) fprintf(stderr, "timed out waiting for %d reconciles\n", want);
  return (double)(capz_monotonic_ms()) / 1000.0 - t0;
}

static void quiet(rt_thread *t, int ms) {
  int last = -1;
  while (atomic_load(&t->st.total) != last) {
    last = atomic_load(&t->st.total);
    usleep((useconds_t)ms * 1000);
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  int m = argc > 2 ? atoi(argv[2]) : 1000;
  capz_err e;
  if (capz_sdk_global_init(&e)) return 1;
  const char *simargs[] = {"--no-gc", NULL}; /* bench owners do not exist */
  if (simproc_start(&sim, simproc_bin("capz-kube-sim"), simargs) != 0) return 1;
  capz_kube_config *cfg;
  capz_kube_config_from_url(sim.url, &cfg, NULL);
  capz_kube_client_opts co = {.struct_size = sizeof co, .qps = 100000, .burst = 100000};
  capz_kube_client_new(cfg, &co, &cl, NULL);
  capz_gvk crd_gvk = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false};
  cJSON *crd = cJSON_Parse(CRD);
  if (capz_kube_create(cl, &crd_gvk, NULL, crd, NULL, &e)) {
    fprintf(stderr, "crd: %s\n", e.msg);
    return 1;
  }
  cJSON_Delete(crd);
  double t0 = (double)capz_monotonic_ms() / 1000.0;
  size_t json_bytes = 0;
  for (int i = 0; i < n; i++) {
    cJSON *w = widget(i);
    char *txt = cJSON_PrintUnformatted(w);
    json_bytes += strlen(txt);
    free(txt);
    if (capz_kube_create(cl, &WIDGET_GVK, "default", w, NULL, &e)) {
      fprintf(stderr, "create %d: %s\n", i, e.msg);
      return 1;
    }
    cJSON_Delete(w);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("objects: %d widgets created in %.2f s (avg JSON as created %zu bytes)\n", n,
         (double)capz_monotonic_ms() / 1000.0 - t0, json_bytes / (size_t)n);

  /* 1. cache footprint of one informer */
  long r0 = rss_kib();
  capz_informer *inf;
  t0 = (double)capz_monotonic_ms() / 1000.0;
  capz_informer_get(cl, &WIDGET_GVK, NULL, &inf, &e);
  capz_informer_start(inf, &e);
  capz_informer_wait_synced(inf, 120000);
  double sync_s = (double)capz_monotonic_ms() / 1000.0 - t0;
  usleep(200000);
  long r1 = rss_kib();
  capz_informer_stats st;
  capz_informer_get_stats(inf, &st);
  capz_obj_list l;
  capz_informer_list(inf, NULL, NULL, &l, NULL);
  size_t text = 0;
  for (size_t i = 0; i < l.n; i++) {
    size_t len;
    capz_obj_text(l.items[i], &len);
    text += len;
  }
  capz_obj_list_free(&l);
  printf("informer: synced %llu objects in %.3f s; RSS +%.0f bytes/object; cache accounting %.0f bytes/object "
         "(stored JSON %.0f bytes/object, overhead beyond JSON %.0f bytes/object)\n",
         (unsigned long long)st.objects, sync_s, (double)(r1 - r0) * 1024.0 / (double)st.objects,
         (double)st.bytes / (double)st.objects, (double)text / (double)st.objects,
         (double)(st.bytes - text) / (double)st.objects);
  capz_informer_release(inf);

  /* 2. first start: converge */
  rt_thread t;
  t0 = (double)capz_monotonic_ms() / 1000.0;
  rt_start(&t);
  double conv = wait_total(&t, n, t0);
  quiet(&t, 500);
  int total1 = atomic_load(&t.st.total);
  printf("first start: %d reconciles (each writes status once) in %.2f s = %.0f/s; %d reconciles in total after "
         "the status-write events\n",
         n, conv, n / conv, total1);
  t.stop = 1;
  pthread_join(t.th, NULL);

  /* 3. restart: all no-op */
  long r2 = rss_kib();
  double req_before = requests_total(&t);
  t0 = (double)capz_monotonic_ms() / 1000.0;
  rt_start(&t);
  double ready = wait_ready(&t, t0);
  double noop = wait_total(&t, n, t0);
  quiet(&t, 500);
  usleep(300000);
  long r3 = rss_kib();
  double req = requests_total(&t) - req_before;
  int total2 = atomic_load(&t.st.total);
  printf("restart: /readyz 200 after %.2f s (upper bound: curl polling)\n", ready);
  printf("restart: %d no-op reconciles done %.2f s after start = %.0f/s; API requests %.0f in total = %.3f per "
         "reconcile; runtime RSS +%.0f bytes/object\n",
         total2, noop, total2 / noop, req, req / total2,
         (double)(r3 - r2) * 1024.0 / n);

  /* 4. changes */
  double req0 = requests_total(&t);
  int base = atomic_load(&t.st.total);
  t0 = (double)capz_monotonic_ms() / 1000.0;
  for (int i = 0; i < m; i++) {
    char name[32], p[64];
    snprintf(name, sizeof name, "widget-%05d", i);
    snprintf(p, sizeof p, "{\"spec\":{\"value\":2}}");
    cJSON *pj = cJSON_Parse(p);
    capz_kube_patch(cl, &WIDGET_GVK, "default", name, CAPZ_PATCH_MERGE, pj, NULL, NULL, NULL);
    cJSON_Delete(pj);
  }
  quiet(&t, 500);
  /* The observer is process-wide: the bench's own m spec patches are counted too; take them out. */
  double req1 = requests_total(&t) - m;
  int recs = atomic_load(&t.st.total) - base;
  printf("changes: %d spec updates -> %d reconciles (%.2f s incl. settle), API requests %.0f = %.3f per reconcile, "
         "%.3f per change\n",
         m, recs, (double)capz_monotonic_ms() / 1000.0 - t0, req1 - req0, (req1 - req0) / recs, (req1 - req0) / m);
  t.stop = 1;
  pthread_join(t.th, NULL);
  capz_kube_client_free(cl);
  capz_kube_config_free(cfg);
  simproc_stop(&sim);
  capz_sdk_global_cleanup();
  return 0;
}
