/* rt_vnet.c — virtualNetworks, their subnets (child resources also embedded in the VNet body) and
 * virtualNetworkPeerings. Address checks: subnets inside the VNet space and not overlapping. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int vnet_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)id;
  const cJSON *pre = capz_json_ptr_get(doc, "/properties/addressSpace/addressPrefixes");
  if (!cJSON_IsArray(pre) || cJSON_GetArraySize(pre) == 0)
    return arm_err_set(e, 400, "InvalidRequestFormat",
                       "Cannot parse the request: properties.addressSpace.addressPrefixes must list at least one prefix.");
  const cJSON *p;
  cJSON_ArrayForEach(p, pre) {
    if (!cJSON_IsString(p) || !arm_cidr_family(p->valuestring, NULL))
      return arm_err_set(e, 400, "InvalidAddressPrefixFormat", "Address prefix %s has an invalid format.",
                         cJSON_IsString(p) ? p->valuestring : "?");
  }
  (void)old;
  return 0;
}

static int vnet_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  rt_default(r->doc, "enableDdosProtection", cJSON_CreateFalse());
  rt_default(r->doc, "privateEndpointVNetPolicies", cJSON_CreateString("Disabled"));
  return 0;
}

static int vnet_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Network/networkInterfaces", "Microsoft.Compute/virtualMachineScaleSets",
                                     "Microsoft.ContainerService/managedClusters/agentPools",
                                     "Microsoft.Network/privateEndpoints", "Microsoft.Network/bastionHosts",
                                     "Microsoft.Network/loadBalancers", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "InUseSubnetCannotBeDeleted",
                       "Subnet of virtual network %s is in use by %s and cannot be deleted. In order to delete the "
                       "subnet, delete all the resources within the subnet.", arm_id_name(r->id), who);
  return 0;
}

const arm_rtype rt_virtual_network = {
    .type = "Microsoft.Network/virtualNetworks",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .validate = vnet_validate,
    .fill = vnet_fill,
    .can_delete = vnet_can_delete,
};

/* ---------------------------------------------------------------- subnets */

/* The prefixes of a subnet document (addressPrefix and addressPrefixes), borrowed; returns how many. */
static int subnet_prefixes(const cJSON *doc, const char **out, int max) {
  int n = 0;
  const char *one = rt_pstr(doc, "addressPrefix", NULL);
  if (one && n < max) out[n++] = one;
  const cJSON *p;
  cJSON_ArrayForEach(p, capz_json_ptr_get(doc, "/properties/addressPrefixes"))
    if (cJSON_IsString(p) && n < max && !(one && strcmp(one, p->valuestring) == 0)) out[n++] = p->valuestring;
  return n;
}

