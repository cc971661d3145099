/* test_metrics.c — capz/metrics.h: registration rules, exact 0.0.4 rendering, concurrency. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capz/metrics.h"
#include "ckrun.h"

static char *render(capz_metrics_registry *r) {
  size_t len = 0;
  char *s = capz_metrics_render(r, &len);
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_eq(len, strlen(s));
  return s;
}

START_TEST(render_exact) {
  capz_metrics_registry *r = capz_metrics_registry_new();
  capz_err e;
  const char *rl[] = {"code", "method", "host", NULL};
  capz_metric_family *req = capz_metrics_counter(r, "rest_client_requests_total",
                                                 "Number of HTTP requests, partitioned by status code, method, and host.",
                                                 rl, &e);
  ck_assert_ptr_nonnull(req);
  capz_metric *ok = capz_metric_with(req, "200", "GET", "127.0.0.1:6443", NULL);
  capz_metric_inc(ok);
  capz_metric_inc(ok);
  capz_metric_add(ok, 3);
  capz_metric_add(ok, -10); /* counters never go down */
  capz_metric_inc(capz_metric_with(req, "404", "GET", "127.0.0.1:6443", NULL));
  const char *ql[] = {"name", NULL};
  capz_metric_family *depth = capz_metrics_gauge(r, "workqueue_depth", "Current depth of workqueue", ql, &e);
  capz_metric *d = capz_metric_with(depth, "azurecluster", NULL);
  capz_metric_set(d, 7);
  capz_metric_dec(d);
  capz_metric_add(d, 0.5);
  capz_metric_set(capz_metric_with(depth, "weird \"q\"\\\nname", NULL), -2);
  capz_metric_family *up = capz_metrics_gauge(r, "capz_up", "Help with \\ and\nnewline", NULL, &e);
  (void)up;
  const double b[] = {0.1, 1, 2.5};
  const char *hl[] = {"controller", NULL};
  capz_metric_family *h = capz_metrics_histogram(r, "controller_runtime_reconcile_time_seconds",
                                                 "Length of time per reconciliation per controller", hl, b, 3, &e);
  capz_metric *hm = capz_metric_with(h, "azuremachine", NULL);
  capz_metric_observe(hm, 0.05);
  capz_metric_observe(hm, 0.1); /* le is inclusive */
  capz_metric_observe(hm, 2);
  capz_metric_observe(hm, 30);
  capz_metric_observe(hm, NAN); /* ignored */
  capz_metrics_counter(r, "labelled_but_unused_total", "never rendered", hl, &e);
  char *s = render(r);
  const char *want =
      "# HELP capz_up Help with \\\\ and\\nnewline\n"
      "# TYPE capz_up gauge\n"
      "capz_up 0\n"
      "# HELP controller_runtime_reconcile_time_seconds Length of time per reconciliation per controller\n"
      "# TYPE controller_runtime_reconcile_time_seconds histogram\n"
      "controller_runtime_reconcile_time_seconds_bucket{controller=\"azuremachine\",le=\"0.1\"} 2\n"
      "controller_runtime_reconcile_time_seconds_bucket{controller=\"azuremachine\",le=\"1\"} 2\n"
      "controller_runtime_reconcile_time_seconds_bucket{controller=\"azuremachine\",le=\"2.5\"} 3\n"
      "controller_runtime_reconcile_time_seconds_bucket{controller=\"azuremachine\",le=\"+Inf\"} 4\n"
      "controller_runtime_reconcile_time_seconds_sum{controller=\"azuremachine\"} 32.15\n"
      "controller_runtime_reconcile_time_seconds_count{controller=\"azuremachine\"} 4\n"
      "# HELP rest_client_requests_total Number of HTTP requests, partitioned by status code, method, and host.\n"
      "# TYPE rest_client_requests_total counter\n"
      "rest_client_requests_total{code=\"200\",method=\"GET\",host=\"127.0.0.1:6443\"} 5\n"
      "rest_client_requests_total{code=\"404\",method=\"GET\",host=\"127.0.0.1:6443\"} 1\n"
      "# HELP workqueue_depth Current depth of workqueue\n"
      "# TYPE workqueue_depth gauge\n"
      "workqueue_depth{name=\"azurecluster\"} 6.5\n"
      "workqueue_depth{name=\"weird \\\"q\\\"\\\\\\nname\"} -2\n";
  ck_assert_str_eq(s, want);
  ck_assert(capz_metric_value(ok) == 5);
  ck_assert(capz_metric_value(hm) == 4);
  ck_assert(fabs(capz_metric_sum(hm) - 32.15) < 1e-9);
  free(s);
  capz_metrics_registry_free(r);
}
END_TEST

