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
#include "e2e_capi.h"
#include "e2e_checks.h"
#include "e2e_env.h"

#define RGP "/subscriptions/" E2E_SUB "/resourceGroups/"

static void setup(void) { env_start(); }
static void teardown(void) { env_stop(); }

/* ---------------------------------------------------------------- fixtures */
/* A CAPI Cluster (as clusterctl would apply it) and its AzureCluster owned by it (as CAPI's Cluster controller
 * sets the owner reference). network: the JSON of spec.networkSpec. */
static const char *g_location = "eastus"; /* region of the next make_cluster */
static void make_cluster_x(const char *name, const char *rg, const char *network, const char *extra_spec);
static void make_cluster(const char *name, const char *rg, const char *network) {
  make_cluster_x(name, rg, network, "");
}

/* extra_spec: more spec members, starting with ',' (or ""). */
static void make_cluster_x(const char *name, const char *rg, const char *network, const char *extra_spec) {
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
                        "\"spec\":{\"location\":\"%s\",\"subscriptionID\":\"" E2E_SUB "\",\"resourceGroup\":\"%s\","
                        "\"identityRef\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":"
                        "\"AzureClusterIdentity\",\"name\":\"id1\",\"namespace\":\"default\"},"
                        "\"additionalTags\":{\"team\":\"e2e\"},\"networkSpec\":%s%s}}",
                        name, name, uid, g_location, rg, network, extra_spec));
  cJSON_Delete(c);
}

