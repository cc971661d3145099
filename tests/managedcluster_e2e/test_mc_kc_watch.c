/* test_mc_kc_watch.c — event-driven repair of the workload-cluster Secrets and the kept last System pool, through
 * the real path (CR → host runtime → managedcluster.so → SDK → HTTP → capz-kube-sim + capz-arm-sim):
 *  - kubeconfig_restored: with the default 24h kubeconfigRefreshInterval,
 *    (a) a deleted <cluster>-kubeconfig is back within 2 s with working content, for exactly one
 *        listClusterAdminCredential POST, and a KubeconfigRestored Event names it without any of its content;
 *        the passes our own write triggers cost no further write;
 *    (b) edited <cluster>-ca data is put back;
 *    (c) a label / annotation change to our Secrets wakes the control plane (Secret watch) and costs 0 ARM requests
 *        and 0 Kubernetes writes;
 *    (d) a plugin restart costs 0 credential POSTs, 0 ARM writes and 0 Secret writes, and reads no Secret from the
 *        API server (every GET of the cluster's Secrets fails while it restarts); the adopted Secrets are still
 *        guarded afterwards; a Secret rewritten again and again is restored at once 3 times, then with a backoff.
 *  - last_system_pool_waits: a deleted last System pool is kept without any timed requeue, and is released (its
 *    agentPool DELETE sent) right after a second System pool appears (AMMP → waiting sibling watch). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/controller.h"
#include "capz/controller_util.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "ckrun.h"
#include "e2e_env.h"
#include "e2e_util.h"

#define CL "akskc"

static const capz_gvk GVK_EVENT = {"", "v1", "Event", "events", true};
static const char *const AMCP_ALL[] = {"=\"azuremanagedcontrolplane\"", NULL};
static const char *const AMMP_ALL[] = {"=\"azuremanagedmachinepool\"", NULL};
static const char *const AMMP_REQUEUES[] = {"=\"azuremanagedmachinepool\"", "result=\"requeue_after\"", NULL};

static void teardown(void) { e2e_env_stop(); }

/* Kubernetes writes of the process (the SDK's request observer the runtime installs sees the test's client too). */
static double kube_writes(void) {
  static const char *const methods[] = {"method=\"POST\"", "method=\"PUT\"", "method=\"PATCH\"", "method=\"DELETE\""};
  double n = 0;
  for (int i = 0; i < 4; i++) {
    const char *labels[] = {methods[i], NULL};
    double m = e2e_metric("rest_client_requests_total", labels);
    if (getenv("KCW_DEBUG")) fprintf(stderr, "  %s %.0f\n", methods[i], m);
    n += m;
  }
  return n;
}

static int count_requests(const cJSON *log, const char *method, const char *suffix) {
  int n = 0;
  size_t sl = strlen(suffix);
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    const char *q = strchr(p, '?');
    size_t pl = q ? (size_t)(q - p) : strlen(p);
    if (strcmp(capz_json_ptr_str(r, "/method", ""), method) == 0 && pl >= sl &&
        strncasecmp(p + pl - sl, suffix, sl) == 0)
      n++;
  }
  return n;
}

static int cred_posts(int *writes) {
  cJSON *log = NULL;
  e2e_arm_requests(writes, &log);
  int n = count_requests(log, "POST", "/listClusterAdminCredential");
  cJSON_Delete(log);
  return n;
}

static char *secret_rv(const char *name) {
  cJSON *s = e2e_get(&E2E_SECRET, name);
  char *rv = strdup(capz_json_ptr_str(s, "/metadata/resourceVersion", ""));
  cJSON_Delete(s);
  return rv;
}

/* The messages of the Events with this reason about kind/name, joined (malloc'ed; "" when none). */
static char *event_messages(const char *kind, const char *name, const char *reason) {
  cJSON *l = NULL;
  ck_assert_int_eq(capz_kube_list(e2e_c, &GVK_EVENT, E2E_NS, NULL, &l, NULL), 0);
  size_t cap = 1;
  const cJSON *e;
  cJSON_ArrayForEach(e, capz_json_ptr_get(l, "/items")) cap += strlen(capz_json_ptr_str(e, "/message", "")) + 1;
  char *out = calloc(1, cap);
  ck_assert_ptr_nonnull(out);
  cJSON_ArrayForEach(e, capz_json_ptr_get(l, "/items")) {
    if (!strcmp(capz_json_ptr_str(e, "/involvedObject/kind", ""), kind) &&
        !strcmp(capz_json_ptr_str(e, "/involvedObject/name", ""), name) &&
        !strcmp(capz_json_ptr_str(e, "/reason", ""), reason)) {
      strcat(out, capz_json_ptr_str(e, "/message", ""));
      strcat(out, "\n");
    }
  }
  cJSON_Delete(l);
  return out;
}

