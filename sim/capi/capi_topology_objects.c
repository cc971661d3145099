/* capi_topology_objects.c — reading, creating, writing and deleting what a topology generates: references and
 * lookups, change-only writes with Events, the overlay of a rendered spec onto a current one, objects and
 * template clones made from patched class templates (clones rotate when what the class renders changes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_topology.h"

const cJSON *topo_first_of(const cJSON *o, const char *a, const char *b) {
  const cJSON *v = capz_json_ptr_get(o, a);
  return v ? v : capz_json_ptr_get(o, b);
}

int topo_fail(topo *t, const char *reason, const char *fmt, const char *a, const char *b) {
  t->reason = reason;
  snprintf(t->msg, sizeof t->msg, fmt, a ? a : "", b ? b : "");
  return -1;
}

/* An Event on the Cluster (CAPI's topology controller reports what it creates, updates and deletes). */
void topo_event(topo *t, const char *type, const char *reason, const char *verb, const cJSON *obj) {
  if (!t->s->events) return;
  char m[600];
  snprintf(m, sizeof m, "%s %s %s/%s", verb, sim_str(obj, "/kind"), t->ns, sim_str(obj, "/metadata/name"));
  capz_object_ref ref = {CAPI_V1B1, "Cluster", t->ns, t->cname, sim_str(t->cl, "/metadata/uid")};
  capz_event_record(t->s->events, &ref, type, reason, m, NULL);
}

/* The object a reference points to: the cache first, then the API server (the cache may not show our own
 * create yet, and template kinds are not watched). NULL when absent. */
cJSON *topo_get_ref(sim *s, const cJSON *ref, const char *ns) {
  capz_gvk g = {0};
  char buf[256];
  cJSON *o = sim_ref_get(s, ref, ns, &g, buf, sizeof buf);
  if (o || !g.kind || !sim_kind_for(s, sim_str(ref, "/apiVersion"), g.kind)) return o;
  capz_err err;
  capz_err_clear(&err);
  if (capz_kube_get(s->c, &g, ns, sim_str(ref, "/name"), &o, &err) != 0) return NULL;
  return o;
}

/* The live generated object of apiVersion/kind in ns matching selector (the first by name), or NULL. */
cJSON *topo_find_generated(sim *s, const char *av, const char *kind, const char *ns, const char *selector) {
  sim_kind *k = sim_kind_for(s, av, kind);
  if (k && k->inf) {
    capz_obj_list l;
    cJSON *out = NULL;
    if (sim_list(s, k->idx, ns, selector, &l) != 0) return NULL;
    for (size_t i = 0; i < l.n && !out; i++)
      if (!capz_obj_deleting(l.items[i])) out = cJSON_Duplicate(capz_obj_json(l.items[i]), 1);
    capz_obj_list_free(&l);
    return out;
  }
  capz_gvk g = {0};
  char buf[256];
  if (sim_gvk(s, av, kind, &g, buf, sizeof buf) != 0) return NULL;
  capz_err err;
  capz_err_clear(&err);
  capz_list_opts lo = {.label_selector = selector};
  cJSON *list = NULL, *out = NULL;
  if (capz_kube_list(s->c, &g, ns, &lo, &list, &err) != 0) return NULL;
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(list, "/items")) {
    if (!out && !sim_is_deleting(it)) {
      out = cJSON_Duplicate(it, 1);
      /* list items may omit them */
      if (!cJSON_GetObjectItemCaseSensitive(out, "apiVersion")) cJSON_AddStringToObject(out, "apiVersion", av);
      if (!cJSON_GetObjectItemCaseSensitive(out, "kind")) cJSON_AddStringToObject(out, "kind", kind);
    }
  }
  cJSON_Delete(list);
  return out;
}

cJSON *topo_ref_of(const cJSON *obj) {
  cJSON *r = sim_ref_to(obj);
  cJSON_AddStringToObject(r, "namespace", sim_str(obj, "/metadata/namespace"));
  return r;
}

bool topo_same_ref(const cJSON *ref, const cJSON *obj) {
  return ref && strcmp(sim_str(ref, "/name"), sim_str(obj, "/metadata/name")) == 0 &&
         strcmp(sim_str(ref, "/kind"), sim_str(obj, "/kind")) == 0 &&
         strcmp(sim_str(ref, "/apiVersion"), sim_str(obj, "/apiVersion")) == 0;
}

