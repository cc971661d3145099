/* az_util.h — small helpers shared by the Azure SDK sources (internal; symbols prefixed az_). */
#ifndef CAPZ_SDK_AZ_UTIL_H
#define CAPZ_SDK_AZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capz/azure_identity.h"

/* base64 (standard alphabet, padded) and base64url (no padding). Return malloc'ed NUL-terminated text. */
char *az_b64_encode(const unsigned char *in, size_t len);
char *az_b64url_encode(const unsigned char *in, size_t len);
/* Decode standard or URL alphabet, padding optional, whitespace skipped. malloc'ed (NUL-terminated for
 * convenience); NULL on bad input. */
unsigned char *az_b64_decode(const char *in, size_t len, size_t *out_len);

/* SHA-256 of data, as 64 lowercase hex chars + NUL into out[65]. */
/* The <s> of a path starting "/subscriptions/<s>" (case-insensitive) into out; "" when there is none or it does
 * not fit. */
void az_subscription_of(const char *path, char *out, size_t n);
void az_sha256_hex(const void *data, size_t len, char out[65]);

/* Random UUID v4 text into out[37]. */
void az_uuid4(char out[37]);
/* Uniform random double in [0,1). Thread-safe. */
double az_rand01(void);

/* Seconds on CLOCK_MONOTONIC / CLOCK_REALTIME. */
double az_now_mono(void);
double az_now_wall(void);
/* clock fn or monotonic. */
static inline double az_clock(capz_az_clock_fn fn, void *ud) { return fn ? fn(ud) : az_now_mono(); }
/* Sleep for s seconds (no-op when <= 0). */
void az_sleep(double s);

/* Copy src into dst (size n), always NUL-terminated; returns false when truncated. */
bool az_strlcpy(char *dst, const char *src, size_t n);
/* Case-insensitive equality; NULL-safe (NULL == NULL). */
bool az_streq_ci(const char *a, const char *b);

/* Percent-encode for a form body or query value (RFC 3986 unreserved kept). malloc'ed. */
char *az_urlencode(const char *s, size_t len);

/* Read a whole file (at most max bytes). malloc'ed, NUL-terminated; NULL with errno set on failure
 * (EFBIG when larger than max). */
char *az_read_file(const char *path, size_t max, size_t *len);

/* Wipe and free a NUL-terminated heap string (NULL-safe). */
void az_free_secret(char *s);

/* Dynamic string builder. */
typedef struct az_buf {
  char *p;
  size_t len, cap;
  bool oom;
} az_buf;
void az_buf_add(az_buf *b, const char *s, size_t len);
void az_buf_adds(az_buf *b, const char *s);
void az_buf_printf(az_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wipes before freeing (bodies may hold secrets). */
void az_buf_wipe(az_buf *b);



#include "capz/err.h"
/* Set code, HTTP status, reason and message at once (reason may be NULL = ""). Returns code. */
int az_err(capz_err *err, int code, int http_status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#endif
