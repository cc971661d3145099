/* test_conditions.c — CAPI v1beta1 conditions: set/get/mark, lastTransitionTime only on status change, order,
 * Ready summary; pause detection; finalizer presence. */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "capz/conditions.h"
#include "capz/controller.h"
#include "ckrun.h"

static const char *s(const cJSON *c, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItem(c, k)); }

START_TEST(mark_and_transition_time) {
  cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"x\"}}");
  ck_assert_int_eq(capz_cond_mark_false(o, "VNetReady", "Creating", CAPZ_SEV_INFO, "creating %s", "vnet-1"), 0);
  const cJSON *c = capz_cond_get(o, "VNetReady");
  ck_assert_str_eq(s(c, "status"), "False");
  ck_assert_str_eq(s(c, "severity"), "Info");
  ck_assert_str_eq(s(c, "reason"), "Creating");
  ck_assert_str_eq(s(c, "message"), "creating vnet-1");
  char t1[32];
  snprintf(t1, sizeof t1, "%s", s(c, "lastTransitionTime"));
  ck_assert_int_eq((int)strlen(t1), 20);
  sleep(1);
  /* same status, new reason: time kept */
  capz_cond_mark_false(o, "VNetReady", "Failed", CAPZ_SEV_ERROR, "boom");
  c = capz_cond_get(o, "VNetReady");
  ck_assert_str_eq(s(c, "lastTransitionTime"), t1);
  ck_assert_str_eq(s(c, "severity"), "Error");
  /* status change: new time, severity dropped */
  capz_cond_mark_true(o, "VNetReady");
  c = capz_cond_get(o, "VNetReady");
  ck_assert_str_ne(s(c, "lastTransitionTime"), t1);
  ck_assert_ptr_null(cJSON_GetObjectItem(c, "severity"));
  ck_assert(capz_cond_is_true(o, "VNetReady"));
  ck_assert(!capz_cond_is_false(o, "VNetReady"));
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "conditions")), 1);
  ck_assert_int_eq(capz_cond_set(o, "X", "Maybe", NULL, 0, NULL), CAPZ_EINVAL);
  ck_assert_int_eq(capz_cond_delete(o, "VNetReady"), 0);
  ck_assert_ptr_null(capz_cond_get(o, "VNetReady"));
  ck_assert_int_eq(capz_cond_delete(o, "VNetReady"), CAPZ_ENOTFOUND);
  cJSON_Delete(o);
}
END_TEST

START_TEST(summary_and_order) {
  cJSON *o = cJSON_Parse("{\"status\":{\"ready\":false}}");
  capz_cond_mark_true(o, "SubnetsReady");
  capz_cond_mark_false(o, "VNetReady", "Creating", CAPZ_SEV_INFO, "in progress");
  capz_cond_mark_false(o, "LoadBalancersReady", "Failed", CAPZ_SEV_ERROR, "quota");
  capz_cond_mark_unknown(o, "BastionHostReady", "Pending", NULL);
  ck_assert_int_eq(capz_cond_set_summary(o, NULL), 0);
  const cJSON *cs = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "conditions");
  ck_assert_str_eq(s(cJSON_GetArrayItem(cs, 0), "type"), "Ready"); /* Ready first, then by type */
  ck_assert_str_eq(s(cJSON_GetArrayItem(cs, 1), "type"), "BastionHostReady");
  ck_assert_str_eq(s(cJSON_GetArrayItem(cs, 4), "type"), "VNetReady");
  const cJSON *r = capz_cond_get(o, "Ready");
  ck_assert_str_eq(s(r, "status"), "False");
  ck_assert_str_eq(s(r, "reason"), "Failed"); /* worst: Error beats Info */
  ck_assert_str_eq(s(r, "severity"), "Error");
  /* summary of listed types only */
  const char *only[] = {"SubnetsReady", NULL};
  capz_cond_set_summary(o, only);
  ck_assert(capz_cond_is_true(o, "Ready"));
  const char *unk[] = {"BastionHostReady", NULL};
  capz_cond_set_summary(o, unk);
  ck_assert_str_eq(s(capz_cond_get(o, "Ready"), "status"), "Unknown");
  cJSON_Delete(o);
}
END_TEST

START_TEST(pause_and_finalizers) {
  cJSON *o = cJSON_Parse("{\"metadata\":{\"annotations\":{\"cluster.x-k8s.io/paused\":\"\"},\"finalizers\":[\"a\",\"b\"]}}");
  cJSON *n = cJSON_Parse("{\"metadata\":{}}");
  cJSON *cl = cJSON_Parse("{\"spec\":{\"paused\":true}}");
  cJSON *cl2 = cJSON_Parse("{\"spec\":{\"paused\":false}}");
  ck_assert(capz_is_paused(o, NULL));
  ck_assert(!capz_is_paused(n, NULL));
  ck_assert(capz_is_paused(n, cl));
  ck_assert(!capz_is_paused(n, cl2));
  ck_assert(capz_has_finalizer(o, "b"));
  ck_assert(!capz_has_finalizer(o, "c"));
  ck_assert(!capz_has_finalizer(n, "a"));
  cJSON_Delete(o);
  cJSON_Delete(n);
  cJSON_Delete(cl);
  cJSON_Delete(cl2);
}
END_TEST

int main(void) {
  Suite *su = suite_create("conditions");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, mark_and_transition_time);
  tcase_add_test(tc, summary_and_order);
  tcase_add_test(tc, pause_and_finalizers);
  suite_add_tcase(su, tc);
  return ckrun(su);
}
