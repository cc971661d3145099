/* test_auth_config.c — the `auth:` config: every invalid field is rejected with a message naming it; valid
 * options (lifetime, domains, extra resources/audiences, authority) take effect. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authtest.h"
#include "ckrun.h"

#define TEN "{\"id\":\"" AT_TENANT "\"}"

/* arm_auth_new must fail on json and its message must contain want. */
static void expect_bad(const char *json, const char *want) {
  cJSON *cfg = cJSON_Parse(json);
  ck_assert_msg(cfg != NULL, "test JSON: %s", json);
  char err[512] = "";
  arm_auth *a = arm_auth_new(cfg, err, sizeof err);
  cJSON_Delete(cfg);
  ck_assert_msg(a == NULL, "accepted: %s", json);
  ck_assert_msg(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
}

static arm_auth *good(const char *json) {
  cJSON *cfg = cJSON_Parse(json);
  ck_assert_ptr_nonnull(cfg);
  char err[512] = "";
  arm_auth *a = arm_auth_new(cfg, err, sizeof err);
  cJSON_Delete(cfg);
  ck_assert_msg(a != NULL, "%s", err);
  return a;
}

START_TEST(invalid_configs) {
  expect_bad("[]", "auth: must be an object");
  expect_bad("{}", "tenants");
  expect_bad("{\"tenants\":[]}", "tenants");
  expect_bad("{\"tenant\":[" TEN "]}", "unknown field 'tenant'");
  expect_bad("{\"tenants\":[{}]}", "tenants[0].id");
  expect_bad("{\"tenants\":[" TEN "," TEN "]}", "tenants[1].id");
  expect_bad("{\"tenants\":[{\"id\":\"t\",\"name\":\"x\"}]}", "tenants[0]: unknown field 'name'");
  expect_bad("{\"tenants\":[" TEN "],\"subscriptions\":[{\"id\":\"s\",\"tenant\":\"nope\"}]}",
             "subscriptions[0].tenant 'nope'");
  expect_bad("{\"tenants\":[" TEN "],\"subscriptions\":[\"s\",\"S\"]}", "subscriptions[1].id 'S' is a duplicate");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"secret\":\"x\"}]}", "apps[0].client_id is required");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"tenant\":\"zz\"}]}", "apps[0].tenant 'zz'");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\"},{\"client_id\":\"A\"}]}",
             "apps[1].client_id 'A' is a duplicate");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"subscriptions\":[\"nosub\"]}]}",
             "apps[0].subscriptions[0] 'nosub'");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"secrets\":[1]}]}", "apps[0].secrets[0]");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"certificates\":[\"/nonexistent/c.pem\"]}]}",
             "apps[0].certificates[0]: cannot open");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"certificates\":[\"-----BEGIN CERTIFICATE-----"
             "\\nAAAA\\n-----END CERTIFICATE-----\\n\"]}]}",
             "apps[0].certificates[0]: not a PEM certificate");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"federated_credentials\":[{\"issuer\":\"i\","
             "\"subject\":\"s\"}]}]}",
             "federated_credentials[0] needs public_keys, jwks or jwks_file");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"federated_credentials\":[{\"subject\":\"s\"}]}]}",
             "federated_credentials[0].issuer is required");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"federated_credentials\":[{\"issuer\":\"i\","
             "\"subject\":\"s\",\"jwks\":{\"keys\":[{\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"}]}}]}]}",
             "jwks: JWKS key 0");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"federated_credentials\":[{\"issuer\":\"i\","
             "\"subject\":\"s\",\"public_keys\":[\"-----BEGIN PUBLIC KEY-----\\nAA\\n-----END PUBLIC KEY-----\\n\"]}]}]}",
             "public_keys[0]");
  expect_bad("{\"tenants\":[" TEN "],\"token_lifetime_seconds\":0}", "token_lifetime_seconds");
  expect_bad("{\"tenants\":[" TEN "],\"token_lifetime_seconds\":1.5}", "token_lifetime_seconds");
  expect_bad("{\"tenants\":[" TEN "],\"token_lifetime_seconds\":\"60\"}", "token_lifetime_seconds");
  expect_bad("{\"tenants\":[" TEN "],\"managed_identities\":{\"user_assigned\":[{\"client_id\":\"u\",\"secret\":"
             "\"x\"}]}}",
             "managed_identities.user_assigned[0]: unknown field 'secret'");
  expect_bad("{\"tenants\":[" TEN "],\"managed_identities\":{\"system_assigned\":{}}}",
             "managed_identities.system_assigned.client_id is required");
  expect_bad("{\"tenants\":[" TEN "],\"managed_identities\":[]}", "managed_identities must be an object");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\",\"object_id\":\"o\"}],\"managed_identities\":"
             "{\"system_assigned\":{\"client_id\":\"b\",\"object_id\":\"O\"}}}",
             "object_id 'O' is used by two principals");
  expect_bad("{\"tenants\":[" TEN "],\"apps\":[{\"client_id\":\"a\"}],\"managed_identities\":"
             "{\"user_assigned\":[{\"client_id\":\"A\"}]}}",
             "client_id 'A' is used by two principals");
}
END_TEST

