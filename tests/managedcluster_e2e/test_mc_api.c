/* test_mc_api.c — the managedcluster API library: defaults reach a fixed point, validation catches the rules
 * ARM would refuse, the managedCluster / agentPool bodies carry the mapped fields, ASO patches are translated. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "aso_common.h"
#include "mc_api.h"

static cJSON *amcp(void) {
  return cJSON_Parse(
      "{\"metadata\":{\"name\":\"c1\",\"namespace\":\"default\"},\"spec\":{\"subscriptionID\":\"s\","
      "\"resourceGroupName\":\"rg\",\"location\":\"eastus\",\"version\":\"1.33.1\",\"networkPolicy\":\"cilium\","
      "\"networkDataplane\":\"cilium\",\"networkPluginMode\":\"overlay\",\"outboundType\":\"managedNATGateway\","
      "\"sku\":{\"tier\":\"Paid\"},\"aadProfile\":{\"managed\":true,\"adminGroupObjectIDs\":[\"g\"]},"
      "\"disableLocalAccounts\":true,\"autoscalerProfile\":{\"scanInterval\":\"20s\",\"balanceSimilarNodeGroups\":"
      "\"true\"},\"addonProfiles\":[{\"name\":\"azurepolicy\",\"enabled\":true}],\"apiServerAccessProfile\":{"
      "\"enablePrivateCluster\":true},\"securityProfile\":{\"workloadIdentity\":{\"enabled\":true}},"
      "\"loadBalancerProfile\":{\"managedOutboundIPs\":2},\"kubeletUserAssignedIdentity\":\"/k\","
      "\"asoManagedClusterPatches\":[\"{\\\"spec\\\":{\\\"nodeProvisioningProfile\\\":{\\\"mode\\\":\\\"Auto\\\"},"
      "\\\"autoScalerProfile\\\":{\\\"maxNodeProvisionTime\\\":\\\"15m\\\"}}}\"]}}");
}

START_TEST(defaults_fixed_point) {
  cJSON *o = amcp();
  ck_assert_int_eq(mc_amcp_default(o, NULL), 0);
  cJSON *once = cJSON_Duplicate(o, 1);
  ck_assert_int_eq(mc_amcp_default(o, NULL), 0);
  ck_assert(capz_json_equal(o, once));
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/sku/tier", ""), "Standard");
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/version", ""), "v1.33.1");
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/nodeResourceGroupName", ""), "MC_rg_c1_eastus");
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/virtualNetwork/subnet/cidrBlock", ""), "10.240.0.0/16");
  cJSON_Delete(once);
  cJSON_Delete(o);
}
END_TEST

START_TEST(validation) {
  cJSON *o = amcp();
  mc_amcp_default(o, NULL);
  char msg[512];
  ck_assert_int_eq(mc_amcp_validate(o, NULL, msg, sizeof msg), 0);
  cJSON *bad = cJSON_Duplicate(o, 1);
  capz_json_ptr_set_str(bad, "/spec/networkDataplane", "azure", NULL);
  capz_json_ptr_set_str(bad, "/spec/version", "v1.32.0", NULL);
  capz_json_ptr_set_str(bad, "/spec/location", "westus", NULL);
  ck_assert_int_eq(mc_amcp_validate(bad, o, msg, sizeof msg), 3);
  ck_assert(strstr(msg, "cilium") && strstr(msg, "downgrade") && strstr(msg, "immutable"));
  cJSON_Delete(bad);
  cJSON_Delete(o);
  cJSON *p = cJSON_Parse("{\"metadata\":{\"name\":\"Pool_1\"},\"spec\":{\"mode\":\"System\",\"sku\":\"x\","
                         "\"scaleSetPriority\":\"Spot\",\"scaling\":{\"minSize\":3,\"maxSize\":1}}}");
  mc_ammp_default(p, NULL);
  ck_assert_int_eq(mc_ammp_validate(p, NULL, msg, sizeof msg), 3);
  cJSON_Delete(p);
}
END_TEST

START_TEST(managedcluster_body) {
  cJSON *o = amcp();
  mc_amcp_default(o, NULL);
  cJSON *cl = cJSON_Parse("{\"spec\":{\"clusterNetwork\":{\"pods\":{\"cidrBlocks\":[\"10.244.0.0/16\"]},"
                          "\"services\":{\"cidrBlocks\":[\"10.96.0.0/12\"]}}}}");
  capz_err e;
  cJSON *b = mc_managedcluster_body(o, cl, NULL, &e);
  ck_assert_ptr_nonnull(b);
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/kubernetesVersion", ""), "1.33.1");
  ck_assert_str_eq(capz_json_ptr_str(b, "/sku/tier", ""), "Standard");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/networkProfile/dnsServiceIP", ""), "10.96.0.10");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/networkProfile/podCidr", ""), "10.244.0.0/16");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/networkProfile/loadBalancerSku", ""), "standard");
  ck_assert_int_eq(capz_json_ptr_int(b, "/properties/networkProfile/loadBalancerProfile/managedOutboundIPs/count", 0),
                   2);
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/autoScalerProfile/scan-interval", ""), "20s");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/autoScalerProfile/max-node-provision-time", ""), "15m");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/nodeProvisioningProfile/mode", ""), "Auto");
  ck_assert(capz_json_ptr_bool(b, "/properties/addonProfiles/azurepolicy/enabled", false));
  ck_assert(capz_json_ptr_bool(b, "/properties/apiServerAccessProfile/enablePrivateCluster", false));
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/identityProfile/kubeletidentity/resourceId", ""), "/k");
  ck_assert(capz_json_ptr_bool(b, "/properties/disableLocalAccounts", false));
  cJSON_Delete(b);
  capz_json_ptr_set(o, "/spec/asoManagedClusterPatches", cJSON_Parse("[\"[1,2\"]"), NULL);
  ck_assert_ptr_null(mc_managedcluster_body(o, cl, NULL, &e));
  cJSON_Delete(cl);
  cJSON_Delete(o);
}
END_TEST

START_TEST(agentpool_body) {
  cJSON *p = cJSON_Parse("{\"metadata\":{\"name\":\"mp1\"},\"spec\":{\"mode\":\"User\",\"name\":\"pool1\","
                         "\"sku\":\"Standard_D2s_v3\",\"taints\":[{\"key\":\"k\",\"value\":\"v\",\"effect\":"
                         "\"NoSchedule\"}],\"scaling\":{\"minSize\":2,\"maxSize\":5},\"subnetName\":\"other\","
                         "\"asoManagedClustersAgentPoolPatches\":[\"spec:\\n  vnetSubnetReference:\\n    armId: /x\\n"
                         "  enableFIPS: true\\n\"]}}");
  mc_ammp_default(p, NULL);
  capz_err e;
  cJSON *b = mc_agentpool_body(p, 1, "v1.33.1", "/s/vnet/subnets/main", &e);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(capz_json_ptr_int(b, "/properties/count", 0), 2); /* clamped into [min, max] */
  ck_assert(capz_json_ptr_bool(b, "/properties/enableAutoScaling", false));
  ck_assert_int_eq(capz_json_ptr_int(b, "/properties/maxCount", 0), 5);
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/nodeTaints/0", ""), "k=v:NoSchedule");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/orchestratorVersion", ""), "1.33.1");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/vnetSubnetID", ""), "/x"); /* the patch wins */
  ck_assert(capz_json_ptr_bool(b, "/properties/enableFIPS", false));
  cJSON_Delete(b);
  cJSON_Delete(p);
}
END_TEST

