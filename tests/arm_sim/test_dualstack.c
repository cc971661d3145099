/* test_dualstack.c — IPv6 and dual-stack networking in capz-arm-sim (VNet/subnet prefixes of both families,
 * /64 rule, overlaps, IPv6 public IPs, NIC and LB frontend configurations with IPv6 addresses from the subnet's
 * IPv6 prefix, dual-stack AKS clusters) and subnet delegations (actions filled per service, unknown services refused). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <capz/json.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/ds-rg"
#define NET RG "/providers/Microsoft.Network"
#define CMP RG "/providers/Microsoft.Compute"
#define V "?api-version=2024-05-01"
#define CV "?api-version=2024-03-01"
#define DUAL NET "/virtualNetworks/v/subnets/dual"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":"
                               "[\"10.0.0.0/16\",\"fd00:db8:deca::/48\"]}}}"),
                   200);
  ck_assert_int_eq(at_put_wait(&sim, DUAL V, "{\"properties\":{\"addressPrefixes\":[\"10.0.1.0/24\",\"fd00:db8:deca:1::/64\"]}}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

static void expect_error(const char *path, const char *body, const char *code) {
  at_resp r = at_put(&sim, path, body);
  ck_assert_msg(r.status == 400, "PUT %s: %ld %s", path, r.status, r.body ? r.body : "");
  ck_assert_str_eq(at_str(&r, "/error/code"), code);
  at_free(&r);
}

START_TEST(subnet_prefixes_of_both_families) {
  at_resp r = at_get(&sim, DUAL V);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/addressPrefixes/1"), "fd00:db8:deca:1::/64");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/addressPrefix")); /* returned as sent */
  at_free(&r);
  /* an IPv6-only subnet through addressPrefix */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/six" V, "{\"properties\":{\"addressPrefix\":\"fd00:db8:deca:2::/64\"}}"), 200);
  expect_error(NET "/virtualNetworks/v/subnets/wide" V,
               "{\"properties\":{\"addressPrefixes\":[\"10.0.3.0/24\",\"fd00:db8:deca:3::/56\"]}}", "InvalidAddressPrefix");
  expect_error(NET "/virtualNetworks/v/subnets/narrow" V,
               "{\"properties\":{\"addressPrefixes\":[\"10.0.3.0/24\",\"fd00:db8:deca:3::/80\"]}}", "InvalidAddressPrefix");
  expect_error(NET "/virtualNetworks/v/subnets/two6" V,
               "{\"properties\":{\"addressPrefixes\":[\"fd00:db8:deca:3::/64\",\"fd00:db8:deca:4::/64\"]}}", "InvalidAddressPrefix");
  expect_error(NET "/virtualNetworks/v/subnets/outside" V,
               "{\"properties\":{\"addressPrefixes\":[\"10.0.3.0/24\",\"fd00:db8:beef:1::/64\"]}}", "NetcfgSubnetRangeOutsideVnet");
  expect_error(NET "/virtualNetworks/v/subnets/overlap6" V,
               "{\"properties\":{\"addressPrefixes\":[\"10.0.3.0/24\",\"fd00:db8:deca:1::/64\"]}}", "NetcfgSubnetRangesOverlap");
  expect_error(NET "/virtualNetworks/v/subnets/bad" V, "{\"properties\":{\"addressPrefixes\":[\"fd00:zz::/64\"]}}",
               "InvalidAddressPrefixFormat");
  /* an IPv6 space only a VNet of its own can hold */
  r = at_get(&sim, NET "/virtualNetworks/v" V);
  ck_assert_str_eq(at_str(&r, "/properties/addressSpace/addressPrefixes/1"), "fd00:db8:deca::/48");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/properties/subnets")), 2);
  at_free(&r);
}
END_TEST

