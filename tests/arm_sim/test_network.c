/* test_network.c — Microsoft.Network resources in capz-arm-sim: VNets and subnets (child and embedded),
 * NSGs, route tables, public IPs, load balancers, NAT gateways, NICs with IP allocation, peerings,
 * in-use conflicts, NRP's AnotherOperationInProgress. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/net-rg"
#define NET RG "/providers/Microsoft.Network"
#define V "?api-version=2024-05-01"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

START_TEST(vnet_subnet_child_and_embedded) {
  at_resp r = at_put(&sim, NET "/virtualNetworks/vnet1" V,
                     "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},"
                     "\"subnets\":[{\"name\":\"a\",\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}]}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Updating");
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  ck_assert_str_eq(at_str(&r, "/properties/subnets/0/name"), "a");
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  /* child PUT appears in the VNet body */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/vnet1/subnets/b" V, "{\"properties\":{\"addressPrefix\":\"10.0.2.0/24\"}}"), 200);
  r = at_get(&sim, NET "/virtualNetworks/vnet1" V);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "subnets")), 2);
  ck_assert_str_eq(at_str(&r, "/properties/subnets/1/name"), "b");
  ck_assert_str_eq(at_str(&r, "/properties/subnets/0/properties/provisioningState"), "Succeeded");
  ck_assert_str_eq(at_str(&r, "/properties/subnets/1/type"), "Microsoft.Network/virtualNetworks/subnets");
  ck_assert(strncmp(at_str(&r, "/etag"), "W/\"", 3) == 0);
  at_free(&r);
  r = at_get(&sim, NET "/virtualNetworks/vnet1/subnets/a" V);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/id"), NET "/virtualNetworks/vnet1/subnets/a");
  at_free(&r);
  /* list of subnets */
  r = at_get(&sim, NET "/virtualNetworks/vnet1/subnets" V);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
  at_free(&r);
  /* a VNet PUT without subnets removes them (NRP full replacement) */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/vnet1" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}"), 200);
  ck_assert_int_eq(at_get_status(&sim, NET "/virtualNetworks/vnet1/subnets/a" V), 404);
  /* subnet outside the VNet and overlapping subnets */
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/virtualNetworks/vnet1/subnets/c" V, "{\"properties\":{\"addressPrefix\":\"10.9.0.0/24\"}}"), "400 NetcfgSubnetRangeOutsideVnet");
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/vnet1/subnets/c" V, "{\"properties\":{\"addressPrefix\":\"10.0.8.0/22\"}}"), 200);
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/vnet1/subnets/d" V, "{\"properties\":{\"addressPrefix\":\"10.0.9.0/24\"}}"), "NetcfgSubnetRangesOverlap");
  /* subnet under a missing VNet */
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/virtualNetworks/nope/subnets/x" V, "{\"properties\":{\"addressPrefix\":\"10.0.0.0/24\"}}"), "404 ParentResourceNotFound");
}
END_TEST

