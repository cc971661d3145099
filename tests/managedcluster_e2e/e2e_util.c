/* e2e_util.c — see e2e_util.h. */
#include "e2e_util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"

typedef struct buf {
  char *p;
  size_t n;
} buf;

static size_t on_data(char *d, size_t s, size_t nm, void *ud) {
  buf *b = ud;
  size_t n = s * nm;
  char *q = realloc(b->p, b->n + n + 1);
  if (!q) return 0;
  memcpy(q + b->n, d, n);
  b->p = q;
  b->n += n;
  b->p[b->n] = '\0';
  return n;
}

long e2e_http(const char *method, const char *url, cJSON **out) {
  CURL *h = curl_easy_init();
  buf b = {0};
  long code = 0;
  if (out) *out = NULL;
  if (!h) return 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  if (out && b.p) *out = cJSON_Parse(b.p);
  free(b.p);
  return code;
}

long e2e_http_text(const char *url, char **out) {
  CURL *h = curl_easy_init();
  buf b = {0};
  long code = 0;
  *out = NULL;
  if (!h) return 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  *out = b.p;
  return code;
}

char *e2e_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s) s[n] = '\0';
  fclose(f);
  return s;
}

/* The '}' closing the "${" at p, honouring nested "${...}" in defaults; NULL when unbalanced. */
static const char *closing(const char *p) {
  int depth = 0;
  for (; *p; p++) {
    if (p[0] == '$' && p[1] == '{') depth++, p++;
    else if (*p == '}' && --depth == 0) return p;
  }
  return NULL;
}

char *e2e_subst(const char *text, const char *const *vars) {
  size_t cap = strlen(text) * 2 + 1024, n = 0;
  char *o = malloc(cap);
  if (!o) return NULL;
  for (const char *p = text; *p;) {
    const char *end = strncmp(p, "${", 2) == 0 ? closing(p) : NULL;
    char *own = NULL;
    const char *val = NULL;
    size_t vl = 0;
    if (end) {
      char name[128] = "";
      size_t len = (size_t)(end - p - 2);
      const char *colon = memchr(p + 2, ':', len);
      size_t nl = colon ? (size_t)(colon - p - 2) : len;
      if (nl < sizeof name) memcpy(name, p + 2, nl), name[nl] = '\0';
      for (int i = 0; vars[i]; i += 2)
        if (strcmp(vars[i], name) == 0) val = vars[i + 1];
      if (!val && colon && colon[1] == '=') { /* the default may itself hold variables */
        char *def = strndup(colon + 2, (size_t)(end - colon - 2));
        own = def ? e2e_subst(def, vars) : NULL;
        free(def);
        val = own;
      }
      if (!val) val = "";
      vl = strlen(val);
      p = end + 1;
    } else {
      val = p;
      vl = 1;
      p++;
    }
    if (n + vl + 1 > cap) {
      cap = (n + vl + 1) * 2;
      char *q = realloc(o, cap);
      if (!q) {
        free(own);
        free(o);
        return NULL;
      }
      o = q;
    }
    memcpy(o + n, val, vl);
    n += vl;
    free(own);
  }
  o[n] = '\0';
  return o;
}

int e2e_apply_crds(capz_kube_client *c, const char *path) {
  char *text = e2e_read_file(path);
  if (!text) return -1;
  capz_err e;
  cJSON *docs = capz_yaml_to_json(text, strlen(text), &e);
  free(text);
  if (!docs) return -1;
  static const capz_gvk CRD = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                               false};
  int rc = 0;
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    if (strcmp(capz_json_ptr_str(d, "/kind", ""), "CustomResourceDefinition") != 0) continue;
    int r = capz_kube_create(c, &CRD, NULL, d, NULL, &e);
    if (r && r != CAPZ_EEXIST) {
      fprintf(stderr, "CRD %s: %s\n", path, e.msg);
      rc = -1;
    }
  }
  cJSON_Delete(docs);
  return rc;
}

capz_gvk e2e_gvk_of(const cJSON *obj) {
  static __thread char group[128], version[32], kind[64], plural[80];
  const char *av = capz_json_ptr_str(obj, "/apiVersion", "");
  const char *slash = strchr(av, '/');
  if (slash) {
    snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
    snprintf(version, sizeof version, "%s", slash + 1);
  } else {
    group[0] = '\0';
    snprintf(version, sizeof version, "%s", av);
  }
  snprintf(kind, sizeof kind, "%s", capz_json_ptr_str(obj, "/kind", ""));
  size_t i = 0;
  for (; kind[i] && i + 2 < sizeof plural; i++) plural[i] = (char)tolower((unsigned char)kind[i]);
  if (i > 0 && plural[i - 1] == 'y') snprintf(plural + i - 1, sizeof plural - (i - 1), "ies");
  else if (i > 0 && plural[i - 1] == 's') snprintf(plural + i, sizeof plural - i, "es");
  else plural[i++] = 's', plural[i] = '\0';
  capz_gvk g = {group, version, kind, plural, true};
  return g;
}
