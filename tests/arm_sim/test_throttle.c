/* test_throttle.c — ARM token buckets in capz-arm-sim: remaining-count headers, 429 with Retry-After,
 * refusal inside the Retry-After window, refill arithmetic, per-principal and global buckets, and the AKS
 * and Compute resource-provider buckets. */
#include <capz/json.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/th-rg"
#define RV "?api-version=2021-04-01"

static simproc sim;

static void teardown(void) { ck_assert(at_stop(&sim)); }

static int remaining(const at_resp *r, const char *h) {
  char v[32];
  return at_header(r, h, v, sizeof v) ? atoi(v) : -1;
}

START_TEST(subscription_buckets) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling:\n  reads: {burst: 5, perSecond: 2}\n"
                                  "  writes: {burst: 3, perSecond: 1}\n  globalMultiplier: 15\n"), 0);
  /* reads: 5 then refused */
  for (int i = 0; i < 5; i++) {
    at_resp r = at_get(&sim, AT_S "/resourcegroups" RV);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(remaining(&r, "x-ms-ratelimit-remaining-subscription-reads"), 4 - i);
    ck_assert_int_ge(remaining(&r, "x-ms-ratelimit-remaining-subscription-global-reads"), 70 - i);
    at_free(&r);
  }
  at_resp r = at_get(&sim, AT_S "/resourcegroups" RV);
  ck_assert_int_eq(r.status, 429);
  ck_assert_str_eq(at_str(&r, "/error/code"), "SubscriptionRequestsThrottled");
  char ra[16];
  ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
  ck_assert_int_eq(atoi(ra), 1);
  at_free(&r);
  /* inside the Retry-After window: refused again even though tokens refill at 2/s */
  at_sleep_ms(300);
  ck_assert_int_eq(at_get_status(&sim, AT_S "/resourcegroups" RV), 429);
  at_sleep_ms(1000);
  ck_assert_int_eq(at_get_status(&sim, AT_S "/resourcegroups" RV), 200);
  /* writes are a separate bucket */
  for (int i = 0; i < 3; i++) {
    at_resp w = at_put(&sim, RG RV, "{\"location\":\"eastus\"}");
    ck_assert_int_lt(w.status, 300);
    ck_assert_int_eq(remaining(&w, "x-ms-ratelimit-remaining-subscription-writes"), 2 - i);
    at_free(&w);
  }
  at_resp w = at_put(&sim, RG RV, "{\"location\":\"eastus\"}");
  ck_assert_int_eq(w.status, 429);
  ck_assert(at_header(&w, "Retry-After", ra, sizeof ra));
  ck_assert_int_eq(atoi(ra), 1); /* one token at 1/s */
  at_free(&w);
  /* another principal (the VM's managed identity via IMDS) has its own bucket */
  const char *mh[] = {"Metadata: true", NULL};
  at_resp t = at_req(&sim, "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F", NULL, mh, false);
  ck_assert_int_eq(t.status, 200);
  char auth[8300];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", at_str(&t, "/access_token"));
  at_free(&t);
  const char *ah[] = {auth, NULL};
  at_resp o = at_req(&sim, "PUT", RG RV, "{\"location\":\"eastus\"}", ah, false);
  ck_assert_int_eq(o.status, 200);
  ck_assert_int_eq(remaining(&o, "x-ms-ratelimit-remaining-subscription-writes"), 2);
  at_free(&o);
}
END_TEST

START_TEST(global_bucket_shared) {
  ck_assert_int_eq(at_start(&sim, "throttling:\n  reads: {burst: 2, perSecond: 0.1}\n  globalMultiplier: 1\n"), 0);
  at_resp r = at_get(&sim, AT_S "/resourcegroups" RV);
  at_free(&r);
  r = at_get(&sim, AT_S "/resourcegroups" RV);
  at_free(&r);
  const char *mh[] = {"Metadata: true", NULL};
  at_resp t = at_req(&sim, "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F", NULL, mh, false);
  char auth[8300];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", at_str(&t, "/access_token"));
  at_free(&t);
  const char *ah[] = {auth, NULL};
  r = at_req(&sim, "GET", AT_S "/resourcegroups" RV, NULL, ah, false);
  ck_assert_int_eq(r.status, 429); /* its own bucket is full, the shared one is empty */
  char ra[16];
  ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
  ck_assert_int_ge(atoi(ra), 9); /* 1 token at 0.1/s */
  at_free(&r);
}
END_TEST

START_TEST(aks_put_bucket) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling:\n  aks: {putBurst: 2, putPerMinute: 1}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  const char *mc = RG "/providers/Microsoft.ContainerService/managedClusters/c?api-version=2025-10-01";
  const char *body = "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"c\",\"agentPoolProfiles\":[{\"name\":\"s\",\"mode\":\"System\",\"count\":1}]}}";
  ck_assert_int_eq(at_put_wait(&sim, mc, body), 200);
  ck_assert_int_eq(at_put_wait(&sim, mc, body), 200);
  at_resp r = at_put(&sim, mc, body);
  ck_assert_int_eq(r.status, 429);
  ck_assert_str_eq(at_str(&r, "/error/code"), "Throttled");
  char ra[16];
  ck_assert(at_header(&r, "Retry-After", ra, sizeof ra));
  ck_assert_int_ge(atoi(ra), 59);
  at_free(&r);
  /* another cluster is not affected */
  ck_assert_int_eq(at_put_wait(&sim, RG "/providers/Microsoft.ContainerService/managedClusters/d?api-version=2025-10-01", body), 200);
}
END_TEST

START_TEST(compute_resource_bucket) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling:\n  reads: {burst: 1000, perSecond: 100}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG RV, "{\"location\":\"eastus\"}"), 200);
  const char *as = RG "/providers/Microsoft.Compute/virtualMachines/nope?api-version=2024-03-01";
  /* VM GETs are "LowCostGet": 36 per VM, refilled 12 per minute */
  int ok = 0;
  at_resp r;
  for (;;) {
    r = at_get(&sim, as);
    if (r.status == 429 || ok > 50) break;
    char h[256];
    ck_assert(at_header(&r, "x-ms-ratelimit-remaining-resource", h, sizeof h));
    ck_assert(strstr(h, "Microsoft.Compute/LowCostGet") != NULL);
    ok++;
    at_free(&r);
  }
  ck_assert_int_eq(ok, 36);
  ck_assert_int_eq(r.status, 429);
  ck_assert_str_eq(at_str(&r, "/error/code"), "OperationNotAllowed");
  ck_assert_str_eq(at_str(&r, "/error/details/0/code"), "TooManyRequests");
  cJSON *m = cJSON_Parse(at_str(&r, "/error/details/0/message"));
  ck_assert_ptr_nonnull(m);
  ck_assert_int_eq((int)capz_json_ptr_int(m, "/allowedRequestCount", 0), 36);
  cJSON_Delete(m);
  at_free(&r);
}
END_TEST

START_TEST(disabled) {
  ck_assert_int_eq(at_start(&sim, "throttling: {enabled: false, reads: {burst: 1, perSecond: 0}}\n"), 0);
  for (int i = 0; i < 20; i++) ck_assert_int_eq(at_get_status(&sim, AT_S "/resourcegroups" RV), 200);
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_throttle");
  TCase *tc = tcase_create("throttle");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, subscription_buckets);
  tcase_add_test(tc, global_bucket_shared);
  tcase_add_test(tc, aks_put_bucket);
  tcase_add_test(tc, compute_resource_bucket);
  tcase_add_test(tc, disabled);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