START_TEST(nsg_default_rules_and_rules) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkSecurityGroups/nsg1" V,
                               "{\"location\":\"eastus\",\"properties\":{\"securityRules\":[{\"name\":\"ssh\",\"properties\":"
                               "{\"protocol\":\"Tcp\",\"sourcePortRange\":\"*\",\"destinationPortRange\":\"22\",\"sourceAddressPrefix\":\"*\","
                               "\"destinationAddressPrefix\":\"*\",\"access\":\"Allow\",\"priority\":100,\"direction\":\"Inbound\"}}]}}"), 200);
  at_resp r = at_get(&sim, NET "/networkSecurityGroups/nsg1" V);
  cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "defaultSecurityRules");
  ck_assert_int_eq(cJSON_GetArraySize(d), 6);
  ck_assert_str_eq(at_str(&r, "/properties/defaultSecurityRules/0/name"), "AllowVnetInBound");
  ck_assert_str_eq(at_str(&r, "/properties/defaultSecurityRules/5/name"), "DenyAllOutBound");
  ck_assert_str_eq(at_str(&r, "/properties/securityRules/0/name"), "ssh");
  at_free(&r);
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/networkSecurityGroups/nsg1/securityRules/bad" V,
             "{\"properties\":{\"protocol\":\"Tcp\",\"access\":\"Allow\",\"priority\":5000,\"direction\":\"Inbound\"}}"), "400 SecurityRuleInvalidPriority");
  ck_assert_str_eq(at_put_error(&sim, NET "/networkSecurityGroups/nsg1/securityRules/dup" V,
             "{\"properties\":{\"protocol\":\"Tcp\",\"access\":\"Allow\",\"priority\":100,\"direction\":\"Inbound\"}}"), "SecurityRuleConflict");
  /* in use by a subnet */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.1.0.0/16\"]}}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/s" V,
                               "{\"properties\":{\"addressPrefix\":\"10.1.0.0/24\",\"networkSecurityGroup\":{\"id\":\"" NET "/networkSecurityGroups/nsg1\"}}}"), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkSecurityGroups/nsg1" V, "/properties/subnets/0/id"), NET "/virtualNetworks/v/subnets/s");
  ck_assert_str_eq(at_status_error(&sim, "DELETE", NET "/networkSecurityGroups/nsg1" V, NULL), "400 InUseNetworkSecurityGroupCannotBeDeleted");
  /* missing NSG reference */
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/v/subnets/s2" V,
             "{\"properties\":{\"addressPrefix\":\"10.1.1.0/24\",\"networkSecurityGroup\":{\"id\":\"" NET "/networkSecurityGroups/ghost\"}}}"), "InvalidResourceReference");
}
END_TEST

START_TEST(nic_ip_allocation_and_in_use) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.2.0.0/16\"]},"
                               "\"subnets\":[{\"name\":\"tiny\",\"properties\":{\"addressPrefix\":\"10.2.0.0/29\"}}]}}"), 200);
  const char *nic = "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/tiny\"}}}]}}";
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n1" V, nic), 200);
  at_resp r = at_get(&sim, NET "/networkInterfaces/n1" V);
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/0/properties/privateIPAddress"), "10.2.0.4");
  ck_assert_str_eq(at_str(&r, "/properties/ipConfigurations/0/id"), NET "/networkInterfaces/n1/ipConfigurations/ipc");
  ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "ipConfigurations"), 0), "properties"), "primary")));
  ck_assert(strlen(at_str(&r, "/properties/macAddress")) == 17);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n2" V, nic), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/n2" V, "/properties/ipConfigurations/0/properties/privateIPAddress"), "10.2.0.5");
  /* a /29 has 3 usable addresses (8 - 5 reserved) */
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n3" V, nic), 200);
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/networkInterfaces/n4" V, nic), "400 SubnetIsFull");
  /* re-PUT keeps the address */
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n1" V, nic), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/n1" V, "/properties/ipConfigurations/0/properties/privateIPAddress"), "10.2.0.4");
  /* the subnet shows its IP configurations and cannot be deleted */
  r = at_get(&sim, NET "/virtualNetworks/v/subnets/tiny" V);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "ipConfigurations")), 3);
  at_free(&r);
  ck_assert_str_eq(at_status_error(&sim, "DELETE", NET "/virtualNetworks/v/subnets/tiny" V, NULL), "400 InUseSubnetCannotBeDeleted");
  /* omitting the in-use subnet from a VNet PUT is refused too */
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/v" V, "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.2.0.0/16\"]}}}"), "InUseSubnetCannotBeDeleted");
  /* deleting a NIC frees its address for the next one */
  r = at_del(&sim, NET "/networkInterfaces/n2" V);
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, loc));
  ck_assert(r.status == 200 || r.status == 204);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n5" V, nic), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/n5" V, "/properties/ipConfigurations/0/properties/privateIPAddress"), "10.2.0.5");
  /* static address outside the subnet */
  ck_assert_str_eq(at_put_error(&sim, NET "/networkInterfaces/n6" V,
             "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"privateIPAllocationMethod\":\"Static\",\"privateIPAddress\":\"10.3.0.9\",\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/tiny\"}}}]}}"), "PrivateIPAddressNotInSubnet");
}
END_TEST

