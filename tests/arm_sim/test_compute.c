/* test_compute.c — Microsoft.Compute in capz-arm-sim: VMs with disks/NICs/instance view/power actions,
 * disks (202 + Location), availability sets (sync), extensions, VMSS Uniform scaling with instances,
 * latestModelApplied, delete instances, Flexible members, resource SKUs, If-Match/If-None-Match. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <capz/json.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/cmp-rg"
#define NET RG "/providers/Microsoft.Network"
#define CMP RG "/providers/Microsoft.Compute"
#define NV "?api-version=2024-05-01"
#define CV "?api-version=2024-03-01"

static simproc sim;

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" NV,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},"
                               "\"subnets\":[{\"name\":\"nodes\",\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}]}}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

#define NIC_BODY "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/nodes\"}}}]}}"
#define VM_BODY(nic, extra)                                                                                        \
  "{\"location\":\"eastus\",\"zones\":[\"1\"],\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"},"  \
  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"ubuntu-24_04-lts\",\"sku\":\"server\",\"version\":\"latest\"}," \
  "\"osDisk\":{\"createOption\":\"FromImage\",\"diskSizeGB\":128,\"managedDisk\":{\"storageAccountType\":\"Premium_LRS\"},\"deleteOption\":\"Delete\"}}," \
  "\"osProfile\":{\"computerName\":\"vm1\",\"adminUsername\":\"azureuser\",\"customData\":\"I2Nsb3VkLWNvbmZpZwo=\"}," \
  "\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/" nic "\",\"properties\":{\"primary\":true,\"deleteOption\":\"Delete\"}}]}" extra "}}"

START_TEST(vm_lifecycle) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/nic1" NV, NIC_BODY), 200);
  at_resp r = at_put(&sim, CMP "/virtualMachines/vm1" CV, VM_BODY("nic1", ",\"userData\":\"dXNlcg==\""));
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Creating");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/osProfile/customData")); /* write-only */
  char aao[2048], etag[128];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  ck_assert(at_header(&r, "ETag", etag, sizeof etag));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  /* the request log keeps the PUT body with write-only secrets masked */
  r = at_req(&sim, "GET", "/_sim/requests", NULL, NULL, false);
  const cJSON *put = NULL, *q;
  cJSON_ArrayForEach(q, cJSON_GetObjectItem(r.json, "requests"))
    if (!strcmp(capz_json_ptr_str(q, "/method", ""), "PUT") && strstr(capz_json_ptr_str(q, "/path", ""), "/virtualMachines/vm1")) put = q;
  ck_assert_ptr_nonnull(put);
  ck_assert_str_eq(capz_json_ptr_str(put, "/body/properties/osProfile/customData", ""), "[REDACTED]");
  ck_assert_str_eq(capz_json_ptr_str(put, "/body/properties/userData", ""), "[REDACTED]");
  ck_assert_str_eq(capz_json_ptr_str(put, "/body/properties/hardwareProfile/vmSize", ""), "Standard_D2s_v3");
  ck_assert_ptr_null(strstr(r.body, "I2Nsb3VkLWNvbmZpZwo="));
  at_free(&r);
  r = at_get(&sim, CMP "/virtualMachines/vm1" CV "&$expand=instanceView");
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  ck_assert_str_eq(at_str(&r, "/properties/instanceView/statuses/1/code"), "PowerState/running");
  ck_assert(strlen(at_str(&r, "/properties/vmId")) == 36);
  ck_assert_str_eq(at_str(&r, "/properties/storageProfile/osDisk/osType"), "Linux");
  const char *disk = at_str(&r, "/properties/storageProfile/osDisk/managedDisk/id");
  ck_assert(strstr(disk, "/providers/Microsoft.Compute/disks/vm1_OsDisk_1_") != NULL);
  char diskpath[1024];
  snprintf(diskpath, sizeof diskpath, "%s%s", disk, CV);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/userData"));
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, CMP "/virtualMachines/vm1" CV "&$expand=userData", "/properties/userData"), "dXNlcg==");
  r = at_get(&sim, diskpath);
  ck_assert_str_eq(at_str(&r, "/properties/diskState"), "Attached");
  ck_assert_str_eq(at_str(&r, "/managedBy"), CMP "/virtualMachines/vm1");
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, NET "/networkInterfaces/nic1" NV, "/properties/virtualMachine/id"), CMP "/virtualMachines/vm1");
  /* the NIC cannot be deleted while the VM uses it, nor used by a second VM */
  ck_assert_str_eq(at_error_code(&sim, "DELETE", NET "/networkInterfaces/nic1" NV, NULL), "NicInUse");
  ck_assert_str_eq(at_put_error(&sim, CMP "/virtualMachines/vm2" CV, VM_BODY("nic1", "")), "NicInUse");
  /* power off through a Location LRO */
  r = at_post(&sim, CMP "/virtualMachines/vm1/powerOff" CV, NULL);
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, loc));
  ck_assert(r.status == 200 || r.status == 204);
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, CMP "/virtualMachines/vm1/instanceView" CV, "/statuses/1/code"), "PowerState/stopped");
  /* resizing an attached disk needs a deallocated VM; restart of a deallocated VM is refused */
  {
    char dp[1200], body[256];
    snprintf(dp, sizeof dp, "%s", diskpath);
    snprintf(body, sizeof body, "{\"location\":\"eastus\",\"properties\":{\"creationData\":{\"createOption\":\"FromImage\"},\"diskSizeGB\":256}}");
    at_resp d = at_put(&sim, dp, body);
    ck_assert_int_eq(d.status, 409);
    at_free(&d);
    d = at_post(&sim, CMP "/virtualMachines/vm1/deallocate" CV, NULL);
    ck_assert_int_eq(d.status, 202);
    at_free(&d);
    d = at_post(&sim, CMP "/virtualMachines/vm1/restart" CV, NULL);
    ck_assert_int_eq(d.status, 409);
    ck_assert_str_eq(at_str(&d, "/error/code"), "OperationNotAllowed");
    at_free(&d);
    d = at_put(&sim, dp, body);
    ck_assert_int_eq(d.status, 202);
    at_free(&d);
    d = at_post(&sim, CMP "/virtualMachines/vm1/start" CV, NULL);
    ck_assert_int_eq(d.status, 202);
    at_free(&d);
  }
  /* If-Match with a stale ETag, If-None-Match: * on an existing VM */
  const char *stale[] = {"If-Match: \"00000000-0000-0000-0000-000000000000\"", NULL};
  r = at_req(&sim, "PUT", CMP "/virtualMachines/vm1" CV, VM_BODY("nic1", ""), stale, true);
  ck_assert_int_eq(r.status, 412);
  ck_assert_str_eq(at_str(&r, "/error/code"), "PreconditionFailed");
  at_free(&r);
  const char *safe[] = {"If-None-Match: *", NULL};
  r = at_req(&sim, "PUT", CMP "/virtualMachines/vm1" CV, VM_BODY("nic1", ""), safe, true);
  ck_assert_int_eq(r.status, 412);
  at_free(&r);
  r = at_get(&sim, CMP "/virtualMachines/vm1" CV);
  char cur[128];
  ck_assert(at_header(&r, "ETag", cur, sizeof cur));
  at_free(&r);
  char ifm[160];
  snprintf(ifm, sizeof ifm, "If-Match: %s", cur);
  const char *good[] = {ifm, NULL};
  r = at_req(&sim, "PUT", CMP "/virtualMachines/vm1" CV, VM_BODY("nic1", ""), good, true);
  ck_assert_int_eq(r.status, 200);
  at_free(&r);
  /* immutable zone */
  ck_assert_str_eq(at_status_error(&sim, "PUT", CMP "/virtualMachines/vm1" CV, "{\"location\":\"eastus\",\"zones\":[\"2\"],\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"},\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/nic1\"}]}}}"), "400 PropertyChangeNotAllowed");
  /* delete cascades to disk and NIC (deleteOption Delete) */
  ck_assert_int_eq(at_del_status(&sim, CMP "/virtualMachines/vm1" CV), 202);
  ck_assert_int_eq(at_get_status(&sim, CMP "/virtualMachines/vm1" CV), 404);
  ck_assert_int_eq(at_get_status(&sim, diskpath), 404);
  ck_assert_int_eq(at_get_status(&sim, NET "/networkInterfaces/nic1" NV), 404);
  ck_assert_int_eq(at_del_status(&sim, CMP "/virtualMachines/vm1" CV), 204);
}
END_TEST

