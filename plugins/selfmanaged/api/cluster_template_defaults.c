/* cluster_template_defaults.c — AzureClusterTemplate defaulting (CAPZ SetDefaultsAzureClusterTemplate):
 * only class-level defaults; instance names are left to the AzureCluster stamped from it. */
#include <stdio.h>
#include "sm_internal.h"

static void sg_defaults(cJSON *subnet, bool *oom) {
  cJSON *r;
  cJSON_ArrayForEach(r, sm_at(subnet, "securityGroup.securityRules")) {
    if (cJSON_IsObject(r) && !sm_default_str(r, "direction", "Inbound")) *oom = true;
  }
}

static void subnet_class(cJSON *s, const char *cidr, bool *oom) {
  if (!sm_default_str_list(s, "cidrBlocks", cidr)) *oom = true;
  sg_defaults(s, oom);
}

static cJSON *append_subnet(cJSON *subnets, const char *role, bool *oom) {
  cJSON *s = cJSON_CreateObject();
  if (!s || !cJSON_AddStringToObject(s, "role", role) || !cJSON_AddItemToArray(subnets, s)) {
    cJSON_Delete(s);
    *oom = true;
    return NULL;
  }
  return s;
}

static void outbound_class(cJSON *lb, bool *oom) {
  bool good = sm_set_str(lb, "type", "Public") && sm_set_str(lb, "sku", "Standard");
  if (good && !sm_present(lb, "idleTimeoutInMinutes")) good = sm_set_num(lb, "idleTimeoutInMinutes", 4);
  if (!good) *oom = true;
}

int sm_azureclustertemplate_default(cJSON *obj, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "AzureClusterTemplate: not a JSON object");
  bool oom = false;
  cJSON *spec = sm_obj(sm_obj(sm_obj(obj, "spec"), "template"), "spec");
  cJSON *net = spec ? sm_obj(spec, "networkSpec") : NULL;
  cJSON *vnet = net ? sm_obj(net, "vnet") : NULL;
  cJSON *subnets = net ? sm_arr(net, "subnets") : NULL;
  if (!subnets || !vnet) return capz_err_set(err, CAPZ_ENOMEM, "AzureClusterTemplate defaults: out of memory");
  sm_cluster_schema_defaults(spec, &oom);
  if (!sm_default_str(spec, "azureEnvironment", "AzurePublicCloud")) oom = true;
  if (!sm_default_str_list(vnet, "cidrBlocks", "10.0.0.0/8")) oom = true;

  cJSON *azb = sm_at(spec, "bastionSpec.azureBastion");
  if (cJSON_IsObject(azb)) {
    cJSON *sub = sm_obj(azb, "subnet");
    if (!sm_default_str_list(sub, "cidrBlocks", "10.255.255.224/27") ||
        !sm_default_str(sub, "role", SM_SUBNET_ROLE_BASTION))
      oom = true;
  }

  cJSON *cluster_subnet = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CLUSTER);
  if (cluster_subnet) subnet_class(cluster_subnet, "10.0.0.0/16", &oom);
  cJSON *cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CONTROLPLANE);
  if (!cps && !cluster_subnet) cps = append_subnet(subnets, SM_SUBNET_ROLE_CONTROLPLANE, &oom);
  if (cps) subnet_class(cps, "10.0.0.0/16", &oom);
  int k = 0, pods = 0;
  cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    char cidr[32];
    if (sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE)) {
      snprintf(cidr, sizeof cidr, "10.%d.0.0/16", ++k);
      subnet_class(s, cidr, &oom);
    } else if (sm_str_eq(s, "role", SM_SUBNET_ROLE_POD) && ++pods <= 8) {
      snprintf(cidr, sizeof cidr, "10.%d.0.0/12", 128 + 16 * (pods - 1));
      subnet_class(s, cidr, &oom);
    }
  }
  if (k == 0 && !cluster_subnet) {
    cJSON *n = append_subnet(subnets, SM_SUBNET_ROLE_NODE, &oom);
    if (n && !sm_default_str_list(n, "cidrBlocks", "10.1.0.0/16")) oom = true;
  }

  cJSON *api = sm_obj(net, "apiServerLB");
  if (!api || !sm_default_str(api, "type", "Public") || !sm_default_str(api, "sku", "Standard")) oom = true;
  if (api && !sm_present(api, "idleTimeoutInMinutes") && !sm_set_num(api, "idleTimeoutInMinutes", 4)) oom = true;

  cJSON *node_lb = sm_child(net, "nodeOutboundLB");
  if (!cJSON_IsObject(node_lb) && !sm_str_eq(api, "type", "Internal")) {
    bool need = false;
    cJSON_ArrayForEach(s, subnets) {
      if ((sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE) || sm_str_eq(s, "role", SM_SUBNET_ROLE_CLUSTER)) &&
          sm_subnet_is_ipv6(s))
        need = true;
    }
    if (need && !(node_lb = sm_obj(net, "nodeOutboundLB"))) oom = true;
  }
  if (cJSON_IsObject(node_lb)) outbound_class(node_lb, &oom);
  cJSON *cp_lb = sm_child(net, "controlPlaneOutboundLB");
  if (cJSON_IsObject(cp_lb)) outbound_class(cp_lb, &oom);
  if (oom) return capz_err_set(err, CAPZ_ENOMEM, "AzureClusterTemplate defaults: out of memory");
  return 0;
}
