/* capi_topology.c — the part of Cluster API's topology controller the CAPZ ClusterClass flavours need: a
 * Cluster with spec.topology is rendered from its ClusterClass (templates cloned, inline patches applied) into
 * an infrastructure cluster, a control plane (+ its machine template), MachineDeployments and MachinePools (+
 * their templates / bootstrap configs / infrastructure pools), which the other sim controllers then reconcile
 * as for any Cluster. Generated objects are found again through the Cluster's refs, the generated objects' refs
 * and the topology labels, so names can be CAPI-like random ones and a half-finished pass is picked up.
 *
 * Simplifications (docs/capi-sim.md): in-place updates are merges checked with "desired ⊆ current" (not SSA);
 * a template whose patched spec is no longer contained in the current clone is rotated (new name, ref moved,
 * old one deleted); version upgrades go control plane first, then every MachineDeployment/MachinePool at once
 * once the control plane reports status.version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

#define MSG_N 640

typedef struct worker {
  bool pool;                /* MachinePool (else MachineDeployment) */
  const cJSON *topo;        /* topology entry (borrowed from the Cluster) */
  const cJSON *cls;         /* class entry (borrowed from the ClusterClass) */
  const char *tname;        /* topology name ("md-0") */
  cJSON *cur;               /* current MD/MP or NULL */
  cJSON *cur_boot, *cur_infra; /* current bootstrap template/config and infra template/pool */
  char name[256], boot_name[256], infra_name[256];
  const char *version;      /* desired version */
  bool upgrade_pending;
  cJSON *vars;
  int req_boot, req_infra;  /* indexes into the request array */
} worker;

typedef struct topo {
  sim *s;
  const cJSON *cl;
  cJSON *want, *cc, *vars;
  const char *ns, *cname, *ccns, *version;
  char msg[MSG_N];
  const char *reason;
  topo_req reqs[2 + 2 * 2 * 32 + 1];
  size_t nreq;
  worker w[64];
  size_t nw;
} topo;

static const cJSON *first_of(const cJSON *o, const char *a, const char *b) {
  const cJSON *v = capz_json_ptr_get(o, a);
  return v ? v : capz_json_ptr_get(o, b);
}

void capi_topology_class(const cJSON *cl, const char **name, const char **ns) {
  const cJSON *t = capz_json_ptr_get(cl, "/spec/topology");
  *name = capz_json_ptr_str(t, "/class", NULL);
  if (!*name) *name = capz_json_ptr_str(t, "/classRef/name", "");
  *ns = capz_json_ptr_str(t, "/classNamespace", NULL);
  if (!*ns) *ns = capz_json_ptr_str(t, "/classRef/namespace", "");
}

static int fail(topo *t, const char *reason, const char *fmt, const char *a, const char *b) {
  t->reason = reason;
  snprintf(t->msg, sizeof t->msg, fmt, a ? a : "", b ? b : "");
  return -1;
}

/* An Event on the Cluster (CAPI's topology controller reports what it creates, updates and deletes). */
static void event(topo *t, const char *type, const char *reason, const char *verb, const cJSON *obj) {
  if (!t->s->events) return;
  char m[600];
  snprintf(m, sizeof m, "%s %s %s/%s", verb, sim_str(obj, "/kind"), t->ns, sim_str(obj, "/metadata/name"));
  capz_object_ref ref = {CAPI_V1B1, "Cluster", t->ns, t->cname, sim_str(t->cl, "/metadata/uid")};
  capz_event_record(t->s->events, &ref, type, reason, m, NULL);
}

/* The object a reference points to: the cache first, then the API server (the cache may not show our own
 * create yet, and template kinds are not watched). NULL when absent. */
static cJSON *get_ref(sim *s, const cJSON *ref, const char *ns) {
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
static cJSON *find_generated(sim *s, const char *av, const char *kind, const char *ns, const char *selector) {
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
      cJSON_AddStringToObject(out, "apiVersion", av); /* list items may omit it */
      cJSON_AddStringToObject(out, "kind", kind);
    }
  }
  cJSON_Delete(list);
  return out;
}

static cJSON *ref_of(const cJSON *obj) {
  cJSON *r = sim_ref_to(obj);
  cJSON_AddStringToObject(r, "namespace", sim_str(obj, "/metadata/namespace"));
  return r;
}

static bool same_ref(const cJSON *ref, const cJSON *obj) {
  return ref && strcmp(sim_str(ref, "/name"), sim_str(obj, "/metadata/name")) == 0 &&
         strcmp(sim_str(ref, "/kind"), sim_str(obj, "/kind")) == 0 &&
         strcmp(sim_str(ref, "/apiVersion"), sim_str(obj, "/apiVersion")) == 0;
}

static void set_ref(cJSON *obj, const char *ptr, const cJSON *target) {
  capz_json_ptr_set(obj, ptr, ref_of(target), NULL);
}

