/* curlbuf.c — see curlbuf.h. */
#include "curlbuf.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int curlbuf_append(curlbuf *b, const char *data, size_t len) {
  char *p = realloc(b->data, b->len + len + 1);
  if (!p) return -1;
  memcpy(p + b->len, data, len);
  b->data = p;
  b->len += len;
  p[b->len] = '\0';
  return 0;
}

size_t curlbuf_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
  size_t n = size * nmemb;
  return curlbuf_append(userdata, ptr, n) == 0 ? n : 0;
}

void curlbuf_free(curlbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
}

long curlbuf_get(const char *url, long timeout_ms, curlbuf *body) {
  memset(body, 0, sizeof *body);
  long code = 0;
  CURL *c = curl_easy_init();
  if (c) {
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
  }
  if (!body->data && curlbuf_append(body, "", 0) != 0) code = 0;
  return code;
}

long curlbuf_request(const char *method, const char *url, const char *ctype, const char *body, const char *bearer,
                     long timeout_ms, curlbuf *resp) {
  memset(resp, 0, sizeof *resp);
  CURL *c = curl_easy_init();
  if (!c) return -1;
  struct curl_slist *h = NULL;
  char hdr[4200];
  if (body) {
    snprintf(hdr, sizeof hdr, "Content-Type: %s", ctype ? ctype : "application/json");
    h = curl_slist_append(h, hdr);
  }
  if (bearer) {
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", bearer);
    h = curl_slist_append(h, hdr);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (h) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  if (timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
  long code = -1;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return code;
}
