/* kube_discovery.c — /version, legacy discovery (/api, /apis, /api/v1, /apis/g[/v]), the
 * empty-protobuf /openapi/v2 answer kubectl needs, and health endpoints. Discovery is computed
 * from the live type list, so it follows CRD creation and deletion at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_sim.h"

/* Kubernetes version priority: GA > beta > alpha > other; higher numbers first. */
static int vparse(const char *v, int *major, int *kind, int *minor) {
  if (v[0] != 'v') return 0;
  char *end;
  long m = strtol(v + 1, &end, 10);
  if (end == v + 1) return 0;
  *major = (int)m;
  if (!*end) {
    *kind = 3;
    *minor = 0;
    return 1;
  }
  if (strncmp(end, "beta", 4) == 0) {
    *kind = 2;
    end += 4;
  } else if (strncmp(end, "alpha", 5) == 0) {
    *kind = 1;
    end += 5;
  } else {
    return 0;
  }
  char *e2;
  long mi = strtol(end, &e2, 10);
  if (e2 == end || *e2) return 0;
  *minor = (int)mi;
  return 1;
}

int version_priority_cmp(const char *a, const char *b) {
  int ma, ka, na, mb, kb, nb;
  int pa = vparse(a, &ma, &ka, &na), pb = vparse(b, &mb, &kb, &nb);
  if (pa != pb) return pa - pb;
  if (!pa) return strcmp(b, a); /* both non-kube: alphabetical, first wins */
  if (ka != kb) return ka - kb;
  if (ma != mb) return ma - mb;
  return na - nb;
}

static void serve(kreq *r, cJSON *j) {
  resp_json(r, 200, j);
  cJSON_Delete(j);
}

static cJSON *str_array(const char *const *v) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; v[i]; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
  return a;
}

/* Served versions of a group, best first. Returns count; names borrowed. */
static int group_versions(const char *group, const char **out, int max) {
  int n = 0;
  for (ktype *t = KS.types; t; t = t->next) {
    if (t->removed || strcmp(t->group, group) != 0) continue;
    for (int i = 0; i < t->nversions; i++) {
      if (!t->versions[i].served) continue;
      bool seen = false;
      for (int k = 0; k < n; k++)
        if (strcmp(out[k], t->versions[i].name) == 0) seen = true;
      if (!seen && n < max) out[n++] = t->versions[i].name;
    }
  }
  for (int i = 1; i < n; i++)
    for (int k = i; k > 0 && version_priority_cmp(out[k], out[k - 1]) > 0; k--) {
      const char *tmp = out[k];
      out[k] = out[k - 1];
      out[k - 1] = tmp;
    }
  return n;
}

static cJSON *gv_entry(const char *group, const char *version) {
  cJSON *e = cJSON_CreateObject();
  char gv[512];
  snprintf(gv, sizeof gv, "%s/%s", group, version);
  cJSON_AddStringToObject(e, "groupVersion", gv);
  cJSON_AddStringToObject(e, "version", version);
  return e;
}

static cJSON *group_json(const char *group) {
  const char *vs[64];
  int n = group_versions(group, vs, 64);
  if (!n) return NULL;
  cJSON *g = cJSON_CreateObject();
  cJSON_AddStringToObject(g, "name", group);
  cJSON *arr = cJSON_AddArrayToObject(g, "versions");
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(arr, gv_entry(group, vs[i]));
  cJSON_AddItemToObject(g, "preferredVersion", gv_entry(group, vs[0]));
  return g;
}

static cJSON *resource_list(const char *group, const char *version) {
  cJSON *list = NULL;
  for (ktype *t = KS.types; t; t = t->next) {
    if (t->removed || strcmp(t->group, group) != 0) continue;
    const kversion *v = type_version(t, version);
    if (!v) continue;
    if (!list) {
      list = cJSON_CreateObject();
      cJSON_AddStringToObject(list, "kind", "APIResourceList");
      cJSON_AddStringToObject(list, "apiVersion", "v1");
      char gv[512];
      if (group[0])
        snprintf(gv, sizeof gv, "%s/%s", group, version);
      else
        snprintf(gv, sizeof gv, "%s", version);
      cJSON_AddStringToObject(list, "groupVersion", gv);
      cJSON_AddArrayToObject(list, "resources");
    }
    cJSON *res = jget(list, "resources");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", t->plural);
    cJSON_AddStringToObject(e, "singularName", t->singular);
    cJSON_AddBoolToObject(e, "namespaced", t->namespaced);
    cJSON_AddStringToObject(e, "kind", t->kind);
    static const char *full[] = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch",
                                 NULL};
    static const char *ns_verbs[] = {"create", "delete", "get", "list", "patch", "update", "watch", NULL};
    static const char *create_only[] = {"create", NULL};
    cJSON_AddItemToObject(e, "verbs",
                          str_array(is_review_type(t) ? create_only : t->builtin == KB_NAMESPACE ? ns_verbs : full));
    if (cJSON_GetArraySize(t->short_names)) cJSON_AddItemToObject(e, "shortNames", cJSON_Duplicate(t->short_names, 1));
    if (cJSON_GetArraySize(t->categories)) cJSON_AddItemToObject(e, "categories", cJSON_Duplicate(t->categories, 1));
    cJSON_AddItemToArray(res, e);
    if (v->status_sub) {
      cJSON *s = cJSON_CreateObject();
      char nm[300];
      snprintf(nm, sizeof nm, "%s/status", t->plural);
      cJSON_AddStringToObject(s, "name", nm);
      cJSON_AddStringToObject(s, "singularName", "");
      cJSON_AddBoolToObject(s, "namespaced", t->namespaced);
      cJSON_AddStringToObject(s, "kind", t->kind);
      static const char *sv[] = {"get", "patch", "update", NULL};
      cJSON_AddItemToObject(s, "verbs", str_array(sv));
      cJSON_AddItemToArray(res, s);
    }
  }
  return list;
}

