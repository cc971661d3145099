/* test_cluster_template.c — AzureClusterTemplate validation. */
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

#define NET "spec.template.spec.networkSpec."

static cJSON *base(void) {
  cJSON *t = smt_template_obj("cluster-template-clusterclass.yaml", "AzureClusterTemplate", NULL);
  capz_err err;
  ck_assert_int_eq(sm_azureclustertemplate_default(t, &err), 0);
  return t;
}

static void expect_err(cJSON *obj, cJSON *old, const char *field, const char *want) {
  smt_expect_err(sm_azureclustertemplate_validate_errs, "AzureClusterTemplate", "t", obj, old, field, want);
}

START_TEST(template_rules) {
  static const smt_case cases[] = {
      {NET "subnets[1].name", NULL, NET "subnets[1].name", "name of subnet doesn't match regex"},
      /* templates need both roles even with a cluster subnet (CAPZ) */
      {NET "subnets[0].role", "\"cluster\"", NET "subnets", "required role control-plane not included"},
      {NET "subnets[1].cidrBlocks", "[\"192.168.0.0/16\"]", NET "subnets[1].cidrBlocks", "subnet CIDR not in vnet address space"},
      {NET "apiServerLB.type", "\"Private\"", NET "apiServerLB.type", "Unsupported value: \"Private\""},
      {NET "controlPlaneOutboundLB", "{}", NET "controlPlaneOutboundLB", "cannot be set for public clusters"},
      {NET "privateDNSZoneName", "\"zone.example.com\"", NET "privateDNSZoneName", "available only if APIServerLB.Type is Internal"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *t = base();
    smt_apply(t, &cases[i]);
    expect_err(t, NULL, cases[i].field, cases[i].want);
  }
}
END_TEST

START_TEST(template_update_immutable) {
  cJSON *old = base(), *t = base();
  char msg[1024];
  ck_assert_int_eq(sm_azureclustertemplate_validate(t, old, msg, sizeof msg), 0);
  smt_set_str(t, "spec.template.spec.location", "northeurope");
  expect_err(t, old, "spec.template.spec", "AzureClusterTemplate spec.template.spec field is immutable");
}
END_TEST

Suite *smt_cluster_template_suite(void) {
  Suite *s = suite_create("cluster_template");
  TCase *tc = tcase_create("template");
  tcase_add_test(tc, template_rules);
  tcase_add_test(tc, template_update_immutable);
  suite_add_tcase(s, tc);
  return s;
}
