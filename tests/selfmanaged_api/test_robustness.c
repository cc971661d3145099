/* test_robustness.c — malformed objects never crash defaulting or validation (run under ASan too). */
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

static const char *const bad_docs[] = {
    "{}",
    "[]",
    "{\"spec\":[]}",
    "{\"spec\":\"x\"}",
    "{\"metadata\":{\"name\":5},\"spec\":{\"networkSpec\":[]}}",
    "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"networkSpec\":{\"subnets\":{\"a\":1},\"vnet\":\"x\"}}}",
    "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"networkSpec\":{\"subnets\":[1,\"x\",null,{\"role\":7,\"cidrBlocks\":[1,null]}],"
    "\"apiServerLB\":{\"type\":\"Public\",\"frontendIPs\":[null,5],\"frontendIPsCount\":\"3\"},"
    "\"nodeOutboundLB\":{\"frontendIPsCount\":-4},\"controlPlaneOutboundLB\":{\"frontendIPsCount\":1e9}}}}",
    "{\"metadata\":{\"name\":\"c\"},\"spec\":{\"bastionSpec\":{\"azureBastion\":[]},\"controlPlaneEnabled\":\"no\","
    "\"networkSpec\":{\"vnet\":{\"peerings\":[1,{}],\"cidrBlocks\":\"10.0.0.0/8\"}}}}",
    "{\"spec\":{\"template\":{\"spec\":{\"networkSpec\":{\"subnets\":[{\"role\":\"node\",\"cidrBlocks\":[\"::/0\"]}]}}}}}",
    "{\"spec\":{\"vmSize\":1,\"osDisk\":[],\"dataDisks\":[null,{\"lun\":\"x\"},{\"lun\":1e300}],\"networkInterfaces\":{},"
    "\"image\":{\"marketplace\":5},\"identity\":\"SystemAssigned\",\"systemAssignedIdentityRole\":\"x\","
    "\"sshPublicKey\":\"====\",\"diagnostics\":{\"boot\":5},\"spotVMOptions\":[]}}",
    "{\"spec\":{\"type\":5,\"allowedNamespaces\":{\"list\":\"x\",\"selector\":{\"matchExpressions\":[{\"operator\":\"In\"}]}}}}",
};

START_TEST(no_crash_on_malformed_input) {
  for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
    cJSON *src = cJSON_Parse(bad_docs[i]);
    ck_assert_msg(src != NULL, "doc %zu", i);
    capz_err err;
    char msg[1024];
    cJSON *a = cJSON_Duplicate(src, true);
    (void)sm_azurecluster_default(a, NULL, &err);
    (void)sm_azurecluster_default_controlplane_rules(a, 6443, &err);
    (void)sm_azurecluster_default_apiserver_dns(a, &err);
    (void)sm_azurecluster_validate(a, src, msg, sizeof msg);
    (void)sm_azurecluster_validate(src, NULL, msg, sizeof msg);
    cJSON_Delete(a);
    a = cJSON_Duplicate(src, true);
    (void)sm_azureclustertemplate_default(a, &err);
    (void)sm_azureclustertemplate_validate(a, NULL, msg, sizeof msg);
    (void)sm_azureclustertemplate_validate(a, src, msg, sizeof msg);
    cJSON_Delete(a);
    a = cJSON_Duplicate(src, true);
    (void)sm_azuremachine_validate(a, NULL, msg, sizeof msg);
    (void)sm_azuremachine_validate(a, src, msg, sizeof msg);
    (void)sm_azuremachinetemplate_validate(a, NULL, msg, sizeof msg);
    (void)sm_azureclusteridentity_validate(a, NULL, msg, sizeof msg);
    (void)sm_azureclusteridentity_validate(a, src, msg, sizeof msg);
    (void)sm_identity_namespace_allowed(a, "ns", a);
    cJSON_Delete(a);
    cJSON_Delete(src);
  }
  /* NULL inputs */
  char msg[64];
  ck_assert_int_ne(sm_azurecluster_default(NULL, NULL, NULL), 0);
  ck_assert_int_ne(sm_azuremachine_default(NULL, NULL, NULL), 0);
  ck_assert_int_gt(sm_azurecluster_validate(NULL, NULL, msg, sizeof msg), 0);
  ck_assert(!sm_identity_namespace_allowed(NULL, NULL, NULL));
}
END_TEST

Suite *smt_robustness_suite(void) {
  Suite *s = suite_create("robustness");
  TCase *tc = tcase_create("malformed");
  tcase_add_test(tc, no_crash_on_malformed_input);
  suite_add_tcase(s, tc);
  return s;
}
