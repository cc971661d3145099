/* test_auth_assert.c — client assertions: certificate credentials (RS256/PS256, x5t/x5t#S256, wrong key, expiry,
 * replay) and workload identity federation (PEM key and JWKS, issuer/subject/audience matching, bad signature).
 * Keys and self-signed certificates are generated here; nothing with a private key is written to disk. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authtest.h"
#include "ckrun.h"
#include "tmpfiles.h"

#define APPC "c0000000-0000-4000-8000-00000000000c"
#define APPC_OID "c0000000-0000-4000-8000-0000000000cc"
#define APPF "f0000000-0000-4000-8000-00000000000f"
#define K8S_ISS "https://oidc.capz.example/cluster-1"
#define K8S_SUB "system:serviceaccount:capz-system:capz-manager"
#define GH_ISS "https://token.actions.example.com"
#define GH_SUB "repo:example/capz:ref:refs/heads/main"
#define TOKEN_URL "https://login.microsoftonline.com/" AT_TENANT "/oauth2/v2.0/token"

static arm_auth *A;
static EVP_PKEY *KC, *KOTHER, *KF, *KJ; /* certificate key, unknown key, federation PEM key, JWKS key */
static char *CERT, *CERT_OTHER;        /* certificate of KC; a second certificate (of KOTHER), not configured */
static char CERT_PATH[64];

static void setup(void) {
  KC = at_rsa_key();
  KOTHER = at_rsa_key();
  KF = at_rsa_key();
  KJ = at_rsa_key();
  CERT = at_cert_pem(KC, "capz-test-app");
  CERT_OTHER = at_cert_pem(KOTHER, "capz-other");
  /* The certificate (public data only) is loaded from a file to cover path values; the others are inline. */
  snprintf(CERT_PATH, sizeof CERT_PATH, "/tmp/capz-arm-auth-cert-%d.pem", (int)getpid());
  tmpfiles_write_text(CERT_PATH, CERT);
  char *fpem = at_pubkey_pem(KF);
  cJSON *cfg = cJSON_Parse("{\"tenants\":[{\"id\":\"" AT_TENANT "\"}],\"subscriptions\":[\"" AT_SUB "\"]}");
  cJSON *apps = cJSON_AddArrayToObject(cfg, "apps");
  cJSON *app = cJSON_CreateObject();
  cJSON_AddStringToObject(app, "client_id", APPC);
  cJSON_AddStringToObject(app, "object_id", APPC_OID);
  cJSON *certs = cJSON_AddArrayToObject(app, "certificates");
  cJSON_AddItemToArray(certs, cJSON_CreateString(CERT_PATH));
  cJSON_AddItemToArray(apps, app);
  cJSON *appf = cJSON_CreateObject();
  cJSON_AddStringToObject(appf, "client_id", APPF);
  cJSON *feds = cJSON_AddArrayToObject(appf, "federated_credentials");
  cJSON *f1 = cJSON_CreateObject();
  cJSON_AddStringToObject(f1, "name", "k8s");
  cJSON_AddStringToObject(f1, "issuer", K8S_ISS);
  cJSON_AddStringToObject(f1, "subject", K8S_SUB);
  cJSON *pks = cJSON_AddArrayToObject(f1, "public_keys");
  cJSON_AddItemToArray(pks, cJSON_CreateString(fpem));
  cJSON_AddItemToArray(feds, f1);
  cJSON *f2 = cJSON_CreateObject();
  cJSON_AddStringToObject(f2, "issuer", GH_ISS);
  cJSON_AddStringToObject(f2, "subject", GH_SUB);
  cJSON_AddStringToObject(f2, "audience", "api://custom-audience");
  cJSON *jwks = cJSON_AddObjectToObject(f2, "jwks");
  cJSON *keys = cJSON_AddArrayToObject(jwks, "keys");
  cJSON *ec = cJSON_CreateObject(); /* non-RSA keys are skipped */
  cJSON_AddStringToObject(ec, "kty", "EC");
  cJSON_AddItemToArray(keys, ec);
  cJSON_AddItemToArray(keys, at_jwk(KJ, "kid-j"));
  cJSON_AddItemToArray(keys, at_jwk(KOTHER, "kid-other-unused"));
  cJSON_AddItemToArray(feds, f2);
  cJSON_AddItemToArray(apps, appf);
  free(fpem);
  char err[256];
  A = arm_auth_new(cfg, err, sizeof err);
  cJSON_Delete(cfg);
  ck_assert_msg(A != NULL, "%s", err);
  arm_auth_set_base_url(A, "http://127.0.0.1:7777");
}

