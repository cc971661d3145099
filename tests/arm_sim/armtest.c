/* armtest.c — see armtest.h. */
#include "armtest.h"

#include "curlbuf.h"

#include <capz/json.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static char token[8192];
static char cfg_path[256];

const char *at_token(void) { return token; }

void at_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static size_t on_header(char *d, size_t sz, size_t nm, void *ud) {
  at_resp *r = ud;
  size_t n = sz * nm, used = strlen(r->headers);
  if (used + n + 1 < sizeof r->headers) {
    memcpy(r->headers + used, d, n);
    r->headers[used + n] = '\0';
  }
  return n;
}

at_resp at_req(const simproc *p, const char *method, const char *path, const char *body, const char *const *hdrs, bool auth) {
  at_resp r;
  memset(&r, 0, sizeof r);
  CURL *c = curl_easy_init();
  char url[4096];
  snprintf(url, sizeof url, "%s%s", p->url, path);
  curlbuf b = {0};
  struct curl_slist *h = NULL;
  char ah[8300];
  if (auth) {
    snprintf(ah, sizeof ah, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, ah);
  }
  if (body) h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, "Expect:");
  for (int i = 0; hdrs && hdrs[i]; i++) h = curl_slist_append(h, hdrs[i]);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  r.curl_rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  curl_slist_free_all(h);
  r.body = b.data;
  if (b.data) r.json = cJSON_Parse(b.data);
  return r;
}

void at_free(at_resp *r) {
  free(r->body);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof *r);
}

bool at_header(const at_resp *r, const char *name, char *out, size_t n) {
  size_t L = strlen(name);
  for (const char *l = r->headers; l && *l;) {
    if (strncasecmp(l, name, L) == 0 && l[L] == ':') {
      const char *v = l + L + 1;
      while (*v == ' ') v++;
      size_t k = strcspn(v, "\r\n");
      if (k >= n) k = n - 1;
      memcpy(out, v, k);
      out[k] = '\0';
      return true;
    }
    l = strchr(l, '\n');
    if (l) l++;
  }
  return false;
}

const char *at_str(const at_resp *r, const char *ptr) { return capz_json_ptr_str(r->json, ptr, ""); }

const char *at_path_of(const simproc *p, const char *url) {
  size_t L = strlen(p->url);
  return strncmp(url, p->url, L) == 0 ? url + L : url;
}

const char *at_wait_async(const simproc *p, const char *url) {
  static char st[64];
  for (int i = 0; i < 200; i++) {
    at_resp r = at_get(p, at_path_of(p, url));
    snprintf(st, sizeof st, "%s", r.status == 200 ? at_str(&r, "/status") : "HTTPERROR");
    at_free(&r);
    if (strcmp(st, "InProgress") != 0) return st;
    at_sleep_ms(20);
  }
  return "Timeout";
}

long at_status(const simproc *p, const char *method, const char *path, const char *body) {
  at_resp r = at_req(p, method, path, body, NULL, true);
  long st = r.status;
  at_free(&r);
  return st;
}

long at_sim_status(const simproc *p, const char *method, const char *path, const char *body) {
  at_resp r = at_req(p, method, path, body, NULL, false);
  long st = r.status;
  at_free(&r);
  return st;
}

const char *at_error_code(const simproc *p, const char *method, const char *path, const char *body) {
  static char code[256];
  at_resp r = at_req(p, method, path, body, NULL, true);
  snprintf(code, sizeof code, "%s", at_str(&r, "/error/code"));
  at_free(&r);
  return code;
}

const char *at_status_error(const simproc *p, const char *method, const char *path, const char *body) {
  static char out[300];
  at_resp r = at_req(p, method, path, body, NULL, true);
  snprintf(out, sizeof out, "%ld %s", r.status, at_str(&r, "/error/code"));
  at_free(&r);
  return out;
}

const char *at_get_str(const simproc *p, const char *path, const char *ptr) {
  static char out[4096];
  at_resp r = at_get(p, path);
  snprintf(out, sizeof out, "%s", at_str(&r, ptr));
  at_free(&r);
  return out;
}

long at_put_wait(const simproc *p, const char *path, const char *body) {
  at_resp r = at_put(p, path, body);
  long st = r.status;
  char aao[2048];
  bool has = at_header(&r, "Azure-AsyncOperation", aao, sizeof aao);
  if (st >= 300) {
    fprintf(stderr, "PUT %s -> %ld %s\n", path, st, r.body ? r.body : "");
    at_free(&r);
    return st;
  }
  at_free(&r);
  if (has) at_wait_async(p, aao);
  at_resp g = at_get(p, path);
  st = g.status;
  at_free(&g);
  return st;
}

static int fetch_token(const simproc *p) {
  char path[256];
  snprintf(path, sizeof path, "/%s/oauth2/v2.0/token", AT_TENANT);
  const char *const h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
  at_resp r = at_req(p, "POST", path,
                     "grant_type=client_credentials&client_id=" AT_CLIENT "&client_secret=" AT_SECRET
                     "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
                     h, false);
  const char *t = at_str(&r, "/access_token");
  int rc = (r.status == 200 && *t) ? 0 : -1;
  if (rc == 0) snprintf(token, sizeof token, "%s", t);
  else fprintf(stderr, "armtest: token request failed: %ld %s\n", r.status, r.body ? r.body : "");
  at_free(&r);
  return rc;
}

int at_start(simproc *p, const char *config_text) {
  static bool curl_ready;
  if (!curl_ready) { curl_global_init(CURL_GLOBAL_DEFAULT); curl_ready = true; }
  const char *extra[3] = {NULL, NULL, NULL};
  if (config_text) {
    snprintf(cfg_path, sizeof cfg_path, "/tmp/capz-arm-sim-test-%d.yaml", (int)getpid());
    FILE *f = fopen(cfg_path, "w");
    if (!f) return -1;
    fputs(config_text, f);
    fclose(f);
    extra[0] = "--config";
    extra[1] = cfg_path;
  }
  if (simproc_start(p, simproc_bin("capz-arm-sim"), extra) != 0) return -1;
  if (config_text) unlink(cfg_path);
  return fetch_token(p);
}

bool at_stop(simproc *p) {
  int st = simproc_stop(p);
  return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
