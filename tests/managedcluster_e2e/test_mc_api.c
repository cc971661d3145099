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


/* fleetsMember / extensions: defaults (member name from the cluster label, plan name), the webhook rules. */
START_TEST(addons_defaults_validation) {
  cJSON *o = cJSON_Parse(
      "{\"metadata\":{\"name\":\"c1\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"cl1\"}},\"spec\":{"
      "\"subscriptionID\":\"s\",\"location\":\"eastus\",\"version\":\"1.33.1\",\"fleetsMember\":{\"managerName\":"
      "\"f\",\"managerResourceGroup\":\"frg\"},\"extensions\":[{\"name\":\"e1\",\"extensionType\":\"t\",\"plan\":{"
      "\"product\":\"p\",\"publisher\":\"x\"}}]}}");
  ck_assert_int_eq(mc_amcp_default(o, NULL), 0);
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/fleetsMember/name", ""), "cl1");
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/extensions/0/plan/name", ""), "e1-p");
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/resourceGroupName", ""), "cl1"); /* RG = Cluster name */
  char msg[1024];
  ck_assert_int_eq(mc_amcp_validate(o, NULL, msg, sizeof msg), 0);
  /* pinned version needs autoUpgradeMinorVersion false; bad scope; duplicate; bad member name */
  cJSON *b = cJSON_Duplicate(o, 1);
  capz_json_ptr_set_str(b, "/spec/extensions/0/version", "1.0.0", NULL);
  capz_json_ptr_set_str(b, "/spec/fleetsMember/name", "Bad_Name", NULL);
  cJSON_AddItemToArray(capz_json_ptr_get(b, "/spec/extensions"),
                       cJSON_Parse("{\"name\":\"e1\",\"extensionType\":\"t\",\"autoUpgradeMinorVersion\":false,"
                                   "\"releaseTrain\":\"Stable\",\"scope\":{\"scopeType\":\"Cluster\","
                                   "\"targetNamespace\":\"x\"}}"));
  ck_assert_int_eq(mc_amcp_validate(b, NULL, msg, sizeof msg), 5);
  ck_assert_ptr_nonnull(strstr(msg, "spec.extensions[0].version"));
  ck_assert_ptr_nonnull(strstr(msg, "listed twice"));
  ck_assert_ptr_nonnull(strstr(msg, "releaseTrain"));
  ck_assert_ptr_nonnull(strstr(msg, "targetNamespace"));
  ck_assert_ptr_nonnull(strstr(msg, "fleetsMember.name"));
  cJSON_Delete(b);
  /* updates: the member name and an extension's type/plan are immutable */
  cJSON *u = cJSON_Duplicate(o, 1);
  capz_json_ptr_set_str(u, "/spec/fleetsMember/name", "other", NULL);
  capz_json_ptr_set_str(u, "/spec/extensions/0/extensionType", "t2", NULL);
  capz_json_ptr_set_str(u, "/spec/extensions/0/plan/product", "q", NULL);
  ck_assert_int_eq(mc_amcp_validate(u, o, msg, sizeof msg), 3);
  ck_assert_ptr_nonnull(strstr(msg, "spec.extensions[0].plan: field is immutable"));
  cJSON_Delete(u);
  cJSON *m = cJSON_Duplicate(o, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(capz_json_ptr_get(m, "/spec/fleetsMember"), "managerName");
  ck_assert_int_eq(mc_amcp_validate(m, NULL, msg, sizeof msg), 1);
  cJSON_Delete(m);
  cJSON_Delete(o);
}
END_TEST

START_TEST(addon_bodies) {
  cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"c1\"},\"spec\":{\"subscriptionID\":\"s\",\"fleetsMember\":{"
                         "\"managerName\":\"f\",\"managerResourceGroup\":\"frg\",\"name\":\"m1\"}}}");
  char id[512];
  cJSON *b = mc_fleet_member_body(o, "/subscriptions/s/resourceGroups/rg/providers/x/managedClusters/c1", "cl", id,
                                  sizeof id);
  ck_assert_ptr_nonnull(b);
  ck_assert_str_eq(id, "/subscriptions/s/resourceGroups/frg/providers/Microsoft.ContainerService/fleets/f/members/m1");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/group", ""), "default");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/clusterResourceId", ""),
                   "/subscriptions/s/resourceGroups/rg/providers/x/managedClusters/c1");
  cJSON_Delete(b);
  cJSON_DeleteItemFromObjectCaseSensitive(capz_json_ptr_get(o, "/spec"), "fleetsMember");
  ck_assert_ptr_null(mc_fleet_member_body(o, "/x", "cl", id, sizeof id));
  ck_assert_str_eq(id, "");
  cJSON_Delete(o);
  cJSON *e = cJSON_Parse("{\"name\":\"e\",\"extensionType\":\"microsoft.flux\",\"autoUpgradeMinorVersion\":false,"
                         "\"version\":\"1.2\",\"configurationSettings\":{\"a\":\"b\"},\"identity\":\"SystemAssigned\","
                         "\"aksAssignedIdentityType\":\"SystemAssigned\",\"plan\":{\"name\":\"n\",\"product\":\"p\","
                         "\"publisher\":\"q\"},\"scope\":{\"scopeType\":\"Namespace\",\"targetNamespace\":\"ns1\"}}");
  b = mc_extension_body(e);
  ck_assert_str_eq(capz_json_ptr_str(b, "/identity/type", ""), "SystemAssigned");
  ck_assert_str_eq(capz_json_ptr_str(b, "/plan/publisher", ""), "q");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/extensionType", ""), "microsoft.flux");
  ck_assert(!capz_json_ptr_bool(b, "/properties/autoUpgradeMinorVersion", true));
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/version", ""), "1.2");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/configurationSettings/a", ""), "b");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/scope/namespace/targetNamespace", ""), "ns1");
  ck_assert_str_eq(capz_json_ptr_str(b, "/properties/aksAssignedIdentity/type", ""), "SystemAssigned");
  cJSON_Delete(b);
  cJSON_Delete(e);
  /* a scope without its namespace leaves the choice to AKS (no empty string sent) */
  e = cJSON_Parse("{\"name\":\"e\",\"extensionType\":\"x\",\"scope\":{\"scopeType\":\"Cluster\"}}");
  b = mc_extension_body(e);
  ck_assert(cJSON_IsObject(capz_json_ptr_get(b, "/properties/scope/cluster")));
  ck_assert_ptr_null(capz_json_ptr_get(b, "/properties/scope/cluster/releaseNamespace"));
  cJSON_Delete(b);
  cJSON_Delete(e);
}
END_TEST

