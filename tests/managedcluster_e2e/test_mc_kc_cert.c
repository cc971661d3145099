/* test_mc_kc_cert.c — the client-certificate expiry the kubeconfig refresh schedule uses (src/kc_cert.c): a real
 * certificate made here with OpenSSL, in PEM and DER, a kubeconfig without one, and garbage. */
#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_plugin.h"

/* base64 of a self-signed certificate valid for valid_s seconds from now (negative: expired); der: DER, else PEM */
static char *cert_b64(long valid_s, int der) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  ck_assert_ptr_nonnull(k);
  X509 *x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 30);
  X509_gmtime_adj(X509_getm_notAfter(x), valid_s);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"masterclient", -1,
                             -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  X509_set_pubkey(x, k);
  ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
  unsigned char *raw = NULL;
  int n = 0;
  if (der) {
    n = i2d_X509(x, &raw);
  } else {
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *p = NULL;
    n = (int)BIO_get_mem_data(b, &p);
    raw = OPENSSL_malloc((size_t)n);
    memcpy(raw, p, (size_t)n);
    BIO_free(b);
  }
  ck_assert_int_gt(n, 0);
  char *out = malloc((size_t)n / 3 * 4 + 8);
  EVP_EncodeBlock((unsigned char *)out, raw, n);
  OPENSSL_free(raw);
  X509_free(x);
  EVP_PKEY_free(k);
  return out;
}

static double left_of(const char *cert) {
  char *kc = malloc(strlen(cert) + 512);
  sprintf(kc,
          "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://c:443\n"
          "users:\n- name: clusterAdmin\n  user:\n    client-certificate-data: %s\n    client-key-data: eA==\n",
          cert);
  double l = mc_kubeconfig_cert_left_s(kc, strlen(kc));
  free(kc);
  return l;
}

START_TEST(cert_expiry) {
  const long three_days = 3L * 86400;
  for (int der = 0; der < 2; der++) {
    char *c = cert_b64(three_days, der);
    double l = left_of(c);
    ck_assert_msg(l > three_days - 120 && l < three_days + 120, "der=%d: %f s left", der, l);
    free(c);
  }
  char *old = cert_b64(-3600, 0);
  ck_assert(left_of(old) == 0); /* expired */
  free(old);
  char *years = cert_b64(2L * 365 * 86400, 0);
  ck_assert(left_of(years) > MC_KC_CERT_MARGIN_S);
  free(years);
  ck_assert(left_of("bm90IGEgY2VydGlmaWNhdGU=") < 0); /* base64 of text */
  ck_assert(left_of("%%%") < 0);
  const char *token = "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: abc\n";
  ck_assert(mc_kubeconfig_cert_left_s(token, strlen(token)) < 0);
  ck_assert(mc_kubeconfig_cert_left_s("", 0) < 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("managedcluster_kc_cert");
  TCase *tc = tcase_create("cert");
  tcase_add_test(tc, cert_expiry);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
