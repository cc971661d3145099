/* e2e_capi.c — see e2e_capi.h. */
#include "e2e_capi.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capz/json.h"
#include "capz/kube.h"
#include "curlbuf.h"
#include "e2e_env.h"
#include "simproc.h"

static simproc g_capi;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  if (len) *len = buf ? (size_t)n : 0;
  return buf;
}

/* ---------------------------------------------------------------- CRDs */
static void install_dir(const char *dir) {
  static const capz_gvk CRD = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                               false};
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".yaml")) continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    size_t n = 0;
    char *t = slurp(p, &n);
    ck_assert_msg(t != NULL, "cannot read %s", p);
    capz_err err;
    cJSON *docs = capz_yaml_to_json(t, n, &err);
    free(t);
    ck_assert_msg(docs != NULL, "%s: %s", p, err.msg);
    const cJSON *doc;
    cJSON_ArrayForEach(doc, docs) {
      int rc = capz_kube_create(g_kc, &CRD, NULL, doc, NULL, &err);
      ck_assert_msg(rc == 0 || rc == CAPZ_EEXIST || rc == CAPZ_ECONFLICT, "%s: %s", p, err.msg);
    }
    cJSON_Delete(docs);
  }
  closedir(d);
}

/* ---------------------------------------------------------------- capz-capi-sim */
void capi_start(void) {
  const char *src = getenv("CAPZ_SOURCE_DIR");
  ck_assert_ptr_nonnull(src);
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/config/capi-crd/bases", src);
  install_dir(dir);
  snprintf(dir, sizeof dir, "%s/config/crd/bases", src);
  install_dir(dir);
  const char *argv[] = {simproc_bin("capz-capi-sim"), "--server", env_kube_url(), NULL};
  ck_assert_msg(simproc_start_argv(&g_capi, argv) == 0, "capz-capi-sim did not start");
}

void capi_stop(void) { simproc_stop(&g_capi); }

/* ---------------------------------------------------------------- templates */
typedef struct sbuf {
  char *p;
  size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    ck_assert_ptr_nonnull(b->p);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static const char *var_of(const char *const *vars, const char *name, size_t nl) {
  for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
    if (strlen(vars[i]) == nl && !strncmp(vars[i], name, nl)) return vars[i + 1];
  return NULL;
}

/* ${NAME}, ${NAME:=default}, ${NAME:-default}; a default may itself hold ${...}. */
static void expand(sbuf *out, const char *t, size_t n, const char *const *vars) {
  for (size_t i = 0; i < n;) {
    if (t[i] != '$' || i + 1 >= n || t[i + 1] != '{') {
      put(out, t + i, 1);
      i++;
      continue;
    }
    size_t j = i + 2;
    int depth = 1;
    for (; j < n; j++) {
      if (t[j] == '{') depth++;
      else if (t[j] == '}' && --depth == 0) break;
    }
    ck_assert_msg(j < n, "unterminated ${ in template");
    const char *body = t + i + 2;
    size_t bl = j - i - 2, nl = strcspn(body, ":}");
    if (nl > bl) nl = bl;
    const char *v = var_of(vars, body, nl);
    if (v) put(out, v, strlen(v));
    else if (nl + 2 <= bl && (body[nl + 1] == '=' || body[nl + 1] == '-'))
      expand(out, body + nl + 2, bl - nl - 2, vars);
    i = j + 1;
  }
}

char *tpl_render(const char *path, const char *const *vars) {
  size_t n = 0;
  char *t = slurp(path, &n);
  ck_assert_msg(t != NULL, "cannot read %s", path);
  sbuf out = {0};
  put(&out, "", 0);
  expand(&out, t, n, vars);
  free(t);
  return out.p;
}

void tpl_apply(const char *yaml) {
  capz_err err;
  cJSON *docs = capz_yaml_to_json(yaml, strlen(yaml), &err);
  ck_assert_msg(docs != NULL, "template: %s", err.msg);
  const cJSON *doc;
  cJSON_ArrayForEach(doc, docs) {
    if (!cJSON_IsObject(doc)) continue;
    char group[128] = "", version[64] = "";
    const char *av = capz_json_ptr_str(doc, "/apiVersion", "");
    const char *slash = strchr(av, '/');
    if (slash) {
      snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
      snprintf(version, sizeof version, "%s", slash + 1);
    } else {
      snprintf(version, sizeof version, "%s", av);
    }
    capz_gvk gvk = {group, version, capz_json_ptr_str(doc, "/kind", ""), NULL, true};
    ck_assert_msg(capz_kube_resolve(g_kc, &gvk, &err) == 0, "%s %s: %s", av, gvk.kind, err.msg);
    ck_assert_msg(capz_kube_create(g_kc, &gvk, gvk.namespaced ? "default" : NULL, doc, NULL, &err) == 0, "create %s %s: %s",
                  gvk.kind, capz_json_ptr_str(doc, "/metadata/name", ""), err.msg);
  }
  cJSON_Delete(docs);
}

/* ---------------------------------------------------------------- the daemon's metrics */
/* The URL from the daemon's last "serving ... metrics=<url>" log line. */
static bool metrics_url(char *out, size_t n) {
  char path[512];
  env_host_log_path(path, sizeof path);
  char *log = slurp(path, NULL);
  if (!log) return false;
  bool found = false;
  for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
    const char *m = strstr(line, " serving ") ? strstr(line, "metrics=") : NULL;
    if (!m || !strncmp(m + 8, "off", 3)) continue;
    snprintf(out, n, "%.*s", (int)strcspn(m + 8, " \t\""), m + 8);
    found = true;
  }
  free(log);
  return found;
}

double host_metric(const char *name, const char *const *labels) {
  char url[512];
  if (!metrics_url(url, sizeof url)) return -1;
  if (!strstr(url, "/metrics")) strncat(url, "/metrics", sizeof url - strlen(url) - 1);
  curlbuf b;
  ck_assert_msg(curlbuf_get(url, 30000, &b) > 0, "GET %s: transport failure", url);
  double sum = 0;
  size_t nl = strlen(name);
  for (char *line = strtok(b.data, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, name, nl) || (line[nl] != '{' && line[nl] != ' ')) continue;
    bool all = true;
    for (size_t i = 0; labels && labels[i]; i++) all = all && strstr(line, labels[i]) != NULL;
    const char *v = strrchr(line, ' ');
    if (all && v) sum += strtod(v + 1, NULL);
  }
  curlbuf_free(&b);
  return sum;
}
