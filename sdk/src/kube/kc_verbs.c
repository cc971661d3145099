/* kc_verbs.c — REST paths, discovery and the verbs (get/list/create/update/patch/delete) on any resource. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kc_internal.h"

CAPZ_API int capz_kube_path(const capz_gvk *g, const char *ns, const char *name, const char *sub, char *out, size_t n) {
  int w;
  bool core = !g->group || !*g->group;
  char base[256];
  if (core) snprintf(base, sizeof base, "/api/%s", g->version);
  else snprintf(base, sizeof base, "/apis/%s/%s", g->group, g->version);
  bool use_ns = g->namespaced && ns && *ns;
  w = snprintf(out, n, "%s%s%s/%s%s%s%s%s", base, use_ns ? "/namespaces/" : "", use_ns ? ns : "",
               g->plural ? g->plural : "", name && *name ? "/" : "", name && *name ? name : "",
               sub && *sub ? "/" : "", sub && *sub ? sub : "");
  return (w < 0 || (size_t)w >= n) ? -1 : w;
}

CAPZ_API int capz_kube_resolve(capz_kube_client *c, capz_gvk *g, capz_err *err) {
  if (g->plural) return 0;
  const char *grp = g->group ? g->group : "";
  pthread_mutex_lock(&c->disc_mu);
  for (kc_disc *d = c->disc; d; d = d->next) {
    if (strcmp(d->group, grp) == 0 && strcmp(d->version, g->version) == 0 && strcmp(d->kind, g->kind) == 0) {
      g->plural = d->plural;
      g->namespaced = d->namespaced;
      pthread_mutex_unlock(&c->disc_mu);
      return 0;
    }
  }
  pthread_mutex_unlock(&c->disc_mu);
  char path[300];
  if (*grp) snprintf(path, sizeof path, "/apis/%s/%s", grp, g->version);
  else snprintf(path, sizeof path, "/api/%s", g->version);
  cJSON *list = NULL;
  int rc = capz_kube_request(c, "GET", path, NULL, NULL, &list, err);
  if (rc) return rc;
  const cJSON *r;
  const cJSON *found = NULL;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(list, "resources")) {
    const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "kind"));
    if (nm && kind && !strchr(nm, '/') && strcmp(kind, g->kind) == 0) {
      found = r;
      break;
    }
  }
  if (!found) {
    cJSON_Delete(list);
    return capz_err_set(err, CAPZ_ENOTFOUND, "discovery: %s/%s does not serve kind %s", grp, g->version, g->kind);
  }
  kc_disc *d = calloc(1, sizeof *d);
  if (d) {
    d->group = strdup(grp);
    d->version = strdup(g->version);
    d->kind = strdup(g->kind);
    d->plural = strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(found, "name")));
    d->namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(found, "namespaced"));
  }
  cJSON_Delete(list);
  if (!d || !d->group || !d->version || !d->kind || !d->plural) {
    if (d) {
      free(d->group);
      free(d->version);
      free(d->kind);
      free(d->plural);
      free(d);
    }
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  pthread_mutex_lock(&c->disc_mu);
  d->next = c->disc;
  c->disc = d;
  pthread_mutex_unlock(&c->disc_mu);
  g->plural = d->plural;
  g->namespaced = d->namespaced;
  return 0;
}

/* Resolve a copy of gvk when its plural is missing. */
static int prep(capz_kube_client *c, const capz_gvk *in, capz_gvk *g, capz_err *err) {
  *g = *in;
  if (!g->version || !g->kind) return capz_err_set(err, CAPZ_EINVAL, "kube: gvk without version or kind");
  return capz_kube_resolve(c, g, err);
}

static int mkpath(const capz_gvk *g, const char *ns, const char *name, const char *sub, char *out, size_t n,
                  capz_err *err) {
  if (capz_kube_path(g, ns, name, sub, out, n) < 0) return capz_err_set(err, CAPZ_EINVAL, "kube: path too long");
  return 0;
}

CAPZ_API int capz_kube_get(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const char *name, cJSON **out,
                           capz_err *err) {
  capz_gvk g;
  char p[1024];
  int rc = prep(c, gvk, &g, err);
  if (!rc) rc = mkpath(&g, ns, name, NULL, p, sizeof p, err);
  if (!rc) rc = capz_kube_request(c, "GET", p, NULL, NULL, out, err);
  return rc;
}

static void add_q(char *q, size_t n, const char *k, const char *v) {
  if (!v || !*v) return;
  size_t l = strlen(q);
  char *esc = malloc(strlen(v) * 3 + 1);
  if (!esc) return;
  kc_query_escape(v, esc);
  snprintf(q + l, n - l, "%c%s=%s", l ? '&' : '?', k, esc);
  free(esc);
}

