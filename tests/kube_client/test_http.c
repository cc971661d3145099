/* test_http.c — the SDK's HTTP layer (sdk/src/http) against a tiny libmicrohttpd server. */
#include <check.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/sdk.h"
#include "http/http.h"
#include "tls_fixture.h"
#include "ckrun.h"

static struct MHD_Daemon *g_d;
static char g_base[128];
static atomic_int g_stop_streams;
static atomic_int g_requests;
static tls_fixture g_tls;

typedef struct upload {
  char *buf;
  size_t len;
} upload;

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max) {
  long limit = (long)(intptr_t)cls; /* <0 = endless */
  (void)pos;
  if (atomic_load(&g_stop_streams)) return MHD_CONTENT_READER_END_OF_STREAM;
  static _Thread_local long n;
  if (pos == 0) n = 0;
  if (limit >= 0 && n >= limit) return MHD_CONTENT_READER_END_OF_STREAM;
  if (n > 0) usleep(20000);
  int w = snprintf(buf, max, "line %ld\n", n++);
  return w;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)cls, (void)version;
  if (!*con_cls) {
    upload *u = calloc(1, sizeof *u);
    *con_cls = u;
    return MHD_YES;
  }
  upload *u = *con_cls;
  if (*upload_size) {
    u->buf = realloc(u->buf, u->len + *upload_size + 1);
    memcpy(u->buf + u->len, upload_data, *upload_size);
    u->len += *upload_size;
    u->buf[u->len] = '\0';
    *upload_size = 0;
    return MHD_YES;
  }
  atomic_fetch_add(&g_requests, 1);
  struct MHD_Response *r;
  unsigned code = 200;
  if (strcmp(url, "/hello") == 0) {
    r = MHD_create_response_from_buffer(11, "hello world", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "X-Test", "  abc ");
    MHD_add_response_header(r, "Retry-After", "3");
  } else if (strcmp(url, "/echo") == 0) {
    char *out;
    if (asprintf(&out, "%s:%s", method, u->buf ? u->buf : "") < 0) return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_FREE);
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (ct) MHD_add_response_header(r, "X-Got-Content-Type", ct);
  } else if (strcmp(url, "/stream") == 0) {
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, stream_cb, (void *)(intptr_t)5, NULL);
  } else if (strcmp(url, "/endless") == 0) {
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, stream_cb, (void *)(intptr_t)-1, NULL);
  } else if (strcmp(url, "/gone") == 0) {
    const char *b = "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}";
    r = MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_PERSISTENT);
    code = 410;
  } else if (strcmp(url, "/whoami") == 0) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    unsigned n = 0;
    if (ci && ci->tls_session) gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
    const char *who = n > 0 ? "client-cert" : "anonymous";
    r = MHD_create_response_from_buffer(strlen(who), (void *)who, MHD_RESPMEM_PERSISTENT);
  } else if (strcmp(url, "/slow") == 0) {
    for (int i = 0; i < 40 && !atomic_load(&g_stop_streams); i++) usleep(50000);
    r = MHD_create_response_from_buffer(4, "late", MHD_RESPMEM_PERSISTENT);
  } else {
    r = MHD_create_response_from_buffer(9, "not found", MHD_RESPMEM_PERSISTENT);
    code = 404;
  }
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
  (void)cls, (void)c, (void)t;
  upload *u = *con_cls;
  if (u) {
    free(u->buf);
    free(u);
  }
  *con_cls = NULL;
}

static tls_fixture g_client;

static void start_server(bool tls) {
  atomic_store(&g_stop_streams, 0);
  atomic_store(&g_requests, 0);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (tls) {
    ck_assert_int_eq(tls_fixture_make(&g_tls, "capz-test"), 0);
    ck_assert_int_eq(tls_fixture_make(&g_client, "capz-client"), 0);
    /* Trusting the client's self-signed cert makes the server ask for a client certificate. */
    g_d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
                           NULL, MHD_OPTION_HTTPS_MEM_KEY, g_tls.key_pem, MHD_OPTION_HTTPS_MEM_CERT, g_tls.cert_pem,
                           MHD_OPTION_HTTPS_MEM_TRUST, g_client.cert_pem, MHD_OPTION_END);
  } else {
    g_d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                           MHD_OPTION_END);
  }
  ck_assert_ptr_nonnull(g_d);
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(g_d, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(g_base, sizeof g_base, "%s://127.0.0.1:%u", tls ? "https" : "http", (unsigned)di->port);
}

