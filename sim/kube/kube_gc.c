/* kube_gc.c — the emulator's controllers, run on one background thread:
 *  - namespace lifecycle: a terminating namespace's contents are deleted, then the namespace;
 *  - CRD cleanup: a terminating CRD's objects are deleted, its watches end, then it goes;
 *  - garbage collection (switchable): dependents whose owners are all gone are deleted
 *    (background), dangling references beside live owners are dropped, the orphan and
 *    foregroundDeletion finalizers are honoured. An owner reference to a namespaced owner only
 *    resolves in the dependent's namespace.
 * Namespace/CRD passes run when a delete or marking set gc_dirty; ownership checks come from the
 * work queue kube_gc_index.c fills on each write (only the objects that write can affect). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube_sim.h"

#define CRD_FINALIZER "customresourcecleanup.apiextensions.k8s.io"

static pthread_t gc_thread;
static bool gc_running, gc_stop_flag;

void gc_kick(void) {
  KS.gc_dirty = true;
  pthread_cond_broadcast(&KS.cond);
}

static cJSON *load(const kobj *o) {
  cJSON *j = cJSON_ParseWithLength(o->json->s, o->json->len);
  if (!j) abort();
  return j;
}

static bool terminating(const kobj *o) { return strstr(o->json->s, "\"deletionTimestamp\":") != NULL; }

static bool remove_finalizer(cJSON *obj, const char *f) {
  cJSON *fins = jget(jget(obj, "metadata"), "finalizers");
  int i = 0;
  cJSON *c;
  cJSON_ArrayForEach(c, fins) {
    if (cJSON_IsString(c) && strcmp(c->valuestring, f) == 0) {
      cJSON_DeleteItemFromArray(fins, i);
      if (cJSON_GetArraySize(fins) == 0) jdel(jget(obj, "metadata"), "finalizers");
      return true;
    }
    i++;
  }
  return false;
}

static bool has_finalizer(const kobj *o, const char *f) {
  char pat[200];
  snprintf(pat, sizeof pat, "\"%s\"", f);
  const char *fi = strstr(o->json->s, "\"finalizers\":[");
  if (!fi) return false;
  const char *end = strchr(fi, ']');
  const char *hit = strstr(fi, pat);
  return hit && end && hit < end;
}

typedef struct ref {
  ktype *t;
  char *key;
} ref;

static size_t collect(ref **out, bool (*pred)(const ktype *, const kobj *, const void *), const void *arg) {
  size_t n = 0, cap = 0;
  *out = NULL;
  for (ktype *t = KS.types; t; t = t->next) {
    if (t->removed || t->store != t) continue;
    for (size_t i = 0; i < t->n; i++) {
      if (!pred(t, t->objs[i], arg)) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 32;
        ref *p = realloc(*out, cap * sizeof *p);
        if (!p) abort();
        *out = p;
      }
      (*out)[n].t = t;
      (*out)[n].key = strdup(t->objs[i]->key);
      n++;
    }
  }
  return n;
}

static kobj *resolve(ref *r) {
  if (r->t->removed) return NULL;
  size_t i = store_lower_bound(r->t, r->key);
  return i < r->t->n && strcmp(r->t->objs[i]->key, r->key) == 0 ? r->t->objs[i] : NULL;
}

static void free_refs(ref *r, size_t n) {
  for (size_t i = 0; i < n; i++) free(r[i].key);
  free(r);
}

static bool in_namespace(const ktype *t, const kobj *o, const void *ns) {
  return t->namespaced && strcmp(o->ns, (const char *)ns) == 0;
}

static bool namespaces_pass(void) {
  bool changed = false;
  ktype *nst = store_builtin(KB_NAMESPACE);
  ref *nss;
  size_t nn = 0;
  nss = NULL;
  for (size_t i = 0; i < nst->n; i++) {
    if (!terminating(nst->objs[i])) continue;
    ref *p = realloc(nss, (nn + 1) * sizeof *p);
    if (!p) abort();
    nss = p;
    nss[nn].t = nst;
    nss[nn].key = strdup(nst->objs[i]->key);
    nn++;
  }
  for (size_t k = 0; k < nn; k++) {
    kobj *ns = resolve(&nss[k]);
    if (!ns) continue;
    ref *items;
    size_t n = collect(&items, in_namespace, ns->name);
    for (size_t i = 0; i < n; i++) {
      kobj *o = resolve(&items[i]);
      if (o && !terminating(o)) {
        bool removed;
        kb_unref(obj_delete(items[i].t, o, NULL, false, &removed));
        changed = true;
      }
    }
    free_refs(items, n);
    n = collect(&items, in_namespace, ns->name);
    free_refs(items, n);
    if (n == 0) {
      /* the namespace controller owns spec.finalizer "kubernetes"; others (set through /finalize) and
       * metadata.finalizers keep the namespace until their owners remove them */
      cJSON *cur = load(ns);
      cJSON *sf = jget(jget(cur, "spec"), "finalizers");
      bool had = false;
      for (int i = cJSON_GetArraySize(sf) - 1; i >= 0; i--) {
        cJSON *f = cJSON_GetArrayItem(sf, i);
        if (cJSON_IsString(f) && strcmp(f->valuestring, "kubernetes") == 0) {
          cJSON_DeleteItemFromArray(sf, i);
          had = true;
        }
      }
      if (cJSON_GetArraySize(sf) == 0 && cJSON_GetArraySize(jget(jget(cur, "metadata"), "finalizers")) == 0) {
        kb_unref(store_remove(nst, ns, cur, store_next_rv()));
        changed = true;
      } else if (had) {
        store_replace(nst, ns, cur, store_next_rv());
        changed = true;
      } else {
        cJSON_Delete(cur);
      }
    }
  }
  free_refs(nss, nn);
  return changed;
}

