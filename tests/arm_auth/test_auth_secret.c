/* test_auth_secret.c — token endpoint: client_credentials with a client secret, request validation and the
 * Entra error shapes, using the built-in defaults (arm_auth_new(NULL)). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "authtest.h"
#include "ckrun.h"

static arm_auth *A;

static void setup(void) {
  char err[256];
  A = arm_auth_new(NULL, err, sizeof err);
  ck_assert_msg(A != NULL, "%s", err);
  arm_auth_set_base_url(A, "http://127.0.0.1:4321/");
}
static void teardown(void) { arm_auth_free(A); }

static cJSON *secret_req(const char *tenant, const char *client, const char *secret, const char *scope, int *st) {
  char *body = at_form("client_id", client, "scope", scope, "client_secret", secret, "grant_type",
                       "client_credentials", NULL);
  cJSON *o = at_token(A, tenant, body, st);
  free(body);
  return o;
}

/* Entra error body: error, error_description starting with AADSTS<code>, error_codes, timestamp, ids. */
static void assert_entra_error(const cJSON *o, const char *error, long code) {
  ck_assert_ptr_nonnull(o);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "error")->valuestring, error);
  ck_assert_int_eq(at_aadsts(o), code);
  char prefix[32];
  snprintf(prefix, sizeof prefix, "AADSTS%ld: ", code);
  const char *d = cJSON_GetObjectItem(o, "error_description")->valuestring;
  ck_assert_msg(strncmp(d, prefix, strlen(prefix)) == 0, "description: %s", d);
  ck_assert_ptr_nonnull(strstr(d, "Trace ID: "));
  ck_assert(cJSON_IsString(cJSON_GetObjectItem(o, "timestamp")));
  ck_assert_int_eq((int)strlen(cJSON_GetObjectItem(o, "trace_id")->valuestring), 36);
  ck_assert_int_eq((int)strlen(cJSON_GetObjectItem(o, "correlation_id")->valuestring), 36);
}

START_TEST(secret_ok_v2_shape_and_claims) {
  int st = 0;
  long before = (long)time(NULL);
  cJSON *o = secret_req(AT_TENANT, AT_APP, AT_SECRET, AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 200);
  ck_assert_int_eq(cJSON_GetArraySize(o), 4);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "token_type")->valuestring, "Bearer");
  ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(o, "expires_in")));
  ck_assert_int_eq(cJSON_GetObjectItem(o, "expires_in")->valueint, 3599);
  ck_assert_int_eq(cJSON_GetObjectItem(o, "ext_expires_in")->valueint, 3599);
  const char *tok = cJSON_GetObjectItem(o, "access_token")->valuestring;
  cJSON *c = at_jwt_claims(tok);
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "aud")->valuestring, "https://management.azure.com");
  ck_assert_str_eq(cJSON_GetObjectItem(c, "iss")->valuestring, "http://127.0.0.1:4321/" AT_TENANT "/v2.0");
  ck_assert_str_eq(cJSON_GetObjectItem(c, "tid")->valuestring, AT_TENANT);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "oid")->valuestring, AT_APP_OID);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "sub")->valuestring, AT_APP_OID);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "appid")->valuestring, AT_APP);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "azp")->valuestring, AT_APP);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "appidacr")->valuestring, "1");
  double iat = cJSON_GetObjectItem(c, "iat")->valuedouble, nbf = cJSON_GetObjectItem(c, "nbf")->valuedouble,
         exp = cJSON_GetObjectItem(c, "exp")->valuedouble;
  ck_assert(iat >= (double)before && iat <= (double)time(NULL));
  ck_assert(nbf == iat);
  ck_assert(exp - iat == 3599);
  cJSON_Delete(c);
  /* header: RS256 with a kid */
  char hdr[512];
  size_t hl = (size_t)(strchr(tok, '.') - tok);
  ck_assert(hl < sizeof hdr);
  memcpy(hdr, tok, hl);
  hdr[hl] = '\0';
  char fake[600];
  snprintf(fake, sizeof fake, "x.%s.x", hdr);
  cJSON *h = at_jwt_claims(fake);
  ck_assert_str_eq(cJSON_GetObjectItem(h, "alg")->valuestring, "RS256");
  ck_assert(cJSON_IsString(cJSON_GetObjectItem(h, "kid")));
  cJSON_Delete(h);
  cJSON_Delete(o);
}
END_TEST