#define PIP6 "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\",\"publicIPAddressVersion\":\"IPv6\"}}"
#define PIP4 "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}"
#define DUAL_NIC(extra6)                                                                                                   \
  "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":["                                                        \
  "{\"name\":\"ipv4\",\"properties\":{\"primary\":true,\"subnet\":{\"id\":\"" DUAL "\"}}},"                                \
  "{\"name\":\"ipv6\",\"properties\":{\"privateIPAddressVersion\":\"IPv6\",\"subnet\":{\"id\":\"" DUAL "\"}" extra6 "}}]}}"

START_TEST(nics_public_ips_and_frontends) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/publicIPAddresses/pip6" V, PIP6), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/publicIPAddresses/pip4" V, PIP4), 200);
  at_resp r = at_get(&sim, NET "/publicIPAddresses/pip6" V);
  ck_assert_str_eq(at_str(&r, "/properties/publicIPAddressVersion"), "IPv6");
  ck_assert_ptr_nonnull(strchr(at_str(&r, "/properties/ipAddress"), ':'));
  at_free(&r);
  /* dual-stack NICs: the IPv6 configuration takes addresses from the subnet's IPv6 prefix, after the reserved ones */
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n1" V,
                               DUAL_NIC(",\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip6\"}")), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n2" V, DUAL_NIC("")), 200);
  r = at_get(&sim, NET "/networkInterfaces/n1" V);
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/0/properties/privateIPAddress"), "10.0.1.4");
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/0/properties/privateIPAddressVersion"), "IPv4");
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/1/properties/privateIPAddress"), "fd00:db8:deca:1::4");
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/1/properties/privateIPAddressVersion"), "IPv6");
  ck_assert(!capz_json_ptr_bool(r.json, "/properties/ipConfigurations/1/properties/primary", true));
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/n2" V, "/properties/ipConfigurations/1/properties/privateIPAddress"), "fd00:db8:deca:1::5");
  /* the subnet lists both families' configurations; the IPv6 public IP points at its configuration */
  r = at_get(&sim, DUAL V);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/properties/ipConfigurations")), 4);
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/publicIPAddresses/pip6" V, "/properties/ipConfiguration/id"), NET "/networkInterfaces/n1/ipConfigurations/ipv6");
  /* a static IPv6 address */
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n3" V,
                               DUAL_NIC(",\"privateIPAllocationMethod\":\"Static\",\"privateIPAddress\":\"fd00:db8:deca:1::99\"")), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/n3" V, "/properties/ipConfigurations/1/properties/privateIPAddress"), "fd00:db8:deca:1::99");
  expect_error(NET "/networkInterfaces/n4" V,
               DUAL_NIC(",\"privateIPAllocationMethod\":\"Static\",\"privateIPAddress\":\"fd00:db8:deca:1::99\""),
               "PrivateIPAddressInUse");
  /* refusals */
  expect_error(NET "/networkInterfaces/bad" V,
               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"a\",\"properties\":{"
               "\"privateIPAddressVersion\":\"IPv6\",\"primary\":true,\"subnet\":{\"id\":\"" DUAL "\"}}},"
               "{\"name\":\"b\",\"properties\":{\"subnet\":{\"id\":\"" DUAL "\"}}}]}}",
               "IPv6IpConfigurationCannotBePrimary");
  expect_error(NET "/networkInterfaces/bad" V,
               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"a\",\"properties\":{"
               "\"privateIPAddressVersion\":\"IPv6\",\"subnet\":{\"id\":\"" DUAL "\"}}}]}}",
               "NetworkInterfaceMustHaveIPv4IpConfiguration");
  expect_error(NET "/networkInterfaces/bad" V,
               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"a\",\"properties\":{"
               "\"subnet\":{\"id\":\"" DUAL "\"},\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip6\"}}}]}}",
               "IpVersionMismatch");
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/only4" V, "{\"properties\":{\"addressPrefix\":\"10.0.9.0/24\"}}"), 200);
  expect_error(NET "/networkInterfaces/bad" V,
               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":["
               "{\"name\":\"a\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/only4\"}}},"
               "{\"name\":\"b\",\"properties\":{\"privateIPAddressVersion\":\"IPv6\",\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/only4\"}}}]}}",
               "SubnetDoesNotHaveIPv6AddressPrefix");
  /* load balancer: public frontends of both families, and an internal IPv6 frontend */
  ck_assert_int_eq(at_put_wait(&sim, NET "/loadBalancers/lb" V,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":["
                               "{\"name\":\"fe4\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip4\"}}},"
                               "{\"name\":\"fe6\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip6\"}}}],"
                               "\"backendAddressPools\":[{\"name\":\"be4\"},{\"name\":\"be6\"}]}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/loadBalancers/ilb" V,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":["
                               "{\"name\":\"in6\",\"properties\":{\"privateIPAddressVersion\":\"IPv6\",\"subnet\":{\"id\":\"" DUAL "\"}}}]}}"), 200);
  r = at_get(&sim, NET "/loadBalancers/ilb" V);
  ck_assert_str_eq(at_str(&r, "/properties/frontendIPConfigurations/0/properties/privateIPAddressVersion"), "IPv6");
  ck_assert_str_eq(at_str(&r, "/properties/frontendIPConfigurations/0/properties/privateIPAddress"), "fd00:db8:deca:1::6");
  at_free(&r);
  r = at_get(&sim, NET "/publicIPAddresses/pip6" V);
  at_free(&r);
  /* deleting a NIC frees its IPv6 address for the next one */
  ck_assert_int_eq(at_del_status(&sim, NET "/networkInterfaces/n2" V), 202);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n5" V, DUAL_NIC("")), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/n5" V, "/properties/ipConfigurations/1/properties/privateIPAddress"), "fd00:db8:deca:1::5");
}
END_TEST