static int subnet_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  char vnet_id[ARM_ID_MAX];
  arm_id_parent(id, vnet_id, sizeof vnet_id);
  arm_res *vnet = arm_store_get(c->store, vnet_id);
  if (!vnet) return arm_err_set(e, 404, "ParentResourceNotFound", "Parent virtual network not found.");
  const cJSON *arr = capz_json_ptr_get(doc, "/properties/addressPrefixes");
  if (arr && !cJSON_IsArray(arr))
    return arm_err_set(e, 400, "InvalidRequestFormat", "properties.addressPrefixes of subnet %s must be an array.",
                       arm_id_name(id));
  const char *pre[8];
  int np = subnet_prefixes(doc, pre, 8);
  if (cJSON_GetArraySize(arr) > 7)
    return arm_err_set(e, 400, "InvalidRequestFormat", "Subnet %s lists more than 7 address prefixes.", arm_id_name(id));
  if (np == 0)
    return arm_err_set(e, 400, "InvalidRequestFormat", "Subnet %s must have addressPrefix or addressPrefixes.",
                       arm_id_name(id));
  int v6 = 0;
  const cJSON *vpre = capz_json_ptr_get(vnet->doc, "/properties/addressSpace/addressPrefixes");
  for (int i = 0; i < np; i++) {
    int bits = 0, fam = arm_cidr_family(pre[i], &bits);
    if (!fam) return arm_err_set(e, 400, "InvalidAddressPrefixFormat", "Address prefix %s has an invalid format.", pre[i]);
    if (fam == 6) {
      if (++v6 > 1)
        return arm_err_set(e, 400, "InvalidAddressPrefix",
                           "Subnet '%s' has more than one IPv6 address prefix; a subnet takes at most one.", arm_id_name(id));
      if (bits != 64)
        return arm_err_set(e, 400, "InvalidAddressPrefix",
                           "Subnet '%s' is not valid because IPv6 address prefix %s is not a /64; IPv6 subnets must be "
                           "exactly /64.", arm_id_name(id), pre[i]);
    }
    bool inside = false;
    const cJSON *vp;
    cJSON_ArrayForEach(vp, vpre) inside |= cJSON_IsString(vp) && arm_cidr_within(pre[i], vp->valuestring);
    if (!inside)
      return arm_err_set(e, 400, "NetcfgSubnetRangeOutsideVnet",
                         "Subnet '%s' is not valid because its IP address range %s is outside the IP address range of "
                         "virtual network '%s'.", arm_id_name(id), pre[i], arm_id_name(vnet_id));
    for (int j = 0; j < i; j++)
      if (arm_cidr_overlap(pre[i], pre[j]))
        return arm_err_set(e, 400, "NetcfgSubnetRangesOverlap", "Subnet '%s' lists overlapping prefixes %s and %s.",
                           arm_id_name(id), pre[j], pre[i]);
  }
  /* siblings */
  char key[ARM_ID_MAX];
  arm_lower(key, id, sizeof key);
  for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find("Microsoft.Network/virtualNetworks/subnets")); x; x = x->tnext) {
    char par[ARM_ID_MAX];
    arm_id_parent(x->id, par, sizeof par);
    if (strcmp(x->key, key) == 0 || strcasecmp(par, vnet_id) != 0) continue;
    const char *xp[8];
    int nx = subnet_prefixes(x->doc, xp, 8);
    for (int i = 0; i < np; i++)
      for (int j = 0; j < nx; j++)
        if (arm_cidr_overlap(xp[j], pre[i]))
          return arm_err_set(e, 400, "NetcfgSubnetRangesOverlap",
                             "Subnet '%s' is not valid because its IP address range overlaps with that of an existing "
                             "subnet '%s' in virtual network '%s'.", arm_id_name(id), arm_id_name(x->id), arm_id_name(vnet_id));
  }
  if (arm_check_ref(c, doc, "/properties/networkSecurityGroup/id", "Microsoft.Network/networkSecurityGroups", e) ||
      arm_check_ref(c, doc, "/properties/routeTable/id", "Microsoft.Network/routeTables", e) ||
      arm_check_ref(c, doc, "/properties/natGateway/id", "Microsoft.Network/natGateways", e) ||
      rt_check_delegations(doc, id, e))
    return -1;
  /* changing the ranges of a subnet in use is refused */
  if (old && arm_ipam_used(c->ipam, id) > 0) {
    const char *op[8];
    int no = subnet_prefixes(old->doc, op, 8);
    bool same = no == np;
    for (int i = 0; i < np && same; i++) {
      bool found = false;
      for (int j = 0; j < no; j++) found |= strcmp(pre[i], op[j]) == 0;
      same = found;
    }
    if (!same)
      return arm_err_set(e, 400, "InUseSubnetCannotBeUpdated",
                         "Subnet %s is in use and its address prefix cannot be changed.", arm_id_name(id));
  }
  return 0;
}

static int subnet_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  if (rt_fill_delegations(r, e)) return -1;
  rt_default(r->doc, "delegations", cJSON_CreateArray());
  rt_default(r->doc, "privateEndpointNetworkPolicies", cJSON_CreateString("Disabled"));
  rt_default(r->doc, "privateLinkServiceNetworkPolicies", cJSON_CreateString("Enabled"));
  return 0;
}

static void subnet_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *ipc = cJSON_CreateArray();
  rt_nic_ipconfig_refs(c, r->id, "subnet", ipc);
  if (cJSON_GetArraySize(ipc) > 0) arm_jset(arm_props(out), "ipConfigurations", ipc);
  else cJSON_Delete(ipc);
  cJSON *pe = cJSON_CreateArray();
  rt_refs_from(c, "Microsoft.Network/privateEndpoints", "/properties/subnet/id", r->id, pe);
  if (cJSON_GetArraySize(pe) > 0) arm_jset(arm_props(out), "privateEndpoints", pe);
  else cJSON_Delete(pe);
}

static int subnet_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX] = "";
  static const char *const from[] = {"Microsoft.Network/networkInterfaces", "Microsoft.Compute/virtualMachineScaleSets",
                                     "Microsoft.ContainerService/managedClusters/agentPools",
                                     "Microsoft.Network/privateEndpoints", "Microsoft.Network/bastionHosts",
                                     "Microsoft.Network/loadBalancers", NULL};
  if (arm_ipam_used(c->ipam, r->id) > 0 || arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "InUseSubnetCannotBeDeleted",
                       "Subnet %s is in use by %s and cannot be deleted. In order to delete the subnet, delete all the "
                       "resources within the subnet. See aka.ms/deletesubnet.", arm_id_name(r->id),
                       who[0] ? who : "IP configurations");
  return 0;
}

