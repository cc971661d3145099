/* test_azure_drift.c — ensure at fleet scale against capz-arm-sim: the LRU keeps the most recent `capacity`
 * resources (no re-read before their drift interval), and the drift-read budget caps drift GETs per ARM client
 * (deferred resources are read later, in turn; a changed spec is never deferred). Request counts come from the
 * emulator's GET /_sim/requests log; time is the ensurer's injected clock, so nothing sleeps. */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/azure.h"
#include "capz/metrics.h"
#include "capz/sdk.h"
#include "armcloud.h"
#include "ckrun.h"
#include "sim_idents.h"
#include "simproc.h"
#include "test_util.h"

#define RG_PREFIX "/subscriptions/" SUB "/resourceGroups/drift-"

static simproc g_sim;
static capz_az_cloud g_cloud;
static capz_az_credential *g_cred;
static capz_arm_client *g_c;
static capz_arm_limiter *g_lim;

static void global_setup(void) { sim_idents_setup("azdrift", "", ",\"requestLog\":{\"keepBodies\":5000}"); }
static void global_teardown(void) { sim_idents_teardown(); }

static void sim_setup(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  armcloud_start(&g_sim, g_cfg, &g_cloud);
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = TENANT, .client_id = C_SP,
                         .secret = (const unsigned char *)"sp-secret-1", .secret_len = strlen("sp-secret-1")};
  capz_err err;
  g_cred = capz_az_credential_new(&g_cloud, &id, NULL, &err);
  ck_assert_msg(g_cred != NULL, "%s", err.msg);
  /* a roomy limiter of its own: the tests' bursts of requests must not look like a client busy with real work */
  capz_arm_limits roomy = {.read = {10000, 100000}, .write = {10000, 100000}, .del = {10000, 100000}};
  g_lim = capz_arm_limiter_new(&roomy, NULL, NULL);
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = g_cred, .backoff_base_s = 0.05,
                                .poll_default_s = 0.2, .limiter = g_lim};
  g_c = capz_arm_client_new(&cfg, &err);
  ck_assert_msg(g_c != NULL, "%s", err.msg);
}

static void sim_teardown(void) {
  capz_arm_client_free(g_c);
  capz_arm_limiter_free(g_lim);
  capz_az_credential_free(g_cred);
  capz_sdk_global_cleanup();
  simproc_stop(&g_sim);
}

static void rg_id(char *buf, size_t n, int i) { snprintf(buf, n, RG_PREFIX "%03d", i); }

static void log_clear(void) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", g_sim.url);
  capz_arm_response r;
  capz_err err;
  ck_assert_msg(capz_arm_do(g_c, "DELETE", url, NULL, NULL, &r, &err) == 0, "%s", err.msg);
  capz_arm_response_free(&r);
}

/* GETs of drift-<i> resource groups in the log: per index into per[] (n slots), total returned. */
static int log_gets(int *per, int n) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", g_sim.url);
  capz_arm_response r;
  capz_err err;
  ck_assert_msg(capz_arm_do(g_c, "GET", url, NULL, NULL, &r, &err) == 0, "%s", err.msg);
  if (per) memset(per, 0, sizeof *per * (size_t)n);
  int total = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(r.body, "requests")) {
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "method"));
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    const char *at = p ? strcasestr(p, "/resourceGroups/drift-") : NULL;
    if (!m || !at || strcmp(m, "GET") != 0) continue;
    total++;
    int i = atoi(at + strlen("/resourceGroups/drift-"));
    if (per && i >= 0 && i < n) per[i]++;
  }
  capz_arm_response_free(&r);
  return total;
}