START_TEST(pip_lb_natgw_routetable) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/publicIPAddresses/pip" V,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"zones\":[\"1\",\"2\",\"3\"],"
                               "\"properties\":{\"publicIPAllocationMethod\":\"Static\",\"dnsSettings\":{\"domainNameLabel\":\"mycluster-api\"}}}"), 200);
  at_resp r = at_get(&sim, NET "/publicIPAddresses/pip" V);
  ck_assert_str_eq(at_str(&r, "/properties/dnsSettings/fqdn"), "mycluster-api.eastus.cloudapp.azure.com");
  ck_assert(strlen(at_str(&r, "/properties/ipAddress")) >= 7);
  at_free(&r);
  ck_assert_str_eq(at_put_error(&sim, NET "/publicIPAddresses/pip2" V, "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\",\"dnsSettings\":{\"domainNameLabel\":\"mycluster-api\"}}}"), "DnsRecordInUse");
  ck_assert_int_eq(at_put_status(&sim, NET "/publicIPAddresses/pip3" V, "{\"location\":\"westus\",\"zones\":[\"1\"]}"), 400);
  const char *lb =
      "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{"
      "\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip\"}}}],"
      "\"backendAddressPools\":[{\"name\":\"be\"}],"
      "\"probes\":[{\"name\":\"apiserver\",\"properties\":{\"protocol\":\"Tcp\",\"port\":6443,\"intervalInSeconds\":15,\"numberOfProbes\":4}}],"
      "\"loadBalancingRules\":[{\"name\":\"lbr\",\"properties\":{\"frontendIPConfiguration\":{\"id\":\"" NET "/loadBalancers/lb/frontendIPConfigurations/fe\"},"
      "\"backendAddressPool\":{\"id\":\"" NET "/loadBalancers/lb/backendAddressPools/be\"},\"probe\":{\"id\":\"" NET "/loadBalancers/lb/probes/apiserver\"},"
      "\"protocol\":\"Tcp\",\"frontendPort\":6443,\"backendPort\":6443}}]}}";
  ck_assert_int_eq(at_put_wait(&sim, NET "/loadBalancers/lb" V, lb), 200);
  r = at_get(&sim, NET "/loadBalancers/lb" V);
  ck_assert_str_eq(at_str(&r, "/properties/backendAddressPools/0/id"), NET "/loadBalancers/lb/backendAddressPools/be");
  ck_assert_str_eq(at_str(&r, "/properties/frontendIPConfigurations/0/properties/loadBalancingRules/0/id"), NET "/loadBalancers/lb/loadBalancingRules/lbr");
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/publicIPAddresses/pip" V, "/properties/ipConfiguration/id"), NET "/loadBalancers/lb/frontendIPConfigurations/fe");
  ck_assert_str_eq(at_error_code(&sim, "DELETE", NET "/publicIPAddresses/pip" V, NULL), "PublicIPAddressCannotBeDeleted");
  /* a rule pointing at a missing probe */
  ck_assert_str_eq(at_put_error(&sim, NET "/loadBalancers/lb2" V,
             "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip\"}}}],"
             "\"loadBalancingRules\":[{\"name\":\"r\",\"properties\":{\"frontendIPConfiguration\":{\"id\":\"" NET "/loadBalancers/lb2/frontendIPConfigurations/fe\"},\"probe\":{\"id\":\"" NET "/loadBalancers/lb2/probes/none\"},\"frontendPort\":1,\"backendPort\":1,\"protocol\":\"Tcp\"}}]}}"), "InvalidResourceReference");
  /* internal LB with a static frontend address */
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},\"subnets\":[{\"name\":\"cp\",\"properties\":{\"addressPrefix\":\"10.0.0.0/24\"}}]}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/loadBalancers/ilb" V,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"privateIPAllocationMethod\":\"Static\",\"privateIPAddress\":\"10.0.0.100\",\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/cp\"}}}]}}"), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/loadBalancers/ilb" V, "/properties/frontendIPConfigurations/0/properties/privateIPAddress"), "10.0.0.100");
  /* NAT gateway and route table attached to a subnet */
  ck_assert_int_eq(at_put_wait(&sim, NET "/natGateways/ng" V,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIpAddresses\":[{\"id\":\"" NET "/publicIPAddresses/pip\"}]}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/routeTables/rt" V,
                               "{\"location\":\"eastus\",\"properties\":{\"routes\":[{\"name\":\"r1\",\"properties\":{\"addressPrefix\":\"10.244.1.0/24\",\"nextHopType\":\"VirtualAppliance\",\"nextHopIpAddress\":\"10.0.0.4\"}}]}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v/subnets/nodes" V,
                               "{\"properties\":{\"addressPrefix\":\"10.0.1.0/24\",\"natGateway\":{\"id\":\"" NET "/natGateways/ng\"},\"routeTable\":{\"id\":\"" NET "/routeTables/rt\"}}}"), 200);
  r = at_get(&sim, NET "/natGateways/ng" V);
  ck_assert_str_eq(at_str(&r, "/properties/subnets/0/id"), NET "/virtualNetworks/v/subnets/nodes");
  ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "idleTimeoutInMinutes")->valuedouble, 4);
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/routeTables/rt/routes/r1" V, "/properties/nextHopIpAddress"), "10.0.0.4");
  ck_assert_str_eq(at_error_code(&sim, "DELETE", NET "/routeTables/rt" V, NULL), "InUseRouteTableCannotBeDeleted");
  ck_assert_str_eq(at_put_error(&sim, NET "/routeTables/rt/routes/bad" V, "{\"properties\":{\"addressPrefix\":\"10.0.0.0/8\",\"nextHopType\":\"VirtualAppliance\"}}"), "NextHopIpAddressRequired");
}
END_TEST

