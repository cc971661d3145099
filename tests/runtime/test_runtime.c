/* test_runtime.c — the host controller runtime against capz-kube-sim with a statically linked test plugin:
 * reconcile per change and none for no-op writes, secondary mapping, recovery after 410 and dropped watches,
 * backoff growth and reset, no concurrent reconcile of a key, ops endpoints, clean stop, leader election
 * (failover after SIGKILL; a loser never writes), watch-filter sharding, cache reads from the controller's own
 * watch informer when two controllers watch one kind with different selectors. */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capz/controller.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "capz/loader.h"
#include "capz/sdk.h"
#include "runtime/runtime.h"
#include "curlbuf.h"
#include "kubetest.h"
#include "widget_plugin.h"
#include "ckrun.h"

static kubetest g_k;
static capz_kube_client *g_c; /* g_k.client */
static const capz_gvk CM_GVK = {"", "v1", "ConfigMap", "configmaps", true};

static void setup(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  kubetest_start(&g_k, NULL);
  g_c = g_k.client;
  char *crd = kubetest_open_crd("test.capz.io", "Widget", "widgets");
  kubetest_create(&g_k, &KUBETEST_CRD_GVK, NULL, crd);
  free(crd);
}

static void teardown(void) {
  kubetest_stop(&g_k);
  capz_sdk_global_cleanup();
}

/* Poll every step_us microseconds while cond holds, for at most timeout_ms; the caller asserts the outcome. */
#define WAIT_WHILE(cond, timeout_ms, step_us)                                             \
  do {                                                                                    \
    int64_t until_ = capz_monotonic_ms() + (timeout_ms);                                  \
    while ((cond) && capz_monotonic_ms() < until_) usleep(step_us);                       \
  } while (0)

static void sim_post(const char *what) {
  char p[64];
  snprintf(p, sizeof p, "/_sim/%s", what);
  capz_err e;
  ck_assert_msg(capz_kube_request(g_c, "POST", p, NULL, NULL, NULL, &e) == 0, "%s", e.msg);
}

static void create_widget(const char *name, const char *mode, int value, const char *filter) {
  char buf[512];
  snprintf(buf, sizeof buf,
           "{\"apiVersion\":\"test.capz.io/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
           "\"default\"%s%s%s},\"spec\":{\"mode\":\"%s\",\"value\":%d}}",
           name, filter ? ",\"labels\":{\"cluster.x-k8s.io/watch-filter\":\"" : "", filter ? filter : "",
           filter ? "\"}" : "", mode, value);
  kubetest_create(&g_k, &WIDGET_GVK, "default", buf);
}

static void patch_spec(const char *name, const char *mode, int value) {
  char buf[256];
  snprintf(buf, sizeof buf, "{\"spec\":{\"mode\":\"%s\",\"value\":%d}}", mode, value);
  cJSON *p = cJSON_Parse(buf);
  capz_err e;
  ck_assert_msg(capz_kube_patch(g_c, &WIDGET_GVK, "default", name, CAPZ_PATCH_MERGE, p, NULL, NULL, &e) == 0, "%s",
                e.msg);
  cJSON_Delete(p);
}

static int64_t status_int(const char *name, const char *field) {
  cJSON *o = NULL;
  if (capz_kube_get(g_c, &WIDGET_GVK, "default", name, &o, NULL) != 0) return -1;
  char ptr[64];
  snprintf(ptr, sizeof ptr, "/status/%s", field);
  int64_t v = capz_json_ptr_int(o, ptr, -1);
  cJSON_Delete(o);
  return v;
}

static char *status_str(const char *name, const char *field) {
  cJSON *o = NULL;
  if (capz_kube_get(g_c, &WIDGET_GVK, "default", name, &o, NULL) != 0) return strdup("");
  char ptr[64];
  snprintf(ptr, sizeof ptr, "/status/%s", field);
  char *v = strdup(capz_json_ptr_str(o, ptr, ""));
  cJSON_Delete(o);
  return v;
}

static bool wait_observed(const char *name, int64_t want, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    if (status_int(name, "observed") == want) return true;
    usleep(20000);
  }
  return false;
}

/* ---- a runtime on a thread ---- */

typedef struct rt_thread {
  pthread_t th;
  host_runtime_opts o;
  wp_state st;
  const capz_plugin *plugins[1];
  void *states[1];
  volatile sig_atomic_t stop;
  int rc;
  capz_err err;
  char health[128], metrics[128];
  pthread_mutex_t mu;
} rt_thread;

static void on_listening(void *ud, const char *h, const char *m) {
  rt_thread *t = ud;
  pthread_mutex_lock(&t->mu);
  snprintf(t->health, sizeof t->health, "%s", h ? h : "");
  snprintf(t->metrics, sizeof t->metrics, "%s", m ? m : "");
  pthread_mutex_unlock(&t->mu);
}

