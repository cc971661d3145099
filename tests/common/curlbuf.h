/* curlbuf.h — collect a libcurl response (body or headers) into a growing buffer, and a one-call GET.
 *
 * Ownership: a curlbuf starts zeroed ({0}); data is malloc'ed and NUL-terminated once anything arrived
 * (NULL before); the caller frees it with curlbuf_free. Thread-safety: a curlbuf belongs to one transfer;
 * the functions keep no state of their own.
 */
#ifndef CAPZ_TEST_CURLBUF_H
#define CAPZ_TEST_CURLBUF_H
#include <stddef.h>

typedef struct curlbuf {
  char *data;
  size_t len;
} curlbuf;

/* CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION callback; userdata is a curlbuf *. Returns 0 (aborting the
 * transfer) when memory runs out. */
size_t curlbuf_write(char *ptr, size_t size, size_t nmemb, void *userdata);

/* Append len bytes (what curlbuf_write does); 0 on success, -1 when memory runs out. */
int curlbuf_append(curlbuf *b, const char *data, size_t len);

void curlbuf_free(curlbuf *b);

/* GET url with a timeout; returns the HTTP status (0 on a transport failure) and the body in *body, which the
 * caller frees with curlbuf_free (an empty body reads as ""). No assertion: callers decide what a failure means. */
long curlbuf_get(const char *url, long timeout_ms, curlbuf *body);

/* One request of any method. body (may be NULL) is sent with Content-Type ctype (NULL: application/json);
 * bearer (may be NULL) goes in an Authorization header; timeout_ms 0 waits without limit. resp is overwritten
 * (start it zeroed or freed) and receives the response body; the caller frees it with curlbuf_free. Returns the
 * HTTP status, or -1 on a transport failure. No assertion; safe from any thread once curl_global_init ran
 * (CURLOPT_NOSIGNAL is set). */
long curlbuf_request(const char *method, const char *url, const char *ctype, const char *body, const char *bearer,
                     long timeout_ms, curlbuf *resp);

#endif