/* The kubeconfig (text) reaches the workload cluster: GET /version. */
static void reaches_workload(const char *kc) {
  capz_kube_config *cfg = NULL;
  capz_err e;
  ck_assert_msg(capz_kube_config_parse(kc, strlen(kc), NULL, &cfg, &e) == 0, "%s", e.msg);
  capz_kube_client *wc = NULL;
  ck_assert_int_eq(capz_kube_client_new(cfg, NULL, &wc, NULL), 0);
  cJSON *ver = NULL;
  ck_assert_msg(capz_kube_request(wc, "GET", "/version", NULL, NULL, &ver, &e) == 0, "%s", e.msg);
  ck_assert(*capz_json_ptr_str(ver, "/gitVersion", ""));
  cJSON_Delete(ver);
  capz_kube_client_free(wc);
  capz_kube_config_free(cfg);
}

/* Wait until data[key] of the Secret satisfies ok (a substring, or equality when exact); ms taken or -1. */
static int64_t wait_secret(const char *name, const char *key, const char *want, bool exact, int64_t timeout_ms) {
  int64_t t0 = capz_monotonic_ms();
  while (capz_monotonic_ms() - t0 < timeout_ms) {
    char *v = e2e_secret_text(name, key);
    bool ok = v && (exact ? strcmp(v, want) == 0 : strstr(v, want) != NULL);
    free(v);
    if (ok) return capz_monotonic_ms() - t0;
    usleep(20000);
  }
  return -1;
}

static void kube_sim_fail(const char *json) {
  cJSON *b = cJSON_Parse(json);
  capz_err e;
  ck_assert_msg(capz_kube_request(e2e_c, "POST", "/_sim/fail", "application/json", b, NULL, &e) == 0, "%s", e.msg);
  cJSON_Delete(b);
}

