/* test_crud.c — create / get / update / delete for every resource type of capz-arm-sim, table-driven in
 * dependency order (deleted in reverse), plus private DNS ETag preconditions, bastion and private endpoint
 * specifics. */
#include <capz/json.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/crud-rg"
#define NET RG "/providers/Microsoft.Network"
#define CMP RG "/providers/Microsoft.Compute"
#define MC RG "/providers/Microsoft.ContainerService/managedClusters"
#define NV "?api-version=2024-05-01"
#define CV "?api-version=2024-03-01"
#define DV "?api-version=2024-06-01"
#define AV "?api-version=2025-10-01"

static simproc sim;

static void setup(void) { ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0); }
static void teardown(void) { ck_assert(at_stop(&sim)); }

typedef struct row {
  const char *path, *type, *body;
  bool child_of_previous_delete; /* removed with its parent: skip the explicit delete */
} row;

static const row rows[] = {
    {RG "?api-version=2021-04-01", "Microsoft.Resources/resourceGroups", "{\"location\":\"eastus\"}", false},
    {NET "/networkSecurityGroups/nsg" NV, "Microsoft.Network/networkSecurityGroups", "{\"location\":\"eastus\"}", false},
    {NET "/networkSecurityGroups/nsg/securityRules/r" NV, "Microsoft.Network/networkSecurityGroups/securityRules",
     "{\"properties\":{\"protocol\":\"Tcp\",\"access\":\"Allow\",\"priority\":200,\"direction\":\"Inbound\",\"sourcePortRange\":\"*\",\"destinationPortRange\":\"22\",\"sourceAddressPrefix\":\"*\",\"destinationAddressPrefix\":\"*\"}}", false},
    {NET "/routeTables/rt" NV, "Microsoft.Network/routeTables", "{\"location\":\"eastus\"}", false},
    {NET "/routeTables/rt/routes/r" NV, "Microsoft.Network/routeTables/routes", "{\"properties\":{\"addressPrefix\":\"10.9.0.0/16\",\"nextHopType\":\"None\"}}", false},
    {NET "/publicIPAddresses/pip" NV, "Microsoft.Network/publicIPAddresses", "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}", false},
    {NET "/publicIPAddresses/bpip" NV, "Microsoft.Network/publicIPAddresses", "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}", false},
    {NET "/natGateways/ng" NV, "Microsoft.Network/natGateways", "{\"location\":\"eastus\",\"properties\":{\"publicIpAddresses\":[{\"id\":\"" NET "/publicIPAddresses/pip\"}]}}", false},
    {NET "/virtualNetworks/v" NV, "Microsoft.Network/virtualNetworks", "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}", false},
    {NET "/virtualNetworks/v/subnets/s" NV, "Microsoft.Network/virtualNetworks/subnets", "{\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}", false},
    {NET "/virtualNetworks/v/subnets/AzureBastionSubnet" NV, "Microsoft.Network/virtualNetworks/subnets", "{\"properties\":{\"addressPrefix\":\"10.0.255.224/27\"}}", false},
    {NET "/virtualNetworks/v2" NV, "Microsoft.Network/virtualNetworks", "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.1.0.0/16\"]}}}", false},
    {NET "/virtualNetworks/v/virtualNetworkPeerings/p" NV, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", "{\"properties\":{\"remoteVirtualNetwork\":{\"id\":\"" NET "/virtualNetworks/v2\"}}}", false},
    {NET "/loadBalancers/lb" NV, "Microsoft.Network/loadBalancers", "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"}}}],\"backendAddressPools\":[{\"name\":\"be\"}]}}", false},
    {NET "/networkInterfaces/nic" NV, "Microsoft.Network/networkInterfaces", "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"},\"loadBalancerBackendAddressPools\":[{\"id\":\"" NET "/loadBalancers/lb/backendAddressPools/be\"}]}}]}}", false},
    {NET "/bastionHosts/b" NV, "Microsoft.Network/bastionHosts", "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"c\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/AzureBastionSubnet\"},\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/bpip\"}}}]}}", false},
    {NET "/privateEndpoints/pe" NV, "Microsoft.Network/privateEndpoints", "{\"location\":\"eastus\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"},\"privateLinkServiceConnections\":[{\"name\":\"c\",\"properties\":{\"privateLinkServiceId\":\"/x\",\"groupIds\":[\"blob\"]}}]}}", false},
    {NET "/privateDnsZones/c.capz.io" DV, "Microsoft.Network/privateDnsZones", "{\"location\":\"global\"}", false},
    {NET "/privateDnsZones/c.capz.io/virtualNetworkLinks/v-link" DV, "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "{\"location\":\"global\",\"properties\":{\"virtualNetwork\":{\"id\":\"" NET "/virtualNetworks/v\"},\"registrationEnabled\":false}}", false},
    {NET "/privateDnsZones/c.capz.io/A/apiserver" DV, "Microsoft.Network/privateDnsZones/A", "{\"properties\":{\"ttl\":300,\"aRecords\":[{\"ipv4Address\":\"10.0.0.100\"}]}}", false},
    {CMP "/availabilitySets/as" CV, "Microsoft.Compute/availabilitySets", "{\"location\":\"eastus\",\"properties\":{\"platformFaultDomainCount\":2}}", false},
    {CMP "/disks/d" "?api-version=2023-10-02", "Microsoft.Compute/disks", "{\"location\":\"eastus\",\"properties\":{\"creationData\":{\"createOption\":\"Empty\"},\"diskSizeGB\":64}}", false},
    {CMP "/virtualMachines/vm" CV, "Microsoft.Compute/virtualMachines",
     "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_B2s\"},\"storageProfile\":{\"imageReference\":{\"publisher\":\"p\",\"offer\":\"o\",\"sku\":\"s\",\"version\":\"1\"},"
     "\"osDisk\":{\"createOption\":\"FromImage\",\"deleteOption\":\"Delete\"},\"dataDisks\":[{\"lun\":0,\"createOption\":\"Attach\",\"managedDisk\":{\"id\":\"" CMP "/disks/d\"}}]},"
     "\"osProfile\":{\"adminUsername\":\"u\"},\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/nic\"}]}}}", false},
    {CMP "/virtualMachines/vm/extensions/e" CV, "Microsoft.Compute/virtualMachines/extensions", "{\"location\":\"eastus\",\"properties\":{\"publisher\":\"p\",\"type\":\"t\",\"typeHandlerVersion\":\"1.0\"}}", false},
    {CMP "/virtualMachineScaleSets/ss" CV, "Microsoft.Compute/virtualMachineScaleSets",
     "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_B2s\",\"capacity\":1},\"properties\":{\"virtualMachineProfile\":{\"osProfile\":{\"computerNamePrefix\":\"ss\",\"adminUsername\":\"u\"}}}}", false},
    {RG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id?api-version=2023-01-31", "Microsoft.ManagedIdentity/userAssignedIdentities", "{\"location\":\"eastus\"}", false},
    {RG "/providers/Microsoft.Authorization/roleAssignments/9b5b6c6c-1111-4a7e-9c1e-2a1c3e4f5a6b?api-version=2022-04-01", "Microsoft.Authorization/roleAssignments",
     "{\"properties\":{\"roleDefinitionId\":\"" AT_S "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c\",\"principalId\":\"66666666-6666-4666-8666-666666666666\"}}", false},
    {MC "/c" AV, "Microsoft.ContainerService/managedClusters", "{\"location\":\"eastus\",\"properties\":{\"dnsPrefix\":\"c\",\"agentPoolProfiles\":[{\"name\":\"sys\",\"mode\":\"System\",\"count\":1}]}}", false},
    {MC "/c/agentPools/user" AV, "Microsoft.ContainerService/managedClusters/agentPools", "{\"properties\":{\"count\":2,\"mode\":\"User\"}}", false},
};
#define NROWS (int)(sizeof rows / sizeof rows[0])

static void delete_and_wait(const char *path) {
  at_resp r = at_del(&sim, path);
  ck_assert_msg(r.status == 200 || r.status == 202 || r.status == 204, "DELETE %s -> %ld %s", path, r.status, r.body ? r.body : "");
  char loc[2048];
  bool has = at_header(&r, "Location", loc, sizeof loc);
  at_free(&r);
  if (has) {
    at_resp l = at_get(&sim, at_path_of(&sim, loc));
    ck_assert_msg(l.status == 200 || l.status == 204, "Location of %s -> %ld", path, l.status);
    at_free(&l);
  }
  r = at_get(&sim, path);
  ck_assert_msg(r.status == 404, "GET after DELETE %s -> %ld", path, r.status);
  at_free(&r);
}

START_TEST(crud_every_type) {
  for (int i = 0; i < NROWS; i++) {
    const row *w = &rows[i];
    long st = at_put_wait(&sim, w->path, w->body);
    ck_assert_msg(st == 200, "create %s -> %ld", w->path, st);
    at_resp r = at_get(&sim, w->path);
    ck_assert_str_eq(at_str(&r, "/type"), w->type);
    char id[1024];
    snprintf(id, sizeof id, "%s", w->path);
    *strchr(id, '?') = '\0';
    ck_assert_msg(strcasecmp(at_str(&r, "/id"), id) == 0, "id %s vs %s", at_str(&r, "/id"), id);
    const char *ps = at_str(&r, "/properties/provisioningState");
    ck_assert_msg(!*ps || strcmp(ps, "Succeeded") == 0, "%s state %s", w->path, ps);
    at_free(&r);
    /* update: same body again answers 200 */
    r = at_put(&sim, w->path, w->body);
    ck_assert_msg(r.status == 200 || r.status == 202, "update %s -> %ld %s", w->path, r.status, r.body ? r.body : "");
    at_free(&r);
    ck_assert_int_eq(at_get_status(&sim, w->path), 200);
  }
  at_resp r = at_get(&sim, "/_sim/resources");
  ck_assert_int_gt(cJSON_GetArraySize(r.json), NROWS);
  at_free(&r);
  for (int i = NROWS - 1; i >= 1; i--) delete_and_wait(rows[i].path);
  delete_and_wait(rows[0].path);
  r = at_get(&sim, "/_sim/resources");
  /* what remains: the AKS node resource group was removed with the cluster */
  ck_assert_int_eq(cJSON_GetArraySize(r.json), 0);
  at_free(&r);
}
END_TEST

START_TEST(private_dns_etags_and_records) {
  for (int i = 0; i < 10; i++) ck_assert_int_eq(at_put_wait(&sim, rows[i].path, rows[i].body), 200);
  const char *zone = NET "/privateDnsZones/z.capz.io" DV;
  const char *inm[] = {"If-None-Match: *", NULL};
  at_resp r = at_req(&sim, "PUT", zone, "{\"location\":\"global\"}", inm, true);
  ck_assert_int_eq(r.status, 201);
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  r = at_req(&sim, "PUT", zone, "{\"location\":\"global\"}", inm, true);
  ck_assert_int_eq(r.status, 412);
  at_free(&r);
  r = at_get(&sim, zone);
  char etag[128], ifm[160];
  ck_assert(at_header(&r, "ETag", etag, sizeof etag));
  ck_assert_str_eq(at_str(&r, "/etag"), etag);
  ck_assert_int_eq((int)capz_json_ptr_int(r.json, "/properties/numberOfRecordSets", 0), 1);
  at_free(&r);
  r = at_put(&sim, NET "/privateDnsZones/z.capz.io/eastus" DV, "{\"location\":\"eastus\"}");
  ck_assert_int_eq(r.status, 404); /* .../z.capz.io/eastus is neither a record set nor an action */
  ck_assert_str_eq(at_str(&r, "/error/code"), "NotFound");
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, NET "/privateDnsZones/z.capz.io" DV, "{\"location\":\"westus\"}"), 400);
  snprintf(ifm, sizeof ifm, "If-Match: %s", etag);
  const char *okm[] = {ifm, NULL};
  r = at_req(&sim, "DELETE", NET "/privateDnsZones/z.capz.io" DV, NULL, (const char *[]){"If-Match: \"stale\"", NULL}, true);
  ck_assert_int_eq(r.status, 412);
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, NET "/privateDnsZones/z.capz.io/A/api" DV, "{\"properties\":{\"ttl\":300,\"aRecords\":[{\"ipv4Address\":\"10.0.0.300\"}]}}"), 400);
  r = at_put(&sim, NET "/privateDnsZones/z.capz.io/A/api" DV, "{\"properties\":{\"ttl\":300,\"aRecords\":[{\"ipv4Address\":\"10.0.0.4\"}]}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/fqdn"), "api.z.capz.io.");
  at_free(&r);
  r = at_put(&sim, NET "/privateDnsZones/z.capz.io/virtualNetworkLinks/l" DV, "{\"location\":\"global\",\"properties\":{\"virtualNetwork\":{\"id\":\"" NET "/virtualNetworks/v\"}}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/virtualNetworkLinkState"), "InProgress");
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/privateDnsZones/z.capz.io/virtualNetworkLinks/l" DV, "/properties/virtualNetworkLinkState"), "Completed");
  ck_assert_int_eq(at_put_status(&sim, NET "/privateDnsZones/z.capz.io/virtualNetworkLinks/l2" DV, "{\"location\":\"global\",\"properties\":{\"virtualNetwork\":{\"id\":\"" NET "/virtualNetworks/v\"}}}"), 409);
  r = at_get(&sim, zone);
  ck_assert_int_eq((int)capz_json_ptr_int(r.json, "/properties/numberOfRecordSets", 0), 2);
  ck_assert_int_eq((int)capz_json_ptr_int(r.json, "/properties/numberOfVirtualNetworkLinks", 0), 1);
  ck_assert(at_header(&r, "ETag", etag, sizeof etag));
  snprintf(ifm, sizeof ifm, "If-Match: %s", etag);
  at_free(&r);
  r = at_req(&sim, "DELETE", NET "/privateDnsZones/z.capz.io" DV, NULL, okm, true);
  ck_assert_int_eq(r.status, 202);
  at_free(&r);
}
END_TEST