static capz_arm_ensure_outcome ensure_rg(capz_arm_ensurer *e, int i, const char *tag, int *requests) {
  char id[256];
  rg_id(id, sizeof id, i);
  cJSON *desired = cJSON_Parse("{\"location\":\"eastus\"}");
  if (tag) cJSON_AddStringToObject(cJSON_AddObjectToObject(desired, "tags"), "v", tag);
  static const char *const owned[] = {"/location", NULL};
  capz_arm_ensure_spec s = {.id = id, .desired = desired, .owned = owned};
  capz_arm_ensure_result res = {0};
  capz_err err;
  int rc = capz_arm_ensure(e, g_c, &s, &res, &err);
  ck_assert_msg(rc == 0, "ensure %s: %s", id, err.msg);
  capz_arm_ensure_outcome o = res.outcome;
  if (requests) *requests = res.arm_requests;
  capz_arm_ensure_result_free(&res);
  cJSON_Delete(desired);
  return o;
}

START_TEST(capacity_keeps_most_recent) {
  enum { N = 20, K = 6 };
  double fake = 1000;
  capz_arm_ensure_config ec = {.capacity = N, .drift_interval_s = 600, .drift_jitter = -1, .blocking = true,
                               .clock = fake_clock, .clock_ud = &fake, .drift_reads_per_s = -1,
                               .metrics = capz_metrics_registry_new()};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  ck_assert_ptr_nonnull(e);
  for (int i = 0; i < N + K; i++) ck_assert_int_eq(ensure_rg(e, i, NULL, NULL), CAPZ_ENSURE_CREATED);
  ck_assert_uint_eq(capz_arm_ensurer_size(e), N);
  log_clear();
  fake += 599; /* just before the drift interval */
  for (int i = K; i < N + K; i++) {
    int req = -1;
    ck_assert_int_eq(ensure_rg(e, i, NULL, &req), CAPZ_ENSURE_UNCHANGED);
    ck_assert_int_eq(req, 0);
  }
  ck_assert_int_eq(log_gets(NULL, 0), 0);
  /* the K oldest were evicted: each costs one read */
  for (int i = 0; i < K; i++) ck_assert_int_eq(ensure_rg(e, i, NULL, NULL), CAPZ_ENSURE_UNCHANGED);
  ck_assert_int_eq(log_gets(NULL, 0), K);
  uint64_t drift_reads = 99;
  capz_arm_ensurer_drift_stats(e, &drift_reads, NULL);
  ck_assert_uint_eq(drift_reads, 0); /* re-reads after eviction are not drift reads */
  capz_arm_ensurer_free(e);
  capz_metrics_registry_free(ec.metrics);
}
END_TEST

/* Heap bytes in use (glibc's count; 0 when a sanitizer owns the heap). Big blocks are mmap'ed (fixed
 * threshold), so the hash table shows in hblkhd and the entries in uordblks. */
static long heap_small(void) { return (long)mallinfo2().uordblks; }
static long heap_mapped(void) { return (long)mallinfo2().hblkhd; }

START_TEST(default_capacity_is_large) {
  /* the default must hold 2,000 AKS clusters' 14,000 resources */
  ck_assert_uint_ge(CAPZ_ARM_ENSURE_DEFAULT_CAPACITY, 14000);
  enum { R = 120 };
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  double fake = 1000;
  capz_metrics_registry *reg = capz_metrics_registry_new();
  capz_arm_ensure_config ec = {.blocking = true, .clock = fake_clock, .clock_ud = &fake, .metrics = reg};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  ck_assert_ptr_nonnull(e);
  for (int i = 0; i < R; i++) ck_assert_int_eq(ensure_rg(e, i, NULL, NULL), CAPZ_ENSURE_CREATED);
  ck_assert_uint_eq(capz_arm_ensurer_size(e), R);
  long small = heap_small(), mapped = heap_mapped();
  capz_arm_ensurer_free(e);
  small -= heap_small();
  mapped -= heap_mapped();
  if (small > 0) { /* plain glibc heap: report and bound the per-resource cost */
    char id[256];
    rg_id(id, sizeof id, 0);
    double per = (double)small / R;
    fprintf(stderr, "ensurer: %.1f heap bytes per remembered resource (ID of %zu chars) + %ld bytes of table and "
            "struct for capacity %d (%.1f per slot)\n", per, strlen(id), mapped, CAPZ_ARM_ENSURE_DEFAULT_CAPACITY,
            (double)mapped / CAPZ_ARM_ENSURE_DEFAULT_CAPACITY);
    ck_assert_msg(per > 100 && per < 600, "%.1f bytes per entry", per);
    ck_assert_msg(mapped <= 16L * CAPZ_ARM_ENSURE_DEFAULT_CAPACITY, "table of %ld bytes", mapped);
  }
  capz_metrics_registry_free(reg);
}
END_TEST