static void *rt_main(void *arg) {
  rt_thread *t = arg;
  t->rc = host_runtime_run(&t->o, t->plugins, t->states, 1, &t->stop, &t->err);
  return NULL;
}

static void rt_start(rt_thread *t, const char *identity, const char *filter) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->mu, NULL);
  wp_state_init(&t->st, identity);
  t->plugins[0] = &widget_plugin;
  t->states[0] = &t->st;
  t->o.server_url = g_k.sim.url;
  t->o.kube_qps = 500;
  t->o.kube_burst = 500;
  t->o.watch_filter = filter;
  t->o.health_addr = "127.0.0.1:0";
  t->o.metrics_addr = "127.0.0.1:0";
  t->o.shutdown_grace_ms = 5000;
  t->o.on_listening = on_listening;
  t->o.ud = t;
  ck_assert_int_eq(pthread_create(&t->th, NULL, rt_main, t), 0);
}

static int rt_stop(rt_thread *t) {
  t->stop = 1;
  pthread_join(t->th, NULL);
  return t->rc;
}

static int total(rt_thread *t) { return atomic_load(&t->st.total); }

static void settle(rt_thread *t, int64_t quiet_ms, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  int last = total(t);
  int64_t since = capz_monotonic_ms();
  while (capz_monotonic_ms() < until) {
    usleep(20000);
    int now = total(t);
    if (now != last) {
      last = now;
      since = capz_monotonic_ms();
    } else if (capz_monotonic_ms() - since >= quiet_ms) {
      return;
    }
  }
}

/* GET base+path from an ops endpoint: 200 expected; the body (caller frees with curlbuf_free). */
static void ops_get(const char *base, const char *path, curlbuf *b) {
  char url[256];
  snprintf(url, sizeof url, "%s%s", base, path);
  ck_assert_int_eq(curlbuf_get(url, 5000, b), 200);
}

/* ---- tests ---- */

START_TEST(reconcile_per_change_none_for_noop) {
  rt_thread t;
  rt_start(&t, "solo", NULL);
  create_widget("w1", "status", 1, NULL);
  ck_assert(wait_observed("w1", 1, 10000));
  settle(&t, 500, 5000);
  int after_create = wp_stats(&t.st, "w1").count;
  /* create + our own status write: at most a couple of reconciles, then quiet */
  ck_assert_int_ge(after_create, 1);
  ck_assert_int_le(after_create, 3);
  usleep(600000);
  ck_assert_int_eq(wp_stats(&t.st, "w1").count, after_create); /* the no-op reconcile wrote nothing */
  /* a no-op write from a client: no event, no reconcile */
  patch_spec("w1", "status", 1);
  usleep(500000);
  ck_assert_int_eq(wp_stats(&t.st, "w1").count, after_create);
  /* a real change: reconciled, status follows */
  patch_spec("w1", "status", 2);
  ck_assert(wait_observed("w1", 2, 10000));
  settle(&t, 400, 5000);
  int after_change = wp_stats(&t.st, "w1").count;
  ck_assert_int_ge(after_change, after_create + 1);
  ck_assert_int_le(after_change, after_create + 2);
  /* deletion: reconciled once more, the object reads as not found */
  ck_assert_int_eq(capz_kube_delete(g_c, &WIDGET_GVK, "default", "w1", NULL, NULL), 0);
  WAIT_WHILE(wp_stats(&t.st, "w1").deleted_seen == 0, 5000, 20000);
  ck_assert_int_eq(wp_stats(&t.st, "w1").deleted_seen, 1);
  ck_assert_int_eq(rt_stop(&t), 0);
  ck_assert_int_eq(atomic_load(&t.st.concurrent_violations), 0);
}
END_TEST

START_TEST(secondary_owner_maps_to_primary) {
  rt_thread t;
  rt_start(&t, "solo", NULL);
  create_widget("w2", "status", 5, NULL);
  ck_assert(wait_observed("w2", 5, 10000));
  settle(&t, 400, 5000);
  int before = wp_stats(&t.st, "w2").count;
  cJSON *w = NULL;
  ck_assert_int_eq(capz_kube_get(g_c, &WIDGET_GVK, "default", "w2", &w, NULL), 0);
  char buf[512];
  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"name\":\"cm-of-w2\",\"namespace\":\"default\",\"ownerReferences\":[{\"apiVersion\":"
           "\"test.capz.io/v1\",\"kind\":\"Widget\",\"name\":\"w2\",\"uid\":\"%s\",\"controller\":true}]},"
           "\"data\":{\"a\":\"1\"}}",
           capz_json_ptr_str(w, "/metadata/uid", ""));
  cJSON_Delete(w);
  kubetest_create(&g_k, &CM_GVK, "default", buf);
  WAIT_WHILE(wp_stats(&t.st, "w2").count == before, 5000, 20000);
  ck_assert_int_eq(wp_stats(&t.st, "w2").count, before + 1);
  /* an unrelated ConfigMap wakes nobody */
  settle(&t, 300, 3000);
  int n = total(&t);
  kubetest_create(&g_k, &CM_GVK, "default", "{\"metadata\":{\"name\":\"unrelated\",\"namespace\":\"default\"}}");
  usleep(400000);
  ck_assert_int_eq(total(&t), n);
  ck_assert_int_eq(rt_stop(&t), 0);
}
END_TEST

