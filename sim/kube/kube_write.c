/* kube_write.c — create, update (PUT), patch and the shared admission pipeline:
 * server-set metadata, preconditions, status-subresource isolation, generation rules,
 * pruning/defaulting/validation, no-op detection, finalizer-driven removal.
 * Called with KS.lock held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "kube_sim.h"

enum { FV_WARN, FV_STRICT, FV_IGNORE };

cJSON *ssa_apply(kreq *r, kroute *rt, kobj *o, const cJSON *cur, cJSON *applied, const char *manager, bool force);
void ssa_record(kobj *o, const char *manager, const cJSON *applied);

static bool has_generation(const ktype *t) { return t->builtin == KB_CUSTOM || t->builtin == KB_CRD; }

static bool allow_unconditional_update(const ktype *t) {
  return !(t->builtin == KB_CUSTOM || t->builtin == KB_LEASE || t->builtin == KB_CRD);
}

static void gv_of(const ktype *t, const kversion *v, char *out, size_t n) {
  if (t->group[0])
    snprintf(out, n, "%s/%s", t->group, v->name);
  else
    snprintf(out, n, "%s", v->name);
}

static bool is_dry_run(kreq *r) {
  const char *d = req_query(r, "dryRun");
  return d && strcmp(d, "All") == 0;
}

static bool field_validation(kreq *r, int *mode) {
  const char *fv = req_query(r, "fieldValidation");
  *mode = FV_WARN;
  if (!fv || !*fv || strcmp(fv, "Warn") == 0) return true;
  if (strcmp(fv, "Strict") == 0) {
    *mode = FV_STRICT;
    return true;
  }
  if (strcmp(fv, "Ignore") == 0) {
    *mode = FV_IGNORE;
    return true;
  }
  resp_status(r, 400, "BadRequest", NULL,
              "fieldValidation: Unsupported value: \"%s\": supported values: \"Ignore\", \"Strict\", \"Warn\"", fv);
  return false;
}

static const char *meta_known[] = {"name",
                                   "generateName",
                                   "namespace",
                                   "selfLink",
                                   "uid",
                                   "resourceVersion",
                                   "generation",
                                   "creationTimestamp",
                                   "deletionTimestamp",
                                   "deletionGracePeriodSeconds",
                                   "labels",
                                   "annotations",
                                   "ownerReferences",
                                   "finalizers",
                                   "managedFields",
                                   NULL};

static void prune_metadata(cJSON *obj, cJSON *unknown) {
  cJSON *md = jget(obj, "metadata");
  if (!cJSON_IsObject(md)) return;
  for (cJSON *c = md->child, *nx; c; c = nx) {
    nx = c->next;
    bool known = false;
    for (int i = 0; meta_known[i]; i++)
      if (strcmp(c->string, meta_known[i]) == 0) known = true;
    if (!known) {
      char f[512];
      snprintf(f, sizeof f, "metadata.%s", c->string);
      cJSON_AddItemToArray(unknown, cJSON_CreateString(f));
      cJSON_DeleteItemFromObjectCaseSensitive(md, c->string);
    }
  }
  jdel(md, "managedFields");
  jdel(md, "selfLink");
}

/* Prune, default and validate obj (in the request's version). 0 = admitted, -1 = answered. */
static int admit(kreq *r, kroute *rt, cJSON *obj, const cJSON *old, bool create) {
  ktype *t = rt->t;
  int mode;
  if (!field_validation(r, &mode)) return -1;
  const char *name = jstr(jget(obj, "metadata"), "name");
  cJSON *unknown = cJSON_CreateArray();
  prune_metadata(obj, unknown);
  const cJSON *schema = t->builtin == KB_CUSTOM ? rt->v->schema : NULL;
  if (schema) {
    schema_drop_nulls(obj, schema);
    schema_prune(obj, schema, unknown, true);
  }
  int nu = cJSON_GetArraySize(unknown);
  if (nu && mode == FV_STRICT) {
    kbuf m = {0};
    for (int i = 0; i < nu; i++) {
      if (i) kbuf_puts(&m, ", ");
      kbuf_printf(&m, "unknown field \"%s\"", cJSON_GetArrayItem(unknown, i)->valuestring);
    }
    resp_status(r, 400, "BadRequest", NULL, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s",
                t->kind, rt->v->name, t->kind, m.s);
    kbuf_free(&m);
    cJSON_Delete(unknown);
    return -1;
  }
  if (nu && mode == FV_WARN) {
    for (int i = 0; i < nu; i++) {
      char w[600];
      snprintf(w, sizeof w, "unknown field \"%s\"", cJSON_GetArrayItem(unknown, i)->valuestring);
      req_warn(r, w);
    }
  }
  cJSON_Delete(unknown);
  if (schema) schema_default(obj, schema);
  kerrs e = {0};
  if (schema) schema_validate(obj, schema, &e, true);
  if (builtin_normalize(r, t, obj, old, &e) != 0) {
    kerrs_free(&e);
    return -1;
  }
  metadata_validate(t, obj, &e, create);
  if (e.n) {
    resp_invalid(r, t, name, &e);
    return -1;
  }
  return 0;
}

