/* test_e2e.c — the selfmanaged plugin on the real path: CR → controller runtime → selfmanaged.so → SDK → HTTP →
 * capz-kube-sim + capz-arm-sim. Asserts the Azure inventory resource by resource, the steady state (no ARM
 * writes, at most one read per resource after a restart, none at all within the drift interval), machines
 * (VM with customData, providerID, addresses), deletion (nothing owned left), bad manifests, bring-your-own
 * VNet, allowedNamespaces and injected throttling/server errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/conditions.h"
#include "capz/controller.h"
#include "capz/json.h"
#include "e2e_env.h"

#define OWNED_TAG "sigs.k8s.io_cluster-api-provider-azure_cluster_"
#define RGP "/subscriptions/" E2E_SUB "/resourceGroups/"

static void setup(void) { env_start(); }
static void teardown(void) { env_stop(); }

/* ---------------------------------------------------------------- fixtures */
static void make_identity(const char *allowed) {
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"sp-secret\"},"
                        "\"data\":{\"clientSecret\":\"Y2Fwei1zaW0tc2VjcmV0\"}}"));
  cJSON_Delete(k_create(&GVK_ACI,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                        "\"metadata\":{\"name\":\"id1\"},\"spec\":{\"type\":\"ServicePrincipal\",\"tenantID\":\"" E2E_TENANT
                        "\",\"clientID\":\"" E2E_CLIENT "\",\"clientSecret\":{\"name\":\"sp-secret\",\"namespace\":"
                        "\"default\"},\"allowedNamespaces\":%s}}",
                        allowed));
}

/* A CAPI Cluster (as clusterctl would apply it) and its AzureCluster owned by it (as CAPI's Cluster controller
 * sets the owner reference). network: the JSON of spec.networkSpec. */
static void make_cluster(const char *name, const char *rg, const char *network) {
  cJSON *c = k_create(&GVK_CLUSTER,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"%s\"},"
                      "\"spec\":{\"clusterNetwork\":{\"pods\":{\"cidrBlocks\":[\"192.168.0.0/16\"]}},"
                      "\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\",\"kind\":\"AzureCluster\","
                      "\"name\":\"%s\"}}}",
                      name, name);
  const char *uid = capz_json_ptr_str(c, "/metadata/uid", "");
  cJSON_Delete(k_create(&GVK_AC,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\","
                        "\"metadata\":{\"name\":\"%s\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Cluster\",\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
                        "\"spec\":{\"location\":\"eastus\",\"subscriptionID\":\"" E2E_SUB "\",\"resourceGroup\":\"%s\","
                        "\"identityRef\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":"
                        "\"AzureClusterIdentity\",\"name\":\"id1\",\"namespace\":\"default\"},"
                        "\"additionalTags\":{\"team\":\"e2e\"},\"networkSpec\":%s}}",
                        name, name, uid, rg, network));
  cJSON_Delete(c);
}

static bool is_ready(const cJSON *o, void *ud) {
  (void)ud;
  return o && capz_json_ptr_bool(o, "/status/ready", false);
}
static bool is_gone(const cJSON *o, void *ud) {
  (void)ud;
  return o == NULL;
}
static bool cond_reason(const cJSON *o, void *ud) {
  const char *const *want = ud; /* {type, reason} */
  const cJSON *c = o ? capz_cond_get(o, want[0]) : NULL;
  return c && !strcmp(capz_json_ptr_str(c, "/reason", ""), want[1]);
}

static void wait_ready(const capz_gvk *gvk, const char *name, int64_t ms) {
  cJSON *last = NULL;
  bool ok = k_wait(gvk, name, is_ready, NULL, ms, &last);
  char *t = last ? cJSON_PrintUnformatted(capz_json_ptr_get(last, "/status")) : NULL;
  ck_assert_msg(ok, "%s %s not ready; status: %s", gvk->kind, name, t ? t : "(absent)");
  free(t);
  cJSON_Delete(last);
}

static bool owned_by(const cJSON *res, const char *cluster) {
  char key[160];
  snprintf(key, sizeof key, OWNED_TAG "%s", cluster);
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(res, "tags"))
    if (!strcasecmp(t->string, key) && cJSON_IsString(t) && !strcasecmp(t->valuestring, "owned")) return true;
  return false;
}

