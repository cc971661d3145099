/* authtest.c — see authtest.h. Uses OpenSSL directly (not sim/arm/auth_*.c helpers) so that encoding or
 * thumbprint bugs in the code under test cannot cancel out in the tests. */
#include "authtest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/param_build.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

EVP_PKEY *at_rsa_key(void) { return EVP_RSA_gen(2048); }

static char *bio_text(BIO *b) {
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  char *s = malloc((size_t)n + 1);
  memcpy(s, p, (size_t)n);
  s[n] = '\0';
  return s;
}

char *at_cert_pem(EVP_PKEY *key, const char *cn) {
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(rand() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_sign(x, key, EVP_sha256());
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char *s = bio_text(b);
  BIO_free(b);
  X509_free(x);
  return s;
}

char *at_pubkey_pem(EVP_PKEY *key) {
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(b, key);
  char *s = bio_text(b);
  BIO_free(b);
  return s;
}

/* base64url via EVP_EncodeBlock + alphabet swap. */
static char *b64url(const unsigned char *in, size_t len) {
  char *s = malloc(4 * ((len + 2) / 3) + 1);
  int n = EVP_EncodeBlock((unsigned char *)s, in, (int)len);
  while (n > 0 && s[n - 1] == '=') n--;
  s[n] = '\0';
  for (int i = 0; i < n; i++) {
    if (s[i] == '+') s[i] = '-';
    else if (s[i] == '/') s[i] = '_';
  }
  return s;
}

char *at_thumbprint(const char *cert_pem, bool sha256) {
  BIO *b = BIO_new_mem_buf(cert_pem, -1);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  X509_digest(x, sha256 ? EVP_sha256() : EVP_sha1(), md, &mdlen);
  X509_free(x);
  return b64url(md, mdlen);
}

static char *bn64(const BIGNUM *bn) {
  int len = BN_num_bytes(bn);
  unsigned char *raw = malloc((size_t)len);
  BN_bn2bin(bn, raw);
  char *s = b64url(raw, (size_t)len);
  free(raw);
  return s;
}

cJSON *at_jwk(EVP_PKEY *key, const char *kid) {
  BIGNUM *n = NULL, *e = NULL;
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
  char *ns = bn64(n), *es = bn64(e);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "kty", "RSA");
  if (kid) cJSON_AddStringToObject(o, "kid", kid);
  cJSON_AddStringToObject(o, "n", ns);
  cJSON_AddStringToObject(o, "e", es);
  free(ns);
  free(es);
  BN_free(n);
  BN_free(e);
  return o;
}

static char *seg(const cJSON *o) {
  char *t = cJSON_PrintUnformatted(o);
  char *s = b64url((const unsigned char *)t, strlen(t));
  free(t);
  return s;
}

char *at_jwt(EVP_PKEY *key, const char *alg, cJSON *extra, cJSON *claims) {
  cJSON *h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "alg", alg);
  cJSON_AddStringToObject(h, "typ", "JWT");
  if (extra) {
    cJSON *it;
    cJSON_ArrayForEach(it, extra) cJSON_AddItemToObject(h, it->string, cJSON_Duplicate(it, 1));
    cJSON_Delete(extra);
  }
  char *hs = seg(h), *cs = seg(claims);
  cJSON_Delete(h);
  cJSON_Delete(claims);
  size_t inlen = strlen(hs) + 1 + strlen(cs);
  char *input = malloc(inlen + 1);
  snprintf(input, inlen + 1, "%s.%s", hs, cs);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key);
  if (strcmp(alg, "PS256") == 0) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t siglen = 0;
  EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)input, inlen);
  unsigned char *sig = malloc(siglen);
  EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, inlen);
  EVP_MD_CTX_free(ctx);
  char *ss = b64url(sig, siglen);
  char *out = malloc(inlen + 1 + strlen(ss) + 1);
  sprintf(out, "%s.%s", input, ss);
  free(sig);
  free(ss);
  free(input);
  free(hs);
  free(cs);
  return out;
}

cJSON *at_assertion_claims(const char *client_id, const char *aud, long nbf_off, long exp_off) {
  long now = (long)time(NULL);
  unsigned char r[8];
  RAND_bytes(r, sizeof r);
  char jti[32];
  snprintf(jti, sizeof jti, "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "aud", aud);
  cJSON_AddStringToObject(c, "iss", client_id);
  cJSON_AddStringToObject(c, "sub", client_id);
  cJSON_AddStringToObject(c, "jti", jti);
  cJSON_AddNumberToObject(c, "nbf", (double)(now + nbf_off));
  cJSON_AddNumberToObject(c, "iat", (double)(now + nbf_off));
  cJSON_AddNumberToObject(c, "exp", (double)(now + exp_off));
  return c;
}

char *at_urlencode(const char *s) {
  char *o = malloc(strlen(s) * 3 + 1);
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
        *p == '.' || *p == '_' || *p == '~')
      o[n++] = (char)*p;
    else
      n += (size_t)sprintf(o + n, "%%%02X", *p);
  }
  o[n] = '\0';
  return o;
}