static void teardown(void) {
  arm_auth_free(A);
  EVP_PKEY_free(KC);
  EVP_PKEY_free(KOTHER);
  EVP_PKEY_free(KF);
  EVP_PKEY_free(KJ);
  free(CERT);
  free(CERT_OTHER);
  unlink(CERT_PATH);
}

static cJSON *assert_req(const char *client_id, const char *assertion, int *st) {
  char *body = at_form("grant_type", "client_credentials", "client_id", client_id, "scope", AT_ARM_SCOPE,
                       "client_assertion_type", AT_JWT_BEARER, "client_assertion", assertion, NULL);
  cJSON *o = at_token(A, AT_TENANT, body, st);
  free(body);
  return o;
}

/* Header with the thumbprints of cert: s1 adds x5t (SHA-1), s256 adds x5t#S256. */
static cJSON *thumb_header(const char *cert, bool s1, bool s256) {
  cJSON *h = cJSON_CreateObject();
  if (s1) {
    char *t = at_thumbprint(cert, false);
    cJSON_AddStringToObject(h, "x5t", t);
    free(t);
  }
  if (s256) {
    char *t = at_thumbprint(cert, true);
    cJSON_AddStringToObject(h, "x5t#S256", t);
    free(t);
  }
  return h;
}

static void expect(const char *client, const char *assertion, int status, long code) {
  int st = 0;
  cJSON *o = assert_req(client, assertion, &st);
  char *txt = cJSON_PrintUnformatted(o);
  ck_assert_msg(st == status, "status %d, want %d: %s", st, status, txt);
  if (code >= 0) ck_assert_msg(at_aadsts(o) == code, "want AADSTS%ld: %s", code, txt);
  free(txt);
  cJSON_Delete(o);
}

/* Signs claims (consumed) with key, alg and extra header fields (consumed, may be NULL) and expects that assertion
 * from client to be answered with status and AADSTS code. */
static void expect_signed(const char *client, EVP_PKEY *key, const char *alg, cJSON *header, cJSON *claims, int status,
                          long code) {
  char *j = at_jwt(key, alg, header, claims);
  expect(client, j, status, code);
  free(j);
}

/* Asserts success and returns the issued token's claims. */
static cJSON *expect_ok(const char *client, const char *assertion) {
  int st = 0;
  cJSON *o = assert_req(client, assertion, &st);
  char *txt = cJSON_PrintUnformatted(o);
  ck_assert_msg(st == 200, "status %d: %s", st, txt);
  free(txt);
  cJSON *c = at_jwt_claims(cJSON_GetObjectItem(o, "access_token")->valuestring);
  cJSON_Delete(o);
  return c;
}

START_TEST(cert_rs256_x5t) {
  char *j = at_jwt(KC, "RS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, 0, 600));
  cJSON *c = expect_ok(APPC, j);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "oid")->valuestring, APPC_OID);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "appid")->valuestring, APPC);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "appidacr")->valuestring, "2");
  cJSON_Delete(c);
  free(j);
}
END_TEST

START_TEST(cert_ps256_x5t_s256_and_both) {
  char *j = at_jwt(KC, "PS256", thumb_header(CERT, false, true), at_assertion_claims(APPC, TOKEN_URL, 0, 600));
  cJSON_Delete(expect_ok(APPC, j));
  free(j);
  j = at_jwt(KC, "PS256", thumb_header(CERT, true, true), at_assertion_claims(APPC, TOKEN_URL, 0, 600));
  cJSON_Delete(expect_ok(APPC, j));
  free(j);
  /* audience as the sim's own token URL and the v1 endpoint */
  j = at_jwt(KC, "RS256", thumb_header(CERT, false, true),
             at_assertion_claims(APPC, "http://127.0.0.1:7777/" AT_TENANT "/oauth2/token", 0, 600));
  cJSON_Delete(expect_ok(APPC, j));
  free(j);
}
END_TEST

