/* test_workqueue.c — work queue semantics (dedup, no concurrent processing of a key, dirty re-run, delays,
 * per-item backoff growth and reset, shutdown with in-flight work). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/workqueue.h"
#include "ckrun.h"

static capz_key K(const char *ns, const char *name) {
  capz_key k;
  memset(&k, 0, sizeof k);
  snprintf(k.ns, sizeof k.ns, "%s", ns);
  snprintf(k.name, sizeof k.name, "%s", name);
  return k;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(dedup_and_order) {
  capz_workqueue *q;
  ck_assert_int_eq(capz_workqueue_new(NULL, &q, NULL), 0);
  capz_key a = K("ns", "a"), b = K("ns", "b");
  capz_workqueue_add(q, &a);
  capz_workqueue_add(q, &b);
  capz_workqueue_add(q, &a);
  capz_workqueue_stats st;
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.depth, 2);
  capz_key got;
  ck_assert(capz_workqueue_get(q, &got));
  ck_assert_str_eq(got.name, "a");
  ck_assert_str_eq(got.ns, "ns");
  capz_workqueue_done(q, &got);
  ck_assert(capz_workqueue_get(q, &got));
  ck_assert_str_eq(got.name, "b");
  capz_workqueue_done(q, &got);
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.depth, 0);
  capz_workqueue_shutdown(q);
  ck_assert(!capz_workqueue_get(q, &got));
  capz_workqueue_free(q);
}
END_TEST

START_TEST(dirty_rerun_after_done) {
  capz_workqueue *q;
  ck_assert_int_eq(capz_workqueue_new(NULL, &q, NULL), 0);
  capz_key a = K("", "cluster-scoped");
  capz_workqueue_add(q, &a);
  capz_key got;
  ck_assert(capz_workqueue_get(q, &got));
  ck_assert_str_eq(got.ns, "");
  /* added twice while processing: not handed out now, exactly once after done */
  capz_workqueue_add(q, &a);
  capz_workqueue_add(q, &a);
  capz_workqueue_stats st;
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.depth, 0);
  ck_assert_uint_eq(st.processing, 1);
  capz_workqueue_done(q, &got);
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.depth, 1);
  ck_assert(capz_workqueue_get(q, &got));
  capz_workqueue_done(q, &got);
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.depth, 0);
  capz_workqueue_shutdown(q);
  capz_workqueue_free(q);
}
END_TEST

typedef struct worker_ctx {
  capz_workqueue *q;
  atomic_int in_flight[4];
  atomic_int violations;
  atomic_int processed;
} worker_ctx;

static void *worker(void *arg) {
  worker_ctx *w = arg;
  capz_key k;
  while (capz_workqueue_get(w->q, &k)) {
    int i = k.name[0] - 'a';
    if (atomic_fetch_add(&w->in_flight[i], 1) != 0) atomic_fetch_add(&w->violations, 1);
    usleep(2000);
    atomic_fetch_sub(&w->in_flight[i], 1);
    atomic_fetch_add(&w->processed, 1);
    capz_workqueue_done(w->q, &k);
  }
  return NULL;
}

START_TEST(no_concurrent_processing_of_a_key) {
  worker_ctx w = {0};
  ck_assert_int_eq(capz_workqueue_new(NULL, &w.q, NULL), 0);
  pthread_t th[6];
  for (int i = 0; i < 6; i++) pthread_create(&th[i], NULL, worker, &w);
  const char *names[] = {"a", "b", "c", "d"};
  for (int r = 0; r < 300; r++) {
    capz_key k = K("x", names[r % 4]);
    capz_workqueue_add(w.q, &k);
    if (r % 10 == 0) usleep(1000);
  }
  usleep(200000);
  ck_assert(capz_workqueue_wait_idle(w.q, 2000));
  capz_workqueue_shutdown(w.q);
  for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
  ck_assert_int_eq(atomic_load(&w.violations), 0);
  ck_assert_int_gt(atomic_load(&w.processed), 4);
  ck_assert_int_lt(atomic_load(&w.processed), 300); /* dedup merged adds */
  capz_workqueue_free(w.q);
}
END_TEST

