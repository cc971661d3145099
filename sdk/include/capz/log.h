/* capz/log.h — structured, leveled, thread-safe logging.
 *
 * Output is one line per record, either text (`ts level msg key=value ...`, values
 * quoted when needed) or JSON (`{"ts":..,"level":..,"msg":..,"key":"value",...}`).
 * Verbosity follows klog: errors, warnings and info (v0) always; capz_log_v(N, ...) only when
 * the configured verbosity is >= N.
 *
 * Secrets: values whose key looks secret (see capz_log_key_is_secret) are written as
 * "[REDACTED]" whatever the caller passes; use capz_redact() for free text.
 *
 * Thread-safety: all functions may be called from any thread; configuration calls
 * (capz_log_set_*) should happen before threads start but are safe at any time.
 */
#ifndef CAPZ_LOG_H
#define CAPZ_LOG_H

#include <stdio.h>
#include "capz/common.h"

CAPZ_BEGIN_DECLS

typedef enum capz_log_level {
  CAPZ_LOG_ERROR = 0,
  CAPZ_LOG_WARN = 1,
  CAPZ_LOG_INFO = 2,
  CAPZ_LOG_DEBUG = 3 /* emitted by capz_log_v(N>=1) */
} capz_log_level;

typedef enum capz_log_format { CAPZ_LOG_TEXT = 0, CAPZ_LOG_JSON = 1 } capz_log_format;

CAPZ_API void capz_log_set_verbosity(int v);
CAPZ_API int capz_log_get_verbosity(void);
CAPZ_API void capz_log_set_format(capz_log_format f);
/* Destination (default stderr). The stream is borrowed; the caller keeps it open. */
CAPZ_API void capz_log_set_stream(FILE *f);

/* A logger carries fixed key/value pairs (e.g. controller, namespace, name) added to every record.
 * Create with capz_logger_new (parent may be NULL), free with capz_logger_free. Keys and values are copied.
 * A logger is immutable after creation and can be shared between threads. */
typedef struct capz_logger capz_logger;
/* kv: alternating key, value strings terminated by NULL. Returns NULL only on OOM. */
CAPZ_API capz_logger *capz_logger_new(const capz_logger *parent, ...);
CAPZ_API void capz_logger_free(capz_logger *lg);

/* Emit a record. lg may be NULL (no fixed pairs). The variadic part is alternating
 * key, value C strings terminated by NULL: capz_log(lg, CAPZ_LOG_INFO, "created", "id", id, NULL). */
CAPZ_API void capz_log(const capz_logger *lg, capz_log_level level, const char *msg, ...);
/* Debug-level record emitted only when verbosity >= v. */
CAPZ_API void capz_log_v(const capz_logger *lg, int v, const char *msg, ...);
/* True when a record at verbosity v would be written (to skip expensive formatting). */
CAPZ_API bool capz_log_enabled(int v);

/* True for keys whose values are secret: token, secret, password, passwd, clientSecret, privateKey,
 * key (exact), authorization, assertion, customData, kubeconfig, value (of a Secret), data, bootstrapData,
 * and any key containing "secret", "token", "password" or "private" (case-insensitive). */
CAPZ_API bool capz_log_key_is_secret(const char *key);

/* Copy text into out (size n, always NUL-terminated) with secrets masked: bearer tokens
 * ("Bearer xxx"), JWT-shaped strings (three base64url segments), "key=value"/"key":"value" pairs whose
 * key is secret, and PEM blocks. Returns out. */
CAPZ_API char *capz_redact(const char *text, char *out, size_t n);

CAPZ_END_DECLS
#endif
