/* kube_util.c — small helpers: refcounted blobs, text buffers, cJSON shortcuts, ids and time. */
#include "kube_sim.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort(); /* an emulator has no useful way to continue without memory */
  return p;
}

kblob *kb_new(const char *s, size_t len) {
  kblob *b = xmalloc(sizeof *b + len + 1);
  atomic_init(&b->refs, 1);
  b->sgen = 0;
  b->len = len;
  memcpy(b->s, s, len);
  b->s[len] = '\0';
  return b;
}

kblob *kb_from_json(const cJSON *j) {
  char *s = cJSON_PrintUnformatted(j);
  if (!s) abort();
  kblob *b = kb_new(s, strlen(s));
  cJSON_free(s);
  return b;
}

kblob *kb_ref(kblob *b) {
  if (b) atomic_fetch_add(&b->refs, 1);
  return b;
}

void kb_unref(kblob *b) {
  if (b && atomic_fetch_sub(&b->refs, 1) == 1) free(b);
}

void kbuf_add(kbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap : 256;
    while (c < b->len + n + 1) c *= 2;
    char *p = realloc(b->s, c);
    if (!p) abort();
    b->s = p;
    b->cap = c;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void kbuf_puts(kbuf *b, const char *s) { kbuf_add(b, s, strlen(s)); }

void kbuf_printf(kbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[512];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof tmp) {
    kbuf_add(b, tmp, (size_t)n);
    return;
  }
  char *big = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  kbuf_add(b, big, (size_t)n);
  free(big);
}

void kbuf_json_str(kbuf *b, const char *s) {
  cJSON *j = cJSON_CreateString(s ? s : "");
  char *p = cJSON_PrintUnformatted(j);
  kbuf_puts(b, p);
  cJSON_free(p);
  cJSON_Delete(j);
}

void kbuf_free(kbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

static void rand_bytes(unsigned char *out, size_t n) {
  static __thread unsigned int seed;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t r = read(fd, out, n);
    close(fd);
    if (r == (ssize_t)n) return;
  }
  if (!seed) seed = (unsigned)time(NULL) ^ (unsigned)getpid();
  for (size_t i = 0; i < n; i++) out[i] = (unsigned char)rand_r(&seed);
}

void gen_uid(char out[40]) {
  unsigned char b[16];
  rand_bytes(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void gen_suffix(char out[6]) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char b[5];
  rand_bytes(b, sizeof b);
  for (int i = 0; i < 5; i++) out[i] = alphabet[b[i] % (sizeof alphabet - 1)];
  out[5] = '\0';
}

void now_rfc3339(char out[32]) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void now_micro(char out[40]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 40, "%.19s.%06dZ", base, (int)(ts.tv_nsec / 1000) % 1000000);
}

uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool parse_go_bool(const char *s, bool *out) {
  static const char *t[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *f[] = {"0", "f", "F", "FALSE", "false", "False"};
  if (!s) return false;
  for (size_t i = 0; i < 6; i++) {
    if (strcmp(s, t[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcmp(s, f[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

cJSON *jget(const cJSON *o, const char *k) {
  if (!o || !cJSON_IsObject(o)) return NULL;
  return cJSON_GetObjectItemCaseSensitive(o, k);
}

const char *jstr(const cJSON *o, const char *k) {
  cJSON *v = jget(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *jobj(cJSON *o, const char *k) {
  cJSON *v = jget(o, k);
  if (cJSON_IsObject(v)) return v;
  if (v) cJSON_DeleteItemFromObjectCaseSensitive(o, k);
  v = cJSON_CreateObject();
  cJSON_AddItemToObject(o, k, v);
  return v;
}

void jset(cJSON *o, const char *k, cJSON *v) {
  if (jget(o, k))
    cJSON_ReplaceItemInObjectCaseSensitive(o, k, v);
  else
    cJSON_AddItemToObject(o, k, v);
}

void jset_str(cJSON *o, const char *k, const char *s) { jset(o, k, cJSON_CreateString(s)); }

void jdel(cJSON *o, const char *k) {
  if (o) cJSON_DeleteItemFromObjectCaseSensitive(o, k);
}

void json_front(cJSON *obj, const char *api_version, const char *kind) {
  jdel(obj, "apiVersion");
  jdel(obj, "kind");
  /* cJSON has no "insert at front" for objects; rebuild the head of the member list. */
  cJSON *av = cJSON_CreateString(api_version);
  cJSON *kd = cJSON_CreateString(kind);
  av->string = strdup("apiVersion");
  kd->string = strdup("kind");
  if (!av->string || !kd->string) abort();
  cJSON *first = obj->child;
  av->next = kd;
  kd->prev = av;
  kd->next = first;
  if (first) {
    av->prev = first->prev; /* cJSON keeps child->prev = last */
    first->prev = kd;
  } else {
    av->prev = kd;
  }
  obj->child = av;
}

int json_depth(const cJSON *j) {
  int best = 0;
  for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
    int d = json_depth(c);
    if (d > best) best = d;
  }
  return best + 1;
}

char *b64_encode(const unsigned char *in, size_t n) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = xmalloc(4 * ((n + 2) / 3) + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[o++] = tbl[(v >> 18) & 63];
    out[o++] = tbl[(v >> 12) & 63];
    out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? tbl[v & 63] : '=';
  }
  out[o] = '\0';
  return out;
}

bool is_dns1123_label(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i + 1 < n);
    if (!ok) return false;
  }
  return true;
}

bool is_dns1123_subdomain(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 253) return false;
  char buf[254];
  memcpy(buf, s, n + 1);
  char *save = NULL;
  if (buf[0] == '.' || buf[n - 1] == '.' || strstr(buf, "..")) return false;
  for (char *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
    if (!is_dns1123_label(tok)) return false;
  return true;
}

char *json_print(const cJSON *j) {
  char *s = cJSON_PrintUnformatted(j);
  if (!s) abort();
  return s;
}
