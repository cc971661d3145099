/* test_cascade.c — resource-group deletion in capz-arm-sim: contents go in dependency order so references
 * inside the group never block (internal LB frontend on a subnet, NIC, VM, AKS cluster with its node group),
 * while single deletes keep refusing in-use resources and a reference from another group blocks the group
 * delete with ResourceGroupDeletionBlocked (state rolled back, the rest deleted). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <capz/json.h>

#include "armtest.h"

#define RGV "?api-version=2021-04-01"
#define NV "?api-version=2024-05-01"
#define CV "?api-version=2024-03-01"
#define AV "?api-version=2025-03-01"
#define RG AT_S "/resourceGroups/cas-rg"
#define NET RG "/providers/Microsoft.Network"
#define CMP RG "/providers/Microsoft.Compute"
#define SUBNET NET "/virtualNetworks/v/subnets/nodes"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

/* DELETE a resource group and follow its Location until it ends; returns the final HTTP status and copies the
 * error code (if any) into code. */
static long delete_group(const char *rg, char *code, size_t n) {
  at_resp r = at_del(&sim, rg);
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  long st = 0;
  for (int i = 0; i < 100; i++) {
    r = at_get(&sim, at_path_of(&sim, loc));
    st = r.status;
    snprintf(code, n, "%s", at_str(&r, "/error/code"));
    at_free(&r);
    if (st != 202) break;
    at_sleep_ms(20);
  }
  return st;
}

static int count_resources(void) {
  at_resp r = at_req(&sim, "GET", "/_sim/resources", NULL, NULL, false);
  int n = cJSON_GetArraySize(r.json);
  at_free(&r);
  return n;
}

static void network_with_internal_lb_and_vm(void) {
  ck_assert_int_eq(at_put_wait(&sim, RG RGV, "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkSecurityGroups/nsg" NV, "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" NV,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},"
                               "\"subnets\":[{\"name\":\"nodes\",\"properties\":{\"addressPrefix\":\"10.0.1.0/24\","
                               "\"networkSecurityGroup\":{\"id\":\"" NET "/networkSecurityGroups/nsg\"}}}]}}"),
                   200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/loadBalancers/ilb" NV,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{"
                               "\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"subnet\":{\"id\":\"" SUBNET "\"},"
                               "\"privateIPAllocationMethod\":\"Static\",\"privateIPAddress\":\"10.0.1.100\"}}],"
                               "\"backendAddressPools\":[{\"name\":\"be\"}]}}"),
                   200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/publicIPAddresses/pip" NV,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}"),
                   200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/nic" NV,
                               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{"
                               "\"subnet\":{\"id\":\"" SUBNET "\"},\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip\"},"
                               "\"loadBalancerBackendAddressPools\":[{\"id\":\"" NET "/loadBalancers/ilb/backendAddressPools/be\"}]}}]}}"),
                   200);
  ck_assert_int_eq(
      at_put_wait(&sim, CMP "/virtualMachines/vm" CV,
                  "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"},"
                  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"ubuntu-24_04-lts\",\"sku\":\"server\",\"version\":\"latest\"},"
                  "\"osDisk\":{\"createOption\":\"FromImage\",\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"}}},"
                  "\"osProfile\":{\"computerName\":\"vm\",\"adminUsername\":\"azureuser\"},"
                  "\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/nic\"}]}}}"),
      200);
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachines/vm/extensions/boot" CV,
                               "{\"location\":\"eastus\",\"properties\":{\"publisher\":\"Microsoft.Azure.ContainerUpstream\","
                               "\"type\":\"CAPZ.Linux.Bootstrapping\",\"typeHandlerVersion\":\"1.0\"}}"),
                   200);
}

START_TEST(group_delete_goes_in_dependency_order) {
  network_with_internal_lb_and_vm();
  /* one by one, every referenced resource still refuses */
  ck_assert_str_eq(at_status_error(&sim, "DELETE", SUBNET NV, NULL), "400 InUseSubnetCannotBeDeleted");
  ck_assert_str_eq(at_status_error(&sim, "DELETE", NET "/publicIPAddresses/pip" NV, NULL), "400 PublicIPAddressCannotBeDeleted");
  ck_assert_str_eq(at_error_code(&sim, "DELETE", NET "/networkInterfaces/nic" NV, NULL), "NicInUse");
  ck_assert_int_gt(count_resources(), 8);
  /* the group goes as a whole */
  char code[128];
  ck_assert_int_eq(delete_group(RG RGV, code, sizeof code), 200);
  ck_assert_str_eq(code, "");
  ck_assert_int_eq(count_resources(), 0);
  ck_assert_int_eq(at_get_status(&sim, RG RGV), 404);
  /* the addresses went with it: a new group can take the same static address again */
  network_with_internal_lb_and_vm();
  ck_assert_str_eq(at_get_str(&sim, NET "/loadBalancers/ilb" NV, "/properties/frontendIPConfigurations/0/properties/privateIPAddress"), "10.0.1.100");
}
END_TEST

