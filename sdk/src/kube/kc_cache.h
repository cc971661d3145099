/* kc_cache.h — an informer's object store and indexes. Not synchronised: the informer serialises writers
 * (its thread, under the write lock) and readers (under the read lock). */
#ifndef CAPZ_KC_CACHE_H
#define CAPZ_KC_CACHE_H

#include "kube/kc_map.h"
#include "kube/kc_obj.h"

enum { KC_IDX_CUSTOM = 0, KC_IDX_NAMESPACE = 1, KC_IDX_OWNER = 2, KC_IDX_LABEL = 3 };

typedef struct kc_vals {
  size_t len; /* bytes of buf: NUL-separated values */
  char buf[];
} kc_vals;

typedef struct kc_index {
  struct kc_index *next;
  char *name;
  int builtin;
  capz_index_fn fn;
  void *ud;
  kc_smap values;  /* value -> kc_pset of capz_obj* */
  kc_smap reverse; /* custom only: "ns/name" -> kc_vals indexed for it */
} kc_index;

typedef struct kc_cache {
  kc_smap objs; /* "ns/name" -> capz_obj* (the cache's reference) */
  kc_index *indexes;
  size_t bytes; /* sum of footprints */
} kc_cache;

#define KC_CACHE_NEW ((capz_obj *)1)

int kc_cache_init(kc_cache *c);
void kc_cache_destroy(kc_cache *c);
/* Insert or replace; the cache takes its own reference to o. Returns the replaced object (whose cache
 * reference now belongs to the caller), KC_CACHE_NEW when there was none, or NULL on OOM. */
capz_obj *kc_cache_put(kc_cache *c, capz_obj *o);
/* Remove; returns the object with the cache's reference handed to the caller, or NULL. */
capz_obj *kc_cache_del(kc_cache *c, const char *ns, const char *name);
/* Borrowed (valid under the lock). */
capz_obj *kc_cache_get(kc_cache *c, const char *ns, const char *name);
kc_index *kc_cache_index(kc_cache *c, const char *name);
int kc_cache_add_index(kc_cache *c, const char *name, capz_index_fn fn, void *ud);
size_t kc_cache_bytes(const kc_cache *c);
void kc_objkey(const char *ns, const char *name, char *out, size_t n);

#endif