/* The host's loop: call ensure for each resource whose requeue time has come, in 0.1 s steps of fake time. */
static void run_host(capz_arm_ensurer *e, double *fake, double *due, int m, double seconds) {
  for (double t = 0; t < seconds - 1e-9; t += 0.1) {
    *fake += 0.1;
    for (int i = 0; i < m; i++) {
      if (*fake < due[i]) continue;
      char id[256];
      rg_id(id, sizeof id, i);
      cJSON *desired = cJSON_Parse("{\"location\":\"eastus\"}");
      static const char *const owned[] = {"/location", NULL};
      capz_arm_ensure_spec s = {.id = id, .desired = desired, .owned = owned};
      capz_arm_ensure_result res = {0};
      capz_err err;
      ck_assert_msg(capz_arm_ensure(e, g_c, &s, &res, &err) == 0, "%s", err.msg);
      ck_assert_int_eq(res.outcome, CAPZ_ENSURE_UNCHANGED);
      ck_assert(res.requeue_after_s > 0);
      due[i] = *fake + res.requeue_after_s;
      capz_arm_ensure_result_free(&res);
      cJSON_Delete(desired);
    }
  }
}

START_TEST(drift_reads_stay_within_budget) {
  enum { M = 60 };
  const double B = 2, BURST = 3, W = 10;
  double fake = 1000;
  capz_metrics_registry *reg = capz_metrics_registry_new();
  capz_arm_ensure_config ec = {.drift_interval_s = 100, .drift_jitter = -1, .blocking = true, .clock = fake_clock,
                               .clock_ud = &fake, .drift_reads_per_s = B, .drift_read_burst = BURST,
                               .metrics = reg};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  ck_assert_ptr_nonnull(e);
  for (int i = 0; i < M; i++) ck_assert_int_eq(ensure_rg(e, i, NULL, NULL), CAPZ_ENSURE_CREATED);
  log_clear();
  double due[M];
  fake += 100; /* everything is due for its drift read at once */
  for (int i = 0; i < M; i++) due[i] = fake;
  fake -= 0.1;

  run_host(e, &fake, due, M, W);
  int per[M];
  int gets = log_gets(per, M);
  ck_assert_msg(gets <= (int)(B * W + BURST), "%d drift GETs in %.0f s (budget %.0f/s, burst %.0f)", gets, W, B,
                BURST);
  ck_assert_msg(gets >= (int)(B * W) - 1, "budget not used: %d GETs", gets);
  uint64_t reads = 0, deferred = 0;
  capz_arm_ensurer_drift_stats(e, &reads, &deferred);
  fprintf(stderr, "budget %.0f/s burst %.0f, %d resources due at once: %d drift GETs in %.0f s, %llu deferrals\n", B,
          BURST, M, gets, W, (unsigned long long)deferred);
  ck_assert_uint_eq(reads, (uint64_t)gets);
  ck_assert_uint_ge(deferred, (uint64_t)(M - gets));
  /* the metric counts the same deferrals */
  char *text = capz_metrics_render(reg, NULL);
  char want[128];
  snprintf(want, sizeof want, "capz_azure_ensure_drift_deferred_total %llu", (unsigned long long)deferred);
  ck_assert_msg(text && strstr(text, want), "metrics lack '%s'", want);
  free(text);

  /* a changed spec goes through at once, budget or not */
  int req = 0;
  capz_arm_ensure_outcome o = ensure_rg(e, M - 1, "changed", &req);
  ck_assert_int_eq(o, CAPZ_ENSURE_UPDATED);
  ck_assert_int_ge(req, 2); /* GET + PUT */
  due[M - 1] = fake + 100;

  /* the deferred ones are read later, each once, at the budget's pace */
  log_clear();
  run_host(e, &fake, due, M, (M - gets) / B + 2);
  int per2[M];
  int gets2 = log_gets(per2, M);
  for (int i = 0; i < M - 1; i++)
    ck_assert_msg(per[i] + per2[i] == 1, "drift-%03d read %d times", i, per[i] + per2[i]);
  ck_assert_int_eq(per2[M - 1], 0); /* re-applied just now: not due */
  ck_assert_int_le(gets2, (int)(B * ((M - gets) / B + 2) + 1));
  capz_arm_ensurer_free(e);
  capz_metrics_registry_free(reg);
}
END_TEST