START_TEST(cert_replayed_assertion_accepted) {
  char *j = at_jwt(KC, "RS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, 0, 600));
  cJSON_Delete(expect_ok(APPC, j));
  cJSON_Delete(expect_ok(APPC, j));
  free(j);
}
END_TEST

START_TEST(cert_wrong_key_and_unknown_thumbprint) {
  /* right thumbprint, signed by another key */
  expect_signed(APPC, KOTHER, "RS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, 0, 600),
                401, 700027);
  expect_signed(APPC, KOTHER, "PS256", thumb_header(CERT, false, true), at_assertion_claims(APPC, TOKEN_URL, 0, 600),
                401, 700027);
  /* a certificate the app does not have */
  expect_signed(APPC, KOTHER, "RS256", thumb_header(CERT_OTHER, true, true),
                at_assertion_claims(APPC, TOKEN_URL, 0, 600), 401, 700027);
  /* no thumbprint */
  expect_signed(APPC, KC, "RS256", NULL, at_assertion_claims(APPC, TOKEN_URL, 0, 600), 401, 700027);
  /* x5t and x5t#S256 of different certificates */
  cJSON *h = thumb_header(CERT, true, false);
  char *t = at_thumbprint(CERT_OTHER, true);
  cJSON_AddStringToObject(h, "x5t#S256", t);
  free(t);
  expect_signed(APPC, KC, "RS256", h, at_assertion_claims(APPC, TOKEN_URL, 0, 600), 401, 700027);
  /* an algorithm other than RS256/PS256 in the header (the signature itself is RSA) */
  expect_signed(APPC, KC, "HS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, 0, 600), 401,
                700027);
}
END_TEST

START_TEST(cert_time_checks) {
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, -1200, -600),
                400, 700024);
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, 600, 1200),
                400, 700024);
  /* hostile exp values: not-a-number (as a string), infinity, absent, absurdly far */
  cJSON *cl = at_assertion_claims(APPC, TOKEN_URL, 0, 600);
  cJSON_ReplaceItemInObject(cl, "exp", cJSON_CreateString("nan"));
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false), cl, 400, 50027);
  cl = at_assertion_claims(APPC, TOKEN_URL, 0, 600);
  cJSON_ReplaceItemInObject(cl, "exp", cJSON_CreateRaw("1e999"));
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false), cl, 400, 50027);
  cl = at_assertion_claims(APPC, TOKEN_URL, 0, 600);
  cJSON_DeleteItemFromObject(cl, "exp");
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false), cl, 400, 50027);
  cl = at_assertion_claims(APPC, TOKEN_URL, 0, 600);
  cJSON_ReplaceItemInObject(cl, "exp", cJSON_CreateNumber(1e300));
  /* lifetime above assertion_max_lifetime_seconds */
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false), cl, 400, 700024);
  /* expired AND signed by the wrong key: the signature is reported first */
  expect_signed(APPC, KOTHER, "RS256", thumb_header(CERT, true, false),
                at_assertion_claims(APPC, TOKEN_URL, -1200, -600), 401, 700027);
}
END_TEST

START_TEST(cert_claims_checks) {
  expect_signed(APPC, KC, "RS256", thumb_header(CERT, true, false),
                at_assertion_claims(APPC, "https://login.microsoftonline.com/other-tenant/oauth2/v2.0/token", 0, 600),
                400, 700212);
  /* assertion of APPC presented for the federated app APPF: treated as federation, no record matches */
  expect_signed(APPF, KC, "RS256", thumb_header(CERT, true, false), at_assertion_claims(APPC, TOKEN_URL, 0, 600), 400,
                70021);
  /* malformed assertion and wrong assertion type */
  expect(APPC, "not-a-jwt", 400, 50027);
  expect(APPC, "e30.e30.", 400, 50027);
  int st = 0;
  char *body = at_form("grant_type", "client_credentials", "client_id", APPC, "scope", AT_ARM_SCOPE,
                       "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                       "client_assertion", "x.y.z", NULL);
  cJSON *o = at_token(A, AT_TENANT, body, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_int_eq(at_aadsts(o), 9002313);
  cJSON_Delete(o);
  free(body);
  body = at_form("grant_type", "client_credentials", "client_id", APPC, "scope", AT_ARM_SCOPE, "client_assertion",
                 "x.y.z", NULL);
  o = at_token(A, AT_TENANT, body, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_int_eq(at_aadsts(o), 900144);
  cJSON_Delete(o);
  free(body);
  /* alg none with an empty signature */
  expect(APPC, "eyJhbGciOiJub25lIn0.eyJpc3MiOiJjMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMGMifQ.", 401, 700027);
}
END_TEST

static cJSON *fed_claims(const char *iss, const char *sub, const char *aud, long nbf_off, long exp_off) {
  cJSON *c = at_assertion_claims("x", aud, nbf_off, exp_off);
  cJSON_ReplaceItemInObject(c, "iss", cJSON_CreateString(iss));
  cJSON_ReplaceItemInObject(c, "sub", cJSON_CreateString(sub));
  return c;
}

START_TEST(federated_good) {
  char *j = at_jwt(KF, "RS256", NULL, fed_claims(K8S_ISS, K8S_SUB, "api://AzureADTokenExchange", 0, 3600));
  cJSON *c = expect_ok(APPF, j);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "appid")->valuestring, APPF);
  ck_assert_str_eq(cJSON_GetObjectItem(c, "aud")->valuestring, "https://management.azure.com");
  cJSON_Delete(c);
  cJSON_Delete(expect_ok(APPF, j)); /* the projected token is re-sent until kubelet rotates it */
  free(j);
  /* audience as an array; PS256 */
  cJSON *cl = fed_claims(K8S_ISS, K8S_SUB, "ignored", 0, 3600);
  cJSON *auds = cJSON_CreateArray();
  cJSON_AddItemToArray(auds, cJSON_CreateString("other"));
  cJSON_AddItemToArray(auds, cJSON_CreateString("api://AzureADTokenExchange"));
  cJSON_ReplaceItemInObject(cl, "aud", auds);
  j = at_jwt(KF, "PS256", NULL, cl);
  cJSON_Delete(expect_ok(APPF, j));
  free(j);
  /* JWKS key selected by kid, custom audience */
  cJSON *h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "kid", "kid-j");
  j = at_jwt(KJ, "RS256", h, fed_claims(GH_ISS, GH_SUB, "api://custom-audience", 0, 600));
  cJSON_Delete(expect_ok(APPF, j));
  free(j);
  /* JWKS without kid in the header: every key is tried */
  j = at_jwt(KJ, "RS256", NULL, fed_claims(GH_ISS, GH_SUB, "api://custom-audience", 0, 600));
  cJSON_Delete(expect_ok(APPF, j));
  free(j);
}
END_TEST

