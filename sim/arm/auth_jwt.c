/* auth_jwt.c — compact JWS: parsing, RS256/PS256 verification, RS256 signing (OpenSSL EVP). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>

#include "auth_internal.h"

void auth_jwt_free(auth_jwt *j) {
  cJSON_Delete(j->header);
  cJSON_Delete(j->claims);
  free(j->sig);
  free(j->signing_input);
  memset(j, 0, sizeof *j);
}

static cJSON *decode_segment(const char *s, size_t len) {
  unsigned char *raw = NULL;
  size_t rawlen = 0;
  if (len == 0 || auth_b64_decode(s, len, &raw, &rawlen) != 0) return NULL;
  cJSON *o = cJSON_ParseWithLength((const char *)raw, rawlen);
  free(raw);
  if (o && !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

int auth_jwt_parse(const char *token, size_t len, auth_jwt *j) {
  memset(j, 0, sizeof *j);
  if (!token) return -1;
  const char *d1 = memchr(token, '.', len);
  if (!d1) return -1;
  const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
  if (!d2) return -1;
  const char *end = token + len;
  if (memchr(d2 + 1, '.', (size_t)(end - d2 - 1))) return -1; /* JWE (5 parts) or garbage */
  j->header = decode_segment(token, (size_t)(d1 - token));
  j->claims = decode_segment(d1 + 1, (size_t)(d2 - d1 - 1));
  if (!j->header || !j->claims) goto bad;
  j->alg = auth_jwt_str(j->header, "alg");
  if (!j->alg) goto bad;
  if (auth_b64_decode(d2 + 1, (size_t)(end - d2 - 1), &j->sig, &j->siglen) != 0) goto bad;
  j->signing_input_len = (size_t)(d2 - token);
  j->signing_input = malloc(j->signing_input_len + 1);
  if (!j->signing_input) goto bad;
  memcpy(j->signing_input, token, j->signing_input_len);
  j->signing_input[j->signing_input_len] = '\0';
  return 0;
bad:
  auth_jwt_free(j);
  return -1;
}

bool auth_jwt_verify(const auth_jwt *j, EVP_PKEY *key) {
  if (!key || !j->alg || j->siglen == 0) return false;
  bool pss;
  if (strcmp(j->alg, "RS256") == 0) pss = false;
  else if (strcmp(j->alg, "PS256") == 0) pss = true;
  else return false;
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  bool ok = false;
  if (!ctx || EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1) goto done;
  if (pss) {
    /* RFC 7518 fixes the salt at the digest length; AUTO also accepts that and what other signers produce. */
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)
      goto done;
  } else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    goto done;
  }
  ok = EVP_DigestVerify(ctx, j->sig, j->siglen, (const unsigned char *)j->signing_input, j->signing_input_len) == 1;
done:
  EVP_MD_CTX_free(ctx);
  return ok;
}

static char *b64_json(const cJSON *o) {
  char *txt = cJSON_PrintUnformatted(o);
  if (!txt) return NULL;
  char *b = auth_b64url_encode((const unsigned char *)txt, strlen(txt));
  free(txt);
  return b;
}

char *auth_jwt_sign_rs256(EVP_PKEY *key, const char *kid, const cJSON *claims) {
  cJSON *hdr = cJSON_CreateObject();
  cJSON_AddStringToObject(hdr, "typ", "JWT");
  cJSON_AddStringToObject(hdr, "alg", "RS256");
  if (kid && *kid) cJSON_AddStringToObject(hdr, "kid", kid);
  char *h = b64_json(hdr), *c = b64_json(claims), *out = NULL, *s = NULL;
  cJSON_Delete(hdr);
  unsigned char *sig = NULL;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!h || !c || !ctx) goto done;
  size_t inlen = strlen(h) + 1 + strlen(c);
  char *input = malloc(inlen + 1);
  if (!input) goto done;
  memcpy(input, h, strlen(h));
  input[strlen(h)] = '.';
  memcpy(input + strlen(h) + 1, c, strlen(c) + 1);
  size_t siglen = 0;
  if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
      EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)input, inlen) != 1 || !(sig = malloc(siglen)) ||
      EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, inlen) != 1 ||
      !(s = auth_b64url_encode(sig, siglen))) {
    free(input);
    goto done;
  }
  out = malloc(inlen + 1 + strlen(s) + 1);
  if (out) {
    memcpy(out, input, inlen);
    out[inlen] = '.';
    memcpy(out + inlen + 1, s, strlen(s) + 1);
  }
  free(input);
done:
  EVP_MD_CTX_free(ctx);
  free(sig);
  free(s);
  free(h);
  free(c);
  return out;
}

const char *auth_jwt_str(const cJSON *obj, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool auth_jwt_num(const cJSON *obj, const char *name, double *v) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
  /* Non-finite values (1e999, or "nan" as a string) would make every time comparison false. */
  if (cJSON_IsNumber(it)) {
    if (!isfinite(it->valuedouble)) return false;
    *v = it->valuedouble;
    return true;
  }
  if (cJSON_IsString(it) && it->valuestring[0]) {
    char *end;
    double d = strtod(it->valuestring, &end);
    if (*end == '\0' && isfinite(d)) {
      *v = d;
      return true;
    }
  }
  return false;
}
