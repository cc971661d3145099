/* capz/err.h — the SDK's error type: a code plus a message buffer.
 *
 * Every fallible SDK call returns an int (0 = success, otherwise a capz_errcode)
 * and, when given a non-NULL capz_err *, fills it with the same code and a
 * human-readable message that names what failed and where. The struct is plain
 * data owned by the caller (usually on the stack); nothing to free.
 * Thread-safety: a capz_err must not be shared between threads; functions are reentrant.
 */
#ifndef CAPZ_ERR_H
#define CAPZ_ERR_H

#include <stdarg.h>
#include "capz/common.h"

CAPZ_BEGIN_DECLS

typedef enum capz_errcode {
  CAPZ_OK = 0,
  CAPZ_EINVAL = 1,       /* bad input: manifest, config, argument */
  CAPZ_ENOTFOUND = 2,    /* object / resource does not exist (HTTP 404) */
  CAPZ_ECONFLICT = 3,    /* optimistic concurrency or state conflict (HTTP 409/412) */
  CAPZ_EEXIST = 4,       /* already exists */
  CAPZ_EIO = 5,          /* transport: connection refused, reset, TLS */
  CAPZ_ETIMEOUT = 6,     /* deadline passed */
  CAPZ_ETHROTTLED = 7,   /* HTTP 429; retry after a delay */
  CAPZ_EAUTH = 8,        /* authentication failed (HTTP 401, bad credential) */
  CAPZ_EFORBIDDEN = 9,   /* authorization failed (HTTP 403, namespace not allowed) */
  CAPZ_EGONE = 10,       /* resourceVersion too old (HTTP 410) */
  CAPZ_EUNAVAILABLE = 11,/* server-side transient failure (HTTP 5xx) */
  CAPZ_ENOMEM = 12,
  CAPZ_EPROTO = 13,      /* the peer answered something we could not parse */
  CAPZ_EINPROGRESS = 14, /* a long-running operation is still running */
  CAPZ_EFAILED = 15,     /* a long-running operation ended Failed/Canceled (terminal for this attempt) */
  CAPZ_EINTERNAL = 16    /* a bug: an invariant did not hold */
} capz_errcode;

#define CAPZ_ERR_MSG_MAX 512

typedef struct capz_err {
  int code;                    /* capz_errcode */
  int http_status;             /* HTTP status when the error came from a server, else 0 */
  char reason[64];             /* short machine-readable reason (e.g. ARM error code, k8s Status reason) */
  char msg[CAPZ_ERR_MSG_MAX];  /* human-readable; never contains secret values */
} capz_err;

/* Reset to CAPZ_OK with empty strings. err may be NULL. */
CAPZ_API void capz_err_clear(capz_err *err);

/* Set code and a formatted message (truncated to fit); returns code so callers can
 * `return capz_err_set(err, CAPZ_EINVAL, "...")`. err may be NULL. */
CAPZ_API int capz_err_set(capz_err *err, int code, const char *fmt, ...) CAPZ_PRINTF(3, 4);
CAPZ_API int capz_err_setv(capz_err *err, int code, const char *fmt, va_list ap);

/* Prefix the existing message with context ("loading plugin x: <old msg>"); keeps code. */
CAPZ_API int capz_err_prefix(capz_err *err, const char *fmt, ...) CAPZ_PRINTF(2, 3);

/* Static name of a code ("EINVAL", ...). Never NULL. */
CAPZ_API const char *capz_errcode_name(int code);

/* True for codes worth retrying with backoff (EIO, ETIMEOUT, ETHROTTLED, EUNAVAILABLE, ECONFLICT). */
CAPZ_API bool capz_err_is_transient(int code);

CAPZ_END_DECLS
#endif
