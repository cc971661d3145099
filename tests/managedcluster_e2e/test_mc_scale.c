/* test_mc_scale.c — the managedcluster behaviours the AKS scale benchmark depends on (bench/aks_scale/README.md,
 * "Problems"): a pool waiting for its control plane is woken by the AMCP watch, not polled, and a control plane
 * waiting for its System pool by the pool's creation; a drift read of an unchanged pool costs its own GET only;
 * pools of one cluster take turns instead of colliding with 409s. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/common.h"
#include "capz/controller.h"
#include "capz/json.h"
#include "ckrun.h"
#include "e2e_env.h"

#define CL "scale"

static void teardown(void) {
  e2e_plugin_stop();
  e2e_env_stop();
}

static const char *const AMMP_ALL[] = {"=\"azuremanagedmachinepool\"", NULL};
static const char *const AMMP_REQUEUES[] = {"=\"azuremanagedmachinepool\"", "result=\"requeue_after\"", NULL};

static bool has_condition(const char *ammp, const char *type) {
  cJSON *o = e2e_get(&E2E_AMMP, ammp);
  bool found = false;
  const cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(o, "/status/conditions"))
    if (!strcmp(capz_json_ptr_str(c, "/type", ""), type)) found = true;
  cJSON_Delete(o);
  return found;
}

/* ARM requests of the log with this method whose path (query stripped) ends with suffix and, if status > 0, with
 * that status. */
static int count_requests(const cJSON *log, const char *method, const char *suffix, int status) {
  int n = 0;
  size_t sl = strlen(suffix);
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    const char *q = strchr(p, '?');
    size_t pl = q ? (size_t)(q - p) : strlen(p);
    if (strcmp(capz_json_ptr_str(r, "/method", ""), method) != 0) continue;
    if (status > 0 && capz_json_ptr_int(r, "/status", 0) != status) continue;
    if (pl >= sl && strncasecmp(p + pl - sl, suffix, sl) == 0) n++;
  }
  return n;
}

/* A pool whose control plane is still being created makes no periodic reconciles and starts within ~1 s of the
 * AMCP turning initialized (AMCP → AMMP watch through the cluster-name label). */
START_TEST(aks_pool_woken_by_control_plane) {
  e2e_env_start("lro:\n  defaultSeconds: 1\n  retryAfterSeconds: 1\n  durations:\n"
                "    Microsoft.ContainerService/managedClusters: 6\n"
                "    Microsoft.ContainerService/managedClusters/agentPools: 1\n",
                false, false);
  cJSON *held = e2e_apply_aks(CL, NULL, NULL);
  cJSON_Delete(held);
  e2e_plugin_start("10m");
  /* the pools have been looked at (finalizer) while the managedCluster is still being created */
  e2e_wait_finalized(&E2E_AMMP, CL "-pool1", 10000, "pool1");
  double n0 = e2e_metric("controller_runtime_reconcile_total", AMMP_ALL);
  sleep(3);
  cJSON *cp = e2e_get(&E2E_AMCP, CL);
  ck_assert_msg(!capz_json_ptr_bool(cp, "/status/initialized", false), "control plane ready too early for the test");
  cJSON_Delete(cp);
  double n1 = e2e_metric("controller_runtime_reconcile_total", AMMP_ALL);
  double rq = e2e_metric("controller_runtime_reconcile_total", AMMP_REQUEUES);
  fprintf(stderr, "scale(wait): %.0f AMMP reconciles in 3 s of waiting (%.0f requeue_after in all)\n", n1 - n0, rq);
  /* event-driven passes only (AMCP status patches while it creates): never the old 5 s poll per pool */
  ck_assert_int_eq((int)rq, 0);
  ck_assert_int_le((int)(n1 - n0), 8);
  /* the AMCP turns initialized: the pool starts at once */
  int64_t t_init = 0;
  int64_t t0 = capz_monotonic_ms();
  while (!t_init) {
    cJSON *c = e2e_get(&E2E_AMCP, CL);
    if (capz_json_ptr_bool(c, "/status/initialized", false)) t_init = capz_monotonic_ms();
    cJSON_Delete(c);
    ck_assert_msg(capz_monotonic_ms() - t0 < 30000, "control plane not initialized");
    if (!t_init) usleep(20000);
  }
  int64_t t_pool = 0;
  while (!t_pool) {
    if (has_condition(CL "-pool1", "AgentPoolsReady")) t_pool = capz_monotonic_ms();
    ck_assert_msg(capz_monotonic_ms() - t_init < 10000, "pool1 not started after the control plane was ready");
    if (!t_pool) usleep(20000);
  }
  fprintf(stderr, "scale(wait): pool1 started %lld ms after the control plane was initialized\n",
          (long long)(t_pool - t_init));
  ck_assert_int_le((int)(t_pool - t_init), 1500);
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool1", "/status/ready", 30000), "pool1 not ready");
}
END_TEST