static bool crds_pass(void) {
  bool changed = false;
  ktype *ct = store_builtin(KB_CRD);
  for (size_t i = 0; i < ct->n; i++) {
    kobj *crd = ct->objs[i];
    if (!terminating(crd) || !has_finalizer(crd, CRD_FINALIZER)) continue;
    ktype *t = crd_type(crd->name);
    if (t && t->n) {
      for (size_t k = t->n; k > 0; k--) {
        kobj *o = t->objs[k - 1];
        if (!terminating(o)) {
          bool removed;
          kb_unref(obj_delete(t, o, NULL, false, &removed));
          changed = true;
        }
      }
      if (t->n) continue;
    }
    if (t) crd_unregister(crd->name);
    cJSON *cur = load(crd);
    remove_finalizer(cur, CRD_FINALIZER);
    bool removed;
    kb_unref(obj_commit(ct, crd, cur, &removed));
    return true; /* the array changed under us; run again */
  }
  return changed;
}

/* Resolve an owner reference of a dependent in namespace dep_ns. An owner reference to a
 * namespaced owner only resolves in the dependent's namespace; a name, when given, must match. */
static kobj *owner_resolve(const char *uid, const char *name, const char *dep_ns) {
  if (!uid || !*uid) return NULL;
  ktype *ot = NULL;
  kobj *ow = store_get_uid(uid, &ot);
  if (!ow) return NULL;
  if (ot->namespaced && (!dep_ns || !*dep_ns || strcmp(ow->ns, dep_ns) != 0)) return NULL;
  if (name && strcmp(name, ow->name) != 0) return NULL;
  return ow;
}

static bool orphaning(const kobj *ow) { return (ow->gcbits & KGC_TERM) && (ow->gcbits & KGC_ORPHAN); }
static bool foreground(const kobj *ow) { return (ow->gcbits & KGC_TERM) && (ow->gcbits & KGC_FG); }

/* One dependent: deleted when all its owners are gone or one is being deleted in the foreground;
 * references to vanished owners beside live ones, and to orphaning owners, are dropped.
 * Decided from the cached references; the object is parsed only when it is edited. */