/* ---------------------------------------------------------------- lifecycle */
START_TEST(cluster_machine_lifecycle) {
  k_make_sp_identity("{}");
  make_cluster("c1", "c1-rg", "{\"vnet\":{\"name\":\"c1-vnet\"}}");
  int64_t t0 = now_ms();
  k_wait_ready(&GVK_AC, "c1", 60000);
  {
    cJSON *cl = arm_requests();
    fprintf(stderr, "AzureCluster ready after %.1fs: %d ARM requests (%d PUT, %d GET)\n",
            (double)(now_ms() - t0) / 1000.0, arm_count(cl, NULL), arm_count(cl, "PUT"), arm_count(cl, "GET"));
    cJSON_Delete(cl);
  }

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
  ck_assert_ptr_nonnull(capz_json_ptr_get(ac, "/metadata/annotations/clusterctl.cluster.x-k8s.io~1block-move"));
  cJSON *ident = k_get(&GVK_ACI, "id1");
  /* CAPZ's per-cluster identity finalizer: azurecluster.../<sha224("default-c1")> */
  ck_assert(capz_has_finalizer(ident, "azurecluster.infrastructure.cluster.x-k8s.io/"
                                      "8c06a2e9ee2f9020266a1e887f09ffedcb11472d5ec8d76945b2f222"));
  cJSON_Delete(ident);

  /* --- Azure side, resource by resource */
  cJSON *all = arm_resources(NULL);
  arm_expect_owned(all, RGP "c1-rg", "c1");
  cJSON *vnet = arm_expect_owned(all, "/virtualNetworks/c1-vnet", "c1");
  ck_assert_str_eq(capz_json_ptr_str(vnet, "/properties/addressSpace/addressPrefixes/0", ""), "10.0.0.0/8");
  ck_assert_str_eq(capz_json_ptr_str(vnet, "/tags/team", ""), "e2e");
  cJSON *cpnsg = arm_expect_owned(all, "/networkSecurityGroups/c1-controlplane-nsg", "c1");
  ck_assert_str_eq(capz_json_ptr_str(cpnsg, "/properties/securityRules/0/name", ""), "allow_ssh");
  ck_assert_str_eq(capz_json_ptr_str(cpnsg, "/properties/securityRules/1/properties/destinationPortRange", ""), "6443");
  arm_expect_owned(all, "/networkSecurityGroups/c1-node-nsg", "c1");
  arm_expect_owned(all, "/routeTables/c1-node-routetable", "c1");
  arm_expect_owned(all, "/publicIPAddresses/pip-c1-node-natgw", "c1");
  cJSON *apip = arm_expect_owned(all, "/publicIPAddresses/pip-c1-apiserver", "c1");
  ck_assert_str_eq(capz_json_ptr_str(apip, "/sku/name", ""), "Standard");
  ck_assert_ptr_nonnull(strstr(host, capz_json_ptr_str(apip, "/properties/dnsSettings/domainNameLabel", "?")));
  cJSON *nat = arm_expect_owned(all, "/natGateways/c1-node-natgw", "c1");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(nat, "/properties/publicIpAddresses/0/id", ""), "pip-c1-node-natgw"));
  cJSON *cps = arm_find(all, "/virtualNetworks/c1-vnet/subnets/c1-controlplane-subnet");
  ck_assert_ptr_nonnull(cps);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(cps, "/properties/networkSecurityGroup/id", ""), "c1-controlplane-nsg"));
  cJSON *ns = arm_find(all, "/virtualNetworks/c1-vnet/subnets/c1-node-subnet");
  ck_assert_ptr_nonnull(ns);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(ns, "/properties/natGateway/id", ""), "c1-node-natgw"));
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(ns, "/properties/routeTable/id", ""), "c1-node-routetable"));
  cJSON *lb = arm_expect_owned(all, "/loadBalancers/c1-public-lb", "c1");
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/loadBalancingRules/0/name", ""), "LBRuleHTTPS");
  ck_assert_int_eq(capz_json_ptr_int(lb, "/properties/loadBalancingRules/0/properties/frontendPort", 0), 6443);
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/probes/0/properties/requestPath", ""), "/readyz");
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/backendAddressPools/0/name", ""), "c1-public-lb-backendPool");
  int owned_cluster = arm_count_owned("c1");
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
  if (getenv("SM_E2E_SHOW_REQUESTS")) {
    const cJSON *q;
    cJSON_ArrayForEach(q, cJSON_GetObjectItem(log, "requests"))
      fprintf(stderr, "  %s %s\n", capz_json_ptr_str(q, "/method", ""), capz_json_ptr_str(q, "/path", ""));
  }
  ck_assert_int_eq(total - reads, 0);
  ck_assert_int_le(reads, owned_cluster + 2 /* subnets */ + 1 /* resource SKUs */);
  ck_assert_int_ge(reads, owned_cluster); /* it did look */
  cJSON_Delete(log);

  /* --- a control-plane machine, made before the cluster's infrastructure is reported provisioned */
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
                        "\"metadata\":{\"name\":\"m1\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c1\"},\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Machine\",\"name\":\"m1\",\"uid\":\"%s\",\"controller\":true}]},"
                        "\"spec\":{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":128,"
                        "\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"}},\"dataDisks\":[{\"nameSuffix\":\"etcddisk\","
                        "\"diskSizeGB\":256,\"lun\":0}]}}",
                        capz_json_ptr_str(m, "/metadata/uid", "")));
  cJSON_Delete(m);
  /* waits (no failure) for the cluster infrastructure and the bootstrap data */
  const char *w1[] = {"VMRunning", "WaitingForClusterInfrastructure"};
  ck_assert(k_wait(&GVK_AM, "m1", k_cond_reason, (void *)w1, 15000, NULL));
  usleep(300000); /* the reconcile that wrote the condition has returned */
  /* the waiting machine is not polled: its reconciles end without a requeue (the Cluster watch wakes it) */
  const char *am_requeues[] = {"controller=\"azuremachine\"", "result=\"requeue_after\"", NULL};
  const char *am_all[] = {"controller=\"azuremachine\"", NULL};
  double am_n = host_metric("controller_runtime_reconcile_total", am_all);
  double am_rq = host_metric("controller_runtime_reconcile_total", am_requeues);
  fprintf(stderr, "waiting AzureMachine: %.0f reconcile(s), %.0f ending in a requeue\n", am_n, am_rq);
  if (am_n >= 0) {
    ck_assert_int_ge((int)am_n, 1);
    ck_assert_int_le((int)am_n, 6); /* create, SSH key written back, status: a few event-driven passes */
    ck_assert_int_eq((int)am_rq, 0);
  }
  /* CAPI reports the infrastructure provisioned: the Cluster watch starts the machine at once */
  int64_t t_infra = now_ms();
  k_patch(&GVK_CLUSTER, "c1", "status", "{\"status\":{\"initialization\":{\"infrastructureProvisioned\":true}}}");
  const char *w2[] = {"VMRunning", "WaitingForBootstrapData"};
  ck_assert(k_wait(&GVK_AM, "m1", k_cond_reason, (void *)w2, 15000, NULL));
  fprintf(stderr, "machine left WaitingForClusterInfrastructure %lld ms after the Cluster reported it\n",
          (long long)(now_ms() - t_infra));
  ck_assert_int_le(now_ms() - t_infra, 1200);
  arm_clear_requests();
  k_patch(&GVK_MACHINE, "m1", NULL, "{\"spec\":{\"bootstrap\":{\"dataSecretName\":\"m1-bootstrap\"}}}");
  k_wait_ready(&GVK_AM, "m1", 60000);
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
  cJSON *vm = arm_expect_owned(all, "/virtualMachines/m1", "c1");
  ck_assert_str_eq(capz_json_ptr_str(vm, "/zones/0", ""), "2");
  ck_assert_str_eq(capz_json_ptr_str(vm, "/properties/hardwareProfile/vmSize", ""), "Standard_B2s");
  ck_assert_ptr_nonnull(strstr(capz_json_ptr_str(vm, "/properties/storageProfile/imageReference/communityGalleryImageId", ""),
                               "capi-ubun2-2404"));
  ck_assert_ptr_null(capz_json_ptr_get(vm, "/properties/osProfile/customData")); /* write-only */
  cJSON *nic = arm_expect_owned(all, "/networkInterfaces/m1-nic", "c1");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(nic, "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools/0/id", ""),
                                   "c1-public-lb/backendAddressPools/c1-public-lb-backendPool"));
  ck_assert_ptr_nonnull(arm_find(all, "/disks/m1_OSDisk"));
  ck_assert_ptr_nonnull(arm_find(all, "/disks/m1_etcddisk"));
  cJSON_Delete(all);
  /* the VM PUT carried customData (the Secret's base64 bootstrap data) */
  log = arm_requests();
  bool seen = false;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests"))
    if (!strcmp(capz_json_ptr_str(r, "/method", ""), "PUT") && strstr(capz_json_ptr_str(r, "/path", ""), "/virtualMachines/m1")) {
      /* capz-arm-sim logs write-only secrets as "[REDACTED]" (older builds logged the value itself) */
      const char *cd = capz_json_ptr_str(r, "/body/properties/osProfile/customData", "");
      ck_assert_msg(!strcmp(cd, "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtlY2hvLCBoaV0K") || !strcmp(cd, "[REDACTED]"),
                    "customData sent: %s", cd);
      seen = true;
    }
  ck_assert(seen);
  cJSON_Delete(log);

  /* --- delete the machine: VM, disks, NIC gone */
  k_delete(&GVK_AM, "m1");
  k_wait_gone(&GVK_AM, "m1", 30000);
  all = arm_resources(NULL);
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/m1"));
  ck_assert_ptr_null(arm_find(all, "/networkInterfaces/m1-nic"));
  ck_assert_ptr_null(arm_find(all, "/disks/m1_OSDisk"));
  ck_assert_ptr_null(arm_find(all, "/disks/m1_etcddisk"));
  cJSON_Delete(all);

  /* --- delete the cluster: nothing owned left */
  k_delete(&GVK_AC, "c1");
  k_wait_gone(&GVK_AC, "c1", 30000);
  ck_assert_int_eq(arm_count_owned("c1"), 0);
  ident = k_get(&GVK_ACI, "id1");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(ident, "/metadata/finalizers")), 0);
  cJSON_Delete(ident);
  all = arm_resources(NULL);
  ck_assert_ptr_null(arm_find(all, "/virtualNetworks/c1-vnet/subnets/c1-node-subnet"));
  cJSON_Delete(all);
}
END_TEST

