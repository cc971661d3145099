/* test_addons.c — the AKS add-ons CAPZ reconciles, in capz-arm-sim: fleets and fleet members (cluster and
 * fleet must exist, one fleet per cluster, Joining/Leaving, member leaves with its cluster), cluster extensions
 * (LRO, write-only protected settings, version pinning rule, aksAssignedIdentity, gone with the cluster), role
 * assignments at subscription and group scope (GUID names, PrincipalNotFound when principal checks are on),
 * cluster user credentials. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <capz/json.h>

#include "armtest.h"

#define RGV "?api-version=2021-04-01"
#define RG AT_S "/resourceGroups/add-rg"
#define CS RG "/providers/Microsoft.ContainerService"
#define MC CS "/managedClusters/c1"
#define AV "?api-version=2025-03-01"
#define FV "?api-version=2025-03-01"
#define KV "?api-version=2023-05-01"
#define EXT MC "/providers/Microsoft.KubernetesConfiguration/extensions"
#define RAV "?api-version=2022-04-01"
#define CONTRIB AT_S "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG RGV, "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, MC AV,
                               "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"dnsPrefix\":\"c1\","
                               "\"agentPoolProfiles\":[{\"name\":\"system\",\"mode\":\"System\",\"count\":1,\"vmSize\":\"Standard_D2s_v3\"}]}}"),
                   200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

static void expect_error(const char *path, const char *body, long status, const char *code) {
  at_resp r = at_put(&sim, path, body);
  ck_assert_msg(r.status == status, "PUT %s: %ld %s", path, r.status, r.body ? r.body : "");
  ck_assert_str_eq(at_str(&r, "/error/code"), code);
  at_free(&r);
}

START_TEST(fleet_and_members) {
  const char *member_body = "{\"properties\":{\"clusterResourceId\":\"" MC "\",\"group\":\"default\"}}";
  /* no fleet yet */
  expect_error(CS "/fleets/f1/members/m1" FV, member_body, 404, "ParentResourceNotFound");
  at_resp r = at_put(&sim, CS "/fleets/f1" FV, "{\"location\":\"eastus\",\"properties\":{}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Creating");
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  expect_error(CS "/fleets/Bad_Name" FV, "{\"location\":\"eastus\"}", 400, "InvalidParameter");
  /* the cluster must exist */
  expect_error(CS "/fleets/f1/members/m0" FV, "{\"properties\":{\"clusterResourceId\":\"" CS "/managedClusters/nope\"}}", 404,
               "ResourceNotFound");
  expect_error(CS "/fleets/f1/members/m0" FV, "{\"properties\":{}}", 400, "InvalidParameter");
  r = at_put(&sim, CS "/fleets/f1/members/m1" FV, member_body);
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Joining");
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  r = at_get(&sim, CS "/fleets/f1/members/m1" FV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/type"), "Microsoft.ContainerService/fleets/members");
  ck_assert_str_eq(at_str(&r, "/properties/clusterResourceId"), MC);
  ck_assert_str_eq(at_str(&r, "/properties/group"), "default");
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  ck_assert_int_gt((int)strlen(at_str(&r, "/eTag")), 0);
  at_free(&r);
  /* one fleet per cluster; clusterResourceId immutable */
  ck_assert_int_eq(at_put_wait(&sim, CS "/fleets/f2" FV, "{\"location\":\"eastus\"}"), 200);
  expect_error(CS "/fleets/f2/members/m1" FV, member_body, 409, "Conflict");
  ck_assert_int_eq(at_put_wait(&sim, CS "/managedClusters/c2" AV,
                               "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"c2\","
                               "\"agentPoolProfiles\":[{\"name\":\"system\",\"mode\":\"System\",\"count\":1,\"vmSize\":\"Standard_D2s_v3\"}]}}"),
                   200);
  expect_error(CS "/fleets/f1/members/m1" FV, "{\"properties\":{\"clusterResourceId\":\"" CS "/managedClusters/c2\"}}", 400,
               "PropertyChangeNotAllowed");
  r = at_get(&sim, CS "/fleets/f1/members" FV);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 1);
  at_free(&r);
  /* a member leaves through Leaving */
  ck_assert_int_eq(at_put_wait(&sim, CS "/fleets/f2/members/m2" FV, "{\"properties\":{\"clusterResourceId\":\"" CS "/managedClusters/c2\"}}"), 200);
  r = at_req(&sim, "POST", "/_sim/config", "{\"lro\":{\"defaultSeconds\":30}}", NULL, false);
  at_free(&r);
  ck_assert_int_eq(at_del_status(&sim, CS "/fleets/f2/members/m2" FV), 202);
  ck_assert_str_eq(at_get_str(&sim, CS "/fleets/f2/members/m2" FV, "/properties/provisioningState"), "Leaving");
  r = at_req(&sim, "POST", "/_sim/config", "{\"lro\":{\"defaultSeconds\":0}}", NULL, false);
  at_free(&r);
  /* deleting the cluster takes its membership with it */
  ck_assert_int_eq(at_del_status(&sim, MC AV), 202);
  ck_assert_int_eq(at_get_status(&sim, CS "/fleets/f1/members/m1" FV), 404);
  ck_assert_int_eq(at_get_status(&sim, CS "/fleets/f1" FV), 200);
}
END_TEST

