/* test_ensure_stress.c — one non-blocking ensurer (capacity 4) shared by 8 threads on 12 resources against
 * capz-arm-sim: same-key and different-key ensures with LROs in flight, evictions of entries whose op is being
 * polled, forgets and deletes racing them. Asserts the workers see no failures and the ensurer stays bounded;
 * meant to be run under TSan/ASan as well (ownership of ops and results across eviction). */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/azure.h"
#include "capz/sdk.h"
#include "armcloud.h"
#include "sim_idents.h"
#include "simproc.h"
#include "ckrun.h"

#define RG_ID "/subscriptions/" SUB "/resourceGroups/rgs"
#define N_KEYS 12
#define N_THREADS 8
#define ROUNDS 40

static simproc g_sim;
static capz_az_cloud g_cloud;

static void global_setup(void) {
  sim_idents_setup("azstress", "", ",\"lro\":{\"defaultSeconds\":0.3,\"retryAfterSeconds\":1}");
}
static void global_teardown(void) { sim_idents_teardown(); }

static void sim_setup(void) {
  sim_idents_start(&g_sim, &g_cloud);
}
static void sim_teardown(void) {
  sim_idents_stop(&g_sim);
}

typedef struct stress_arg {
  capz_arm_ensurer *e;
  capz_arm_client *c;
  int idx;
  int failures;
  char last_err[600];
} stress_arg;

static void *stress_worker(void *p) {
  stress_arg *a = p;
  cJSON *desired = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"disableBgpRoutePropagation\":true}}");
  unsigned seed = (unsigned)a->idx * 7919u + 1;
  char *token[N_KEYS] = {0};
  for (int round = 0; round < ROUNDS; round++) {
    int k = (int)(rand_r(&seed) % N_KEYS);
    char id[256];
    snprintf(id, sizeof id, RG_ID "/providers/Microsoft.Network/routeTables/rt-%d", k);
    capz_arm_ensure_result res;
    capz_err err;
    capz_err_clear(&err);
    int rc, what = (int)(rand_r(&seed) % 10);
    if (what == 0) {
      capz_arm_ensurer_forget(a->e, id);
      continue;
    }
    if (what == 1) {
      rc = capz_arm_ensure_delete(a->e, a->c, id, NULL, NULL, &res, &err);
    } else {
      capz_arm_ensure_spec s = {.id = id, .desired = desired, .resume_token = token[k]};
      rc = capz_arm_ensure(a->e, a->c, &s, &res, &err);
    }
    free(token[k]);
    token[k] = res.resume_token ? strdup(res.resume_token) : NULL;
    /* 409 (a write on a resource another worker is changing), a failed op and a 404 (deleted by another worker
     * mid-operation) are ARM's answers to the race, not client failures */
    if (rc && rc != CAPZ_ECONFLICT && rc != CAPZ_EFAILED && rc != CAPZ_ENOTFOUND) {
      a->failures++;
      snprintf(a->last_err, sizeof a->last_err, "rc %d: %s", rc, err.msg);
    }
    capz_arm_ensure_result_free(&res);
  }
  for (int k = 0; k < N_KEYS; k++) free(token[k]);
  cJSON_Delete(desired);
  return NULL;
}

START_TEST(ensure_stress_eviction_with_lros) {
  capz_az_identity idn = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = TENANT, .client_id = C_SP,
                          .secret = (const unsigned char *)"sp-secret-1", .secret_len = 11};
  capz_err err;
  capz_az_credential *cred = capz_az_credential_new(&g_cloud, &idn, NULL, &err);
  ck_assert_msg(cred != NULL, "%s", err.msg);
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = cred, .backoff_base_s = 0.05,
                                .poll_default_s = 0.05, .max_retry_wait_s = 2};
  capz_arm_client *c = capz_arm_client_new(&cfg, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  cJSON *rg = cJSON_Parse("{\"location\":\"eastus\"}");
  ck_assert_int_eq(capz_arm_put(c, RG_ID, rg, NULL, 30, NULL, &err), 0);
  cJSON_Delete(rg);

  capz_arm_ensure_config ec = {.capacity = 4, .drift_interval_s = 0.05};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  pthread_t th[N_THREADS];
  stress_arg args[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    args[i] = (stress_arg){.e = e, .c = c, .idx = i};
    ck_assert_int_eq(pthread_create(&th[i], NULL, stress_worker, &args[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N_THREADS; i++) ck_assert_msg(args[i].failures == 0, "worker %d: %s", i, args[i].last_err);
  ck_assert_uint_le(capz_arm_ensurer_size(e), 4);
  capz_arm_ensurer_free(e);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
}
END_TEST

static Suite *stress_suite(void) {
  Suite *s = suite_create("azure_ensure_stress");
  TCase *tc = tcase_create("stress");
  tcase_add_unchecked_fixture(tc, global_setup, global_teardown);
  tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, ensure_stress_eviction_with_lros);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(stress_suite()); }