/* AzureManaged*Template admission: defaults, create rules reused from the objects, template immutability. */
START_TEST(template_admission) {
  cJSON *t = cJSON_Parse("{\"metadata\":{\"name\":\"t\"},\"spec\":{\"template\":{\"spec\":{\"subscriptionID\":\"s\","
                         "\"resourceGroupName\":\"rg\",\"location\":\"eastus\",\"version\":\"1.33.1\","
                         "\"networkPluginMode\":\"overlay\",\"virtualNetwork\":{\"name\":\"shared\","
                         "\"subnet\":{\"name\":\"s\"}}}}}}");
  ck_assert_int_eq(mc_amcpt_default(t, NULL), 0);
  ck_assert_str_eq(capz_json_ptr_str(t, "/spec/template/spec/version", ""), "v1.33.1");
  ck_assert_str_eq(capz_json_ptr_str(t, "/spec/template/spec/networkPlugin", ""), "azure");
  ck_assert_str_eq(capz_json_ptr_str(t, "/spec/template/spec/virtualNetwork/cidrBlock", ""), "10.224.0.0/12");
  ck_assert_str_eq(capz_json_ptr_str(t, "/spec/template/spec/virtualNetwork/subnet/cidrBlock", ""), "10.224.0.0/16");
  ck_assert(!capz_json_ptr_bool(t, "/spec/template/spec/enablePreviewFeatures", true));
  cJSON *once = cJSON_Duplicate(t, 1);
  ck_assert_int_eq(mc_amcpt_default(t, NULL), 0);
  ck_assert(capz_json_equal(t, once));
  cJSON_Delete(once);
  char msg[1024];
  ck_assert_int_eq(mc_amcpt_validate(t, NULL, msg, sizeof msg), 0);
  cJSON *bad = cJSON_Duplicate(t, 1);
  capz_json_ptr_set_str(bad, "/spec/template/spec/networkPlugin", "kubenet", NULL); /* overlay needs azure */
  ck_assert_int_ge(mc_amcpt_validate(bad, NULL, msg, sizeof msg), 1);
  ck_assert_ptr_nonnull(strstr(msg, "overlay"));
  /* update: networkPlugin and location are immutable on the template */
  capz_json_ptr_set_str(bad, "/spec/template/spec/location", "westus", NULL);
  ck_assert_int_ge(mc_amcpt_validate(bad, t, msg, sizeof msg), 2);
  ck_assert_ptr_nonnull(strstr(msg, "spec.template.spec.location: field is immutable"));
  ck_assert_ptr_nonnull(strstr(msg, "spec.template.spec.networkPlugin: field is immutable"));
  cJSON_Delete(bad);
  cJSON_Delete(t);
  cJSON *nv = cJSON_Parse("{\"spec\":{\"template\":{\"spec\":{}}}}");
  ck_assert_int_eq(mc_amcpt_default(nv, NULL), 0);
  ck_assert_ptr_null(capz_json_ptr_get(nv, "/spec/template/spec/virtualNetwork")); /* each cluster gets its own */
  cJSON_Delete(nv);
  cJSON *p = cJSON_Parse("{\"spec\":{\"template\":{\"spec\":{\"mode\":\"System\",\"sku\":\"Standard_D2s_v3\","
                         "\"name\":\"pool0\"}}}}");
  ck_assert_int_eq(mc_ammpt_default(p, NULL), 0);
  ck_assert_str_eq(capz_json_ptr_str(p, "/spec/template/spec/osType", ""), "Linux");
  ck_assert_int_eq(mc_ammpt_validate(p, NULL, msg, sizeof msg), 0);
  cJSON *p2 = cJSON_Duplicate(p, 1);
  capz_json_ptr_set_str(p2, "/spec/template/spec/sku", "Standard_D4s_v3", NULL);
  capz_json_ptr_set(p2, "/spec/template/spec/maxPods", cJSON_CreateNumber(5), NULL);
  ck_assert_int_eq(mc_ammpt_validate(p2, p, msg, sizeof msg), 2); /* maxPods range + sku immutable */
  cJSON_Delete(p2);
  cJSON_Delete(p);
  cJSON *c = cJSON_Parse("{\"spec\":{\"template\":{\"spec\":{}}}}");
  ck_assert_int_eq(mc_amct_validate(c, NULL, msg, sizeof msg), 0);
  capz_json_ptr_set_str(c, "/spec/template/spec/x", "y", NULL);
  ck_assert_int_eq(mc_amct_validate(c, NULL, msg, sizeof msg), 1);
  cJSON_Delete(c);
}
END_TEST

