/* az_util.c — encoding, hashing, time and string helpers for the Azure SDK sources. */
#include "azure/az_util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64_encode(const unsigned char *in, size_t len, const char *alpha, bool pad) {
  size_t out_len = 4 * ((len + 2) / 3);
  char *out = malloc(out_len + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    size_t rem = len - i;
    if (rem > 1) v |= (uint32_t)in[i + 1] << 8;
    if (rem > 2) v |= in[i + 2];
    out[o++] = alpha[(v >> 18) & 63];
    out[o++] = alpha[(v >> 12) & 63];
    if (rem > 1) out[o++] = alpha[(v >> 6) & 63];
    else if (pad) out[o++] = '=';
    if (rem > 2) out[o++] = alpha[v & 63];
    else if (pad) out[o++] = '=';
  }
  out[o] = '\0';
  return out;
}

char *az_b64_encode(const unsigned char *in, size_t len) { return b64_encode(in, len, B64, true); }
char *az_b64url_encode(const unsigned char *in, size_t len) { return b64_encode(in, len, B64URL, false); }

static int b64_val(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

unsigned char *az_b64_decode(const char *in, size_t len, size_t *out_len) {
  unsigned char *out = malloc(len / 4 * 3 + 4);
  if (!out) return NULL;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  bool padding = false;
  for (size_t i = 0; i < len; i++) {
    int c = (unsigned char)in[i];
    if (isspace(c)) continue;
    if (c == '=') { padding = true; continue; }
    int v = b64_val(c);
    if (v < 0 || padding) { free(out); return NULL; }
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) { free(out); return NULL; } /* a lone trailing character cannot encode a byte */
  out[o] = 0;
  if (out_len) *out_len = o;
  return out;
}

void az_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
  out[64] = '\0';
}

void az_uuid4(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)(az_rand01() * 256.0);
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static pthread_mutex_t rand_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rand_state;

double az_rand01(void) {
  pthread_mutex_lock(&rand_mu);
  if (rand_state == 0) {
    if (RAND_bytes((unsigned char *)&rand_state, sizeof rand_state) != 1 || rand_state == 0)
      rand_state = (uint64_t)time(NULL) * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  /* xorshift64*: jitter only needs to be cheap and decorrelated between processes */
  rand_state ^= rand_state >> 12;
  rand_state ^= rand_state << 25;
  rand_state ^= rand_state >> 27;
  uint64_t v = rand_state * 2685821657736338717ULL;
  pthread_mutex_unlock(&rand_mu);
  return (double)(v >> 11) / 9007199254740992.0;
}

double az_now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double az_now_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void az_sleep(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bool az_strlcpy(char *dst, const char *src, size_t n) {
  if (n == 0) return false;
  if (!src) src = "";
  size_t l = strlen(src);
  if (l >= n) {
    memcpy(dst, src, n - 1);
    dst[n - 1] = '\0';
    return false;
  }
  memcpy(dst, src, l + 1);
  return true;
}

bool az_streq_ci(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcasecmp(a, b) == 0;
}

char *az_urlencode(const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  char *out = malloc(len * 3 + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
  return out;
}

char *az_read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) { fclose(f); errno = ENOMEM; return NULL; }
  for (;;) {
    if (n == cap) {
      if (cap >= max) { OPENSSL_cleanse(buf, n); free(buf); fclose(f); errno = EFBIG; return NULL; }
      size_t ncap = cap * 2 > max ? max : cap * 2;
      char *nb = malloc(ncap + 1);
      if (!nb) { OPENSSL_cleanse(buf, n); free(buf); fclose(f); errno = ENOMEM; return NULL; }
      memcpy(nb, buf, n);
      OPENSSL_cleanse(buf, n);
      free(buf);
      buf = nb;
      cap = ncap;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    if (r == 0) break;
    n += r;
  }
  int ferr = ferror(f);
  fclose(f);
  if (ferr) { OPENSSL_cleanse(buf, n); free(buf); errno = EIO; return NULL; }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

void az_free_secret(char *s) {
  if (!s) return;
  OPENSSL_cleanse(s, strlen(s));
  free(s);
}

static bool buf_grow(az_buf *b, size_t need) {
  if (b->oom) return false;
  if (b->len + need + 1 <= b->cap) return true;
  size_t ncap = b->cap ? b->cap : 256;
  while (ncap < b->len + need + 1) ncap *= 2;
  /* no realloc: the old block may hold secret bytes and must be wiped, not abandoned */
  char *np = malloc(ncap);
  if (!np) { b->oom = true; return false; }
  if (b->p) {
    memcpy(np, b->p, b->len + 1);
    OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
  }
  b->p = np;
  b->cap = ncap;
  return true;
}

void az_buf_add(az_buf *b, const char *s, size_t len) {
  if (!buf_grow(b, len)) return;
  memcpy(b->p + b->len, s, len);
  b->len += len;
  b->p[b->len] = '\0';
}

void az_buf_adds(az_buf *b, const char *s) { az_buf_add(b, s, strlen(s)); }

void az_buf_printf(az_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) { az_buf_add(b, tmp, (size_t)n); return; }
  if (!buf_grow(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void az_buf_wipe(az_buf *b) {
  if (b->p) {
    OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
  }
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = false;
}

int az_err(capz_err *err, int code, int http_status, const char *reason, const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  capz_err_setv(err, code, fmt, ap);
  va_end(ap);
  err->http_status = http_status;
  az_strlcpy(err->reason, reason ? reason : "", sizeof err->reason);
  return code;
}

void az_subscription_of(const char *path, char *out, size_t n) {
  static const char subs[] = "/subscriptions/";
  if (n) out[0] = '\0';
  if (!path || strncasecmp(path, subs, sizeof subs - 1) != 0) return;
  const char *p = path + sizeof subs - 1;
  size_t l = strcspn(p, "/?#");
  if (l < n) {
    memcpy(out, p, l);
    out[l] = '\0';
  }
}