/* ---------------------------------------------------------------- bad manifests, denied namespace */
/* Events are recorded right after the status write: poll for them. */

static int count_writes(void) {
  cJSON *log = arm_requests();
  int n = arm_count(log, NULL) - arm_count(log, "GET");
  cJSON_Delete(log);
  return n;
}

START_TEST(bad_manifest_and_denied_namespace) {
  k_make_sp_identity("{\"list\":[\"other-namespace\"]}");
  /* a subnet outside the VNet: CAPZ's webhook would refuse it; without webhooks the reconcile says so */
  make_cluster("bad", "bad-rg",
               "{\"vnet\":{\"name\":\"bad-vnet\",\"cidrBlocks\":[\"10.0.0.0/16\"]},\"subnets\":[{\"name\":\"cp\","
               "\"role\":\"control-plane\",\"cidrBlocks\":[\"192.168.0.0/24\"]},{\"name\":\"node\",\"role\":\"node\","
               "\"cidrBlocks\":[\"10.0.1.0/24\"]}]}");
  const char *want[] = {"NetworkInfrastructureReady", "InvalidConfiguration"};
  cJSON *last = NULL;
  ck_assert(k_wait(&GVK_AC, "bad", k_cond_reason, (void *)want, 20000, &last));
  const cJSON *c = capz_cond_get(last, "NetworkInfrastructureReady");
  const char *msg = capz_json_ptr_str(c, "/message", "");
  ck_assert_msg(strstr(msg, "spec.networkSpec.subnets[0].cidrBlocks") != NULL, "message: %s", msg);
  ck_assert_str_eq(capz_json_ptr_str(c, "/severity", ""), "Error");
  ck_assert(capz_cond_is_false(last, "Ready"));
  ck_assert(!capz_json_ptr_bool(last, "/status/ready", true));
  cJSON_Delete(last);
  k_expect_event("bad", "InvalidConfiguration");

  /* a valid cluster in a namespace the identity does not admit */
  make_cluster("denied", "denied-rg", "{\"vnet\":{\"name\":\"denied-vnet\"}}");
  const char *want2[] = {"NetworkInfrastructureReady", "NamespaceNotAllowedByIdentity"};
  ck_assert(k_wait(&GVK_AC, "denied", k_cond_reason, (void *)want2, 20000, NULL));
  k_expect_event("denied", "NamespaceNotAllowedByIdentity");
  /* neither touched Azure */
  ck_assert_int_eq(count_writes(), 0);
  cJSON *all = arm_resources(NULL);
  ck_assert_ptr_null(arm_find(all, RGP "bad-rg"));
  ck_assert_ptr_null(arm_find(all, RGP "denied-rg"));
  cJSON_Delete(all);

  /* allowing the namespace (an identity change) wakes the cluster through the identityRef watch */
  k_patch(&GVK_ACI, "id1", NULL, "{\"spec\":{\"allowedNamespaces\":{\"list\":[\"default\"]}}}");
  k_wait_ready(&GVK_AC, "denied", 60000);
}
END_TEST

