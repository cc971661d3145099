/* ckrun.h — the end of every Check test program's main(): run the suites, report, turn the failure count into
 * the exit status. Header-only so that any test can use it without linking anything more.
 *
 *   int main(void) { return ckrun(my_suite()); }
 *
 * With several suites, create the runner, srunner_add_suite the rest, and return ckrun_runner(sr).
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

#endif