START_TEST(kubeconfig_restored) {
  e2e_env_start(NULL, false, false);
  cJSON_Delete(e2e_apply_aks(CL, NULL, NULL));
  e2e_plugin_start("10m"); /* kubeconfigRefreshInterval: the 24h default */
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, CL, "/status/ready", 60000), "AzureManagedControlPlane not ready");
  /* the pools settled too, so the Kubernetes writes counted below are the control plane's */
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool0", "/status/ready", 30000), "pool0 not ready");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
  /* the emulator's kubeconfigs carry no CA (insecure-skip-tls-verify): tls.crt is empty, tls.key CAPZ's "foo" */
  char *key0 = e2e_secret_text(CL "-ca", "tls.key");
  ck_assert_msg(key0 && !strcmp(key0, "foo"), "%s-ca tls.key", CL);
  /* what this cluster's Secrets cost in the informer cache (compact JSON + snapshot header) */
  size_t foot = 0;
  static const char *const names[] = {CL "-kubeconfig", CL "-ca", NULL};
  for (int i = 0; names[i]; i++) {
    cJSON *o = e2e_get(&E2E_SECRET, names[i]);
    capz_obj *so = capz_obj_from_json(o);
    ck_assert_ptr_nonnull(so);
    foot += capz_obj_footprint(so);
    capz_obj_unref(so);
    cJSON_Delete(o);
  }
  fprintf(stderr, "kcwatch: the cluster's 2 Secrets take %zu bytes in the cache (emulator kubeconfig)\n", foot);
  sleep(1);

  /* (a) deleted kubeconfig: back at once, one credentials POST, an Event without content */
  e2e_clear_requests();
  ck_assert_int_eq(capz_kube_delete(e2e_c, &E2E_SECRET, E2E_NS, CL "-kubeconfig", NULL, NULL), 0);
  int64_t took = wait_secret(CL "-kubeconfig", "value", "clusters", false, 5000);
  fprintf(stderr, "kcwatch(a): deleted kubeconfig back after %lld ms\n", (long long)took);
  ck_assert_msg(took >= 0, "the deleted kubeconfig Secret was not restored");
  ck_assert_int_le(took, 2000);
  char *rv_a = secret_rv(CL "-kubeconfig");
  double w_a = kube_writes();
  sleep(1); /* the passes our own write wakes (they follow within milliseconds) */
  int writes = 0;
  int posts = cred_posts(&writes);
  fprintf(stderr, "kcwatch(a): %d listClusterAdminCredential POSTs, %d ARM writes; %.0f Kubernetes writes after\n",
          posts, writes, kube_writes() - w_a);
  ck_assert_int_eq(posts, 1);
  ck_assert_int_eq(writes, 1);
  char *rv_a2 = secret_rv(CL "-kubeconfig");
  ck_assert_str_eq(rv_a, rv_a2); /* not written again by the passes it woke */
  ck_assert_int_eq((int)(kube_writes() - w_a), 0);
  free(rv_a);
  free(rv_a2);
  char *kc = e2e_secret_text(CL "-kubeconfig", "value");
  reaches_workload(kc);
  char *msgs = event_messages("AzureManagedControlPlane", CL, "KubeconfigRestored");
  fprintf(stderr, "kcwatch(a): event: %s", msgs);
  ck_assert_msg(strstr(msgs, CL "-kubeconfig was missing"), "no KubeconfigRestored Event naming the Secret");
  ck_assert(!strstr(msgs, "BEGIN") && !strstr(msgs, "apiVersion") && !strstr(msgs, "client-"));
  cJSON *sec = e2e_get(&E2E_SECRET, CL "-kubeconfig");
  char head[24];
  snprintf(head, sizeof head, "%s", capz_json_ptr_str(sec, "/data/value", "?"));
  ck_assert_msg(!strstr(msgs, head), "the Event carries Secret data");
  cJSON_Delete(sec);
  free(msgs);
  free(kc);

  /* (b) edited CA data: put back */
  e2e_clear_requests();
  e2e_merge(&E2E_SECRET, CL "-ca", "{\"data\":{\"tls.key\":\"dGFtcGVyZWQ=\"}}");
  took = wait_secret(CL "-ca", "tls.key", "foo", true, 5000);
  fprintf(stderr, "kcwatch(b): edited -ca restored after %lld ms\n", (long long)took);
  ck_assert_msg(took >= 0, "the edited -ca Secret was not restored");
  ck_assert_int_le(took, 2000);
  sleep(1);
  ck_assert_int_eq(cred_posts(NULL), 1);

  /* (c) a label and an annotation change to our Secrets: woken, nothing to do */
  e2e_clear_requests();
  double n0 = e2e_metric("controller_runtime_reconcile_total", AMCP_ALL), w0 = kube_writes();
  e2e_touch(&E2E_SECRET, CL "-kubeconfig", "c");
  e2e_merge(&E2E_SECRET, CL "-ca", "{\"metadata\":{\"annotations\":{\"example.com/note\":\"c\"}}}");
  char *rv_kc = secret_rv(CL "-kubeconfig"), *rv_ca = secret_rv(CL "-ca");
  int64_t t0 = capz_monotonic_ms();
  while (e2e_metric("controller_runtime_reconcile_total", AMCP_ALL) < n0 + 1 && capz_monotonic_ms() - t0 < 2000)
    usleep(20000);
  double woke = e2e_metric("controller_runtime_reconcile_total", AMCP_ALL) - n0;
  sleep(1);
  int arm = e2e_arm_requests(NULL, NULL);
  /* the test's own two patches are all there is */
  double kw = kube_writes() - w0 - 2;
  fprintf(stderr, "kcwatch(c): %.0f control-plane passes woken, %d ARM requests, %.0f Kubernetes writes\n", woke, arm,
          kw);
  ck_assert_msg(woke >= 1, "a change to the kubeconfig Secret did not wake the control plane");
  ck_assert_int_eq(arm, 0);
  ck_assert_int_eq((int)kw, 0);
  char *rv_kc2 = secret_rv(CL "-kubeconfig"), *rv_ca2 = secret_rv(CL "-ca");
  ck_assert_str_eq(rv_kc, rv_kc2);
  ck_assert_str_eq(rv_ca, rv_ca2);
  free(rv_kc2);
  free(rv_ca2);

  /* (d) restart: the Secrets are adopted from the cache — no credentials POST, no write, no Secret GET */
  e2e_plugin_stop();
  kube_sim_fail("{\"method\":\"GET\",\"path\":\"/api/v1/namespaces/default/secrets/" CL "-*\",\"code\":500,"
                "\"count\":0}");
  e2e_clear_requests();
  e2e_plugin_start("10m");
  ck_assert(e2e_metrics_wait(10000));
  t0 = capz_monotonic_ms();
  while (e2e_metric("controller_runtime_reconcile_total", AMCP_ALL) < 1 && capz_monotonic_ms() - t0 < 10000)
    usleep(50000);
  ck_assert_msg(e2e_metric("controller_runtime_reconcile_total", AMCP_ALL) >= 1, "no control-plane pass after restart");
  sleep(2);
  writes = 0;
  posts = cred_posts(&writes);
  double errs = e2e_metric("controller_runtime_reconcile_errors_total", AMCP_ALL);
  capz_kube_request(e2e_c, "DELETE", "/_sim/fail", NULL, NULL, NULL, NULL);
  fprintf(stderr, "kcwatch(d): after a restart: %d credential POSTs, %d ARM writes, %.0f control-plane errors\n", posts,
          writes, errs);
  ck_assert_int_eq(posts, 0);
  ck_assert_int_eq(writes, 0);
  ck_assert_int_eq((int)errs, 0);
  rv_kc2 = secret_rv(CL "-kubeconfig");
  rv_ca2 = secret_rv(CL "-ca");
  ck_assert_str_eq(rv_kc, rv_kc2);
  ck_assert_str_eq(rv_ca, rv_ca2);
  free(rv_kc2);
  free(rv_ca2);
  free(rv_kc);
  free(rv_ca);
  /* what was adopted is guarded: an edit after the restart is put back */
  e2e_merge(&E2E_SECRET, CL "-ca", "{\"data\":{\"tls.key\":\"dGFtcGVyZWQ=\"}}");
  took = wait_secret(CL "-ca", "tls.key", "foo", true, 5000);
  fprintf(stderr, "kcwatch(d): -ca edited after the restart restored after %lld ms\n", (long long)took);
  ck_assert_msg(took >= 0 && took <= 2000, "the -ca Secret edited after a restart was not restored in time");
  /* something that keeps rewriting our Secret does not get an ARM POST per write: 3 restores are immediate, the
   * 4th within 10 minutes waits (a minute) */
  e2e_clear_requests();
  for (int i = 2; i <= 3; i++) {
    e2e_merge(&E2E_SECRET, CL "-ca", "{\"data\":{\"tls.key\":\"dGFtcGVyZWQ=\"}}");
    ck_assert_msg(wait_secret(CL "-ca", "tls.key", "foo", true, 3000) >= 0, "restore %d not done", i);
  }
  e2e_merge(&E2E_SECRET, CL "-ca", "{\"data\":{\"tls.key\":\"dGFtcGVyZWQ=\"}}");
  took = wait_secret(CL "-ca", "tls.key", "foo", true, 2000);
  posts = cred_posts(NULL);
  fprintf(stderr, "kcwatch(d): restores 2-3 done, 4th %s; %d credential POSTs\n", took < 0 ? "deferred" : "done", posts);
  ck_assert_msg(took < 0, "a fourth restore within minutes was not deferred");
  ck_assert_int_eq(posts, 2);
  free(key0);
}
END_TEST

