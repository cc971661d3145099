/* test_aks.c — AKS in capz-arm-sim: managedClusters create (201 + Azure-AsyncOperation, Creating), generated
 * fields, node resource group with one VMSS per pool following the count, agentPools (preview api-version,
 * autoscaling rules), OperationNotAllowed while busy, credentials and disableLocalAccounts, stop/abort,
 * deleteMachines, cluster delete removing MC_ group. */
#include <capz/json.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/aks-rg"
#define MC RG "/providers/Microsoft.ContainerService/managedClusters"
#define AV "?api-version=2025-10-01"
#define PV "?api-version=2026-10-02-preview"
#define NODE_RG AT_S "/resourceGroups/MC_aks-rg_c1_eastus"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\naks:\n  apiServerUrl: http://127.0.0.1:6443\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

#define CLUSTER(extra)                                                                                               \
  "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"kubernetesVersion\":\"1.33\",\"dnsPrefix\":\"c1\"," \
  "\"agentPoolProfiles\":[{\"name\":\"system\",\"mode\":\"System\",\"count\":2,\"vmSize\":\"Standard_D2s_v3\",\"availabilityZones\":[\"1\",\"2\"]}]," \
  "\"oidcIssuerProfile\":{\"enabled\":true}" extra "}}"

static int vmss_instances(const char *pool) {
  at_resp r = at_get(&sim, NODE_RG "/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2024-03-01");
  int n = -1;
  cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItem(r.json, "value")) {
    if (strcmp(capz_json_ptr_str(s, "/tags/aks-managed-poolName", ""), pool) != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/virtualMachines?api-version=2024-03-01", capz_json_ptr_str(s, "/id", ""));
    at_resp i = at_get(&sim, path);
    n = cJSON_GetArraySize(cJSON_GetObjectItem(i.json, "value"));
    at_free(&i);
  }
  at_free(&r);
  return n;
}

