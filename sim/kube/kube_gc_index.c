/* kube_gc_index.c — what keeps garbage collection proportional to the change: an owner-UID ->
 * dependents index maintained on every stored write, each object's owner references and
 * deletion state cached from the tree being stored (the GC never re-parses to decide), and a
 * de-duplicated queue of checks (dependent / pending owner) the GC thread drains.
 * A write enqueues only what it can affect: the written object if it has owners, its owners if
 * they wait on orphaning or foreground deletion, and its dependents when it goes away or starts
 * terminating. All functions need KS.lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_sim.h"

/* ---- owner UID -> dependents (chained hash) ---- */
typedef struct oentry {
  char uid[40];
  kobj **deps; /* one slot per reference: an object naming the owner twice appears twice */
  size_t n, cap;
  struct oentry *next;
} oentry;
static oentry **obuckets;
static size_t onb, ocount;

static size_t ohash(const char *s) {
  size_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static oentry *ofind(const char *uid) {
  if (!onb) return NULL;
  for (oentry *e = obuckets[ohash(uid) % onb]; e; e = e->next)
    if (strcmp(e->uid, uid) == 0) return e;
  return NULL;
}

static void ogrow(void) {
  size_t nb = onb ? onb * 2 : 1024;
  oentry **b = calloc(nb, sizeof *b);
  if (!b) abort();
  for (size_t i = 0; i < onb; i++) {
    for (oentry *e = obuckets[i], *nx; e; e = nx) {
      nx = e->next;
      size_t k = ohash(e->uid) % nb;
      e->next = b[k];
      b[k] = e;
    }
  }
  free(obuckets);
  obuckets = b;
  onb = nb;
}

static void index_add(const char *uid, kobj *d) {
  oentry *e = ofind(uid);
  if (!e) {
    if (ocount + 1 > onb) ogrow();
    e = calloc(1, sizeof *e);
    if (!e) abort();
    snprintf(e->uid, sizeof e->uid, "%s", uid);
    size_t k = ohash(uid) % onb;
    e->next = obuckets[k];
    obuckets[k] = e;
    ocount++;
  }
  if (e->n == e->cap) {
    e->cap = e->cap ? e->cap * 2 : 4;
    kobj **p = realloc(e->deps, e->cap * sizeof *p);
    if (!p) abort();
    e->deps = p;
  }
  e->deps[e->n++] = d;
}

static void index_del(const char *uid, kobj *d) {
  if (!onb) return;
  size_t k = ohash(uid) % onb;
  for (oentry **pp = &obuckets[k]; *pp; pp = &(*pp)->next) {
    oentry *e = *pp;
    if (strcmp(e->uid, uid) != 0) continue;
    for (size_t i = 0; i < e->n; i++) {
      if (e->deps[i] != d) continue;
      e->deps[i] = e->deps[--e->n]; /* order does not matter */
      break;
    }
    if (e->n == 0) { /* nothing depends on this UID any more: drop the entry */
      *pp = e->next;
      free(e->deps);
      free(e);
      ocount--;
    }
    return;
  }
}

kobj *const *gcx_dependents(const char *uid, size_t *n) {
  oentry *e = uid ? ofind(uid) : NULL;
  *n = e ? e->n : 0;
  return e ? e->deps : NULL;
}

/* ---- work queue: (kind, uid); resolved at pop time so removed objects drop out ---- */
typedef struct qitem {
  char uid[40];
  bool owner;
} qitem;
static qitem *q;
static size_t qhead, qtail, qcap;

static void qpush(kobj *o, bool owner) {
  bool *flag = owner ? &o->gcq_owner : &o->gcq_dep;
  if (*flag || !KS.gc_enabled) return;
  *flag = true;
  if (qtail == qcap) {
    if (qhead > 0) { /* reuse the consumed front */
      memmove(q, q + qhead, (qtail - qhead) * sizeof *q);
      qtail -= qhead;
      qhead = 0;
    }
    if (qtail == qcap) {
      qcap = qcap ? qcap * 2 : 256;
      qitem *p = realloc(q, qcap * sizeof *p);
      if (!p) abort();
      q = p;
    }
  }
  snprintf(q[qtail].uid, sizeof q[qtail].uid, "%s", o->uid);
  q[qtail].owner = owner;
  qtail++;
}

bool gcx_pending(void) { return qhead < qtail; }

kobj *gcx_pop(ktype **t, bool *owner_check) {
  while (qhead < qtail) {
    qitem it = q[qhead++];
    if (qhead == qtail) qhead = qtail = 0;
    kobj *o = store_get_uid(it.uid, t);
    if (!o) continue;
    bool *flag = it.owner ? &o->gcq_owner : &o->gcq_dep;
    if (!*flag) continue;
    *flag = false;
    *owner_check = it.owner;
    return o;
  }
  return NULL;
}

/* ---- cached view of an object ---- */
static unsigned bits_of(const cJSON *obj) {
  const cJSON *md = jget(obj, "metadata");
  unsigned b = jget(md, "deletionTimestamp") && !cJSON_IsNull(jget(md, "deletionTimestamp")) ? KGC_TERM : 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, jget(md, "finalizers")) {
    if (!cJSON_IsString(f)) continue;
    if (strcmp(f->valuestring, "orphan") == 0) b |= KGC_ORPHAN;
    if (strcmp(f->valuestring, "foregroundDeletion") == 0) b |= KGC_FG;
  }
  return b;
}