static void setup_plain(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  start_server(false);
}

static void setup_tls(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  start_server(true);
}

static void teardown(void) {
  atomic_store(&g_stop_streams, 1);
  MHD_stop_daemon(g_d);
  g_d = NULL;
  tls_fixture_free(&g_tls);
  tls_fixture_free(&g_client);
  capz_sdk_global_cleanup();
}

static const char *url(const char *path) {
  static char u[256];
  snprintf(u, sizeof u, "%s%s", g_base, path);
  return u;
}

START_TEST(get_body_and_headers) {
  http_request rq = {.method = "GET", .url = url("/hello"), .timeout_ms = 5000};
  http_response rs;
  capz_err e;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_OK);
  ck_assert_int_eq(rs.status, 200);
  ck_assert_uint_eq(rs.body_len, 11);
  ck_assert_str_eq(rs.body, "hello world");
  ck_assert_str_eq(http_response_header(&rs, "x-test"), "abc");
  ck_assert_str_eq(http_response_header(&rs, "RETRY-AFTER"), "3");
  ck_assert_ptr_null(http_response_header(&rs, "X-Absent"));
  ck_assert(!rs.aborted);
  http_response_free(&rs);
}
END_TEST

START_TEST(methods_send_body_and_headers) {
  const char *methods[] = {"POST", "PUT", "PATCH", "DELETE"};
  const char *hdrs[] = {"Content-Type: application/merge-patch+json", NULL};
  for (int i = 0; i < 4; i++) {
    http_request rq = {.method = methods[i], .url = url("/echo"), .headers = hdrs, .body = "{\"a\":1}XX",
                       .body_len = 7, .timeout_ms = 5000};
    http_response rs;
    ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
    char want[64];
    snprintf(want, sizeof want, "%s:{\"a\":1}", methods[i]);
    ck_assert_str_eq(rs.body, want);
    ck_assert_str_eq(http_response_header(&rs, "X-Got-Content-Type"), "application/merge-patch+json");
    http_response_free(&rs);
  }
  /* DELETE without body */
  http_request rq = {.method = "DELETE", .url = url("/echo"), .timeout_ms = 5000};
  http_response rs;
  ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
  ck_assert_str_eq(rs.body, "DELETE:");
  http_response_free(&rs);
}
END_TEST

typedef struct sink {
  char buf[4096];
  size_t len;
  int calls;
  int stop_after_bytes; /* 0 = never */
} sink;

static int on_data(void *ud, const char *b, size_t n) {
  sink *s = ud;
  s->calls++;
  if (s->len + n < sizeof s->buf) {
    memcpy(s->buf + s->len, b, n);
    s->len += n;
    s->buf[s->len] = '\0';
  }
  return (s->stop_after_bytes && (int)s->len >= s->stop_after_bytes) ? 1 : 0;
}

START_TEST(streaming_delivers_chunks) {
  sink s = {0};
  http_request rq = {.url = url("/stream"), .on_data = on_data, .on_data_ud = &s, .timeout_ms = 5000};
  http_response rs;
  ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
  ck_assert_int_eq(rs.status, 200);
  ck_assert_ptr_null(rs.body);
  ck_assert_str_eq(s.buf, "line 0\nline 1\nline 2\nline 3\nline 4\n");
  ck_assert_int_ge(s.calls, 2); /* arrived in pieces, not buffered */
  http_response_free(&rs);
}
END_TEST

START_TEST(streaming_abort_from_callback) {
  sink s = {.stop_after_bytes = 14};
  http_request rq = {.url = url("/endless"), .on_data = on_data, .on_data_ud = &s, .timeout_ms = 10000};
  http_response rs;
  ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
  ck_assert(rs.aborted);
  ck_assert_int_eq(rs.status, 200);
  ck_assert_int_ge((int)s.len, 14);
  http_response_free(&rs);
}
END_TEST