START_TEST(vm_validation) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/nic2" NV, NIC_BODY), 200);
  at_resp r;
  ck_assert_str_eq(at_status_error(&sim, "PUT", CMP "/virtualMachines/bad" CV,
                     "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_Nope\"},\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/nic2\"}]}}}"), "400 InvalidParameter");
  ck_assert_str_eq(at_put_error(&sim, CMP "/virtualMachines/bad" CV, "{\"properties\":{}}"), "LocationRequired");
  ck_assert_str_eq(at_put_error(&sim, CMP "/virtualMachines/bad" CV, "{\"location\":\"atlantis\",\"properties\":{}}"), "LocationNotAvailableForResourceType");
  r = at_put(&sim, CMP "/virtualMachines/bad" CV, "{\"location\":\"westus\",\"zones\":[\"1\"],\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"}}}");
  ck_assert_int_eq(r.status, 400);
  ck_assert(strstr(at_str(&r, "/error/message"), "zone") != NULL);
  at_free(&r);
  /* customData over 64 KiB decoded */
  static char big[100000];
  strcpy(big, "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D2s_v3\"},\"osProfile\":{\"adminUsername\":\"a\",\"customData\":\"");
  size_t L = strlen(big);
  memset(big + L, 'A', 88000);
  strcpy(big + L + 88000, "\"}}}");
  r = at_put(&sim, CMP "/virtualMachines/bad" CV, big);
  ck_assert_int_eq(r.status, 400);
  ck_assert(strstr(at_str(&r, "/error/message"), "Custom data") != NULL);
  at_free(&r);
  ck_assert_str_eq(at_status_error(&sim, "PUT", RG "/providers/Microsoft.Compute/virtualMachines/x/extensions/e" CV, "{\"location\":\"eastus\",\"properties\":{}}"), "404 ParentResourceNotFound");
}
END_TEST

