/* test_auth_check.c — arm_auth_check: ARM's 401 shapes with WWW-Authenticate, expiry (1 s lifetime), audience,
 * tenant ownership of the subscription, 404 SubscriptionNotFound and per-principal subscription limits. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authtest.h"
#include "ckrun.h"

#define T2 "aaaaaaaa-0000-4000-8000-00000000000b"
#define SUB2 "bbbbbbbb-0000-4000-8000-00000000000b"
#define SUB3 "cccccccc-0000-4000-8000-00000000000c"
#define APP2 "dddddddd-0000-4000-8000-00000000000d"
#define APP2_OID "eeeeeeee-0000-4000-8000-00000000000e"
#define APPL "ffffffff-0000-4000-8000-00000000000f"

static arm_auth *A;     /* defaults */
static arm_auth *M;     /* two tenants, limited principal */
static arm_auth *E;     /* as M with a 1 s token lifetime */
static EVP_PKEY *OTHER; /* a key the sim does not know */

static const char MULTI[] =
    "{\"tenants\":[{\"id\":\"" AT_TENANT "\"},{\"id\":\"" T2 "\",\"domains\":[\"second.onmicrosoft.com\"]}],"
    "\"subscriptions\":[{\"id\":\"" AT_SUB "\"},{\"id\":\"" SUB2 "\",\"tenant\":\"" T2 "\"},"
    "{\"id\":\"" SUB3 "\",\"tenant\":\"second.onmicrosoft.com\"}],"
    "\"apps\":[{\"client_id\":\"" AT_APP "\",\"object_id\":\"" AT_APP_OID "\",\"secret\":\"s1\"},"
    "{\"client_id\":\"" APP2 "\",\"object_id\":\"" APP2_OID "\",\"tenant\":\"" T2 "\",\"secrets\":[\"s2\"],"
    "\"subscriptions\":[\"" SUB2 "\"]},"
    "{\"client_id\":\"" APPL "\",\"tenant\":\"" T2 "\",\"secrets\":[\"s3\"]}]}";

static void setup(void) {
  char err[256];
  A = arm_auth_new(NULL, err, sizeof err);
  ck_assert_msg(A != NULL, "%s", err);
  arm_auth_set_base_url(A, "http://127.0.0.1:5555");
  cJSON *cfg = cJSON_Parse(MULTI);
  ck_assert_ptr_nonnull(cfg);
  M = arm_auth_new(cfg, err, sizeof err);
  ck_assert_msg(M != NULL, "%s", err);
  cJSON_AddNumberToObject(cfg, "token_lifetime_seconds", 1);
  E = arm_auth_new(cfg, err, sizeof err);
  ck_assert_msg(E != NULL, "%s", err);
  cJSON_Delete(cfg);
  arm_auth_set_base_url(M, "http://127.0.0.1:5556");
  OTHER = at_rsa_key();
}
static void teardown(void) {
  arm_auth_free(A);
  arm_auth_free(M);
  arm_auth_free(E);
  EVP_PKEY_free(OTHER);
}

static char *bearer(const char *tok) {
  char *h = malloc(strlen(tok) + 8);
  strcpy(h, "Bearer ");
  strcat(h, tok);
  return h;
}

/* Runs the check and expects a 401 with code; also validates the WWW-Authenticate header. */
static void expect_401(arm_auth *a, const char *authz, const char *sub, const char *code) {
  arm_http_reply r;
  char principal[64] = "unchanged";
  ck_assert(!arm_auth_check(a, authz, sub, principal, sizeof principal, &r));
  ck_assert_int_eq(r.status, 401);
  ck_assert_str_eq(at_arm_code(&r), code);
  ck_assert_str_eq(principal, "");
  ck_assert_msg(strncmp(r.www_authenticate, "Bearer authorization_uri=\"", 26) == 0, "%s", r.www_authenticate);
  ck_assert_ptr_nonnull(strstr(r.www_authenticate, "error=\"invalid_token\""));
  ck_assert_ptr_nonnull(strstr(r.www_authenticate, "error_description=\""));
  cJSON *o = at_parse(r.body);
  ck_assert(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "error"), "message")));
  cJSON_Delete(o);
  arm_http_reply_clear(&r);
}