START_TEST(special_values_and_defaults) {
  capz_metrics_registry *r = capz_metrics_registry_new();
  capz_metric_family *g = capz_metrics_gauge(r, "g", "", (const char *[]){"k", NULL}, NULL);
  capz_metric_set(capz_metric_with(g, "a", NULL), INFINITY);
  capz_metric_set(capz_metric_with(g, "b", NULL), -INFINITY);
  capz_metric_set(capz_metric_with(g, "c", NULL), NAN);
  capz_metric_set(capz_metric_with(g, "d", NULL), 1e21);
  capz_metric_set(capz_metric_with(g, "e", NULL), 0.1);
  capz_metric_family *h = capz_metrics_histogram(r, "h_seconds", "defaults", NULL, NULL, 0, NULL);
  capz_metric_observe(capz_metric_with(h, NULL), 0.3);
  char *s = render(r);
  ck_assert_ptr_nonnull(strstr(s, "g{k=\"a\"} +Inf\ng{k=\"b\"} -Inf\ng{k=\"c\"} NaN\ng{k=\"d\"} 1e+21\ng{k=\"e\"} 0.1\n"));
  ck_assert_ptr_nonnull(strstr(s, "h_seconds_bucket{le=\"0.005\"} 0\n"));
  ck_assert_ptr_nonnull(strstr(s, "h_seconds_bucket{le=\"0.25\"} 0\nh_seconds_bucket{le=\"0.5\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(s, "h_seconds_bucket{le=\"10\"} 1\nh_seconds_bucket{le=\"+Inf\"} 1\n"
                                  "h_seconds_sum 0.3\nh_seconds_count 1\n"));
  ck_assert_ptr_nonnull(strstr(s, "# HELP g \n# TYPE g gauge\n"));
  free(s);
  capz_metrics_registry_free(r);
}
END_TEST

START_TEST(registration_rules) {
  capz_metrics_registry *r = capz_metrics_registry_new();
  capz_err e;
  const char *l[] = {"a", "b", NULL};
  capz_metric_family *f1 = capz_metrics_counter(r, "x_total", "first", l, &e);
  capz_metric_family *f2 = capz_metrics_counter(r, "x_total", "second help ignored", l, &e);
  ck_assert_ptr_nonnull(f1);
  ck_assert_ptr_eq(f1, f2);
  ck_assert_ptr_null(capz_metrics_gauge(r, "x_total", "", l, &e));
  ck_assert_int_eq(e.code, CAPZ_EEXIST);
  ck_assert_ptr_null(capz_metrics_counter(r, "x_total", "", (const char *[]){"a", NULL}, &e));
  ck_assert_int_eq(e.code, CAPZ_EEXIST);
  ck_assert_ptr_null(capz_metrics_counter(r, "x_total", "", (const char *[]){"b", "a", NULL}, &e));
  const char *bad_names[] = {"", "1abc", "a-b", "a b", "é"};
  for (size_t i = 0; i < 5; i++) {
    ck_assert_ptr_null(capz_metrics_counter(r, bad_names[i], "", NULL, &e));
    ck_assert_int_eq(e.code, CAPZ_EINVAL);
  }
  ck_assert_ptr_null(capz_metrics_counter(r, NULL, "", NULL, &e));
  ck_assert_ptr_nonnull(capz_metrics_counter(r, "ns:sub_total", "", NULL, &e));
  ck_assert_ptr_null(capz_metrics_counter(r, "y", "", (const char *[]){"__x", NULL}, &e));
  ck_assert_ptr_null(capz_metrics_counter(r, "y", "", (const char *[]){"a:b", NULL}, &e));
  ck_assert_ptr_null(capz_metrics_counter(r, "y", "", (const char *[]){"a", "a", NULL}, &e));
  ck_assert_ptr_null(capz_metrics_histogram(r, "y", "", (const char *[]){"le", NULL}, NULL, 0, &e));
  ck_assert_ptr_nonnull(capz_metrics_counter(r, "y", "", (const char *[]){"le", NULL}, &e));
  ck_assert_ptr_null(capz_metrics_histogram(r, "h", "", NULL, (const double[]){1, 1}, 2, &e));
  ck_assert_ptr_null(capz_metrics_histogram(r, "h", "", NULL, (const double[]){2, 1}, 2, &e));
  ck_assert_ptr_null(capz_metrics_histogram(r, "h", "", NULL, (const double[]){1, INFINITY}, 2, &e));
  capz_metric_family *h = capz_metrics_histogram(r, "h", "", NULL, (const double[]){1, 2}, 2, &e);
  ck_assert_ptr_eq(capz_metrics_histogram(r, "h", "", NULL, (const double[]){1, 2}, 2, &e), h);
  ck_assert_ptr_null(capz_metrics_histogram(r, "h", "", NULL, (const double[]){1, 3}, 2, &e));
  ck_assert_int_eq(e.code, CAPZ_EEXIST);
  /* series lookup: same values give the same handle; wrong counts give NULL */
  capz_metric *m1 = capz_metric_with(f1, "1", "2", NULL);
  ck_assert_ptr_nonnull(m1);
  ck_assert_ptr_eq(capz_metric_with(f1, "1", "2", NULL), m1);
  ck_assert_ptr_ne(capz_metric_with(f1, "2", "1", NULL), m1);
  ck_assert_ptr_null(capz_metric_with(f1, "1", NULL));
  ck_assert_ptr_null(capz_metric_with(f1, "1", "2", "3", NULL));
  ck_assert_ptr_eq(capz_metric_with_values(f1, (const char *[]){"1", "2"}, 2), m1);
  ck_assert_ptr_null(capz_metric_with_values(f1, (const char *[]){"1", NULL}, 2));
  ck_assert_ptr_null(capz_metric_with(NULL, NULL));
  /* wrong-type updates are no-ops; NULL handles are safe */
  capz_metric_set(m1, 100);
  capz_metric_dec(m1);
  capz_metric_observe(m1, 1);
  ck_assert(capz_metric_value(m1) == 0);
  capz_metric_inc(NULL);
  capz_metric_observe(NULL, 1);
  ck_assert(capz_metric_value(NULL) == 0);
  capz_metrics_registry_free(r);
  capz_metrics_registry_free(NULL);
}
END_TEST

START_TEST(default_registry) {
  capz_metric_family *f = capz_metrics_counter(NULL, "capz_test_default_total", "d", NULL, NULL);
  ck_assert_ptr_eq(capz_metrics_counter(NULL, "capz_test_default_total", "d", NULL, NULL), f);
  capz_metric_inc(capz_metric_with(f, NULL));
  char *s = capz_metrics_render(NULL, NULL);
  ck_assert_ptr_nonnull(strstr(s, "\ncapz_test_default_total 1\n"));
  free(s);
}
END_TEST

#define THREADS 8
#define ITER 20000

static capz_metric_family *g_c, *g_h, *g_g;

static void *hammer(void *arg) {
  char lbl[8];
  snprintf(lbl, sizeof lbl, "w%ld", (long)arg % 2);
  for (int i = 0; i < ITER; i++) {
    capz_metric_inc(capz_metric_with(g_c, lbl, NULL));
    capz_metric_observe(capz_metric_with(g_h, NULL), (i % 4) * 0.5);
    capz_metric_add(capz_metric_with(g_g, NULL), (i % 2) ? 1 : -1);
  }
  return NULL;
}

static void *renderer(void *arg) {
  for (int i = 0; i < 50; i++) free(capz_metrics_render(arg, NULL));
  return NULL;
}

START_TEST(concurrent_updates_are_exact) {
  capz_metrics_registry *r = capz_metrics_registry_new();
  g_c = capz_metrics_counter(r, "c_total", "", (const char *[]){"w", NULL}, NULL);
  g_h = capz_metrics_histogram(r, "h", "", NULL, (const double[]){0.5, 1}, 2, NULL);
  g_g = capz_metrics_gauge(r, "g", "", NULL, NULL);
  pthread_t th[THREADS + 1];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, hammer, (void *)i);
  pthread_create(&th[THREADS], NULL, renderer, r);
  for (int i = 0; i <= THREADS; i++) pthread_join(th[i], NULL);
  char *s = render(r);
  char want[256];
  snprintf(want, sizeof want, "c_total{w=\"w0\"} %d\nc_total{w=\"w1\"} %d\n", THREADS / 2 * ITER, THREADS / 2 * ITER);
  ck_assert_msg(strstr(s, want) != NULL, "%s", s);
  snprintf(want, sizeof want, "h_bucket{le=\"0.5\"} %d\nh_bucket{le=\"1\"} %d\nh_bucket{le=\"+Inf\"} %d\nh_sum %d\n"
           "h_count %d\n", THREADS * ITER / 2, THREADS * ITER * 3 / 4, THREADS * ITER, THREADS * ITER * 3 / 4,
           THREADS * ITER);
  ck_assert_msg(strstr(s, want) != NULL, "%s", s);
  ck_assert_ptr_nonnull(strstr(s, "\ng 0\n"));
  free(s);
  capz_metrics_registry_free(r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, render_exact);
  tcase_add_test(tc, special_values_and_defaults);
  tcase_add_test(tc, registration_rules);
  tcase_add_test(tc, default_registry);
  tcase_add_test(tc, concurrent_updates_are_exact);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