/* Create obj; on success *created (optional) is the server's copy (uid set). 0 or error code. */
static int create(topo *t, const cJSON *obj, cJSON **created) {
  capz_gvk g = {0};
  char buf[256];
  int rc = sim_gvk(t->s, sim_str(obj, "/apiVersion"), sim_str(obj, "/kind"), &g, buf, sizeof buf);
  if (rc != 0) return fail(t, "TopologyReconcileFailed", "kind %s of %s is not served", sim_str(obj, "/kind"),
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
  event(t, "Normal", "TopologyCreate", "Created", obj);
  sim_kind *wk = sim_kind_for(t->s, sim_str(obj, "/apiVersion"), g.kind);
  if (wk && wk->inf) sim_wait_cache(t->s, wk->idx, t->ns, sim_str(obj, "/metadata/name"), true);
  if (created)
    *created = out;
  else
    cJSON_Delete(out);
  return 0;
}

static int write(topo *t, const cJSON *cur, const cJSON *want) {
  capz_gvk g = {0};
  char buf[256];
  int rc = sim_gvk(t->s, sim_str(cur, "/apiVersion"), sim_str(cur, "/kind"), &g, buf, sizeof buf);
  if (rc == 0) rc = sim_write(t->s, &g, cur, want);
  /* Ownership/label touch-ups are not worth an Event; spec changes are. */
  if (rc == 0 && !capz_json_equal(capz_json_ptr_get(cur, "/spec"), capz_json_ptr_get(want, "/spec")))
    event(t, "Normal", "TopologyUpdate", "Updated", cur);
  return rc;
}

static void del(topo *t, const cJSON *obj) {
  capz_gvk g = {0};
  char buf[256];
  if (obj && sim_gvk(t->s, sim_str(obj, "/apiVersion"), sim_str(obj, "/kind"), &g, buf, sizeof buf) == 0 &&
      sim_delete(t->s, &g, t->ns, sim_str(obj, "/metadata/name")) == 0)
    event(t, "Normal", "TopologyDelete", "Deleted", obj);
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
      cJSON_ArrayForEach(c, cur) if (!match && strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring, nm) == 0)
          match = c;
      cJSON_AddItemToArray(out, match ? overlay(match, d) : cJSON_Duplicate(d, 1));
    }
    return out;
  }
  return cJSON_Duplicate(desired, 1);
}

/* want.spec gets desired.spec laid over it unless the current spec already contains it (providers may default
 * or fill fields; only a real difference in what the class renders is written). */
static void overlay_spec(cJSON *want, const cJSON *cur, const cJSON *desired_spec) {
  const cJSON *cs = capz_json_ptr_get(cur, "/spec");
  if (!desired_spec || capz_json_subset(desired_spec, cs, NULL, CAPZ_JSON_CMP_ARRAYS_AS_SETS, NULL, 0)) return;
  capz_json_ptr_set(want, "/spec", overlay(cs, desired_spec), NULL);
}

static void ensure_labels(cJSON *obj, const cJSON *labels) {
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) if (cJSON_IsString(l) && !sim_label(obj, l->string)) sim_set_label(obj, l->string,
                                                                                                    l->valuestring);
}

