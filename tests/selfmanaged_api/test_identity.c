/* test_identity.c — AzureClusterIdentity validation and allowedNamespaces. */
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

static cJSON *base(void) { return smt_template_obj("cluster-template.yaml", "AzureClusterIdentity", NULL); }

static void expect_err(cJSON *obj, cJSON *old, const char *field, const char *want) {
  smt_expect_err(sm_azureclusteridentity_validate_errs, "AzureClusterIdentity", "id", obj, old, field, want);
}

START_TEST(identity_rules) {
  cJSON *id = base();
  char msg[1024];
  ck_assert_str_eq(smt_str(id, "spec.type"), "WorkloadIdentity");
  ck_assert_msg(sm_azureclusteridentity_validate(id, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(id);
  id = base();
  smt_set_str(id, "spec.resourceID", "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u");
  expect_err(id, NULL, "spec.resourceID", "Forbidden");
  id = base();
  smt_set_str(id, "spec.userAssignedIdentityCredentialsPath", "/var/run/creds.json");
  expect_err(id, NULL, "spec.userAssignedIdentityCredentialsPath", "can only be set when AzureClusterIdentity is of type UserAssignedIdentityCredential");
  id = base();
  smt_set_str(id, "spec.type", "Password");
  expect_err(id, NULL, "spec.type", "Unsupported value: \"Password\"");
  id = base();
  smt_del(id, "spec.clientID");
  expect_err(id, NULL, "spec.clientID", "Required value");
  cJSON *old = base();
  id = base();
  smt_set_str(id, "spec.type", "ServicePrincipal");
  expect_err(id, old, "spec.type", "Invalid value: \"ServicePrincipal\": field is immutable");
  /* UserAssignedMSI may keep the deprecated resourceID */
  id = base();
  smt_set_str(id, "spec.type", "UserAssignedMSI");
  smt_set_str(id, "spec.resourceID", "/x");
  ck_assert_int_eq(sm_azureclusteridentity_validate(id, NULL, msg, sizeof msg), 0);
  cJSON_Delete(id);
}
END_TEST

START_TEST(allowed_namespaces) {
  cJSON *id = base(); /* allowedNamespaces: {} */
  ck_assert(sm_identity_namespace_allowed(id, "anything", NULL));
  smt_del(id, "spec.allowedNamespaces");
  ck_assert(!sm_identity_namespace_allowed(id, "default", NULL));
  smt_set_json(id, "spec.allowedNamespaces", "{\"list\":[\"team-a\"]}");
  ck_assert(sm_identity_namespace_allowed(id, "team-a", NULL));
  ck_assert(!sm_identity_namespace_allowed(id, "team-b", NULL));
  smt_set_json(id, "spec.allowedNamespaces", "{\"list\":[]}");
  ck_assert(!sm_identity_namespace_allowed(id, "team-a", NULL));
  smt_set_json(id, "spec.allowedNamespaces", "{\"selector\":{}}");
  ck_assert(!sm_identity_namespace_allowed(id, "team-a", NULL));
  smt_set_json(id, "spec.allowedNamespaces", "{\"selector\":{\"matchLabels\":{\"capz\":\"yes\"},"
                                             "\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"dev\",\"test\"]}]}}");
  cJSON *labels = cJSON_Parse("{\"capz\":\"yes\",\"env\":\"dev\"}");
  ck_assert(sm_identity_namespace_allowed(id, "x", labels));
  cJSON_ReplaceItemInObject(labels, "env", cJSON_CreateString("prod"));
  ck_assert(!sm_identity_namespace_allowed(id, "x", labels));
  ck_assert(!sm_identity_namespace_allowed(id, "x", NULL));
  cJSON_Delete(labels);
  cJSON_Delete(id);
}
END_TEST

Suite *smt_identity_suite(void) {
  Suite *s = suite_create("identity");
  TCase *tc = tcase_create("identity");
  tcase_add_test(tc, identity_rules);
  tcase_add_test(tc, allowed_namespaces);
  suite_add_tcase(s, tc);
  return s;
}