START_TEST(aso_translation) {
  cJSON *aso = cJSON_Parse("{\"owner\":{\"name\":\"rg\"},\"location\":\"eastus\",\"identity\":{\"type\":"
                           "\"UserAssigned\",\"userAssignedIdentities\":[{\"reference\":{\"armId\":\"/id1\"}}]},"
                           "\"networkProfile\":{\"loadBalancerProfile\":{\"outboundIPs\":{\"publicIPs\":[{"
                           "\"reference\":{\"armId\":\"/pip\"}}]}}},\"securityProfile\":{\"defender\":{"
                           "\"logAnalyticsWorkspaceResourceReference\":{\"armId\":\"/ws\"}}},\"dnsPrefix\":null}");
  cJSON *arm = mc_aso_to_arm(aso, MC_ASO_MANAGED_CLUSTER);
  ck_assert_ptr_null(capz_json_ptr_get(arm, "/owner"));
  ck_assert_str_eq(capz_json_ptr_str(arm, "/location", ""), "eastus");
  ck_assert_ptr_nonnull(capz_json_ptr_get(arm, "/identity/userAssignedIdentities/~1id1"));
  ck_assert_str_eq(
      capz_json_ptr_str(arm, "/properties/networkProfile/loadBalancerProfile/outboundIPs/publicIPs/0/id", ""), "/pip");
  ck_assert_str_eq(
      capz_json_ptr_str(arm, "/properties/securityProfile/defender/logAnalyticsWorkspaceResourceId", ""), "/ws");
  ck_assert(cJSON_IsNull(capz_json_ptr_get(arm, "/properties/dnsPrefix")));
  cJSON_Delete(arm);
  cJSON_Delete(aso);
}
END_TEST