START_TEST(valid_token_passes) {
  char *tok = at_secret_token(A, AT_TENANT, AT_APP, AT_SECRET, AT_ARM_SCOPE);
  ck_assert_ptr_nonnull(tok);
  char *h = bearer(tok);
  arm_http_reply r;
  char principal[64];
  ck_assert(arm_auth_check(A, h, AT_SUB, principal, sizeof principal, &r));
  ck_assert_str_eq(principal, AT_APP_OID);
  ck_assert_ptr_null(r.body);
  /* paths outside a subscription, upper-case id, lower-case scheme name */
  ck_assert(arm_auth_check(A, h, NULL, principal, sizeof principal, &r));
  ck_assert(arm_auth_check(A, h, "22222222-2222-4222-8222-222222222222", principal, sizeof principal, &r));
  h[0] = 'b';
  ck_assert(arm_auth_check(A, h, AT_SUB, NULL, 0, &r));
  free(h);
  /* legacy audience is accepted by ARM too */
  char *t2 = at_secret_token(A, AT_TENANT, AT_APP, AT_SECRET, "https://management.core.windows.net//.default");
  h = bearer(t2);
  ck_assert(arm_auth_check(A, h, AT_SUB, principal, sizeof principal, &r));
  free(h);
  free(t2);
  free(tok);
}
END_TEST

START_TEST(missing_and_wrong_scheme) {
  expect_401(A, NULL, AT_SUB, "AuthenticationFailed");
  expect_401(A, "", AT_SUB, "AuthenticationFailed");
  expect_401(A, "Basic dXNlcjpwYXNz", AT_SUB, "AuthenticationFailed");
  arm_http_reply r;
  ck_assert(!arm_auth_check(A, NULL, AT_SUB, NULL, 0, &r));
  ck_assert_ptr_nonnull(strstr(r.www_authenticate, "/" AT_TENANT "\"")); /* authority of the subscription's tenant */
  ck_assert_ptr_nonnull(strstr(r.www_authenticate, "http://127.0.0.1:5555/"));
  arm_http_reply_clear(&r);
}
END_TEST

START_TEST(garbage_tokens) {
  const char *bad[] = {"Bearer ", "Bearer garbage", "Bearer a.b.c", "Bearer ...", "Bearer eyJhbGciOiJub25lIn0.e30.",
                       "Bearer eyJhbGciOiJub25lIn0.e30"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) expect_401(A, bad[i], AT_SUB, "InvalidAuthenticationToken");
}
END_TEST

START_TEST(forged_and_tampered) {
  char *tok = at_secret_token(A, AT_TENANT, AT_APP, AT_SECRET, AT_ARM_SCOPE);
  /* same claims and kid, signed with another key */
  char hdrtok[600];
  size_t hl = (size_t)(strchr(tok, '.') - tok);
  snprintf(hdrtok, sizeof hdrtok, "x.%.*s.x", (int)hl, tok);
  cJSON *hdr = at_jwt_claims(hdrtok);
  cJSON *extra = cJSON_CreateObject();
  cJSON_AddStringToObject(extra, "kid", cJSON_GetObjectItem(hdr, "kid")->valuestring);
  cJSON_Delete(hdr);
  char *forged = at_jwt(OTHER, "RS256", extra, at_jwt_claims(tok));
  char *h = bearer(forged);
  expect_401(A, h, AT_SUB, "InvalidAuthenticationToken");
  free(h);
  free(forged);
  /* tampered payload, original signature: change one character of the claims segment */
  char *t = strdup(tok);
  char *dot = strchr(t, '.') + 5;
  *dot = *dot == 'A' ? 'B' : 'A';
  h = bearer(t);
  expect_401(A, h, AT_SUB, "InvalidAuthenticationToken");
  free(h);
  free(t);
  /* a token issued by another emulator instance (other signing key) */
  char *mt = at_secret_token(M, AT_TENANT, AT_APP, "s1", AT_ARM_SCOPE);
  ck_assert_ptr_nonnull(mt);
  h = bearer(mt);
  expect_401(A, h, AT_SUB, "InvalidAuthenticationToken");
  free(h);
  free(mt);
  /* the original still passes */
  h = bearer(tok);
  arm_http_reply r;
  ck_assert(arm_auth_check(A, h, AT_SUB, NULL, 0, &r));
  free(h);
  free(tok);
}
END_TEST