void topo_set_ref(cJSON *obj, const char *ptr, const cJSON *target) {
  capz_json_ptr_set(obj, ptr, topo_ref_of(target), NULL);
}

/* Create obj; on success *created (optional) is the server's copy (uid set). 0 or error code. */
int topo_create(topo *t, const cJSON *obj, cJSON **created) {
  capz_gvk g = {0};
  char buf[256];
  int rc = sim_gvk(t->s, sim_str(obj, "/apiVersion"), sim_str(obj, "/kind"), &g, buf, sizeof buf);
  if (rc != 0)
    return topo_fail(t, "TopologyReconcileFailed", "kind %s of %s is not served", sim_str(obj, "/kind"),
                     sim_str(obj, "/apiVersion"));
  capz_err err;
  capz_err_clear(&err);
  cJSON *out = NULL;
  rc = capz_kube_create(t->s->c, &g, t->ns, obj, &out, &err);
  if (rc != 0) {
    capz_log(t->s->log, CAPZ_LOG_WARN, "topology: create failed", "kind", g.kind, "namespace", t->ns, "name",
             sim_str(obj, "/metadata/name"), "error", err.msg, NULL);
    t->reason = "TopologyReconcileFailed";
    snprintf(t->msg, sizeof t->msg, "creating %s %s: %s", g.kind, sim_str(obj, "/metadata/name"), err.msg);
    return rc;
  }
  capz_log(t->s->log, CAPZ_LOG_INFO, "topology: created", "kind", g.kind, "namespace", t->ns, "name",
           sim_str(obj, "/metadata/name"), "cluster", t->cname, NULL);
  topo_event(t, "Normal", "TopologyCreate", "Created", obj);
  sim_kind *wk = sim_kind_for(t->s, sim_str(obj, "/apiVersion"), g.kind);
  if (wk && wk->inf) sim_wait_cache(t->s, wk->idx, t->ns, sim_str(obj, "/metadata/name"), true);
  if (created)
    *created = out;
  else
    cJSON_Delete(out);
  return 0;
}

int topo_write(topo *t, const cJSON *cur, const cJSON *want) {
  capz_gvk g = {0};
  char buf[256];
  int rc = sim_gvk(t->s, sim_str(cur, "/apiVersion"), sim_str(cur, "/kind"), &g, buf, sizeof buf);
  if (rc == 0) rc = sim_write(t->s, &g, cur, want);
  if (rc != 0 && rc != CAPZ_ECONFLICT && !t->reason) {
    t->reason = "TopologyReconcileFailed";
    snprintf(t->msg, sizeof t->msg, "updating %s %s: %s", sim_str(cur, "/kind"), sim_str(cur, "/metadata/name"),
             capz_errcode_name(rc));
  }
  /* Ownership/label touch-ups are not worth an Event; spec changes are. */
  if (rc == 0 && !capz_json_equal(capz_json_ptr_get(cur, "/spec"), capz_json_ptr_get(want, "/spec")))
    topo_event(t, "Normal", "TopologyUpdate", "Updated", cur);
  return rc;
}

void topo_del(topo *t, const cJSON *obj) {
  capz_gvk g = {0};
  char buf[256];
  if (obj && sim_gvk(t->s, sim_str(obj, "/apiVersion"), sim_str(obj, "/kind"), &g, buf, sizeof buf) == 0 &&
      sim_delete(t->s, &g, t->ns, sim_str(obj, "/metadata/name")) == 0)
    topo_event(t, "Normal", "TopologyDelete", "Deleted", obj);
}

void topo_name_of(const cJSON *cur, const char *prefix, char *out, size_t n) {
  if (cur)
    snprintf(out, n, "%s", sim_str(cur, "/metadata/name"));
  else
    sim_random_name(prefix, out, n);
}

/* ---- merging desired fields into a current object ---- */

static bool all_named(const cJSON *arr) {
  const cJSON *e;
  if (!cJSON_IsArray(arr) || !arr->child) return false;
  cJSON_ArrayForEach(e, arr) if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "name"))) return false;
  return true;
}

