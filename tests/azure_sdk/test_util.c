/* test_util.c — fake clock and test certificates. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

double fake_clock(void *ud) { return *(double *)ud; }

char *make_cert_pem(const char *password, unsigned char **p12, size_t *p12_len, unsigned char **der,
                    size_t *der_len) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  X509 *x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME *n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"capz-test", -1, -1, 0);
  X509_set_issuer_name(x, n);
  X509_sign(x, key, EVP_sha256());
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  if (password)
    PEM_write_bio_PrivateKey(b, key, EVP_aes_256_cbc(), (const unsigned char *)password, (int)strlen(password), NULL,
                             NULL);
  else
    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
  char *data = NULL;
  long len = BIO_get_mem_data(b, &data);
  char *pem = malloc((size_t)len + 1);
  memcpy(pem, data, (size_t)len);
  pem[len] = '\0';
  BIO_free(b);
  if (p12) {
    PKCS12 *p = PKCS12_create(password, "capz", key, x, NULL, 0, 0, 0, 0, 0);
    unsigned char *buf = NULL;
    int l = i2d_PKCS12(p, &buf);
    *p12 = malloc((size_t)l);
    memcpy(*p12, buf, (size_t)l);
    *p12_len = (size_t)l;
    OPENSSL_free(buf);
    PKCS12_free(p);
  }
  if (der) {
    unsigned char *buf = NULL;
    int l = i2d_X509(x, &buf);
    *der = malloc((size_t)l);
    memcpy(*der, buf, (size_t)l);
    *der_len = (size_t)l;
    OPENSSL_free(buf);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return pem;
}

#include <stdio.h>

EVP_PKEY *make_keypair(char **pub_pem) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, key);
  char *data = NULL;
  long len = BIO_get_mem_data(b, &data);
  *pub_pem = malloc((size_t)len + 1);
  memcpy(*pub_pem, data, (size_t)len);
  (*pub_pem)[len] = '\0';
  BIO_free(b);
  return key;
}

static char *b64url(const unsigned char *in, size_t len) {
  size_t olen = 4 * ((len + 2) / 3) + 1;
  char *out = malloc(olen);
  EVP_EncodeBlock((unsigned char *)out, in, (int)len);
  char *w = out;
  for (char *r = out; *r; r++) {
    if (*r == '=') break;
    *w++ = *r == '+' ? '-' : *r == '/' ? '_' : *r;
  }
  *w = '\0';
  return out;
}

char *sign_jwt_rs256(EVP_PKEY *key, const char *claims_json) {
  const char *hdr = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
  char *h = b64url((const unsigned char *)hdr, strlen(hdr));
  char *c = b64url((const unsigned char *)claims_json, strlen(claims_json));
  size_t in_len = strlen(h) + 1 + strlen(c);
  char *input = malloc(in_len + 1);
  sprintf(input, "%s.%s", h, c);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  size_t siglen = 0;
  EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
  EVP_DigestSign(md, NULL, &siglen, (unsigned char *)input, in_len);
  unsigned char *sig = malloc(siglen);
  EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, in_len);
  char *s = b64url(sig, siglen);
  char *jwt = malloc(in_len + strlen(s) + 2);
  sprintf(jwt, "%s.%s", input, s);
  free(h);
  free(c);
  free(input);
  free(sig);
  free(s);
  EVP_MD_CTX_free(md);
  return jwt;
}
