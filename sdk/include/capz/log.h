/* capz/log.h — structured, leveled, thread-safe logging.
 *
 * Output is one line per record, either text (`ts level msg key=value ...`, values
 * quoted when needed) or JSON (`{"ts":..,"level":..,"msg":..,"key":"value",...}`).
 * Text: `2026-01-02T03:04:05.678Z INFO "created vnet" id=vnet-1`; debug records read
 * `DEBUG(v2)`. Message and values are quoted (Go-style escapes) when empty or holding spaces,
 * quotes, '=', backslashes or control bytes; bad key characters become '_'.
 * JSON: level is lower-case ("error","warn","info","debug"), debug records carry "v":N, invalid
 * UTF-8 bytes become U+FFFD so each line is valid JSON. Fixed pairs of the logger come first
 * (parent's before child's), then the record's pairs. Timestamps are UTC with milliseconds.
 * Each record is written with one fwrite + fflush under a process-wide lock, so lines from
 * different threads never interleave.
 * Verbosity follows klog: errors, warnings and info (v0) always; capz_log_v(N, ...) only when
 * the configured verbosity is >= N.
 *
 * Secrets: values whose key looks secret (see capz_log_key_is_secret) are written as
 * "[REDACTED]" whatever the caller passes; the message and every other value also go through
 * capz_redact() (bearer tokens, JWTs, secret pairs and PEM blocks inside free text are masked).
 * Use capz_redact() yourself for text that leaves through other channels (errors, events).
 *
 * Thread-safety: all functions may be called from any thread; configuration calls
 * (capz_log_set_*) should happen before threads start but are safe at any time.
 */
#ifndef CAPZ_LOG_H
#define CAPZ_LOG_H

#include <stdio.h>
#include "capz/common.h"

CAPZ_BEGIN_DECLS

/* The compiler checks that key/value lists end with NULL. */
#ifndef CAPZ_SENTINEL
#define CAPZ_SENTINEL __attribute__((sentinel))
#endif

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
/* Destination (default stderr; NULL restores stderr). The stream is borrowed; the caller keeps it
 * open until another stream is set. Each record is flushed. */
CAPZ_API void capz_log_set_stream(FILE *f);

/* A logger carries fixed key/value pairs (e.g. controller, namespace, name) added to every record.
 * Create with capz_logger_new (parent may be NULL), free with capz_logger_free. Keys and values are copied.
 * A logger is immutable after creation and can be shared between threads. */
typedef struct capz_logger capz_logger;
/* kv: alternating key, value strings terminated by NULL (a NULL value also ends the list; its key
 * is logged with the value "(MISSING)"). The child copies the parent's pairs, so the parent may be
 * freed first. Returns NULL only on OOM. */
CAPZ_API capz_logger *capz_logger_new(const capz_logger *parent, ...) CAPZ_SENTINEL;
CAPZ_API void capz_logger_free(capz_logger *lg);

/* Emit a record. lg may be NULL (no fixed pairs). The variadic part is alternating
 * key, value C strings terminated by NULL: capz_log(lg, CAPZ_LOG_INFO, "created", "id", id, NULL).
 * A NULL value ends the list (key logged as "(MISSING)"). CAPZ_LOG_DEBUG records passed here are
 * written only when verbosity >= 1. */
CAPZ_API void capz_log(const capz_logger *lg, capz_log_level level, const char *msg, ...) CAPZ_SENTINEL;
/* Debug-level record emitted only when verbosity >= v (v <= 0: an INFO record, always written). */
CAPZ_API void capz_log_v(const capz_logger *lg, int v, const char *msg, ...) CAPZ_SENTINEL;
/* True when a record at verbosity v would be written (to skip expensive formatting). */
CAPZ_API bool capz_log_enabled(int v);

/* True for keys whose values are secret: token, secret, password, passwd, clientSecret, privateKey,
 * key (exact), authorization, assertion, customData, kubeconfig, value (of a Secret), data, bootstrapData,
 * and any key containing "secret", "token", "password" or "private" (case-insensitive).
 * Matching ignores case and the separators '_', '-', '.' (client_secret, bootstrap-data match).
 * Also secret: apiKey, cookie, set-cookie, connectionString, accountKey, sharedKey, sig (SAS
 * signatures), credentials, proxy-authorization, and keys containing "credential". NULL -> false. */
CAPZ_API bool capz_log_key_is_secret(const char *key);

/* Copy text into out (size n, always NUL-terminated) with secrets masked: bearer tokens
 * ("Bearer xxx"), JWT-shaped strings (three base64url segments), "key=value"/"key":"value" pairs whose
 * key is secret, and PEM blocks. Returns out.
 * Details: "Bearer x"/"Basic x" (any case) -> "Bearer [REDACTED]"; a JWT is recognised by its header
 * segment starting "eyJ" (>= 10 chars) -> "[REDACTED]"; secret pairs: key=value, key: value,
 * "key":"value", "key": 123, key='quoted value' keep the key and quotes and mask the value (an
 * unquoted value ends at whitespace or one of , ; & } ] ) ' "; a {...} or [...] value is masked
 * whole, brackets balanced and strings respected); a whole "-----BEGIN ...-----END ...-----"
 * block (or BEGIN to end of text) -> "[REDACTED PEM]". Output longer than n-1 is truncated; the
 * masked form can be up to 3x + 64 bytes of the input. text NULL gives "". Reentrant. */
CAPZ_API char *capz_redact(const char *text, char *out, size_t n);

CAPZ_END_DECLS
#endif