/* desired laid over cur: objects member by member, arrays of named objects element by element (by name, so
 * what a provider filled into an element survives), anything else replaced. New tree. */
static cJSON *overlay(const cJSON *cur, const cJSON *desired) {
  if (cJSON_IsObject(cur) && cJSON_IsObject(desired)) {
    cJSON *out = cJSON_Duplicate(cur, 1);
    const cJSON *d;
    cJSON_ArrayForEach(d, desired) {
      cJSON *c = cJSON_GetObjectItemCaseSensitive(out, d->string);
      cJSON *m = overlay(c, d);
      if (c)
        cJSON_ReplaceItemInObjectCaseSensitive(out, d->string, m);
      else
        cJSON_AddItemToObject(out, d->string, m);
    }
    return out;
  }
  if (cJSON_IsArray(cur) && all_named(desired) && all_named(cur)) {
    cJSON *out = cJSON_CreateArray();
    const cJSON *d, *c;
    cJSON_ArrayForEach(d, desired) {
      const cJSON *match = NULL;
      const char *nm = cJSON_GetObjectItemCaseSensitive(d, "name")->valuestring;
      cJSON_ArrayForEach(
          c, cur) if (!match && strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring, nm) == 0) match = c;
      cJSON_AddItemToArray(out, match ? overlay(match, d) : cJSON_Duplicate(d, 1));
    }
    return out;
  }
  return cJSON_Duplicate(desired, 1);
}

/* want.spec gets desired.spec laid over it unless the current spec already contains it (providers may default
 * or fill fields; only a real difference in what the class renders is written). */
void topo_overlay_spec(cJSON *want, const cJSON *cur, const cJSON *desired_spec) {
  const cJSON *cs = capz_json_ptr_get(cur, "/spec");
  if (!desired_spec || capz_json_subset(desired_spec, cs, NULL, CAPZ_JSON_CMP_ARRAYS_AS_SETS, NULL, 0)) return;
  capz_json_ptr_set(want, "/spec", overlay(cs, desired_spec), NULL);
}

void topo_ensure_labels(cJSON *obj, const cJSON *labels) {
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) if (cJSON_IsString(l) && !sim_label(obj, l->string))
      sim_set_label(obj, l->string, l->valuestring);
}

/* The labels/annotations of a class and topology `metadata` block merged (topology wins). New object. */
cJSON *topo_merged_meta(const cJSON *class_md, const cJSON *topo_md, const char *which) {
  cJSON *out = cJSON_CreateObject();
  const cJSON *srcs[2] = {cJSON_GetObjectItemCaseSensitive(class_md, which),
                          cJSON_GetObjectItemCaseSensitive(topo_md, which)};
  for (int i = 0; i < 2; i++) {
    const cJSON *l;
    cJSON_ArrayForEach(l, srcs[i]) {
      if (!cJSON_IsString(l)) continue;
      cJSON_DeleteItemFromObjectCaseSensitive(out, l->string);
      cJSON_AddStringToObject(out, l->string, l->valuestring);
    }
  }
  return out;
}

/* The labels every generated object carries. */
cJSON *topo_base_labels(topo *t) {
  cJSON *l = cJSON_CreateObject();
  cJSON_AddStringToObject(l, L_CLUSTER_NAME, t->cname);
  cJSON_AddStringToObject(l, L_TOPOLOGY_OWNED, "");
  return l;
}

/* An object of kind `kind` (template kind without "Template" when obj_from_template) from a patched template:
 * spec = spec.template.spec (an object) or spec (a template clone). */
cJSON *topo_from_template(topo *t, const cJSON *tmpl, const char *name, bool obj_from_template, const cJSON *labels,
                          bool owned_by_cluster) {
  cJSON *o;
  if (obj_from_template) {
    o = sim_clone_template(tmpl, name, t->ns, labels, owned_by_cluster ? t->cl : NULL);
    if (!o) return NULL;
  } else {
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", sim_str(tmpl, "/apiVersion"));
    cJSON_AddStringToObject(o, "kind", sim_str(tmpl, "/kind"));
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", t->ns);
    const cJSON *l;
    cJSON_ArrayForEach(l, labels) sim_set_label(o, l->string, l->valuestring);
    sim_set_annotation(o, A_CLONED_FROM_NAME, sim_str(tmpl, "/metadata/name"));
    char gk[256];
    const char *av = sim_str(tmpl, "/apiVersion"), *slash = strchr(av, '/');
    snprintf(gk, sizeof gk, "%s.%.*s", sim_str(tmpl, "/kind"), slash ? (int)(slash - av) : 0, av);
    sim_set_annotation(o, A_CLONED_FROM_GK, gk);
    if (owned_by_cluster) sim_add_owner(o, t->cl, false);
    const cJSON *spec = capz_json_ptr_get(tmpl, "/spec");
    cJSON_AddItemToObject(o, "spec", spec ? cJSON_Duplicate(spec, 1) : cJSON_CreateObject());
  }
  return o;
}

