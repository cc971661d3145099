/* http.h — the SDK's one HTTP client (internal; not installed). Used by the Kubernetes client and the
 * ARM/Entra clients so the process has one connection pool (a curl share of connections, DNS and TLS
 * sessions), one TLS policy and one place that counts requests.
 *
 * Thread-safety: http_do may be called concurrently from any thread after capz_sdk_global_init()
 * (capz/sdk.h); without it http_do fails with CAPZ_EINTERNAL.
 * Ownership: the request is borrowed for the call; the response's body and headers are owned by the
 * response and released with http_response_free.
 */
#ifndef CAPZ_SDK_HTTP_H
#define CAPZ_SDK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "capz/err.h"

typedef struct http_tls {
  const char *ca_file;         /* PEM bundle path, or NULL */
  const char *ca_pem;          /* PEM text (e.g. kubeconfig certificate-authority-data decoded), or NULL */
  const char *client_cert_pem; /* PEM text, or NULL */
  const char *client_key_pem;  /* PEM text, or NULL */
  bool insecure_skip_verify;   /* never the default */
} http_tls;

/* Streaming callback: return 0 to continue, non-zero to abort the transfer (http_do then returns CAPZ_OK
 * with resp->aborted set). Only 2xx bodies are streamed: for any other status the body is buffered into
 * resp->body as usual, so callers can decode the error (e.g. a Kubernetes Status with 410 Gone). */
typedef int (*http_data_fn)(void *ud, const char *buf, size_t len);

typedef struct http_request {
  const char *method;            /* "GET", "PUT", ... */
  const char *url;
  const char *const *headers;    /* "Name: value" strings, NULL-terminated; may be NULL */
  const char *body;              /* may be NULL */
  size_t body_len;
  long timeout_ms;               /* whole-transfer timeout; 0 = none (watches) */
  long connect_timeout_ms;       /* 0 = 10 s */
  const http_tls *tls;           /* may be NULL */
  http_data_fn on_data;          /* if set, the body is streamed here instead of buffered */
  void *on_data_ud;
  volatile const int *cancel;    /* if non-NULL and becomes non-zero, the transfer is aborted within ~1 s;
                                  * http_do then returns CAPZ_OK with resp->aborted set */
} http_request;

typedef struct http_header {
  char *name;  /* as received */
  char *value; /* trimmed */
} http_header;

typedef struct http_response {
  long status;         /* 0 when no response arrived */
  char *body;          /* NUL-terminated (body_len excludes the NUL); NULL when streamed or empty */
  size_t body_len;
  http_header *headers;
  size_t n_headers;
  bool aborted;        /* the transfer was stopped by on_data or cancel (status may be 0) */
  bool http2;          /* the response came over HTTP/2 */
} http_response;

/* Perform one request (no retries: retry policy belongs to the callers). Returns CAPZ_OK when a response
 * arrived (whatever its status), else CAPZ_EIO / CAPZ_ETIMEOUT with err naming the URL (without query secrets). */
int http_do(const http_request *req, http_response *resp, capz_err *err);

/* Case-insensitive header lookup; borrowed; NULL when absent. */
const char *http_response_header(const http_response *resp, const char *name);

void http_response_free(http_response *resp);

/* Observer called once per completed request (whatever its outcome; status 0 = no response), from the
 * calling thread: the single place that counts requests (rest_client_requests_total{code,method,host}).
 * host is the URL's host[:port]. Set once at startup (before threads); NULL to remove. */
typedef void (*http_observer_fn)(void *ud, const char *method, const char *host, long status, double seconds);
void http_set_observer(http_observer_fn fn, void *ud);

/* Number of new TCP connections libcurl opened through the shared pool since init (for tests/bench). */
unsigned long http_connects_total(void);

#endif
