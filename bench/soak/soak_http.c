/* soak_http.c — plain libcurl calls to capz-arm-sim's /_sim/ endpoints (no authentication there). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak.h"

typedef struct body {
  char *p;
  size_t n;
} body;

static size_t body_cb(char *p, size_t s, size_t nm, void *ud) {
  body *b = ud;
  size_t n = s * nm;
  char *q = realloc(b->p, b->n + n + 1);
  if (!q) return 0;
  memcpy(q + b->n, p, n);
  b->p = q;
  b->n += n;
  b->p[b->n] = '\0';
  return n;
}

cJSON *sim_call(const char *base, const char *method, const char *path, const char *json, long *status) {
  CURL *c = curl_easy_init();
  if (!c) return NULL;
  char url[1024];
  snprintf(url, sizeof url, "%s%s", base, path);
  body b = {0};
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (json) curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (status) *status = rc == CURLE_OK ? code : -1;
  cJSON *j = b.p ? cJSON_Parse(b.p) : NULL;
  free(b.p);
  return j;
}

int arm_reset(soak_env *e) {
  long st = 0;
  cJSON_Delete(sim_call(e->arm.url, "POST", "/_sim/reset?resources=true", NULL, &st));
  return st >= 200 && st < 300 ? 0 : -1;
}

cJSON *arm_inventory(soak_env *e) {
  long st = 0;
  cJSON *j = sim_call(e->arm.url, "GET", "/_sim/resources", NULL, &st);
  if (st != 200 || !cJSON_IsArray(j)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

cJSON *arm_log(soak_env *e) {
  long st = 0;
  cJSON *j = sim_call(e->arm.url, "GET", "/_sim/requests", NULL, &st);
  if (st != 200 || !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

void arm_log_clear(soak_env *e) { cJSON_Delete(sim_call(e->arm.url, "DELETE", "/_sim/requests", NULL, NULL)); }