static bool check_gvk(kreq *r, kroute *rt, const cJSON *obj) {
  char gv[300];
  gv_of(rt->t, rt->v, gv, sizeof gv);
  const char *av = jstr(obj, "apiVersion");
  const char *k = jstr(obj, "kind");
  if (av && *av && strcmp(av, gv) != 0) {
    resp_status(r, 400, "BadRequest", NULL,
                "the API version in the data (%s) does not match the expected API version (%s)", av, gv);
    return false;
  }
  if (k && *k && strcmp(k, rt->t->kind) != 0) {
    resp_status(r, 400, "BadRequest", NULL, "the kind in the data (%s) does not match the expected kind (%s)", k,
                rt->t->kind);
    return false;
  }
  return true;
}

static void respond_blob(kreq *r, int code, kroute *rt, const kblob *b) {
  r->out.len = 0;
  emit_object(&r->out, rt->t, rt->v, b, false);
  r->status = code;
  r->out_type = "application/json";
}

static void respond_tree(kreq *r, int code, kroute *rt, cJSON *obj) {
  char gv[300];
  gv_of(rt->t, rt->v, gv, sizeof gv);
  json_front(obj, gv, rt->t->kind);
  resp_json(r, code, obj);
}

/* Namespace admission for namespaced creates: 404 missing, 403 terminating. */
static bool check_namespace(kreq *r, kroute *rt, const char *name) {
  ktype *nst = store_builtin(KB_NAMESPACE);
  kobj *ns = store_get(nst, NULL, rt->ns);
  if (!ns) {
    kdetails d = {.name = rt->ns, .kind = "namespaces"};
    resp_status(r, 404, "NotFound", &d, "namespaces \"%s\" not found", rt->ns);
    return false;
  }
  if (strstr(ns->json->s, "\"deletionTimestamp\":")) {
    char q[512];
    qualified_resource(rt->t, q, sizeof q);
    kdetails d = {.name = name, .group = rt->t->group[0] ? rt->t->group : NULL, .kind = rt->t->plural};
    d.causes = cJSON_CreateArray();
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "reason", "NamespaceTerminating");
    char m[600];
    snprintf(m, sizeof m, "namespace %s is being terminated", rt->ns);
    cJSON_AddStringToObject(c, "message", m);
    cJSON_AddStringToObject(c, "field", "metadata.namespace");
    cJSON_AddItemToArray(d.causes, c);
    resp_status(r, 403, "Forbidden", &d,
                "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being terminated",
                q, name, rt->ns);
    cJSON_Delete(d.causes);
    return false;
  }
  return true;
}