char *at_form(const char *first_name, ...) {
  va_list ap;
  va_start(ap, first_name);
  size_t cap = 256, n = 0;
  char *out = malloc(cap);
  out[0] = '\0';
  for (const char *name = first_name; name; name = va_arg(ap, const char *)) {
    const char *value = va_arg(ap, const char *);
    char *ev = at_urlencode(value);
    size_t need = n + strlen(name) + strlen(ev) + 3;
    if (need > cap) {
      cap = need * 2;
      out = realloc(out, cap);
    }
    n += (size_t)sprintf(out + n, "%s%s=%s", n ? "&" : "", name, ev);
    free(ev);
  }
  va_end(ap);
  return out;
}

cJSON *at_parse(const char *s) { return s ? cJSON_Parse(s) : NULL; }

cJSON *at_token(arm_auth *a, const char *tenant, const char *body, int *status) {
  arm_http_reply r = {0};
  arm_auth_token(a, tenant, body, strlen(body), &r);
  *status = r.status;
  cJSON *o = at_parse(r.body);
  arm_http_reply_clear(&r);
  return o;
}

char *at_secret_token(arm_auth *a, const char *tenant, const char *client_id, const char *secret,
                      const char *scope) {
  char *body = at_form("grant_type", "client_credentials", "client_id", client_id, "client_secret", secret, "scope",
                       scope, NULL);
  int st = 0;
  cJSON *o = at_token(a, tenant, body, &st);
  free(body);
  char *tok = NULL;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "access_token");
  if (st == 200 && cJSON_IsString(t)) tok = strdup(t->valuestring);
  cJSON_Delete(o);
  return tok;
}

long at_aadsts(const cJSON *err) {
  const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(err, "error_codes"), 0);
  return cJSON_IsNumber(c) ? (long)c->valuedouble : -1;
}

const char *at_arm_code(const arm_http_reply *r) {
  static __thread char buf[128];
  buf[0] = '\0';
  cJSON *o = at_parse(r->body);
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "error"), "code");
  if (cJSON_IsString(c)) snprintf(buf, sizeof buf, "%s", c->valuestring);
  cJSON_Delete(o);
  return buf;
}

cJSON *at_jwt_claims(const char *token) {
  const char *d1 = strchr(token, '.');
  const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!d2) return NULL;
  size_t len = (size_t)(d2 - d1 - 1);
  char *s = malloc(len + 4);
  memcpy(s, d1 + 1, len);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '-') s[i] = '+';
    else if (s[i] == '_') s[i] = '/';
  }
  while (len % 4) s[len++] = '=';
  s[len] = '\0';
  unsigned char *raw = malloc(len);
  int n = EVP_DecodeBlock(raw, (unsigned char *)s, (int)len);
  free(s);
  cJSON *o = NULL;
  if (n > 0) {
    /* EVP_DecodeBlock counts padding bytes as zeros; cJSON stops at the closing brace anyway. */
    o = cJSON_ParseWithLength((const char *)raw, (size_t)n);
    if (!o) {
      while (n > 0 && raw[n - 1] == 0) n--;
      o = cJSON_ParseWithLength((const char *)raw, (size_t)n);
    }
  }
  free(raw);
  return o;
}

static BIGNUM *b64url_bn(const char *s) {
  size_t len = strlen(s);
  char *t = malloc(len + 4);
  memcpy(t, s, len);
  for (size_t i = 0; i < len; i++) {
    if (t[i] == '-') t[i] = '+';
    else if (t[i] == '_') t[i] = '/';
  }
  size_t pad = 0;
  while ((len + pad) % 4) t[len + pad++] = '=';
  t[len + pad] = '\0';
  unsigned char *raw = malloc(len + 4);
  int n = EVP_DecodeBlock(raw, (unsigned char *)t, (int)(len + pad));
  free(t);
  BIGNUM *bn = n > 0 ? BN_bin2bn(raw, n - (int)pad, NULL) : NULL;
  free(raw);
  return bn;
}

bool at_verify_rs256_jwk(const char *token, const cJSON *jwk) {
  BIGNUM *n = b64url_bn(cJSON_GetObjectItem(jwk, "n")->valuestring);
  BIGNUM *e = b64url_bn(cJSON_GetObjectItem(jwk, "e")->valuestring);
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, "n", n);
  OSSL_PARAM_BLD_push_BN(bld, "e", e);
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
  EVP_PKEY *key = NULL;
  EVP_PKEY_fromdata_init(kctx);
  EVP_PKEY_fromdata(kctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  const char *d2 = strrchr(token, '.');
  bool ok = false;
  if (key && d2) {
    size_t slen = strlen(d2 + 1);
    char *t = malloc(slen + 4);
    memcpy(t, d2 + 1, slen);
    for (size_t i = 0; i < slen; i++) {
      if (t[i] == '-') t[i] = '+';
      else if (t[i] == '_') t[i] = '/';
    }
    size_t pad = 0;
    while ((slen + pad) % 4) t[slen + pad++] = '=';
    unsigned char *sig = malloc(slen + 4);
    int sl = EVP_DecodeBlock(sig, (unsigned char *)t, (int)(slen + pad));
    free(t);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ok = sl > 0 && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
         EVP_DigestVerify(ctx, sig, (size_t)sl - pad, (const unsigned char *)token, (size_t)(d2 - token)) == 1;
    EVP_MD_CTX_free(ctx);
    free(sig);
  }
  EVP_PKEY_free(key);
  EVP_PKEY_CTX_free(kctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return ok;
}