START_TEST(cluster_extensions) {
  at_resp r = at_put(&sim, EXT "/flux" KV,
                     "{\"properties\":{\"extensionType\":\"microsoft.flux\",\"configurationSettings\":{\"a\":\"1\"},"
                     "\"configurationProtectedSettings\":{\"token\":\"s3cret-value\"},\"aksAssignedIdentity\":{\"type\":\"SystemAssigned\"}}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Creating");
  ck_assert_ptr_null(strstr(r.body, "s3cret-value"));
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  r = at_get(&sim, EXT "/flux" KV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/type"), "Microsoft.KubernetesConfiguration/extensions");
  ck_assert_str_eq(at_str(&r, "/id"), EXT "/flux");
  ck_assert_str_eq(at_str(&r, "/properties/configurationSettings/a"), "1");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/configurationProtectedSettings"));
  ck_assert_ptr_null(strstr(r.body, "s3cret-value"));
  ck_assert(capz_json_ptr_bool(r.json, "/properties/autoUpgradeMinorVersion", false));
  ck_assert_str_eq(at_str(&r, "/properties/releaseTrain"), "Stable");
  ck_assert_str_eq(at_str(&r, "/properties/scope/cluster/releaseNamespace"), "kube-system");
  ck_assert_int_eq((int)strlen(at_str(&r, "/properties/aksAssignedIdentity/principalId")), 36);
  at_free(&r);
  /* a pinned version needs autoUpgradeMinorVersion false */
  expect_error(EXT "/pinned" KV, "{\"properties\":{\"extensionType\":\"microsoft.dapr\",\"version\":\"1.12.0\"}}", 400, "BadRequest");
  ck_assert_int_eq(at_put_wait(&sim, EXT "/pinned" KV,
                               "{\"properties\":{\"extensionType\":\"microsoft.dapr\",\"version\":\"1.12.0\",\"autoUpgradeMinorVersion\":false,"
                               "\"scope\":{\"namespace\":{\"targetNamespace\":\"dapr\"}}},"
                               "\"plan\":{\"name\":\"p\",\"publisher\":\"pub\",\"product\":\"prod\"}}"), 200);
  r = at_get(&sim, EXT "/pinned" KV);
  ck_assert_str_eq(at_str(&r, "/properties/currentVersion"), "1.12.0");
  ck_assert_str_eq(at_str(&r, "/plan/product"), "prod");
  at_free(&r);
  expect_error(EXT "/pinned" KV, "{\"properties\":{\"extensionType\":\"microsoft.other\",\"autoUpgradeMinorVersion\":false}}", 400,
               "PropertyChangeNotAllowed");
  expect_error(EXT "/noType" KV, "{\"properties\":{}}", 400, "BadRequest");
  expect_error(RG "/providers/Microsoft.ContainerService/managedClusters/none/providers/Microsoft.KubernetesConfiguration/extensions/x" KV,
               "{\"properties\":{\"extensionType\":\"microsoft.flux\"}}", 404, "ParentResourceNotFound");
  r = at_get(&sim, EXT KV);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
  at_free(&r);
  /* the request log does not keep the protected settings either */
  r = at_req(&sim, "GET", "/_sim/requests", NULL, NULL, false);
  ck_assert_ptr_null(strstr(r.body, "s3cret-value"));
  at_free(&r);
  /* extensions go with the cluster */
  ck_assert_int_eq(at_del_status(&sim, MC AV), 202);
  r = at_get(&sim, "/_sim/resources?type=Microsoft.KubernetesConfiguration/extensions");
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 0);
  at_free(&r);
}
END_TEST