/* ---------------------------------------------------------------- bring-your-own VNet */
START_TEST(byo_vnet_untouched) {
  k_make_sp_identity("{}");
  arm_direct("PUT", RGP "net-rg", "{\"location\":\"eastus\"}");
  arm_direct("PUT", RGP "net-rg/providers/Microsoft.Network/virtualNetworks/shared-vnet",
             "{\"location\":\"eastus\",\"tags\":{\"owner\":\"network-team\"},\"properties\":{\"addressSpace\":"
             "{\"addressPrefixes\":[\"10.0.0.0/8\"]}}}");
  arm_direct("PUT", RGP "net-rg/providers/Microsoft.Network/virtualNetworks/shared-vnet/subnets/cp",
             "{\"properties\":{\"addressPrefix\":\"10.0.0.0/16\"}}");
  arm_direct("PUT", RGP "net-rg/providers/Microsoft.Network/virtualNetworks/shared-vnet/subnets/node",
             "{\"properties\":{\"addressPrefix\":\"10.1.0.0/16\"}}");
  arm_clear_requests();
  make_cluster("byo", "byo-rg",
               "{\"vnet\":{\"name\":\"shared-vnet\",\"resourceGroup\":\"net-rg\",\"cidrBlocks\":[\"10.0.0.0/8\"]},"
               "\"subnets\":[{\"name\":\"cp\",\"role\":\"control-plane\",\"cidrBlocks\":[\"10.0.0.0/16\"]},"
               "{\"name\":\"node\",\"role\":\"node\",\"cidrBlocks\":[\"10.1.0.0/16\"]}]}");
  k_wait_ready(&GVK_AC, "byo", 60000);
  /* nothing was written to the VNet or its subnets, nor NSGs/route tables/NAT gateways created for it */
  cJSON *log = arm_requests();
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    const char *path = capz_json_ptr_str(r, "/path", "");
    if (strcmp(capz_json_ptr_str(r, "/method", ""), "GET"))
      ck_assert_msg(!strcasestr(path, "shared-vnet") && !strcasestr(path, "networkSecurityGroups") &&
                        !strcasestr(path, "natGateways") && !strcasestr(path, "routeTables"),
                    "unexpected write %s %s", capz_json_ptr_str(r, "/method", ""), path);
  }
  cJSON_Delete(log);
  cJSON *all = arm_resources(NULL);
  cJSON *vnet = arm_find(all, "/virtualNetworks/shared-vnet");
  ck_assert_ptr_nonnull(vnet);
  ck_assert(!arm_owned_by(vnet, "byo"));
  ck_assert_str_eq(capz_json_ptr_str(vnet, "/tags/owner", ""), "network-team");
  arm_expect_owned(all, RGP "byo-rg", "byo");
  arm_expect_owned(all, "/loadBalancers/byo-public-lb", "byo");
  cJSON_Delete(all);
  /* delete: the owned resource group goes, the shared VNet and its subnets stay */
  k_delete(&GVK_AC, "byo");
  k_wait_gone(&GVK_AC, "byo", 30000);
  ck_assert_int_eq(arm_count_owned("byo"), 0);
  all = arm_resources(NULL);
  ck_assert_ptr_nonnull(arm_find(all, "/virtualNetworks/shared-vnet"));
  ck_assert_ptr_nonnull(arm_find(all, "/virtualNetworks/shared-vnet/subnets/cp"));
  ck_assert_ptr_nonnull(arm_find(all, "/virtualNetworks/shared-vnet/subnets/node"));
  cJSON_Delete(all);
}
END_TEST

/* ---------------------------------------------------------------- private cluster (peering, bastion) under throttling and 5xx */
/* lroFail rules still armed in the emulator */
static int lro_fail_rules(void) {
  cJSON *faults = arm_faults();
  const cJSON *f;
  int n = 0;
  cJSON_ArrayForEach(f, faults) n += !strcmp(capz_json_ptr_str(f, "/kind", ""), "lroFail");
  cJSON_Delete(faults);
  return n;
}