static void not_found(kreq *r) {
  kdetails d = {0};
  resp_status(r, 404, "NotFound", &d, "the server could not find the requested resource");
}

bool discovery_serve(kreq *r) {
  const char *p = r->path;
  bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
  if (strcmp(p, "/healthz") == 0 || strcmp(p, "/livez") == 0 || strcmp(p, "/readyz") == 0) {
    resp_text(r, 200, "text/plain; charset=utf-8", "ok", 2);
    return true;
  }
  if (strcmp(p, "/version") == 0 || strcmp(p, "/version/") == 0) {
    cJSON *v = cJSON_Parse("{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0\",\"gitCommit\":"
                           "\"0000000000000000000000000000000000000000\",\"gitTreeState\":\"clean\",\"buildDate\":"
                           "\"2025-01-01T00:00:00Z\",\"goVersion\":\"go1.23\",\"compiler\":\"gc\",\"platform\":"
                           "\"linux/amd64\"}");
    serve(r, v);
    return true;
  }
  if (strcmp(p, "/openapi/v2") == 0) {
    resp_text(r, 200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", "", 0);
    return true;
  }
  if (strncmp(p, "/openapi/", 9) == 0 || strcmp(p, "/swagger-2.0.0.pb-v1") == 0) {
    not_found(r);
    return true;
  }
  if (!get) return false;
  if (strcmp(p, "/api") == 0 || strcmp(p, "/api/") == 0) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "APIVersions");
    const char *v1[] = {"v1", NULL};
    cJSON_AddItemToObject(j, "versions", str_array(v1));
    cJSON *a = cJSON_AddArrayToObject(j, "serverAddressByClientCIDRs");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "clientCIDR", "0.0.0.0/0");
    cJSON_AddStringToObject(e, "serverAddress", KS.listen_addr);
    cJSON_AddItemToArray(a, e);
    serve(r, j);
    return true;
  }
  if (strcmp(p, "/apis") == 0 || strcmp(p, "/apis/") == 0) {
    KS_LOCK();
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", "APIGroupList");
    cJSON_AddStringToObject(j, "apiVersion", "v1");
    cJSON *groups = cJSON_AddArrayToObject(j, "groups");
    for (ktype *t = KS.types; t; t = t->next) {
      if (t->removed || !t->group[0]) continue;
      bool seen = false;
      cJSON *g;
      cJSON_ArrayForEach(g, groups) if (strcmp(jstr(g, "name"), t->group) == 0) seen = true;
      if (seen) continue;
      g = group_json(t->group);
      if (g) cJSON_AddItemToArray(groups, g);
    }
    KS_UNLOCK();
    serve(r, j);
    return true;
  }
  if (strcmp(p, "/api/v1") == 0 || strcmp(p, "/api/v1/") == 0) {
    KS_LOCK();
    cJSON *l = resource_list("", "v1");
    KS_UNLOCK();
    serve(r, l);
    return true;
  }
  if (strncmp(p, "/apis/", 6) == 0) {
    char g[256], v[128];
    const char *rest = p + 6;
    const char *sl = strchr(rest, '/');
    if (!sl || sl[1] == '\0') {
      size_t n = sl ? (size_t)(sl - rest) : strlen(rest);
      if (n == 0 || n >= sizeof g) return false;
      memcpy(g, rest, n);
      g[n] = '\0';
      KS_LOCK();
      cJSON *gj = group_json(g);
      KS_UNLOCK();
      if (!gj) {
        not_found(r);
        return true;
      }
      cJSON *j = cJSON_CreateObject();
      cJSON_AddStringToObject(j, "kind", "APIGroup");
      cJSON_AddStringToObject(j, "apiVersion", "v1");
      cJSON *c = gj->child;
      gj->child = NULL;
      cJSON_Delete(gj);
      while (c) {
        cJSON *nx = c->next;
        c->next = c->prev = NULL;
        cJSON_AddItemToObject(j, c->string, c);
        c = nx;
      }
      serve(r, j);
      return true;
    }
    size_t n = (size_t)(sl - rest);
    const char *vs = sl + 1;
    const char *sl2 = strchr(vs, '/');
    if (sl2 && sl2[1] != '\0') return false; /* a resource path */
    size_t vn = sl2 ? (size_t)(sl2 - vs) : strlen(vs);
    if (n >= sizeof g || vn >= sizeof v || vn == 0) return false;
    memcpy(g, rest, n);
    g[n] = '\0';
    memcpy(v, vs, vn);
    v[vn] = '\0';
    KS_LOCK();
    cJSON *l = resource_list(g, v);
    KS_UNLOCK();
    if (!l) {
      not_found(r);
      return true;
    }
    serve(r, l);
    return true;
  }
  return false;
}
