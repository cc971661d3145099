/* az_cert.c — load client certificates with OpenSSL and sign client-assertion JWTs (RS256 / PS256). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>

#include "azure/az_cert.h"
#include "azure/az_util.h"

static int pem_pass_cb(char *buf, int size, int rwflag, void *u) {
  (void)rwflag;
  const char *pw = u;
  if (!pw) return 0;
  int n = (int)strlen(pw);
  if (n > size) n = size;
  memcpy(buf, pw, (size_t)n);
  return n;
}

static int cert_fail(capz_err *err, const char *what) {
  ERR_clear_error();
  return az_err(err, CAPZ_EAUTH, 0, "InvalidCertificate", "client certificate: %s", what);
}

static bool fill_thumbprints(az_cert *c) {
  unsigned char *der = NULL;
  int len = i2d_X509(c->cert, &der);
  if (len <= 0) return false;
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
  char *s = az_b64url_encode(md, mdlen);
  EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha1(), NULL);
  char *s1 = az_b64url_encode(md, mdlen);
  OPENSSL_free(der);
  bool ok = s && s1;
  if (ok) {
    az_strlcpy(c->x5t_s256, s, sizeof c->x5t_s256);
    az_strlcpy(c->x5t, s1, sizeof c->x5t);
  }
  free(s);
  free(s1);
  return ok;
}

static bool load_pem(az_cert *c, const unsigned char *data, size_t len, const char *password) {
  BIO *bio = BIO_new_mem_buf(data, (int)len);
  if (!bio) return false;
  c->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
  BIO_free(bio);
  bio = BIO_new_mem_buf(data, (int)len);
  if (!bio) return false;
  c->key = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, (void *)password);
  BIO_free(bio);
  return c->cert && c->key;
}

static bool load_p12(az_cert *c, const unsigned char *data, size_t len, const char *password) {
  const unsigned char *p = data;
  PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
  if (!p12) return false;
  STACK_OF(X509) *ca = NULL;
  int ok = PKCS12_parse(p12, password ? password : "", &c->key, &c->cert, &ca);
  if (!ok && !password) ok = PKCS12_parse(p12, NULL, &c->key, &c->cert, &ca);
  sk_X509_pop_free(ca, X509_free);
  PKCS12_free(p12);
  return ok && c->cert && c->key;
}

az_cert *az_cert_load(const unsigned char *data, size_t len, const char *password, capz_err *err) {
  if (!data || len == 0 || len > (1u << 20)) {
    cert_fail(err, "empty or larger than 1 MiB");
    return NULL;
  }
  az_cert *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  bool is_pem = memmem(data, len, "-----BEGIN", 10) != NULL;
  bool ok;
  if (is_pem) {
    ok = load_pem(c, data, len, password);
  } else {
    ok = load_p12(c, data, len, password);
    if (!ok) {
      /* secrets often carry the PKCS#12 base64-encoded */
      size_t dlen = 0;
      unsigned char *dec = az_b64_decode((const char *)data, len, &dlen);
      if (dec) {
        X509_free(c->cert);
        EVP_PKEY_free(c->key);
        c->cert = NULL;
        c->key = NULL;
        ok = load_p12(c, dec, dlen, password);
        OPENSSL_cleanse(dec, dlen);
        free(dec);
      }
    }
  }
  if (!ok) {
    az_cert_free(c);
    cert_fail(err, is_pem ? "PEM needs a certificate and a private key (wrong password?)"
                          : "not PEM and not a readable PKCS#12 (wrong password?)");
    return NULL;
  }
  if (EVP_PKEY_base_id(c->key) != EVP_PKEY_RSA) {
    az_cert_free(c);
    cert_fail(err, "the private key must be RSA (RS256/PS256)");
    return NULL;
  }
  if (X509_check_private_key(c->cert, c->key) != 1) {
    az_cert_free(c);
    cert_fail(err, "the private key does not match the certificate");
    return NULL;
  }
  if (!fill_thumbprints(c)) {
    az_cert_free(c);
    cert_fail(err, "cannot encode the certificate");
    return NULL;
  }
  return c;
}

void az_cert_free(az_cert *c) {
  if (!c) return;
  X509_free(c->cert);
  EVP_PKEY_free(c->key); /* OpenSSL clears key material on free */
  free(c);
}

static char *b64url_json(const cJSON *j) {
  char *txt = cJSON_PrintUnformatted(j);
  if (!txt) return NULL;
  char *out = az_b64url_encode((const unsigned char *)txt, strlen(txt));
  free(txt);
  return out;
}

char *az_jwt_assertion(const az_cert *c, capz_az_jwt_alg alg, const char *client_id, const char *audience,
                       double now, capz_err *err) {
  cJSON *hdr = cJSON_CreateObject(), *claims = cJSON_CreateObject();
  char *h64 = NULL, *c64 = NULL, *s64 = NULL, *out = NULL;
  unsigned char *sig = NULL;
  EVP_MD_CTX *md = NULL;
  if (!hdr || !claims) goto done;
  cJSON_AddStringToObject(hdr, "alg", alg == CAPZ_AZ_JWT_RS256 ? "RS256" : "PS256");
  cJSON_AddStringToObject(hdr, "typ", "JWT");
  cJSON_AddStringToObject(hdr, "x5t#S256", c->x5t_s256);
  if (alg == CAPZ_AZ_JWT_RS256) cJSON_AddStringToObject(hdr, "x5t", c->x5t);
  char jti[37];
  az_uuid4(jti);
  long long t = (long long)now;
  cJSON_AddStringToObject(claims, "aud", audience);
  cJSON_AddStringToObject(claims, "iss", client_id);
  cJSON_AddStringToObject(claims, "sub", client_id);
  cJSON_AddStringToObject(claims, "jti", jti);
  cJSON_AddNumberToObject(claims, "iat", (double)t);
  cJSON_AddNumberToObject(claims, "nbf", (double)t);
  cJSON_AddNumberToObject(claims, "exp", (double)(t + 600));
  h64 = b64url_json(hdr);
  c64 = b64url_json(claims);
  if (!h64 || !c64) goto done;
  az_buf input = {0};
  az_buf_printf(&input, "%s.%s", h64, c64);
  if (input.oom) { az_buf_wipe(&input); goto done; }
  md = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  size_t siglen = 0;
  bool ok = md && EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, c->key) == 1;
  if (ok && alg == CAPZ_AZ_JWT_PS256) {
    /* PS256 = RSASSA-PSS, MGF1-SHA256, salt length = digest length (RFC 7518 §3.5) */
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
  } else if (ok) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
  }
  ok = ok && EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input.p, input.len) == 1;
  if (ok && (sig = malloc(siglen)) != NULL)
    ok = EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input.p, input.len) == 1;
  else
    ok = false;
  if (ok && (s64 = az_b64url_encode(sig, siglen)) != NULL) {
    az_buf_printf(&input, ".%s", s64);
    if (!input.oom) {
      out = input.p;
      input.p = NULL;
    }
  }
  az_buf_wipe(&input);
  if (!out) {
    ERR_clear_error();
    az_err(err, CAPZ_EINTERNAL, 0, "SigningFailed", "signing the client assertion failed");
  }
done:
  if (!out && err && err->code == CAPZ_OK) az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory building assertion");
  cJSON_Delete(hdr);
  cJSON_Delete(claims);
  free(h64);
  free(c64);
  free(s64);
  free(sig);
  EVP_MD_CTX_free(md);
  return out;
}
