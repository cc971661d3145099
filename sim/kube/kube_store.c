/* kube_store.c — the in-memory object store: resource types, objects sorted by key, a uid
 * index, and the global resourceVersion. Every stored write appends a watch event.
 * All functions need KS.lock. */
#include "kube_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ksim KS = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .rv = 1000};

/* ---- uid index: chained hash, uid -> (type, object) ---- */
typedef struct uident {
  kobj *o;
  ktype *t;
  struct uident *next;
} uident;
static uident **ubuckets;
static size_t unb, ucount;

static size_t uhash(const char *s) {
  size_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void uid_grow(void) {
  size_t nb = unb ? unb * 2 : 1024;
  uident **b = calloc(nb, sizeof *b);
  if (!b) abort();
  for (size_t i = 0; i < unb; i++) {
    for (uident *e = ubuckets[i], *nx; e; e = nx) {
      nx = e->next;
      size_t k = uhash(e->o->uid) % nb;
      e->next = b[k];
      b[k] = e;
    }
  }
  free(ubuckets);
  ubuckets = b;
  unb = nb;
}

static void uid_put(ktype *t, kobj *o) {
  if (ucount + 1 > unb) uid_grow();
  uident *e = malloc(sizeof *e);
  if (!e) abort();
  e->o = o;
  e->t = t;
  size_t k = uhash(o->uid) % unb;
  e->next = ubuckets[k];
  ubuckets[k] = e;
  ucount++;
}

static void uid_del(kobj *o) {
  if (!unb) return;
  size_t k = uhash(o->uid) % unb;
  for (uident **pp = &ubuckets[k]; *pp; pp = &(*pp)->next) {
    if ((*pp)->o == o) {
      uident *e = *pp;
      *pp = e->next;
      free(e);
      ucount--;
      return;
    }
  }
}

kobj *store_get_uid(const char *uid, ktype **type_out) {
  if (!unb || !uid) return NULL;
  for (uident *e = ubuckets[uhash(uid) % unb]; e; e = e->next) {
    if (strcmp(e->o->uid, uid) == 0) {
      if (type_out) *type_out = e->t;
      return e->o;
    }
  }
  return NULL;
}

/* ---- types ---- */
ktype *store_add_type(void) {
  ktype *t = calloc(1, sizeof *t);
  if (!t) abort();
  t->store = t;
  ktype **pp = &KS.types;
  while (*pp) pp = &(*pp)->next;
  *pp = t;
  return t;
}

static ktype *add_builtin(enum kbuiltin b, const char *group, const char *version, const char *plural,
                          const char *singular, const char *kind, bool namespaced, const char *shorts,
                          bool status_sub) {
  ktype *t = store_add_type();
  t->builtin = b;
  t->group = strdup(group);
  t->plural = strdup(plural);
  t->singular = strdup(singular);
  t->kind = strdup(kind);
  char lk[128];
  snprintf(lk, sizeof lk, "%sList", kind);
  t->list_kind = strdup(lk);
  t->namespaced = namespaced;
  if (shorts) {
    t->short_names = cJSON_CreateArray();
    char buf[128];
    snprintf(buf, sizeof buf, "%s", shorts);
    char *save = NULL;
    for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
      cJSON_AddItemToArray(t->short_names, cJSON_CreateString(s));
  }
  t->versions = calloc(1, sizeof *t->versions);
  if (!t->versions) abort();
  t->nversions = 1;
  t->versions[0].name = strdup(version);
  t->versions[0].served = t->versions[0].storage = true;
  t->versions[0].status_sub = status_sub;
  return t;
}

static void free_obj(kobj *o) {
  free(o->key);
  free(o->ns);
  free(o->name);
  kb_unref(o->json);
  cJSON_Delete(o->labels);
  cJSON_Delete(o->managers);
  for (int i = 0; i < o->norefs; i++) free(o->orefs[i].name);
  free(o->orefs);
  free(o);
}

static void free_type(ktype *t) {
  for (size_t i = 0; i < t->n; i++) {
    uid_del(t->objs[i]);
    free_obj(t->objs[i]);
  }
  free(t->objs);
  for (int i = 0; i < t->nversions; i++) free(t->versions[i].name);
  free(t->versions);
  free(t->group);
  free(t->plural);
  free(t->singular);
  free(t->kind);
  free(t->list_kind);
  free(t->crd_name);
  cJSON_Delete(t->short_names);
  cJSON_Delete(t->categories);
  cJSON_Delete(t->crd);
  free(t);
}

ktype *store_builtin(enum kbuiltin b) {
  for (ktype *t = KS.types; t; t = t->next)
    if (t->builtin == b && !t->removed) return t;
  return NULL;
}

static void seed_namespaces(void);

static void add_builtins(void) {
  add_builtin(KB_NAMESPACE, "", "v1", "namespaces", "namespace", "Namespace", false, "ns", true);
  add_builtin(KB_CONFIGMAP, "", "v1", "configmaps", "configmap", "ConfigMap", true, "cm", false);
  add_builtin(KB_SECRET, "", "v1", "secrets", "secret", "Secret", true, NULL, false);
  ktype *ev = add_builtin(KB_EVENT, "", "v1", "events", "event", "Event", true, "ev", false);
  ktype *ev1 = add_builtin(KB_EVENT_V1, "events.k8s.io", "v1", "events", "event", "Event", true, "ev", false);
  ev1->store = ev;
  add_builtin(KB_LEASE, "coordination.k8s.io", "v1", "leases", "lease", "Lease", true, NULL, false);
  add_builtin(KB_CRD, "apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
              "CustomResourceDefinition", false, "crd,crds", true);
  add_builtin(KB_TOKENREVIEW, "authentication.k8s.io", "v1", "tokenreviews", "", "TokenReview", false, NULL, false);
  add_builtin(KB_SUBJECTACCESSREVIEW, "authorization.k8s.io", "v1", "subjectaccessreviews", "",
              "SubjectAccessReview", false, NULL, false);
  add_builtin(KB_SELFSUBJECTACCESSREVIEW, "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "",
              "SelfSubjectAccessReview", false, NULL, false);
}

void store_init(void) {
  add_builtins();
  seed_namespaces();
}

void store_free_all(void) {
  gcx_free();
  for (ktype *t = KS.types, *nx; t; t = nx) {
    nx = t->next;
    free_type(t);
  }
  KS.types = NULL;
  free(ubuckets);
  ubuckets = NULL;
  unb = ucount = 0;
}

/* Types are never freed before exit: watch streams and the event log may still point at them. */
void store_reset(void) {
  gcx_reset();
  for (ktype *t = KS.types; t; t = t->next) {
    if (t->removed) continue;
    for (size_t i = 0; i < t->n; i++) free_obj(t->objs[i]);
    t->n = 0;
    t->removed = true;
  }
  for (size_t i = 0; i < unb; i++) {
    for (uident *e = ubuckets[i], *nx; e; e = nx) {
      nx = e->next;
      free(e);
    }
    ubuckets[i] = NULL;
  }
  ucount = 0;
  evlog_compact();
  store_init();
}

const kversion *type_version(const ktype *t, const char *version) {
  for (int i = 0; i < t->nversions; i++)
    if (t->versions[i].served && strcmp(t->versions[i].name, version) == 0) return &t->versions[i];
  return NULL;
}

ktype *store_find_type(const char *group, const char *version, const char *plural) {
  for (ktype *t = KS.types; t; t = t->next) {
    if (t->removed || strcmp(t->group, group) != 0 || strcmp(t->plural, plural) != 0) continue;
    if (version && !type_version(t, version)) continue;
    return t;
  }
  return NULL;
}

ktype *store_find_type_by_kind(const char *group, const char *kind) {
  for (ktype *t = KS.types; t; t = t->next)
    if (!t->removed && strcmp(t->group, group) == 0 && strcmp(t->kind, kind) == 0) return t;
  return NULL;
}

void make_key(char *out, size_t n, const char *ns, const char *name) {
  if (ns && *ns)
    snprintf(out, n, "%s/%s", ns, name);
  else
    snprintf(out, n, "%s", name);
}

size_t store_lower_bound(ktype *t, const char *key) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(t->objs[mid]->key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

kobj *store_get(ktype *t, const char *ns, const char *name) {
  t = t->store;
  char key[600];
  make_key(key, sizeof key, t->namespaced ? ns : NULL, name);
  size_t i = store_lower_bound(t, key);
  if (i < t->n && strcmp(t->objs[i]->key, key) == 0) return t->objs[i];
  return NULL;
}

uint64_t store_next_rv(void) { return ++KS.rv; }

/* Stamp rv, move apiVersion/kind to the front (storage version) and print. */
static kblob *finalize(ktype *t, cJSON *obj, uint64_t rv) {
  char rvs[32];
  snprintf(rvs, sizeof rvs, "%llu", (unsigned long long)rv);
  jset_str(jobj(obj, "metadata"), "resourceVersion", rvs);
  char av[300];
  const char *ver = t->versions[t->storage_idx].name;
  if (t->group[0])
    snprintf(av, sizeof av, "%s/%s", t->group, ver);
  else
    snprintf(av, sizeof av, "%s", ver);
  json_front(obj, av, t->kind);
  kblob *b = kb_from_json(obj);
  b->sgen = t->schema_gen;
  return b;
}

static void set_labels(kobj *o, const cJSON *obj) {
  cJSON_Delete(o->labels);
  cJSON *l = jget(jget(obj, "metadata"), "labels");
  o->labels = cJSON_IsObject(l) ? cJSON_Duplicate(l, 1) : NULL;
}

kobj *store_insert(ktype *t, cJSON *obj, uint64_t rv) {
  t = t->store;
  cJSON *md = jget(obj, "metadata");
  const char *ns = t->namespaced ? jstr(md, "namespace") : "";
  const char *name = jstr(md, "name");
  kobj *o = calloc(1, sizeof *o);
  if (!o) abort();
  char key[600];
  make_key(key, sizeof key, ns, name);
  o->key = strdup(key);
  o->ns = strdup(ns ? ns : "");
  o->name = strdup(name ? name : "");
  snprintf(o->uid, sizeof o->uid, "%s", jstr(md, "uid") ? jstr(md, "uid") : "");
  o->rv = rv;
  o->json = finalize(t, obj, rv);
  set_labels(o, obj);
  size_t i = store_lower_bound(t, o->key);
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 64;
    kobj **p = realloc(t->objs, t->cap * sizeof *p);
    if (!p) abort();
    t->objs = p;
  }
  memmove(&t->objs[i + 1], &t->objs[i], (t->n - i) * sizeof *t->objs);
  t->objs[i] = o;
  t->n++;
  uid_put(t, o);
  gcx_on_insert(o, obj);
  cJSON_Delete(obj);
  evlog_append(t, KEV_ADDED, o->json, NULL, rv);
  pthread_cond_broadcast(&KS.cond);
  return o;
}

void store_replace(ktype *t, kobj *o, cJSON *obj, uint64_t rv) {
  t = t->store;
  kblob *old = o->json;
  o->json = finalize(t, obj, rv);
  o->rv = rv;
  set_labels(o, obj);
  gcx_on_replace(o, obj);
  cJSON_Delete(obj);
  evlog_append(t, KEV_MODIFIED, o->json, old, rv);
  kb_unref(old);
  pthread_cond_broadcast(&KS.cond);
}

kblob *store_remove(ktype *t, kobj *o, cJSON *last, uint64_t rv) {
  t = t->store;
  size_t i = store_lower_bound(t, o->key);
  if (i < t->n && t->objs[i] == o) {
    memmove(&t->objs[i], &t->objs[i + 1], (t->n - i - 1) * sizeof *t->objs);
    t->n--;
  }
  uid_del(o);
  gcx_on_remove(o);
  kblob *fin = finalize(t, last, rv);
  evlog_append(t, KEV_DELETED, fin, o->json, rv);
  free_obj(o);
  cJSON_Delete(last);
  pthread_cond_broadcast(&KS.cond);
  KS.gc_dirty = true;
  return fin;
}

static void seed_namespaces(void) {
  static const char *names[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
  ktype *t = store_builtin(KB_NAMESPACE);
  for (size_t i = 0; i < 4; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON *md = jobj(o, "metadata");
    jset_str(md, "name", names[i]);
    char uid[40], ts[32];
    gen_uid(uid);
    now_rfc3339(ts);
    jset_str(md, "uid", uid);
    jset_str(md, "creationTimestamp", ts);
    cJSON *l = jobj(md, "labels");
    jset_str(l, "kubernetes.io/metadata.name", names[i]);
    cJSON *fin = cJSON_CreateArray();
    cJSON_AddItemToArray(fin, cJSON_CreateString("kubernetes"));
    jset(jobj(o, "spec"), "finalizers", fin);
    jset_str(jobj(o, "status"), "phase", "Active");
    store_insert(t, o, store_next_rv());
  }
}