START_TEST(streaming_non2xx_is_buffered) {
  sink s = {0};
  http_request rq = {.url = url("/gone"), .on_data = on_data, .on_data_ud = &s, .timeout_ms = 5000};
  http_response rs;
  ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
  ck_assert_int_eq(rs.status, 410);
  ck_assert_int_eq(s.calls, 0);
  ck_assert_ptr_nonnull(strstr(rs.body, "Expired"));
  http_response_free(&rs);
}
END_TEST

static volatile int g_cancel;
static void *cancel_later(void *arg) {
  (void)arg;
  usleep(200000);
  g_cancel = 1;
  return NULL;
}

START_TEST(cancel_flag_stops_stream) {
  sink s = {0};
  g_cancel = 0;
  pthread_t t;
  pthread_create(&t, NULL, cancel_later, NULL);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  http_request rq = {.url = url("/endless"), .on_data = on_data, .on_data_ud = &s, .cancel = &g_cancel};
  http_response rs;
  ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
  clock_gettime(CLOCK_MONOTONIC, &b);
  pthread_join(t, NULL);
  ck_assert(rs.aborted);
  ck_assert_int_gt(s.calls, 0);
  double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  ck_assert_double_lt(el, 0.6); /* cancel is seen within ~50 ms, not at libcurl's 1 s progress tick */
  http_response_free(&rs);
}
END_TEST

START_TEST(timeout_and_refused) {
  http_request rq = {.url = url("/slow"), .timeout_ms = 200};
  http_response rs;
  capz_err e;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_ETIMEOUT);
  ck_assert_int_eq(rs.status, 0);
  ck_assert_ptr_nonnull(strstr(e.msg, "/slow"));

  /* a closed port: connection refused is EIO; the query string never reaches the message */
  http_request r2 = {.url = "http://127.0.0.1:1/x?sig=SECRET", .timeout_ms = 2000};
  ck_assert_int_eq(http_do(&r2, &rs, &e), CAPZ_EIO);
  ck_assert_ptr_null(strstr(e.msg, "SECRET"));
  ck_assert_ptr_nonnull(strstr(e.msg, "127.0.0.1:1/x"));
}
END_TEST

START_TEST(connections_are_reused) {
  unsigned long before = http_connects_total();
  for (int i = 0; i < 10; i++) {
    http_request rq = {.url = url("/hello"), .timeout_ms = 5000};
    http_response rs;
    ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
    http_response_free(&rs);
  }
  ck_assert_int_eq(atomic_load(&g_requests), 10);
  ck_assert_uint_eq(http_connects_total() - before, 1);
}
END_TEST

typedef struct obs {
  int calls;
  long last_status;
  char host[128];
  char method[16];
} obs;
static void observer(void *ud, const char *method, const char *host, long status, double s) {
  obs *o = ud;
  (void)s;
  o->calls++;
  o->last_status = status;
  snprintf(o->host, sizeof o->host, "%s", host);
  snprintf(o->method, sizeof o->method, "%s", method);
}

START_TEST(observer_counts_requests) {
  obs o = {0};
  http_set_observer(observer, &o);
  http_request rq = {.method = "PUT", .url = url("/nothing"), .timeout_ms = 5000};
  http_response rs;
  ck_assert_int_eq(http_do(&rq, &rs, NULL), CAPZ_OK);
  http_response_free(&rs);
  http_set_observer(NULL, NULL);
  ck_assert_int_eq(o.calls, 1);
  ck_assert_int_eq(o.last_status, 404);
  ck_assert_str_eq(o.method, "PUT");
  ck_assert_ptr_nonnull(strstr(g_base, o.host));
}
END_TEST

START_TEST(not_initialised_is_an_error) {
  capz_sdk_global_cleanup(); /* balance the fixture's init: the pool is gone now */
  http_request rq = {.url = url("/hello")};
  http_response rs;
  capz_err e;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_EINTERNAL);
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0); /* for teardown */
}
END_TEST

