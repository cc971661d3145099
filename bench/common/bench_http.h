/* bench_http.h — plain HTTP for the benches' side channels: the emulators' /_sim endpoints, the emulator's token
 * endpoint and the host's /metrics (no retries, 120 s timeout). Thread-safe (one curl easy handle per call;
 * curl_global_init is done by capz_sdk_global_init before any call). Built on tests/common/curlbuf. */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <cJSON.h>
#include <stddef.h>

/* method "GET"/"POST"/"PUT"/"DELETE"; body may be NULL (sent with Content-Type ctype otherwise, NULL =
 * application/json); bearer may be NULL. *out (out may be NULL) receives the malloc'ed response text ("" when
 * empty; NULL on a transport error), which the caller frees. Returns the HTTP status, or -1 on a transport error. */
long bhttp_req(const char *method, const char *url, const char *ctype, const char *body, const char *bearer,
               char **out);

/* bhttp_req with a JSON body (or none) and no token. */
long bhttp(const char *method, const char *url, const char *body, char **out);

/* The same, parsing the answer as JSON into *out (NULL when it is not JSON). */
long bhttp_json(const char *method, const char *url, const char *body, cJSON **out);

/* Write callbacks for hot loops on a reused curl easy handle (no allocation per request): bench_curl_count adds
 * the body's size to *(size_t *)ud (ud may be NULL) and drops it; bench_curl_keep keeps the body's first bytes
 * in the bench_fixbuf ud (NUL-terminated; the rest is dropped). Reset n to 0 before reusing a buffer. */
typedef struct bench_fixbuf {
  char s[16384];
  size_t n;
} bench_fixbuf;
size_t bench_curl_count(char *p, size_t sz, size_t nm, void *ud);
size_t bench_curl_keep(char *p, size_t sz, size_t nm, void *ud);

#endif
