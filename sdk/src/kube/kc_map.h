/* kc_map.h — small open-addressing hash tables (linear probing, backward-shift deletion):
 * kc_smap maps owned string keys to pointers; kc_pset is a set of pointers. Not thread-safe. */
#ifndef CAPZ_KC_MAP_H
#define CAPZ_KC_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kc_smap_slot {
  char *key; /* NULL = empty */
  void *val;
  size_t hash;
} kc_smap_slot;

typedef struct kc_smap {
  kc_smap_slot *slots;
  size_t cap, n;
} kc_smap;

/* Returns the previous value (or NULL) through *old when non-NULL. 0, or -1 on OOM. */
int kc_smap_put(kc_smap *m, const char *key, void *val, void **old);
void *kc_smap_get(const kc_smap *m, const char *key);
/* Removes and returns the value (NULL if absent). */
void *kc_smap_del(kc_smap *m, const char *key);
void kc_smap_free(kc_smap *m); /* frees keys, not values */
size_t kc_smap_bytes(const kc_smap *m);
#define KC_SMAP_EACH(m, s) \
  for (kc_smap_slot *s = (m)->slots; (m)->slots && s < (m)->slots + (m)->cap; s++) if (s->key)

typedef struct kc_pset {
  void **slots;
  size_t cap, n;
} kc_pset;

int kc_pset_add(kc_pset *s, void *p);
bool kc_pset_del(kc_pset *s, void *p);
void kc_pset_free(kc_pset *s);
size_t kc_pset_bytes(const kc_pset *s);
#define KC_PSET_EACH(set, p) \
  for (void **p##_it = (set)->slots, *p; (set)->slots && p##_it < (set)->slots + (set)->cap; p##_it++) \
    if ((p = *p##_it) != NULL)

size_t kc_hash_str(const char *s);

#endif
