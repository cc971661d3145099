/* kc_obj.c — immutable, refcounted object snapshots (see capz/informer.h for the memory policy). */
#include "kube/kc_obj.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Stripe locks guard the lazily decoded tree without a mutex per object. */
#define N_STRIPES 64
static pthread_mutex_t g_stripes[N_STRIPES] = {[0 ... N_STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t *stripe(const capz_obj *o) { return &g_stripes[((uintptr_t)o >> 6) % N_STRIPES]; }

static const char *sget(const cJSON *o, const char *k) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
  return s ? s : "";
}

typedef struct kv {
  const char *k, *v;
} kv;

static int kv_cmp(const void *a, const void *b) { return strcmp(((const kv *)a)->k, ((const kv *)b)->k); }

/* Arena writer: strings are copied after the header; a two-pass build (size, then fill) keeps it one malloc. */
typedef struct arena {
  char *base;
  size_t off;
} arena;

static const char *put(arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  if (a->base) memcpy(a->base + a->off, s, n);
  const char *r = a->base ? a->base + a->off : NULL;
  a->off += n;
  return r;
}

static void *put_aligned(arena *a, size_t n) {
  a->off = (a->off + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
  void *r = a->base ? a->base + a->off : NULL;
  a->off += n;
  return r;
}

capz_obj *kc_obj_build(cJSON *tree) {
  cJSON *md = cJSON_GetObjectItemCaseSensitive(tree, "metadata");
  if (!cJSON_IsObject(md) || !*sget(md, "name")) {
    cJSON_Delete(tree);
    return NULL;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
  char *text = cJSON_PrintUnformatted(tree);
  if (!text) {
    cJSON_Delete(tree);
    return NULL;
  }
  size_t tlen = strlen(text);
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(md, "labels");
  const cJSON *owners = cJSON_GetObjectItemCaseSensitive(md, "ownerReferences");
  size_t nl = 0, no = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, labels) if (cJSON_IsString(e)) nl++;
  cJSON_ArrayForEach(e, owners) if (cJSON_IsObject(e)) no++;
  kv *lv = nl ? malloc(nl * sizeof *lv) : NULL;
  if (nl && !lv) {
    free(text);
    cJSON_Delete(tree);
    return NULL;
  }
  size_t i = 0;
  cJSON_ArrayForEach(e, labels) if (cJSON_IsString(e)) lv[i++] = (kv){e->string, e->valuestring};
  if (nl > 1) qsort(lv, nl, sizeof *lv, kv_cmp);

  capz_obj *o = NULL;
  for (int pass = 0; pass < 2; pass++) {
    arena a = {.base = o ? o->arena : NULL};
    const char **lab = put_aligned(&a, 2 * nl * sizeof(char *));
    kc_owner *ow = put_aligned(&a, no * sizeof(kc_owner));
    const char *ns = put(&a, sget(md, "namespace"));
    const char *name = put(&a, sget(md, "name"));
    const char *uid = put(&a, sget(md, "uid"));
    const char *rv = put(&a, sget(md, "resourceVersion"));
    for (i = 0; i < nl; i++) {
      const char *k = put(&a, lv[i].k), *v = put(&a, lv[i].v);
      if (o) lab[2 * i] = k, lab[2 * i + 1] = v;
    }
    i = 0;
    cJSON_ArrayForEach(e, owners) {
      if (!cJSON_IsObject(e)) continue;
      const char *av = put(&a, sget(e, "apiVersion")), *k = put(&a, sget(e, "kind")), *n = put(&a, sget(e, "name")),
                 *u = put(&a, sget(e, "uid"));
      if (o) ow[i++] = (kc_owner){av, k, n, u, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "controller"))};
    }
    char *json = (char *)put_aligned(&a, tlen + 1);
    if (!o) {
      size_t total = sizeof(capz_obj) + a.off;
      o = calloc(1, total);
      if (!o) break;
      o->size = (uint32_t)total;
      continue;
    }
    memcpy(json, text, tlen + 1);
    o->ns = ns, o->name = name, o->uid = uid, o->rv = rv;
    o->labels = lab, o->owners = ow, o->json = json;
    o->n_labels = (uint16_t)nl, o->n_owners = (uint16_t)no, o->json_len = (uint32_t)tlen;
  }
  free(lv);
  free(text);
  if (!o) {
    cJSON_Delete(tree);
    return NULL;
  }
  atomic_init(&o->refs, 1);
  atomic_init(&o->cached, false);
  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(md, "generation");
  o->generation = cJSON_IsNumber(gen) && gen->valuedouble > 0 ? (int64_t)gen->valuedouble : 0;
  o->deleting = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(md, "deletionTimestamp"));
  o->tree = tree;
  return o;
}

