/* test_controller_util.c — capz/controller_util.h pure helpers: owner references, LRO records, base64, fmt. */
#include <stdlib.h>
#include <string.h>

#include "capz/controller_util.h"
#include "capz/json.h"
#include "tenv.h"

START_TEST(owner_ref_name) {
  cJSON *o = cJSON_Parse("{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io.evil/v1\","
                         "\"kind\":\"Cluster\",\"name\":\"no\"},{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\","
                         "\"kind\":\"Cluster\",\"name\":\"c1\"}]}}");
  ck_assert_str_eq(capz_owner_ref_name(o, "cluster.x-k8s.io", "Cluster"), "c1");
  ck_assert_ptr_null(capz_owner_ref_name(o, "cluster.x-k8s.io", "Machine"));
  ck_assert_ptr_null(capz_owner_ref_name(NULL, "cluster.x-k8s.io", "Cluster"));
  cJSON_Delete(o);
}
END_TEST

START_TEST(lro_records) {
  cJSON *o = cJSON_Parse("{\"metadata\":{}}");
  capz_lro_state_set(o, "vnet", "v1", "PUT", NULL); /* clearing nothing adds nothing */
  ck_assert_ptr_null(capz_json_ptr_get(o, "/status"));
  capz_lro_state_set(o, "vnet", "v1", "PUT", "tok1");
  capz_lro_state_set(o, "subnet", "s1", "DELETE", "tok2");
  capz_lro_state_set(o, "vnet", "v1", "PUT", "tok3"); /* replaces */
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(o, "/status/longRunningOperationStates")), 2);
  ck_assert_str_eq(capz_lro_state_get(o, "vnet", "v1"), "tok3");
  ck_assert_str_eq(capz_json_ptr_str(o, "/status/longRunningOperationStates/0/type", ""), "DELETE");
  ck_assert_ptr_null(capz_lro_state_get(o, "vnet", "v2"));
  capz_lro_state_set(o, "vnet", "v1", NULL, NULL);
  capz_lro_state_set(o, "subnet", "s1", NULL, NULL);
  ck_assert_ptr_null(capz_json_ptr_get(o, "/status/longRunningOperationStates"));
  ck_assert_ptr_nonnull(capz_json_ptr_get(o, "/status"));
  cJSON_Delete(o);
}
END_TEST

START_TEST(base64) {
  size_t n = 0;
  unsigned char *b = capz_b64_decode("aGVsbG8gd29ybGQ=", &n);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(n, 11);
  ck_assert_str_eq((char *)b, "hello world");
  free(b);
  b = capz_b64_decode("aGk", &n); /* unpadded */
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(n, 2);
  ck_assert_int_eq(memcmp(b, "hi", 2), 0);
  free(b);
  b = capz_b64_decode("", &n);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(n, 0);
  free(b);
  ck_assert_ptr_null(capz_b64_decode("a*==", &n));
  ck_assert_ptr_null(capz_b64_decode("aGk=x", &n));
  ck_assert_ptr_null(capz_b64_decode("a", &n));
  ck_assert_ptr_null(capz_b64_decode("aG=", &n));
}
END_TEST

START_TEST(fmt) {
  char b[6];
  ck_assert_int_eq(capz_fmt(b, sizeof b, "%s", "abcde"), 0);
  ck_assert_int_eq(capz_fmt(b, sizeof b, "%s-%d", "abcde", 1), -1);
  ck_assert_str_eq(b, "abcde");
}
END_TEST

Suite *util_suite(void) {
  Suite *s = suite_create("controller_util");
  TCase *tc = tcase_create("pure");
  tcase_add_test(tc, owner_ref_name);
  tcase_add_test(tc, lro_records);
  tcase_add_test(tc, base64);
  tcase_add_test(tc, fmt);
  suite_add_tcase(s, tc);
  return s;
}
