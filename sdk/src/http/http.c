/* http.c — the SDK's HTTP client over libcurl (see http.h).
 *
 * One curl share handle holds the DNS cache and TLS sessions for the whole process. Connections are NOT in
 * it: libcurl does not support sharing a connection cache between concurrent threads (CURLSHOPT_SHARE(3),
 * known bug "a shared connection cache is not thread-safe"; with tens of worker threads it corrupted the heap
 * of a 2,000-cluster run). Instead, finished easy handles go back to a small pool and keep their own idle
 * connections; a call takes a handle from the pool, so a handle (and its connections) is only ever used by
 * one thread at a time, and the Kubernetes and ARM clients (and every plugin) still reuse connections.
 */
#include "http/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "capz/sdk.h"

/* ---- process-wide state ---- */

static pthread_mutex_t g_init_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_init_count;
static CURLSH *g_share;
static pthread_mutex_t g_share_mu[CURL_LOCK_DATA_LAST];
/* Idle easy handles (with their idle connections), LIFO so the warmest handle is reused first. */
#define POOL_MAX 64
#define HANDLE_MAX_CONNECTS 4L
static pthread_mutex_t g_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *g_pool[POOL_MAX];
static size_t g_pool_n;
static _Atomic(http_observer_fn) g_observer;
static void *_Atomic g_observer_ud;
static atomic_ulong g_connects;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud) {
  (void)h, (void)access, (void)ud;
  if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_lock(&g_share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud) {
  (void)h, (void)ud;
  if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_unlock(&g_share_mu[data]);
}

CAPZ_API int capz_sdk_global_init(capz_err *err) {
  pthread_mutex_lock(&g_init_mu);
  if (g_init_count > 0) {
    g_init_count++;
    pthread_mutex_unlock(&g_init_mu);
    return CAPZ_OK;
  }
  CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (cc != CURLE_OK) {
    pthread_mutex_unlock(&g_init_mu);
    return capz_err_set(err, CAPZ_EINTERNAL, "curl_global_init: %s", curl_easy_strerror(cc));
  }
  CURLSH *sh = curl_share_init();
  if (!sh) {
    curl_global_cleanup();
    pthread_mutex_unlock(&g_init_mu);
    return capz_err_set(err, CAPZ_ENOMEM, "curl_share_init failed");
  }
  for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&g_share_mu[i], NULL);
  curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  g_share = sh;
  g_init_count = 1;
  pthread_mutex_unlock(&g_init_mu);
  return CAPZ_OK;
}

CAPZ_API void capz_sdk_global_cleanup(void) {
  pthread_mutex_lock(&g_init_mu);
  if (g_init_count > 0 && --g_init_count == 0) {
    /* pooled handles use the share: they go first */
    pthread_mutex_lock(&g_pool_mu);
    while (g_pool_n > 0) curl_easy_cleanup(g_pool[--g_pool_n]);
    pthread_mutex_unlock(&g_pool_mu);
    curl_share_cleanup(g_share);
    g_share = NULL;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&g_share_mu[i]);
    curl_global_cleanup();
  }
  pthread_mutex_unlock(&g_init_mu);
}

void http_set_observer(http_observer_fn fn, void *ud) {
  atomic_store(&g_observer_ud, ud);
  atomic_store(&g_observer, fn);
}

CAPZ_API void capz_sdk_set_request_observer(capz_request_observer_fn fn, void *ud) { http_set_observer(fn, ud); }

unsigned long http_connects_total(void) { return atomic_load(&g_connects); }

/* ---- one transfer ---- */

typedef struct xfer {
  const http_request *req;
  http_response *resp;
  char *buf;
  size_t len, cap;
  long status;      /* from the last status line seen */
  bool streaming;   /* status is 2xx and on_data is set */
  bool cb_aborted;  /* on_data asked to stop */
  bool oom;
} xfer;

static int buf_append(xfer *x, const char *p, size_t n) {
  if (x->len + n + 1 > x->cap) {
    size_t nc = x->cap ? x->cap : 4096;
    while (nc < x->len + n + 1) nc *= 2;
    char *nb = realloc(x->buf, nc);
    if (!nb) return -1;
    x->buf = nb;
    x->cap = nc;
  }
  memcpy(x->buf + x->len, p, n);
  x->len += n;
  x->buf[x->len] = '\0';
  return 0;
}