int topo_add_req(topo *t, int scope, const char *cls, const cJSON *ref, const cJSON *vars, const char *what) {
  if (t->nreq >= sizeof t->reqs / sizeof t->reqs[0])
    return topo_fail(t, "TopologyReconcileFailed", "too many templates%s%s", "", "");
  if (!ref) return topo_fail(t, "TopologyReconcileFailed", "ClusterClass has no %s reference%s", what, "");
  cJSON *tmpl = topo_get_ref(t->s, ref, t->ccns);
  if (!tmpl) {
    char what2[300];
    snprintf(what2, sizeof what2, "%s %s", sim_str(ref, "/kind"), sim_str(ref, "/name"));
    return topo_fail(t, "TopologyReconcileFailed", "%s template %s not found", what, what2);
  }
  topo_req *r = &t->reqs[t->nreq++];
  r->scope = scope;
  r->class_name = cls;
  r->tmpl = tmpl;
  r->vars = vars;
  return (int)t->nreq - 1;
}

/* ---- generated objects and template clones ---- */

/* A template clone: reused while it still contains what the class renders, else a new one (templates are
 * immutable by contract; CAPI rotates them the same way). *out is the template to reference; *old (when
 * rotated) the one to delete once nothing points to it. */
int topo_ensure_template(topo *t, const cJSON *patched, const cJSON *cur, const char *name, const cJSON *labels,
                         cJSON **out, cJSON **old) {
  *out = NULL;
  *old = NULL;
  if (cur && capz_json_subset(capz_json_ptr_get(patched, "/spec"), capz_json_ptr_get(cur, "/spec"), NULL,
                              CAPZ_JSON_CMP_DEFAULT, NULL, 0)) {
    *out = cJSON_Duplicate(cur, 1);
    cJSON *w = cJSON_Duplicate(cur, 1);
    topo_ensure_labels(w, labels);
    int rc = capz_json_equal(w, cur) ? 0 : topo_write(t, cur, w);
    cJSON_Delete(w);
    return rc;
  }
  char fresh[256];
  if (cur) {
    /* Rotation: a new name with the same prefix. */
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s", name);
    size_t l = strlen(prefix);
    if (l > 6 && prefix[l - 6] == '-') prefix[l - 6] = 0;
    sim_random_name(prefix, fresh, sizeof fresh);
    name = fresh;
    *old = cJSON_Duplicate(cur, 1);
  }
  cJSON *o = topo_from_template(t, patched, name, false, labels, true);
  int rc = topo_create(t, o, out);
  cJSON_Delete(o);
  return rc;
}

/* An object instantiated from a template (infrastructure cluster, MachinePool config or pool), updated in place. */
int topo_ensure_object(topo *t, const cJSON *patched, const cJSON *cur, const char *name, const cJSON *labels,
                       cJSON **out) {
  *out = NULL;
  if (cur) {
    cJSON *w = cJSON_Duplicate(cur, 1);
    topo_ensure_labels(w, labels);
    topo_overlay_spec(w, cur, capz_json_ptr_get(patched, "/spec/template/spec"));
    int rc = capz_json_equal(w, cur) ? 0 : topo_write(t, cur, w);
    *out = w;
    return rc;
  }
  cJSON *o = topo_from_template(t, patched, name, true, labels, true);
  if (!o)
    return topo_fail(t, "TopologyReconcileFailed", "%s %s is not a template kind", sim_str(patched, "/kind"),
                     sim_str(patched, "/metadata/name"));
  int rc = topo_create(t, o, out);
  cJSON_Delete(o);
  return rc;
}