START_TEST(bastion_and_private_endpoint_rules) {
  for (int i = 0; i < 11; i++) ck_assert_int_eq(at_put_wait(&sim, rows[i].path, rows[i].body), 200);
  at_resp r;
  ck_assert_str_eq(at_put_error(&sim, NET "/bastionHosts/b" NV,
                     "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"c\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"},\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/bpip\"}}}]}}"), "BastionSubnetNameInvalid");
  ck_assert_int_eq(at_put_wait(&sim, NET "/bastionHosts/b" NV,
                               "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"c\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/AzureBastionSubnet\"},\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/bpip\"}}}]}}"), 200);
  r = at_get(&sim, NET "/bastionHosts/b" NV);
  ck_assert(strstr(at_str(&r, "/properties/dnsName"), ".bastion.azure.com") != NULL);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, NET "/privateEndpoints/pe" NV,
                               "{\"location\":\"eastus\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/s\"},\"privateLinkServiceConnections\":[{\"name\":\"c\",\"properties\":{\"privateLinkServiceId\":\"/x\"}}]}}"), 200);
  r = at_get(&sim, NET "/privateEndpoints/pe" NV);
  ck_assert_str_eq(at_str(&r, "/properties/customDnsConfigs/0/ipAddresses/0"), "10.0.1.4");
  ck_assert_str_eq(at_str(&r, "/properties/privateLinkServiceConnections/0/properties/privateLinkServiceConnectionState/status"), "Approved");
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/virtualNetworks/v/subnets/s" NV, "/properties/privateEndpoints/0/id"), NET "/privateEndpoints/pe");
  ck_assert_str_eq(at_error_code(&sim, "DELETE", NET "/virtualNetworks/v/subnets/s" NV, NULL), "InUseSubnetCannotBeDeleted");
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_crud");
  TCase *tc = tcase_create("crud");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, crud_every_type);
  tcase_add_test(tc, private_dns_etags_and_records);
  tcase_add_test(tc, bastion_and_private_endpoint_rules);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