static void headers_clear(http_response *r) {
  for (size_t i = 0; i < r->n_headers; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  r->headers = NULL;
  r->n_headers = 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  /* Status line: a new response starts (after 100-continue or a proxy CONNECT), drop earlier headers. */
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    headers_clear(x->resp);
    const char *sp = memchr(p, ' ', n);
    x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    return n;
  }
  const char *colon = memchr(p, ':', n);
  if (!colon) {
    /* End of headers: decide now whether the body streams or is buffered. */
    if (n <= 2) x->streaming = x->req->on_data && x->status >= 200 && x->status < 300;
    return n;
  }
  size_t nl = (size_t)(colon - p);
  const char *v = colon + 1;
  const char *end = p + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && isspace((unsigned char)end[-1])) end--;
  http_header *nh = realloc(x->resp->headers, (x->resp->n_headers + 1) * sizeof *nh);
  if (!nh) {
    x->oom = true;
    return 0;
  }
  x->resp->headers = nh;
  http_header *h = &nh[x->resp->n_headers];
  h->name = strndup(p, nl);
  h->value = strndup(v, (size_t)(end - v));
  if (!h->name || !h->value) {
    free(h->name);
    free(h->value);
    x->oom = true;
    return 0;
  }
  x->resp->n_headers++;
  return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  if (x->streaming) {
    if (x->req->on_data(x->req->on_data_ud, p, n) != 0) {
      x->cb_aborted = true;
      return 0;
    }
    return n;
  }
  if (buf_append(x, p, n) != 0) {
    x->oom = true;
    return 0;
  }
  return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt, (void)dn, (void)ut, (void)un;
  xfer *x = ud;
  return (x->req->cancel && __atomic_load_n(x->req->cancel, __ATOMIC_ACQUIRE)) ? 1 : 0;
}

/* The URL without its query string (which may carry secrets such as SAS tokens) for messages. */
static void url_for_msg(const char *url, char *out, size_t n) {
  size_t l = strcspn(url, "?#");
  if (l >= n) l = n - 1;
  memcpy(out, url, l);
  out[l] = '\0';
}

static void url_host(const char *url, char *out, size_t n) {
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  const char *at = NULL;
  size_t l = strcspn(p, "/?#");
  for (size_t i = 0; i < l; i++)
    if (p[i] == '@') at = p + i;
  if (at) {
    l -= (size_t)(at + 1 - p);
    p = at + 1;
  }
  if (l >= n) l = n - 1;
  memcpy(out, p, l);
  out[l] = '\0';
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void notify(const http_request *req, long status, double t0) {
  http_observer_fn fn = atomic_load(&g_observer);
  if (!fn) return;
  char host[256];
  url_host(req->url, host, sizeof host);
  fn(atomic_load(&g_observer_ud), req->method ? req->method : "GET", host, status, now_s() - t0);
}

static int set_tls(CURL *c, const http_tls *tls) {
  if (!tls) return 0;
  CURLcode rc = CURLE_OK;
  if (tls->insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (tls->ca_file && !rc) rc = curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca_file);
  if (tls->ca_pem && !rc) {
    struct curl_blob b = {.data = (void *)tls->ca_pem, .len = strlen(tls->ca_pem), .flags = CURL_BLOB_COPY};
    rc = curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
  }
  if (tls->client_cert_pem && !rc) {
    struct curl_blob b = {.data = (void *)tls->client_cert_pem, .len = strlen(tls->client_cert_pem),
                          .flags = CURL_BLOB_COPY};
    rc = curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &b);
    if (!rc) rc = curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (tls->client_key_pem && !rc) {
    struct curl_blob b = {.data = (void *)tls->client_key_pem, .len = strlen(tls->client_key_pem),
                          .flags = CURL_BLOB_COPY};
    rc = curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &b);
    if (!rc) rc = curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }
  return rc == CURLE_OK ? 0 : -1;
}

/* Like curl_easy_perform, but through a private multi handle polled every 50 ms so a cancel flag (shutdown of a
 * long watch) takes effect within that time rather than at libcurl's once-a-second progress callback. */
static CURLcode perform_cancellable(CURL *c, volatile const int *cancel) {
  CURLM *m = curl_multi_init();
  if (!m) return curl_easy_perform(c);
  if (curl_multi_add_handle(m, c) != CURLM_OK) {
    curl_multi_cleanup(m);
    return curl_easy_perform(c);
  }
  CURLcode result = CURLE_OK;
  int running = 1;
  while (running) {
    if (__atomic_load_n(cancel, __ATOMIC_ACQUIRE)) { /* set by another thread (informer stop) */
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    if (curl_multi_perform(m, &running) != CURLM_OK) {
      result = CURLE_RECV_ERROR;
      break;
    }
    if (running && curl_multi_poll(m, NULL, 0, 50, NULL) != CURLM_OK) {
      result = CURLE_RECV_ERROR;
      break;
    }
  }
  if (!running) {
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)) != NULL)
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) result = msg->data.result;
  }
  curl_multi_remove_handle(m, c);
  curl_multi_cleanup(m);
  return result;
}