START_TEST(secret_ok_legacy_and_slash_scopes) {
  const char *scopes[] = {"https://management.core.windows.net//.default", "https://management.azure.com//.default",
                          "openid https://management.azure.com/.default offline_access"};
  const char *auds[] = {"https://management.core.windows.net", "https://management.azure.com",
                        "https://management.azure.com"};
  for (int i = 0; i < 3; i++) {
    int st = 0;
    cJSON *o = secret_req(AT_TENANT, AT_APP, AT_SECRET, scopes[i], &st);
    ck_assert_int_eq(st, 200);
    cJSON *c = at_jwt_claims(cJSON_GetObjectItem(o, "access_token")->valuestring);
    ck_assert_str_eq(cJSON_GetObjectItem(c, "aud")->valuestring, auds[i]);
    cJSON_Delete(c);
    cJSON_Delete(o);
  }
}
END_TEST

START_TEST(secret_wrong) {
  int st = 0;
  cJSON *o = secret_req(AT_TENANT, AT_APP, "capz-sim-secreT", AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 401);
  assert_entra_error(o, "invalid_client", 7000215);
  char *txt = cJSON_PrintUnformatted(o);
  ck_assert_ptr_null(strstr(txt, "capz-sim-secre")); /* never echo the secret */
  free(txt);
  cJSON_Delete(o);
  o = secret_req(AT_TENANT, AT_APP, "", AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 401);
  ck_assert_int_eq(at_aadsts(o), 7000215);
  cJSON_Delete(o);
}
END_TEST

START_TEST(unknown_tenant_and_app) {
  int st = 0;
  cJSON *o = secret_req("99999999-9999-4999-8999-999999999999", AT_APP, AT_SECRET, AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 400);
  assert_entra_error(o, "invalid_request", 90002);
  cJSON_Delete(o);
  o = secret_req(AT_TENANT, "aaaaaaaa-0000-4000-8000-000000000000", AT_SECRET, AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 400);
  assert_entra_error(o, "unauthorized_client", 700016);
  cJSON_Delete(o);
  o = secret_req(NULL, AT_APP, AT_SECRET, AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_int_eq(at_aadsts(o), 90002);
  cJSON_Delete(o);
}
END_TEST

START_TEST(grant_and_missing_parameters) {
  int st = 0;
  char *b = at_form("grant_type", "password", "client_id", AT_APP, "scope", AT_ARM_SCOPE, NULL);
  cJSON *o = at_token(A, AT_TENANT, b, &st);
  ck_assert_int_eq(st, 400);
  assert_entra_error(o, "unsupported_grant_type", 70003);
  cJSON_Delete(o);
  free(b);
  const char *bodies[] = {
      "client_id=" AT_APP "&scope=x%2F.default&client_secret=s",
      "grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&client_secret=s",
      "grant_type=client_credentials&client_id=" AT_APP "&client_secret=s",
      "",
  };
  for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
    o = at_token(A, AT_TENANT, bodies[i], &st);
    ck_assert_int_eq(st, 400);
    assert_entra_error(o, "invalid_request", 900144);
    cJSON_Delete(o);
  }
  /* no credential at all */
  b = at_form("grant_type", "client_credentials", "client_id", AT_APP, "scope", AT_ARM_SCOPE, NULL);
  o = at_token(A, AT_TENANT, b, &st);
  ck_assert_int_eq(st, 401);
  assert_entra_error(o, "invalid_client", 7000218);
  cJSON_Delete(o);
  free(b);
  /* both credentials */
  b = at_form("grant_type", "client_credentials", "client_id", AT_APP, "scope", AT_ARM_SCOPE, "client_secret",
              AT_SECRET, "client_assertion", "a.b.c", "client_assertion_type", AT_JWT_BEARER, NULL);
  o = at_token(A, AT_TENANT, b, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "error")->valuestring, "invalid_request");
  cJSON_Delete(o);
  free(b);
}
END_TEST