START_TEST(recovers_after_410_and_dropped_watches) {
  rt_thread t;
  rt_start(&t, "solo", NULL);
  create_widget("w3", "status", 1, NULL);
  ck_assert(wait_observed("w3", 1, 10000));
  /* watches dropped: reconnect from the last resourceVersion */
  sim_post("drop-watches");
  patch_spec("w3", "status", 2);
  ck_assert(wait_observed("w3", 2, 10000));
  /* history compacted and watches dropped: the re-watch gets 410, the informer relists */
  create_widget("w3b", "status", 7, NULL);
  ck_assert(wait_observed("w3b", 7, 10000));
  usleep(200000);
  sim_post("compact");
  sim_post("drop-watches");
  patch_spec("w3", "status", 3);
  ck_assert_int_eq(capz_kube_delete(g_c, &WIDGET_GVK, "default", "w3b", NULL, NULL), 0);
  ck_assert(wait_observed("w3", 3, 15000));
  WAIT_WHILE(wp_stats(&t.st, "w3b").deleted_seen == 0, 10000, 20000);
  ck_assert_int_ge(wp_stats(&t.st, "w3b").deleted_seen, 1); /* the relist noticed the deletion */
  ck_assert_int_eq(rt_stop(&t), 0);
}
END_TEST

START_TEST(backoff_grows_and_resets) {
  rt_thread t;
  rt_start(&t, "solo", NULL);
  create_widget("w4", "retry", 1, NULL);
  WAIT_WHILE(wp_stats(&t.st, "w4").count < 9, 10000, 20000);
  wp_key_stats k = wp_stats(&t.st, "w4");
  ck_assert_int_ge(k.count, 9);
  /* intervals double: 5, 10, 20, 40, 80, 160, 320 ms ... */
  int64_t d7 = k.times[8] - k.times[7], d2 = k.times[3] - k.times[2];
  ck_assert_int_ge(d7, 500);   /* expected ~640 ms */
  ck_assert_int_le(d2, 200);   /* expected ~20 ms */
  ck_assert_int_gt(d7, 4 * d2);
  /* success forgets the failures; a new failure starts again at the base delay */
  patch_spec("w4", "status", 9);
  ck_assert(wait_observed("w4", 9, 10000));
  settle(&t, 300, 5000);
  int base = wp_stats(&t.st, "w4").count;
  patch_spec("w4", "retry", 10);
  WAIT_WHILE(wp_stats(&t.st, "w4").count < base + 3, 5000, 5000);
  k = wp_stats(&t.st, "w4");
  ck_assert_int_ge(k.count, base + 3);
  if (base + 2 < WP_MAX_TIMES) ck_assert_int_le(k.times[base + 1] - k.times[base], 200); /* ~5 ms, not seconds */
  ck_assert_int_eq(rt_stop(&t), 0);
}
END_TEST

START_TEST(no_concurrent_reconcile_of_a_key) {
  rt_thread t;
  rt_start(&t, "solo", NULL);
  create_widget("w5", "slow", 0, NULL);
  create_widget("w6", "slow", 0, NULL);
  for (int i = 1; i <= 15; i++) {
    patch_spec("w5", "slow", i);
    patch_spec("w6", "slow", i);
    usleep(20000);
  }
  ck_assert(wait_observed("w5", 15, 15000));
  ck_assert(wait_observed("w6", 15, 15000));
  ck_assert_int_eq(rt_stop(&t), 0);
  ck_assert_int_eq(atomic_load(&t.st.concurrent_violations), 0);
  /* updates arriving while a reconcile ran were merged: fewer reconciles than writes */
  ck_assert_int_lt(wp_stats(&t.st, "w5").count, 30);
}
END_TEST