START_TEST(cluster_create_and_fields) {
  at_resp r = at_put(&sim, MC "/c1" AV, CLUSTER(""));
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Creating");
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  ck_assert(strstr(aao, "/providers/Microsoft.ContainerService/locations/eastus/operations/") != NULL);
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  r = at_get(&sim, MC "/c1" AV);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  ck_assert_str_eq(at_str(&r, "/properties/currentKubernetesVersion"), "1.33.1");
  ck_assert_str_eq(at_str(&r, "/properties/nodeResourceGroup"), "MC_aks-rg_c1_eastus");
  ck_assert(strstr(at_str(&r, "/properties/fqdn"), ".hcp.eastus.azmk8s.io") != NULL);
  ck_assert(strncmp(at_str(&r, "/properties/fqdn"), "c1-", 3) == 0);
  ck_assert(strlen(at_str(&r, "/identity/principalId")) == 36);
  ck_assert(strlen(at_str(&r, "/properties/identityProfile/kubeletidentity/clientId")) == 36);
  ck_assert(strncmp(at_str(&r, "/properties/oidcIssuerProfile/issuerURL"), "https://eastus.oic.prod-aks.azure.com/", 38) == 0);
  ck_assert_str_eq(at_str(&r, "/properties/agentPoolProfiles/0/name"), "system");
  ck_assert_str_eq(at_str(&r, "/properties/agentPoolProfiles/0/currentOrchestratorVersion"), "1.33.1");
  ck_assert_str_eq(at_str(&r, "/properties/networkProfile/serviceCidr"), "10.0.0.0/16");
  ck_assert(strlen(at_str(&r, "/eTag")) > 0);
  at_free(&r);
  /* node resource group with a VMSS following the pool count */
  r = at_get(&sim, NODE_RG "?api-version=2021-04-01");
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/managedBy"), MC "/c1");
  at_free(&r);
  ck_assert_int_eq(vmss_instances("system"), 2);
  /* agent pool via the preview api-version, autoscaling */
  r = at_put(&sim, MC "/c1/agentPools/user1" PV,
             "{\"properties\":{\"count\":3,\"vmSize\":\"Standard_D4s_v3\",\"mode\":\"User\",\"enableAutoScaling\":true,\"minCount\":1,\"maxCount\":5}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Creating");
  ck_assert_str_eq(at_str(&r, "/type"), "Microsoft.ContainerService/managedClusters/agentPools");
  at_free(&r);
  ck_assert_int_eq(vmss_instances("user1"), 3);
  r = at_put(&sim, MC "/c1/agentPools/user1" PV, "{\"properties\":{\"count\":7,\"vmSize\":\"Standard_D4s_v3\",\"enableAutoScaling\":true,\"minCount\":1,\"maxCount\":5}}");
  ck_assert_int_eq(r.status, 400);
  ck_assert(strstr(at_str(&r, "/error/message"), "within minCount") != NULL);
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, MC "/c1/agentPools/user1" PV, "{\"properties\":{\"count\":2,\"enableAutoScaling\":true}}"), 400);
  ck_assert_str_eq(at_put_error(&sim, MC "/c1/agentPools/user1" PV, "{\"properties\":{\"count\":2,\"vmSize\":\"Standard_D8s_v3\"}}"), "PropertyChangeNotAllowed");
  r = at_put(&sim, MC "/c1/agentPools/user1" PV, "{\"properties\":{\"count\":1,\"vmSize\":\"Standard_D4s_v3\",\"mode\":\"User\"}}");
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Scaling");
  at_free(&r);
  ck_assert_int_eq(vmss_instances("user1"), 1);
  ck_assert_int_eq(at_put_status(&sim, MC "/c1/agentPools/Bad_Name" PV, "{\"properties\":{\"count\":1}}"), 400);
  /* the cluster body lists both pools */
  r = at_get(&sim, MC "/c1" AV);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/properties/agentPoolProfiles")), 2);
  at_free(&r);
  r = at_get(&sim, MC "/c1/agentPools" AV);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
  at_free(&r);
  /* the last system pool cannot go */
  ck_assert_int_eq(at_del_status(&sim, MC "/c1/agentPools/system" AV), 400);
  /* immutable dnsPrefix and version downgrade */
  ck_assert_str_eq(at_put_error(&sim, MC "/c1" AV, "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"other\",\"kubernetesVersion\":\"1.33\"}}"), "PropertyChangeNotAllowed");
  ck_assert_str_eq(at_put_error(&sim, MC "/c1" AV, "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"c1\",\"kubernetesVersion\":\"1.32\"}}"), "NotAllowedVersionDowngrade");
  ck_assert_int_eq(at_put_status(&sim, MC "/c2" AV, "{\"location\":\"eastus\",\"properties\":{\"kubernetesVersion\":\"1.99\",\"agentPoolProfiles\":[{\"name\":\"p\",\"mode\":\"System\",\"count\":1}]}}"), 400);
  /* cluster delete removes the node resource group */
  r = at_del(&sim, MC "/c1" AV);
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  ck_assert_int_eq(at_get_status(&sim, NODE_RG "?api-version=2021-04-01"), 404);
  ck_assert_int_eq(at_get_status(&sim, MC "/c1/agentPools/user1" AV), 404);
}
END_TEST

START_TEST(busy_and_abort) {
  at_resp r;
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/config", "{\"lro\":{\"durations\":{\"Microsoft.ContainerService/managedClusters\":30}}}"), 204);
  ck_assert_int_eq(at_put_status(&sim, MC "/c1" AV, CLUSTER("")), 201);
  r = at_put(&sim, MC "/c1" AV, CLUSTER(""));
  ck_assert_int_eq(r.status, 409);
  ck_assert_str_eq(at_str(&r, "/error/code"), "OperationNotAllowed");
  ck_assert(strstr(at_str(&r, "/error/message"), "Another operation (Creating) is in progress") != NULL);
  at_free(&r);
  ck_assert_str_eq(at_status_error(&sim, "PUT", MC "/c1/agentPools/p2" AV, "{\"properties\":{\"count\":1,\"mode\":\"User\"}}"), "409 OperationNotAllowed");
  ck_assert_str_eq(at_get_str(&sim, MC "/c1" AV, "/properties/provisioningState"), "Creating");
  ck_assert_int_eq(at_post_status(&sim, MC "/c1/abort" AV, NULL), 204);
  ck_assert_str_eq(at_get_str(&sim, MC "/c1" AV, "/properties/provisioningState"), "Canceled");
  ck_assert_int_eq(at_post_status(&sim, MC "/c1/abort" AV, NULL), 409);
}
END_TEST

