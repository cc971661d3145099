/* pod_subnet.c — capz-c subnet role "pod" for Azure CNI dynamic pod IP allocation (beyond CAPZ).
 *
 * Pods get VNet IPs from a dedicated subnet delegated to Microsoft.DelegatedNetwork/controller
 * (the delegation the reconciler adds; see docs/selfmanaged-defaults.md for the source). Pods
 * share the nodes' NSG and egress through the nodes' NAT gateway (one NAT gateway may serve
 * several subnets of a VNet). */
#include <stdio.h>
#include "sm_internal.h"

static cJSON *first_node_subnet(const cJSON *subnets) {
  cJSON *s = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_NODE);
  return s ? s : sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CLUSTER);
}

/* Default CIDRs: 10.128.0.0/12, 10.144.0.0/12, ... 10.240.0.0/12 (pod subnet k = 1..8): inside
 * the default VNet and clear of the default control-plane/node subnets (10.0-10.127). */
static bool default_cidr(int k, char *buf, size_t n) {
  if (k < 1 || k > 8) return false;
  snprintf(buf, n, "10.%d.0.0/12", 128 + 16 * (k - 1));
  return true;
}

void sm_pod_subnets_default(cJSON *netspec, const char *cluster, bool *oom) {
  cJSON *subnets = sm_child(netspec, "subnets");
  const cJSON *node = first_node_subnet(subnets);
  bool good = true;
  int k = 0;
  cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    if (!sm_str_eq(s, "role", SM_SUBNET_ROLE_POD)) continue;
    char name[SM_PATH_MAX], idx[SM_PATH_MAX], cidr[32];
    k++;
    if (cluster && *cluster && sm_str_empty(s, "name") && sm_name(SM_NAME_POD_SUBNET, cluster, name, sizeof name) == 0) {
      if (k == 1) good &= sm_set_str(s, "name", name);
      else if (sm_name_indexed(name, k, idx, sizeof idx) == 0) good &= sm_set_str(s, "name", idx);
    }
    if (default_cidr(k, cidr, sizeof cidr)) good &= sm_default_str_list(s, "cidrBlocks", cidr);
    const char *nsg = sm_str0(sm_child(node, "securityGroup"), "name");
    if (*nsg) good &= sm_default_str(sm_obj(s, "securityGroup"), "name", nsg);
    const cJSON *nat = sm_child(node, "natGateway");
    if (!sm_str_empty(nat, "name") && sm_str_empty(s, "id") && !sm_subnet_is_ipv6(s) &&
        sm_str_empty(sm_child(s, "natGateway"), "name")) {
      cJSON *copy = cJSON_Duplicate(nat, true);
      if (copy) cJSON_DeleteItemFromObjectCaseSensitive(copy, "id");
      good &= sm_set_item(s, "natGateway", copy);
    }
  }
  if (!good) *oom = true;
}

void sm_pod_subnets_validate(const cJSON *netspec, const char *prefix, sm_errors *errs) {
  char path[SM_PATH_MAX];
  const cJSON *subnets = sm_child(netspec, "subnets");
  bool has_pod = false;
  int i = 0;
  cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    if (sm_str_eq(s, "role", SM_SUBNET_ROLE_POD)) {
      has_pod = true;
      if (sm_subnet_is_ipv6(s)) {
        sm_path(path, "%s.subnets[%d].cidrBlocks", prefix, i);
        sm_err_invalid_j(errs, path, sm_child(s, "cidrBlocks"),
                         "pod subnets support IPv4 only (Azure CNI dynamic pod IP allocation)");
      }
      if (sm_len(s, "cidrBlocks") == 0) {
        sm_path(path, "%s.subnets[%d].cidrBlocks", prefix, i);
        sm_err_required(errs, path, "pod subnets beyond the 8th need explicit cidrBlocks");
      }
      if (sm_len(s, "privateEndpoints") > 0) {
        sm_path(path, "%s.subnets[%d].privateEndpoints", prefix, i);
        sm_err_forbidden(errs, path, "a pod subnet is delegated to %s and cannot hold private endpoints",
                         SM_POD_SUBNET_DELEGATION);
      }
    }
    i++;
  }
  if (has_pod && !first_node_subnet(subnets)) {
    sm_path(path, "%s.subnets", prefix);
    sm_err_required(errs, path, "a pod subnet needs a node or cluster subnet for the nodes");
  }
}