START_TEST(ops_endpoints_and_metrics) {
  rt_thread t;
  rt_start(&t, "solo", NULL);
  create_widget("w7", "status", 1, NULL);
  create_widget("w8", "terminal", 1, NULL);
  ck_assert(wait_observed("w7", 1, 10000));
  settle(&t, 300, 5000);
  curlbuf b;
  pthread_mutex_lock(&t.mu);
  char health[128], metrics[128];
  snprintf(health, sizeof health, "%s", t.health);
  snprintf(metrics, sizeof metrics, "%s", t.metrics);
  pthread_mutex_unlock(&t.mu);
  ck_assert(*health && *metrics);
  ops_get(health, "/healthz", &b);
  curlbuf_free(&b);
  ops_get(health, "/readyz", &b);
  curlbuf_free(&b);
  ops_get(metrics, "/metrics", &b);
  ck_assert_ptr_nonnull(strstr(b.data, "controller_runtime_reconcile_total{controller=\"widget\",result=\"success\"}"));
  ck_assert_ptr_nonnull(strstr(b.data, "controller_runtime_reconcile_total{controller=\"widget\",result=\"terminal\"} 1"));
  ck_assert_ptr_nonnull(strstr(b.data, "controller_runtime_reconcile_time_seconds_bucket{controller=\"widget\""));
  ck_assert_ptr_nonnull(strstr(b.data, "workqueue_depth{name=\"widget\"} 0"));
  ck_assert_ptr_nonnull(strstr(b.data, "workqueue_adds_total{name=\"widget\"}"));
  ck_assert_ptr_nonnull(strstr(b.data, "rest_client_requests_total{code=\"200\",method=\"GET\""));
  ck_assert_ptr_nonnull(strstr(b.data, "rest_client_requests_total{code=\"200\",method=\"PATCH\""));
  curlbuf_free(&b);
  /* the terminal outcome became a Warning event on the object */
  cJSON *evs = NULL;
  capz_gvk ev = {"", "v1", "Event", "events", true};
  capz_list_opts lo = {.field_selector = "involvedObject.name=w8"};
  ck_assert_int_eq(capz_kube_list(g_c, &ev, "default", &lo, &evs, NULL), 0);
  const cJSON *items = cJSON_GetObjectItem(evs, "items");
  ck_assert_int_ge(cJSON_GetArraySize(items), 1);
  ck_assert_str_eq(capz_json_ptr_str(cJSON_GetArrayItem(items, 0), "/reason", ""), "InvalidConfiguration");
  cJSON_Delete(evs);
  ck_assert_int_eq(rt_stop(&t), 0);
}
END_TEST

START_TEST(watch_filter_shards) {
  rt_thread a, b;
  rt_start(&a, "a", "shard-a");
  rt_start(&b, "b", "shard-b");
  create_widget("wa", "status", 1, "shard-a");
  create_widget("wb", "status", 2, "shard-b");
  create_widget("wnone", "status", 3, NULL);
  ck_assert(wait_observed("wa", 1, 10000));
  ck_assert(wait_observed("wb", 2, 10000));
  usleep(300000);
  char *wa = status_str("wa", "writer"), *wb = status_str("wb", "writer");
  ck_assert_str_eq(wa, "a");
  ck_assert_str_eq(wb, "b");
  free(wa);
  free(wb);
  ck_assert_int_eq(wp_stats(&a.st, "wb").count, 0);
  ck_assert_int_eq(wp_stats(&b.st, "wa").count, 0);
  ck_assert_int_eq(wp_stats(&a.st, "wnone").count + wp_stats(&b.st, "wnone").count, 0);
  ck_assert_int_eq(status_int("wnone", "observed"), -1);
  ck_assert_int_eq(rt_stop(&a), 0);
  ck_assert_int_eq(rt_stop(&b), 0);
}
END_TEST

/* ---- mapping kinds: REFERENCED_BY (index on the primary), LABEL, REF_FIELD, FUNC ---- */

typedef struct map_state {
  pthread_mutex_t mu;
  char seen[64][64];
  int n;
} map_state;

static capz_outcome map_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)ctx, (void)res;
  map_state *m = state;
  pthread_mutex_lock(&m->mu);
  if (m->n < 64) snprintf(m->seen[m->n++], 64, "%.63s", key->name);
  pthread_mutex_unlock(&m->mu);
  return CAPZ_DONE;
}

static size_t map_fn(void *state, const cJSON *sec, capz_key *out, size_t max) {
  (void)state;
  const char *t = capz_json_ptr_str(sec, "/data/wake", NULL);
  if (!t || max < 1) return 0;
  snprintf(out[0].ns, sizeof out[0].ns, "default");
  snprintf(out[0].name, sizeof out[0].name, "%s", t);
  return 1;
}

static const capz_watch w_refby = {sizeof(capz_watch), {"", "v1", "ConfigMap", "configmaps", true},
                                   CAPZ_MAP_REFERENCED_BY, "/spec/configRef", NULL, "kind=config"};
static const capz_watch w_label = {sizeof(capz_watch), {"", "v1", "Secret", "secrets", true}, CAPZ_MAP_LABEL,
                                   "test.capz.io/widget", NULL, "test.capz.io/widget"};
static const capz_watch w_ref = {sizeof(capz_watch), {"", "v1", "ConfigMap", "configmaps", true},
                                 CAPZ_MAP_REF_FIELD, "/data/owner", NULL, "kind=pointer"};
static const capz_watch w_fn = {sizeof(capz_watch), {"", "v1", "ConfigMap", "configmaps", true}, CAPZ_MAP_FUNC, NULL,
                                map_fn, "kind=func"};
