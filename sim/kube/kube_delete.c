/* kube_delete.c — DELETE and deletecollection: immediate removal, or marking
 * (deletionTimestamp, grace 0, generation+1) when finalizers or a propagation policy hold the
 * object; namespaces and CRDs always go through their cascades (kube_gc.c). Needs KS.lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_sim.h"

static bool arr_has(const cJSON *a, const char *s) {
  const cJSON *c;
  cJSON_ArrayForEach(c, a) if (cJSON_IsString(c) && strcmp(c->valuestring, s) == 0) return true;
  return false;
}

kblob *obj_delete(ktype *t, kobj *o, const char *propagation, bool dry_run, bool *removed) {
  ktype *st = t->store;
  *removed = false;
  cJSON *cur = cJSON_ParseWithLength(o->json->s, o->json->len);
  if (!cur) abort();
  cJSON *md = jobj(cur, "metadata");
  if (jget(md, "deletionTimestamp")) {
    cJSON_Delete(cur);
    return kb_ref(o->json);
  }
  cJSON *fins = jget(md, "finalizers");
  if (!cJSON_IsArray(fins)) {
    jdel(md, "finalizers");
    fins = cJSON_CreateArray();
    cJSON_AddItemToObject(md, "finalizers", fins);
  }
  if (propagation && strcmp(propagation, "Orphan") == 0 && !arr_has(fins, "orphan"))
    cJSON_AddItemToArray(fins, cJSON_CreateString("orphan"));
  if (propagation && strcmp(propagation, "Foreground") == 0 && !arr_has(fins, "foregroundDeletion"))
    cJSON_AddItemToArray(fins, cJSON_CreateString("foregroundDeletion"));
  bool mark = cJSON_GetArraySize(fins) > 0 || st->builtin == KB_NAMESPACE;
  if (!cJSON_GetArraySize(fins)) jdel(md, "finalizers");
  if (!mark) {
    if (dry_run) {
      kblob *b = kb_from_json(cur);
      cJSON_Delete(cur);
      *removed = true;
      return b;
    }
    *removed = true;
    return store_remove(st, o, cur, store_next_rv());
  }
  char ts[32];
  now_rfc3339(ts);
  jset_str(md, "deletionTimestamp", ts);
  jset(md, "deletionGracePeriodSeconds", cJSON_CreateNumber(0));
  cJSON *gen = jget(md, "generation");
  if (cJSON_IsNumber(gen) && gen->valuedouble > 0) jset(md, "generation", cJSON_CreateNumber(gen->valuedouble + 1));
  if (st->builtin == KB_NAMESPACE) jset_str(jobj(cur, "status"), "phase", "Terminating");
  if (st->builtin == KB_CRD) {
    cJSON *conds = jget(jobj(cur, "status"), "conditions");
    if (!cJSON_IsArray(conds)) {
      conds = cJSON_CreateArray();
      jset(jobj(cur, "status"), "conditions", conds);
    }
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "Terminating");
    cJSON_AddStringToObject(c, "status", "True");
    cJSON_AddStringToObject(c, "lastTransitionTime", ts);
    cJSON_AddStringToObject(c, "reason", "InstanceDeletionInProgress");
    cJSON_AddStringToObject(c, "message", "CustomResource deletion is in progress");
    cJSON_AddItemToArray(conds, c);
  }
  if (dry_run) {
    kblob *b = kb_from_json(cur);
    cJSON_Delete(cur);
    return b;
  }
  if (st->builtin == KB_CRD) {
    ktype *ct = crd_type(o->name);
    if (ct) ct->terminating = true;
  }
  store_replace(st, o, cur, store_next_rv());
  gc_kick();
  return kb_ref(o->json);
}

typedef struct delopts {
  char propagation[32];
  bool dry_run;
  char pre_uid[64], pre_rv[32];
} delopts;

static bool parse_delopts(kreq *r, delopts *d) {
  memset(d, 0, sizeof *d);
  const char *q = req_query(r, "propagationPolicy");
  if (q) snprintf(d->propagation, sizeof d->propagation, "%s", q);
  const char *dr = req_query(r, "dryRun");
  d->dry_run = dr && strcmp(dr, "All") == 0;
  if (r->body && r->body_len) {
    cJSON *b = cJSON_ParseWithLength(r->body, r->body_len);
    if (!cJSON_IsObject(b)) {
      cJSON_Delete(b);
      resp_status(r, 400, "BadRequest", NULL, "the body of the request could not be decoded as DeleteOptions");
      return false;
    }
    const char *pp = jstr(b, "propagationPolicy");
    if (pp) snprintf(d->propagation, sizeof d->propagation, "%s", pp);
    cJSON *od = jget(b, "orphanDependents");
    if (cJSON_IsBool(od) && !d->propagation[0]) snprintf(d->propagation, sizeof d->propagation, "%s",
                                                        cJSON_IsTrue(od) ? "Orphan" : "Background");
    if (arr_has(jget(b, "dryRun"), "All")) d->dry_run = true;
    cJSON *pre = jget(b, "preconditions");
    if (jstr(pre, "uid")) snprintf(d->pre_uid, sizeof d->pre_uid, "%s", jstr(pre, "uid"));
    if (jstr(pre, "resourceVersion")) snprintf(d->pre_rv, sizeof d->pre_rv, "%s", jstr(pre, "resourceVersion"));
    cJSON_Delete(b);
  }
  if (d->propagation[0] && strcmp(d->propagation, "Background") != 0 && strcmp(d->propagation, "Foreground") != 0 &&
      strcmp(d->propagation, "Orphan") != 0) {
    resp_status(r, 400, "BadRequest", NULL,
                "propagationPolicy: Unsupported value: \"%s\": supported values: \"Foreground\", \"Background\", "
                "\"Orphan\"",
                d->propagation);
    return false;
  }
  return true;
}

void verb_delete(kreq *r, kroute *rt) {
  ktype *t = rt->t;
  delopts d;
  if (!parse_delopts(r, &d)) return;
  kobj *o = store_get(t, rt->ns, rt->name);
  if (!o) {
    resp_not_found(r, t, rt->name);
    return;
  }
  char q[512];
  qualified_resource(t, q, sizeof q);
  kdetails det = {.name = o->name, .group = t->group[0] ? t->group : NULL, .kind = t->plural};
  if (d.pre_uid[0] && strcmp(d.pre_uid, o->uid) != 0) {
    resp_status(r, 409, "Conflict", &det,
                "Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in precondition: %s, UID in "
                "object meta: %s",
                q, o->name, d.pre_uid, o->uid);
    return;
  }
  if (d.pre_rv[0] && strtoull(d.pre_rv, NULL, 10) != o->rv) {
    resp_status(r, 409, "Conflict", &det,
                "Operation cannot be fulfilled on %s \"%s\": Precondition failed: ResourceVersion in precondition: "
                "%s, ResourceVersion in object meta: %llu",
                q, o->name, d.pre_rv, (unsigned long long)o->rv);
    return;
  }
  char uid[40], name[300];
  snprintf(uid, sizeof uid, "%s", o->uid);
  snprintf(name, sizeof name, "%s", o->name);
  bool removed;
  kblob *b = obj_delete(t, o, d.propagation[0] ? d.propagation : NULL, d.dry_run, &removed);
  if (removed) {
    kdetails ok = {.name = name, .group = t->group[0] ? t->group : NULL, .kind = t->plural, .uid = uid};
    cJSON *s = status_json(200, NULL, &ok, NULL);
    resp_json(r, 200, s);
    cJSON_Delete(s);
  } else {
    r->out.len = 0;
    emit_object(&r->out, t, rt->v, b, false);
    r->status = 200;
    r->out_type = "application/json";
  }
  kb_unref(b);
}

void verb_deletecollection(kreq *r, kroute *rt) {
  ktype *t = rt->t, *st = t->store;
  delopts d;
  if (!parse_delopts(r, &d)) return;
  ksel *ls = NULL, *fs = NULL;
  if (!parse_selectors(r, t, &ls, &fs)) return;
  size_t n = 0;
  char **keys = calloc(st->n + 1, sizeof *keys);
  if (!keys) abort();
  for (size_t i = 0; i < st->n; i++) {
    kobj *o = st->objs[i];
    if (rt->has_ns && strcmp(o->ns, rt->ns) != 0) continue;
    if (ls && !sel_match_labels(ls, o->labels)) continue;
    if (fs) {
      cJSON *j = cJSON_ParseWithLength(o->json->s, o->json->len);
      bool m = sel_match_fields(fs, j);
      cJSON_Delete(j);
      if (!m) continue;
    }
    keys[n++] = strdup(o->key);
  }
  kbuf items = {0};
  size_t cnt = 0;
  for (size_t i = 0; i < n; i++) {
    size_t at = store_lower_bound(st, keys[i]);
    if (at < st->n && strcmp(st->objs[at]->key, keys[i]) == 0) {
      bool removed;
      kblob *b = obj_delete(t, st->objs[at], d.propagation[0] ? d.propagation : NULL, d.dry_run, &removed);
      if (cnt++) kbuf_puts(&items, ",");
      emit_object(&items, t, rt->v, b, t->builtin != KB_CUSTOM);
      kb_unref(b);
    }
    free(keys[i]);
  }
  free(keys);
  char gv[300];
  if (t->group[0])
    snprintf(gv, sizeof gv, "%s/%s", t->group, rt->v->name);
  else
    snprintf(gv, sizeof gv, "%s", rt->v->name);
  r->out.len = 0;
  kbuf_printf(&r->out, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\"},\"items\":[",
              t->list_kind, gv, (unsigned long long)KS.rv);
  if (items.len) kbuf_add(&r->out, items.s, items.len);
  kbuf_puts(&r->out, "]}");
  kbuf_free(&items);
  r->status = 200;
  r->out_type = "application/json";
  sel_free(ls);
  sel_free(fs);
}
