/* capi_env.c — see capi_env.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capi_env.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capz/json.h"
#include "capz/sdk.h"
#include "simproc.h"

capz_kube_client *g_client;
static capz_kube_config *g_cfg;
static simproc g_kube;
static simproc g_capi;

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  if (b) b[n] = 0;
  fclose(f);
  if (len) *len = (size_t)n;
  return b;
}

static const char *src_dir(void) {
  const char *d = getenv("CAPZ_SOURCE_DIR");
  return d ? d : ".";
}

static int apply_docs(const char *ns, const char *text, size_t len) {
  capz_err err;
  capz_err_clear(&err);
  cJSON *docs = capz_yaml_to_json(text, len, &err);
  if (!docs) {
    fprintf(stderr, "yaml: %s\n", err.msg);
    return -1;
  }
  int rc = 0;
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    const capz_gvk *g = env_gvk(capz_json_ptr_str(d, "/apiVersion", ""), capz_json_ptr_str(d, "/kind", ""));
    if (!g) {
      fprintf(stderr, "unknown kind %s\n", capz_json_ptr_str(d, "/kind", ""));
      rc = -1;
      break;
    }
    capz_err_clear(&err);
    int c = capz_kube_create(g_client, g, ns, d, NULL, &err);
    if (c != 0 && c != CAPZ_EEXIST) {
      fprintf(stderr, "create %s %s: %s\n", g->kind, capz_json_ptr_str(d, "/metadata/name", ""), err.msg);
      rc = -1;
      break;
    }
  }
  cJSON_Delete(docs);
  return rc;
}

static int apply_dir(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp) {
    fprintf(stderr, "cannot open %s\n", dir);
    return -1;
  }
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(dp))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t n = 0;
    char *t = read_file(path, &n);
    rc = t ? apply_docs(NULL, t, n) : -1;
    free(t);
  }
  closedir(dp);
  return rc;
}

static int start_capi(const char *url) {
  const char *argv[] = {simproc_bin("capz-capi-sim"), "--server", url, NULL};
  return simproc_start_argv(&g_capi, argv);
}

int env_start(void) {
  capz_err err;
  capz_err_clear(&err);
  if (capz_sdk_global_init(&err) != 0) return -1;
  if (simproc_start(&g_kube, simproc_bin("capz-kube-sim"), NULL) != 0) return -1;
  if (capz_kube_config_from_url(g_kube.url, &g_cfg, &err) != 0) return -1;
  capz_kube_client_opts o = {.struct_size = sizeof o, .qps = 1000, .burst = 1000};
  if (capz_kube_client_new(g_cfg, &o, &g_client, &err) != 0) return -1;
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/config/crd/bases", src_dir());
  if (apply_dir(dir) != 0) return -1;
  snprintf(dir, sizeof dir, "%s/config/capi-crd/bases", src_dir());
  if (apply_dir(dir) != 0) return -1;
  return start_capi(g_kube.url);
}

int env_restart_capi(int *status) {
  *status = -1;
  if (g_capi.pid <= 0) return -1;
  *status = simproc_stop(&g_capi);
  return start_capi(g_kube.url);
}

void env_stop(void) {
  simproc_stop(&g_capi);
  simproc_stop(&g_kube);
  capz_kube_client_free(g_client);
  capz_kube_config_free(g_cfg);
  g_client = NULL;
  g_cfg = NULL;
  capz_sdk_global_cleanup();
}

/* ---- clusterctl-style variable substitution ---- */
static const char *lookup(const char *const *vars, const char *name, size_t nl) {
  for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
    if (strlen(vars[i]) == nl && strncmp(vars[i], name, nl) == 0) return vars[i + 1];
  return NULL;
}

/* Expand text[0..n) into out; returns false on an unterminated ${. */
static bool expand(const char *t, size_t n, const char *const *vars, char **out, size_t *ol, size_t *cap) {
  for (size_t i = 0; i < n;) {
    if (t[i] == '$' && i + 1 < n && t[i + 1] == '{') {
      size_t depth = 1, j = i + 2;
      while (j < n && depth) {
        if (t[j] == '{') depth++;
        else if (t[j] == '}') depth--;
        if (depth) j++;
      }
      if (j >= n) return false;
      const char *body = t + i + 2;
      size_t bl = j - (i + 2), nl = 0;
      while (nl < bl && body[nl] != ':') nl++;
      const char *v = lookup(vars, body, nl);
      if (v) {
        if (!expand(v, strlen(v), NULL, out, ol, cap)) return false;
      } else if (nl + 2 <= bl) {
        if (!expand(body + nl + 2, bl - nl - 2, vars, out, ol, cap)) return false;
      }
      i = j + 1;
      continue;
    }
    if (*ol + 2 > *cap) {
      *cap = *cap * 2 + 64;
      *out = realloc(*out, *cap);
      if (!*out) return false;
    }
    (*out)[(*ol)++] = t[i++];
  }
  return true;
}