START_TEST(disk_avset_extension) {
  at_resp r = at_put(&sim, CMP "/disks/d1?api-version=2023-10-02",
                     "{\"location\":\"eastus\",\"sku\":{\"name\":\"Premium_LRS\"},\"properties\":{\"creationData\":{\"createOption\":\"Empty\"},\"diskSizeGB\":200}}");
  ck_assert_int_eq(r.status, 202);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Updating");
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, loc));
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/diskState"), "Unattached");
  ck_assert(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "diskSizeBytes")->valuedouble == 200.0 * 1073741824.0);
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, CMP "/disks/d1?api-version=2023-10-02", "{\"location\":\"eastus\",\"properties\":{\"creationData\":{\"createOption\":\"Empty\"},\"diskSizeGB\":100}}"), 400);
  r = at_put(&sim, CMP "/availabilitySets/as1" CV, "{\"location\":\"eastus\",\"properties\":{\"platformFaultDomainCount\":2,\"platformUpdateDomainCount\":5}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/sku/name"), "Classic");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/provisioningState"));
  at_free(&r);
  ck_assert_int_eq(at_put_status(&sim, CMP "/availabilitySets/as1" CV, "{\"location\":\"eastus\",\"properties\":{\"platformFaultDomainCount\":9}}"), 400);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/nic3" NV, NIC_BODY), 200);
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachines/vm3" CV,
                               "{\"location\":\"eastus\",\"properties\":{\"availabilitySet\":{\"id\":\"" CMP "/availabilitySets/as1\"},\"hardwareProfile\":{\"vmSize\":\"Standard_B2s\"},"
                               "\"storageProfile\":{\"imageReference\":{\"publisher\":\"p\",\"offer\":\"o\",\"sku\":\"s\",\"version\":\"1\"}},\"osProfile\":{\"adminUsername\":\"u\"},"
                               "\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"" NET "/networkInterfaces/nic3\"}]}}}"), 200);
  ck_assert_str_eq(at_get_str(&sim, CMP "/availabilitySets/as1" CV, "/properties/virtualMachines/0/id"), CMP "/virtualMachines/vm3");
  r = at_put(&sim, CMP "/virtualMachines/vm3/extensions/CAPZ.Linux.Bootstrapping" CV,
             "{\"location\":\"eastus\",\"properties\":{\"publisher\":\"Microsoft.Azure.ContainerUpstream\",\"type\":\"CAPZ.Linux.Bootstrapping\",\"typeHandlerVersion\":\"1.0\",\"protectedSettings\":{\"commandToExecute\":\"secret\"}}}");
  ck_assert_int_eq(r.status, 201);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/properties/protectedSettings"));
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, CMP "/virtualMachines/vm3/extensions/CAPZ.Linux.Bootstrapping" CV "&$expand=instanceView", "/properties/instanceView/statuses/0/code"), "ProvisioningState/succeeded");
  ck_assert_str_eq(at_get_str(&sim, CMP "/virtualMachines/vm3" CV, "/resources/0/id"), CMP "/virtualMachines/vm3/extensions/CAPZ.Linux.Bootstrapping");
}
END_TEST