static const capz_watch *const map_secs[] = {&w_refby, &w_label, &w_ref, &w_fn, NULL};
static const capz_controller map_ctl = {sizeof(capz_controller), {"test.capz.io", "v1", "Widget", "widgets", true},
                                        map_secs, map_reconcile, 2, NULL, NULL};
static const capz_controller *const map_ctls[] = {&map_ctl, NULL};
static int map_init(const capz_plugin_config *c, void **s, capz_err *e) {
  (void)c, (void)s, (void)e;
  return 0;
}
static const capz_plugin map_plugin = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "mapper", "0", "",
                                       NULL, map_ctls, map_init, NULL};

static int map_count(map_state *m, const char *name) {
  int n = 0;
  pthread_mutex_lock(&m->mu);
  for (int i = 0; i < m->n; i++) n += strcmp(m->seen[i], name) == 0;
  pthread_mutex_unlock(&m->mu);
  return n;
}

static bool wait_count(map_state *m, const char *name, int want) {
  WAIT_WHILE(map_count(m, name) < want, 5000, 10000);
  return map_count(m, name) >= want;
}

static void *map_rt_main(void *arg) {
  void **a = arg;
  host_runtime_opts o = {.server_url = g_k.sim.url, .kube_qps = 500, .kube_burst = 500, .shutdown_grace_ms = 3000};
  const capz_plugin *plugins[] = {&map_plugin};
  void *states[] = {a[0]};
  capz_err e;
  *(int *)a[2] = host_runtime_run(&o, plugins, states, 1, (volatile sig_atomic_t *)a[1], &e);
  return NULL;
}

START_TEST(secondary_mapping_kinds) {
  map_state m;
  memset(&m, 0, sizeof m);
  pthread_mutex_init(&m.mu, NULL);
  volatile sig_atomic_t stop = 0;
  int rc = -1;
  void *args[] = {&m, (void *)&stop, &rc};
  pthread_t th;
  create_widget("p1", "status", 1, NULL);
  create_widget("p2", "status", 1, NULL);
  /* p1 references ConfigMap "shared-config" */
  cJSON *pp = cJSON_Parse("{\"spec\":{\"configRef\":{\"name\":\"shared-config\"}}}");
  ck_assert_int_eq(capz_kube_patch(g_c, &WIDGET_GVK, "default", "p1", CAPZ_PATCH_MERGE, pp, NULL, NULL, NULL), 0);
  cJSON_Delete(pp);
  pthread_create(&th, NULL, map_rt_main, args);
  ck_assert(wait_count(&m, "p1", 1));
  ck_assert(wait_count(&m, "p2", 1));
  usleep(300000);
  int p1 = map_count(&m, "p1"), p2 = map_count(&m, "p2");
  /* REFERENCED_BY: the referenced ConfigMap wakes p1 only */
  kubetest_create(&g_k, &CM_GVK, "default", "{\"metadata\":{\"name\":\"shared-config\",\"labels\":{\"kind\":\"config\"}}}");
  ck_assert(wait_count(&m, "p1", p1 + 1));
  usleep(200000);
  ck_assert_int_eq(map_count(&m, "p2"), p2);
  /* LABEL: a Secret labelled with p2's name wakes p2 */
  capz_gvk sec = {"", "v1", "Secret", "secrets", true};
  kubetest_create(&g_k, &sec, "default", "{\"metadata\":{\"name\":\"s\",\"labels\":{\"test.capz.io/widget\":\"p2\"}}}");
  ck_assert(wait_count(&m, "p2", p2 + 1));
  /* REF_FIELD: a string field naming the primary */
  p1 = map_count(&m, "p1");
  kubetest_create(&g_k, &CM_GVK, "default", "{\"metadata\":{\"name\":\"ptr\",\"labels\":{\"kind\":\"pointer\"}},\"data\":{\"owner\":\"p1\"}}");
  ck_assert(wait_count(&m, "p1", p1 + 1));
  /* FUNC: the plugin's callback decides */
  p2 = map_count(&m, "p2");
  kubetest_create(&g_k, &CM_GVK, "default", "{\"metadata\":{\"name\":\"fn\",\"labels\":{\"kind\":\"func\"}},\"data\":{\"wake\":\"p2\"}}");
  ck_assert(wait_count(&m, "p2", p2 + 1));
  stop = 1;
  pthread_join(th, NULL);
  ck_assert_int_eq(rc, 0);
}
END_TEST

/* ---- cache reads: each controller reads from its own watch's informer ---- */

/* Two controllers watch Secrets with different label selectors (two informers of one kind); each reconcile reads
 * "<key>-secret" from the cache and must find it. */
typedef struct sel_state {
  atomic_int found_a, found_b, missed_a, missed_b;
} sel_state;

static const capz_gvk SECRET_GVK = {"", "v1", "Secret", "secrets", true};