START_TEST(private_cluster_with_faults) {
  k_make_sp_identity("{}");
  arm_post("/_sim/faults", "{\"method\":\"PUT\",\"path\":\"*/virtualNetworks/priv-vnet\",\"kind\":\"error\","
                           "\"status\":429,\"retryAfter\":1,\"count\":2}");
  arm_post("/_sim/faults", "{\"method\":\"PUT\",\"path\":\"*/loadBalancers/*\",\"kind\":\"error\",\"status\":500,"
                           "\"count\":3}");
  /* an accepted write whose operation then fails in Azure: written again on the next pass, not terminal */
  arm_post("/_sim/faults", "{\"method\":\"PUT\",\"path\":\"*/networkSecurityGroups/priv-node-nsg\",\"kind\":"
                           "\"lroFail\",\"count\":1}");
  ck_assert_int_eq(lro_fail_rules(), 1);
  /* a hub VNet elsewhere to peer with */
  arm_direct("PUT", RGP "hub-rg", "{\"location\":\"eastus\"}");
  arm_direct("PUT", RGP "hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet",
             "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"172.16.0.0/16\"]}}}");
  make_cluster_x("priv", "priv-rg",
                 "{\"vnet\":{\"name\":\"priv-vnet\",\"peerings\":[{\"resourceGroup\":\"hub-rg\",\"remoteVnetName\":"
                 "\"hub-vnet\",\"forwardPeeringProperties\":{\"allowForwardedTraffic\":true}}]},\"apiServerLB\":"
                 "{\"type\":\"Internal\"}}",
                 ",\"bastionSpec\":{\"azureBastion\":{}}");
  k_wait_ready(&GVK_AC, "priv", 90000);
  cJSON *ac = k_get(&GVK_AC, "priv");
  ck_assert_str_eq(capz_json_ptr_str(ac, "/spec/controlPlaneEndpoint/host", ""), "apiserver.priv.capz.io");
  ck_assert(capz_cond_is_true(ac, "PrivateDNSZoneReady"));
  cJSON_Delete(ac);
  cJSON *log = arm_requests();
  cJSON *st = capz_json_ptr_get(log, "/byStatus");
  ck_assert_int_ge(capz_json_ptr_int(st, "/429", 0), 2);
  ck_assert_int_ge(capz_json_ptr_int(st, "/500", 0), 3);
  cJSON_Delete(log);
  ck_assert_int_eq(lro_fail_rules(), 0); /* a one-shot rule is dropped once it has fired */
  cJSON *all = arm_resources(NULL);
  arm_expect_owned(all, "/networkSecurityGroups/priv-node-nsg", "priv");
  ck_assert_str_eq(capz_json_ptr_str(arm_find(all, "/networkSecurityGroups/priv-node-nsg"),
                                     "/properties/provisioningState", ""), "Succeeded");
  cJSON *lb = arm_expect_owned(all, "/loadBalancers/priv-internal-lb", "priv");
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/frontendIPConfigurations/0/properties/privateIPAddress", ""),
                   "10.0.0.100");
  arm_expect_owned(all, "/privateDnsZones/priv.capz.io", "priv");
  arm_expect_owned(all, "/privateDnsZones/priv.capz.io/virtualNetworkLinks/priv-vnet-link", "priv");
  arm_expect_owned(all, "/privateDnsZones/priv.capz.io/virtualNetworkLinks/hub-vnet-link", "priv");
  cJSON *a = arm_find(all, "/privateDnsZones/priv.capz.io/A/apiserver");
  ck_assert_ptr_nonnull(a);
  ck_assert_str_eq(capz_json_ptr_str(a, "/properties/aRecords/0/ipv4Address", ""), "10.0.0.100");
  ck_assert_ptr_null(arm_find(all, "/publicIPAddresses/pip-priv-apiserver"));
  /* peerings both ways, the forward one with its properties */
  cJSON *fw = arm_find(all, "/virtualNetworks/priv-vnet/virtualNetworkPeerings/priv-vnet-To-hub-vnet");
  ck_assert_ptr_nonnull(fw);
  ck_assert(capz_json_ptr_bool(fw, "/properties/allowForwardedTraffic", false));
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(fw, "/properties/remoteVirtualNetwork/id", ""), "hub-vnet"));
  ck_assert_ptr_nonnull(arm_find(all, "/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-vnet-To-priv-vnet"));
  /* bastion: its subnet, public IP and host */
  ck_assert_ptr_nonnull(arm_find(all, "/virtualNetworks/priv-vnet/subnets/AzureBastionSubnet"));
  arm_expect_owned(all, "/publicIPAddresses/priv-azure-bastion-pip", "priv");
  arm_expect_owned(all, "/bastionHosts/priv-azure-bastion", "priv");
  cJSON_Delete(all);
  /* delete: the reverse peering on the hub goes too; the hub stays */
  k_delete(&GVK_AC, "priv");
  k_wait_gone(&GVK_AC, "priv", 30000);
  ck_assert_int_eq(arm_count_owned("priv"), 0);
  all = arm_resources(NULL);
  ck_assert_ptr_nonnull(arm_find(all, "/virtualNetworks/hub-vnet"));
  ck_assert_ptr_null(arm_find(all, "/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-vnet-To-priv-vnet"));
  cJSON_Delete(all);
}
END_TEST

