/* ksim_client.c — see ksim_client.h. */
#include "ksim_client.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capz/json.h"

simproc KSIM;

void sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

void ksim_start(void) {
  ck_assert_msg(simproc_start(&KSIM, simproc_bin("capz-kube-sim"), NULL) == 0, "emulator did not start");
}

void ksim_stop(void) {
  int st = simproc_stop(&KSIM);
  /* a clean SIGTERM shutdown exits 0 (also proves ASan found no leaks) */
  ck_assert_msg(st == 0, "emulator exit status %d", st);
}

kresp kreq(const char *method, const char *path, const char *ctype, const char *body) {
  return kreq_n(method, path, ctype, body, body ? strlen(body) : 0);
}

kresp kreq_n(const char *method, const char *path, const char *ctype, const char *body, size_t len) {
  kresp r = {0};
  CURL *c = curl_easy_init();
  char url[4096];
  snprintf(url, sizeof url, "%s%s", KSIM.url, path);
  curlbuf b = {0}, h = {0};
  struct curl_slist *hd = NULL;
  char ct[256];
  snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
  hd = curl_slist_append(hd, ct);
  hd = curl_slist_append(hd, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, curlbuf_write);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
  curl_slist_free_all(hd);
  curl_easy_cleanup(c);
  r.body = b.data ? b.data : strdup("");
  r.headers = h.data ? h.data : strdup("");
  r.json = cJSON_Parse(r.body);
  return r;
}

kresp kget(const char *path) { return kreq("GET", path, NULL, NULL); }
kresp kpost(const char *path, const char *body) { return kreq("POST", path, NULL, body); }
kresp kput(const char *path, const char *body) { return kreq("PUT", path, NULL, body); }
kresp kpatch(const char *path, const char *ctype, const char *body) { return kreq("PATCH", path, ctype, body); }
kresp kdel(const char *path, const char *body) { return kreq("DELETE", path, NULL, body); }

void kresp_free(kresp *r) {
  free(r->body);
  free(r->headers);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof *r);
}

const char *kjs(const cJSON *j, const char *ptr) {
  const char *s = capz_json_ptr_str(j, ptr, NULL);
  return s ? s : "";
}

double kjn(const cJSON *j, const char *ptr) {
  cJSON *v = capz_json_ptr_get(j, ptr);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

const char *WIDGET_CRD =
    "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":"
    "\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{\"plural\":"
    "\"widgets\",\"kind\":\"Widget\",\"shortNames\":[\"wd\"],\"categories\":[\"all\"]},\"versions\":[{\"name\":\"v1\","
    "\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":{\"openAPIV3Schema\":{\"type\":"
    "\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"properties\":{\"size\":{\"type\":\"integer\"},"
    "\"color\":{\"type\":\"string\",\"enum\":[\"red\",\"blue\"]},\"shape\":{\"type\":\"string\",\"default\":"
    "\"round\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"extra\":{\"type\":\"object\","
    "\"x-kubernetes-preserve-unknown-fields\":true}}},\"status\":{\"type\":\"object\","
    "\"x-kubernetes-preserve-unknown-fields\":true}}}}}]}}";

void install_widget_crd(void) {
  kresp r = kpost("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD);
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
}

/* ---- watch ---- */
static size_t kw_data(char *p, size_t sz, size_t nm, void *u) {
  kwatch_t *w = u;
  pthread_mutex_lock(&w->mu);
  size_t n = curlbuf_write(p, sz, nm, &w->got);
  pthread_mutex_unlock(&w->mu);
  return n;
}

static int kw_progress(void *u, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)a;
  (void)b;
  (void)c;
  (void)d;
  return ((kwatch_t *)u)->stop ? 1 : 0;
}

static void *kw_main(void *arg) {
  kwatch_t *w = arg;
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, w->url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kw_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, kw_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(w->timeout_s * 1000));
  curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w->code);
  curl_easy_cleanup(c);
  w->finished = 1;
  return NULL;
}

kwatch_t *kw_open(const char *path, double timeout_s) {
  kwatch_t *w = calloc(1, sizeof *w);
  snprintf(w->url, sizeof w->url, "%s%s", KSIM.url, path);
  pthread_mutex_init(&w->mu, NULL);
  w->timeout_s = timeout_s;
  pthread_create(&w->th, NULL, kw_main, w);
  sleep_ms(150); /* let the request reach the server before the test writes */
  return w;
}

kwatch_t *kw_open_from(const char *rv, const char *params, double timeout_s) {
  char path[512];
  snprintf(path, sizeof path, PFX "?watch=1%s%s&resourceVersion=%s", params && *params ? "&" : "",
           params ? params : "", rv);
  return kw_open(path, timeout_s);
}

int ksim_wait_watches(int want, int tries) {
  int n = -1;
  for (int i = 0; i < tries; i++) {
    kresp r = kget("/_sim/stats");
    n = (int)kjn(r.json, "/watches");
    kresp_free(&r);
    if (n == want) break;
    sleep_ms(50);
  }
  return n;
}

int kw_count(kwatch_t *w) {
  pthread_mutex_lock(&w->mu);
  int n = 0;
  for (size_t i = 0; i < w->got.len; i++)
    if (w->got.data[i] == '\n') n++;
  pthread_mutex_unlock(&w->mu);
  return n;
}

int kw_wait_lines(kwatch_t *w, int n, double timeout_s) {
  for (int i = 0; i < (int)(timeout_s * 50); i++) {
    int c = kw_count(w);
    if (c >= n || w->finished) return kw_count(w);
    sleep_ms(20);
  }
  return kw_count(w);
}

bool kw_wait_finished(kwatch_t *w, double timeout_s) {
  for (int i = 0; i < (int)(timeout_s * 50) && !w->finished; i++) sleep_ms(20);
  return w->finished;
}

cJSON *kw_line(kwatch_t *w, int idx) {
  pthread_mutex_lock(&w->mu);
  cJSON *res = NULL;
  const char *p = w->got.data;
  for (int i = 0; p && *p; i++) {
    const char *nl = strchr(p, '\n');
    if (!nl) break;
    if (i == idx) {
      res = cJSON_ParseWithLength(p, (size_t)(nl - p));
      break;
    }
    p = nl + 1;
  }
  pthread_mutex_unlock(&w->mu);
  return res;
}

void kw_close(kwatch_t *w) {
  w->stop = 1;
  pthread_join(w->th, NULL);
  pthread_mutex_destroy(&w->mu);
  curlbuf_free(&w->got);
  free(w);
}