START_TEST(lifetime_and_domains) {
  arm_auth *a = good("{\"token_lifetime_seconds\":7,\"tenants\":[{\"id\":\"" AT_TENANT
                     "\",\"domains\":[\"contoso.onmicrosoft.com\"]}],"
                     "\"apps\":[{\"client_id\":\"app\",\"secret\":\"pw\"}]}");
  int st = 0;
  char *body = at_form("grant_type", "client_credentials", "client_id", "app", "client_secret", "pw", "scope",
                       AT_ARM_SCOPE, NULL);
  cJSON *o = at_token(a, "Contoso.onmicrosoft.com", body, &st);
  ck_assert_int_eq(st, 200);
  ck_assert_int_eq(cJSON_GetObjectItem(o, "expires_in")->valueint, 7);
  cJSON *c = at_jwt_claims(cJSON_GetObjectItem(o, "access_token")->valuestring);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "tid")->valuestring, AT_TENANT); /* the id, not the domain */
  ck_assert_int_eq((int)strlen(cJSON_GetObjectItem(c, "oid")->valuestring), 36); /* generated object id */
  /* default issuer before the server knows its URL */
  ck_assert_str_eq(cJSON_GetObjectItem(c, "iss")->valuestring, "https://login.microsoftonline.com/" AT_TENANT "/v2.0");
  cJSON_Delete(c);
  cJSON_Delete(o);
  free(body);
  ck_assert(!arm_auth_subscription_exists(a, AT_SUB)); /* no subscriptions configured */
  arm_auth_free(a);
}
END_TEST

START_TEST(extra_resources_audiences_authority) {
  arm_auth *a = good("{\"tenants\":[" TEN "],\"subscriptions\":[\"" AT_SUB "\"],"
                     "\"resources\":[\"api://my-api/\"],\"arm_audiences\":[\"http://127.0.0.1:9999/\"],"
                     "\"authority\":\"https://login.example.test/\","
                     "\"apps\":[{\"client_id\":\"app\",\"secrets\":[\"old\",\"new\"]}]}");
  char *t1 = at_secret_token(a, AT_TENANT, "app", "old", "api://my-api/.default");
  char *t2 = at_secret_token(a, AT_TENANT, "app", "new", "http://127.0.0.1:9999//.default");
  ck_assert_ptr_nonnull(t1);
  ck_assert_ptr_nonnull(t2);
  char h[4096];
  arm_http_reply r;
  snprintf(h, sizeof h, "Bearer %s", t2);
  ck_assert(arm_auth_check(a, h, AT_SUB, NULL, 0, &r)); /* configured ARM audience */
  snprintf(h, sizeof h, "Bearer %s", t1);
  ck_assert(!arm_auth_check(a, h, AT_SUB, NULL, 0, &r));
  ck_assert_str_eq(at_arm_code(&r), "InvalidAuthenticationTokenAudience");
  ck_assert_msg(strstr(r.www_authenticate, "authorization_uri=\"https://login.example.test/" AT_TENANT "\""), "%s",
                r.www_authenticate);
  arm_http_reply_clear(&r);
  free(t1);
  free(t2);
  arm_auth_free(a);
}
END_TEST

START_TEST(defaults_and_null_safety) {
  char err[8];
  arm_auth *a = arm_auth_new(NULL, err, sizeof err); /* tiny error buffer is fine */
  ck_assert_ptr_nonnull(a);
  ck_assert(arm_auth_subscription_exists(a, AT_SUB));
  arm_auth_set_base_url(a, NULL);
  arm_auth_free(a);
  arm_auth_free(NULL);
  arm_http_reply_clear(NULL);
  ck_assert_ptr_nonnull((a = arm_auth_new(NULL, NULL, 0)));
  arm_http_reply r;
  arm_auth_token(NULL, AT_TENANT, "", 0, &r);
  ck_assert_int_eq(r.status, 500);
  arm_auth_token(a, AT_TENANT, NULL, 0, &r);
  ck_assert_int_eq(r.status, 400);
  arm_http_reply_clear(&r);
  arm_auth_imds(NULL, "", "true", &r);
  ck_assert_int_eq(r.status, 500);
  ck_assert(!arm_auth_check(NULL, "Bearer x", NULL, NULL, 0, &r));
  ck_assert(!arm_auth_subscription_exists(NULL, AT_SUB));
  arm_auth_free(a);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_config");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, invalid_configs);
  tcase_add_test(tc, lifetime_and_domains);
  tcase_add_test(tc, extra_resources_audiences_authority);
  tcase_add_test(tc, defaults_and_null_safety);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
