/* main.c — runs the SDK table, session and controller-helper suites. */
#include <stdlib.h>

#include "tenv.h"
#include "ckrun.h"

int main(void) {
  SRunner *sr = srunner_create(util_suite());
  srunner_add_suite(sr, table_suite());
  srunner_add_suite(sr, session_suite());
  return ckrun_runner(sr);
}