START_TEST(tls_verified_with_ca_blob) {
  http_tls tls = {.ca_pem = g_tls.cert_pem};
  http_request rq = {.url = url("/hello"), .timeout_ms = 5000, .tls = &tls};
  http_response rs;
  capz_err e;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_OK);
  ck_assert_int_eq(rs.status, 200);
  ck_assert_str_eq(rs.body, "hello world");
  http_response_free(&rs);
}
END_TEST

START_TEST(tls_rejects_unknown_ca_unless_insecure) {
  http_request rq = {.url = url("/hello"), .timeout_ms = 5000};
  http_response rs;
  capz_err e;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_EIO); /* system CAs do not know our cert */
  tls_fixture other;
  ck_assert_int_eq(tls_fixture_make(&other, "other"), 0);
  http_tls wrong = {.ca_pem = other.cert_pem};
  rq.tls = &wrong;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_EIO);
  tls_fixture_free(&other);
  http_tls insecure = {.insecure_skip_verify = true};
  rq.tls = &insecure;
  ck_assert_int_eq(http_do(&rq, &rs, &e), CAPZ_OK);
  ck_assert_int_eq(rs.status, 200);
  http_response_free(&rs);
}
END_TEST

START_TEST(tls_ca_file) {
  char path[] = "/tmp/capz-http-ca-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, g_tls.cert_pem, strlen(g_tls.cert_pem)), (ssize_t)strlen(g_tls.cert_pem));
  close(fd);
  http_tls tls = {.ca_file = path};
  http_request rq = {.url = url("/hello"), .timeout_ms = 5000, .tls = &tls};
  http_response rs;
  capz_err e;
  int rc = http_do(&rq, &rs, &e);
  unlink(path);
  ck_assert_int_eq(rc, CAPZ_OK);
  ck_assert_int_eq(rs.status, 200);
  http_response_free(&rs);
}
END_TEST

START_TEST(tls_client_certificate_blobs) {
  http_tls anon = {.ca_pem = g_tls.cert_pem};
  http_request rq = {.url = url("/whoami"), .timeout_ms = 5000, .tls = &anon};
  http_response rs;
  capz_err e;
  ck_assert_msg(http_do(&rq, &rs, &e) == CAPZ_OK, "%s", e.msg);
  ck_assert_str_eq(rs.body, "anonymous");
  http_response_free(&rs);
  http_tls withcert = {.ca_pem = g_tls.cert_pem, .client_cert_pem = g_client.cert_pem,
                       .client_key_pem = g_client.key_pem};
  rq.tls = &withcert;
  ck_assert_msg(http_do(&rq, &rs, &e) == CAPZ_OK, "%s", e.msg);
  ck_assert_str_eq(rs.body, "client-cert");
  http_response_free(&rs);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("http");
  TCase *p = tcase_create("plain");
  tcase_add_checked_fixture(p, setup_plain, teardown);
  tcase_add_test(p, get_body_and_headers);
  tcase_add_test(p, methods_send_body_and_headers);
  tcase_add_test(p, streaming_delivers_chunks);
  tcase_add_test(p, streaming_abort_from_callback);
  tcase_add_test(p, streaming_non2xx_is_buffered);
  tcase_add_test(p, cancel_flag_stops_stream);
  tcase_add_test(p, timeout_and_refused);
  tcase_add_test(p, connections_are_reused);
  tcase_add_test(p, observer_counts_requests);
  tcase_add_test(p, not_initialised_is_an_error);
  suite_add_tcase(s, p);
  TCase *t = tcase_create("tls");
  tcase_add_checked_fixture(t, setup_tls, teardown);
  tcase_add_test(t, tls_verified_with_ca_blob);
  tcase_add_test(t, tls_rejects_unknown_ca_unless_insecure);
  tcase_add_test(t, tls_ca_file);
  tcase_add_test(t, tls_client_certificate_blobs);
  suite_add_tcase(s, t);
  return s;
}

int main(void) { return ckrun(suite()); }
