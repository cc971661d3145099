/* test_json_main.c — runs the JSON suites (pointer, merge, parse/equal). */
#include <check.h>
#include <stdlib.h>

Suite *pointer_suite(void);
Suite *merge_suite(void);
Suite *parse_suite(void);
Suite *patch_suite(void);

int main(void) {
  SRunner *sr = srunner_create(pointer_suite());
  srunner_add_suite(sr, merge_suite());
  srunner_add_suite(sr, parse_suite());
  srunner_add_suite(sr, patch_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