/* While real work queues for the client's read tokens, drift reads step back to 1/SLOWDOWN of their budget; once
 * the bucket refills they go at the full budget again. */
START_TEST(drift_reads_yield_to_busy_reads) {
  enum { M = 60 };
  const double B = 4, W = 5;
  double fake = 1000;
  capz_arm_ensure_config ec = {.drift_interval_s = 100, .drift_jitter = -1, .blocking = true, .clock = fake_clock,
                               .clock_ud = &fake, .drift_reads_per_s = B, .drift_read_burst = 1,
                               .metrics = capz_metrics_registry_new()};
  /* the client's own limiter runs on the same fake clock; fast refill so a real request never waits long */
  capz_arm_limits lim_cfg = {.read = {1000, 100}, .write = {1000, 100}, .del = {1000, 100}};
  capz_arm_limiter *lim = capz_arm_limiter_new(&lim_cfg, fake_clock, &fake);
  capz_arm_client_config cc = {.cloud = &g_cloud, .credential = g_cred, .backoff_base_s = 0.05,
                               .poll_default_s = 0.2, .limiter = lim};
  capz_err err;
  capz_arm_client *mine = capz_arm_client_new(&cc, &err);
  ck_assert_msg(mine != NULL, "%s", err.msg);
  capz_arm_client *saved = g_c;
  g_c = mine;
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  for (int i = 0; i < M; i++) ck_assert_int_eq(ensure_rg(e, i, NULL, NULL), CAPZ_ENSURE_CREATED);
  double due[M];
  fake += 100;
  for (int i = 0; i < M; i++) due[i] = fake;
  fake -= 0.1;
  /* busy: the read bucket is drained (200 reservations on a 100-token bucket) and kept drained (as many
   * reservations per 0.1 s step as it refills) */
  const char *principal = capz_az_credential_principal(g_cred);
  for (int k = 0; k < 200; k++) capz_arm_limiter_reserve(lim, SUB, principal, CAPZ_ARM_READ);
  log_clear();
  for (double t = 0; t < W; t += 0.1) {
    for (int k = 0; k < 100; k++) capz_arm_limiter_reserve(lim, SUB, principal, CAPZ_ARM_READ); /* keeps it busy */
    run_host(e, &fake, due, M, 0.1);
  }
  int busy_gets = log_gets(NULL, 0);
  /* idle: the bucket refills, and drift reads get the full budget back */
  fake += 5;
  for (int i = 0; i < M; i++)
    if (due[i] < fake) due[i] = fake;
  log_clear();
  run_host(e, &fake, due, M, W);
  int idle_gets = log_gets(NULL, 0);
  fprintf(stderr, "drift budget %.0f/s: %d drift GETs in %.0f s with reads queueing, %d when idle\n", B, busy_gets, W,
          idle_gets);
  ck_assert_int_le(busy_gets, (int)(B * W / CAPZ_ARM_ENSURE_DRIFT_BUSY_SLOWDOWN) + 2);
  ck_assert_int_ge(busy_gets, 1); /* slowed, never starved */
  ck_assert_int_ge(idle_gets, (int)(B * W) - 2); /* plus the slots that came due in the 5 s in between */
  g_c = saved;
  capz_arm_ensurer_free(e);
  capz_arm_client_free(mine);
  capz_arm_limiter_free(lim);
  capz_metrics_registry_free(ec.metrics);
}
END_TEST