static capz_outcome sel_read(capz_ctx *ctx, const capz_key *key, atomic_int *found, atomic_int *missed) {
  char name[CAPZ_NAME_MAX + 8];
  snprintf(name, sizeof name, "%s-secret", key->name);
  const capz_obj *o = NULL;
  capz_err e;
  if (capz_ctx_cache_get(ctx, &SECRET_GVK, key->ns, name, &o, &e) != 0) {
    atomic_fetch_add(missed, 1);
    return CAPZ_RETRY; /* not in the cache (yet): the next look is after the backoff */
  }
  capz_obj_unref(o);
  atomic_fetch_add(found, 1);
  return CAPZ_DONE;
}
static capz_outcome sel_reconcile_a(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)res;
  sel_state *s = state;
  return sel_read(ctx, key, &s->found_a, &s->missed_a);
}
static capz_outcome sel_reconcile_b(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)res;
  sel_state *s = state;
  return sel_read(ctx, key, &s->found_b, &s->missed_b);
}

static const capz_watch w_sec_a = {sizeof(capz_watch), {"", "v1", "Secret", "secrets", true}, CAPZ_MAP_LABEL,
                                   "test.capz.io/widget", NULL, "team=a"};
static const capz_watch w_sec_b = {sizeof(capz_watch), {"", "v1", "Secret", "secrets", true}, CAPZ_MAP_LABEL,
                                   "test.capz.io/cm", NULL, "team=b"};
static const capz_watch *const sel_secs_a[] = {&w_sec_a, NULL};
static const capz_watch *const sel_secs_b[] = {&w_sec_b, NULL};
static const capz_controller sel_ctl_a = {sizeof(capz_controller), {"test.capz.io", "v1", "Widget", "widgets", true},
                                          sel_secs_a, sel_reconcile_a, 1, NULL, NULL};
static const capz_controller sel_ctl_b = {sizeof(capz_controller), {"", "v1", "ConfigMap", "configmaps", true},
                                          sel_secs_b, sel_reconcile_b, 1, NULL, NULL};
static const capz_controller *const sel_ctls_a[] = {&sel_ctl_a, NULL};
static const capz_controller *const sel_ctls_b[] = {&sel_ctl_b, NULL};
static const capz_plugin sel_plugin_a = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "sel-a", "0", "",
                                         NULL, sel_ctls_a, map_init, NULL};
static const capz_plugin sel_plugin_b = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "sel-b", "0", "",
                                         NULL, sel_ctls_b, map_init, NULL};

typedef struct sel_run {
  sel_state st;
  volatile sig_atomic_t stop;
  int rc;
} sel_run;

static void *sel_main(void *arg) {
  sel_run *r = arg;
  host_runtime_opts o = {.server_url = g_k.sim.url, .kube_qps = 500, .kube_burst = 500, .shutdown_grace_ms = 3000};
  const capz_plugin *plugins[] = {&sel_plugin_a, &sel_plugin_b};
  void *states[] = {&r->st, &r->st};
  capz_err e;
  r->rc = host_runtime_run(&o, plugins, states, 2, &r->stop, &e);
  return NULL;
}

START_TEST(cache_reads_use_own_watch_informer) {
  sel_run r;
  memset(&r, 0, sizeof r);
  r.rc = -1;
  kubetest_create(&g_k, &SECRET_GVK, "default",
                  "{\"metadata\":{\"name\":\"wa-secret\",\"labels\":{\"team\":\"a\",\"test.capz.io/widget\":\"wa\"}}}");
  kubetest_create(&g_k, &SECRET_GVK, "default",
                  "{\"metadata\":{\"name\":\"cb-secret\",\"labels\":{\"team\":\"b\",\"test.capz.io/cm\":\"cb\"}}}");
  create_widget("wa", "status", 1, NULL);
  kubetest_create(&g_k, &CM_GVK, "default", "{\"metadata\":{\"name\":\"cb\",\"namespace\":\"default\"}}");
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, sel_main, &r), 0);
  WAIT_WHILE(atomic_load(&r.st.found_a) == 0 || atomic_load(&r.st.found_b) == 0, 5000, 10000);
  int fa = atomic_load(&r.st.found_a), fb = atomic_load(&r.st.found_b);
  int ma = atomic_load(&r.st.missed_a), mb = atomic_load(&r.st.missed_b);
  r.stop = 1;
  pthread_join(th, NULL);
  ck_assert_int_eq(r.rc, 0);
  fprintf(stderr, "own-informer reads: a found %d missed %d, b found %d missed %d\n", fa, ma, fb, mb);
  ck_assert_msg(fa >= 1, "controller a never found its Secret in the cache (%d misses)", ma);
  ck_assert_msg(fb >= 1, "controller b never found its Secret in the cache (%d misses)", mb);
}
END_TEST

/* ---- a plugin loaded from a .so through the SDK loader ---- */

typedef struct mod_run {
  const capz_plugin *plugins[1];
  void *states[1];
  volatile sig_atomic_t stop;
  int rc;
} mod_run;