/* The labels/annotations of a class and topology `metadata` block merged (topology wins). New object. */
static cJSON *merged_meta(const cJSON *class_md, const cJSON *topo_md, const char *which) {
  cJSON *out = cJSON_CreateObject();
  const cJSON *srcs[2] = {cJSON_GetObjectItemCaseSensitive(class_md, which), cJSON_GetObjectItemCaseSensitive(topo_md, which)};
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
static cJSON *base_labels(topo *t) {
  cJSON *l = cJSON_CreateObject();
  cJSON_AddStringToObject(l, L_CLUSTER_NAME, t->cname);
  cJSON_AddStringToObject(l, L_TOPOLOGY_OWNED, "");
  return l;
}

/* An object of kind `kind` (template kind without "Template" when obj_from_template) from a patched template:
 * spec = spec.template.spec (an object) or spec (a template clone). */
static cJSON *from_template(topo *t, const cJSON *tmpl, const char *name, bool obj_from_template, const cJSON *labels,
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

static int add_req(topo *t, int scope, const char *cls, const cJSON *ref, const cJSON *vars, const char *what) {
  if (t->nreq >= sizeof t->reqs / sizeof t->reqs[0]) return fail(t, "TopologyReconcileFailed", "too many templates%s%s", "", "");
  if (!ref) return fail(t, "TopologyReconcileFailed", "ClusterClass has no %s reference%s", what, "");
  cJSON *tmpl = get_ref(t->s, ref, t->ccns);
  if (!tmpl) {
    char what2[300];
    snprintf(what2, sizeof what2, "%s %s", sim_str(ref, "/kind"), sim_str(ref, "/name"));
    return fail(t, "TopologyReconcileFailed", "%s template %s not found", what, what2);
  }
  topo_req *r = &t->reqs[t->nreq++];
  r->scope = scope;
  r->class_name = cls;
  r->tmpl = tmpl;
  r->vars = vars;
  return (int)t->nreq - 1;
}

/* ---- workers ---- */

static const cJSON *find_class(const cJSON *cc, bool pool, const char *cls) {
  const cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(cc, pool ? "/spec/workers/machinePools" : "/spec/workers/machineDeployments")) {
    if (strcmp(capz_json_ptr_str(c, "/class", ""), cls) == 0) return c;
  }
  return NULL;
}

static int plan_worker(topo *t, worker *w, bool cp_upgraded) {
  const char *kindname = w->pool ? "MachinePool" : "MachineDeployment";
  const char *cls = capz_json_ptr_str(w->topo, "/class", "");
  w->tname = capz_json_ptr_str(w->topo, "/name", "");
  if (!*w->tname) return fail(t, "TopologyReconcileFailed", "a %s topology has no name%s", kindname, "");
  w->cls = find_class(t->cc, w->pool, cls);
  if (!w->cls) return fail(t, "TopologyReconcileFailed", "%s class %s is not defined in the ClusterClass", kindname, cls);
  char sel[640], prefix[300];
  snprintf(sel, sizeof sel, "%s=%s,%s,%s=%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED,
           w->pool ? L_TOPOLOGY_POOL : L_TOPOLOGY_DEPLOYMENT, w->tname);
  w->cur = find_generated(t->s, CAPI_V1B1, kindname, t->ns, sel);
  const cJSON *spec_t = capz_json_ptr_get(w->cur, "/spec/template/spec");
  if (w->cur) {
    w->cur_boot = get_ref(t->s, capz_json_ptr_get(spec_t, "/bootstrap/configRef"), t->ns);
    w->cur_infra = get_ref(t->s, capz_json_ptr_get(spec_t, "/infrastructureRef"), t->ns);
  }
  snprintf(prefix, sizeof prefix, "%s-%s", t->cname, w->tname);
  if (w->cur) snprintf(w->name, sizeof w->name, "%s", sim_str(w->cur, "/metadata/name"));
  else sim_random_name(prefix, w->name, sizeof w->name);
  if (w->cur_boot) snprintf(w->boot_name, sizeof w->boot_name, "%s", sim_str(w->cur_boot, "/metadata/name"));
  else sim_random_name(prefix, w->boot_name, sizeof w->boot_name);
  if (w->cur_infra) snprintf(w->infra_name, sizeof w->infra_name, "%s", sim_str(w->cur_infra, "/metadata/name"));
  else sim_random_name(prefix, w->infra_name, sizeof w->infra_name);
  /* Upgrade sequencing: an existing worker keeps its version until the control plane runs the new one. */
  const char *cur_ver = capz_json_ptr_str(spec_t, "/version", NULL);
  w->version = t->version;
  if (w->cur && cur_ver && strcmp(cur_ver, t->version) != 0 && !cp_upgraded) {
    w->version = cur_ver;
    w->upgrade_pending = true;
  }
  w->vars = topo_vars_worker(t->vars, w->topo, t->cc, t->msg, sizeof t->msg);
  if (!w->vars) {
    t->reason = "TopologyReconcileFailed";
    return -1;
  }
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "version", w->version);
  cJSON_AddStringToObject(b, "class", cls);
  cJSON_AddStringToObject(b, "name", w->name);
  cJSON_AddStringToObject(b, "topologyName", w->tname);
  const cJSON *rep = capz_json_ptr_get(w->topo, "/replicas");
  if (cJSON_IsNumber(rep)) cJSON_AddNumberToObject(b, "replicas", rep->valuedouble);
  capz_json_ptr_set_str(b, "/bootstrap/configRef/name", w->boot_name, NULL);
  capz_json_ptr_set_str(b, "/infrastructureRef/name", w->infra_name, NULL);
  capz_json_ptr_set(w->vars, w->pool ? "/builtin/machinePool" : "/builtin/machineDeployment", b, NULL);
  int scope = w->pool ? TOPO_MP : TOPO_MD;
  w->req_boot = add_req(t, scope, cls, first_of(w->cls, "/template/bootstrap/ref", "/bootstrap/templateRef"), w->vars,
                        "bootstrap");
  if (w->req_boot < 0) return -1;
  w->req_infra = add_req(t, scope, cls, first_of(w->cls, "/template/infrastructure/ref", "/infrastructure/templateRef"),
                         w->vars, "infrastructure");
  return w->req_infra < 0 ? -1 : 0;
}

/* A MachineDeployment's template clone: reused while it still contains what the class renders, else a new one
 * (templates are immutable by contract; CAPI rotates them the same way). *out is the template to reference;
 * *old (when rotated) the one to delete once nothing points to it. */