/* ---------------------------------------------------------------- VM deleted out of band; template capacity */
START_TEST(vm_deleted_out_of_band_fails_machine) {
  /* a short drift interval: the VM's own periodic read finds it gone (a poke of a Ready machine reads nothing) */
  env_restart_controllers_with_drift("2s");
  k_make_sp_identity("{}");
  g_location = "westus"; /* a region without availability zones */
  make_cluster("c3", "c3-rg", "{\"vnet\":{\"name\":\"c3-vnet\"}}");
  k_wait_ready(&GVK_AC, "c3", 60000);
  cJSON *c3 = k_get(&GVK_AC, "c3");
  ck_assert_ptr_null(capz_json_ptr_get(c3, "/status/failureDomains/1"));
  cJSON_Delete(c3);
  k_patch(&GVK_CLUSTER, "c3", "status", "{\"status\":{\"initialization\":{\"infrastructureProvisioned\":true}}}");
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"w1-bootstrap\",\"labels\":"
                        "{\"cluster.x-k8s.io/cluster-name\":\"c3\"}},\"data\":{\"value\":\"I2Nsb3VkLWNvbmZpZwo=\"}}"));
  cJSON *m = k_create(&GVK_MACHINE,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Machine\",\"metadata\":{\"name\":\"w1\","
                      "\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c3\",\"cluster.x-k8s.io/deployment-name\":\"md0\"}},"
                      "\"spec\":{\"clusterName\":\"c3\",\"version\":\"v1.31.1\",\"bootstrap\":{\"dataSecretName\":"
                      "\"w1-bootstrap\"},\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\","
                      "\"kind\":\"AzureMachine\",\"name\":\"w1\"}}}");
  cJSON_Delete(k_create(&GVK_AM,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachine\","
                        "\"metadata\":{\"name\":\"w1\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c3\"},\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Machine\",\"name\":\"w1\",\"uid\":\"%s\"}]},\"spec\":{\"vmSize\":\"Standard_D2s_v3\","
                        "\"allocatePublicIP\":true,\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":30}}}",
                        capz_json_ptr_str(m, "/metadata/uid", "")));
  cJSON_Delete(m);
  k_wait_ready(&GVK_AM, "w1", 60000);
  cJSON *am = k_get(&GVK_AM, "w1");
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/addresses/2/type", ""), "ExternalIP");
  ck_assert_msg(!strncmp(capz_json_ptr_str(am, "/status/addresses/1/address", ""), "10.1.", 5), "node IP %s",
                capz_json_ptr_str(am, "/status/addresses/1/address", ""));
  cJSON_Delete(am);
  /* no zones: the VM goes into the MachineDeployment's availability set */
  cJSON *all = arm_resources(NULL);
  cJSON *as = arm_expect_owned(all, "/availabilitySets/c3_md0-as", "c3");
  (void)as;
  cJSON *w1 = arm_find(all, "/virtualMachines/w1");
  ck_assert_ptr_nonnull(w1);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(w1, "/properties/availabilitySet/id", ""), "c3_md0-as"));
  ck_assert_ptr_null(capz_json_ptr_get(w1, "/zones/0"));
  arm_expect_owned(all, "/publicIPAddresses/pip-w1", "c3");
  cJSON_Delete(all);
  /* the VM disappears behind the controller's back: the machine fails, nothing is recreated */
  arm_direct("DELETE", RGP "c3-rg/providers/Microsoft.Compute/virtualMachines/w1", NULL);
  arm_clear_requests();
  /* no poke: the machine's converged requeue (within its drift interval) is what notices */
  cJSON *last = NULL;
  const char *want[] = {"VMRunning", "Deleted"};
  ck_assert(k_wait(&GVK_AM, "w1", k_cond_reason, (void *)want, 20000, &last));
  ck_assert_str_eq(capz_json_ptr_str(last, "/status/failureReason", ""), "UpdateError");
  ck_assert_str_eq(capz_json_ptr_str(last, "/status/vmState", ""), "Deleted");
  cJSON_Delete(last);
  sleep(1);
  cJSON *log = arm_requests();
  ck_assert_int_eq(arm_count(log, "PUT"), 0);
  cJSON_Delete(log);
  k_expect_event("w1", "UnexpectedVMDeletion");

  /* a VM whose creation fails in Azure: terminal CreateError, vmState Failed */
  arm_post("/_sim/faults", "{\"method\":\"PUT\",\"path\":\"*/virtualMachines/w2\",\"kind\":\"lroFail\",\"count\":1}");
  cJSON *m2 = k_create(&GVK_MACHINE,
                       "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Machine\",\"metadata\":{\"name\":\"w2\","
                       "\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c3\",\"cluster.x-k8s.io/deployment-name\":\"md0\"}},"
                       "\"spec\":{\"clusterName\":\"c3\",\"version\":\"v1.31.1\",\"bootstrap\":{\"dataSecretName\":"
                       "\"w1-bootstrap\"},\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\","
                       "\"kind\":\"AzureMachine\",\"name\":\"w2\"}}}");
  cJSON_Delete(k_create(&GVK_AM,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachine\","
                        "\"metadata\":{\"name\":\"w2\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c3\"},\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Machine\",\"name\":\"w2\",\"uid\":\"%s\"}]},\"spec\":{\"vmSize\":\"Standard_D2s_v3\","
                        "\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":30}}}",
                        capz_json_ptr_str(m2, "/metadata/uid", "")));
  cJSON_Delete(m2);
  const char *wf[] = {"VMRunning", "Failed"};
  ck_assert(k_wait(&GVK_AM, "w2", k_cond_reason, (void *)wf, 30000, &last));
  ck_assert_str_eq(capz_json_ptr_str(last, "/status/failureReason", ""), "CreateError");
  ck_assert_str_eq(capz_json_ptr_str(last, "/status/vmState", ""), "Failed");
  ck_assert(!capz_json_ptr_bool(last, "/status/ready", true));
  cJSON_Delete(last);

  /* AzureMachineTemplate owned by the Cluster: capacity from the VM size's SKU */
  cJSON *cl = k_get(&GVK_CLUSTER, "c3");
  cJSON_Delete(k_create(&GVK_AMT,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachineTemplate\","
                        "\"metadata\":{\"name\":\"md0\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Cluster\",\"name\":\"c3\",\"uid\":\"%s\"}]},\"spec\":{\"template\":{\"spec\":{"
                        "\"vmSize\":\"Standard_B2ms\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":30}}}}}",
                        capz_json_ptr_str(cl, "/metadata/uid", "")));
  cJSON_Delete(cl);
  int64_t until = now_ms() + 20000;
  cJSON *t = NULL;
  while (now_ms() < until) {
    cJSON_Delete(t);
    t = k_get(&GVK_AMT, "md0");
    if (*capz_json_ptr_str(t, "/status/capacity/cpu", "")) break;
    usleep(100000);
  }
  ck_assert_str_eq(capz_json_ptr_str(t, "/status/capacity/cpu", ""), "2");
  ck_assert_str_eq(capz_json_ptr_str(t, "/status/capacity/memory", ""), "8G");
  ck_assert_str_eq(capz_json_ptr_str(t, "/status/nodeInfo/operatingSystem", ""), "linux");
  cJSON_Delete(t);
}
END_TEST

/* ---------------------------------------------------------------- pause; an operation resumed across a restart */
static bool has_lro(const cJSON *o, void *ud) {
  (void)ud;
  return o && *capz_json_ptr_str(o, "/status/longRunningOperationStates/0/data", "");
}