CAPZ_API int capz_kube_list(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const capz_list_opts *o,
                            cJSON **out, capz_err *err) {
  capz_gvk g;
  char p[1024], q[2048] = "";
  int rc = prep(c, gvk, &g, err);
  if (!rc) rc = mkpath(&g, ns, NULL, NULL, p, sizeof p, err);
  if (rc) return rc;
  if (o) {
    add_q(q, sizeof q, "labelSelector", o->label_selector);
    add_q(q, sizeof q, "fieldSelector", o->field_selector);
    add_q(q, sizeof q, "resourceVersion", o->resource_version);
    add_q(q, sizeof q, "resourceVersionMatch", o->resource_version_match);
    add_q(q, sizeof q, "continue", o->continue_token);
    if (o->limit > 0) {
      char lim[32];
      snprintf(lim, sizeof lim, "%ld", o->limit);
      add_q(q, sizeof q, "limit", lim);
    }
  }
  char full[3100];
  snprintf(full, sizeof full, "%s%s", p, q);
  return capz_kube_request(c, "GET", full, NULL, NULL, out, err);
}

static const char *meta_str(const cJSON *obj, const char *k) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), k));
}

CAPZ_API int capz_kube_create(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const cJSON *obj, cJSON **out,
                              capz_err *err) {
  capz_gvk g;
  char p[1024];
  int rc = prep(c, gvk, &g, err);
  if (!ns) ns = meta_str(obj, "namespace");
  if (!rc && g.namespaced && (!ns || !*ns)) rc = capz_err_set(err, CAPZ_EINVAL, "create %s: no namespace", g.kind);
  if (!rc) rc = mkpath(&g, ns, NULL, NULL, p, sizeof p, err);
  if (!rc) rc = capz_kube_request(c, "POST", p, "application/json", obj, out, err);
  return rc;
}

static int put(capz_kube_client *c, const capz_gvk *gvk, const cJSON *obj, const char *sub, cJSON **out,
               capz_err *err) {
  capz_gvk g;
  char p[1024];
  const char *name = meta_str(obj, "name"), *ns = meta_str(obj, "namespace");
  int rc = prep(c, gvk, &g, err);
  if (!rc && (!name || !*name)) rc = capz_err_set(err, CAPZ_EINVAL, "update %s: object has no name", g.kind);
  if (!rc) rc = mkpath(&g, ns, name, sub, p, sizeof p, err);
  if (!rc) rc = capz_kube_request(c, "PUT", p, "application/json", obj, out, err);
  return rc;
}

CAPZ_API int capz_kube_update(capz_kube_client *c, const capz_gvk *gvk, const cJSON *obj, cJSON **out, capz_err *err) {
  return put(c, gvk, obj, NULL, out, err);
}

CAPZ_API int capz_kube_update_status(capz_kube_client *c, const capz_gvk *gvk, const cJSON *obj, cJSON **out,
                                     capz_err *err) {
  return put(c, gvk, obj, "status", out, err);
}

CAPZ_API int capz_kube_patch(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const char *name,
                             capz_patch_type type, const cJSON *patch, const capz_patch_opts *o, cJSON **out,
                             capz_err *err) {
  capz_gvk g;
  char p[1024], q[512] = "";
  const char *ct = type == CAPZ_PATCH_MERGE       ? "application/merge-patch+json"
                   : type == CAPZ_PATCH_JSON      ? "application/json-patch+json"
                   : type == CAPZ_PATCH_APPLY     ? "application/apply-patch+yaml"
                   : type == CAPZ_PATCH_STRATEGIC ? "application/strategic-merge-patch+json"
                                                  : NULL;
  if (!ct) return capz_err_set(err, CAPZ_EINVAL, "patch: unknown patch type %d", (int)type);
  int rc = prep(c, gvk, &g, err);
  if (!rc) rc = mkpath(&g, ns, name, o ? o->subresource : NULL, p, sizeof p, err);
  if (rc) return rc;
  const char *fm = o && o->field_manager ? o->field_manager : "capz-c";
  add_q(q, sizeof q, "fieldManager", fm);
  if (type == CAPZ_PATCH_APPLY) add_q(q, sizeof q, "force", o && o->force ? "true" : "false");
  char full[1600];
  snprintf(full, sizeof full, "%s%s", p, q);
  return capz_kube_request(c, "PATCH", full, ct, patch, out, err);
}

CAPZ_API int capz_kube_delete(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const char *name,
                              const capz_delete_opts *o, capz_err *err) {
  capz_gvk g;
  char p[1024];
  int rc = prep(c, gvk, &g, err);
  if (!rc) rc = mkpath(&g, ns, name, NULL, p, sizeof p, err);
  if (rc) return rc;
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "kind", "DeleteOptions");
  cJSON_AddStringToObject(body, "apiVersion", "v1");
  cJSON_AddStringToObject(body, "propagationPolicy", o && o->propagation_policy ? o->propagation_policy : "Background");
  if (o && (o->precondition_uid || o->precondition_rv)) {
    cJSON *pre = cJSON_AddObjectToObject(body, "preconditions");
    if (o->precondition_uid) cJSON_AddStringToObject(pre, "uid", o->precondition_uid);
    if (o->precondition_rv) cJSON_AddStringToObject(pre, "resourceVersion", o->precondition_rv);
  }
  rc = capz_kube_request(c, "DELETE", p, "application/json", body, NULL, err);
  cJSON_Delete(body);
  return rc;
}