static void *mod_main(void *arg) {
  mod_run *m = arg;
  host_runtime_opts o = {.server_url = g_k.sim.url, .shutdown_grace_ms = 3000};
  capz_err e;
  m->rc = host_runtime_run(&o, m->plugins, m->states, 1, &m->stop, &e);
  return NULL;
}

START_TEST(dlopened_module_plugin) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/tests/plugins", getenv("CAPZ_BUILD_DIR") ? getenv("CAPZ_BUILD_DIR") : ".");
  capz_loader *ld = capz_loader_new();
  capz_err e;
  ck_assert_msg(capz_loader_add_dir(ld, dir, &e) == 0, "%s", e.msg);
  char path[600];
  snprintf(path, sizeof path, "%s/widgetmod.so", dir);
  const capz_loaded_plugin *lp = NULL;
  ck_assert_msg(capz_loader_load(ld, path, &lp, &e) == 0, "%s", e.msg);
  capz_plugin_config *cfg = capz_plugin_config_new(NULL, 0, NULL, NULL, 0, NULL, &e);
  ck_assert_ptr_nonnull(cfg);
  mod_run m = {.plugins = {&lp->desc}, .rc = -1};
  ck_assert_int_eq(lp->desc.init(cfg, &m.states[0], &e), 0);
  create_widget("mod1", "status", 42, NULL);
  pthread_t th;
  ck_assert_int_eq(pthread_create(&th, NULL, mod_main, &m), 0);
  ck_assert(wait_observed("mod1", 42, 10000));
  char *w = status_str("mod1", "writer");
  ck_assert_str_eq(w, "module"); /* written by the dlopen'ed plugin's own state */
  free(w);
  m.stop = 1;
  pthread_join(th, NULL);
  ck_assert_int_eq(m.rc, 0);
  lp->desc.shutdown(m.states[0]);
  capz_plugin_config_free(cfg);
  capz_loader_free(ld);
}
END_TEST

/* ---- leader election with child processes ---- */

typedef struct child {
  pid_t pid;
  int fd; /* read end of its report pipe */
} child;

static volatile sig_atomic_t g_child_stop;
static int g_report_fd;
static wp_state g_child_state;

static void child_term(int sig) {
  (void)sig;
  g_child_stop = 1;
}

static void child_on_leader(void *ud, bool leading) {
  (void)ud;
  if (!leading) atomic_store(&g_child_state.lost, true);
  if (write(g_report_fd, leading ? "L" : "X", 1) < 0) _exit(9);
}

static child spawn_runtime(const char *identity, int64_t lease_ms) {
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    close(p[0]);
    /* Never share the parent's pooled connections (same sockets) with the child. */
    capz_kube_client_free(g_c);
    capz_kube_config_free(g_k.cfg);
    capz_sdk_global_cleanup();
    g_report_fd = p[1];
    signal(SIGTERM, child_term);
    wp_state_init(&g_child_state, identity);
    host_runtime_opts o = {.server_url = g_k.sim.url, .kube_qps = 500, .kube_burst = 500, .leader_elect = true,
                           .identity = identity, .leader_election_namespace = "default",
                           .lease_duration_ms = lease_ms, .renew_deadline_ms = lease_ms * 2 / 3,
                           .retry_period_ms = 200, .shutdown_grace_ms = 3000, .on_leader = child_on_leader};
    const capz_plugin *plugins[] = {&widget_plugin};
    void *states[] = {&g_child_state};
    capz_err e;
    int rc = host_runtime_run(&o, plugins, states, 1, &g_child_stop, &e);
    char rep[128];
    int n = snprintf(rep, sizeof rep, "W%d,%d,%d\n", atomic_load(&g_child_state.writes_after_loss_attempted),
                     atomic_load(&g_child_state.writes_after_loss_ok), atomic_load(&g_child_state.writes_ok));
    if (write(p[1], rep, (size_t)n) < 0) _exit(9);
    _exit(rc == 0 ? 0 : (rc == CAPZ_EFORBIDDEN ? 3 : 4));
  }
  close(p[1]);
  return (child){pid, p[0]};
}

/* Wait for character c on the child's pipe. */
static bool wait_report(child *ch, char c, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    struct timeval tv = {0, 50000};
    fd_set fs;
    FD_ZERO(&fs);
    FD_SET(ch->fd, &fs);
    if (select(ch->fd + 1, &fs, NULL, NULL, &tv) > 0) {
      char x;
      if (read(ch->fd, &x, 1) != 1) return false;
      if (x == c) return true;
    }
  }
  return false;
}

static char *lease_holder(void) {
  cJSON *l = NULL;
  if (capz_kube_request(g_c, "GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/controller-leader-election-capz",
                        NULL, NULL, &l, NULL) != 0)
    return strdup("");
  char *h = strdup(capz_json_ptr_str(l, "/spec/holderIdentity", ""));
  cJSON_Delete(l);
  return h;
}