START_TEST(vm_on_dual_stack_nic_and_scale_set) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/vmnic" V, DUAL_NIC("")), 200);
  ck_assert_int_eq(
      at_put_wait(&sim, CMP "/virtualMachines/vm" CV,
                  "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"},"
                  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"ubuntu-24_04-lts\",\"sku\":\"server\",\"version\":\"latest\"},"
                  "\"osDisk\":{\"createOption\":\"FromImage\",\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"}}},"
                  "\"osProfile\":{\"computerName\":\"vm\",\"adminUsername\":\"azureuser\"},"
                  "\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/vmnic\"}]}}}"),
      200);
  at_resp r = at_get(&sim, NET "/networkInterfaces/vmnic" V);
  ck_assert_str_eq(at_str(&r, "/properties/virtualMachine/id"), CMP "/virtualMachines/vm");
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/1/properties/privateIPAddressVersion"), "IPv6");
  at_free(&r);
  /* a Uniform scale set whose model has an IPv6 configuration gives each instance an IPv6 address */
  ck_assert_int_eq(
      at_put_wait(&sim, CMP "/virtualMachineScaleSets/ss" CV,
                  "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_D2s_v3\",\"capacity\":1},\"properties\":{"
                  "\"orchestrationMode\":\"Uniform\",\"upgradePolicy\":{\"mode\":\"Manual\"},\"virtualMachineProfile\":{"
                  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"ubuntu-24_04-lts\",\"sku\":\"server\",\"version\":\"latest\"}},"
                  "\"osProfile\":{\"computerNamePrefix\":\"ss\",\"adminUsername\":\"azureuser\"},"
                  "\"networkProfile\":{\"networkInterfaceConfigurations\":[{\"name\":\"nic\",\"properties\":{\"primary\":true,"
                  "\"ipConfigurations\":[{\"name\":\"v4\",\"properties\":{\"primary\":true,\"subnet\":{\"id\":\"" DUAL "\"}}},"
                  "{\"name\":\"v6\",\"properties\":{\"privateIPAddressVersion\":\"IPv6\",\"subnet\":{\"id\":\"" DUAL "\"}}}]}}]}}}}"),
      200);
  r = at_get(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines/0/networkInterfaces" CV);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/value/0/properties/ipConfigurations/1/properties/privateIPAddressVersion"), "IPv6");
  ck_assert_ptr_nonnull(strstr(at_str(&r, "/value/0/properties/ipConfigurations/1/properties/privateIPAddress"), "fd00:db8:deca:1::"));
  ck_assert_ptr_nonnull(strstr(at_str(&r, "/value/0/properties/ipConfigurations/0/properties/privateIPAddress"), "10.0.1."));
  at_free(&r);
}
END_TEST

