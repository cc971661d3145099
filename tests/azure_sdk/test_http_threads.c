/* test_http_threads.c — the SDK's HTTP layer (sdk/src/http) under the host's concurrency: many threads doing
 * short requests at once against one server that closes some connections, so connections are opened, reused,
 * found dead and dropped while other threads do the same. This is the pattern of the 2,000-cluster AKS run
 * (tens of worker and informer threads on the kube and ARM endpoints) that aborted with "double free or
 * corruption". libcurl (7.88) does not support a connection cache shared between threads; under valgrind --tool=drd
 * this test showed other threads touching connection structs allocated by a transfer in flight until http.c
 * stopped sharing it. The race itself is rare, so what this test asserts is that many threads get every answer
 * AND still reuse connections (the shared cache had also collapsed reuse: ~5,930 connects for 6,000 requests;
 * the per-handle pool needs ~880, the server closing one connection in 7). Run it under ASan too.
 * N_THREADS / PER_THREAD may be overridden at compile time for longer soaks. */
#include <check.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/sdk.h"
#include "http/http.h"
#include "ckrun.h"

#ifndef N_THREADS
#define N_THREADS 24
#endif
#ifndef PER_THREAD
#define PER_THREAD 250
#endif

static struct MHD_Daemon *g_d;
static char g_base[128];
static atomic_int g_requests;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_size, void **con_cls) {
  (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
  if (!*con_cls) {
    *con_cls = (void *)1;
    return MHD_YES;
  }
  if (*upload_size) {
    *upload_size = 0;
    return MHD_YES;
  }
  int n = atomic_fetch_add(&g_requests, 1);
  char body[64];
  int l = snprintf(body, sizeof body, "{\"n\":%d}", n);
  struct MHD_Response *r = MHD_create_response_from_buffer((size_t)l, body, MHD_RESPMEM_MUST_COPY);
  /* every 7th response closes its connection: the client's cache must drop it while others use theirs */
  if (n % 7 == 0) MHD_add_response_header(r, "Connection", "close");
  enum MHD_Result ret = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ret;
}

static void server_start(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  g_d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_LIMIT, 512u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 2u, MHD_OPTION_END);
  ck_assert_ptr_nonnull(g_d);
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(g_d, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%u", (unsigned)di->port);
  atomic_store(&g_requests, 0);
}

static void server_stop(void) {
  MHD_stop_daemon(g_d);
  capz_sdk_global_cleanup();
}

typedef struct worker {
  int idx, failures;
  char last[600];
} worker;

static void *run(void *p) {
  worker *w = p;
  char url[256];
  for (int i = 0; i < PER_THREAD; i++) {
    snprintf(url, sizeof url, "%s/r/%d/%d", g_base, w->idx, i);
    const char *hdrs[] = {"Accept: application/json", NULL};
    const char *body = "{\"x\":1}";
    http_request req = {.method = i % 3 == 0 ? "PUT" : "GET", .url = url, .headers = hdrs,
                        .body = i % 3 == 0 ? body : NULL, .body_len = i % 3 == 0 ? strlen(body) : 0,
                        .timeout_ms = 20000};
    http_response resp;
    capz_err err;
    capz_err_clear(&err);
    int rc = http_do(&req, &resp, &err);
    if (rc != 0 || resp.status != 200 || !resp.body || strncmp(resp.body, "{\"n\":", 5) != 0) {
      w->failures++;
      snprintf(w->last, sizeof w->last, "rc %d status %ld: %s", rc, resp.status, err.msg);
    }
    http_response_free(&resp);
  }
  return NULL;
}

START_TEST(many_threads_share_the_http_layer) {
  unsigned long c0 = http_connects_total();
  pthread_t th[N_THREADS];
  worker w[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    w[i] = (worker){.idx = i};
    ck_assert_int_eq(pthread_create(&th[i], NULL, run, &w[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < N_THREADS; i++) ck_assert_msg(w[i].failures == 0, "thread %d: %d failures, last %s", i,
                                                      w[i].failures, w[i].last);
  int total = N_THREADS * PER_THREAD;
  ck_assert_int_eq(atomic_load(&g_requests), total);
  /* reuse still works: one connection per 7 requests would be closed by the server anyway, so well under
   * one connection per request means idle connections are picked up again */
  unsigned long conns = http_connects_total() - c0;
  fprintf(stderr, "http_threads: %lu connections for %d requests\n", conns, total);
  ck_assert_msg(conns < (unsigned long)total / 2, "%lu connections for %d requests", conns, total);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("http_threads");
  TCase *tc = tcase_create("threads");
  tcase_add_checked_fixture(tc, server_start, server_stop);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, many_threads_share_the_http_layer);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