START_TEST(aso_helpers) {
  char v[32];
  ck_assert(mc_aso_api_version("containerservice.azure.com/v1api20240901", v, sizeof v));
  ck_assert_str_eq(v, "2024-09-01");
  ck_assert(mc_aso_api_version("containerservice.azure.com/v20251002preview", v, sizeof v));
  ck_assert_str_eq(v, "2025-10-02-preview");
  ck_assert(!mc_aso_api_version("containerservice.azure.com/v1beta1", v, sizeof v));
  cJSON *cp = cJSON_Parse("{\"spec\":{\"resources\":[{\"apiVersion\":\"containerservice.azure.com/v1api20240901\","
                          "\"kind\":\"ManagedCluster\",\"metadata\":{\"name\":\"m\"},\"spec\":{\"azureName\":\"az\","
                          "\"owner\":{\"name\":\"rg1\"}}}]}}");
  cJSON *mc = cJSON_Parse("{\"spec\":{\"resources\":[{\"apiVersion\":\"resources.azure.com/v1api20200601\","
                          "\"kind\":\"ResourceGroup\",\"metadata\":{\"name\":\"rg1\"},\"spec\":{\"azureName\":"
                          "\"real-rg\"}}]}}");
  int n = 0;
  const cJSON *m = mc_aso_find(cp, "ManagedCluster", &n);
  ck_assert_int_eq(n, 1);
  ck_assert_str_eq(mc_aso_azure_name(m), "az");
  ck_assert_str_eq(mc_aso_owner_rg(m, mc), "real-rg");
  ck_assert_str_eq(mc_aso_owner_rg(m, NULL), "rg1");
  cJSON *st = mc_aso_status_resources(cp, true);
  ck_assert_str_eq(capz_json_ptr_str(st, "/0/resource/group", ""), "containerservice.azure.com");
  ck_assert_str_eq(capz_json_ptr_str(st, "/0/resource/version", ""), "v1api20240901");
  ck_assert(capz_json_ptr_bool(st, "/0/ready", false));
  cJSON_Delete(st);
  cJSON_Delete(cp);
  cJSON_Delete(mc);
}
END_TEST

int main(void) {
  Suite *s = suite_create("managedcluster_api");
  TCase *tc = tcase_create("api");
  tcase_add_test(tc, defaults_fixed_point);
  tcase_add_test(tc, validation);
  tcase_add_test(tc, managedcluster_body);
  tcase_add_test(tc, agentpool_body);
  tcase_add_test(tc, aso_translation);
  tcase_add_test(tc, aso_helpers);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