START_TEST(subnet_delegations) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/pods" V,
                               "{\"properties\":{\"addressPrefix\":\"10.0.64.0/18\",\"delegations\":[{\"name\":\"aks\",\"properties\":"
                               "{\"serviceName\":\"Microsoft.ContainerService/managedClusters\"}}]}}"), 200);
  at_resp r = at_get(&sim, NET "/virtualNetworks/v/subnets/pods" V);
  ck_assert_str_eq(at_str(&r, "/properties/delegations/0/id"), NET "/virtualNetworks/v/subnets/pods/delegations/aks");
  ck_assert_str_eq(at_str(&r, "/properties/delegations/0/type"), "Microsoft.Network/virtualNetworks/subnets/delegations");
  ck_assert_str_eq(at_str(&r, "/properties/delegations/0/properties/actions/0"),
                   "Microsoft.Network/virtualNetworks/subnets/join/action");
  ck_assert_str_eq(at_str(&r, "/properties/delegations/0/properties/provisioningState"), "Succeeded");
  at_free(&r);
  /* the service name is canonicalised; a service with several actions gets all of them */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/sql" V,
                               "{\"properties\":{\"addressPrefix\":\"10.0.5.0/24\",\"delegations\":[{\"name\":\"d\",\"properties\":"
                               "{\"serviceName\":\"microsoft.sql/managedinstances\"}}]}}"), 200);
  r = at_get(&sim, NET "/virtualNetworks/v/subnets/sql" V);
  ck_assert_str_eq(at_str(&r, "/properties/delegations/0/properties/serviceName"), "Microsoft.Sql/managedInstances");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/properties/delegations/0/properties/actions")), 3);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/dyn" V,
                               "{\"properties\":{\"addressPrefix\":\"10.0.6.0/24\",\"delegations\":[{\"name\":\"d\",\"properties\":"
                               "{\"serviceName\":\"Microsoft.DelegatedNetwork/controller\"}}]}}"), 200);
  /* the VNet shows the delegation of its embedded subnet */
  r = at_get(&sim, NET "/virtualNetworks/v" V);
  ck_assert_ptr_nonnull(strstr(r.body, "Microsoft.DelegatedNetwork/controller"));
  at_free(&r);
  expect_error(NET "/virtualNetworks/v/subnets/nope" V,
               "{\"properties\":{\"addressPrefix\":\"10.0.7.0/24\",\"delegations\":[{\"name\":\"d\",\"properties\":"
               "{\"serviceName\":\"Microsoft.Codespaces/plans\"}}]}}", "InvalidServiceNameOnDelegation");
  expect_error(NET "/virtualNetworks/v/subnets/nope" V,
               "{\"properties\":{\"addressPrefix\":\"10.0.7.0/24\",\"delegations\":[{\"name\":\"d\",\"serviceName\":"
               "\"Microsoft.Web/serverFarms\"}]}}", "InvalidServiceNameOnDelegation"); /* no properties wrapper */
}
END_TEST

START_TEST(aks_dual_stack_cluster) {
  const char *mc = RG "/providers/Microsoft.ContainerService/managedClusters/ds?api-version=2025-03-01";
  at_resp r = at_put(&sim, mc,
                     "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"ds\",\"networkProfile\":{\"networkPlugin\":\"azure\","
                     "\"ipFamilies\":[\"IPv4\",\"IPv6\"]},\"agentPoolProfiles\":[{\"name\":\"system\",\"mode\":\"System\",\"count\":1,"
                     "\"vmSize\":\"Standard_D2s_v3\",\"vnetSubnetID\":\"" DUAL "\"}]}}");
  ck_assert_int_eq(r.status, 400); /* Azure CNI without overlay cannot be dual stack */
  ck_assert_str_eq(at_str(&r, "/error/code"), "InvalidParameter");
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, mc,
                               "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"ds\",\"networkProfile\":{\"networkPlugin\":\"azure\","
                               "\"networkPluginMode\":\"overlay\",\"ipFamilies\":[\"IPv4\",\"IPv6\"]},\"agentPoolProfiles\":[{\"name\":\"system\","
                               "\"mode\":\"System\",\"count\":1,\"vmSize\":\"Standard_D2s_v3\",\"vnetSubnetID\":\"" DUAL "\"}]}}"), 200);
  r = at_get(&sim, mc);
  ck_assert_str_eq(at_str(&r, "/properties/networkProfile/ipFamilies/1"), "IPv6");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/properties/networkProfile/podCidrs")), 2);
  ck_assert_ptr_nonnull(strchr(at_str(&r, "/properties/networkProfile/serviceCidrs/1"), ':'));
  char node_rg[256];
  snprintf(node_rg, sizeof node_rg, AT_S "/resourceGroups/%s", at_str(&r, "/properties/nodeResourceGroup"));
  at_free(&r);
  /* the pool's nodes get an IPv6 address in the dual-stack subnet */
  char path[1024];
  snprintf(path, sizeof path, "%s/providers/Microsoft.Compute/virtualMachineScaleSets" CV, node_rg);
  r = at_get(&sim, path);
  snprintf(path, sizeof path, "%s/virtualMachines/0/networkInterfaces" CV, at_str(&r, "/value/0/id"));
  at_free(&r);
  r = at_get(&sim, path);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/value/0/properties/ipConfigurations/1/properties/privateIPAddressVersion"), "IPv6");
  ck_assert_ptr_nonnull(strstr(at_str(&r, "/value/0/properties/ipConfigurations/1/properties/privateIPAddress"), "fd00:db8:deca:1::"));
  at_free(&r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arm_sim_dualstack");
  TCase *tc = tcase_create("dualstack");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, subnet_prefixes_of_both_families);
  tcase_add_test(tc, nics_public_ips_and_frontends);
  tcase_add_test(tc, vm_on_dual_stack_nic_and_scale_set);
  tcase_add_test(tc, subnet_delegations);
  tcase_add_test(tc, aks_dual_stack_cluster);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
