/* auth_b64.c — base64 / base64url codecs for JWT segments and certificate thumbprints. */
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char B64STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *encode(const unsigned char *in, size_t len, const char *alphabet, bool pad) {
  size_t cap = 4 * ((len + 2) / 3) + 1;
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t o = 0, i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = alphabet[v & 63];
  }
  if (i < len) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (i + 1 < len) out[o++] = alphabet[(v >> 6) & 63];
    else if (pad) out[o++] = '=';
    if (pad) out[o++] = '=';
  }
  out[o] = '\0';
  return out;
}

char *auth_b64url_encode(const unsigned char *in, size_t len) { return encode(in, len, B64URL, false); }
char *auth_b64_encode(const unsigned char *in, size_t len) { return encode(in, len, B64STD, true); }

static int b64val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

int auth_b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen) {
  while (len > 0 && in[len - 1] == '=') len--;
  if (len % 4 == 1) return -1;
  unsigned char *buf = malloc(len * 3 / 4 + 2);
  if (!buf) return -1;
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64val((unsigned char)in[i]);
    if (v < 0) {
      free(buf);
      return -1;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      buf[o++] = (unsigned char)((acc >> bits) & 0xff);
    }
  }
  /* Non-zero leftover bits mean a non-canonical encoding: two spellings of one token must not both verify. */
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    free(buf);
    return -1;
  }
  buf[o] = '\0';
  *out = buf;
  *outlen = o;
  return 0;
}
