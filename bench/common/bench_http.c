/* bench_http.c — see bench_http.h. */
#include "bench_http.h"

#include <stdlib.h>
#include <string.h>

#include "curlbuf.h"

long bhttp_req(const char *method, const char *url, const char *ctype, const char *body, const char *bearer,
               char **out) {
  if (out) *out = NULL;
  curlbuf b;
  long code = curlbuf_request(method, url, ctype, body, bearer, 120000L, &b);
  if (out && code >= 0) {
    *out = b.data ? b.data : calloc(1, 1);
    return code;
  }
  curlbuf_free(&b);
  return code;
}

long bhttp(const char *method, const char *url, const char *body, char **out) {
  return bhttp_req(method, url, NULL, body, NULL, out);
}

long bhttp_json(const char *method, const char *url, const char *body, cJSON **out) {
  char *text = NULL;
  long code = bhttp(method, url, body, &text);
  *out = text ? cJSON_Parse(text) : NULL;
  free(text);
  return code;
}

size_t bench_curl_count(char *p, size_t sz, size_t nm, void *ud) {
  (void)p;
  size_t *total = ud;
  if (total) *total += sz * nm;
  return sz * nm;
}

size_t bench_curl_keep(char *p, size_t sz, size_t nm, void *ud) {
  bench_fixbuf *b = ud;
  size_t n = sz * nm, room = sizeof b->s - 1 - b->n;
  size_t k = n < room ? n : room;
  memcpy(b->s + b->n, p, k);
  b->n += k;
  b->s[b->n] = '\0';
  return n;
}