static int ensure_template(topo *t, const cJSON *patched, const cJSON *cur, const char *name, const cJSON *labels,
                           cJSON **out, cJSON **old) {
  *out = NULL;
  *old = NULL;
  if (cur && capz_json_subset(capz_json_ptr_get(patched, "/spec"), capz_json_ptr_get(cur, "/spec"), NULL,
                              CAPZ_JSON_CMP_DEFAULT, NULL, 0)) {
    *out = cJSON_Duplicate(cur, 1);
    cJSON *w = cJSON_Duplicate(cur, 1);
    ensure_labels(w, labels);
    int rc = capz_json_equal(w, cur) ? 0 : write(t, cur, w);
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
  cJSON *o = from_template(t, patched, name, false, labels, true);
  int rc = create(t, o, out);
  cJSON_Delete(o);
  return rc;
}

/* Bootstrap config / infrastructure pool of a MachinePool: objects, updated in place. */
static int ensure_object(topo *t, const cJSON *patched, const cJSON *cur, const char *name, const cJSON *labels,
                         cJSON **out) {
  *out = NULL;
  if (cur) {
    cJSON *w = cJSON_Duplicate(cur, 1);
    ensure_labels(w, labels);
    overlay_spec(w, cur, capz_json_ptr_get(patched, "/spec/template/spec"));
    int rc = capz_json_equal(w, cur) ? 0 : write(t, cur, w);
    *out = w;
    return rc;
  }
  cJSON *o = from_template(t, patched, name, true, labels, true);
  if (!o) return fail(t, "TopologyReconcileFailed", "%s %s is not a template kind", sim_str(patched, "/kind"),
                      sim_str(patched, "/metadata/name"));
  int rc = create(t, o, out);
  cJSON_Delete(o);
  return rc;
}

static int apply_worker(topo *t, worker *w) {
  const char *kindname = w->pool ? "MachinePool" : "MachineDeployment";
  cJSON *labels = base_labels(t);
  cJSON_AddStringToObject(labels, w->pool ? L_TOPOLOGY_POOL : L_TOPOLOGY_DEPLOYMENT, w->tname);
  cJSON *boot = NULL, *infra = NULL, *old_boot = NULL, *old_infra = NULL, *obj = NULL;
  const cJSON *pb = t->reqs[w->req_boot].tmpl, *pi = t->reqs[w->req_infra].tmpl;
  int rc;
  if (w->pool) {
    rc = ensure_object(t, pb, w->cur_boot, w->boot_name, labels, &boot);
    if (rc == 0) rc = ensure_object(t, pi, w->cur_infra, w->infra_name, labels, &infra);
  } else {
    rc = ensure_template(t, pb, w->cur_boot, w->boot_name, labels, &boot, &old_boot);
    if (rc == 0) rc = ensure_template(t, pi, w->cur_infra, w->infra_name, labels, &infra, &old_infra);
  }
  if (rc != 0) goto out;

  const cJSON *cmeta = first_of(w->cls, "/template/metadata", "/metadata");
  cJSON *ml = merged_meta(cmeta, capz_json_ptr_get(w->topo, "/metadata"), "labels");
  cJSON *ma = merged_meta(cmeta, capz_json_ptr_get(w->topo, "/metadata"), "annotations");
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    cJSON_DeleteItemFromObjectCaseSensitive(ml, l->string);
    cJSON_AddStringToObject(ml, l->string, l->valuestring);
  }
  cJSON *want;
  if (w->cur) {
    want = cJSON_Duplicate(w->cur, 1);
  } else {
    want = cJSON_CreateObject();
    cJSON_AddStringToObject(want, "apiVersion", CAPI_V1B1);
    cJSON_AddStringToObject(want, "kind", kindname);
    cJSON *md = cJSON_AddObjectToObject(want, "metadata");
    cJSON_AddStringToObject(md, "name", w->name);
    cJSON_AddStringToObject(md, "namespace", t->ns);
    sim_add_owner(want, t->cl, false);
    capz_json_ptr_set_str(want, "/spec/clusterName", t->cname, NULL);
    capz_json_ptr_set_str(want, "/spec/template/spec/clusterName", t->cname, NULL);
    if (!w->pool) {
      cJSON *sel = cJSON_CreateObject();
      cJSON_AddItemToObject(sel, "matchLabels", cJSON_Duplicate(labels, 1));
      capz_json_ptr_set(want, "/spec/selector", sel, NULL);
    }
    /* Rollout settings: the topology's, else the class's. */
    const char *fields[] = {"/minReadySeconds", "/strategy", "/failureDomain", "/failureDomains"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      const cJSON *v = capz_json_ptr_get(w->topo, fields[i]);
      if (!v) v = capz_json_ptr_get(w->cls, fields[i]);
      if (!v) continue;
      char ptr[64];
      bool in_template = strcmp(fields[i], "/failureDomain") == 0;
      snprintf(ptr, sizeof ptr, "%s%s", in_template ? "/spec/template/spec" : "/spec", fields[i]);
      capz_json_ptr_set(want, ptr, cJSON_Duplicate(v, 1), NULL);
    }
  }
  cJSON_ArrayForEach(l, ml) if (!sim_label(want, l->string)) sim_set_label(want, l->string, l->valuestring);
  cJSON_ArrayForEach(l, ma) if (!sim_annotation(want, l->string)) sim_set_annotation(want, l->string, l->valuestring);
  cJSON *tl = capz_json_ptr_get(want, "/spec/template/metadata/labels");
  if (!cJSON_IsObject(tl)) {
    capz_json_ptr_set(want, "/spec/template/metadata/labels", cJSON_CreateObject(), NULL);
    tl = capz_json_ptr_get(want, "/spec/template/metadata/labels");
  }
  cJSON_ArrayForEach(l, ml) if (!cJSON_GetObjectItemCaseSensitive(tl, l->string)) cJSON_AddStringToObject(tl, l->string, l->valuestring);
  if (cJSON_GetArraySize(ma) > 0 && !capz_json_ptr_get(want, "/spec/template/metadata/annotations"))
    capz_json_ptr_set(want, "/spec/template/metadata/annotations", cJSON_Duplicate(ma, 1), NULL);
  cJSON_Delete(ml);
  cJSON_Delete(ma);
  const cJSON *rep = capz_json_ptr_get(w->topo, "/replicas");
  if (cJSON_IsNumber(rep)) capz_json_ptr_set(want, "/spec/replicas", cJSON_CreateNumber(rep->valuedouble), NULL);
  capz_json_ptr_set_str(want, "/spec/template/spec/version", w->version, NULL);
  if (!same_ref(capz_json_ptr_get(want, "/spec/template/spec/bootstrap/configRef"), boot))
    set_ref(want, "/spec/template/spec/bootstrap/configRef", boot);
  if (!same_ref(capz_json_ptr_get(want, "/spec/template/spec/infrastructureRef"), infra))
    set_ref(want, "/spec/template/spec/infrastructureRef", infra);
  if (w->cur)
    rc = capz_json_equal(want, w->cur) ? 0 : write(t, w->cur, want);
  else
    rc = create(t, want, &obj);
  cJSON_Delete(want);
  if (rc == 0) {
    /* The replaced templates are no longer referenced (the sets of the old template have their machines). */
    if (old_boot) del(t, old_boot);
    if (old_infra) del(t, old_infra);
  }
out:
  cJSON_Delete(labels);
  cJSON_Delete(boot);
  cJSON_Delete(infra);
  cJSON_Delete(old_boot);
  cJSON_Delete(old_infra);
  cJSON_Delete(obj);
  return rc;
}