START_TEST(federated_no_matching_record) {
  char *j = at_jwt(KF, "RS256", NULL, fed_claims("https://evil.example", K8S_SUB, "api://AzureADTokenExchange", 0, 600));
  int st = 0;
  cJSON *o = assert_req(APPF, j, &st);
  ck_assert_int_eq(st, 400);
  ck_assert_str_eq(cJSON_GetObjectItem(o, "error")->valuestring, "invalid_request");
  ck_assert_int_eq(at_aadsts(o), 70021);
  ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(o, "error_description")->valuestring,
                               "Assertion Issuer: 'https://evil.example'"));
  cJSON_Delete(o);
  free(j);
  expect_signed(APPF, KF, "RS256", NULL,
                fed_claims(K8S_ISS, "system:serviceaccount:default:other", "api://AzureADTokenExchange", 0, 600), 400,
                70021);
  /* subject matching is case-sensitive */
  expect_signed(APPF, KF, "RS256", NULL,
                fed_claims(K8S_ISS, "system:serviceaccount:capz-system:CAPZ-manager", "api://AzureADTokenExchange", 0,
                           600),
                400, 70021);
  expect_signed(APPF, KF, "RS256", NULL, fed_claims(K8S_ISS, K8S_SUB, "api://wrong", 0, 600), 400, 70021);
  /* the default audience is not accepted where a custom one is configured */
  cJSON *h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "kid", "kid-j");
  expect_signed(APPF, KJ, "RS256", h, fed_claims(GH_ISS, GH_SUB, "api://AzureADTokenExchange", 0, 600), 400, 70021);
  /* federated assertion for an app without federated credentials */
  expect_signed(APPC, KF, "RS256", NULL, fed_claims(K8S_ISS, K8S_SUB, "api://AzureADTokenExchange", 0, 600), 400,
                70021);
}
END_TEST

START_TEST(federated_bad_signature_and_expiry) {
  expect_signed(APPF, KOTHER, "RS256", NULL, fed_claims(K8S_ISS, K8S_SUB, "api://AzureADTokenExchange", 0, 600), 401,
                700027);
  /* JWKS: right kid, wrong key; unknown kid */
  cJSON *h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "kid", "kid-j");
  expect_signed(APPF, KOTHER, "RS256", h, fed_claims(GH_ISS, GH_SUB, "api://custom-audience", 0, 600), 401, 700027);
  h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "kid", "kid-unknown");
  char *j = at_jwt(KJ, "RS256", h, fed_claims(GH_ISS, GH_SUB, "api://custom-audience", 0, 600));
  int st = 0;
  cJSON *o = assert_req(APPF, j, &st);
  ck_assert_int_eq(st, 401);
  ck_assert_int_eq(at_aadsts(o), 700027);
  ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(o, "error_description")->valuestring, "key was not found"));
  cJSON_Delete(o);
  free(j);
  expect_signed(APPF, KF, "RS256", NULL, fed_claims(K8S_ISS, K8S_SUB, "api://AzureADTokenExchange", -7200, -3600), 400,
                700024);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("arm_auth_assert");
  TCase *tc = tcase_create("assert");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, cert_rs256_x5t);
  tcase_add_test(tc, cert_ps256_x5t_s256_and_both);
  tcase_add_test(tc, cert_replayed_assertion_accepted);
  tcase_add_test(tc, cert_wrong_key_and_unknown_thumbprint);
  tcase_add_test(tc, cert_time_checks);
  tcase_add_test(tc, cert_claims_checks);
  tcase_add_test(tc, federated_good);
  tcase_add_test(tc, federated_no_matching_record);
  tcase_add_test(tc, federated_bad_signature_and_expiry);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