static char *b64dec(const char *s) {
  static const char *tb = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t L = strlen(s);
  char *o = calloc(L, 1);
  size_t j = 0;
  unsigned v = 0;
  int bits = 0;
  for (size_t i = 0; i < L && s[i] != '='; i++) {
    const char *p = strchr(tb, s[i]);
    if (!p) break;
    v = (v << 6) | (unsigned)(p - tb);
    bits += 6;
    if (bits >= 8) { bits -= 8; o[j++] = (char)((v >> bits) & 0xff); }
  }
  return o;
}

START_TEST(credentials_stop_delete_machines) {
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, CLUSTER("")), 200);
  at_resp r = at_post(&sim, MC "/c1/listClusterUserCredential" AV, NULL);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/kubeconfigs/0/name"), "clusterUser");
  char *kc = b64dec(at_str(&r, "/kubeconfigs/0/value"));
  ck_assert(strstr(kc, "server: http://127.0.0.1:6443") != NULL);
  ck_assert(strstr(kc, "token: ") != NULL);
  free(kc);
  at_free(&r);
  r = at_post(&sim, MC "/c1/listClusterAdminCredential" AV, NULL);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/kubeconfigs/0/name"), "clusterAdmin");
  at_free(&r);
  /* deleteMachines by node name */
  char node[128] = "";
  {
    at_resp s = at_get(&sim, NODE_RG "/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2024-03-01");
    char path[1024];
    snprintf(path, sizeof path, "%s/virtualMachines?api-version=2024-03-01", at_str(&s, "/value/0/id"));
    at_resp i = at_get(&sim, path);
    snprintf(node, sizeof node, "%s", at_str(&i, "/value/1/properties/osProfile/computerName"));
    at_free(&i);
    at_free(&s);
  }
  ck_assert(strncmp(node, "aks-system-", 11) == 0 && strstr(node, "-vmss") != NULL);
  char body[256];
  snprintf(body, sizeof body, "{\"machineNames\":[\"%s\"]}", node);
  ck_assert_int_eq(at_post_status(&sim, MC "/c1/agentPools/system/deleteMachines" AV, body), 202);
  r = at_get(&sim, MC "/c1/agentPools/system" AV);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "count")->valueint, 1);
  at_free(&r);
  ck_assert_int_eq(vmss_instances("system"), 1);
  /* stop scales the node pools to zero */
  ck_assert_int_eq(at_post_status(&sim, MC "/c1/stop" AV, NULL), 202);
  ck_assert_str_eq(at_get_str(&sim, MC "/c1" AV, "/properties/powerState/code"), "Stopped");
  ck_assert_int_eq(vmss_instances("system"), 0);
  r = at_post(&sim, MC "/c1/start" AV, NULL);
  at_free(&r);
  ck_assert_int_eq(vmss_instances("system"), 1);
  /* AAD cluster with local accounts disabled: no admin credentials, exec kubeconfig for users */
  ck_assert_int_eq(at_put_wait(&sim, MC "/aad" AV,
                               "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"aad\",\"disableLocalAccounts\":true,\"aadProfile\":{\"managed\":true,\"enableAzureRBAC\":true},"
                               "\"agentPoolProfiles\":[{\"name\":\"sys\",\"mode\":\"System\",\"count\":1}]}}"), 200);
  r = at_post(&sim, MC "/aad/listClusterAdminCredential" AV, NULL);
  ck_assert_int_eq(r.status, 400);
  ck_assert(strstr(at_str(&r, "/error/message"), "disable local accounts") != NULL);
  at_free(&r);
  r = at_post(&sim, MC "/aad/listClusterUserCredential" AV "&format=exec", NULL);
  kc = b64dec(at_str(&r, "/kubeconfigs/0/value"));
  ck_assert(strstr(kc, "command: kubelogin") != NULL);
  free(kc);
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, MC "/bad" AV, "{\"location\":\"eastus\",\"properties\":{\"disableLocalAccounts\":true,\"agentPoolProfiles\":[{\"name\":\"sys\",\"mode\":\"System\",\"count\":1}]}}"), 400);
  /* kubernetesVersions */
  r = at_get(&sim, AT_S "/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions" AV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "values")), 3);
  at_free(&r);
}
END_TEST

