/* capz/events.h — Kubernetes Events (core/v1) with client-side aggregation.
 *
 * Repeats of the same (object, type, reason, message) within the recorder's lifetime update one Event
 * (count, lastTimestamp) instead of creating new ones. Messages pass through capz_redact (capz/log.h), so
 * secrets that slip into a message never reach the API server. Recording never fails a reconcile: errors are
 * returned but callers may ignore them.
 *
 * Thread-safety: a recorder may be used from any thread. Ownership: strings are copied.
 */
#ifndef CAPZ_EVENTS_H
#define CAPZ_EVENTS_H

#include "capz/common.h"
#include "capz/err.h"
#include "capz/kube.h"

CAPZ_BEGIN_DECLS

typedef struct capz_event_recorder capz_event_recorder;

/* component: reportingComponent / source.component, e.g. "capz-controller-manager". c is borrowed. */
CAPZ_API int capz_event_recorder_new(capz_kube_client *c, const char *component, capz_event_recorder **out,
                                     capz_err *err);
CAPZ_API void capz_event_recorder_free(capz_event_recorder *r);

typedef struct capz_object_ref {
  const char *api_version, *kind, *ns, *name, *uid;
} capz_object_ref;

/* type: "Normal" or "Warning"; reason: CamelCase. */
CAPZ_API int capz_event_record(capz_event_recorder *r, const capz_object_ref *obj, const char *type,
                               const char *reason, const char *message, capz_err *err);

/* Events written (created + updated) so far. */
CAPZ_API void capz_event_recorder_counts(capz_event_recorder *r, uint64_t *created, uint64_t *updated);

CAPZ_END_DECLS
#endif
