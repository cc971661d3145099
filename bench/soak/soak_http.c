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

static cJSON *http_do(const char *base, const char *method, const char *path, const char *ctype, const char *data,
                      const char *bearer, long *status) {
  CURL *c = curl_easy_init();
  if (!c) return NULL;
  char url[1024], hdr[4096];
  snprintf(url, sizeof url, "%s%s", base, path);
  body b = {0};
  snprintf(hdr, sizeof hdr, "Content-Type: %s", ctype);
  struct curl_slist *h = curl_slist_append(NULL, hdr);
  if (bearer) {
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", bearer);
    h = curl_slist_append(h, hdr);
  }
  const char *json = data;
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

cJSON *sim_call(const char *base, const char *method, const char *path, const char *json, long *status) {
  return http_do(base, method, path, "application/json", json, NULL, status);
}

/* What CAPZ's reference template expects to exist already (CAPZ's CI creates it once per subscription): the
 * resource group capz-ci holding the user-assigned identity cloud-provider-user-identity that control-plane VMs
 * get. Created through ARM with the emulator's test app, as an operator would. */
int arm_preexisting(soak_env *e) {
  long st = 0;
  char form[512];
  snprintf(form, sizeof form,
           "grant_type=client_credentials&client_id=%s&client_secret=%s"
           "&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default",
           SOAK_CLIENT, SOAK_SECRET);
  char path[512];
  snprintf(path, sizeof path, "/%s/oauth2/v2.0/token", SOAK_TENANT);
  cJSON *tok = http_do(e->arm.url, "POST", path, "application/x-www-form-urlencoded", form, NULL, &st);
  const cJSON *at = cJSON_GetObjectItem(tok, "access_token");
  if (st != 200 || !cJSON_IsString(at)) {
    cJSON_Delete(tok);
    return -1;
  }
  static const char *const puts[][2] = {
      {"/subscriptions/" SOAK_SUB "/resourcegroups/" SOAK_PRE_RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"},
      {"/subscriptions/" SOAK_SUB "/resourceGroups/" SOAK_PRE_RG
       "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" SOAK_PRE_UAI "?api-version=2023-01-31",
       "{\"location\":\"eastus\"}"}};
  int rc = 0;
  for (size_t i = 0; i < 2 && rc == 0; i++) {
    cJSON_Delete(http_do(e->arm.url, "PUT", puts[i][0], "application/json", puts[i][1], at->valuestring, &st));
    if (st < 200 || st >= 300) rc = -1;
  }
  cJSON_Delete(tok);
  return rc;
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