char *env_render(const char *template_file, const char *ns, const char *const *vars) {
  const char *sd = getenv("CAPZ_SHARED_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/reference/templates/%s", sd ? sd : "../shared", template_file);
  size_t n = 0;
  char *t = read_file(path, &n);
  if (!t) {
    fprintf(stderr, "cannot read %s\n", path);
    return NULL;
  }
  char *out = NULL;
  size_t ol = 0, cap = 0;
  bool ok = expand(t, n, vars, &out, &ol, &cap);
  free(t);
  if (!ok || !out) {
    free(out);
    return NULL;
  }
  out[ol] = 0;
  /* Re-home every object into the test's namespace. */
  size_t need = ol * 2 + strlen(ns) * 64 + 1;
  char *res = malloc(need), *w = res;
  const char *r = out;
  const char *pat = "namespace: default";
  while (*r) {
    const char *h = strstr(r, pat);
    if (!h) {
      strcpy(w, r);
      w += strlen(r);
      break;
    }
    memcpy(w, r, (size_t)(h - r));
    w += h - r;
    w += sprintf(w, "namespace: %s", ns);
    r = h + strlen(pat);
  }
  *w = 0;
  free(out);
  return res;
}

int env_apply(const char *ns, const char *yaml) {
  char nsdoc[256];
  snprintf(nsdoc, sizeof nsdoc, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
  if (apply_docs(NULL, nsdoc, strlen(nsdoc)) != 0) return -1;
  return apply_docs(ns, yaml, strlen(yaml));
}

/* ---- object access ---- */
typedef struct gvk_slot {
  char av[128], kind[96], group[96], version[32];
  capz_gvk gvk;
} gvk_slot;
static gvk_slot g_slots[64];
static int g_nslots;

const capz_gvk *env_gvk(const char *api_version, const char *kind) {
  for (int i = 0; i < g_nslots; i++)
    if (strcmp(g_slots[i].av, api_version) == 0 && strcmp(g_slots[i].kind, kind) == 0) return &g_slots[i].gvk;
  if (g_nslots == 64) return NULL;
  gvk_slot *s = &g_slots[g_nslots];
  snprintf(s->av, sizeof s->av, "%s", api_version);
  snprintf(s->kind, sizeof s->kind, "%s", kind);
  const char *slash = strchr(api_version, '/');
  snprintf(s->group, sizeof s->group, "%.*s", slash ? (int)(slash - api_version) : 0, api_version);
  snprintf(s->version, sizeof s->version, "%s", slash ? slash + 1 : api_version);
  s->gvk.group = s->group;
  s->gvk.version = s->version;
  s->gvk.kind = s->kind;
  capz_err err;
  capz_err_clear(&err);
  if (capz_kube_resolve(g_client, &s->gvk, &err) != 0) return NULL;
  g_nslots++;
  return &s->gvk;
}

cJSON *env_get(const char *api_version, const char *kind, const char *ns, const char *name) {
  const capz_gvk *g = env_gvk(api_version, kind);
  cJSON *o = NULL;
  capz_err err;
  capz_err_clear(&err);
  if (!g || capz_kube_get(g_client, g, ns, name, &o, &err) != 0) return NULL;
  return o;
}

cJSON *env_list(const char *api_version, const char *kind, const char *ns, const char *selector) {
  const capz_gvk *g = env_gvk(api_version, kind);
  cJSON *o = NULL;
  capz_err err;
  capz_err_clear(&err);
  capz_list_opts lo = {.label_selector = selector};
  if (!g || capz_kube_list(g_client, g, ns, &lo, &o, &err) != 0) return cJSON_CreateArray();
  cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(o, "items");
  cJSON_Delete(o);
  return items ? items : cJSON_CreateArray();
}

int env_patch(const char *api_version, const char *kind, const char *ns, const char *name, const char *json,
              bool status) {
  const capz_gvk *g = env_gvk(api_version, kind);
  cJSON *p = cJSON_Parse(json);
  capz_err err;
  capz_err_clear(&err);
  capz_patch_opts po = {.subresource = status ? "status" : NULL};
  int rc = g && p ? capz_kube_patch(g_client, g, ns, name, CAPZ_PATCH_MERGE, p, &po, NULL, &err) : CAPZ_EINVAL;
  if (rc != 0) fprintf(stderr, "patch %s/%s: %s\n", kind, name, err.msg);
  cJSON_Delete(p);
  return rc;
}

int env_delete(const char *api_version, const char *kind, const char *ns, const char *name) {
  const capz_gvk *g = env_gvk(api_version, kind);
  capz_err err;
  capz_err_clear(&err);
  return g ? capz_kube_delete(g_client, g, ns, name, NULL, &err) : CAPZ_EINVAL;
}

bool env_wait(bool (*pred)(void *ud), void *ud, int timeout_ms) {
  struct timespec ts = {0, 25 * 1000 * 1000};
  for (int waited = 0; waited <= timeout_ms; waited += 25) {
    if (pred(ud)) return true;
    nanosleep(&ts, NULL);
  }
  return pred(ud);
}

int env_sim_request(const char *method, const char *path, const char *body_json) {
  cJSON *body = body_json ? cJSON_Parse(body_json) : NULL;
  if (body_json && !body) return CAPZ_EINVAL;
  capz_err err;
  capz_err_clear(&err);
  int rc = capz_kube_request(g_client, method, path, body ? "application/json" : NULL, body, NULL, &err);
  cJSON_Delete(body);
  if (rc) fprintf(stderr, "%s %s: %s\n", method, path, err.msg);
  return rc;
}

static int count_matching(const env_q *x, bool live_only) {
  cJSON *l = env_list(x->av, x->kind, x->ns, x->sel);
  int n = 0;
  const cJSON *i;
  cJSON_ArrayForEach(i, l) if (!live_only || !capz_json_ptr_get(i, "/metadata/deletionTimestamp")) n++;
  cJSON_Delete(l);
  return n;
}

bool env_p_live_count(void *q) { return count_matching(q, true) == ((env_q *)q)->n; }
bool env_p_total_count(void *q) { return count_matching(q, false) == ((env_q *)q)->n; }

bool env_p_gone(void *q) {
  env_q *x = q;
  cJSON *o = env_get(x->av, x->kind, x->ns, x->name);
  cJSON_Delete(o);
  return o == NULL;
}

bool env_p_deleting(void *q) {
  env_q *x = q;
  cJSON *o = env_get(x->av, x->kind, x->ns, x->name);
  bool d = o && capz_json_ptr_get(o, "/metadata/deletionTimestamp");
  cJSON_Delete(o);
  return d;
}

bool env_wait_gone(const char *api_version, const char *kind, const char *ns, const char *name) {
  env_q x = {api_version, kind, ns, name, NULL, 0};
  return env_wait(env_p_gone, &x, ENV_WAIT_MS);
}

bool env_wait_deleting(const char *api_version, const char *kind, const char *ns, const char *name) {
  env_q x = {api_version, kind, ns, name, NULL, 0};
  return env_wait(env_p_deleting, &x, ENV_WAIT_MS);
}

bool env_wait_count(const char *api_version, const char *kind, const char *ns, const char *selector, int n,
                    bool live_only) {
  env_q x = {api_version, kind, ns, NULL, selector, n};
  return env_wait(live_only ? env_p_live_count : env_p_total_count, &x, ENV_WAIT_MS);
}

typedef struct fieldq {
  const char *av, *kind, *ns, *name, *ptr, *want;
} fieldq;

static bool p_field(void *ud) {
  fieldq *f = ud;
  cJSON *o = env_get(f->av, f->kind, f->ns, f->name);
  const cJSON *v = o ? capz_json_ptr_get(o, f->ptr) : NULL;
  bool ok = false;
  if (v && !f->want) ok = true;
  else if (v && cJSON_IsString(v)) ok = strcmp(v->valuestring, f->want) == 0;
  else if (v && cJSON_IsBool(v)) ok = strcmp(cJSON_IsTrue(v) ? "true" : "false", f->want) == 0;
  else if (v && cJSON_IsNumber(v)) ok = atof(f->want) == v->valuedouble;
  cJSON_Delete(o);
  return ok;
}

void env_wait_field(const char *api_version, const char *kind, const char *ns, const char *name, const char *ptr,
                    const char *want) {
  fieldq f = {api_version, kind, ns, name, ptr, want};
  if (!env_wait(p_field, &f, ENV_WAIT_MS)) {
    cJSON *o = env_get(api_version, kind, ns, name);
    char *t = o ? cJSON_Print(o) : NULL;
    ck_abort_msg("%s %s/%s: %s never became %s; object:\n%s", kind, ns, name, ptr, want ? want : "(set)",
                 t ? t : "(absent)");
  }
}

static const char *meta_str(const cJSON *obj, const char *map, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(capz_json_ptr_get(obj, map), key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *env_label(const cJSON *obj, const char *key) { return meta_str(obj, "/metadata/labels", key); }
const char *env_annotation(const cJSON *obj, const char *key) { return meta_str(obj, "/metadata/annotations", key); }