START_TEST(health_and_extensions) {
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, CLUSTER("")), 200);
  at_resp r = at_get(&sim, MC "/c1/providers/Microsoft.ResourceHealth/availabilityStatuses/current?api-version=2023-07-01");
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/availabilityState"), "Available");
  at_free(&r);
  const char *ext = MC "/c1/providers/Microsoft.KubernetesConfiguration/extensions/flux?api-version=2023-05-01";
  r = at_put(&sim, ext, "{\"properties\":{\"extensionType\":\"microsoft.flux\",\"configurationProtectedSettings\":{\"k\":\"secret\"}}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/configurationProtectedSettings"));
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, ext, "/properties/provisioningState"), "Succeeded");
  ck_assert_str_eq(at_put_error(&sim, ext, "{\"properties\":{\"extensionType\":\"microsoft.dapr\"}}"), "PropertyChangeNotAllowed");
  ck_assert_int_eq(at_put_status(&sim, MC "/nope/providers/Microsoft.KubernetesConfiguration/extensions/flux?api-version=2023-05-01", "{\"properties\":{\"extensionType\":\"x\"}}"), 404);
  /* a failed cluster is reported unavailable */
  r = at_req(&sim, "POST", "/_sim/faults", "{\"method\":\"PUT\",\"path\":\"*/managedClusters/c1\",\"kind\":\"lroFail\",\"count\":1}", NULL, false);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, CLUSTER("")), 200);
  ck_assert_str_eq(at_get_str(&sim, MC "/c1/providers/Microsoft.ResourceHealth/availabilityStatuses/current?api-version=2023-07-01", "/properties/availabilityState"), "Unavailable");
}
END_TEST

/* The kubeconfig of a cluster reaches a real (emulated) API server: a capz-kube-sim started next to us. */
#define UPG(ver, sysv, userv)                                                                                         \
  "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"kubernetesVersion\":\"" ver "\"," \
  "\"dnsPrefix\":\"c1\",\"agentPoolProfiles\":["                                                                       \
  "{\"name\":\"system\",\"mode\":\"System\",\"count\":1,\"vmSize\":\"Standard_D2s_v3\"" sysv "},"                     \
  "{\"name\":\"user1\",\"mode\":\"User\",\"count\":1,\"vmSize\":\"Standard_D2s_v3\"" userv "}]}}"

static void pool_versions(const char *pool, const char *want_spec, const char *want_current) {
  char path[512];
  snprintf(path, sizeof path, MC "/c1/agentPools/%s" AV, pool);
  at_resp r = at_get(&sim, path);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/orchestratorVersion"), want_spec);
  ck_assert_str_eq(at_str(&r, "/properties/currentOrchestratorVersion"), want_current);
  at_free(&r);
}

static void cluster_version(const char *want) {
  ck_assert_str_eq(at_get_str(&sim, MC "/c1" AV, "/properties/currentKubernetesVersion"), want);
}

