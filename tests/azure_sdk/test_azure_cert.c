/* test_azure_cert.c — certificate loading (PEM, encrypted PEM, PKCS#12) and the signed JWT client assertion,
 * verified here with OpenSSL against the certificate's public key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "capz/azure.h"
#include "azure/az_util.h"
#include "test_util.h"

static capz_az_credential *cert_cred(const unsigned char *data, size_t len, const char *pw, capz_az_jwt_alg alg,
                                     capz_err *err) {
  capz_az_cloud pub;
  capz_az_cloud_builtin("AzurePublicCloud", &pub, NULL);
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE, .tenant_id = "tenant-1",
                         .client_id = "client-1", .secret = data, .secret_len = len, .cert_password = pw,
                         .jwt_alg = alg};
  return capz_az_credential_new(&pub, &id, NULL, err);
}

static cJSON *decode_part(const char *p, size_t n) {
  size_t len = 0;
  unsigned char *raw = az_b64_decode(p, n, &len);
  ck_assert_ptr_nonnull(raw);
  cJSON *j = cJSON_ParseWithLength((const char *)raw, len);
  free(raw);
  ck_assert_ptr_nonnull(j);
  return j;
}

/* Split the JWT, check header and claims, verify the signature with the certificate's key. */
static void verify_jwt(const char *jwt, const unsigned char *der, size_t der_len, capz_az_jwt_alg alg) {
  const char *d1 = strchr(jwt, '.');
  ck_assert_ptr_nonnull(d1);
  const char *d2 = strchr(d1 + 1, '.');
  ck_assert_ptr_nonnull(d2);
  ck_assert_ptr_null(strchr(d2 + 1, '.'));
  cJSON *h = decode_part(jwt, (size_t)(d1 - jwt));
  cJSON *c = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(h, "alg")), alg == CAPZ_AZ_JWT_PS256 ? "PS256" : "RS256");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(h, "typ")), "JWT");
  unsigned char md[32];
  unsigned int mdlen;
  EVP_Digest(der, der_len, md, &mdlen, EVP_sha256(), NULL);
  char *want = az_b64url_encode(md, mdlen);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(h, "x5t#S256")), want);
  free(want);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "aud")),
                   "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "iss")), "client-1");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c, "sub")), "client-1");
  ck_assert_int_eq((int)strlen(cJSON_GetStringValue(cJSON_GetObjectItem(c, "jti"))), 36);
  double nbf = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "nbf"));
  double exp = cJSON_GetNumberValue(cJSON_GetObjectItem(c, "exp"));
  ck_assert_double_eq_tol(exp - nbf, 600, 1e-9);
  ck_assert(nbf > az_now_wall() - 60 && nbf < az_now_wall() + 60);
  cJSON_Delete(h);
  cJSON_Delete(c);

  size_t siglen = 0;
  unsigned char *sig = az_b64_decode(d2 + 1, strlen(d2 + 1), &siglen);
  ck_assert_ptr_nonnull(sig);
  const unsigned char *p = der;
  X509 *x = d2i_X509(NULL, &p, (long)der_len);
  EVP_PKEY *pub = X509_get_pubkey(x);
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  ck_assert_int_eq(EVP_DigestVerifyInit(mctx, &pctx, EVP_sha256(), NULL, pub), 1);
  if (alg == CAPZ_AZ_JWT_PS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
  } else {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
  }
  ck_assert_int_eq(EVP_DigestVerify(mctx, sig, siglen, (const unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
  /* a tampered payload must not verify */
  char *bad = strdup(jwt);
  bad[(d1 - jwt) + 3] ^= 1;
  EVP_MD_CTX_reset(mctx);
  pctx = NULL;
  EVP_DigestVerifyInit(mctx, &pctx, EVP_sha256(), NULL, pub);
  if (alg == CAPZ_AZ_JWT_PS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
  }
  ck_assert_int_ne(EVP_DigestVerify(mctx, sig, siglen, (const unsigned char *)bad, (size_t)(d2 - jwt)), 1);
  free(bad);
  EVP_MD_CTX_free(mctx);
  EVP_PKEY_free(pub);
  X509_free(x);
  free(sig);
}

START_TEST(jwt_pem_ps256_rs256) {
  unsigned char *der = NULL;
  size_t der_len = 0;
  char *pem = make_cert_pem(NULL, NULL, NULL, &der, &der_len);
  capz_err err;
  for (int alg = 0; alg < 2; alg++) {
    capz_az_credential *c = cert_cred((unsigned char *)pem, strlen(pem), NULL, (capz_az_jwt_alg)alg, &err);
    ck_assert_msg(c != NULL, "%s", err.msg);
    char *jwt = capz_az_credential_client_assertion(c, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token",
                                                    &err);
    ck_assert_ptr_nonnull(jwt);
    verify_jwt(jwt, der, der_len, (capz_az_jwt_alg)alg);
    capz_az_token_free(jwt);
    capz_az_credential_free(c);
  }
  /* the certificate alone (no key) is refused */
  char *end = strstr(pem, "-----END CERTIFICATE-----");
  size_t cert_only = (size_t)(end - pem) + strlen("-----END CERTIFICATE-----");
  ck_assert_ptr_null(cert_cred((unsigned char *)pem, cert_only, NULL, CAPZ_AZ_JWT_PS256, &err));
  ck_assert_str_eq(err.reason, "InvalidCertificate");
  free(pem);
  free(der);
}
END_TEST

START_TEST(jwt_encrypted_pem_and_pkcs12) {
  unsigned char *der = NULL, *p12 = NULL;
  size_t der_len = 0, p12_len = 0;
  char *pem = make_cert_pem("pa55", &p12, &p12_len, &der, &der_len);
  capz_err err;
  capz_az_credential *c = cert_cred((unsigned char *)pem, strlen(pem), "pa55", CAPZ_AZ_JWT_PS256, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  capz_az_credential_free(c);
  ck_assert_ptr_null(cert_cred((unsigned char *)pem, strlen(pem), "wrong", CAPZ_AZ_JWT_PS256, &err));
  ck_assert_int_eq(err.code, CAPZ_EAUTH);
  c = cert_cred(p12, p12_len, "pa55", CAPZ_AZ_JWT_RS256, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  char *jwt = capz_az_credential_client_assertion(c, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token",
                                                  &err);
  verify_jwt(jwt, der, der_len, CAPZ_AZ_JWT_RS256);
  capz_az_token_free(jwt);
  capz_az_credential_free(c);
  ck_assert_ptr_null(cert_cred(p12, p12_len, "nope", CAPZ_AZ_JWT_PS256, &err));
  /* base64 of the PKCS#12, as secrets often carry it */
  char *b64 = az_b64_encode(p12, p12_len);
  c = cert_cred((unsigned char *)b64, strlen(b64), "pa55", CAPZ_AZ_JWT_PS256, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  capz_az_credential_free(c);
  free(b64);
  free(pem);
  free(p12);
  free(der);
}
END_TEST

Suite *cert_suite(void) {
  Suite *s = suite_create("azure_cert");
  TCase *tc = tcase_create("jwt");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, jwt_pem_ps256_rs256);
  tcase_add_test(tc, jwt_encrypted_pem_and_pkcs12);
  suite_add_tcase(s, tc);
  return s;
}