static int puts_to(const cJSON *log, const char *suffix) {
  int n = 0;
  const cJSON *r;
  size_t sl = strlen(suffix);
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    if (strcmp(capz_json_ptr_str(r, "/method", ""), "PUT")) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s", capz_json_ptr_str(r, "/path", ""));
    char *q = strchr(path, '?');
    if (q) *q = '\0';
    size_t l = strlen(path);
    if (l >= sl && !strcasecmp(path + l - sl, suffix)) n++;
  }
  return n;
}

START_TEST(paused_then_operation_resumed_after_restart) {
  k_make_sp_identity("{}");
  arm_clear_requests();
  cJSON *c = k_create(&GVK_CLUSTER,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"p1\"},"
                      "\"spec\":{\"paused\":true,\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\","
                      "\"kind\":\"AzureCluster\",\"name\":\"p1\"}}}");
  cJSON_Delete(k_create(&GVK_AC,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\","
                        "\"metadata\":{\"name\":\"p1\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Cluster\",\"name\":\"p1\",\"uid\":\"%s\"}]},\"spec\":{\"location\":\"eastus\","
                        "\"subscriptionID\":\"" E2E_SUB "\",\"resourceGroup\":\"p1-rg\",\"identityRef\":{\"kind\":"
                        "\"AzureClusterIdentity\",\"name\":\"id1\"},\"networkSpec\":{\"vnet\":{\"name\":\"p1-vnet\"}}}}",
                        capz_json_ptr_str(c, "/metadata/uid", "")));
  cJSON_Delete(c);
  sleep(2);
  cJSON *ac = k_get(&GVK_AC, "p1");
  ck_assert(!capz_has_finalizer(ac, "azurecluster.infrastructure.cluster.x-k8s.io"));
  ck_assert_ptr_null(capz_json_ptr_get(ac, "/status"));
  cJSON_Delete(ac);
  cJSON *log = arm_requests();
  ck_assert_int_eq(arm_count(log, NULL), 0);
  cJSON_Delete(log);

  /* slow operations; unpausing wakes the AzureCluster through the Cluster watch */
  arm_post("/_sim/config", "{\"lro\":{\"defaultSeconds\":3,\"retryAfterSeconds\":1}}");
  k_patch(&GVK_CLUSTER, "p1", NULL, "{\"spec\":{\"paused\":false}}");
  cJSON *last = NULL;
  ck_assert(k_wait(&GVK_AC, "p1", has_lro, NULL, 20000, &last));
  char svc[64], name[128];
  snprintf(svc, sizeof svc, "%s", capz_json_ptr_str(last, "/status/longRunningOperationStates/0/serviceName", ""));
  snprintf(name, sizeof name, "%s", capz_json_ptr_str(last, "/status/longRunningOperationStates/0/name", ""));
  ck_assert_str_eq(capz_json_ptr_str(last, "/status/longRunningOperationStates/0/type", ""), "PUT");
  const char *w[] = {"VNetReady", "Creating"};
  if (!strcmp(svc, "virtualnetworks")) ck_assert(k_cond_reason(last, (void *)w));
  cJSON_Delete(last);
  /* a new process knows nothing but the token in status: it polls the operation instead of re-reading or
   * re-sending the PUT (first request about it after the restart is an operation poll) */
  arm_clear_requests();
  env_restart_controllers();
  arm_post("/_sim/config", "{\"lro\":{\"defaultSeconds\":0.2,\"retryAfterSeconds\":0}}");
  k_wait_ready(&GVK_AC, "p1", 60000);
  char suffix[200];
  snprintf(suffix, sizeof suffix, "/%s", name);
  log = arm_requests();
  fprintf(stderr, "operation on %s/%s resumed: %d PUT(s) to it after the restart\n", svc, name, puts_to(log, suffix));
  ck_assert_int_eq(puts_to(log, suffix), 0);
  int i = 0, first_poll = -1, first_res = -1;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    char path[1024];
    snprintf(path, sizeof path, "%s", capz_json_ptr_str(r, "/path", ""));
    char *q = strchr(path, '?');
    if (q) *q = '\0';
    size_t l = strlen(path), sl = strlen(suffix);
    if (first_poll < 0 && (strcasestr(path, "/operations/") || strcasestr(path, "/operationresults/"))) first_poll = i;
    if (first_res < 0 && l >= sl && !strcasecmp(path + l - sl, suffix)) first_res = i;
    i++;
  }
  ck_assert_msg(first_poll >= 0 && (first_res < 0 || first_poll < first_res), "poll at %d, resource read at %d",
                first_poll, first_res);
  cJSON_Delete(log);
  ac = k_get(&GVK_AC, "p1");
  ck_assert_ptr_null(capz_json_ptr_get(ac, "/status/longRunningOperationStates/0"));
  cJSON_Delete(ac);
}
END_TEST

/* ---------------------------------------------------------------- drift: a change made behind our back is undone
 * Out of band: the control-plane NSG of cluster PUT back with no security rules (its tags kept), after the request
 * log is cleared. Returns now_ms() just before the PUT. */
