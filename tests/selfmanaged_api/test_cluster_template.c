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
  sm_errors errs;
  sm_errors_init(&errs);
  int n = sm_azureclustertemplate_validate_errs(obj, old, &errs);
  char all[4096];
  sm_errors_format(&errs, "AzureClusterTemplate", "t", all, sizeof all);
  ck_assert_msg(n > 0, "expected an error at %s", field);
  const sm_field_error *fe = sm_errors_find(&errs, field);
  ck_assert_msg(fe != NULL, "no error at %s; got %s", field, all);
  char text[1024];
  sm_field_error_format(fe, text, sizeof text);
  ck_assert_msg(strstr(text, want) != NULL, "'%s' lacks '%s'", text, want);
  sm_errors_free(&errs);
  cJSON_Delete(obj);
  cJSON_Delete(old);
}

START_TEST(template_rules) {
  cJSON *t = base();
  smt_del(t, NET "subnets[1].name");
  expect_err(t, NULL, NET "subnets[1].name", "name of subnet doesn't match regex");
  t = base();
  smt_set_str(t, NET "subnets[0].role", "cluster");
  /* templates need both roles even with a cluster subnet (CAPZ) */
  expect_err(t, NULL, NET "subnets", "required role control-plane not included");
  t = base();
  smt_set_json(t, NET "subnets[1].cidrBlocks", "[\"192.168.0.0/16\"]");
  expect_err(t, NULL, NET "subnets[1].cidrBlocks", "subnet CIDR not in vnet address space");
  t = base();
  smt_set_str(t, NET "apiServerLB.type", "Private");
  expect_err(t, NULL, NET "apiServerLB.type", "Unsupported value: \"Private\"");
  t = base();
  smt_set_json(t, NET "controlPlaneOutboundLB", "{}");
  expect_err(t, NULL, NET "controlPlaneOutboundLB", "cannot be set for public clusters");
  t = base();
  smt_set_str(t, NET "privateDNSZoneName", "zone.example.com");
  expect_err(t, NULL, NET "privateDNSZoneName", "available only if APIServerLB.Type is Internal");
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