START_TEST(kubeconfig_transform) {
  const char *kc = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n"
                   "    server: https://x:443\n  name: c\n- cluster:\n    certificate-authority-data: T1RIRVI=\n"
                   "    server: https://y:443\n  name: d\ncontexts:\n- context:\n    cluster: d\n    user: u\n  name: d\n"
                   "current-context: d\nusers:\n- name: u\n  user:\n    exec:\n      command: kubelogin\n"
                   "      args: [get-token]\n";
  char *out = mc_kubeconfig_with_token(kc, strlen(kc), "tok123");
  ck_assert_ptr_nonnull(out);
  capz_err e;
  cJSON *j = capz_yaml_to_json(out, strlen(out), &e);
  ck_assert_ptr_nonnull(j);
  ck_assert_str_eq(capz_json_ptr_str(j, "/0/users/0/user/token", ""), "tok123");
  ck_assert_ptr_null(capz_json_ptr_get(j, "/0/users/0/user/exec"));
  ck_assert_str_eq(capz_json_ptr_str(j, "/0/clusters/0/cluster/server", ""), "https://x:443");
  cJSON_Delete(j);
  free(out);
  char *ca = mc_kubeconfig_ca_b64(kc, strlen(kc));
  ck_assert_str_eq(ca, "T1RIRVI="); /* the current context's cluster */
  free(ca);
  ca = mc_kubeconfig_ca_b64("clusters: []\n", 13);
  ck_assert_str_eq(ca, "");
  free(ca);
  ck_assert_ptr_null(mc_kubeconfig_with_token("users: []\n", 10, "t"));
  ck_assert_ptr_null(mc_kubeconfig_with_token("- not a map\n", 12, "t"));
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
  tcase_add_test(tc, addons_defaults_validation);
  tcase_add_test(tc, addon_bodies);
  tcase_add_test(tc, template_admission);
  tcase_add_test(tc, kubeconfig_transform);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