static int64_t strip_cp_nsg_rules(const char *cluster) {
  char suffix[160];
  snprintf(suffix, sizeof suffix, "/networkSecurityGroups/%s-controlplane-nsg", cluster);
  cJSON *all = arm_resources(NULL);
  cJSON *nsg = cJSON_Duplicate(arm_find(all, suffix), 1);
  cJSON_Delete(all);
  ck_assert_ptr_nonnull(nsg);
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "location", "eastus");
  cJSON_AddItemToObject(body, "tags", cJSON_Duplicate(cJSON_GetObjectItem(nsg, "tags"), 1));
  cJSON_AddArrayToObject(cJSON_AddObjectToObject(body, "properties"), "securityRules");
  char *txt = cJSON_PrintUnformatted(body);
  arm_clear_requests();
  int64_t t0 = now_ms();
  arm_direct("PUT", capz_json_ptr_str(nsg, "/id", ""), txt);
  free(txt);
  cJSON_Delete(body);
  cJSON_Delete(nsg);
  return t0;
}

/* Security rules the control-plane NSG of cluster has now (0 when it is missing). */
static int cp_nsg_rules(const char *cluster) {
  char suffix[160];
  snprintf(suffix, sizeof suffix, "/networkSecurityGroups/%s-controlplane-nsg", cluster);
  cJSON *all = arm_resources("Microsoft.Network/networkSecurityGroups");
  int rules = cJSON_GetArraySize(capz_json_ptr_get(arm_find(all, suffix), "/properties/securityRules"));
  cJSON_Delete(all);
  return rules;
}

START_TEST(drift_corrected) {
  k_make_sp_identity("{}");
  make_cluster("d1", "d1-rg", "{\"vnet\":{\"name\":\"d1-vnet\"}}");
  k_wait_ready(&GVK_AC, "d1", 60000);
  env_restart_controllers_with_drift("1s");
  sleep(2); /* the new process's first pass (one read per resource) is over */
  /* someone strips the control-plane NSG's rules (keeping its tags) */
  strip_cp_nsg_rules("d1");
  /* (no check that the rules are gone now: with a 1 s drift interval the controller may already have put them back) */
  /* (the converged cluster's own requeue may already have corrected it: the poke only makes sure) */
  k_patch(&GVK_AC, "d1", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"2\"}}}");
  int64_t until = now_ms() + 20000;
  int rules = 0;
  while (now_ms() < until && (rules = cp_nsg_rules("d1")) != 2) usleep(100000);
  ck_assert_int_eq(rules, 2);
  cJSON *log = arm_requests();
  /* only the drifted resource was written (by us, then by the controller) */
  ck_assert_int_eq(arm_count(log, "PUT"), puts_to(log, "/networkSecurityGroups/d1-controlplane-nsg"));
  cJSON_Delete(log);
}
END_TEST

/* ---------------------------------------------------------------- drift without a poke or a resync
 * A converged AzureCluster requeues itself for its rows' next drift read, so driftInterval acts on its own: the
 * host's resync is 1 h here (e2e_env.c), and nothing touches the object. */
START_TEST(drift_corrected_unprompted) {
  env_restart_controllers_with_drift("2s");
  k_make_sp_identity("{}");
  make_cluster("d2", "d2-rg", "{\"vnet\":{\"name\":\"d2-vnet\"}}");
  k_wait_ready(&GVK_AC, "d2", 60000);
  sleep(1);
  int64_t t0 = strip_cp_nsg_rules("d2");
  int64_t until = t0 + 15000, fixed_at = -1;
  while (now_ms() < until) {
    if (cp_nsg_rules("d2") == 2) {
      fixed_at = now_ms();
      break;
    }
    usleep(50000);
  }
  ck_assert_msg(fixed_at > 0, "drift not corrected within 15 s (driftInterval 2s, no poke, no resync)");
  fprintf(stderr, "drift corrected %.2f s after the out-of-band change (driftInterval 2s ± 10%%)\n",
          (double)(fixed_at - t0) / 1000.0);
  /* at most two drift intervals (2.2 s with jitter) plus a little scheduling */
  ck_assert_int_le(fixed_at - t0, 5000);
  cJSON *log = arm_requests();
  /* ours and the controller's (only the controller puts the rules back): no other resource written */
  ck_assert_int_ge(puts_to(log, "/networkSecurityGroups/d2-controlplane-nsg"), 1);
  ck_assert_int_eq(arm_count(log, "PUT"), puts_to(log, "/networkSecurityGroups/d2-controlplane-nsg"));
  cJSON_Delete(log);
}
END_TEST

Suite *e2e_suite(void);
Suite *e2e_suite(void) {
  /* one case per test, so CK_RUN_CASE=<name> runs one of them */
  const ckrun_case tests[] = {
      {"lifecycle", cluster_machine_lifecycle},
      {"bad_manifest", bad_manifest_and_denied_namespace},
      {"byo_vnet", byo_vnet_untouched},
      {"private_cluster", private_cluster_with_faults},
      {"vm_out_of_band", vm_deleted_out_of_band_fails_machine},
      {"drift_unprompted", drift_corrected_unprompted},
      {"pause_resume", paused_then_operation_resumed_after_restart},
      {"drift", drift_corrected},
  };
  Suite *s = suite_create("selfmanaged_e2e");
  ckrun_add_cases(s, tests, sizeof tests / sizeof tests[0], setup, teardown, 100);
  return s;
}

int main(void) { return ckrun(e2e_suite()); }
