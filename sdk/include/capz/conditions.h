/* capz/conditions.h — Cluster API v1beta1 conditions on an object's status.conditions.
 *
 * A condition is {type, status: True|False|Unknown, severity (Error|Warning|Info, only when False), reason,
 * message, lastTransitionTime}. lastTransitionTime changes only when status changes. Conditions are kept
 * sorted: Ready first, then by type.
 *
 * All functions edit `obj` (a whole object, e.g. a private copy inside capz_patch_status's mutate) in place.
 * Thread-safety: reentrant; the tree belongs to the caller.
 */
#ifndef CAPZ_CONDITIONS_H
#define CAPZ_CONDITIONS_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"

CAPZ_BEGIN_DECLS

typedef enum capz_severity {
  CAPZ_SEV_NONE = 0,
  CAPZ_SEV_ERROR = 1,
  CAPZ_SEV_WARNING = 2,
  CAPZ_SEV_INFO = 3
} capz_severity;

#define CAPZ_COND_READY "Ready"

/* status: "True", "False" or "Unknown". reason/message may be NULL. Returns 0, EINVAL or ENOMEM. */
CAPZ_API int capz_cond_set(cJSON *obj, const char *type, const char *status, const char *reason, capz_severity sev,
                           const char *message);
CAPZ_API int capz_cond_mark_true(cJSON *obj, const char *type);
CAPZ_API int capz_cond_mark_false(cJSON *obj, const char *type, const char *reason, capz_severity sev,
                                  const char *fmt, ...) CAPZ_PRINTF(5, 6);
CAPZ_API int capz_cond_mark_unknown(cJSON *obj, const char *type, const char *reason, const char *fmt, ...)
    CAPZ_PRINTF(4, 5);
/* Borrowed, or NULL. */
CAPZ_API const cJSON *capz_cond_get(const cJSON *obj, const char *type);
CAPZ_API bool capz_cond_is_true(const cJSON *obj, const char *type);
CAPZ_API bool capz_cond_is_false(const cJSON *obj, const char *type);
CAPZ_API int capz_cond_delete(cJSON *obj, const char *type);
/* Set Ready from `types` (NULL-terminated; NULL = every condition but Ready): False with the reason, message
 * and severity of the worst False (Error > Warning > Info) if any is False; else True if any is True; else
 * Unknown. With no conditions to summarise, Ready becomes True. */
CAPZ_API int capz_cond_set_summary(cJSON *obj, const char *const *types);

CAPZ_END_DECLS
#endif