static const char *const AMCP_REQUEUES[] = {"=\"azuremanagedcontrolplane\"", "result=\"requeue_after\"", NULL};

/* An AMCP created before its System pool waits without polling (no requeue_after reconciles, no 5 s poll), and
 * the System pool's creation wakes it: the managedCluster PUT goes out within ~1 s (AMMP watch → waiting AMCP). */
START_TEST(aks_control_plane_woken_by_system_pool) {
  /* the resource group and vnet complete at once: the time measured is the wake, not their operations */
  e2e_env_start("lro:\n  defaultSeconds: 0\n  retryAfterSeconds: 1\n  durations:\n"
                "    Microsoft.ContainerService/managedClusters: 2\n",
                false, false);
  cJSON *held = e2e_apply_aks(CL, NULL, "AzureManagedMachinePool"); /* pool0, the System pool */
  ck_assert_ptr_nonnull(held);
  ck_assert_str_eq(capz_json_ptr_str(held, "/spec/mode", ""), "System");
  e2e_clear_requests();
  e2e_plugin_start("10m");
  e2e_wait_finalized(&E2E_AMCP, CL, 10000, "AMCP");
  sleep(6); /* longer than the old 5 s poll */
  double rq = e2e_metric("controller_runtime_reconcile_total", AMCP_REQUEUES);
  cJSON *log = NULL;
  e2e_arm_requests(NULL, &log);
  int puts_waiting = e2e_managed_cluster_puts(log);
  cJSON_Delete(log);
  fprintf(stderr, "scale(cp wait): %.0f AMCP requeue_after reconciles and %d managedCluster PUTs in 6 s of waiting\n",
          rq, puts_waiting);
  ck_assert_int_eq(puts_waiting, 0);
  ck_assert_int_eq((int)rq, 0);
  e2e_create(held);
  cJSON_Delete(held);
  int64_t took = e2e_wait_managed_cluster_put(capz_monotonic_ms(), 10000, "the System pool was created");
  fprintf(stderr, "scale(cp wait): managedCluster PUT %lld ms after the System pool was created\n", (long long)took);
  if (getenv("MC_E2E_DEBUG")) {
    e2e_arm_requests(NULL, &log);
    const cJSON *r;
    cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests"))
      fprintf(stderr, "  %s %s %s %d\n", capz_json_ptr_str(r, "/time", ""), capz_json_ptr_str(r, "/method", ""),
              capz_json_ptr_str(r, "/path", ""), (int)capz_json_ptr_int(r, "/status", 0));
    cJSON_Delete(log);
  }
  ck_assert_int_le((int)took, 1000);
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, CL, "/status/ready", 40000), "control plane not ready");
}
END_TEST

/* Once a pool is ready, its drift read costs exactly its own agentPool GET: the node resource group's scale sets
 * and instances are not listed again while nothing about the pool's scale changed. */
