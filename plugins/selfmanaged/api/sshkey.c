/* sshkey.c — SSH public keys as CAPZ stores them: base64 of an authorized_keys line. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "sm_internal.h"

/* ---- base64 (standard alphabet, padded; '\r' and '\n' ignored like Go's decoder) ---- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const uint8_t *in, size_t n) {
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  if (!out) return NULL;
  EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  return out;
}

static int b64_val(int c) {
  const char *p = c ? strchr(b64chars, c) : NULL;
  return p ? (int)(p - b64chars) : -1;
}

/* Decodes into a new buffer; false on malformed input. */
static bool b64_decode(const char *in, uint8_t **out, size_t *outlen) {
  size_t n = strlen(in);
  uint8_t *buf = malloc(n / 4 * 3 + 3);
  if (!buf) return false;
  size_t o = 0, q = 0, pad = 0;
  uint32_t acc = 0;
  for (const char *p = in; *p; p++) {
    if (*p == '\r' || *p == '\n') continue;
    if (*p == '=') {
      pad++;
      q++;
      continue;
    }
    int v = b64_val((unsigned char)*p);
    if (v < 0 || pad) goto bad;
    acc = acc << 6 | (uint32_t)v;
    if (++q % 4 == 0) {
      buf[o++] = (uint8_t)(acc >> 16);
      buf[o++] = (uint8_t)(acc >> 8);
      buf[o++] = (uint8_t)acc;
      acc = 0;
    }
  }
  if (q % 4 != 0 || pad > 2) goto bad;
  if (pad) {
    /* The last quantum held 4-pad symbols: emit its 3-pad bytes. */
    size_t syms = 4 - pad;
    acc <<= 6 * pad;
    buf[o++] = (uint8_t)(acc >> 16);
    if (syms == 3) buf[o++] = (uint8_t)(acc >> 8);
  }
  *out = buf;
  *outlen = o;
  return true;
bad:
  free(buf);
  return false;
}

/* ---- SSH wire format ---- */

typedef struct rd {
  const uint8_t *p;
  size_t n;
} rd;

static bool rd_string(rd *r, const uint8_t **s, size_t *len) {
  if (r->n < 4) return false;
  uint32_t l = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
  if (l > r->n - 4) return false;
  *s = r->p + 4;
  *len = l;
  r->p += 4 + l;
  r->n -= 4 + l;
  return true;
}

static bool rd_is(rd *r, const char *want) {
  const uint8_t *s;
  size_t l;
  return rd_string(r, &s, &l) && l == strlen(want) && memcmp(s, want, l) == 0;
}

/* Go's x/crypto/ssh rules for RSA: odd exponent, 3 <= e < 2^24, non-zero modulus. */
static bool rsa_ok(rd *r) {
  const uint8_t *e, *n;
  size_t el, nl;
  if (!rd_string(r, &e, &el) || !rd_string(r, &n, &nl)) return false;
  while (el && *e == 0) e++, el--;
  while (nl && *n == 0) n++, nl--;
  if (el == 0 || el > 3 || nl == 0) return false;
  uint32_t ev = 0;
  for (size_t i = 0; i < el; i++) ev = ev << 8 | e[i];
  return ev >= 3 && (ev & 1) && r->n == 0;
}

static bool ecdsa_ok(rd *r, const char *type) {
  const char *curve = type + strlen("ecdsa-sha2-");
  const uint8_t *pt;
  size_t pl;
  if (!rd_is(r, curve) || !rd_string(r, &pt, &pl) || pl == 0 || pt[0] != 4) return false;
  size_t want = strcmp(curve, "nistp256") == 0 ? 65 : strcmp(curve, "nistp384") == 0 ? 97 : 133;
  return pl == want;
}

static bool blob_ok(const uint8_t *blob, size_t len) {
  rd r = {blob, len};
  const uint8_t *t;
  size_t tl;
  char type[64];
  if (!rd_string(&r, &t, &tl) || tl == 0 || tl >= sizeof type) return false;
  memcpy(type, t, tl);
  type[tl] = '\0';
  const uint8_t *s;
  size_t sl;
  if (strcmp(type, "ssh-rsa") == 0) return rsa_ok(&r);
  if (strcmp(type, "ssh-ed25519") == 0) return rd_string(&r, &s, &sl) && sl == 32 && r.n == 0;
  if (strcmp(type, "ecdsa-sha2-nistp256") == 0 || strcmp(type, "ecdsa-sha2-nistp384") == 0 ||
      strcmp(type, "ecdsa-sha2-nistp521") == 0)
    return ecdsa_ok(&r, type) && r.n == 0;
  if (strcmp(type, "ssh-dss") == 0) {
    for (int i = 0; i < 4; i++)
      if (!rd_string(&r, &s, &sl) || sl == 0) return false;
    return r.n == 0;
  }
  if (strcmp(type, "sk-ssh-ed25519@openssh.com") == 0)
    return rd_string(&r, &s, &sl) && sl == 32 && rd_string(&r, &s, &sl) && r.n == 0;
  if (strcmp(type, "sk-ecdsa-sha2-nistp256@openssh.com") == 0) {
    const uint8_t *pt;
    size_t pl;
    return rd_is(&r, "nistp256") && rd_string(&r, &pt, &pl) && pl == 65 && pt[0] == 4 && rd_string(&r, &s, &sl) &&
           r.n == 0;
  }
  return false;
}