static int count_owned(const char *cluster) {
  cJSON *all = arm_resources(NULL);
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, all) n += owned_by(r, cluster);
  cJSON_Delete(all);
  return n;
}

/* The resource exists, carries the ownership tag, and returns it (borrowed from all). */
static cJSON *expect_owned(cJSON *all, const char *suffix, const char *cluster) {
  cJSON *r = arm_find(all, suffix);
  ck_assert_msg(r != NULL, "missing Azure resource %s", suffix);
  ck_assert_msg(owned_by(r, cluster), "resource %s lacks the ownership tag", suffix);
  return r;
}

/* ---------------------------------------------------------------- lifecycle */
START_TEST(cluster_machine_lifecycle) {
  make_identity("{}");
  make_cluster("c1", "c1-rg", "{\"vnet\":{\"name\":\"c1-vnet\"}}");
  int64_t t0 = now_ms();
  wait_ready(&GVK_AC, "c1", 60000);
  fprintf(stderr, "AzureCluster ready after %.1fs\n", (double)(now_ms() - t0) / 1000.0);

  /* --- Kubernetes side: endpoint, failure domains, conditions, finalizer */
  cJSON *ac = k_get(&GVK_AC, "c1");
  const char *host = capz_json_ptr_str(ac, "/spec/controlPlaneEndpoint/host", "");
  ck_assert_msg(!strncmp(host, "c1-", 3) && strstr(host, ".eastus.cloudapp.azure.com"), "endpoint host %s", host);
  ck_assert_int_eq(capz_json_ptr_int(ac, "/spec/controlPlaneEndpoint/port", 0), 6443);
  ck_assert(capz_json_ptr_bool(ac, "/status/failureDomains/1/controlPlane", false));
  ck_assert(capz_json_ptr_bool(ac, "/status/failureDomains/3/controlPlane", false));
  ck_assert(capz_cond_is_true(ac, "Ready"));
  ck_assert(capz_cond_is_true(ac, "NetworkInfrastructureReady"));
  ck_assert(capz_cond_is_true(ac, "VNetReady"));
  ck_assert(capz_cond_is_true(ac, "LoadBalancersReady"));
  ck_assert(capz_has_finalizer(ac, "azurecluster.infrastructure.cluster.x-k8s.io"));
  ck_assert_ptr_null(capz_json_ptr_get(ac, "/status/longRunningOperationStates/0"));

  /* --- Azure side, resource by resource */
  cJSON *all = arm_resources(NULL);
  expect_owned(all, RGP "c1-rg", "c1");
  cJSON *vnet = expect_owned(all, "/virtualNetworks/c1-vnet", "c1");
  ck_assert_str_eq(capz_json_ptr_str(vnet, "/properties/addressSpace/addressPrefixes/0", ""), "10.0.0.0/8");
  ck_assert_str_eq(capz_json_ptr_str(vnet, "/tags/team", ""), "e2e");
  cJSON *cpnsg = expect_owned(all, "/networkSecurityGroups/c1-controlplane-nsg", "c1");
  ck_assert_str_eq(capz_json_ptr_str(cpnsg, "/properties/securityRules/0/name", ""), "allow_ssh");
  ck_assert_str_eq(capz_json_ptr_str(cpnsg, "/properties/securityRules/1/properties/destinationPortRange", ""), "6443");
  expect_owned(all, "/networkSecurityGroups/c1-node-nsg", "c1");
  expect_owned(all, "/routeTables/c1-node-routetable", "c1");
  expect_owned(all, "/publicIPAddresses/pip-c1-node-natgw", "c1");
  cJSON *apip = expect_owned(all, "/publicIPAddresses/pip-c1-apiserver", "c1");
  ck_assert_str_eq(capz_json_ptr_str(apip, "/sku/name", ""), "Standard");
  ck_assert_ptr_nonnull(strstr(host, capz_json_ptr_str(apip, "/properties/dnsSettings/domainNameLabel", "?")));
  cJSON *nat = expect_owned(all, "/natGateways/c1-node-natgw", "c1");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(nat, "/properties/publicIpAddresses/0/id", ""), "pip-c1-node-natgw"));
  cJSON *cps = arm_find(all, "/virtualNetworks/c1-vnet/subnets/c1-controlplane-subnet");
  ck_assert_ptr_nonnull(cps);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(cps, "/properties/networkSecurityGroup/id", ""), "c1-controlplane-nsg"));
  cJSON *ns = arm_find(all, "/virtualNetworks/c1-vnet/subnets/c1-node-subnet");
  ck_assert_ptr_nonnull(ns);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(ns, "/properties/natGateway/id", ""), "c1-node-natgw"));
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(ns, "/properties/routeTable/id", ""), "c1-node-routetable"));
  cJSON *lb = expect_owned(all, "/loadBalancers/c1-public-lb", "c1");
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/loadBalancingRules/0/name", ""), "LBRuleHTTPS");
  ck_assert_int_eq(capz_json_ptr_int(lb, "/properties/loadBalancingRules/0/properties/frontendPort", 0), 6443);
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/probes/0/properties/requestPath", ""), "/readyz");
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/backendAddressPools/0/name", ""), "c1-public-lb-backendPool");
  int owned_cluster = count_owned("c1");
  ck_assert_int_eq(owned_cluster, 9); /* RG, VNet, 2 NSGs, RT, 2 PIPs, NAT GW, LB (subnets carry no tags) */
  cJSON_Delete(all);
  cJSON_Delete(ac);

  /* --- steady state in the same process: a reconcile costs no ARM request at all */
  arm_clear_requests();
  k_patch(&GVK_AC, "c1", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"1\"}}}");
  sleep(2);
  cJSON *log = arm_requests();
  ck_assert_int_eq(arm_count(log, NULL), 0);
  cJSON_Delete(log);

  /* --- after a restart (nothing remembered): zero writes, at most one read per resource */
  arm_clear_requests();
  env_restart_controllers();
  sleep(3);
  log = arm_requests();
  int reads = arm_count(log, "GET"), total = arm_count(log, NULL);
  fprintf(stderr, "restart pass: %d ARM requests (%d GET) for %d resources\n", total, reads, owned_cluster + 2);
  ck_assert_int_eq(total - reads, 0);
  ck_assert_int_le(reads, owned_cluster + 2 /* subnets */ + 1 /* resource SKUs */);
  ck_assert_int_ge(reads, owned_cluster); /* it did look */
  cJSON_Delete(log);

  /* --- a control-plane machine */
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"m1-bootstrap\",\"labels\":"
                        "{\"cluster.x-k8s.io/cluster-name\":\"c1\"}},\"data\":{\"value\":\"I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtlY2hvLCBoaV0K\"}}"));
  cJSON *m = k_create(&GVK_MACHINE,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Machine\",\"metadata\":{\"name\":\"m1\","
                      "\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c1\",\"cluster.x-k8s.io/control-plane\":\"\"}},"
                      "\"spec\":{\"clusterName\":\"c1\",\"version\":\"v1.31.1\",\"failureDomain\":\"2\",\"bootstrap\":{},"
                      "\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\",\"kind\":\"AzureMachine\","
                      "\"name\":\"m1\"}}}");
  cJSON_Delete(k_create(&GVK_AM,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachine\","
                        "\"metadata\":{\"name\":\"m1\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Machine\",\"name\":\"m1\",\"uid\":\"%s\",\"controller\":true}]},"
                        "\"spec\":{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":128,"
                        "\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"}},\"dataDisks\":[{\"nameSuffix\":\"etcddisk\","
                        "\"diskSizeGB\":256,\"lun\":0}]}}",
                        capz_json_ptr_str(m, "/metadata/uid", "")));
  cJSON_Delete(m);
  /* waits (no failure) for the cluster infrastructure and the bootstrap data */
  const char *w1[] = {"VMRunning", "WaitingForClusterInfrastructure"};
  ck_assert(k_wait(&GVK_AM, "m1", cond_reason, (void *)w1, 15000, NULL));
  k_patch(&GVK_CLUSTER, "c1", "status", "{\"status\":{\"initialization\":{\"infrastructureProvisioned\":true}}}");
  const char *w2[] = {"VMRunning", "WaitingForBootstrapData"};
  ck_assert(k_wait(&GVK_AM, "m1", cond_reason, (void *)w2, 15000, NULL));
  arm_clear_requests();
  k_patch(&GVK_MACHINE, "m1", NULL, "{\"spec\":{\"bootstrap\":{\"dataSecretName\":\"m1-bootstrap\"}}}");
  wait_ready(&GVK_AM, "m1", 60000);
  cJSON *am = k_get(&GVK_AM, "m1");
  ck_assert_str_eq(capz_json_ptr_str(am, "/spec/providerID", ""),
                   "azure:///subscriptions/" E2E_SUB "/resourceGroups/c1-rg/providers/Microsoft.Compute/virtualMachines/m1");
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/vmState", ""), "Succeeded");
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/addresses/0/type", ""), "InternalDNS");
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/addresses/1/type", ""), "InternalIP");
  ck_assert_msg(!strncmp(capz_json_ptr_str(am, "/status/addresses/1/address", ""), "10.0.", 5), "control plane IP %s",
                capz_json_ptr_str(am, "/status/addresses/1/address", ""));
  ck_assert(capz_has_finalizer(am, "azuremachine.infrastructure.cluster.x-k8s.io"));
  ck_assert(*capz_json_ptr_str(am, "/spec/sshPublicKey", "") != '\0');
  cJSON_Delete(am);
  all = arm_resources(NULL);
  cJSON *vm = expect_owned(all, "/virtualMachines/m1", "c1");
  ck_assert_str_eq(capz_json_ptr_str(vm, "/zones/0", ""), "2");
  ck_assert_str_eq(capz_json_ptr_str(vm, "/properties/hardwareProfile/vmSize", ""), "Standard_B2s");
  ck_assert_ptr_nonnull(strstr(capz_json_ptr_str(vm, "/properties/storageProfile/imageReference/communityGalleryImageId", ""),
                               "capi-ubun2-2404"));
  ck_assert_ptr_null(capz_json_ptr_get(vm, "/properties/osProfile/customData")); /* write-only */
  cJSON *nic = expect_owned(all, "/networkInterfaces/m1-nic", "c1");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(nic, "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools/0/id", ""),
                                   "c1-public-lb/backendAddressPools/c1-public-lb-backendPool"));
  ck_assert_ptr_nonnull(arm_find(all, "/disks/m1_OSDisk"));
  ck_assert_ptr_nonnull(arm_find(all, "/disks/m1_etcddisk"));
  cJSON_Delete(all);
  /* customData = base64 bootstrap data, exactly as in the Secret */
  log = arm_requests();
  bool seen = false;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests"))
    if (!strcmp(capz_json_ptr_str(r, "/method", ""), "PUT") && strstr(capz_json_ptr_str(r, "/path", ""), "/virtualMachines/m1")) {
      ck_assert_str_eq(capz_json_ptr_str(r, "/body/properties/osProfile/customData", ""),
                       "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtlY2hvLCBoaV0K");
      seen = true;
    }
  ck_assert(seen);
  cJSON_Delete(log);

  /* --- delete the machine: VM, disks, NIC gone */
  k_delete(&GVK_AM, "m1");
  ck_assert(k_wait(&GVK_AM, "m1", is_gone, NULL, 30000, NULL));
  all = arm_resources(NULL);
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/m1"));
  ck_assert_ptr_null(arm_find(all, "/networkInterfaces/m1-nic"));
  ck_assert_ptr_null(arm_find(all, "/disks/m1_OSDisk"));
  ck_assert_ptr_null(arm_find(all, "/disks/m1_etcddisk"));
  cJSON_Delete(all);

  /* --- delete the cluster: nothing owned left */
  k_delete(&GVK_AC, "c1");
  ck_assert(k_wait(&GVK_AC, "c1", is_gone, NULL, 30000, NULL));
  ck_assert_int_eq(count_owned("c1"), 0);
  all = arm_resources(NULL);
  ck_assert_ptr_null(arm_find(all, "/virtualNetworks/c1-vnet/subnets/c1-node-subnet"));
  cJSON_Delete(all);
}
END_TEST

Suite *e2e_suite(void);
Suite *e2e_suite(void) {
  Suite *s = suite_create("selfmanaged_e2e");
  TCase *tc = tcase_create("lifecycle");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 100);
  tcase_add_test(tc, cluster_machine_lifecycle);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(e2e_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