START_TEST(outside_reference_blocks_and_rolls_back) {
  network_with_internal_lb_and_vm();
  /* a NIC of another group sits in the subnet */
  ck_assert_int_eq(at_put_wait(&sim, AT_S "/resourceGroups/other" RGV, "{\"location\":\"eastus\"}"), 200);
  const char *onic = AT_S "/resourceGroups/other/providers/Microsoft.Network/networkInterfaces/foreign" NV;
  ck_assert_int_eq(at_put_wait(&sim, onic,
                               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{"
                               "\"subnet\":{\"id\":\"" SUBNET "\"}}}]}}"),
                   200);
  char code[128];
  ck_assert_int_eq(delete_group(RG RGV, code, sizeof code), 500);
  ck_assert_str_eq(code, "ResourceGroupDeletionBlocked");
  at_resp r = at_get(&sim, RG RGV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  at_free(&r);
  /* the VNet stays (its subnet is held from outside), with its state rolled back; the rest went */
  r = at_get(&sim, NET "/virtualNetworks/v" NV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  at_free(&r);
  static const char *const gone[] = {CMP "/virtualMachines/vm" CV, NET "/networkInterfaces/nic" NV,
                                     NET "/loadBalancers/ilb" NV, NET "/publicIPAddresses/pip" NV, NULL};
  for (int i = 0; gone[i]; i++) {
    r = at_get(&sim, gone[i]);
    ck_assert_msg(r.status == 404, "%s still there", gone[i]);
    at_free(&r);
  }
  /* the NSG is referenced by the subnet that stays, so it stays too */
  ck_assert_int_eq(at_get_status(&sim, NET "/networkSecurityGroups/nsg" NV), 200);
  /* once the outside NIC is gone the group deletes */
  ck_assert_int_eq(at_del_status(&sim, onic), 202);
  ck_assert_int_eq(delete_group(RG RGV, code, sizeof code), 200);
  ck_assert_int_eq(at_get_status(&sim, NET "/virtualNetworks/v" NV), 404);
}
END_TEST

START_TEST(group_with_aks_cluster_on_own_subnet) {
  ck_assert_int_eq(at_put_wait(&sim, RG RGV, "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" NV,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},"
                               "\"subnets\":[{\"name\":\"nodes\",\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}]}}"),
                   200);
  const char *mc = RG "/providers/Microsoft.ContainerService/managedClusters/c1" AV;
  ck_assert_int_eq(at_put_wait(&sim, mc,
                               "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{\"dnsPrefix\":\"c1\","
                               "\"agentPoolProfiles\":[{\"name\":\"system\",\"mode\":\"System\",\"count\":2,\"vmSize\":\"Standard_D2s_v3\","
                               "\"vnetSubnetID\":\"" SUBNET "\"}]}}"),
                   200);
  ck_assert_int_eq(at_put_wait(&sim, RG "/providers/Microsoft.ContainerService/managedClusters/c1/providers/"
                                        "Microsoft.KubernetesConfiguration/extensions/flux?api-version=2023-05-01",
                               "{\"properties\":{\"extensionType\":\"microsoft.flux\"}}"),
                   200);
  at_resp r = at_get(&sim, mc);
  char node_rg[256];
  snprintf(node_rg, sizeof node_rg, AT_S "/resourceGroups/%s" RGV, at_str(&r, "/properties/nodeResourceGroup"));
  at_free(&r);
  ck_assert_int_eq(at_get_status(&sim, node_rg), 200);
  ck_assert_str_eq(at_error_code(&sim, "DELETE", SUBNET NV, NULL), "InUseSubnetCannotBeDeleted");
  char code[128];
  ck_assert_int_eq(delete_group(RG RGV, code, sizeof code), 200);
  ck_assert_int_eq(at_get_status(&sim, node_rg), 404);
  ck_assert_int_eq(count_resources(), 0);
}
END_TEST

START_TEST(failed_group_delete_rolls_back) {
  network_with_internal_lb_and_vm();
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/faults",
                     "{\"method\":\"DELETE\",\"path\":\"*/resourceGroups/cas-rg\",\"kind\":\"lroFail\",\"code\":\"InternalServerError\","
                     "\"message\":\"injected\",\"count\":1}"), 201);
  char code[128];
  ck_assert_int_eq(delete_group(RG RGV, code, sizeof code), 500);
  ck_assert_str_eq(code, "InternalServerError");
  ck_assert_str_eq(at_get_str(&sim, RG RGV, "/properties/provisioningState"), "Succeeded");
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/v" NV, "/properties/provisioningState"), "Succeeded");
  ck_assert_int_gt(count_resources(), 8);
  /* and the next attempt goes through */
  ck_assert_int_eq(delete_group(RG RGV, code, sizeof code), 200);
  ck_assert_int_eq(count_resources(), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arm_sim_cascade");
  TCase *tc = tcase_create("cascade");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, group_delete_goes_in_dependency_order);
  tcase_add_test(tc, outside_reference_blocks_and_rolls_back);
  tcase_add_test(tc, group_with_aks_cluster_on_own_subnet);
  tcase_add_test(tc, failed_group_delete_rolls_back);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
