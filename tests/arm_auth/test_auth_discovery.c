/* test_auth_discovery.c — OIDC discovery document and JWKS: issued tokens verify with the published key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "authtest.h"
#include "ckrun.h"

START_TEST(openid_configuration_and_jwks) {
  char err[128];
  arm_auth *a = arm_auth_new(NULL, err, sizeof err);
  ck_assert_ptr_nonnull(a);
  arm_auth_set_base_url(a, "http://127.0.0.1:3333");
  arm_http_reply r;
  arm_auth_openid_configuration(a, AT_TENANT, &r);
  ck_assert_int_eq(r.status, 200);
  cJSON *o = at_parse(r.body);
  arm_http_reply_clear(&r);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "token_endpoint")->valuestring,
                   "http://127.0.0.1:3333/" AT_TENANT "/oauth2/v2.0/token");
  ck_assert_str_eq(cJSON_GetObjectItem(o, "issuer")->valuestring, "http://127.0.0.1:3333/" AT_TENANT "/v2.0");
  ck_assert_str_eq(cJSON_GetObjectItem(o, "jwks_uri")->valuestring,
                   "http://127.0.0.1:3333/" AT_TENANT "/discovery/v2.0/keys");
  cJSON_Delete(o);
  arm_auth_openid_configuration(a, "nope", &r);
  ck_assert_int_eq(r.status, 400);
  o = at_parse(r.body);
  ck_assert_int_eq(at_aadsts(o), 90002);
  cJSON_Delete(o);
  arm_http_reply_clear(&r);

  arm_auth_jwks(a, &r);
  ck_assert_int_eq(r.status, 200);
  cJSON *jwks = at_parse(r.body);
  arm_http_reply_clear(&r);
  cJSON *keys = cJSON_GetObjectItem(jwks, "keys");
  ck_assert_int_eq(cJSON_GetArraySize(keys), 1);
  cJSON *jwk = cJSON_GetArrayItem(keys, 0);
  ck_assert_str_eq(cJSON_GetObjectItem(jwk, "kty")->valuestring, "RSA");

  char *tok = at_secret_token(a, AT_TENANT, AT_APP, AT_SECRET, AT_ARM_SCOPE);
  ck_assert_ptr_nonnull(tok);
  ck_assert(at_verify_rs256_jwk(tok, jwk));
  /* the kid in the token header is the JWK's kid */
  char hdr[600];
  snprintf(hdr, sizeof hdr, "x.%.*s.x", (int)(strchr(tok, '.') - tok), tok);
  cJSON *h = at_jwt_claims(hdr);
  ck_assert_str_eq(cJSON_GetObjectItem(h, "kid")->valuestring, cJSON_GetObjectItem(jwk, "kid")->valuestring);
  cJSON_Delete(h);
  /* a tampered token does not verify with the published key */
  char *dot = strrchr(tok, '.') + 3;
  *dot = *dot == 'A' ? 'B' : 'A';
  ck_assert(!at_verify_rs256_jwk(tok, jwk));
  free(tok);
  cJSON_Delete(jwks);
  arm_auth_free(a);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arm_auth_discovery");
  TCase *tc = tcase_create("discovery");
  tcase_add_test(tc, openid_configuration_and_jwks);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
