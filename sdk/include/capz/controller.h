/* capz/controller.h — what a reconcile can do with its capz_ctx, plus helpers every controller needs:
 * finalizers, status patches with conflict retry, pause detection.
 *
 * A capz_ctx is created by the host for one reconcile call and is valid only during that call; it must not be
 * shared with other threads. Objects returned through it carry a reference the caller releases with
 * capz_obj_unref (capz/informer.h); they are immutable snapshots from the shared cache.
 */
#ifndef CAPZ_CONTROLLER_H
#define CAPZ_CONTROLLER_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/events.h"
#include "capz/informer.h"
#include "capz/kube.h"
#include "capz/log.h"
#include "capz/plugin.h"

CAPZ_BEGIN_DECLS

/* ---- accessors for plugins ---- */
CAPZ_API const capz_key *capz_ctx_key(const capz_ctx *ctx);
/* The primary kind this reconcile is for (plural filled in). */
CAPZ_API const capz_gvk *capz_ctx_gvk(const capz_ctx *ctx);
/* Logger tagged with controller, namespace and name (may be NULL if logging is unavailable; capz_log accepts NULL). */
CAPZ_API const capz_logger *capz_ctx_logger(const capz_ctx *ctx);
/* Absolute deadline on CLOCK_MONOTONIC in ms, the time left (<= 0 when passed), and whether it passed. */
CAPZ_API int64_t capz_ctx_deadline_ms(const capz_ctx *ctx);
CAPZ_API int64_t capz_ctx_remaining_ms(const capz_ctx *ctx);
CAPZ_API bool capz_ctx_expired(const capz_ctx *ctx);
/* The shared Kubernetes client (writes are refused with EFORBIDDEN/NotLeader once leadership is lost). */
CAPZ_API capz_kube_client *capz_ctx_client(const capz_ctx *ctx);

/* The current primary object from the cache. CAPZ_ENOTFOUND means it was deleted. */
CAPZ_API int capz_ctx_get(const capz_ctx *ctx, const capz_obj **out, capz_err *err);
/* Any kind this process watches (the controller's secondaries, or other controllers' kinds). EINVAL when the kind
 * is not watched (use the client for unwatched kinds); ENOTFOUND when the object is not in the cache.
 * Which informer is read when several serve the kind (e.g. two controllers watch Secrets with different label
 * selectors): the primary's informer for the primary kind, else the first of capz_ctx_params.informers that serves
 * the kind. The host runtime lists the reconciling controller's own watches first (in declaration order), then every
 * other informer of the process, so a controller reads what its own watch selects; for a kind it does not watch
 * itself it gets whichever informer another controller registered first (possibly with a narrower selector). */
CAPZ_API int capz_ctx_cache_get(const capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name,
                                const capz_obj **out, capz_err *err);
CAPZ_API int capz_ctx_cache_list(const capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *label_selector,
                                 capz_obj_list *out, capz_err *err);
/* Record an Event on the primary object (aggregated; message redacted). type: "Normal" or "Warning". */
CAPZ_API int capz_ctx_event(const capz_ctx *ctx, const char *type, const char *reason, const char *fmt, ...)
    CAPZ_PRINTF(4, 5);

/* ---- host side: building a ctx (the host runtime and test kits) ---- */
typedef struct capz_ctx_params {
  uint32_t struct_size;
  const char *controller;           /* name for logs, e.g. "azurecluster" */
  capz_key key;
  const capz_gvk *gvk;              /* primary; must outlive the ctx */
  capz_informer *primary;           /* the primary's informer */
  capz_informer *const *informers;  /* every informer a reconcile may read (may include primary), in order of
                                       preference: cache reads take the first that serves the kind */
  size_t n_informers;
  capz_kube_client *client;
  capz_event_recorder *events;      /* may be NULL (events dropped) */
  const capz_logger *logger;        /* parent logger, may be NULL */
  int64_t deadline_ms;              /* absolute, CLOCK_MONOTONIC ms; 0 = none */
} capz_ctx_params;
CAPZ_API int capz_ctx_new(const capz_ctx_params *p, capz_ctx **out, capz_err *err);
CAPZ_API void capz_ctx_free(capz_ctx *ctx);

/* Monotonic clock in ms (the clock deadlines use). */
CAPZ_API int64_t capz_monotonic_ms(void);

/* ---- helpers ---- */

/* Add finalizer `name` to the object (JSON merge patch of metadata.finalizers guarded by the snapshot's
 * resourceVersion; on conflict it re-reads and retries). *changed says whether a write happened. base is the
 * object as last seen (a cache snapshot). */
CAPZ_API int capz_finalizer_add(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *name,
                                bool *changed, capz_err *err);
CAPZ_API int capz_finalizer_remove(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *name,
                                   bool *changed, capz_err *err);
CAPZ_API bool capz_has_finalizer(const cJSON *obj, const char *name);

/* Patch .status through the status subresource. mutate edits a private copy of the object (only its status is
 * sent: a merge patch of what changed, guarded by resourceVersion). Nothing is written when mutate changes
 * nothing. On 409 the object is re-read and mutate runs again (up to 5 attempts). base may be NULL (read from
 * the server first). mutate returns 0, or non-zero to abort (that code is returned). out (may be NULL) receives
 * the server's object after the write, or NULL when nothing was written. */
typedef int (*capz_mutate_fn)(void *ud, cJSON *obj);
CAPZ_API int capz_patch_status(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *ns,
                               const char *name, capz_mutate_fn mutate, void *ud, cJSON **out, capz_err *err);

/* Cluster API pause: the object's annotation cluster.x-k8s.io/paused, or cluster.spec.paused (cluster may be NULL). */
CAPZ_API bool capz_is_paused(const cJSON *obj, const cJSON *cluster);

CAPZ_END_DECLS
#endif