/* With an owned list, a change to a field we send but do not own (a managedCluster's agentPoolProfiles, sent at
 * creation only) is not a reason to read: ensure would not write for it. A change to an owned field or a tag is. */
START_TEST(unowned_field_change_costs_nothing) {
  double fake = 1000;
  capz_arm_ensure_config ec = {.drift_interval_s = 600, .drift_jitter = -1, .blocking = true, .clock = fake_clock,
                               .clock_ud = &fake, .metrics = capz_metrics_registry_new()};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  char id[256];
  rg_id(id, sizeof id, 7);
  static const char *const owned[] = {"/location", NULL};
  const char *bodies[] = {"{\"location\":\"eastus\",\"managedBy\":\"a\"}", /* create */
                          "{\"location\":\"eastus\"}",                      /* the create-only field dropped */
                          "{\"location\":\"eastus\",\"managedBy\":\"b\"}",  /* changed, still not owned */
                          "{\"location\":\"eastus\",\"tags\":{\"x\":\"1\"}}", /* a tag: compared, so read */
                          "{\"location\":\"EastUS\",\"tags\":{\"x\":\"1\"}}"}; /* owned: read (ARM's casing: no write) */
  const int want_requests_min[] = {2, 0, 0, 2, 1}, want_requests_max[] = {3, 0, 0, 3, 1};
  for (int i = 0; i < 5; i++) {
    cJSON *desired = cJSON_Parse(bodies[i]);
    capz_arm_ensure_spec sp = {.id = id, .desired = desired, .owned = owned};
    capz_arm_ensure_result res = {0};
    capz_err err;
    ck_assert_msg(capz_arm_ensure(e, g_c, &sp, &res, &err) == 0, "%s", err.msg);
    ck_assert_msg(res.arm_requests >= want_requests_min[i] && res.arm_requests <= want_requests_max[i],
                  "step %d: %d ARM requests", i, res.arm_requests);
    capz_arm_ensure_result_free(&res);
    cJSON_Delete(desired);
  }
  capz_arm_ensurer_free(e);
  capz_metrics_registry_free(ec.metrics);
}
END_TEST


/* A delete's monitor URL (/subscriptions/<s>/operationresults/<id>) is not a resource ID, yet its polls spend the
 * subscription's read budget like any other read (they once went to a bucket of their own: 50 % over ARM's rate
 * while thousands of clusters were deleted). */
