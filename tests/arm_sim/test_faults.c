/* test_faults.c — fault injection in capz-arm-sim: ARM errors with a count, latency, connection resets,
 * LRO outcomes Failed / Canceled / stuck, listing and clearing rules, invalid rules. */
#include <capz/json.h>
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/f-rg"
#define NET RG "/providers/Microsoft.Network"
#define NV "?api-version=2024-05-01"
#define RV "?api-version=2021-04-01"
#define VNET "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

static void fault(const char *json) {
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/faults", json), 201);
}

START_TEST(error_with_count) {
  fault("{\"method\":\"PUT\",\"path\":\"*/virtualNetworks/*\",\"kind\":\"error\",\"status\":503,\"count\":2}");
  for (int i = 0; i < 2; i++) {
    at_resp r = at_put(&sim, NET "/virtualNetworks/v" NV, VNET);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(at_str(&r, "/error/code"), "ServiceUnavailable");
    char ra[16];
    ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
    at_free(&r);
  }
  at_resp r;
  ck_assert_int_eq(at_put_status(&sim, NET "/virtualNetworks/v" NV, VNET), 201);
  /* GETs were never affected; rules are gone */
  r = at_req(&sim, "GET", "/_sim/faults", NULL, NULL, false);
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 0);
  at_free(&r);
  fault("{\"method\":\"GET\",\"path\":\"*\",\"kind\":\"error\",\"status\":409,\"code\":\"AnotherOperationInProgress\",\"message\":\"busy\"}");
  r = at_get(&sim, NET "/virtualNetworks/v" NV);
  ck_assert_int_eq(r.status, 409);
  ck_assert_str_eq(at_str(&r, "/error/code"), "AnotherOperationInProgress");
  ck_assert_str_eq(at_str(&r, "/error/message"), "busy");
  at_free(&r);
  r = at_req(&sim, "GET", "/_sim/faults", NULL, NULL, false);
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 1);
  ck_assert_int_eq((int)capz_json_ptr_int(r.json, "/0/hits", 0), 1);
  at_free(&r);
  ck_assert_int_eq(at_sim_status(&sim, "DELETE", "/_sim/faults", NULL), 204);
  ck_assert_int_eq(at_get_status(&sim, NET "/virtualNetworks/v" NV), 200);
}
END_TEST

START_TEST(latency_and_reset) {
  fault("{\"method\":\"GET\",\"path\":\"*/resourceGroups/f-rg\",\"kind\":\"latency\",\"latencyMs\":400,\"count\":1}");
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  at_resp r = at_get(&sim, RG RV);
  clock_gettime(CLOCK_MONOTONIC, &b);
  ck_assert_int_eq(r.status, 200);
  double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  ck_assert(dt >= 0.39);
  at_free(&r);
  fault("{\"path\":\"*/resourceGroups/f-rg\",\"kind\":\"reset\",\"count\":1}");
  r = at_get(&sim, RG RV);
  ck_assert_int_eq(r.status, 0);
  ck_assert(r.curl_rc == CURLE_GOT_NOTHING || r.curl_rc == CURLE_RECV_ERROR);
  at_free(&r);
  ck_assert_int_eq(at_get_status(&sim, RG RV), 200);
  fault("{\"path\":\"*\",\"kind\":\"error\",\"status\":429,\"retryAfter\":7,\"count\":1}");
  r = at_get(&sim, RG RV);
  ck_assert_int_eq(r.status, 429);
  char ra[16];
  ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
  ck_assert_str_eq(ra, "7");
  at_free(&r);
}
END_TEST

START_TEST(lro_outcomes) {
  fault("{\"method\":\"PUT\",\"path\":\"*/virtualNetworks/failing\",\"kind\":\"lroFail\",\"code\":\"InternalServerError\",\"message\":\"boom\",\"count\":1}");
  at_resp r = at_put(&sim, NET "/virtualNetworks/failing" NV, VNET);
  ck_assert_int_eq(r.status, 201);
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Failed");
  r = at_get(&sim, at_path_of(&sim, aao));
  ck_assert_str_eq(at_str(&r, "/error/code"), "InternalServerError");
  ck_assert_str_eq(at_str(&r, "/error/message"), "boom");
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/failing" NV, "/properties/provisioningState"), "Failed");
  /* a retry succeeds */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/failing" NV, VNET), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/failing" NV, "/properties/provisioningState"), "Succeeded");
  /* canceled delete, seen through Location */
  fault("{\"method\":\"DELETE\",\"path\":\"*/virtualNetworks/failing\",\"kind\":\"lroCancel\",\"count\":1}");
  r = at_del(&sim, NET "/virtualNetworks/failing" NV);
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, loc));
  ck_assert_int_ge(r.status, 400);
  ck_assert_str_eq(at_str(&r, "/error/code"), "OperationCanceled");
  at_free(&r);
  r = at_get(&sim, NET "/virtualNetworks/failing" NV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Canceled");
  at_free(&r);
  /* stuck: stays InProgress, the resource stays busy */
  fault("{\"method\":\"PUT\",\"path\":\"*/virtualNetworks/stuck\",\"kind\":\"lroStuck\",\"count\":1}");
  r = at_put(&sim, NET "/virtualNetworks/stuck" NV, VNET);
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  at_sleep_ms(100);
  ck_assert_str_eq(at_get_str(&sim, at_path_of(&sim, aao), "/status"), "InProgress");
  ck_assert_int_eq(at_put_status(&sim, NET "/virtualNetworks/stuck" NV, VNET), 409);
}
END_TEST

START_TEST(invalid_rules) {
  at_resp r;
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/faults", "{\"path\":\"*\",\"kind\":\"explode\"}"), 400);
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/faults", "{\"kind\":\"error\"}"), 400);
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/faults", "{\"path\":\"*\",\"kind\":\"error\",\"status\":42}"), 400);
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/faults", "not json"), 400);
  r = at_req(&sim, "POST", "/_sim/faults",
             "[{\"path\":\"/a\",\"kind\":\"error\"},{\"path\":\"/b\",\"kind\":\"latency\",\"latencyMs\":1}]", NULL, false);
  ck_assert_int_eq(r.status, 201);
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 2);
  at_free(&r);
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_faults");
  TCase *tc = tcase_create("faults");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, error_with_count);
  tcase_add_test(tc, latency_and_reset);
  tcase_add_test(tc, lro_outcomes);
  tcase_add_test(tc, invalid_rules);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
