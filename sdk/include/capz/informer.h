/* capz/informer.h — shared informers: one list+watch per (resource, namespace, selectors) for the whole process,
 * a compact cache of immutable object snapshots, indexes, and change notifications.
 *
 * Objects (capz_obj) are immutable, refcounted snapshots. The cache stores each object as its compact JSON text
 * (managedFields dropped) plus the fields indexes need; the cJSON tree is decoded on demand by capz_obj_json and
 * shared by every reader holding a reference at that time, then dropped when only the cache holds the object.
 * A reader therefore never sees a half-updated object, and a read costs no copy of the object.
 *
 * Ownership: functions returning capz_obj * give the caller one reference (release with capz_obj_unref).
 * Objects passed to handlers are borrowed for the call (take capz_obj_ref to keep one).
 * Thread-safety: everything here may be called from any thread. Handlers run on the informer's thread, one event
 * at a time, in resourceVersion order; they must not block for long (enqueue work instead) and must not add or
 * remove handlers or indexes of the informer they run on (cache reads are fine).
 */
#ifndef CAPZ_INFORMER_H
#define CAPZ_INFORMER_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/kube.h"
#include "capz/plugin.h"

CAPZ_BEGIN_DECLS

/* ---- immutable object snapshots ---- */
typedef struct capz_obj capz_obj;

/* Take another reference; returns o (NULL-safe). */
CAPZ_API const capz_obj *capz_obj_ref(const capz_obj *o);
/* Drop a reference (NULL-safe). */
CAPZ_API void capz_obj_unref(const capz_obj *o);
/* The object as a cJSON tree: borrowed, read-only, valid while the caller holds its reference.
 * NULL only on out-of-memory. */
CAPZ_API const cJSON *capz_obj_json(const capz_obj *o);
/* Compact JSON text (borrowed, NUL-terminated). */
CAPZ_API const char *capz_obj_text(const capz_obj *o, size_t *len);
/* Metadata (borrowed; "" when absent). */
CAPZ_API const char *capz_obj_namespace(const capz_obj *o);
CAPZ_API const char *capz_obj_name(const capz_obj *o);
CAPZ_API const char *capz_obj_uid(const capz_obj *o);
CAPZ_API const char *capz_obj_resource_version(const capz_obj *o);
CAPZ_API int64_t capz_obj_generation(const capz_obj *o);
CAPZ_API bool capz_obj_deleting(const capz_obj *o); /* metadata.deletionTimestamp is set */
/* Label value or NULL. */
CAPZ_API const char *capz_obj_label(const capz_obj *o, const char *key);
/* Owner references: count, and the i-th (borrowed strings; any out-pointer may be NULL). */
CAPZ_API size_t capz_obj_owner_count(const capz_obj *o);
CAPZ_API void capz_obj_owner(const capz_obj *o, size_t i, const char **api_version, const char **kind,
                             const char **name, const char **uid, bool *controller);
/* Bytes this snapshot occupies (header, index fields and JSON text). */
CAPZ_API size_t capz_obj_footprint(const capz_obj *o);
/* Build a snapshot from a tree (copied; managedFields dropped). For tests and for callers that want to hand
 * freshly read objects around the same way. NULL on out-of-memory or when obj has no metadata.name. */
CAPZ_API capz_obj *capz_obj_from_json(const cJSON *obj);

/* A list of references (each item holds one reference). */
typedef struct capz_obj_list {
  const capz_obj **items;
  size_t n;
} capz_obj_list;
CAPZ_API void capz_obj_list_free(capz_obj_list *l);

/* ---- label selectors (k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k; comma = AND) ---- */
/* True when the object's labels match. A malformed selector matches nothing and returns false. */
CAPZ_API bool capz_label_selector_matches(const char *selector, const capz_obj *o);
/* Validate a selector; 0 or CAPZ_EINVAL naming the problem. */
CAPZ_API int capz_label_selector_check(const char *selector, capz_err *err);

/* ---- informers ---- */
typedef struct capz_informer capz_informer;

