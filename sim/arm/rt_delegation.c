/* rt_delegation.c — subnet delegations: properties.delegations[{name, properties.serviceName}] checked against
 * the services NRP knows and filled with the actions NRP grants each of them (as its availableDelegations list
 * reports), an id, an etag and a provisioning state. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define JOIN "Microsoft.Network/virtualNetworks/subnets/join/action"
#define SUBNET_ACTION "Microsoft.Network/virtualNetworks/subnets/action"
#define PREPARE "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action"
#define UNPREPARE "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action"
#define NICS "Microsoft.Network/networkinterfaces/*"

static const struct {
  const char *service;
  const char *actions[3];
} services[] = {
    {"Microsoft.ContainerService/managedClusters", {JOIN}},
    {"Microsoft.DelegatedNetwork/controller", {JOIN}},
    {"Microsoft.App/environments", {JOIN}},
    {"Microsoft.Network/dnsResolvers", {JOIN}},
    {"Microsoft.Network/networkWatchers", {JOIN}},
    {"Microsoft.Web/serverFarms", {SUBNET_ACTION}},
    {"Microsoft.Web/hostingEnvironments", {SUBNET_ACTION}},
    {"Microsoft.ContainerInstance/containerGroups", {SUBNET_ACTION}},
    {"Microsoft.Batch/batchAccounts", {SUBNET_ACTION}},
    {"Microsoft.Logic/integrationServiceEnvironments", {SUBNET_ACTION}},
    {"Microsoft.DBforPostgreSQL/flexibleServers", {JOIN}},
    {"Microsoft.DBforMySQL/flexibleServers", {JOIN}},
    {"Microsoft.MachineLearningServices/workspaces", {JOIN}},
    {"Microsoft.StreamAnalytics/streamingJobs", {JOIN}},
    {"Microsoft.ApiManagement/service", {JOIN, PREPARE}},
    {"Microsoft.Sql/managedInstances", {JOIN, PREPARE, UNPREPARE}},
    {"Microsoft.Databricks/workspaces", {JOIN, PREPARE, UNPREPARE}},
    {"Microsoft.Kusto/clusters", {JOIN, PREPARE, UNPREPARE}},
    {"Microsoft.Netapp/volumes", {NICS, JOIN}},
    {"Microsoft.HardwareSecurityModules/dedicatedHSMs", {NICS, JOIN}},
    {"Microsoft.BareMetal/AzureVMware", {NICS, JOIN}},
};

static int service_index(const char *name) {
  for (size_t i = 0; name && i < sizeof services / sizeof services[0]; i++)
    if (strcasecmp(services[i].service, name) == 0) return (int)i;
  return -1;
}

int rt_check_delegations(const cJSON *doc, const char *subnet_id, arm_err *e) {
  const cJSON *arr = capz_json_ptr_get(doc, "/properties/delegations");
  if (!arr || cJSON_IsNull(arr)) return 0;
  if (!cJSON_IsArray(arr)) return arm_err_set(e, 400, "InvalidRequestFormat", "properties.delegations must be an array.");
  const cJSON *d;
  cJSON_ArrayForEach(d, arr) {
    const char *sn = capz_json_ptr_str(d, "/properties/serviceName", NULL);
    if (service_index(sn) < 0)
      return arm_err_set(e, 400, "InvalidServiceNameOnDelegation",
                         "Subnet %s has an invalid delegation: service name '%s' is not a service that subnets can be "
                         "delegated to.", arm_id_name(subnet_id), sn ? sn : "");
  }
  return 0;
}

int rt_fill_delegations(arm_res *r, arm_err *e) {
  if (rt_fill_subobjects(r, "delegations", "Microsoft.Network/virtualNetworks/subnets/delegations", e)) return -1;
  cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(arm_props(r->doc), "delegations")) {
    cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "properties");
    int k = service_index(arm_jstr(p, "serviceName"));
    if (k < 0) continue; /* refused by validation */
    arm_jset(p, "serviceName", cJSON_CreateString(services[k].service));
    cJSON *acts = cJSON_CreateArray();
    for (int i = 0; i < 3 && services[k].actions[i]; i++) cJSON_AddItemToArray(acts, cJSON_CreateString(services[k].actions[i]));
    arm_jset(p, "actions", acts);
  }
  return 0;
}