static void drop_refs(kobj *o) {
  for (int i = 0; i < o->norefs; i++) {
    index_del(o->orefs[i].uid, o);
    free(o->orefs[i].name);
  }
  free(o->orefs);
  o->orefs = NULL;
  o->norefs = 0;
}

static void load_refs(kobj *o, const cJSON *obj) {
  const cJSON *refs = jget(jget(obj, "metadata"), "ownerReferences");
  int n = cJSON_IsArray(refs) ? cJSON_GetArraySize(refs) : 0;
  if (n <= 0) return;
  o->orefs = calloc((size_t)n, sizeof *o->orefs);
  if (!o->orefs) abort();
  const cJSON *rf;
  int i = 0;
  cJSON_ArrayForEach(rf, refs) {
    kownref *r = &o->orefs[i++];
    const char *uid = cJSON_IsObject(rf) ? jstr(rf, "uid") : NULL;
    snprintf(r->uid, sizeof r->uid, "%s", uid ? uid : "");
    const char *name = cJSON_IsObject(rf) ? jstr(rf, "name") : NULL;
    r->name = name ? strdup(name) : NULL;
    r->block = cJSON_IsTrue(jget(rf, "blockOwnerDeletion"));
    index_add(r->uid, o);
  }
  o->norefs = n;
}

static bool pending_owner(const kobj *ow) { return (ow->gcbits & KGC_TERM) && (ow->gcbits & (KGC_ORPHAN | KGC_FG)); }

/* Owners of o waiting for their dependents: a change to o may release them. */
static void queue_waiting_owners(const kobj *o) {
  for (int i = 0; i < o->norefs; i++) {
    kobj *ow = o->orefs[i].uid[0] ? store_get_uid(o->orefs[i].uid, NULL) : NULL;
    if (ow && pending_owner(ow)) qpush(ow, true);
  }
}

static void queue_dependents(const kobj *o) {
  size_t n;
  kobj *const *deps = gcx_dependents(o->uid, &n);
  for (size_t i = 0; i < n; i++) qpush(deps[i], false);
}

void gcx_on_insert(kobj *o, const cJSON *obj) {
  o->gcbits = bits_of(obj);
  load_refs(o, obj);
  if (o->norefs) qpush(o, false);
  queue_waiting_owners(o);
  queue_dependents(o); /* references that dangled until now resolve */
  if (pending_owner(o)) qpush(o, true);
}

void gcx_on_replace(kobj *o, const cJSON *obj) {
  unsigned old_bits = o->gcbits;
  queue_waiting_owners(o); /* the old references may be going away */
  drop_refs(o);
  o->gcbits = bits_of(obj);
  load_refs(o, obj);
  if (o->norefs) qpush(o, false);
  queue_waiting_owners(o);
  /* dependents only care when this object starts terminating or its orphan/foreground state moves */
  if ((o->gcbits & KGC_TERM) && o->gcbits != old_bits) queue_dependents(o);
  if (pending_owner(o)) qpush(o, true);
}

void gcx_on_remove(kobj *o) {
  queue_waiting_owners(o);
  queue_dependents(o); /* their owner is gone */
  drop_refs(o);
}

static void clear_index(void) {
  for (size_t i = 0; i < onb; i++) {
    for (oentry *e = obuckets[i], *nx; e; e = nx) {
      nx = e->next;
      free(e->deps);
      free(e);
    }
    obuckets[i] = NULL;
  }
  ocount = 0;
  qhead = qtail = 0;
}

/* Objects are freed by the store right after; their orefs are released there. */
void gcx_reset(void) { clear_index(); }

void gcx_free(void) {
  clear_index();
  free(obuckets);
  obuckets = NULL;
  onb = 0;
  free(q);
  q = NULL;
  qcap = 0;
}

void gcx_requeue_all(void) {
  for (ktype *t = KS.types; t; t = t->next) {
    if (t->removed || t->store != t) continue;
    for (size_t i = 0; i < t->n; i++) {
      kobj *o = t->objs[i];
      if (o->norefs) qpush(o, false);
      if (pending_owner(o)) qpush(o, true);
    }
  }
}