START_TEST(version_upgrades_follow_aks_rules) {
  /* pools created without a version start at the control plane's */
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, UPG("1.32", "", "")), 200);
  pool_versions("system", "1.32.4", "1.32.4");
  pool_versions("user1", "1.32.4", "1.32.4");
  /* control plane upgrade with pools listed without orchestratorVersion: the pools stay (control plane only) */
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, UPG("1.33", "", "")), 200);
  cluster_version("1.33.1");
  pool_versions("system", "1.32.4", "1.32.4");
  pool_versions("user1", "1.32.4", "1.32.4");
  /* some pools with a version and some without: refused */
  at_resp r;
  ck_assert_str_eq(at_status_error(&sim, "PUT", MC "/c1" AV, UPG("1.34", ",\"orchestratorVersion\":\"1.33\"", "")), "400 NotAllAgentPoolOrchestratorVersionSpecifiedAndUnchanged");
  /* all with a version: each unchanged or the new control-plane version (that pool upgrades with it) */
  r = at_put(&sim, MC "/c1" AV, UPG("1.34", ",\"orchestratorVersion\":\"1.33.1\"", ",\"orchestratorVersion\":\"1.32.4\""));
  ck_assert_int_eq(r.status, 400); /* 1.33.1 is neither 1.32.4 (unchanged) nor 1.34.0 (new control plane) */
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, UPG("1.33", ",\"orchestratorVersion\":\"1.33\"", ",\"orchestratorVersion\":\"1.32.4\"")), 200);
  cluster_version("1.33.1");
  pool_versions("system", "1.33", "1.33.1");
  pool_versions("user1", "1.32.4", "1.32.4");
  /* the agentPools API: one minor version at a time, never down, never above the control plane */
  ck_assert_int_eq(at_put_status(&sim, MC "/c1/agentPools/user1" AV, "{\"properties\":{\"count\":1,\"vmSize\":\"Standard_D2s_v3\",\"orchestratorVersion\":\"1.34\"}}"), 400);
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, UPG("1.34", ",\"orchestratorVersion\":\"1.33\"", ",\"orchestratorVersion\":\"1.32.4\"")), 200);
  ck_assert_str_eq(at_status_error(&sim, "PUT", MC "/c1/agentPools/user1" AV, "{\"properties\":{\"count\":1,\"vmSize\":\"Standard_D2s_v3\",\"orchestratorVersion\":\"1.34\"}}"), "400 AgentPoolUpgradeVersionNotAllowed");
  r = at_put(&sim, MC "/c1/agentPools/user1" AV, "{\"properties\":{\"count\":1,\"vmSize\":\"Standard_D2s_v3\",\"orchestratorVersion\":\"1.33\"}}");
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Upgrading");
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  pool_versions("user1", "1.33", "1.33.1");
  ck_assert_str_eq(at_put_error(&sim, MC "/c1/agentPools/user1" AV, "{\"properties\":{\"count\":1,\"vmSize\":\"Standard_D2s_v3\",\"orchestratorVersion\":\"1.32\"}}"), "AgentPoolUpgradeVersionNotAllowed");
  /* an update without orchestratorVersion keeps the pool's version */
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1/agentPools/user1" AV, "{\"properties\":{\"count\":2,\"vmSize\":\"Standard_D2s_v3\"}}"), 200);
  pool_versions("user1", "1.33", "1.33.1");
  /* a cluster update without kubernetesVersion keeps the control plane's */
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV,
                               "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"dnsPrefix\":\"c1\"}}"), 200);
  cluster_version("1.34.0");
}
END_TEST

START_TEST(kubeconfig_reaches_kube_sim) {
  const char *kbin = simproc_bin("capz-kube-sim");
  if (access(kbin, X_OK) != 0) {
    fprintf(stderr, "arm_sim_aks: %s not built; kube-sim integration not exercised\n", kbin);
    return;
  }
  simproc kube;
  ck_assert_int_eq(simproc_start(&kube, kbin, NULL), 0);
  char cfg[512];
  snprintf(cfg, sizeof cfg, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\naks:\n  apiServerUrl: %s\n", kube.url);
  ck_assert_int_eq(at_start(&sim, cfg), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, MC "/c1" AV, CLUSTER("")), 200);
  at_resp r = at_post(&sim, MC "/c1/listClusterUserCredential" AV, NULL);
  char *kc = b64dec(at_str(&r, "/kubeconfigs/0/value"));
  at_free(&r);
  const char *sv = strstr(kc, "server: ");
  ck_assert_ptr_nonnull(sv);
  char server[256];
  sscanf(sv + 8, "%255s", server);
  free(kc);
  ck_assert_str_eq(server, kube.url);
  /* talk to it with the emulator's URL form: the path is relative to the kube-sim base */
  simproc k2 = kube;
  at_resp v = at_req(&k2, "GET", "/api", NULL, NULL, true);
  ck_assert_int_eq(v.status, 200);
  at_free(&v);
  ck_assert(at_stop(&sim));
  simproc_stop(&kube);
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_aks");
  TCase *tc = tcase_create("aks");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, cluster_create_and_fields);
  tcase_add_test(tc, busy_and_abort);
  tcase_add_test(tc, credentials_stop_delete_machines);
  tcase_add_test(tc, health_and_extensions);
  tcase_add_test(tc, version_upgrades_follow_aks_rules);
  suite_add_tcase(s, tc);
  TCase *tk = tcase_create("kube");
  tcase_set_timeout(tk, 30);
  tcase_add_test(tk, kubeconfig_reaches_kube_sim);
  suite_add_tcase(s, tk);
  return s;
}

int main(void) { return ckrun(suite()); }