START_TEST(aks_drift_read_unchanged_pool) {
  e2e_env_start(NULL, false, false);
  cJSON *held = e2e_apply_aks(CL, NULL, NULL);
  cJSON_Delete(held);
  e2e_plugin_start("3s");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool1", "/status/ready", 40000), "pool1 not ready");
  ck_assert_msg(e2e_wait_true(&E2E_AMMP, CL "-pool0", "/status/ready", 20000), "pool0 not ready");
  sleep(1);
  e2e_clear_requests();
  sleep(7); /* two drift intervals */
  cJSON *log = NULL;
  e2e_arm_requests(NULL, &log);
  int pool_gets = count_requests(log, "GET", "/agentPools/pool1", 0);
  int vmss_lists = count_requests(log, "GET", "/virtualMachineScaleSets", 0);
  int inst_lists = count_requests(log, "GET", "/virtualMachines", 0);
  int writes = 0;
  for (const cJSON *r = capz_json_ptr_get(log, "/requests") ? capz_json_ptr_get(log, "/requests")->child : NULL; r;
       r = r->next)
    if (strncmp(capz_json_ptr_str(r, "/path", ""), "/subscriptions/", 15) == 0 &&
        strcmp(capz_json_ptr_str(r, "/method", ""), "GET") != 0)
      writes++;
  /* kubeconfigRefreshInterval defaults to 24h: no listClusterAdminCredential POST per drift interval either */
  int cred_posts = count_requests(log, "POST", "/listClusterAdminCredential", 0);
  fprintf(stderr, "scale(drift): in 7 s: %d pool1 GETs, %d VMSS lists, %d instance lists, %d writes (%d credential POSTs)\n",
          pool_gets, vmss_lists, inst_lists, writes, cred_posts);
  if (getenv("MC_E2E_DEBUG")) {
    const cJSON *r;
    cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests"))
      fprintf(stderr, "  %s %s %s %d\n", capz_json_ptr_str(r, "/time", ""), capz_json_ptr_str(r, "/method", ""),
              capz_json_ptr_str(r, "/path", ""), (int)capz_json_ptr_int(r, "/status", 0));
  }
  cJSON_Delete(log);
  ck_assert_int_ge(pool_gets, 1); /* the drift read happened */
  ck_assert_int_eq(vmss_lists, 0);
  ck_assert_int_eq(inst_lists, 0);
  ck_assert_int_eq(cred_posts, 0);
  ck_assert_int_eq(writes, 0);
  /* a fresh ensurer (restart; the same happens to rows an over-full ensurer forgot) reads every pool again: that
   * read alone does not re-list the scale sets either */
  e2e_plugin_stop();
  e2e_clear_requests();
  e2e_plugin_start("10m");
  sleep(3);
  e2e_arm_requests(NULL, &log);
  pool_gets = count_requests(log, "GET", "/agentPools/pool1", 0);
  vmss_lists = count_requests(log, "GET", "/virtualMachineScaleSets", 0);
  inst_lists = count_requests(log, "GET", "/virtualMachines", 0);
  cJSON_Delete(log);
  fprintf(stderr, "scale(drift): after a restart: %d pool1 GETs, %d VMSS lists, %d instance lists\n", pool_gets,
          vmss_lists, inst_lists);
  ck_assert_int_ge(pool_gets, 1);
  ck_assert_int_eq(vmss_lists, 0);
  ck_assert_int_eq(inst_lists, 0);
}
END_TEST

/* Three pools created together on a cluster whose agentPool operations take a few seconds: AKS allows one
 * operation at a time; the pools take turns (the in-memory note per cluster) instead of each paying a GET + a 409'd
 * PUT every 2 s. */
START_TEST(aks_sibling_pools_take_turns) {
  e2e_env_start("lro:\n  defaultSeconds: 1\n  retryAfterSeconds: 1\n  durations:\n"
                "    Microsoft.ContainerService/managedClusters: 2\n"
                "    Microsoft.ContainerService/managedClusters/agentPools: 3\n",
                false, false);
  e2e_aks_extra_pools = 1; /* pool0 (System), pool1, pool2 */
  cJSON *held = e2e_apply_aks(CL, NULL, NULL);
  cJSON_Delete(held);
  e2e_clear_requests();
  e2e_plugin_start("10m");
  int64_t t0 = capz_monotonic_ms();
  ck_assert_msg(e2e_wait_true(&E2E_AMCP, CL, "/status/ready", 40000), "control plane not ready");
  static const char *const pools[] = {CL "-pool0", CL "-pool1", CL "-pool2"};
  for (int i = 0; i < 3; i++) ck_assert_msg(e2e_wait_true(&E2E_AMMP, pools[i], "/status/ready", 40000), "%s", pools[i]);
  int64_t took = capz_monotonic_ms() - t0;
  cJSON *log = NULL;
  int writes = 0;
  e2e_arm_requests(&writes, &log);
  int conflicts = 0, pool_puts = 0, pool_gets = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    if (!strstr(p, "/agentPools/") && !strstr(p, "/managedClusters/")) continue;
    if (strstr(p, "/operations/") || strstr(p, "/operationresults/")) continue;
    const char *m = capz_json_ptr_str(r, "/method", "");
    if (strcmp(m, "GET") != 0 && capz_json_ptr_int(r, "/status", 0) == 409) conflicts++;
    if (strstr(p, "/agentPools/") && !strcmp(m, "PUT")) pool_puts++;
    if (strstr(p, "/agentPools/") && !strcmp(m, "GET")) pool_gets++;
  }
  fprintf(stderr, "scale(siblings): 3 pools ready in %lld ms: %d AKS write 409s, %d agentPool PUTs, %d agentPool GETs, "
          "%d writes in all\n", (long long)took, conflicts, pool_puts, pool_gets, writes);
  cJSON_Delete(log);
  ck_assert_int_le(conflicts, 1);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("managedcluster_scale");
  TCase *tc = tcase_create("scale");
  tcase_set_timeout(tc, 60);
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, aks_pool_woken_by_control_plane);
  tcase_add_test(tc, aks_control_plane_woken_by_system_pool);
  tcase_add_test(tc, aks_drift_read_unchanged_pool);
  tcase_add_test(tc, aks_sibling_pools_take_turns);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