/* MachineDeployments/MachinePools this topology generated that are no longer in it. */
static void delete_removed(topo *t, bool pool) {
  int kind = pool ? K_MP : K_MD;
  const char *label = pool ? L_TOPOLOGY_POOL : L_TOPOLOGY_DEPLOYMENT;
  char sel[400];
  snprintf(sel, sizeof sel, "%s=%s,%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED);
  capz_obj_list l;
  if (sim_list(t->s, kind, t->ns, sel, &l) != 0) return;
  for (size_t i = 0; i < l.n; i++) {
    const char *tn = capz_obj_label(l.items[i], label);
    bool keep = false;
    for (size_t j = 0; j < t->nw && tn; j++) keep |= t->w[j].pool == pool && strcmp(t->w[j].tname, tn) == 0;
    if (keep || capz_obj_deleting(l.items[i])) continue;
    capz_log(t->s->log, CAPZ_LOG_INFO, "topology: removed from the topology; deleting", "kind",
             pool ? "MachinePool" : "MachineDeployment", "namespace", t->ns, "name", capz_obj_name(l.items[i]), NULL);
    del(t, capz_obj_json(l.items[i]));
    if (!pool) {
      /* Its templates go with it (MachinePools delete their own bootstrap config and pool). */
      const cJSON *spec = capz_json_ptr_get(capz_obj_json(l.items[i]), "/spec/template/spec");
      const char *ptrs[] = {"/bootstrap/configRef", "/infrastructureRef"};
      for (int p = 0; p < 2; p++) {
        const cJSON *ref = capz_json_ptr_get(spec, ptrs[p]);
        cJSON *o = ref ? get_ref(t->s, ref, t->ns) : NULL;
        if (o && sim_label(o, L_TOPOLOGY_OWNED)) del(t, o);
        cJSON_Delete(o);
      }
    }
  }
  capz_obj_list_free(&l);
}

/* ---- the pass ---- */

static int run(topo *t, int64_t *requeue_ms) {
  sim *s = t->s;
  const char *ccname = NULL, *ccns = NULL;
  capi_topology_class(t->cl, &ccname, &ccns);
  t->ccns = *ccns ? ccns : t->ns;
  t->version = capz_json_ptr_str(t->cl, "/spec/topology/version", "");
  if (!*ccname) return fail(t, "TopologyReconcileFailed", "spec.topology names no class%s%s", "", "");
  if (!capz_json_ptr_get(t->cl, "/spec/topology/class")) {
    /* A v1beta2 Cluster (classRef): this sim writes through v1beta1 and capz-kube-sim has no conversion
     * webhook, so the v1beta1 spelling is filled in as CAPI's conversion would (else v1beta1 validation fails). */
    capz_json_ptr_set_str(t->want, "/spec/topology/class", ccname, NULL);
    if (*ccns) capz_json_ptr_set_str(t->want, "/spec/topology/classNamespace", ccns, NULL);
  }
  if (!*t->version) return fail(t, "TopologyReconcileFailed", "spec.topology.version is not set%s%s", "", "");
  t->cc = sim_cached(s, K_CLUSTERCLASS, t->ccns, ccname);
  if (!t->cc) {
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "apiVersion", CAPI_V1B1);
    cJSON_AddStringToObject(ref, "kind", "ClusterClass");
    cJSON_AddStringToObject(ref, "name", ccname);
    t->cc = get_ref(s, ref, t->ccns);
    cJSON_Delete(ref);
  }
  if (!t->cc) {
    *requeue_ms = 2000;
    return fail(t, "ClusterClassNotFound", "ClusterClass %s/%s not found", t->ccns, ccname);
  }
  sim_add_owner(t->want, t->cc, false);
  t->vars = topo_vars_cluster(t->cl, t->cc, t->msg, sizeof t->msg);
  if (!t->vars) {
    t->reason = "TopologyReconcileFailed";
    return -1;
  }

  /* Current infrastructure cluster and control plane: the Cluster's refs, else the topology labels. */
  const cJSON *iref = first_of(t->cc, "/spec/infrastructure/ref", "/spec/infrastructure/templateRef");
  const cJSON *cref = first_of(t->cc, "/spec/controlPlane/ref", "/spec/controlPlane/templateRef");
  const cJSON *mref = first_of(t->cc, "/spec/controlPlane/machineInfrastructure/ref",
                               "/spec/controlPlane/machineInfrastructure/templateRef");
  char sel[400];
  snprintf(sel, sizeof sel, "%s=%s,%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED);
  cJSON *cur_infra = NULL, *cur_cp = NULL, *cur_mt = NULL;
  const cJSON *r;
  if ((r = capz_json_ptr_get(t->cl, "/spec/infrastructureRef"))) cur_infra = get_ref(s, r, t->ns);
  else if (iref) {
    char kind[128];
    snprintf(kind, sizeof kind, "%.*s", (int)(strlen(sim_str(iref, "/kind")) > 8 ? strlen(sim_str(iref, "/kind")) - 8 : 0),
             sim_str(iref, "/kind"));
    cur_infra = find_generated(s, sim_str(iref, "/apiVersion"), kind, t->ns, sel);
  }
  if ((r = capz_json_ptr_get(t->cl, "/spec/controlPlaneRef"))) cur_cp = get_ref(s, r, t->ns);
  else if (cref) {
    char kind[128];
    snprintf(kind, sizeof kind, "%.*s", (int)(strlen(sim_str(cref, "/kind")) > 8 ? strlen(sim_str(cref, "/kind")) - 8 : 0),
             sim_str(cref, "/kind"));
    cur_cp = find_generated(s, sim_str(cref, "/apiVersion"), kind, t->ns, sel);
  }
  if (cur_cp && mref) cur_mt = get_ref(s, capz_json_ptr_get(cur_cp, "/spec/machineTemplate/infrastructureRef"), t->ns);

  char infra_name[256], cp_name[256], mt_name[256], prefix[300];
  if (cur_infra) snprintf(infra_name, sizeof infra_name, "%s", sim_str(cur_infra, "/metadata/name"));
  else sim_random_name(t->cname, infra_name, sizeof infra_name);
  if (cur_cp) snprintf(cp_name, sizeof cp_name, "%s", sim_str(cur_cp, "/metadata/name"));
  else sim_random_name(t->cname, cp_name, sizeof cp_name);
  snprintf(prefix, sizeof prefix, "%s-control-plane", t->cname);
  if (cur_mt) snprintf(mt_name, sizeof mt_name, "%s", sim_str(cur_mt, "/metadata/name"));
  else sim_random_name(prefix, mt_name, sizeof mt_name);

  /* builtin.controlPlane (visible to every patch here; CAPI scopes it to control plane templates). */
  const cJSON *cp_rep = capz_json_ptr_get(t->cl, "/spec/topology/controlPlane/replicas");
  cJSON *bcp = cJSON_CreateObject();
  cJSON_AddStringToObject(bcp, "version", t->version);
  cJSON_AddStringToObject(bcp, "name", cp_name);
  if (cJSON_IsNumber(cp_rep)) cJSON_AddNumberToObject(bcp, "replicas", cp_rep->valuedouble);
  if (mref) capz_json_ptr_set_str(bcp, "/machineTemplate/infrastructureRef/name", mt_name, NULL);
  capz_json_ptr_set(t->vars, "/builtin/controlPlane", bcp, NULL);

  int rc = 0;
  int ri = add_req(t, TOPO_INFRA_CLUSTER, NULL, iref, t->vars, "infrastructure");
  int rcp = ri < 0 ? -1 : add_req(t, TOPO_CONTROL_PLANE, NULL, cref, t->vars, "controlPlane");
  int rmt = rcp < 0 || !mref ? -2 : add_req(t, TOPO_CONTROL_PLANE, NULL, mref, t->vars, "controlPlane machineInfrastructure");
  cJSON *cp = NULL, *infra = NULL, *mt = NULL, *old_mt = NULL;
  if (ri < 0 || rcp < 0 || rmt == -1) {
    rc = -1;
    goto out;
  }
  /* The control plane runs the new version once it reports it (status.version); workers follow then. */
  bool cp_upgraded = !cur_cp || (strcmp(sim_str(cur_cp, "/spec/version"), t->version) == 0 &&
                                 strcmp(sim_str(cur_cp, "/status/version"), t->version) == 0);
  const char *lists[2] = {"/spec/topology/workers/machineDeployments", "/spec/topology/workers/machinePools"};
  for (int p = 0; p < 2 && rc == 0; p++) {
    const cJSON *wt;
    cJSON_ArrayForEach(wt, capz_json_ptr_get(t->cl, lists[p])) {
      if (t->nw >= sizeof t->w / sizeof t->w[0]) {
        rc = fail(t, "TopologyReconcileFailed", "too many workers%s%s", "", "");
        break;
      }
      worker *w = &t->w[t->nw++];
      w->pool = p == 1;
      w->topo = wt;
      if ((rc = plan_worker(t, w, cp_upgraded)) != 0) break;
    }
  }
  if (rc != 0) goto out;
  if (topo_patches_apply(t->cc, t->vars, t->reqs, t->nreq, t->msg, sizeof t->msg) != 0) {
    t->reason = "TopologyReconcileFailed";
    rc = -1;
    goto out;
  }

  /* Infrastructure cluster. */
  cJSON *labels = base_labels(t);
  if ((rc = ensure_object(t, t->reqs[ri].tmpl, cur_infra, infra_name, labels, &infra)) != 0) goto out_l;
  if (!same_ref(capz_json_ptr_get(t->want, "/spec/infrastructureRef"), infra))
    set_ref(t->want, "/spec/infrastructureRef", infra);

  /* Control plane machine template, then the control plane. */
  if (rmt >= 0 && (rc = ensure_template(t, t->reqs[rmt].tmpl, cur_mt, mt_name, labels, &mt, &old_mt)) != 0) goto out_l;
  const cJSON *cpt = t->reqs[rcp].tmpl;
  const cJSON *cmeta = capz_json_ptr_get(t->cc, "/spec/controlPlane/metadata");
  const cJSON *tmeta = capz_json_ptr_get(t->cl, "/spec/topology/controlPlane/metadata");
  cJSON *want = NULL;
  if (cur_cp) {
    want = cJSON_Duplicate(cur_cp, 1);
    ensure_labels(want, labels);
    overlay_spec(want, cur_cp, capz_json_ptr_get(cpt, "/spec/template/spec"));
  } else {
    want = from_template(t, cpt, cp_name, true, labels, true);
    if (!want) {
      rc = fail(t, "TopologyReconcileFailed", "control plane %s is not a template kind%s", sim_str(cpt, "/kind"), "");
      goto out_l;
    }
  }
  cJSON *ml = merged_meta(cmeta, tmeta, "labels"), *ma = merged_meta(cmeta, tmeta, "annotations");
  ensure_labels(want, ml);
  capz_json_ptr_set_str(want, "/spec/version", t->version, NULL);
  if (cJSON_IsNumber(cp_rep)) capz_json_ptr_set(want, "/spec/replicas", cJSON_CreateNumber(cp_rep->valuedouble), NULL);
  if (mt) {
    if (!same_ref(capz_json_ptr_get(want, "/spec/machineTemplate/infrastructureRef"), mt))
      set_ref(want, "/spec/machineTemplate/infrastructureRef", mt);
    if (cJSON_GetArraySize(ml) > 0 || cJSON_GetArraySize(ma) > 0) {
      cJSON *mtl = merged_meta(capz_json_ptr_get(want, "/spec/machineTemplate/metadata"), NULL, "labels");
      const cJSON *l;
      cJSON_ArrayForEach(l, ml) if (!cJSON_GetObjectItemCaseSensitive(mtl, l->string))
          cJSON_AddStringToObject(mtl, l->string, l->valuestring);
      capz_json_ptr_set(want, "/spec/machineTemplate/metadata/labels", mtl, NULL);
      if (cJSON_GetArraySize(ma) > 0 && !capz_json_ptr_get(want, "/spec/machineTemplate/metadata/annotations"))
        capz_json_ptr_set(want, "/spec/machineTemplate/metadata/annotations", cJSON_Duplicate(ma, 1), NULL);
    }
  }
  cJSON_Delete(ml);
  cJSON_Delete(ma);
  if (cur_cp) {
    rc = capz_json_equal(want, cur_cp) ? 0 : write(t, cur_cp, want);
    cJSON_Delete(want);
    want = NULL;
    if (rc == 0) cp = cJSON_Duplicate(cur_cp, 1);
  } else {
    rc = create(t, want, &cp);
    cJSON_Delete(want);
  }
  if (rc != 0) goto out_l;
  if (!same_ref(capz_json_ptr_get(t->want, "/spec/controlPlaneRef"), cp)) set_ref(t->want, "/spec/controlPlaneRef", cp);
  /* The control plane owns its machine template (CAPI's ownership for managed topologies). */
  if (mt && !sim_owned_by(mt, cp)) {
    cJSON *w2 = cJSON_Duplicate(mt, 1);
    sim_remove_owner_kind(w2, CAPI_V1B1, "Cluster");
    sim_add_owner(w2, cp, false);
    rc = write(t, mt, w2);
    cJSON_Delete(w2);
    if (rc != 0) goto out_l;
  }
  if (old_mt) del(t, old_mt);

  for (size_t i = 0; i < t->nw && rc == 0; i++) rc = apply_worker(t, &t->w[i]);
  if (rc != 0) goto out_l;
  delete_removed(t, false);
  delete_removed(t, true);
  for (size_t i = 0; i < t->nw; i++) {
    if (!t->w[i].upgrade_pending) continue;
    t->reason = t->w[i].pool ? "MachinePoolsUpgradePending" : "MachineDeploymentsUpgradePending";
    snprintf(t->msg, sizeof t->msg, "%s %s waits for the control plane to run %s", t->w[i].pool ? "MachinePool" : "MachineDeployment",
             t->w[i].name, t->version);
    *requeue_ms = 1000;
    break;
  }
out_l:
  cJSON_Delete(labels);
out:
  cJSON_Delete(cur_infra);
  cJSON_Delete(cur_cp);
  cJSON_Delete(cur_mt);
  cJSON_Delete(cp);
  cJSON_Delete(infra);
  cJSON_Delete(mt);
  cJSON_Delete(old_mt);
  return rc;
}

int capi_topology_reconcile(sim *s, const cJSON *cl, cJSON *want, int64_t *requeue_ms) {
  if (!capz_json_ptr_get(cl, "/spec/topology") || sim_is_deleting(cl)) return 0;
  topo *t = calloc(1, sizeof *t);
  if (!t) return CAPZ_ENOMEM;
  t->s = s;
  t->cl = cl;
  t->want = want;
  t->ns = sim_str(cl, "/metadata/namespace");
  t->cname = sim_str(cl, "/metadata/name");
  int rc = run(t, requeue_ms);
  if (rc == 0 && !t->reason) {
    capz_cond_mark_true(want, C_TOPOLOGY_RECONCILED);
  } else {
    bool pending = rc == 0;
    capz_cond_mark_false(want, C_TOPOLOGY_RECONCILED, t->reason ? t->reason : "TopologyReconcileFailed",
                         pending ? CAPZ_SEV_INFO : CAPZ_SEV_WARNING, "%s", t->msg[0] ? t->msg : "topology not reconciled");
    if (!pending) {
      capz_log(s->log, CAPZ_LOG_WARN, "topology not reconciled", "namespace", t->ns, "name", t->cname, "reason",
               t->reason ? t->reason : "", "message", t->msg, NULL);
      if (s->events) {
        capz_object_ref ref = {CAPI_V1B1, "Cluster", t->ns, t->cname, sim_str(cl, "/metadata/uid")};
        capz_event_record(s->events, &ref, "Warning", t->reason ? t->reason : "TopologyReconcileFailed", t->msg, NULL);
      }
      if (*requeue_ms <= 0) *requeue_ms = 5000; /* a fixed class/template wakes us earlier through events */
    }
  }
  for (size_t i = 0; i < t->nreq; i++) cJSON_Delete(t->reqs[i].tmpl);
  for (size_t i = 0; i < t->nw; i++) {
    cJSON_Delete(t->w[i].cur);
    cJSON_Delete(t->w[i].cur_boot);
    cJSON_Delete(t->w[i].cur_infra);
    cJSON_Delete(t->w[i].vars);
  }
  cJSON_Delete(t->cc);
  cJSON_Delete(t->vars);
  free(t);
  /* Topology problems are reported on the Cluster (condition) and retried on a timer, not as errors. */
  return rc > 0 ? rc : 0;
}
