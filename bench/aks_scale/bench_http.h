/* bench_http.h — plain HTTP for the bench's side channels: the emulators' /_sim endpoints and the host's
 * /metrics (no auth, no retries). Thread-safe (one curl easy handle per call; curl_global_init is done by
 * capz_sdk_global_init before any call). */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <cJSON.h>

/* method "GET"/"POST"/"DELETE"; body may be NULL (sent as application/json otherwise). *out (may be NULL)
 * receives the malloc'ed response text (caller frees). Returns the HTTP status, or -1 on a transport error. */
long bhttp(const char *method, const char *url, const char *body, char **out);

/* The same, parsing the answer as JSON into *out (NULL when it is not JSON). */
long bhttp_json(const char *method, const char *url, const char *body, cJSON **out);

#endif
