/* ckrun.h — the end of every Check test program's main(): run the suites, report, turn the failure count into
 * the exit status. Header-only so that any test can use it without linking anything more.
 *
 *   int main(void) { return ckrun(my_suite()); }
 *
 * With several suites, create the runner, srunner_add_suite the rest, and return ckrun_runner(sr).
 * ckrun_add_cases builds a suite of one named case per test (end-to-end suites, where each test is long).
 */
#ifndef CAPZ_TEST_CKRUN_H
#define CAPZ_TEST_CKRUN_H
#include <check.h>
#include <stdlib.h>

/* Runs everything in sr (CK_NORMAL output, CK_FORK as configured), frees sr; EXIT_FAILURE if any test failed. */
static inline int ckrun_runner(SRunner *sr) {
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static inline int ckrun(Suite *s) { return ckrun_runner(srunner_create(s)); }

/* One test case per test, named, so that CK_RUN_CASE=<name> runs just that test; each case gets the checked
 * fixture (setup/teardown may be NULL) and the timeout. */
typedef struct ckrun_case {
  const char *name;
  const TTest *test;
} ckrun_case;

static inline void ckrun_add_cases(Suite *s, const ckrun_case *cases, size_t n, SFun setup, SFun teardown,
                                   double timeout_s) {
  for (size_t i = 0; i < n; i++) {
    TCase *tc = tcase_create(cases[i].name);
    if (setup || teardown) tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, timeout_s);
    tcase_add_test(tc, cases[i].test);
    suite_add_tcase(s, tc);
  }
}

#endif