START_TEST(operation_results_polls_spend_the_subscriptions_reads) {
  double fake = 1000;
  capz_arm_limits lim_cfg = {.read = {1000, 100}, .write = {1000, 100}, .del = {1000, 100}};
  capz_arm_limiter *lim = capz_arm_limiter_new(&lim_cfg, fake_clock, &fake);
  capz_arm_client_config cc = {.cloud = &g_cloud, .credential = g_cred, .backoff_base_s = 0.05, .max_retries = -1,
                               .poll_default_s = 0.2, .limiter = lim};
  capz_err err;
  capz_arm_client *c = capz_arm_client_new(&cc, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  for (int i = 0; i < 10; i++) {
    char path[256];
    snprintf(path, sizeof path, "/subscriptions/%s/operationresults/00000000-0000-4000-8000-%012d", SUB, i);
    capz_arm_response r;
    capz_arm_do(c, "GET", path, NULL, NULL, &r, &err); /* unknown operation: the answer does not matter */
    capz_arm_response_free(&r);
  }
  const char *principal = capz_az_credential_principal(g_cred);
  for (int i = 0; i < 90; i++) ck_assert(capz_arm_limiter_reserve(lim, SUB, principal, CAPZ_ARM_READ) == 0);
  ck_assert_msg(capz_arm_limiter_reserve(lim, SUB, principal, CAPZ_ARM_READ) > 0,
                "the 10 polls did not spend the subscription's read tokens");
  capz_arm_client_free(c);
  capz_arm_limiter_free(lim);
}
END_TEST

START_TEST(no_budget_reads_all_due) {
  enum { M = 30 };
  double fake = 1000;
  capz_arm_ensure_config ec = {.drift_interval_s = 100, .drift_jitter = -1, .blocking = true, .clock = fake_clock,
                               .clock_ud = &fake, .drift_reads_per_s = -1, .metrics = capz_metrics_registry_new()};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  for (int i = 0; i < M; i++) ck_assert_int_eq(ensure_rg(e, i, NULL, NULL), CAPZ_ENSURE_CREATED);
  log_clear();
  double due[M];
  fake += 100;
  for (int i = 0; i < M; i++) due[i] = fake;
  fake -= 0.1;
  run_host(e, &fake, due, M, 0.1);
  ck_assert_int_eq(log_gets(NULL, 0), M);
  capz_arm_ensurer_free(e);
  capz_metrics_registry_free(ec.metrics);
}
END_TEST


/* Method of the first logged request whose path (query stripped) ends with suffix, or "" when there is none. */
static void first_method(const char *suffix, char *out, size_t n) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", g_sim.url);
  capz_arm_response r;
  capz_err err;
  ck_assert_msg(capz_arm_do(g_c, "GET", url, NULL, NULL, &r, &err) == 0, "%s", err.msg);
  snprintf(out, n, "%s", "");
  size_t sl = strlen(suffix);
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(r.body, "requests")) {
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "method"));
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    if (!m || !p) continue;
    const char *q = strchr(p, '?');
    size_t pl = q ? (size_t)(q - p) : strlen(p);
    if (pl >= sl && strncasecmp(p + pl - sl, suffix, sl) == 0) {
      snprintf(out, n, "%s", m);
      break;
    }
  }
  capz_arm_response_free(&r);
}

static capz_arm_ensure_outcome ensure_json(capz_arm_ensurer *e, const char *id, const char *json) {
  cJSON *desired = cJSON_Parse(json);
  ck_assert_ptr_nonnull(desired);
  capz_arm_ensure_spec s = {.id = id, .desired = desired};
  capz_arm_ensure_result res = {0};
  capz_err err;
  int rc = capz_arm_ensure(e, g_c, &s, &res, &err);
  ck_assert_msg(rc == 0, "ensure %s: %s", id, err.msg);
  capz_arm_ensure_outcome o = res.outcome;
  capz_arm_ensure_result_free(&res);
  cJSON_Delete(desired);
  return o;
}

#define FRESH "/subscriptions/" SUB "/resourceGroups/fresh"
#define NSG(g, n) FRESH g "/providers/Microsoft.Network/networkSecurityGroups/" n
#define NSG_BODY "{\"location\":\"eastus\"}"
#define VNET_BODY \
  "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}"

/* A resource group this ensurer just created holds nothing: its top-level resources are created without a GET
 * first. Nested children (which a parent's body may create), anything under a group that existed already, a group
 * whose knowledge is older than the drift interval, and a group where something was forgotten are read first. */
