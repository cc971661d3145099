/* main.c — runs every selfmanaged-api suite. */
#include <stdlib.h>
#include "sm_test_util.h"

int main(void) {
  SRunner *sr = srunner_create(smt_names_suite());
  srunner_add_suite(sr, smt_cluster_defaults_suite());
  srunner_add_suite(sr, smt_cluster_validate_suite());
  srunner_add_suite(sr, smt_cluster_template_suite());
  srunner_add_suite(sr, smt_machine_suite());
  srunner_add_suite(sr, smt_machine_validate_suite());
  srunner_add_suite(sr, smt_identity_suite());
  srunner_add_suite(sr, smt_robustness_suite());
  srunner_add_suite(sr, smt_templates_all_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
