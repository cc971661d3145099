/* test_auth_imds.c — IMDS token endpoint: Metadata header, identity selection (system-assigned, client_id,
 * object_id, msi_res_id / mi_res_id), the exact IMDS answer shape and its errors; IMDS tokens pass ARM checks. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authtest.h"
#include "ckrun.h"

#define RES "https%3A%2F%2Fmanagement.azure.com%2F"
#define Q(extra) "api-version=2018-02-01&resource=" RES extra

static arm_auth *A;

static void setup(void) {
  char err[256];
  A = arm_auth_new(NULL, err, sizeof err);
  ck_assert_msg(A != NULL, "%s", err);
}
static void teardown(void) { arm_auth_free(A); }

static cJSON *imds(arm_auth *a, const char *query, const char *md, int *st) {
  arm_http_reply r;
  arm_auth_imds(a, query, md, &r);
  *st = r.status;
  cJSON *o = at_parse(r.body);
  arm_http_reply_clear(&r);
  return o;
}

static void expect_error(arm_auth *a, const char *query, const char *md, const char *error, const char *desc) {
  int st = 0;
  cJSON *o = imds(a, query, md, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_int_eq(cJSON_GetArraySize(o), 2);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "error")->valuestring, error);
  ck_assert_msg(strstr(cJSON_GetObjectItem(o, "error_description")->valuestring, desc) != NULL, "%s",
                cJSON_GetObjectItem(o, "error_description")->valuestring);
  cJSON_Delete(o);
}

/* Checks the success shape and returns the oid of the issued token (malloc). */
static char *expect_ok(arm_auth *a, const char *query, const char *client_id) {
  int st = 0;
  long before = (long)time(NULL);
  cJSON *o = imds(a, query, "true", &st);
  ck_assert_int_eq(st, 200);
  static const char *keys[] = {"access_token", "client_id",  "expires_in", "expires_on",
                               "ext_expires_in", "not_before", "resource",   "token_type"};
  ck_assert_int_eq(cJSON_GetArraySize(o), 8);
  for (size_t i = 0; i < 8; i++) ck_assert_msg(cJSON_IsString(cJSON_GetObjectItem(o, keys[i])), "%s", keys[i]);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "token_type")->valuestring, "Bearer");
  ck_assert_str_eq(cJSON_GetObjectItem(o, "resource")->valuestring, "https://management.azure.com/");
  ck_assert_str_eq(cJSON_GetObjectItem(o, "client_id")->valuestring, client_id);
  long in = atol(cJSON_GetObjectItem(o, "expires_in")->valuestring);
  long on = atol(cJSON_GetObjectItem(o, "expires_on")->valuestring);
  long nb = atol(cJSON_GetObjectItem(o, "not_before")->valuestring);
  ck_assert_int_eq(in, 3599);
  ck_assert_int_eq(atol(cJSON_GetObjectItem(o, "ext_expires_in")->valuestring), 3599);
  ck_assert(nb >= before && on == nb + in);
  const char *tok = cJSON_GetObjectItem(o, "access_token")->valuestring;
  cJSON *c = at_jwt_claims(tok);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "aud")->valuestring, "https://management.azure.com");
  ck_assert_str_eq(cJSON_GetObjectItem(c, "appid")->valuestring, client_id);
  char *oid = strdup(cJSON_GetObjectItem(c, "oid")->valuestring);
  /* the token works against ARM and identifies the same principal */
  char authz[4096];
  snprintf(authz, sizeof authz, "Bearer %s", tok);
  arm_http_reply r;
  char principal[64];
  ck_assert(arm_auth_check(a, authz, AT_SUB, principal, sizeof principal, &r));
  ck_assert_str_eq(principal, oid);
  cJSON_Delete(c);
  cJSON_Delete(o);
  return oid;
}

START_TEST(metadata_header_required) {
  expect_error(A, Q(""), NULL, "invalid_request", "Required metadata header not specified");
  expect_error(A, Q(""), "false", "invalid_request", "Required metadata header not specified");
  expect_error(A, Q(""), "", "invalid_request", "Required metadata header not specified");
}
END_TEST

START_TEST(system_assigned_by_default) {
  char *oid = expect_ok(A, Q(""), AT_SAMI_CLIENT);
  ck_assert_str_eq(oid, AT_SAMI_OID);
  free(oid);
  oid = expect_ok(A, Q("&client_id="), AT_SAMI_CLIENT); /* empty selector = none */
  ck_assert_str_eq(oid, AT_SAMI_OID);
  free(oid);
  oid = expect_ok(A, Q("&client_id=" AT_SAMI_CLIENT), AT_SAMI_CLIENT);
  ck_assert_str_eq(oid, AT_SAMI_OID);
  free(oid);
}
END_TEST