CAPZ_API capz_obj *capz_obj_from_json(const cJSON *obj) {
  cJSON *dup = obj ? cJSON_Duplicate(obj, 1) : NULL;
  return dup ? kc_obj_build(dup) : NULL;
}

CAPZ_API const capz_obj *capz_obj_ref(const capz_obj *o) {
  if (o) atomic_fetch_add(&((capz_obj *)o)->refs, 1);
  return o;
}

CAPZ_API void capz_obj_unref(const capz_obj *co) {
  capz_obj *o = (capz_obj *)co;
  if (!o) return;
  pthread_mutex_t *m = stripe(o);
  pthread_mutex_lock(m);
  int left = atomic_fetch_sub(&o->refs, 1) - 1;
  /* Only the cache holds it now: nobody can be reading the tree, drop it to keep the cache lean. */
  if (left == 1 && atomic_load(&o->cached) && o->tree) {
    cJSON_Delete(o->tree);
    o->tree = NULL;
  }
  pthread_mutex_unlock(m);
  if (left == 0) {
    cJSON_Delete(o->tree);
    free(o);
  }
}

void kc_obj_drop_tree(capz_obj *o) {
  pthread_mutex_t *m = stripe(o);
  pthread_mutex_lock(m);
  cJSON_Delete(o->tree);
  o->tree = NULL;
  pthread_mutex_unlock(m);
}

void kc_obj_set_cached(capz_obj *o, bool cached) {
  pthread_mutex_t *m = stripe(o);
  pthread_mutex_lock(m);
  atomic_store(&o->cached, cached);
  pthread_mutex_unlock(m);
}

CAPZ_API const cJSON *capz_obj_json(const capz_obj *co) {
  capz_obj *o = (capz_obj *)co;
  if (!o) return NULL;
  pthread_mutex_t *m = stripe(o);
  pthread_mutex_lock(m);
  if (!o->tree) o->tree = cJSON_ParseWithLength(o->json, o->json_len);
  const cJSON *t = o->tree;
  pthread_mutex_unlock(m);
  return t;
}

CAPZ_API const char *capz_obj_text(const capz_obj *o, size_t *len) {
  if (len) *len = o ? o->json_len : 0;
  return o ? o->json : NULL;
}

CAPZ_API const char *capz_obj_namespace(const capz_obj *o) { return o ? o->ns : ""; }
CAPZ_API const char *capz_obj_name(const capz_obj *o) { return o ? o->name : ""; }
CAPZ_API const char *capz_obj_uid(const capz_obj *o) { return o ? o->uid : ""; }
CAPZ_API const char *capz_obj_resource_version(const capz_obj *o) { return o ? o->rv : ""; }
CAPZ_API int64_t capz_obj_generation(const capz_obj *o) { return o ? o->generation : 0; }
CAPZ_API bool capz_obj_deleting(const capz_obj *o) { return o && o->deleting; }
CAPZ_API size_t capz_obj_footprint(const capz_obj *o) { return o ? o->size : 0; }

CAPZ_API const char *capz_obj_label(const capz_obj *o, const char *key) {
  if (!o || !key) return NULL;
  size_t lo = 0, hi = o->n_labels;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(o->labels[2 * mid], key);
    if (c == 0) return o->labels[2 * mid + 1];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

CAPZ_API size_t capz_obj_owner_count(const capz_obj *o) { return o ? o->n_owners : 0; }

CAPZ_API void capz_obj_owner(const capz_obj *o, size_t i, const char **av, const char **kind, const char **name,
                             const char **uid, bool *controller) {
  const kc_owner *w = (o && i < o->n_owners) ? &o->owners[i] : NULL;
  if (av) *av = w ? w->api_version : "";
  if (kind) *kind = w ? w->kind : "";
  if (name) *name = w ? w->name : "";
  if (uid) *uid = w ? w->uid : "";
  if (controller) *controller = w ? w->controller : false;
}

CAPZ_API void capz_obj_list_free(capz_obj_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) capz_obj_unref(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = 0;
}