START_TEST(expired_token) {
  char *tok = at_secret_token(E, AT_TENANT, AT_APP, "s1", AT_ARM_SCOPE);
  ck_assert_ptr_nonnull(tok);
  char *h = bearer(tok);
  arm_http_reply r;
  ck_assert(arm_auth_check(E, h, AT_SUB, NULL, 0, &r)); /* fresh: valid for 1 s */
  sleep(2);
  expect_401(E, h, AT_SUB, "ExpiredAuthenticationToken");
  ck_assert(!arm_auth_check(E, h, AT_SUB, NULL, 0, &r));
  ck_assert_ptr_nonnull(strstr(r.body, "is earlier than current UTC time"));
  arm_http_reply_clear(&r);
  free(h);
  free(tok);
}
END_TEST

START_TEST(wrong_audience) {
  char *tok = at_secret_token(A, AT_TENANT, AT_APP, AT_SECRET, "https://graph.microsoft.com/.default");
  ck_assert_ptr_nonnull(tok);
  char *h = bearer(tok);
  expect_401(A, h, AT_SUB, "InvalidAuthenticationTokenAudience");
  arm_http_reply r;
  ck_assert(!arm_auth_check(A, h, NULL, NULL, 0, &r)); /* audience matters outside subscriptions too */
  ck_assert_ptr_nonnull(strstr(r.body, "https://graph.microsoft.com"));
  arm_http_reply_clear(&r);
  free(h);
  free(tok);
}
END_TEST

START_TEST(wrong_tenant_and_unknown_subscription) {
  char *tok = at_secret_token(M, AT_TENANT, AT_APP, "s1", AT_ARM_SCOPE); /* tenant 1 */
  char *h = bearer(tok);
  expect_401(M, h, SUB2, "InvalidAuthenticationTokenTenant"); /* SUB2 belongs to T2 */
  arm_http_reply r;
  ck_assert(!arm_auth_check(M, h, SUB2, NULL, 0, &r));
  ck_assert_ptr_nonnull(strstr(r.www_authenticate, "/" T2 "\"")); /* points the client to the right tenant */
  arm_http_reply_clear(&r);
  ck_assert(!arm_auth_check(M, h, "12345678-0000-4000-8000-000000000000", NULL, 0, &r));
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(at_arm_code(&r), "SubscriptionNotFound");
  ck_assert_str_eq(r.www_authenticate, "");
  arm_http_reply_clear(&r);
  free(h);
  free(tok);
}
END_TEST

START_TEST(subscription_limits) {
  /* APP2 (tenant T2) is limited to SUB2; APPL (tenant T2) may use every T2 subscription. Tokens are requested
   * through the tenant's domain name. */
  char *t2 = at_secret_token(M, "second.onmicrosoft.com", APP2, "s2", AT_ARM_SCOPE);
  char *tl = at_secret_token(M, T2, APPL, "s3", AT_ARM_SCOPE);
  ck_assert_ptr_nonnull(t2);
  ck_assert_ptr_nonnull(tl);
  char *h2 = bearer(t2), *hl = bearer(tl);
  arm_http_reply r;
  char principal[64];
  ck_assert(arm_auth_check(M, h2, SUB2, principal, sizeof principal, &r));
  ck_assert_str_eq(principal, APP2_OID);
  ck_assert(!arm_auth_check(M, h2, SUB3, principal, sizeof principal, &r));
  ck_assert_int_eq(r.status, 403);
  ck_assert_str_eq(at_arm_code(&r), "AuthorizationFailed");
  arm_http_reply_clear(&r);
  ck_assert(arm_auth_check(M, hl, SUB2, NULL, 0, &r));
  ck_assert(arm_auth_check(M, hl, SUB3, NULL, 0, &r));
  free(h2);
  free(hl);
  free(t2);
  free(tl);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_check");
  TCase *tc = tcase_create("check");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, valid_token_passes);
  tcase_add_test(tc, missing_and_wrong_scheme);
  tcase_add_test(tc, garbage_tokens);
  tcase_add_test(tc, forged_and_tampered);
  tcase_add_test(tc, expired_token);
  tcase_add_test(tc, wrong_audience);
  tcase_add_test(tc, wrong_tenant_and_unknown_subscription);
  tcase_add_test(tc, subscription_limits);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