const arm_rtype rt_subnet = {
    .type = "Microsoft.Network/virtualNetworks/subnets",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_ETAG_BODY,
    .embed_member = "subnets",
    .create_state = "Updating",
    .validate = subnet_validate,
    .fill = subnet_fill,
    .render = subnet_render,
    .can_delete = subnet_can_delete,
};

/* ---------------------------------------------------------------- peerings */

static int peering_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  const char *remote = capz_json_ptr_str(doc, "/properties/remoteVirtualNetwork/id", NULL);
  if (!remote) return arm_err_set(e, 400, "InvalidRequestFormat", "properties.remoteVirtualNetwork.id is required.");
  arm_res *rv = arm_store_get(c->store, remote);
  if (!rv) return arm_err_set(e, 400, "ReferencedResourceNotProvisioned", "Remote virtual network %s was not found.", remote);
  char vnet_id[ARM_ID_MAX];
  arm_id_parent(id, vnet_id, sizeof vnet_id);
  arm_res *lv = arm_store_get(c->store, vnet_id);
  const cJSON *a, *b;
  cJSON_ArrayForEach(a, capz_json_ptr_get(lv ? lv->doc : NULL, "/properties/addressSpace/addressPrefixes"))
    cJSON_ArrayForEach(b, capz_json_ptr_get(rv->doc, "/properties/addressSpace/addressPrefixes"))
      if (cJSON_IsString(a) && cJSON_IsString(b) && arm_cidr_overlap(a->valuestring, b->valuestring))
        return arm_err_set(e, 400, "VnetAddressSpacesOverlap",
                           "Cannot create or update peering %s because address space %s overlaps with %s of the remote "
                           "virtual network.", arm_id_name(id), a->valuestring, b->valuestring);
  return 0;
}

/* Connected when the remote VNet has a peering back to this one; the reverse side is updated too. */
static int peering_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)old;
  (void)e;
  char vnet_id[ARM_ID_MAX];
  arm_id_parent(r->id, vnet_id, sizeof vnet_id);
  const char *remote = capz_json_ptr_str(r->doc, "/properties/remoteVirtualNetwork/id", "");
  const arm_rtype *pt = r->rt;
  const char *state = "Initiated";
  size_t rl = strlen(remote);
  for (arm_res *x = arm_store_first_of(c->store, pt); x; x = x->tnext) {
    if (strncasecmp(x->id, remote, rl) != 0 || x->id[rl] != '/') continue;
    if (!arm_ieq(capz_json_ptr_str(x->doc, "/properties/remoteVirtualNetwork/id", ""), vnet_id)) continue;
    state = "Connected";
    arm_jset(arm_props(x->doc), "peeringState", cJSON_CreateString("Connected"));
  }
  arm_jset(arm_props(r->doc), "peeringState", cJSON_CreateString(state));
  arm_jset(arm_props(r->doc), "peeringSyncLevel", cJSON_CreateString("FullyInSync"));
  arm_res *rv = arm_store_get(c->store, remote);
  const cJSON *ras = rv ? capz_json_ptr_get(rv->doc, "/properties/addressSpace") : NULL;
  if (ras) arm_jset(arm_props(r->doc), "remoteAddressSpace", cJSON_Duplicate(ras, 1));
  rt_default(r->doc, "allowVirtualNetworkAccess", cJSON_CreateTrue());
  rt_default(r->doc, "allowForwardedTraffic", cJSON_CreateFalse());
  rt_default(r->doc, "allowGatewayTransit", cJSON_CreateFalse());
  rt_default(r->doc, "useRemoteGateways", cJSON_CreateFalse());
  return 0;
}

/* The remote side goes back to Disconnected when one side is removed. */
static void peering_on_delete(arm_ctx *c, arm_res *r) {
  char vnet_id[ARM_ID_MAX];
  arm_id_parent(r->id, vnet_id, sizeof vnet_id);
  const char *remote = capz_json_ptr_str(r->doc, "/properties/remoteVirtualNetwork/id", "");
  size_t rl = strlen(remote);
  for (arm_res *x = arm_store_first_of(c->store, r->rt); x; x = x->tnext)
    if (strncasecmp(x->id, remote, rl) == 0 && x->id[rl] == '/' &&
        arm_ieq(capz_json_ptr_str(x->doc, "/properties/remoteVirtualNetwork/id", ""), vnet_id))
      arm_jset(arm_props(x->doc), "peeringState", cJSON_CreateString("Disconnected"));
}

const arm_rtype rt_vnet_peering = {
    .type = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_ETAG_BODY,
    .embed_member = "virtualNetworkPeerings",
    .create_state = "Updating",
    .validate = peering_validate,
    .fill = peering_fill,
    .on_delete = peering_on_delete,
};
