/* test_auth_concurrency.c — server threads call the token endpoint, IMDS and ARM checks at the same time (as
 * capz-arm-sim's HTTP threads do); every call must succeed and tokens must verify. Prints throughput figures. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authtest.h"
#include "ckrun.h"

#define THREADS 4
#define ROUNDS 40

static arm_auth *A;
static char *BODY;

typedef struct result {
  int ok, fail;
} result;

static void *worker(void *arg) {
  result *res = arg;
  for (int i = 0; i < ROUNDS; i++) {
    arm_http_reply r;
    arm_auth_token(A, AT_TENANT, BODY, strlen(BODY), &r);
    cJSON *o = at_parse(r.body);
    const cJSON *t = cJSON_GetObjectItem(o, "access_token");
    bool good = r.status == 200 && cJSON_IsString(t);
    char authz[4096] = "";
    if (good) snprintf(authz, sizeof authz, "Bearer %s", t->valuestring);
    cJSON_Delete(o);
    arm_http_reply_clear(&r);
    char principal[64];
    if (good) good = arm_auth_check(A, authz, AT_SUB, principal, sizeof principal, &r) &&
                     strcmp(principal, AT_APP_OID) == 0;
    arm_http_reply_clear(&r);
    arm_auth_imds(A, "api-version=2018-02-01&resource=https://management.azure.com/", "true", &r);
    good = good && r.status == 200;
    arm_http_reply_clear(&r);
    /* a failing call in between must not disturb the others */
    arm_auth_check(A, "Bearer x.y.z", AT_SUB, NULL, 0, &r);
    good = good && r.status == 401;
    arm_http_reply_clear(&r);
    if (good) res->ok++;
    else res->fail++;
  }
  return NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(parallel_flows) {
  char err[128];
  A = arm_auth_new(NULL, err, sizeof err);
  ck_assert_ptr_nonnull(A);
  arm_auth_set_base_url(A, "http://127.0.0.1:1");
  BODY = at_form("grant_type", "client_credentials", "client_id", AT_APP, "client_secret", AT_SECRET, "scope",
                 AT_ARM_SCOPE, NULL);
  pthread_t th[THREADS];
  result res[THREADS];
  memset(res, 0, sizeof res);
  double t0 = now_s();
  for (int i = 0; i < THREADS; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &res[i]), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  double dt = now_s() - t0;
  int ok = 0;
  for (int i = 0; i < THREADS; i++) {
    ck_assert_int_eq(res[i].fail, 0);
    ok += res[i].ok;
  }
  ck_assert_int_eq(ok, THREADS * ROUNDS);
  fprintf(stderr, "arm_auth: %d rounds (token + check + imds + bad check) on %d threads in %.3f s: %.0f rounds/s\n",
          ok, THREADS, dt, ok / dt);

  /* single-threaded cost of each call */
  int n = 200;
  arm_http_reply r;
  t0 = now_s();
  char *tok = NULL;
  for (int i = 0; i < n; i++) {
    free(tok);
    tok = at_secret_token(A, AT_TENANT, AT_APP, AT_SECRET, AT_ARM_SCOPE);
  }
  double tt = (now_s() - t0) / n;
  char authz[4096];
  snprintf(authz, sizeof authz, "Bearer %s", tok);
  t0 = now_s();
  for (int i = 0; i < n; i++) ck_assert(arm_auth_check(A, authz, AT_SUB, NULL, 0, &r));
  double tc = (now_s() - t0) / n;
  fprintf(stderr, "arm_auth: token issue %.1f us/op, ARM check %.1f us/op\n", tt * 1e6, tc * 1e6);
  free(tok);
  free(BODY);
  arm_auth_free(A);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_concurrency");
  TCase *tc = tcase_create("concurrency");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, parallel_flows);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
