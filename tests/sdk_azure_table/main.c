/* main.c — runs the SDK table, session and controller-helper suites. */
#include <stdlib.h>

#include "tenv.h"

int main(void) {
  SRunner *sr = srunner_create(util_suite());
  srunner_add_suite(sr, table_suite());
  srunner_add_suite(sr, session_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