#define VMSS_BODY(cap, img, extra)                                                                                         \
  "{\"location\":\"eastus\",\"zones\":[\"1\",\"2\",\"3\"],\"sku\":{\"name\":\"Standard_D2s_v3\",\"tier\":\"Standard\",\"capacity\":" cap "}," \
  "\"properties\":{\"upgradePolicy\":{\"mode\":\"Manual\"}" extra ",\"virtualMachineProfile\":{\"osProfile\":{\"computerNamePrefix\":\"pool\",\"adminUsername\":\"azureuser\",\"customData\":\"I2Nsb3VkLWNvbmZpZwo=\"}," \
  "\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"o\",\"sku\":\"s\",\"version\":\"" img "\"}},"   \
  "\"networkProfile\":{\"networkInterfaceConfigurations\":[{\"name\":\"nic\",\"properties\":{\"primary\":true,\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/nodes\"}}}]}}]}}}}"

static int count_instances(const char *expand) {
  char path[512];
  snprintf(path, sizeof path, CMP "/virtualMachineScaleSets/ss/virtualMachines" CV "%s", expand);
  at_resp r = at_get(&sim, path);
  int n = r.status == 200 ? cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")) : -1;
  at_free(&r);
  return n;
}

START_TEST(vmss_uniform) {
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachineScaleSets/ss" CV, VMSS_BODY("3", "1.0", "")), 200);
  ck_assert_int_eq(count_instances(""), 3);
  at_resp r = at_get(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines" CV "&$expand=instanceView");
  ck_assert_str_eq(at_str(&r, "/value/0/name"), "ss_0");
  ck_assert_str_eq(at_str(&r, "/value/0/instanceId"), "0");
  ck_assert_str_eq(at_str(&r, "/value/1/zones/0"), "2");
  ck_assert_str_eq(at_str(&r, "/value/0/properties/osProfile/computerName"), "pool000000");
  ck_assert_str_eq(at_str(&r, "/value/2/properties/instanceView/statuses/1/code"), "PowerState/running");
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/value/0/properties/latestModelApplied")));
  at_free(&r);
  /* instance NICs as NRP shows them, with addresses from the subnet */
  r = at_get(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines/1/networkInterfaces?api-version=2018-10-01");
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/value/0/properties/ipConfigurations/0/properties/privateIPAddress"), "10.0.1.5");
  ck_assert_str_eq(at_str(&r, "/value/0/properties/virtualMachine/id"), CMP "/virtualMachineScaleSets/ss/virtualMachines/1");
  at_free(&r);
  ck_assert_str_eq(at_get_str(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines/2/networkInterfaces/nic?api-version=2018-10-01", "/properties/ipConfigurations/0/properties/privateIPAddress"), "10.0.1.6");
  /* instances take addresses from the subnet: the subnet is now in use */
  ck_assert_str_eq(at_error_code(&sim, "DELETE", NET "/virtualNetworks/v/subnets/nodes" NV, NULL), "InUseSubnetCannotBeDeleted");
  /* scale out with a new model: new instances are latest, old ones are not */
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachineScaleSets/ss" CV, VMSS_BODY("5", "2.0", "")), 200);
  r = at_get(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines" CV);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 5);
  ck_assert(cJSON_IsFalse(capz_json_ptr_get(r.json, "/value/0/properties/latestModelApplied")));
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/value/4/properties/latestModelApplied")));
  at_free(&r);
  ck_assert_int_eq(at_post_status(&sim, CMP "/virtualMachineScaleSets/ss/manualupgrade" CV, "{\"instanceIds\":[\"0\"]}"), 202);
  r = at_get(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines/0" CV);
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/properties/latestModelApplied")));
  at_free(&r);
  /* PATCH capacity down removes the highest instance ids (Default scale-in policy) */
  ck_assert_int_eq(at_status(&sim, "PATCH", CMP "/virtualMachineScaleSets/ss" CV, "{\"sku\":{\"capacity\":2}}"), 200);
  ck_assert_int_eq(count_instances(""), 2);
  ck_assert_int_eq(at_get_status(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines/4" CV), 404);
  /* delete instances action lowers the capacity */
  r = at_post(&sim, CMP "/virtualMachineScaleSets/ss/delete" CV, "{\"instanceIds\":[\"1\"]}");
  ck_assert_int_eq(r.status, 202);
  char loc[2048];
  ck_assert(at_header(&r, "Location", loc, sizeof loc));
  at_free(&r);
  r = at_get(&sim, at_path_of(&sim, loc));
  ck_assert(r.status == 200 || r.status == 204);
  at_free(&r);
  ck_assert_int_eq(count_instances(""), 1);
  r = at_get(&sim, CMP "/virtualMachineScaleSets/ss" CV);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "sku"), "capacity")->valueint, 1);
  at_free(&r);
  ck_assert_int_eq(at_post_status(&sim, CMP "/virtualMachineScaleSets/ss/delete" CV, "{\"instanceIds\":[\"42\"]}"), 400);
  /* deleting one instance directly */
  ck_assert_int_eq(at_del_status(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines/0" CV), 202);
  ck_assert_int_eq(count_instances(""), 0);
  /* orchestration mode is immutable */
  ck_assert_str_eq(at_put_error(&sim, CMP "/virtualMachineScaleSets/ss" CV, VMSS_BODY("1", "2.0", ",\"orchestrationMode\":\"Flexible\",\"platformFaultDomainCount\":1")), "PropertyChangeNotAllowed");
  /* deleting the scale set releases the subnet */
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachineScaleSets/ss" CV, VMSS_BODY("2", "2.0", "")), 200);
  ck_assert_int_eq(at_del_status(&sim, CMP "/virtualMachineScaleSets/ss" CV), 202);
  ck_assert_int_eq(at_get_status(&sim, CMP "/virtualMachineScaleSets/ss/virtualMachines" CV), 404);
  ck_assert_int_eq(at_del_status(&sim, NET "/virtualNetworks/v/subnets/nodes" NV), 202);
}
END_TEST

START_TEST(vmss_load_balancer_pool) {
  ck_assert_int_eq(at_put_wait(&sim, NET "/publicIPAddresses/pip" NV, "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/loadBalancers/lb" NV,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET "/publicIPAddresses/pip\"}}}],\"backendAddressPools\":[{\"name\":\"be\"}]}}"), 200);
  const char *body =
      "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_B2s\",\"capacity\":2},\"properties\":{\"virtualMachineProfile\":{\"osProfile\":{\"computerNamePrefix\":\"p\",\"adminUsername\":\"u\"},"
      "\"networkProfile\":{\"networkInterfaceConfigurations\":[{\"name\":\"nic\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/nodes\"},"
      "\"loadBalancerBackendAddressPools\":[{\"id\":\"" NET "/loadBalancers/lb/backendAddressPools/%s\"}]}}]}}]}}}}";
  char b[2048];
  snprintf(b, sizeof b, body, "missing");
  at_resp r;
  ck_assert_str_eq(at_put_error(&sim, CMP "/virtualMachineScaleSets/ss" CV, b), "InvalidResourceReference");
  snprintf(b, sizeof b, body, "be");
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachineScaleSets/ss" CV, b), 200);
  r = at_get(&sim, NET "/loadBalancers/lb" NV);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/properties/backendAddressPools/0/properties/backendIPConfigurations")), 2);
  ck_assert_str_eq(at_str(&r, "/properties/backendAddressPools/0/properties/backendIPConfigurations/0/id"),
                   CMP "/virtualMachineScaleSets/ss/virtualMachines/0/networkInterfaces/nic/ipConfigurations/ipc");
  at_free(&r);
}
END_TEST

START_TEST(vmss_flexible) {
  ck_assert_int_eq(at_put_wait(&sim, CMP "/virtualMachineScaleSets/flex" CV,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_D2s_v3\",\"capacity\":2},\"properties\":{\"orchestrationMode\":\"Flexible\",\"platformFaultDomainCount\":1,"
                               "\"virtualMachineProfile\":{\"osProfile\":{\"computerNamePrefix\":\"flex\",\"adminUsername\":\"u\"},\"storageProfile\":{\"imageReference\":{\"publisher\":\"p\",\"offer\":\"o\",\"sku\":\"s\",\"version\":\"1\"}},"
                               "\"networkProfile\":{\"networkApiVersion\":\"2020-11-01\",\"networkInterfaceConfigurations\":[{\"name\":\"nic\",\"properties\":{\"primary\":true,\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/nodes\"}}}]}}]}}}}"), 200);
  at_resp r = at_get(&sim, CMP "/virtualMachines" CV);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
  ck_assert_str_eq(at_str(&r, "/value/0/properties/virtualMachineScaleSet/id"), CMP "/virtualMachineScaleSets/flex");
  char vm[1024];
  snprintf(vm, sizeof vm, "%s" CV, at_str(&r, "/value/0/id"));
  at_free(&r);
  ck_assert_int_eq(at_del_status(&sim, vm), 202);
  r = at_get(&sim, CMP "/virtualMachineScaleSets/flex" CV);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "sku"), "capacity")->valueint, 1);
  at_free(&r);
  r = at_del(&sim, CMP "/virtualMachineScaleSets/flex" CV);
  at_free(&r);
  r = at_get(&sim, CMP "/virtualMachines" CV);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 0);
  at_free(&r);
}
END_TEST

START_TEST(resource_skus) {
  at_resp r = at_get(&sim, AT_S "/providers/Microsoft.Compute/skus?api-version=2021-07-01&$filter=location%20eq%20%27eastus%27");
  ck_assert_int_eq(r.status, 200);
  cJSON *v = cJSON_GetObjectItem(r.json, "value");
  ck_assert_int_gt(cJSON_GetArraySize(v), 5);
  bool found = false;
  cJSON *s;
  cJSON_ArrayForEach(s, v) {
    ck_assert_str_eq(capz_json_ptr_str(s, "/locations/0", ""), "eastus");
    if (strcmp(capz_json_ptr_str(s, "/name", ""), "Standard_D2ps_v5") != 0) continue;
    found = true;
    ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(s, "/locationInfo/0/zones")), 3);
    cJSON *cap;
    int seen = 0;
    cJSON_ArrayForEach(cap, cJSON_GetObjectItem(s, "capabilities")) {
      const char *n = capz_json_ptr_str(cap, "/name", ""), *val = capz_json_ptr_str(cap, "/value", "");
      if (!strcmp(n, "vCPUs")) { ck_assert_str_eq(val, "2"); seen++; }
      if (!strcmp(n, "MemoryGB")) { ck_assert_str_eq(val, "8"); seen++; }
      if (!strcmp(n, "CpuArchitectureType")) { ck_assert_str_eq(val, "Arm64"); seen++; }
      if (!strcmp(n, "GPUs")) { ck_assert_str_eq(val, "0"); seen++; }
    }
    ck_assert_int_eq(seen, 4);
  }
  ck_assert(found);
  at_free(&r);
  r = at_get(&sim, AT_S "/providers/Microsoft.Compute/skus?api-version=2021-07-01&$filter=location%20eq%20%27westus%27");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/value/0/locationInfo/0/zones")), 0);
  at_free(&r);
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_compute");
  TCase *tc = tcase_create("compute");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, vm_lifecycle);
  tcase_add_test(tc, vm_validation);
  tcase_add_test(tc, disk_avset_extension);
  tcase_add_test(tc, vmss_uniform);
  tcase_add_test(tc, vmss_flexible);
  tcase_add_test(tc, vmss_load_balancer_pool);
  tcase_add_test(tc, resource_skus);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