START_TEST(user_assigned_selectors) {
  char *oid = expect_ok(A, Q("&client_id=" AT_UAMI_CLIENT), AT_UAMI_CLIENT);
  ck_assert_str_eq(oid, AT_UAMI_OID);
  free(oid);
  oid = expect_ok(A, Q("&object_id=" AT_UAMI_OID), AT_UAMI_CLIENT);
  ck_assert_str_eq(oid, AT_UAMI_OID);
  free(oid);
  char *res = at_urlencode(AT_UAMI_RES);
  char q[1024];
  snprintf(q, sizeof q, "%s&msi_res_id=%s", Q(""), res);
  oid = expect_ok(A, q, AT_UAMI_CLIENT);
  ck_assert_str_eq(oid, AT_UAMI_OID);
  free(oid);
  snprintf(q, sizeof q, "%s&mi_res_id=%s", Q(""), res);
  oid = expect_ok(A, q, AT_UAMI_CLIENT);
  ck_assert_str_eq(oid, AT_UAMI_OID);
  free(oid);
  free(res);
  /* the managed-identity token carries the identity's resource id */
  int st;
  cJSON *o = imds(A, Q("&client_id=" AT_UAMI_CLIENT), "true", &st);
  cJSON *c = at_jwt_claims(cJSON_GetObjectItem(o, "access_token")->valuestring);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "xms_mirid")->valuestring, AT_UAMI_RES);
  cJSON_Delete(c);
  cJSON_Delete(o);
}
END_TEST

START_TEST(identity_errors) {
  expect_error(A, Q("&client_id=00000000-0000-4000-8000-000000000000"), "true", "invalid_request",
               "Identity not found");
  expect_error(A, Q("&object_id=00000000-0000-4000-8000-000000000000"), "true", "invalid_request",
               "Identity not found");
  expect_error(A, Q("&msi_res_id=%2Fsubscriptions%2Fx"), "true", "invalid_request", "Identity not found");
  expect_error(A, Q("&client_id=" AT_UAMI_CLIENT "&object_id=" AT_UAMI_OID), "true", "invalid_request",
               "Only one of");
  expect_error(A, "api-version=2018-02-01", "true", "invalid_request", "audience");
  expect_error(A, "resource=" RES, "true", "invalid_request", "api-version");
  expect_error(A, NULL, "true", "invalid_request", "api-version");
  expect_error(A, "api-version=2018-02-01&resource=https%3A%2F%2Funknown.example%2F", "true", "invalid_resource",
               "AADSTS500011");
  expect_error(A, "api-version=2018-02-01&resource=%zz", "true", "invalid_request", "Malformed");
}
END_TEST

START_TEST(identity_choice_without_selector) {
  char err[256];
  /* no system-assigned identity, two user-assigned: a selector is required */
  cJSON *cfg = cJSON_Parse(
      "{\"tenants\":[{\"id\":\"" AT_TENANT "\"}],\"subscriptions\":[\"" AT_SUB "\"],"
      "\"managed_identities\":{\"system_assigned\":false,\"user_assigned\":["
      "{\"client_id\":\"u1\",\"object_id\":\"o1\"},{\"client_id\":\"u2\",\"object_id\":\"o2\"}]}}");
  arm_auth *m = arm_auth_new(cfg, err, sizeof err);
  ck_assert_msg(m != NULL, "%s", err);
  expect_error(m, Q(""), "true", "invalid_request", "Multiple user assigned identities");
  char *oid = expect_ok(m, Q("&client_id=u2"), "u2");
  ck_assert_str_eq(oid, "o2");
  free(oid);
  arm_auth_free(m);
  /* a single user-assigned identity is used without a selector */
  cJSON_DeleteItemFromArray(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "managed_identities"), "user_assigned"), 1);
  m = arm_auth_new(cfg, err, sizeof err);
  ck_assert_msg(m != NULL, "%s", err);
  oid = expect_ok(m, Q(""), "u1");
  ck_assert_str_eq(oid, "o1");
  free(oid);
  arm_auth_free(m);
  /* no identity at all */
  cJSON_DeleteItemFromObject(cfg, "managed_identities");
  m = arm_auth_new(cfg, err, sizeof err);
  ck_assert_msg(m != NULL, "%s", err);
  expect_error(m, Q(""), "true", "invalid_request", "Identity not found");
  arm_auth_free(m);
  cJSON_Delete(cfg);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_imds");
  TCase *tc = tcase_create("imds");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, metadata_header_required);
  tcase_add_test(tc, system_assigned_by_default);
  tcase_add_test(tc, user_assigned_selectors);
  tcase_add_test(tc, identity_errors);
  tcase_add_test(tc, identity_choice_without_selector);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