START_TEST(scope_errors) {
  int st = 0;
  cJSON *o = secret_req(AT_TENANT, AT_APP, AT_SECRET, "https://management.azure.com/user_impersonation", &st);
  ck_assert_int_eq(st, 400);
  assert_entra_error(o, "invalid_scope", 1002012);
  cJSON_Delete(o);
  o = secret_req(AT_TENANT, AT_APP, AT_SECRET, "https://nothing.example.com/.default", &st);
  ck_assert_int_eq(st, 400);
  assert_entra_error(o, "invalid_resource", 500011);
  cJSON_Delete(o);
  o = secret_req(AT_TENANT, AT_APP, AT_SECRET, "https://graph.microsoft.com/.default", &st);
  ck_assert_int_eq(st, 200); /* Graph is a known resource: token issued, ARM will reject its audience */
  cJSON_Delete(o);
}
END_TEST

START_TEST(malformed_and_duplicate_body) {
  const char *bodies[] = {"grant_type=client_credentials&client_id=%zz", "grant_type=client_credentials%",
                          "grant_type=client_credentials&grant_type=client_credentials&client_id=" AT_APP,
                          "grant_type=client%00credentials"};
  for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
    int st = 0;
    cJSON *o = at_token(A, AT_TENANT, bodies[i], &st);
    ck_assert_int_eq(st, 400);
    assert_entra_error(o, "invalid_request", 9002313);
    cJSON_Delete(o);
  }
  /* '+' decodes to a space: the secret "capz-sim-secret" does not match "capz sim secret" */
  int st = 0;
  cJSON *o = at_token(A, AT_TENANT,
                      "grant_type=client_credentials&client_id=" AT_APP
                      "&scope=https://management.azure.com/.default&client_secret=capz+sim+secret",
                      &st);
  ck_assert_int_eq(st, 401);
  cJSON_Delete(o);
  o = at_token(A, AT_TENANT,
               "grant_type=client_credentials&client_id=" AT_APP
               "&scope=https://management.azure.com/.default&client_secret=capz%2Dsim%2dsecret",
               &st);
  ck_assert_int_eq(st, 200);
  cJSON_Delete(o);
}
END_TEST

START_TEST(case_insensitive_ids) {
  int st = 0;
  cJSON *o = secret_req("11111111-1111-4111-8111-111111111111", "33333333-3333-4333-8333-333333333333", AT_SECRET,
                        AT_ARM_SCOPE, &st);
  ck_assert_int_eq(st, 200);
  cJSON_Delete(o);
  ck_assert(arm_auth_subscription_exists(A, AT_SUB));
  ck_assert(arm_auth_subscription_exists(A, "22222222-2222-4222-8222-222222222222"));
  ck_assert(!arm_auth_subscription_exists(A, "22222222-2222-4222-8222-000000000000"));
  ck_assert(!arm_auth_subscription_exists(A, NULL));
}
END_TEST

static cJSON *basic_req(const char *userpass, const char *body, int *st) {
  char hdr[512] = "Basic ";
  EVP_EncodeBlock((unsigned char *)hdr + 6, (const unsigned char *)userpass, (int)strlen(userpass));
  arm_http_reply r;
  arm_auth_token_ex(A, AT_TENANT, body, strlen(body), hdr, &r);
  *st = r.status;
  cJSON *o = at_parse(r.body);
  arm_http_reply_clear(&r);
  return o;
}

