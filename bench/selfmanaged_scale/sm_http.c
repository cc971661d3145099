/* sm_http.c — plain libcurl requests for the bench's side channels (no retries). One easy handle per call, so
 * any thread may call; curl_global_init is done by capz_sdk_global_init before the first call. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlbuf.h"
#include "sm_scale.h"

long smh(const char *method, const char *url, const char *ctype, const char *body, const char *bearer, char **out) {
  if (out) *out = NULL;
  CURL *c = curl_easy_init();
  if (!c) return -1;
  curlbuf b = {0};
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
  if (h) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  long code = -1;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (out) *out = b.data;
  else curlbuf_free(&b);
  return code;
}

long smh_json(const char *method, const char *url, const char *body, cJSON **out) {
  char *text = NULL;
  long st = smh(method, url, NULL, body, NULL, &text);
  *out = text ? cJSON_Parse(text) : NULL;
  free(text);
  return st;
}
