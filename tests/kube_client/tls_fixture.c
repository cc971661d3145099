/* tls_fixture.c — see tls_fixture.h. */
#include "tls_fixture.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static char *bio_text(BIO *b) {
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  memcpy(s, p, (size_t)n);
  s[n] = '\0';
  return s;
}

static int add_ext(X509 *x, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!e) return -1;
  int ok = X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  return ok ? 0 : -1;
}

int tls_fixture_make(tls_fixture *f, const char *cn) {
  memset(f, 0, sizeof *f);
  int rc = -1;
  EVP_PKEY *pk = EVP_EC_gen("P-256");
  X509 *x = X509_new();
  BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
  if (!pk || !x || !bc || !bk) goto out;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(rand() & 0x7fffffff) + 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, pk);
  X509_NAME *nm = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, nm);
  if (add_ext(x, NID_basic_constraints, "critical,CA:TRUE") || add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
      add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign"))
    goto out;
  if (!X509_sign(x, pk, EVP_sha256())) goto out;
  if (!PEM_write_bio_X509(bc, x) || !PEM_write_bio_PrivateKey(bk, pk, NULL, NULL, 0, NULL, NULL)) goto out;
  f->cert_pem = bio_text(bc);
  f->key_pem = bio_text(bk);
  rc = (f->cert_pem && f->key_pem) ? 0 : -1;
out:
  BIO_free(bc);
  BIO_free(bk);
  X509_free(x);
  EVP_PKEY_free(pk);
  return rc;
}

void tls_fixture_free(tls_fixture *f) {
  free(f->cert_pem);
  free(f->key_pem);
  memset(f, 0, sizeof *f);
}