/* One authorized_keys line: [options] keytype base64 [comment]. Options may hold quoted spaces,
 * so any "<token> <valid key blob>" pair on the line is accepted. */
static bool line_ok(char *line) {
  char *tok[64];
  int nt = 0;
  char *save = NULL;
  for (char *t = strtok_r(line, " \t", &save); t && nt < 64; t = strtok_r(NULL, " \t", &save)) tok[nt++] = t;
  for (int i = 1; i < nt; i++) {
    uint8_t *blob;
    size_t bl;
    if (!b64_decode(tok[i], &blob, &bl)) continue;
    bool good = blob_ok(blob, bl);
    free(blob);
    if (good) return true;
  }
  return false;
}

const char *sm_ssh_public_key_problem(const char *b64) {
  uint8_t *text;
  size_t len;
  if (!b64 || !b64_decode(b64, &text, &len)) return "the SSH public key is not properly base64 encoded";
  char *s = malloc(len + 1);
  if (!s) {
    free(text);
    return "the SSH public key is not valid";
  }
  memcpy(s, text, len);
  s[len] = '\0';
  free(text);
  bool found = false;
  char *save = NULL;
  for (char *line = strtok_r(s, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
    while (isspace((unsigned char)*line)) line++;
    if (!*line || *line == '#') continue;
    char *copy = strdup(line);
    if (!copy) break;
    found = line_ok(copy);
    free(copy);
  }
  free(s);
  return found ? NULL : "the SSH public key is not valid";
}

/* ---- generation ---- */

static bool put_string(uint8_t *buf, size_t *o, const uint8_t *s, size_t len) {
  buf[(*o)++] = (uint8_t)(len >> 24);
  buf[(*o)++] = (uint8_t)(len >> 16);
  buf[(*o)++] = (uint8_t)(len >> 8);
  buf[(*o)++] = (uint8_t)len;
  memcpy(buf + *o, s, len);
  *o += len;
  return true;
}

/* mpint: big-endian magnitude with a leading zero byte when the high bit is set. */
static void put_mpint(uint8_t *buf, size_t *o, const BIGNUM *bn) {
  uint8_t tmp[600];
  int n = BN_bn2bin(bn, tmp + 1);
  tmp[0] = 0;
  bool lead = n > 0 && (tmp[1] & 0x80);
  put_string(buf, o, lead ? tmp : tmp + 1, (size_t)n + (lead ? 1 : 0));
}

char *sm_ssh_generate_public_key_b64(capz_err *err) {
  EVP_PKEY *pkey = EVP_RSA_gen(2048);
  BIGNUM *n = NULL, *e = NULL;
  char *line = NULL, *blob64 = NULL, *out = NULL;
  if (!pkey || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
      !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) || BN_num_bytes(n) > 512 || BN_num_bytes(e) > 8) {
    capz_err_set(err, CAPZ_EINTERNAL, "generating an RSA-2048 SSH key failed");
    goto done;
  }
  uint8_t blob[4 + 7 + 4 + 9 + 4 + 513];
  size_t o = 0;
  put_string(blob, &o, (const uint8_t *)"ssh-rsa", 7);
  put_mpint(blob, &o, e);
  put_mpint(blob, &o, n);
  blob64 = b64_encode(blob, o);
  if (!blob64 || !(line = malloc(strlen(blob64) + 10))) {
    capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    goto done;
  }
  size_t ll = (size_t)sprintf(line, "ssh-rsa %s\n", blob64);
  out = b64_encode((const uint8_t *)line, ll);
  if (!out) capz_err_set(err, CAPZ_ENOMEM, "out of memory");
done:
  BN_free(n);
  BN_free(e);
  EVP_PKEY_free(pkey); /* the private key is discarded: CAPZ keeps only the public half */
  free(blob64);
  free(line);
  return out;
}