START_TEST(role_assignments_and_credentials) {
  at_resp r = at_get(&sim, MC AV);
  char principal[64];
  snprintf(principal, sizeof principal, "%s", at_str(&r, "/identity/principalId"));
  at_free(&r);
  ck_assert_int_eq((int)strlen(principal), 36);
  char body[1024];
  snprintf(body, sizeof body, "{\"properties\":{\"roleDefinitionId\":\"" CONTRIB "\",\"principalId\":\"%s\",\"principalType\":\"ServicePrincipal\"}}",
           principal);
  /* subscription and resource-group scope */
  const char *sub_ra = AT_S "/providers/Microsoft.Authorization/roleAssignments/3f1c3a52-6a0e-4c1b-9a77-1d1b2c3d4e5f" RAV;
  const char *rg_ra = RG "/providers/Microsoft.Authorization/roleAssignments/4f1c3a52-6a0e-4c1b-9a77-1d1b2c3d4e5f" RAV;
  r = at_put(&sim, sub_ra, body);
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/scope"), AT_S);
  at_free(&r);
  r = at_put(&sim, rg_ra, body);
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/scope"), RG);
  ck_assert_str_eq(at_str(&r, "/type"), "Microsoft.Authorization/roleAssignments");
  at_free(&r);
  expect_error(RG "/providers/Microsoft.Authorization/roleAssignments/capz-role" RAV, body, 400, "InvalidRoleAssignmentId");
  /* principal checks (off by default, as most tests use made-up principals) */
  const char *other = RG "/providers/Microsoft.Authorization/roleAssignments/5f1c3a52-6a0e-4c1b-9a77-1d1b2c3d4e5f" RAV;
  const char *unknown = "{\"properties\":{\"roleDefinitionId\":\"" CONTRIB "\",\"principalId\":\"9a9a9a9a-0000-4000-8000-000000000001\"}}";
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/config", "{\"roleAssignments\":{\"checkPrincipals\":true,\"knownPrincipals\":[\"9a9a9a9a-0000-4000-8000-000000000002\"]}}"), 204);
  expect_error(other, unknown, 400, "PrincipalNotFound");
  ck_assert_int_eq(at_put_status(&sim, other, "{\"properties\":{\"roleDefinitionId\":\"" CONTRIB "\",\"principalId\":\"9a9a9a9a-0000-4000-8000-000000000002\"}}"), 201);
  expect_error(RG "/providers/Microsoft.Authorization/roleAssignments/6f1c3a52-6a0e-4c1b-9a77-1d1b2c3d4e5f" RAV,
               "{\"properties\":{\"roleDefinitionId\":\"" CONTRIB "\",\"principalId\":\"not-a-guid\"}}", 400, "InvalidPrincipalId");
  /* the cluster's kubeconfig for users */
  r = at_post(&sim, MC "/listClusterUserCredential" AV, NULL);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/kubeconfigs/0/name"), "clusterUser");
  ck_assert_int_gt((int)strlen(at_str(&r, "/kubeconfigs/0/value")), 0);
  at_free(&r);
  /* assignments at the group's scope go with the group */
  ck_assert_int_eq(at_del_status(&sim, RG RGV), 202);
  r = at_get(&sim, "/_sim/resources?type=Microsoft.Authorization/roleAssignments");
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 1); /* the subscription-scope one stays */
  at_free(&r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arm_sim_addons");
  TCase *tc = tcase_create("addons");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, fleet_and_members);
  tcase_add_test(tc, cluster_extensions);
  tcase_add_test(tc, role_assignments_and_credentials);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
