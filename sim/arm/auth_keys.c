/* auth_keys.c — loading verification keys from config: certificates (with x5t thumbprints), PEM public keys, JWKS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "auth_internal.h"

#define PEM_FILE_MAX (1 << 20)

char *auth_read_pem_value(const char *value, char *err, size_t errlen) {
  if (!value || !*value) {
    snprintf(err, errlen, "empty PEM value");
    return NULL;
  }
  if (strncmp(value, "-----BEGIN", 10) == 0) {
    char *s = strdup(value);
    if (!s) snprintf(err, errlen, "out of memory");
    return s;
  }
  FILE *f = fopen(value, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open PEM file '%s': %s", value, strerror(errno));
    return NULL;
  }
  char *buf = malloc(PEM_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, PEM_FILE_MAX, f) : 0;
  bool toolong = buf && n == PEM_FILE_MAX && fgetc(f) != EOF;
  fclose(f);
  if (!buf || toolong) {
    free(buf);
    snprintf(err, errlen, "PEM file '%s' is too large", value);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

static int thumb(const unsigned char *der, size_t len, bool sha256, char *out, size_t outlen) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  size_t mdlen = sha256 ? SHA256_DIGEST_LENGTH : SHA_DIGEST_LENGTH;
  if (sha256) SHA256(der, len, md);
  else SHA1(der, len, md);
  char *b = auth_b64url_encode(md, mdlen);
  if (!b || strlen(b) >= outlen) {
    free(b);
    return -1;
  }
  strcpy(out, b);
  free(b);
  return 0;
}

int auth_cert_from_pem(const char *pem, auth_cert *c, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  BIO *bio = BIO_new_mem_buf(pem, -1);
  X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  ERR_clear_error();
  if (!x) {
    snprintf(err, errlen, "not a PEM certificate");
    return -1;
  }
  unsigned char *der = NULL;
  int len = i2d_X509(x, &der);
  c->key = X509_get_pubkey(x);
  X509_free(x);
  int rc = 0;
  if (len <= 0 || !c->key || thumb(der, (size_t)len, false, c->x5t, sizeof c->x5t) != 0 ||
      thumb(der, (size_t)len, true, c->x5t_s256, sizeof c->x5t_s256) != 0) {
    snprintf(err, errlen, "cannot read the certificate's public key");
    EVP_PKEY_free(c->key);
    c->key = NULL;
    rc = -1;
  } else if (EVP_PKEY_get_base_id(c->key) != EVP_PKEY_RSA) {
    snprintf(err, errlen, "certificate key is not RSA (only RS256/PS256 assertions are supported)");
    EVP_PKEY_free(c->key);
    c->key = NULL;
    rc = -1;
  }
  OPENSSL_free(der);
  return rc;
}

EVP_PKEY *auth_pubkey_from_pem(const char *pem, char *err, size_t errlen) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  if (!k) {
    auth_cert c;
    char e2[64];
    if (auth_cert_from_pem(pem, &c, e2, sizeof e2) == 0) k = c.key;
  }
  ERR_clear_error();
  if (!k) snprintf(err, errlen, "not a PEM public key or certificate");
  else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
    snprintf(err, errlen, "public key is not RSA");
    EVP_PKEY_free(k);
    k = NULL;
  }
  return k;
}

static BIGNUM *b64_bn(const char *s) {
  unsigned char *raw = NULL;
  size_t len = 0;
  if (!s || auth_b64_decode(s, strlen(s), &raw, &len) != 0 || len == 0) {
    free(raw);
    return NULL;
  }
  BIGNUM *bn = BN_bin2bn(raw, (int)len, NULL);
  free(raw);
  return bn;
}

static EVP_PKEY *rsa_from_ne(BIGNUM *n, BIGNUM *e) {
  EVP_PKEY *k = NULL;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
  if (bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
      EVP_PKEY_fromdata_init(ctx) == 1)
    if (EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) k = NULL;
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
  return k;
}

int auth_jwks_load(const cJSON *jwks, auth_pubkey **keys, size_t *nkeys, char *err, size_t errlen) {
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(jwks, "keys");
  if (!cJSON_IsArray(arr)) {
    snprintf(err, errlen, "JWKS has no \"keys\" array");
    return -1;
  }
  const cJSON *jwk;
  int idx = 0;
  cJSON_ArrayForEach(jwk, arr) {
    const char *kty = auth_jwt_str(jwk, "kty");
    if (!kty || strcmp(kty, "RSA") != 0) {
      idx++;
      continue; /* other key types cannot verify RS256/PS256 */
    }
    BIGNUM *n = b64_bn(auth_jwt_str(jwk, "n")), *e = b64_bn(auth_jwt_str(jwk, "e"));
    EVP_PKEY *k = n && e ? rsa_from_ne(n, e) : NULL;
    BN_free(n);
    BN_free(e);
    if (!k) {
      snprintf(err, errlen, "JWKS key %d: invalid RSA n/e", idx);
      return -1;
    }
    auth_pubkey *nk = realloc(*keys, (*nkeys + 1) * sizeof *nk);
    if (!nk) {
      EVP_PKEY_free(k);
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    *keys = nk;
    memset(&nk[*nkeys], 0, sizeof nk[*nkeys]);
    const char *kid = auth_jwt_str(jwk, "kid");
    if (kid) snprintf(nk[*nkeys].kid, sizeof nk[*nkeys].kid, "%s", kid);
    nk[*nkeys].key = k;
    (*nkeys)++;
    idx++;
  }
  return 0;
}

static char *bn_b64(const BIGNUM *bn) {
  int len = BN_num_bytes(bn);
  unsigned char *raw = malloc(len > 0 ? (size_t)len : 1);
  if (!raw) return NULL;
  BN_bn2bin(bn, raw);
  char *s = auth_b64url_encode(raw, (size_t)len);
  free(raw);
  return s;
}

cJSON *auth_jwk_from_key(EVP_PKEY *key, const char *kid) {
  BIGNUM *n = NULL, *e = NULL;
  cJSON *o = NULL;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
    char *ns = bn_b64(n), *es = bn_b64(e);
    if (ns && es) {
      o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "kty", "RSA");
      cJSON_AddStringToObject(o, "use", "sig");
      cJSON_AddStringToObject(o, "alg", "RS256");
      if (kid) cJSON_AddStringToObject(o, "kid", kid);
      cJSON_AddStringToObject(o, "n", ns);
      cJSON_AddStringToObject(o, "e", es);
    }
    free(ns);
    free(es);
  }
  BN_free(n);
  BN_free(e);
  return o;
}

int auth_key_kid(EVP_PKEY *key, char *out, size_t outlen) {
  unsigned char *der = NULL;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return -1;
  int rc = thumb(der, (size_t)len, true, out, outlen);
  OPENSSL_free(der);
  return rc;
}