/* Create from a decoded body (takes ownership). code = 201. */
void create_object(kreq *r, kroute *rt, cJSON *obj, const char *ssa_manager, const cJSON *ssa_applied) {
  ktype *t = rt->t;
  if (t->terminating) {
    resp_status(r, 405, "MethodNotAllowed", NULL, "create not allowed while custom resource definition is terminating");
    goto out;
  }
  if (!cJSON_IsObject(obj)) {
    resp_status(r, 400, "BadRequest", NULL, "the body of the request must be a JSON object");
    goto out;
  }
  if (!check_gvk(r, rt, obj)) goto out;
  cJSON *md = jobj(obj, "metadata");
  const char *bns = jstr(md, "namespace");
  if (t->namespaced) {
    if (bns && *bns && strcmp(bns, rt->ns) != 0) {
      resp_status(r, 400, "BadRequest", NULL,
                  "the namespace of the provided object does not match the namespace sent on the request");
      goto out;
    }
    jset_str(md, "namespace", rt->ns);
  } else {
    jdel(md, "namespace");
  }
  const char *name = jstr(md, "name");
  if (!name || !*name) {
    const char *gn = jstr(md, "generateName");
    if (gn && *gn) {
      for (int tries = 0; tries < 8; tries++) {
        char sfx[6], nm[600];
        gen_suffix(sfx);
        snprintf(nm, sizeof nm, "%s%s", gn, sfx);
        jset_str(md, "name", nm);
        if (!store_get(t, rt->ns, nm)) break;
      }
      name = jstr(md, "name");
    } else {
      kerrs e = {0};
      kerrs_add(&e, "FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
      resp_invalid(r, t, "", &e);
      goto out;
    }
  }
  const char *rvs = jstr(md, "resourceVersion");
  if (rvs && *rvs && strcmp(rvs, "0") != 0) {
    resp_status(r, 500, NULL, NULL, "resourceVersion should not be set on objects to be created");
    goto out;
  }
  jdel(md, "resourceVersion");
  jdel(md, "uid");
  jdel(md, "creationTimestamp");
  jdel(md, "deletionTimestamp");
  jdel(md, "deletionGracePeriodSeconds");
  jdel(md, "generation");
  char *nm = strdup(name);
  if (t->namespaced && !check_namespace(r, rt, nm)) {
    free(nm);
    goto out;
  }
  if (rt->v->status_sub && t->builtin != KB_NAMESPACE) jdel(obj, "status");
  if (admit(r, rt, obj, NULL, true) != 0) {
    free(nm);
    goto out;
  }
  if (t->builtin == KB_CRD) {
    kerrs e = {0};
    if (crd_prepare_create(r, obj, &e) != 0) {
      if (e.n)
        resp_invalid(r, t, nm, &e);
      else
        kerrs_free(&e);
      free(nm);
      goto out;
    }
  }
  builtin_create_defaults(t, obj);
  if (store_get(t, rt->ns, nm)) {
    char q[512];
    qualified_resource(t, q, sizeof q);
    kdetails d = {.name = nm, .group = t->group[0] ? t->group : NULL, .kind = t->plural};
    resp_status(r, 409, "AlreadyExists", &d, "%s \"%s\" already exists", q, nm);
    free(nm);
    goto out;
  }
  free(nm);
  md = jobj(obj, "metadata");
  if (has_generation(t)) jset(md, "generation", cJSON_CreateNumber(1));
  char uid[40], ts[32];
  gen_uid(uid);
  now_rfc3339(ts);
  jset_str(md, "uid", uid);
  jset_str(md, "creationTimestamp", ts);
  if (is_dry_run(r)) {
    respond_tree(r, 201, rt, obj);
    goto out;
  }
  if (t->builtin == KB_EVENT_V1) {
    cJSON *core = event_v1_to_core(obj);
    cJSON_Delete(obj);
    obj = core;
  }
  cJSON *crd_copy = t->builtin == KB_CRD ? cJSON_Duplicate(obj, 1) : NULL;
  cJSON *applied = ssa_manager && ssa_applied ? cJSON_Duplicate(ssa_applied, 1) : NULL;
  kobj *o = store_insert(t, obj, store_next_rv());
  obj = NULL;
  if (applied) {
    ssa_record(o, ssa_manager, applied);
    cJSON_Delete(applied);
  }
  if (crd_copy) {
    jset_str(jobj(crd_copy, "metadata"), "resourceVersion", "0");
    crd_register(crd_copy);
  }
  /* the store queued any garbage-collection check this write needs (kube_gc_index.c) */
  respond_blob(r, 201, rt, o->json);
out:
  cJSON_Delete(obj);
}

void verb_create(kreq *r, kroute *rt) {
  if (rt->has_sub) {
    resp_status(r, 405, "MethodNotAllowed", NULL, "POST is not supported on resources of kind \"%s\"", rt->t->kind);
    return;
  }
  cJSON *obj = parse_body(r, true);
  if (!obj) return;
  create_object(r, rt, obj, NULL, NULL);
}

static bool str_in_array(const cJSON *arr, const char *s) {
  const cJSON *c;
  cJSON_ArrayForEach(c, arr) if (cJSON_IsString(c) && strcmp(c->valuestring, s) == 0) return true;
  return false;
}

/* True when a and b differ outside metadata (and outside status when it is a subresource). */
static bool spec_changed(const cJSON *a, const cJSON *b, bool skip_status) {
  cJSON *x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
  const char *skip[] = {"metadata", "apiVersion", "kind", skip_status ? "status" : NULL};
  for (int i = 0; i < 4; i++)
    if (skip[i]) {
      jdel(x, skip[i]);
      jdel(y, skip[i]);
    }
  bool ch = !capz_json_equal(x, y);
  cJSON_Delete(x);
  cJSON_Delete(y);
  return ch;
}

kblob *obj_commit(ktype *t, kobj *o, cJSON *next, bool *removed) {
  cJSON *md = jget(next, "metadata");
  *removed = false;
  if (jget(md, "deletionTimestamp") && cJSON_GetArraySize(jget(md, "finalizers")) == 0 &&
      t->store->builtin != KB_NAMESPACE) {
    jdel(md, "finalizers");
    *removed = true;
    return store_remove(t, o, next, store_next_rv());
  }
  store_replace(t, o, next, store_next_rv());
  return kb_ref(o->json);
}

/* The PUT/PATCH pipeline from a full candidate object `body` (takes ownership). */
void update_object(kreq *r, kroute *rt, kobj *o, cJSON *body, bool from_patch, const char *ssa_manager,
                   const cJSON *ssa_applied) {
  ktype *t = rt->t;
  cJSON *old = object_view(t, rt->v, o->json);
  cJSON *next = NULL;
  char *oname = strdup(o->name);
  if (!cJSON_IsObject(body)) {
    resp_status(r, 400, "BadRequest", NULL, "the body of the request must be a JSON object");
    goto out;
  }
  if (!check_gvk(r, rt, body)) goto out;
  cJSON *bmd = jobj(body, "metadata");
  const char *bname = jstr(bmd, "name");
  if (!bname || strcmp(bname, o->name) != 0) {
    resp_status(r, 400, "BadRequest", NULL, "the name of the object (%s) does not match the name on the URL (%s)",
                bname ? bname : "", o->name);
    goto out;
  }
  if (t->namespaced) {
    const char *bns = jstr(bmd, "namespace");
    if (bns && *bns && strcmp(bns, o->ns) != 0) {
      resp_status(r, 400, "BadRequest", NULL,
                  "the namespace of the provided object does not match the namespace sent on the request");
      goto out;
    }
  }
  const char *brv = jstr(bmd, "resourceVersion");
  char cur_rv[32];
  snprintf(cur_rv, sizeof cur_rv, "%llu", (unsigned long long)o->rv);
  if (!brv || !*brv) {
    if (!from_patch && !allow_unconditional_update(t)) {
      kerrs e = {0};
      kerrs_add(&e, "FieldValueInvalid", "metadata.resourceVersion",
                "Invalid value: 0x0: must be specified for an update");
      resp_invalid(r, t, o->name, &e);
      goto out;
    }
  } else if (strcmp(brv, cur_rv) != 0) {
    resp_conflict(r, t, o->name);
    goto out;
  }
  const char *buid = jstr(bmd, "uid");
  if (buid && *buid && strcmp(buid, o->uid) != 0) {
    kerrs e = {0};
    kerrs_add(&e, "FieldValueInvalid", "metadata.uid", "Invalid value: \"%s\": field is immutable", buid);
    resp_invalid(r, t, o->name, &e);
    goto out;
  }
  bool status_sub = rt->v->status_sub;
  if (rt->has_sub && strcmp(rt->sub, "finalize") == 0) {
    /* namespaces/finalize: only spec.finalizers changes */
    next = cJSON_Duplicate(old, 1);
    cJSON *f = jget(jget(body, "spec"), "finalizers");
    if (f)
      jset(jobj(next, "spec"), "finalizers", cJSON_Duplicate(f, 1));
    else
      jdel(jget(next, "spec"), "finalizers");
    cJSON_Delete(body);
    body = NULL;
    gc_kick();
  } else if (rt->has_sub) {
    next = cJSON_Duplicate(old, 1);
    cJSON *st = jget(body, "status");
    if (st)
      jset(next, "status", cJSON_Duplicate(st, 1));
    else
      jdel(next, "status");
    /* unknown top-level fields of the body still count for fieldValidation */
    cJSON_Delete(body);
    body = NULL;
  } else {
    next = body;
    body = NULL;
    if (status_sub) {
      cJSON *ost = jget(old, "status");
      if (ost)
        jset(next, "status", cJSON_Duplicate(ost, 1));
      else
        jdel(next, "status");
    }
    if (t->builtin == KB_NAMESPACE) {
      /* spec.finalizers changes only through /finalize */
      cJSON *osp = jget(old, "spec");
      if (osp)
        jset(next, "spec", cJSON_Duplicate(osp, 1));
      else
        jdel(next, "spec");
    }
  }
  cJSON *md = jobj(next, "metadata");
  cJSON *omd = jget(old, "metadata");
  static const char *carry[] = {"uid",     "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                                "namespace", "generation",      "resourceVersion",   NULL};
  for (int i = 0; carry[i]; i++) {
    cJSON *v = jget(omd, carry[i]);
    if (v)
      jset(md, carry[i], cJSON_Duplicate(v, 1));
    else
      jdel(md, carry[i]);
  }
  if (jget(omd, "deletionTimestamp")) {
    cJSON *nf = jget(md, "finalizers");
    cJSON *of = jget(omd, "finalizers");
    const cJSON *f;
    kbuf added = {0};
    cJSON_ArrayForEach(f, nf) {
      if (cJSON_IsString(f) && !str_in_array(of, f->valuestring)) {
        kbuf_puts(&added, added.len ? ", " : "");
        kbuf_json_str(&added, f->valuestring);
      }
    }
    if (added.len) {
      kerrs e = {0};
      kerrs_add(&e, "FieldValueForbidden", "metadata.finalizers",
                "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers "
                "[]string{%s}",
                added.s);
      kbuf_free(&added);
      resp_invalid(r, t, o->name, &e);
      goto out;
    }
  }
  if (admit(r, rt, next, old, false) != 0) goto out;
  if (t->builtin == KB_CRD && !rt->has_sub) {
    kerrs e = {0};
    if (crd_prepare_update(next, old, &e) != 0) {
      resp_invalid(r, t, o->name, &e);
      goto out;
    }
  }
  if (has_generation(t) && spec_changed(old, next, status_sub)) {
    double g = cJSON_IsNumber(jget(omd, "generation")) ? jget(omd, "generation")->valuedouble : 0;
    jset(jobj(next, "metadata"), "generation", cJSON_CreateNumber(g + 1));
  }
  if (capz_json_equal(old, next)) {
    if (ssa_manager) ssa_record(o, ssa_manager, ssa_applied);
    respond_blob(r, 200, rt, o->json);
    goto out;
  }
  if (is_dry_run(r)) {
    respond_tree(r, 200, rt, next);
    goto out;
  }
  if (t->builtin == KB_EVENT_V1) {
    cJSON *core = event_v1_to_core(next);
    cJSON_Delete(next);
    next = core;
  }
  if (t->builtin == KB_CRD && !rt->has_sub) {
    cJSON *crd_copy = cJSON_Duplicate(next, 1);
    crd_update_type(crd_copy);
  }
  if (ssa_manager) ssa_record(o, ssa_manager, ssa_applied);
  bool removed;
  kblob *res = obj_commit(t, o, next, &removed);
  next = NULL;
  respond_blob(r, 200, rt, res);
  kb_unref(res);
out:
  free(oname);
  cJSON_Delete(old);
  cJSON_Delete(next);
  cJSON_Delete(body);
}

void verb_update(kreq *r, kroute *rt) {
  kobj *o = store_get(rt->t, rt->ns, rt->name);
  cJSON *body = parse_body(r, true);
  if (!body) return;
  if (!o) {
    cJSON_Delete(body);
    resp_not_found(r, rt->t, rt->name);
    return;
  }
  update_object(r, rt, o, body, false, NULL, NULL);
}

/* ---------- PATCH ---------- */

enum { PT_MERGE = 1, PT_JSON, PT_SMP, PT_APPLY };

static int patch_type(const char *ct) {
  if (!ct) return 0;
  size_t n = strcspn(ct, "; ");
  if (strncmp(ct, "application/merge-patch+json", n) == 0 && n == strlen("application/merge-patch+json"))
    return PT_MERGE;
  if (n == strlen("application/json-patch+json") && strncmp(ct, "application/json-patch+json", n) == 0)
    return PT_JSON;
  if (n == strlen("application/strategic-merge-patch+json") &&
      strncmp(ct, "application/strategic-merge-patch+json", n) == 0)
    return PT_SMP;
  if (n == strlen("application/apply-patch+yaml") && strncmp(ct, "application/apply-patch+yaml", n) == 0)
    return PT_APPLY;
  if (n == strlen("application/apply-patch+cbor") && strncmp(ct, "application/apply-patch+cbor", n) == 0) return 0;
  return 0;
}

void verb_patch(kreq *r, kroute *rt) {
  ktype *t = rt->t;
  int pt = patch_type(r->content_type);
  if (!pt || (pt == PT_SMP && t->builtin == KB_CUSTOM) || (pt == PT_SMP && t->builtin == KB_CRD)) {
    if (t->builtin == KB_CUSTOM || t->builtin == KB_CRD)
      resp_status(r, 415, "UnsupportedMediaType", NULL,
                  "the body of the request was in an unknown format - accepted media types include: "
                  "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
    else
      resp_status(r, 415, "UnsupportedMediaType", NULL,
                  "the body of the request was in an unknown format - accepted media types include: "
                  "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
                  "application/strategic-merge-patch+json");
    return;
  }
  const char *manager = req_query(r, "fieldManager");
  if (pt == PT_APPLY && (!manager || !*manager)) {
    resp_status(r, 400, "BadRequest", NULL,
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
    return;
  }
  if (!r->body || !r->body_len) {
    resp_status(r, 400, "BadRequest", NULL, "the body of the request is empty");
    return;
  }
  /* parse_body would reject the patch content types as unknown; decode here. */
  cJSON *patch = NULL;
  if (pt == PT_APPLY && r->body_len && r->body[0] != '{') {
    capz_err err = {0};
    cJSON *docs = capz_yaml_to_json(r->body, r->body_len, &err);
    if (docs && cJSON_GetArraySize(docs) == 1) patch = cJSON_DetachItemFromArray(docs, 0);
    cJSON_Delete(docs);
  } else {
    patch = cJSON_ParseWithLength(r->body, r->body_len);
  }
  if (!patch || json_depth(patch) > 200) {
    cJSON_Delete(patch);
    resp_status(r, 400, "BadRequest", NULL, "the body of the request could not be decoded as a patch");
    return;
  }
  kobj *o = store_get(t, rt->ns, rt->name);
  if (!o) {
    if (pt == PT_APPLY && !rt->has_sub) {
      cJSON *md = jobj(patch, "metadata");
      if (!jstr(md, "name")) jset_str(md, "name", rt->name);
      if (strcmp(jstr(md, "name"), rt->name) != 0) {
        resp_status(r, 400, "BadRequest", NULL, "the name of the object (%s) does not match the name on the URL (%s)",
                    jstr(md, "name"), rt->name);
        cJSON_Delete(patch);
        return;
      }
      cJSON *sent = cJSON_Duplicate(patch, 1); /* the manager owns what it sent, not server-set fields */
      create_object(r, rt, patch, manager, sent);
      cJSON_Delete(sent);
      return;
    }
    cJSON_Delete(patch);
    resp_not_found(r, t, rt->name);
    return;
  }
  cJSON *cur = object_view(t, rt->v, o->json);
  cJSON *res = NULL;
  char err[512] = "";
  if (pt == PT_MERGE) {
    if (!cJSON_IsObject(patch)) {
      snprintf(err, sizeof err, "the body of the request must be a JSON object for a merge patch");
    } else {
      res = capz_json_merge_patch(cur, patch);
    }
  } else if (pt == PT_JSON) {
    if (!cJSON_IsArray(patch)) {
      snprintf(err, sizeof err, "the body of the request must be a JSON array for a JSON patch");
    } else {
      capz_err ce = {0};
      res = capz_json_patch_apply(cur, patch, &ce);
      if (!res) {
        kdetails d = {.name = o->name, .group = t->group[0] ? t->group : NULL, .kind = t->kind};
        resp_status(r, 422, "Invalid", &d, "%s", ce.msg[0] ? ce.msg : "the JSON patch could not be applied");
        goto out;
      }
    }
  } else if (pt == PT_SMP) {
    if (!cJSON_IsObject(patch))
      snprintf(err, sizeof err, "the body of the request must be a JSON object for a strategic merge patch");
    else
      res = smp_apply(cur, patch, err, sizeof err);
  } else {
    if (!cJSON_IsObject(patch)) {
      snprintf(err, sizeof err, "the body of the request must be an object for an apply patch");
    } else {
      res = ssa_apply(r, rt, o, cur, patch, manager, req_query_bool(r, "force"));
      if (!res) goto out; /* answered */
    }
  }
  if (!res) {
    resp_status(r, 400, "BadRequest", NULL, "%s", err[0] ? err : "the patch could not be applied");
    goto out;
  }
  if (!cJSON_IsObject(res)) {
    resp_status(r, 422, "Invalid", NULL, "the patch result is not an object");
    cJSON_Delete(res);
    goto out;
  }
  /* A patch result without a resourceVersion is unconditional. */
  update_object(r, rt, o, res, true, pt == PT_APPLY ? manager : NULL, pt == PT_APPLY ? patch : NULL);
out:
  cJSON_Delete(cur);
  cJSON_Delete(patch);
}
