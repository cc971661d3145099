/* kc_obj.h — layout of a cached object snapshot (one allocation: header, index fields, JSON text). */
#ifndef CAPZ_KC_OBJ_H
#define CAPZ_KC_OBJ_H

#include <stdatomic.h>
#include "capz/informer.h"

typedef struct kc_owner {
  const char *api_version, *kind, *name, *uid;
  bool controller;
} kc_owner;

struct capz_obj {
  atomic_int refs;
  atomic_bool cached;     /* held by an informer cache (its reference is one of refs) */
  bool deleting;
  uint16_t n_labels, n_owners;
  uint32_t json_len;
  uint32_t size;          /* bytes of this allocation */
  int64_t generation;
  cJSON *tree;            /* decoded form, guarded by the object's stripe lock; NULL when not in use */
  const char *ns, *name, *uid, *rv;
  const char **labels;    /* 2*n_labels: key, value, sorted by key */
  kc_owner *owners;
  char *json;
  _Alignas(max_align_t) char arena[];
};

/* Build from a tree; takes ownership of tree (kept as the decoded form until readers are done).
 * Drops metadata.managedFields first. NULL on OOM or without metadata.name (tree freed). */
capz_obj *kc_obj_build(cJSON *tree);
/* Free the decoded form now (only when nobody else holds the object yet). */
void kc_obj_drop_tree(capz_obj *o);
/* Mark as held by a cache (true) or released from it (false, then unref). */
void kc_obj_set_cached(capz_obj *o, bool cached);

#endif