/* A handle for one call: a pooled one (options reset, idle connections kept) or a new one. */
static CURL *handle_take(void) {
  CURL *c = NULL;
  pthread_mutex_lock(&g_pool_mu);
  if (g_pool_n > 0) c = g_pool[--g_pool_n];
  pthread_mutex_unlock(&g_pool_mu);
  if (c) curl_easy_reset(c);
  else c = curl_easy_init();
  return c;
}

/* Back to the pool (its connections stay open for the next call), or cleaned up when the pool is full. */
static void handle_give(CURL *c) {
  pthread_mutex_lock(&g_pool_mu);
  if (g_pool_n < POOL_MAX) {
    g_pool[g_pool_n++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&g_pool_mu);
  if (c) curl_easy_cleanup(c);
}

int http_do(const http_request *req, http_response *resp, capz_err *err) {
  memset(resp, 0, sizeof *resp);
  if (!req || !req->url) return capz_err_set(err, CAPZ_EINVAL, "http: request without URL");
  char umsg[512];
  url_for_msg(req->url, umsg, sizeof umsg);
  if (!g_share) return capz_err_set(err, CAPZ_EINTERNAL, "http: capz_sdk_global_init() was not called");

  double t0 = now_s();
  CURL *c = handle_take();
  if (!c) return capz_err_set(err, CAPZ_ENOMEM, "http: curl_easy_init failed");
  xfer x = {.req = req, .resp = resp};
  struct curl_slist *hl = NULL;
  const char *method = req->method ? req->method : "GET";

  curl_easy_setopt(c, CURLOPT_SHARE, g_share);
  curl_easy_setopt(c, CURLOPT_MAXCONNECTS, HANDLE_MAX_CONNECTS);
  curl_easy_setopt(c, CURLOPT_URL, req->url);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000L);
  if (req->timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
  if (req->cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
  }

  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(method, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (req->body || strcmp(method, "POST") == 0) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    }
  }

  bool oom = false;
  for (size_t i = 0; req->headers && req->headers[i]; i++) {
    struct curl_slist *n = curl_slist_append(hl, req->headers[i]);
    if (!n) oom = true;
    else hl = n;
  }
  /* Without this curl waits up to 1 s for "100 Continue" before sending large bodies. */
  struct curl_slist *n = curl_slist_append(hl, "Expect:");
  if (!n) oom = true;
  else hl = n;
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

  int rc = CAPZ_OK;
  if (oom) {
    rc = capz_err_set(err, CAPZ_ENOMEM, "http %s %s: out of memory", method, umsg);
  } else if (set_tls(c, req->tls) != 0) {
    rc = capz_err_set(err, CAPZ_EINVAL, "http %s %s: TLS material rejected by libcurl", method, umsg);
  } else {
    CURLcode cc = req->cancel ? perform_cancellable(c, req->cancel) : curl_easy_perform(c);
    long status = 0, ver = 0, nconn = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &ver);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
    if (nconn > 0) atomic_fetch_add(&g_connects, (unsigned long)nconn);
    resp->status = status ? status : x.status;
    resp->http2 = ver == CURL_HTTP_VERSION_2_0;
    if (x.oom) {
      rc = capz_err_set(err, CAPZ_ENOMEM, "http %s %s: out of memory", method, umsg);
    } else if (cc == CURLE_OK) {
      rc = CAPZ_OK;
    } else if ((cc == CURLE_WRITE_ERROR && x.cb_aborted) || cc == CURLE_ABORTED_BY_CALLBACK) {
      resp->aborted = true;
      rc = CAPZ_OK;
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
      rc = capz_err_set(err, CAPZ_ETIMEOUT, "http %s %s: %s", method, umsg, curl_easy_strerror(cc));
    } else {
      rc = capz_err_set(err, CAPZ_EIO, "http %s %s: %s", method, umsg, curl_easy_strerror(cc));
    }
  }
  /* the handle must not keep pointers into this call (headers list, callbacks' xfer) while pooled */
  curl_easy_reset(c);
  curl_slist_free_all(hl);
  handle_give(c);

  if (rc == CAPZ_OK) {
    resp->body = x.buf;
    resp->body_len = x.len;
  } else {
    free(x.buf);
    headers_clear(resp);
    resp->status = 0;
  }
  notify(req, rc == CAPZ_OK ? resp->status : 0, t0);
  return rc;
}

const char *http_response_header(const http_response *resp, const char *name) {
  if (!resp || !name) return NULL;
  for (size_t i = resp->n_headers; i-- > 0;)
    if (strcasecmp(resp->headers[i].name, name) == 0) return resp->headers[i].value;
  return NULL;
}

void http_response_free(http_response *resp) {
  if (!resp) return;
  free(resp->body);
  headers_clear(resp);
  memset(resp, 0, sizeof *resp);
}