START_TEST(peering_connects_both_sides) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/hub" V, "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.10.0.0/16\"]}}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/spoke" V, "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.20.0.0/16\"]}}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/hub/virtualNetworkPeerings/hub-To-spoke" V, "{\"properties\":{\"remoteVirtualNetwork\":{\"id\":\"" NET "/virtualNetworks/spoke\"}}}"), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/hub/virtualNetworkPeerings/hub-To-spoke" V, "/properties/peeringState"), "Initiated");
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/spoke/virtualNetworkPeerings/spoke-To-hub" V, "{\"properties\":{\"remoteVirtualNetwork\":{\"id\":\"" NET "/virtualNetworks/hub\"}}}"), 200);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/hub" V, "/properties/virtualNetworkPeerings/0/properties/peeringState"), "Connected");
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/overlap" V, "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.10.5.0/24\"]}}}"), 200);
  ck_assert_str_eq(at_put_error(&sim, NET "/virtualNetworks/hub/virtualNetworkPeerings/x" V, "{\"properties\":{\"remoteVirtualNetwork\":{\"id\":\"" NET "/virtualNetworks/overlap\"}}}"), "VnetAddressSpacesOverlap");
}
END_TEST

START_TEST(nrp_serialises_subnet_writes) {
  at_resp r;
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/config", "{\"lro\":{\"defaultSeconds\":5}}"), 204);
  ck_assert_int_eq(at_put_status(&sim, NET "/virtualNetworks/busy" V, "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.5.0.0/16\"]}}}"), 201);
  r = at_put(&sim, NET "/virtualNetworks/busy/subnets/s1" V, "{\"properties\":{\"addressPrefix\":\"10.5.1.0/24\"}}");
  ck_assert_int_eq(r.status, 409);
  ck_assert_str_eq(at_str(&r, "/error/code"), "AnotherOperationInProgress");
  ck_assert(strstr(at_str(&r, "/error/message"), "/providers/Microsoft.Network/locations/eastus/operations/") != NULL);
  at_free(&r);
  ck_assert_int_eq(at_del_status(&sim, NET "/virtualNetworks/busy" V), 409);
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_network");
  TCase *tc = tcase_create("network");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, vnet_subnet_child_and_embedded);
  tcase_add_test(tc, nsg_default_rules_and_rules);
  tcase_add_test(tc, nic_ip_allocation_and_in_use);
  tcase_add_test(tc, pip_lb_natgw_routetable);
  tcase_add_test(tc, peering_connects_both_sides);
  tcase_add_test(tc, nrp_serialises_subnet_writes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