START_TEST(fresh_group_children_skip_read) {
  double fake = 1000;
  capz_metrics_registry *reg = capz_metrics_registry_new();
  capz_arm_ensure_config ec = {.drift_interval_s = 600, .drift_jitter = -1, .blocking = true, .clock = fake_clock,
                               .clock_ud = &fake, .metrics = reg};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  char m[16];
  ck_assert_int_eq(ensure_json(e, FRESH "A", "{\"location\":\"eastus\"}"), CAPZ_ENSURE_CREATED);
  first_method("/resourceGroups/freshA", m, sizeof m);
  ck_assert_str_eq(m, "GET"); /* the group itself was read first */
  ck_assert_int_eq(ensure_json(e, NSG("A", "nsg1"), NSG_BODY), CAPZ_ENSURE_CREATED);
  first_method("/networkSecurityGroups/nsg1", m, sizeof m);
  ck_assert_str_eq(m, "PUT");
  ck_assert_int_eq(ensure_json(e, FRESH "A/providers/Microsoft.Network/virtualNetworks/vnet1", VNET_BODY),
                   CAPZ_ENSURE_CREATED);
  first_method("/virtualNetworks/vnet1", m, sizeof m);
  ck_assert_str_eq(m, "PUT");
  /* a nested child is read first: its parent's body could have created it */
  ck_assert_int_eq(ensure_json(e, FRESH "A/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1",
                               "{\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}"),
                   CAPZ_ENSURE_CREATED);
  first_method("/subnets/s1", m, sizeof m);
  ck_assert_str_eq(m, "GET");
  /* our own resource, remembered: steady, no request at all */
  log_clear();
  ck_assert_int_eq(ensure_json(e, NSG("A", "nsg1"), NSG_BODY), CAPZ_ENSURE_UNCHANGED);
  first_method("/networkSecurityGroups/nsg1", m, sizeof m);
  ck_assert_str_eq(m, "");
  /* forgetting something under the group ends the knowledge: the forgotten resource is read (it exists and
   * matches: no write), and so is any other new resource of that group */
  capz_arm_ensurer_forget(e, NSG("A", "nsg1"));
  ck_assert_int_eq(ensure_json(e, NSG("A", "nsg1"), NSG_BODY), CAPZ_ENSURE_UNCHANGED);
  first_method("/networkSecurityGroups/nsg1", m, sizeof m);
  ck_assert_str_eq(m, "GET");
  ck_assert_int_eq(ensure_json(e, NSG("A", "nsg2"), NSG_BODY), CAPZ_ENSURE_CREATED);
  first_method("/networkSecurityGroups/nsg2", m, sizeof m);
  ck_assert_str_eq(m, "GET");
  /* the knowledge lasts one drift interval */
  ck_assert_int_eq(ensure_json(e, FRESH "B", "{\"location\":\"eastus\"}"), CAPZ_ENSURE_CREATED);
  fake += 601;
  ck_assert_int_eq(ensure_json(e, NSG("B", "nsg3"), NSG_BODY), CAPZ_ENSURE_CREATED);
  first_method("/networkSecurityGroups/nsg3", m, sizeof m);
  ck_assert_str_eq(m, "GET");
  /* a group that already existed (a new ensurer finds freshA): its new resources are read first */
  capz_arm_ensurer *e2 = capz_arm_ensurer_new(&ec);
  ck_assert_int_eq(ensure_json(e2, FRESH "A", "{\"location\":\"eastus\"}"), CAPZ_ENSURE_UNCHANGED);
  log_clear();
  ck_assert_int_eq(ensure_json(e2, NSG("A", "nsg4"), NSG_BODY), CAPZ_ENSURE_CREATED);
  first_method("/networkSecurityGroups/nsg4", m, sizeof m);
  ck_assert_str_eq(m, "GET");
  /* the skipped reads are counted: nsg1 and vnet1 */
  char *text = capz_metrics_render(reg, NULL);
  ck_assert_ptr_nonnull(strstr(text, "capz_azure_ensure_reads_skipped_total 2"));
  free(text);
  capz_arm_ensurer_free(e2);
  capz_arm_ensurer_free(e);
  capz_metrics_registry_free(reg);
}
END_TEST

static Suite *drift_suite(void) {
  Suite *s = suite_create("azure_drift");
  TCase *tc = tcase_create("sim");
  tcase_add_unchecked_fixture(tc, global_setup, global_teardown);
  tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, capacity_keeps_most_recent);
  tcase_add_test(tc, default_capacity_is_large);
  tcase_add_test(tc, drift_reads_stay_within_budget);
  tcase_add_test(tc, no_budget_reads_all_due);
  tcase_add_test(tc, drift_reads_yield_to_busy_reads);
  tcase_add_test(tc, unowned_field_change_costs_nothing);
  tcase_add_test(tc, operation_results_polls_spend_the_subscriptions_reads);
  tcase_add_test(tc, fresh_group_children_skip_read);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(drift_suite()); }