START_TEST(leader_failover_after_sigkill) {
  child a = spawn_runtime("ra", 3000);
  ck_assert(wait_report(&a, 'L', 10000));
  child b = spawn_runtime("rb", 3000);
  create_widget("wl", "status", 1, NULL);
  ck_assert(wait_observed("wl", 1, 10000));
  char *w = status_str("wl", "writer");
  ck_assert_str_eq(w, "ra");
  free(w);
  usleep(500000);
  ck_assert(!wait_report(&b, 'L', 100)); /* b only campaigns */
  int64_t t0 = capz_monotonic_ms();
  kill(a.pid, SIGKILL);
  waitpid(a.pid, NULL, 0);
  ck_assert(wait_report(&b, 'L', 8000));
  int64_t handover = capz_monotonic_ms() - t0;
  ck_assert_int_le(handover, 3000 + 1000); /* within the lease duration (+ retry and scheduling slack) */
  patch_spec("wl", "status", 2);
  ck_assert(wait_observed("wl", 2, 10000));
  w = status_str("wl", "writer");
  ck_assert_str_eq(w, "rb");
  free(w);
  /* clean SIGTERM: exits 0 and releases the Lease */
  kill(b.pid, SIGTERM);
  int st;
  waitpid(b.pid, &st, 0);
  ck_assert(WIFEXITED(st));
  ck_assert_int_eq(WEXITSTATUS(st), 0);
  char *h = lease_holder();
  ck_assert_str_eq(h, "");
  free(h);
  close(a.fd);
  close(b.fd);
  fprintf(stderr, "leader handover after SIGKILL: %lld ms\n", (long long)handover);
}
END_TEST

START_TEST(loser_never_writes_after_loss) {
  child a = spawn_runtime("ra", 3000);
  ck_assert(wait_report(&a, 'L', 10000));
  create_widget("wbusy", "stamp", 0, NULL);
  WAIT_WHILE(status_int("wbusy", "seq") < 5, 5000, 20000);
  ck_assert_int_ge(status_int("wbusy", "seq"), 5);
  /* another candidate takes the Lease */
  cJSON *l = NULL;
  const char *lp = "/apis/coordination.k8s.io/v1/namespaces/default/leases/controller-leader-election-capz";
  ck_assert_int_eq(capz_kube_request(g_c, "GET", lp, NULL, NULL, &l, NULL), 0);
  cJSON *sp = cJSON_GetObjectItem(l, "spec");
  cJSON_ReplaceItemInObject(sp, "holderIdentity", cJSON_CreateString("intruder"));
  cJSON_ReplaceItemInObject(sp, "leaseDurationSeconds", cJSON_CreateNumber(60));
  capz_err e;
  ck_assert_msg(capz_kube_request(g_c, "PUT", lp, "application/json", l, NULL, &e) == 0, "%s", e.msg);
  cJSON_Delete(l);
  ck_assert(wait_report(&a, 'X', 5000));
  int st;
  waitpid(a.pid, &st, 0);
  ck_assert(WIFEXITED(st));
  ck_assert_int_eq(WEXITSTATUS(st), 3); /* LeadershipLost */
  char rep[128] = "";
  ssize_t n = read(a.fd, rep, sizeof rep - 1);
  ck_assert_int_gt(n, 0);
  rep[n] = '\0';
  int attempted = -1, ok = -1, total_ok = -1;
  ck_assert_int_eq(sscanf(strchr(rep, 'W') + 1, "%d,%d,%d", &attempted, &ok, &total_ok), 3);
  ck_assert_int_eq(ok, 0); /* nothing written after the loss */
  ck_assert_int_ge(total_ok, 5);
  /* and nobody writes any more */
  int64_t seq = status_int("wbusy", "seq");
  usleep(500000);
  ck_assert_int_eq(status_int("wbusy", "seq"), seq);
  char *h = lease_holder();
  ck_assert_str_eq(h, "intruder"); /* the loser did not release someone else's Lease */
  free(h);
  close(a.fd);
  fprintf(stderr, "loser: %d write attempts after loss, %d succeeded\n", attempted, ok);
}
END_TEST

int main(void) {
  Suite *s = suite_create("runtime");
  TCase *tc = tcase_create("sim");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, reconcile_per_change_none_for_noop);
  tcase_add_test(tc, secondary_owner_maps_to_primary);
  tcase_add_test(tc, recovers_after_410_and_dropped_watches);
  tcase_add_test(tc, backoff_grows_and_resets);
  tcase_add_test(tc, no_concurrent_reconcile_of_a_key);
  tcase_add_test(tc, ops_endpoints_and_metrics);
  tcase_add_test(tc, watch_filter_shards);
  tcase_add_test(tc, secondary_mapping_kinds);
  tcase_add_test(tc, cache_reads_use_own_watch_informer);
  tcase_add_test(tc, dlopened_module_plugin);
  tcase_add_test(tc, leader_failover_after_sigkill);
  tcase_add_test(tc, loser_never_writes_after_loss);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