static bool check_dependent(ktype *t, kobj *d) {
  KS.gc_visited++;
  int solid = 0, dangling = 0;
  bool fg = false, drop_any = false;
  for (int k = 0; k < d->norefs; k++) {
    kobj *ow = owner_resolve(d->orefs[k].uid, d->orefs[k].name, d->ns);
    if (!ow)
      dangling++;
    else if (orphaning(ow))
      drop_any = true;
    else {
      if (foreground(ow)) fg = true;
      solid++;
    }
  }
  if ((solid == 0 && dangling > 0) || fg) {
    if (d->gcbits & KGC_TERM) return false;
    bool removed;
    kb_unref(obj_delete(t, d, NULL, false, &removed));
    return true;
  }
  if (!dangling && !drop_any) return false;
  cJSON *cur = load(d);
  cJSON *refs = jget(jget(cur, "metadata"), "ownerReferences");
  for (int k = cJSON_GetArraySize(refs) - 1; k >= 0; k--) {
    cJSON *rf = cJSON_GetArrayItem(refs, k);
    kobj *ow = owner_resolve(jstr(rf, "uid"), jstr(rf, "name"), d->ns);
    if (!ow || orphaning(ow)) cJSON_DeleteItemFromArray(refs, k);
  }
  bool removed;
  kb_unref(obj_commit(t, d, cur, &removed));
  return true;
}

/* One owner waiting on orphaning (until nothing references it) or foreground deletion (until no
 * reference blocks it): visits only its dependents, through the owner index. */
static bool check_owner(ktype *t, kobj *ow) {
  KS.gc_visited++;
  if (!orphaning(ow) && !foreground(ow)) return false;
  bool referenced = false, blocking = false;
  size_t n;
  kobj *const *deps = gcx_dependents(ow->uid, &n);
  for (size_t i = 0; i < n; i++) {
    KS.gc_visited++;
    for (int k = 0; k < deps[i]->norefs; k++) {
      if (strcmp(deps[i]->orefs[k].uid, ow->uid) != 0) continue;
      referenced = true;
      if (deps[i]->orefs[k].block) blocking = true;
    }
  }
  bool drop_orphan = !referenced && has_finalizer(ow, "orphan");
  bool drop_fg = !blocking && has_finalizer(ow, "foregroundDeletion");
  if (!drop_orphan && !drop_fg) return false;
  cJSON *cur = load(ow);
  bool edit = false;
  if (drop_orphan) edit |= remove_finalizer(cur, "orphan");
  if (drop_fg) edit |= remove_finalizer(cur, "foregroundDeletion");
  if (!edit) {
    cJSON_Delete(cur);
    return false;
  }
  bool removed;
  kb_unref(obj_commit(t, ow, cur, &removed));
  return true;
}

/* Drain the queue of checks the store's writes produced (kube_gc_index.c). */
static bool ownership_pass(void) {
  bool changed = false;
  ktype *t;
  bool owner_check;
  kobj *o;
  while ((o = gcx_pop(&t, &owner_check)) != NULL) {
    if (t->removed) continue;
    changed |= owner_check ? check_owner(t, o) : check_dependent(t, o);
  }
  return changed;
}

static void *gc_main(void *arg) {
  (void)arg;
  KS_LOCK();
  while (!gc_stop_flag) {
    if (!KS.gc_dirty && !(KS.gc_enabled && gcx_pending())) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_sec += 1;
      pthread_cond_timedwait(&KS.cond, &KS.lock, &ts);
      continue;
    }
    /* namespace and CRD controllers scan their (few) objects only after deletes and markings;
     * ownership work is the queue alone, so a plain write to an owned object costs O(its refs) */
    for (int round = 0; round < 50; round++) {
      bool ch = false;
      if (KS.gc_dirty) {
        KS.gc_dirty = false;
        ch |= namespaces_pass();
        ch |= crds_pass();
      }
      if (KS.gc_enabled) ch |= ownership_pass();
      if (!ch && !KS.gc_dirty) break;
    }
  }
  KS_UNLOCK();
  return NULL;
}

void gc_start(void) {
  gc_stop_flag = false;
  if (pthread_create(&gc_thread, NULL, gc_main, NULL) == 0) gc_running = true;
}

void gc_stop(void) {
  if (!gc_running) return;
  KS_LOCK();
  gc_stop_flag = true;
  pthread_cond_broadcast(&KS.cond);
  KS_UNLOCK();
  pthread_join(gc_thread, NULL);
  gc_running = false;
}
