/* test_json_main.c — runs the JSON suites (pointer, merge, parse/equal). */
#include <check.h>
#include <stdlib.h>

#include "ckrun.h"

Suite *pointer_suite(void);
Suite *merge_suite(void);
Suite *parse_suite(void);
Suite *patch_suite(void);

int main(void) {
  SRunner *sr = srunner_create(pointer_suite());
  srunner_add_suite(sr, merge_suite());
  srunner_add_suite(sr, parse_suite());
  srunner_add_suite(sr, patch_suite());
  return ckrun_runner(sr);
}
