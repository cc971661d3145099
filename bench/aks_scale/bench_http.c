/* bench_http.c — see bench_http.h. */
#include "bench_http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
  char *p;
  size_t n, cap;
} buf;

static size_t on_data(char *d, size_t sz, size_t nm, void *ud) {
  buf *b = ud;
  size_t k = sz * nm;
  if (b->n + k + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + k + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) return 0;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, d, k);
  b->n += k;
  b->p[b->n] = '\0';
  return k;
}

long bhttp(const char *method, const char *url, const char *body, char **out) {
  if (out) *out = NULL;
  CURL *h = curl_easy_init();
  if (!h) return -1;
  buf b = {0};
  struct curl_slist *hdr = NULL;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (body) {
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  }
  long code = -1;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  if (out && code >= 0) {
    *out = b.p ? b.p : calloc(1, 1);
    return code;
  }
  free(b.p);
  return code;
}

long bhttp_json(const char *method, const char *url, const char *body, cJSON **out) {
  char *text = NULL;
  long code = bhttp(method, url, body, &text);
  *out = text ? cJSON_Parse(text) : NULL;
  free(text);
  return code;
}