START_TEST(client_secret_basic) {
  const char *body = "grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
  int st = 0;
  cJSON *o = basic_req(AT_APP ":" AT_SECRET, body, &st);
  ck_assert_int_eq(st, 200);
  ck_assert(cJSON_IsString(cJSON_GetObjectItem(o, "access_token")));
  cJSON_Delete(o);
  /* url-encoded parts, client_id also in the body */
  o = basic_req(AT_APP ":capz%2Dsim-secret", "grant_type=client_credentials&client_id=" AT_APP
                                             "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default", &st);
  ck_assert_int_eq(st, 200);
  cJSON_Delete(o);
  o = basic_req(AT_APP ":wrong", body, &st);
  ck_assert_int_eq(st, 401);
  ck_assert_int_eq(at_aadsts(o), 7000215);
  cJSON_Delete(o);
  o = basic_req("no-colon", body, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_int_eq(at_aadsts(o), 9002313);
  cJSON_Delete(o);
  o = basic_req(AT_APP ":" AT_SECRET, "grant_type=client_credentials&client_id=other&scope=x%2F.default", &st);
  ck_assert_int_eq(st, 400);
  cJSON_Delete(o);
  o = basic_req(AT_APP ":" AT_SECRET,
                "grant_type=client_credentials&client_secret=x&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
                &st);
  ck_assert_int_eq(st, 400);
  cJSON_Delete(o);
  /* a Bearer header on the token endpoint is not a client credential */
  arm_http_reply r;
  arm_auth_token_ex(A, AT_TENANT, body, strlen(body), "Bearer abc", &r);
  ck_assert_int_eq(r.status, 400); /* client_id missing */
  arm_http_reply_clear(&r);
}
END_TEST

START_TEST(legacy_v1_endpoint) {
  const char *body = "grant_type=client_credentials&client_id=" AT_APP "&client_secret=" AT_SECRET
                     "&resource=https%3A%2F%2Fmanagement.core.windows.net%2F";
  arm_http_reply r;
  arm_auth_token_v1(A, AT_TENANT, body, strlen(body), NULL, &r);
  ck_assert_int_eq(r.status, 200);
  cJSON *o = at_parse(r.body);
  arm_http_reply_clear(&r);
  ck_assert_int_eq(cJSON_GetArraySize(o), 7);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "expires_in")->valuestring, "3599"); /* strings on v1 */
  ck_assert_str_eq(cJSON_GetObjectItem(o, "resource")->valuestring, "https://management.core.windows.net/");
  long on = atol(cJSON_GetObjectItem(o, "expires_on")->valuestring);
  long nb = atol(cJSON_GetObjectItem(o, "not_before")->valuestring);
  ck_assert_int_eq(on - nb, 3599);
  cJSON *c = at_jwt_claims(cJSON_GetObjectItem(o, "access_token")->valuestring);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "aud")->valuestring, "https://management.core.windows.net");
  cJSON_Delete(c);
  cJSON_Delete(o);
  /* v1 wants resource, not scope */
  const char *b2 = "grant_type=client_credentials&client_id=" AT_APP "&client_secret=" AT_SECRET
                   "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
  arm_auth_token_v1(A, AT_TENANT, b2, strlen(b2), NULL, &r);
  ck_assert_int_eq(r.status, 400);
  o = at_parse(r.body);
  ck_assert_int_eq(at_aadsts(o), 900144);
  ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(o, "error_description")->valuestring, "'resource'"));
  cJSON_Delete(o);
  arm_http_reply_clear(&r);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_secret");
  TCase *tc = tcase_create("secret");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, secret_ok_v2_shape_and_claims);
  tcase_add_test(tc, secret_ok_legacy_and_slash_scopes);
  tcase_add_test(tc, secret_wrong);
  tcase_add_test(tc, unknown_tenant_and_app);
  tcase_add_test(tc, grant_and_missing_parameters);
  tcase_add_test(tc, scope_errors);
  tcase_add_test(tc, malformed_and_duplicate_body);
  tcase_add_test(tc, case_insensitive_ids);
  tcase_add_test(tc, client_secret_basic);
  tcase_add_test(tc, legacy_v1_endpoint);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