static bool agentpool_ready(const char *ammp) {
  cJSON *o = e2e_get(&E2E_AMMP, ammp);
  bool ok = false;
  const cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(o, "/status/conditions"))
    if (!strcmp(capz_json_ptr_str(c, "/type", ""), "AgentPoolsReady"))
      ok = !strcmp(capz_json_ptr_str(c, "/status", ""), "True");
  cJSON_Delete(o);
  return ok;
}

/* A fresh copy of obj for a new name: server-set metadata dropped. */
static cJSON *clone_for(const cJSON *obj, const char *name) {
  cJSON *c = cJSON_Duplicate(obj, 1);
  cJSON *md = cJSON_GetObjectItemCaseSensitive(c, "metadata");
  static const char *const drop[] = {"uid", "resourceVersion", "generation", "creationTimestamp", "finalizers",
                                     "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", NULL};
  for (int i = 0; drop[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(md, drop[i]);
  cJSON_DeleteItemFromObjectCaseSensitive(c, "status");
  capz_json_ptr_set_str(c, "/metadata/name", name, NULL);
  return c;
}

START_TEST(last_system_pool_waits) {
  e2e_env_start(NULL, false, false);
  cJSON_Delete(e2e_apply_aks(CL, NULL, NULL));
  e2e_plugin_start("10m");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool0", "/status/ready", 60000), "pool0 not ready");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
  cJSON *mp0 = e2e_get(&E2E_MP, CL "-pool0"), *ammp0 = e2e_get(&E2E_AMMP, CL "-pool0");
  ck_assert_str_eq(capz_json_ptr_str(ammp0, "/spec/mode", ""), "System");
  sleep(1);
  /* the last System pool is deleted: kept, and then nothing happens on a timer */
  ck_assert_int_eq(capz_kube_delete(e2e_c, &E2E_AMMP, E2E_NS, CL "-pool0", NULL, NULL), 0);
  int64_t t0 = capz_monotonic_ms();
  char *msgs = NULL;
  for (;;) {
    msgs = event_messages("AzureManagedMachinePool", CL "-pool0", "LastSystemPool");
    if (*msgs || capz_monotonic_ms() - t0 > 5000) break;
    free(msgs);
    usleep(50000);
  }
  ck_assert_msg(*msgs, "no LastSystemPool event");
  free(msgs);
  double rq0 = e2e_metric("controller_runtime_reconcile_total", AMMP_REQUEUES);
  double n0 = e2e_metric("controller_runtime_reconcile_total", AMMP_ALL);
  sleep(6);
  double rq = e2e_metric("controller_runtime_reconcile_total", AMMP_REQUEUES) - rq0;
  double n = e2e_metric("controller_runtime_reconcile_total", AMMP_ALL) - n0;
  fprintf(stderr, "kcwatch(pool): %.0f AMMP reconciles (%.0f requeue_after) in 6 s of waiting\n", n, rq);
  ck_assert_int_eq((int)rq, 0);
  ck_assert_int_le((int)n, 2);
  cJSON *kept = e2e_get(&E2E_AMMP, CL "-pool0");
  ck_assert_msg(kept != NULL, "the last System pool was not kept");
  cJSON_Delete(kept);
  /* a second System pool appears: the kept one is released at once */
  cJSON *mp2 = clone_for(mp0, CL "-pool2");
  capz_json_ptr_set_str(mp2, "/spec/template/spec/infrastructureRef/name", CL "-pool2", NULL);
  e2e_create(mp2);
  cJSON *ammp2 = clone_for(ammp0, CL "-pool2");
  capz_json_ptr_set_str(ammp2, "/spec/name", "pool2", NULL);
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(ammp2, "spec"), "providerIDList");
  cJSON *refs = cJSON_CreateArray();
  cJSON_AddItemToArray(refs, e2e_owner_ref(&E2E_MP, CL "-pool2"));
  capz_json_ptr_set(ammp2, "/metadata/ownerReferences", refs, NULL);
  e2e_clear_requests();
  int64_t t_new = capz_monotonic_ms();
  e2e_create(ammp2);
  /* AKS refuses to delete its last System agentPool: the kept pool goes once pool2's agentPool exists */
  int64_t t_ready = -1, t_del = -1;
  while (t_del < 0 && capz_monotonic_ms() - t_new < 20000) {
    if (t_ready < 0 && agentpool_ready(CL "-pool2")) t_ready = capz_monotonic_ms();
    cJSON *log = NULL;
    e2e_arm_requests(NULL, &log);
    if (count_requests(log, "DELETE", "/agentPools/pool0") > 0) t_del = capz_monotonic_ms();
    cJSON_Delete(log);
    if (t_del < 0) usleep(20000);
  }
  fprintf(stderr, "kcwatch(pool): pool2 AgentPoolsReady %lld ms after its creation; pool0 DELETE %lld ms after that\n",
          (long long)(t_ready - t_new), (long long)(t_del - t_ready));
  ck_assert_msg(t_del >= 0, "the kept pool was not released");
  ck_assert_msg(t_ready >= 0 || t_del >= 0, "pool2 never ready");
  /* no DELETE AKS would refuse before pool2 exists, and none later than ~1 s after */
  cJSON *log = NULL;
  e2e_arm_requests(NULL, &log);
  const cJSON *r;
  int refused = 0;
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests"))
    if (!strcmp(capz_json_ptr_str(r, "/method", ""), "DELETE") && capz_json_ptr_int(r, "/status", 0) == 400) refused++;
  cJSON_Delete(log);
  ck_assert_int_eq(refused, 0);
  if (t_ready < 0) t_ready = t_del; /* ready and released between two looks */
  ck_assert_int_le(t_del - t_ready, 1000);
  ck_assert_msg(e2e_wait_gone(&E2E_AMMP, CL "-pool0", 15000), "pool0 not removed");
  cJSON_Delete(mp0);
  cJSON_Delete(ammp0);
  cJSON_Delete(mp2);
  cJSON_Delete(ammp2);
}
END_TEST

int main(void) {
  Suite *s = suite_create("managedcluster_kcwatch");
  const ckrun_case cases[] = {{"kubeconfig_restored", kubeconfig_restored},
                              {"last_system_pool", last_system_pool_waits}};
  ckrun_add_cases(s, cases, sizeof cases / sizeof cases[0], NULL, teardown, 90);
  return ckrun(s);
}