typedef struct capz_informer_opts {
  uint32_t struct_size;       /* sizeof(capz_informer_opts) */
  const char *ns;             /* NULL/"" = all namespaces */
  const char *label_selector; /* server-side filter */
  const char *field_selector; /* server-side filter */
  int64_t resync_ms;          /* periodic on_update(obj, obj) for every object; 0 = never */
} capz_informer_opts;

/* The shared informer for (client, resource, ns, selectors): created on first use, refcounted afterwards.
 * gvk->plural may be NULL (discovery). Not started: call capz_informer_start. Release with capz_informer_release. */
CAPZ_API int capz_informer_get(capz_kube_client *c, const capz_gvk *gvk, const capz_informer_opts *opts,
                               capz_informer **out, capz_err *err);
CAPZ_API void capz_informer_release(capz_informer *inf);
/* Start its list+watch thread (idempotent). */
CAPZ_API int capz_informer_start(capz_informer *inf, capz_err *err);
/* Ask the informer's threads to stop without waiting (they stop within about a second); releasing the last
 * reference then joins them. Lets a caller stop many informers in parallel. */
CAPZ_API void capz_informer_request_stop(capz_informer *inf);
/* True once the first list has been loaded into the cache. */
CAPZ_API bool capz_informer_synced(const capz_informer *inf);
/* Wait until synced; false on timeout (timeout_ms < 0 = forever) or when stopped. */
CAPZ_API bool capz_informer_wait_synced(capz_informer *inf, int64_t timeout_ms);
/* The resource served (plural filled in). Borrowed. */
CAPZ_API const capz_gvk *capz_informer_gvk(const capz_informer *inf);

typedef struct capz_informer_handler {
  uint32_t struct_size;
  void (*on_add)(void *ud, const capz_obj *obj);
  void (*on_update)(void *ud, const capz_obj *old_obj, const capz_obj *new_obj);
  void (*on_delete)(void *ud, const capz_obj *last_state);
  void *ud;
} capz_informer_handler;
/* Register a handler (copied). Objects already in a synced cache are replayed to it as adds, in order with
 * later events. Returns a handle id (> 0) for capz_informer_remove_handler. */
CAPZ_API int capz_informer_add_handler(capz_informer *inf, const capz_informer_handler *h);
CAPZ_API void capz_informer_remove_handler(capz_informer *inf, int id);

/* ---- cache reads (snapshots; each returned object carries a reference) ---- */
/* ENOTFOUND when absent. */
CAPZ_API int capz_informer_get_obj(capz_informer *inf, const char *ns, const char *name, const capz_obj **out);
/* ns NULL = all; label_selector NULL = everything. Sorted by namespace/name. */
CAPZ_API int capz_informer_list(capz_informer *inf, const char *ns, const char *label_selector, capz_obj_list *out,
                                capz_err *err);

/* Index function: add the object's index values with capz_index_add. Runs on the informer thread for each
 * stored object; must be fast and pure. */
typedef struct capz_index_values capz_index_values;
typedef void (*capz_index_fn)(void *ud, const capz_obj *obj, const cJSON *json, capz_index_values *vals);
CAPZ_API void capz_index_add(capz_index_values *vals, const char *value);
/* Built-in indexes: "namespace" (value = namespace), "owner" (value = owner UID), "label" (value = "key=value").
 * Add a custom one (name unique per informer; re-adding the same name is a no-op returning 0). Existing objects
 * are indexed at once. */
CAPZ_API int capz_informer_add_index(capz_informer *inf, const char *name, capz_index_fn fn, void *ud, capz_err *err);
/* Objects whose index `name` holds value. ENOTFOUND when the index does not exist. */
CAPZ_API int capz_informer_by_index(capz_informer *inf, const char *name, const char *value, capz_obj_list *out,
                                    capz_err *err);

typedef struct capz_informer_stats {
  uint64_t objects;        /* in the cache now */
  uint64_t bytes;          /* footprints of cached snapshots plus index entries (approximate) */
  uint64_t lists;          /* list calls made (pages count once) */
  uint64_t watches;        /* watch requests made */
  uint64_t relists_gone;   /* relists after a 410 */
  uint64_t events;         /* watch events applied */
} capz_informer_stats;
CAPZ_API void capz_informer_get_stats(capz_informer *inf, capz_informer_stats *out);

CAPZ_END_DECLS
#endif