START_TEST(add_after_waits_and_keeps_earliest) {
  capz_workqueue *q;
  ck_assert_int_eq(capz_workqueue_new(NULL, &q, NULL), 0);
  capz_key a = K("n", "a");
  int64_t t0 = now_ms();
  capz_workqueue_add_after(q, &a, 1000);
  capz_workqueue_add_after(q, &a, 150); /* earlier wins */
  capz_workqueue_add_after(q, &a, 5000);
  capz_workqueue_stats st;
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.delayed, 1);
  capz_key got;
  ck_assert(capz_workqueue_get(q, &got));
  int64_t el = now_ms() - t0;
  ck_assert_int_ge(el, 140);
  ck_assert_int_lt(el, 900);
  capz_workqueue_done(q, &got);
  capz_workqueue_get_stats(q, &st);
  ck_assert_uint_eq(st.delayed, 0);
  capz_workqueue_shutdown(q);
  capz_workqueue_free(q);
}
END_TEST

START_TEST(backoff_grows_and_resets) {
  capz_workqueue *q;
  capz_workqueue_opts o = {.struct_size = sizeof o, .qps = -1};
  ck_assert_int_eq(capz_workqueue_new(&o, &q, NULL), 0);
  capz_key a = K("n", "a");
  int64_t expect = 5;
  for (int i = 0; i < 8; i++) {
    ck_assert_int_eq(capz_workqueue_add_rate_limited(q, &a), expect);
    expect *= 2;
  }
  ck_assert_int_eq(capz_workqueue_num_requeues(q, &a), 8);
  for (int i = 0; i < 30; i++) capz_workqueue_add_rate_limited(q, &a);
  ck_assert_int_eq(capz_workqueue_add_rate_limited(q, &a), 1000000); /* capped at 1000 s */
  capz_workqueue_forget(q, &a);
  ck_assert_int_eq(capz_workqueue_num_requeues(q, &a), 0);
  ck_assert_int_eq(capz_workqueue_add_rate_limited(q, &a), 5);
  capz_workqueue_shutdown(q);
  capz_workqueue_free(q);
}
END_TEST

START_TEST(bucket_limits_retry_storms) {
  capz_workqueue *q;
  capz_workqueue_opts o = {.struct_size = sizeof o, .qps = 10, .burst = 5};
  ck_assert_int_eq(capz_workqueue_new(&o, &q, NULL), 0);
  int64_t last = 0;
  for (int i = 0; i < 10; i++) {
    char n[8];
    snprintf(n, sizeof n, "k%d", i);
    capz_key k = K("n", n);
    last = capz_workqueue_add_rate_limited(q, &k);
  }
  /* 10 distinct keys, burst 5 at 10 qps: the 10th waits about 0.5 s although its own backoff is 5 ms */
  ck_assert_int_ge(last, 400);
  ck_assert_int_le(last, 600);
  capz_workqueue_shutdown(q);
  capz_workqueue_free(q);
}
END_TEST

typedef struct slow_ctx {
  capz_workqueue *q;
  atomic_int finished;
} slow_ctx;

static void *slow_worker(void *arg) {
  slow_ctx *s = arg;
  capz_key k;
  while (capz_workqueue_get(s->q, &k)) {
    usleep(300000);
    atomic_fetch_add(&s->finished, 1);
    capz_workqueue_done(s->q, &k);
  }
  return NULL;
}

START_TEST(shutdown_stops_intake_and_drains_in_flight) {
  slow_ctx s = {0};
  ck_assert_int_eq(capz_workqueue_new(NULL, &s.q, NULL), 0);
  pthread_t t;
  pthread_create(&t, NULL, slow_worker, &s);
  capz_key a = K("n", "a"), b = K("n", "b");
  capz_workqueue_add(s.q, &a);
  capz_workqueue_add(s.q, &b);
  usleep(50000); /* a is in flight, b queued */
  capz_workqueue_shutdown(s.q);
  capz_workqueue_add(s.q, &a); /* ignored */
  ck_assert(capz_workqueue_wait_idle(s.q, 3000));
  pthread_join(t, NULL);
  ck_assert_int_eq(atomic_load(&s.finished), 1); /* a finished, b never started */
  capz_workqueue_free(s.q);
}
END_TEST

int main(void) {
  Suite *s = suite_create("workqueue");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, dedup_and_order);
  tcase_add_test(tc, dirty_rerun_after_done);
  tcase_add_test(tc, no_concurrent_processing_of_a_key);
  tcase_add_test(tc, add_after_waits_and_keeps_earliest);
  tcase_add_test(tc, backoff_grows_and_resets);
  tcase_add_test(tc, bucket_limits_retry_storms);
  tcase_add_test(tc, shutdown_stops_intake_and_drains_in_flight);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
