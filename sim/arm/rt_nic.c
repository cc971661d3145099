/* rt_nic.c — networkInterfaces: IP configurations with private addresses allocated from their subnet,
 * references to public IPs, LB pools, NSGs; MAC address; the VM using it; NicInUse on delete. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int nic_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  const cJSON *ipcs = capz_json_ptr_get(doc, "/properties/ipConfigurations");
  if (!cJSON_IsArray(ipcs) || cJSON_GetArraySize(ipcs) == 0)
    return arm_err_set(e, 400, "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
                       "Network interface %s must have one or more IP configurations.", arm_id_name(id));
  const cJSON *ipc;
  int primaries = 0, v4 = 0;
  cJSON_ArrayForEach(ipc, ipcs) {
    const char *sub = capz_json_ptr_str(ipc, "/properties/subnet/id", NULL);
    if (!sub) return arm_err_set(e, 400, "InvalidRequestFormat", "IP configuration %s must reference a subnet.", arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "?");
    if (arm_check_ref_id(c, sub, "Microsoft.Network/virtualNetworks/subnets", "networkInterface ipConfiguration", e) ||
        arm_check_ref(c, ipc, "/properties/publicIPAddress/id", "Microsoft.Network/publicIPAddresses", e))
      return -1;
    const char *m = capz_json_ptr_str(ipc, "/properties/privateIPAllocationMethod", "Dynamic");
    if (strcasecmp(m, "Static") == 0 && !capz_json_ptr_str(ipc, "/properties/privateIPAddress", NULL))
      return arm_err_set(e, 400, "PrivateIPAddressIsRequired", "A static IP configuration needs properties.privateIPAddress.");
    const cJSON *pool;
    cJSON_ArrayForEach(pool, capz_json_ptr_get(ipc, "/properties/loadBalancerBackendAddressPools"))
      if (rt_check_lb_child(c, arm_jstr(pool, "id") ? arm_jstr(pool, "id") : "", "backendAddressPools", e)) return -1;
    cJSON_ArrayForEach(pool, capz_json_ptr_get(ipc, "/properties/loadBalancerInboundNatRules"))
      if (rt_check_lb_child(c, arm_jstr(pool, "id") ? arm_jstr(pool, "id") : "", "inboundNatRules", e)) return -1;
    primaries += capz_json_ptr_bool(ipc, "/properties/primary", false);
    if (rt_check_ip_version(c, ipc, "/properties/publicIPAddress/id", e)) return -1;
    int fam = rt_ipc_family(ipc);
    v4 += fam == 4;
    if (fam == 6 && capz_json_ptr_bool(ipc, "/properties/primary", false))
      return arm_err_set(e, 400, "IPv6IpConfigurationCannotBePrimary",
                         "IP configuration %s of network interface %s is IPv6 and cannot be primary.",
                         arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "?", arm_id_name(id));
  }
  if (primaries > 1) return arm_err_set(e, 400, "OnlyOnePrimaryIpConfigurationAllowed", "Only one IP configuration can be primary.");
  if (!v4)
    return arm_err_set(e, 400, "NetworkInterfaceMustHaveIPv4IpConfiguration",
                       "Network interface %s needs at least one IPv4 IP configuration.", arm_id_name(id));
  if (arm_check_ref(c, doc, "/properties/networkSecurityGroup/id", "Microsoft.Network/networkSecurityGroups", e)) return -1;
  return 0;
}

static int nic_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  if (rt_fill_subobjects(r, "ipConfigurations", "Microsoft.Network/networkInterfaces/ipConfigurations", e)) return -1;
  cJSON *ipcs = cJSON_GetObjectItemCaseSensitive(arm_props(r->doc), "ipConfigurations");
  bool has_primary = false;
  cJSON *ipc;
  cJSON_ArrayForEach(ipc, ipcs) has_primary |= capz_json_ptr_bool(ipc, "/properties/primary", false);
  cJSON_ArrayForEach(ipc, ipcs) {
    cJSON *p = cJSON_GetObjectItemCaseSensitive(ipc, "properties");
    if (!has_primary && rt_ipc_family(ipc) == 4) { arm_jset(p, "primary", cJSON_CreateTrue()); has_primary = true; }
    else if (!cJSON_GetObjectItemCaseSensitive(p, "primary")) arm_jset(p, "primary", cJSON_CreateFalse());
    const char *sub = capz_json_ptr_str(ipc, "/properties/subnet/id", "");
    const char *method = arm_jstr(p, "privateIPAllocationMethod");
    const char *want = method && strcasecmp(method, "Static") == 0 ? arm_jstr(p, "privateIPAddress") : NULL;
    int fam = rt_ipc_family(ipc);
    char ip[64];
    if (rt_subnet_alloc(c, sub, fam, arm_jstr(ipc, "id"), want, ip, sizeof ip, e)) return -1;
    arm_jset(p, "privateIPAddress", cJSON_CreateString(ip));
    if (!method) arm_jset(p, "privateIPAllocationMethod", cJSON_CreateString("Dynamic"));
    arm_jset(p, "privateIPAddressVersion", cJSON_CreateString(fam == 6 ? "IPv6" : "IPv4"));
  }
  /* addresses of IP configurations that were removed */
  const cJSON *oipc, *oipcs = old ? capz_json_ptr_get(old, "/properties/ipConfigurations") : NULL;
  cJSON_ArrayForEach(oipc, oipcs) {
    bool kept = false;
    cJSON_ArrayForEach(ipc, ipcs) kept |= arm_ieq(arm_jstr(ipc, "name"), arm_jstr(oipc, "name"));
    if (!kept && arm_jstr(oipc, "id")) arm_ipam_release_owner(c->ipam, arm_jstr(oipc, "id"));
  }
  rt_keep(r->doc, old, "/properties/macAddress");
  if (!rt_pstr(r->doc, "macAddress", NULL)) {
    unsigned h = arm_hash32(r->id) ^ (unsigned)(c->seq++ * 2654435761u);
    char mac[32];
    snprintf(mac, sizeof mac, "00-0D-3A-%02X-%02X-%02X", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
    arm_jset(arm_props(r->doc), "macAddress", cJSON_CreateString(mac));
  }
  cJSON *dns = cJSON_CreateObject();
  cJSON_AddArrayToObject(dns, "dnsServers");
  cJSON_AddArrayToObject(dns, "appliedDnsServers");
  cJSON_AddStringToObject(dns, "internalDomainNameSuffix", "capzsim.bx.internal.cloudapp.net");
  rt_default(r->doc, "dnsSettings", dns);
  rt_default(r->doc, "enableIPForwarding", cJSON_CreateFalse());
  rt_default(r->doc, "enableAcceleratedNetworking", cJSON_CreateFalse());
  rt_default(r->doc, "nicType", cJSON_CreateString("Standard"));
  rt_default(r->doc, "vnetEncryptionSupported", cJSON_CreateFalse());
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  return 0;
}

static void nic_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  const arm_rtype *vmt = arm_rtype_find("Microsoft.Compute/virtualMachines");
  for (arm_res *x = vmt ? arm_store_first_of(c->store, vmt) : NULL; x; x = x->tnext) {
    const cJSON *n;
    cJSON_ArrayForEach(n, capz_json_ptr_get(x->doc, "/properties/networkProfile/networkInterfaces"))
      if (arm_ieq(arm_jstr(n, "id"), r->id)) {
        arm_jset(arm_props(out), "virtualMachine", arm_ref(x->id));
        arm_jset(arm_props(out), "primary", cJSON_CreateBool(capz_json_ptr_bool(n, "/properties/primary", true)));
        return;
      }
  }
}

static int nic_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Compute/virtualMachines", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "NicInUse",
                       "Network Interface %s is used by existing resource %s. In order to delete the network interface, "
                       "it must be dissociated from the resource.", r->id, who);
  return 0;
}

static void nic_on_delete(arm_ctx *c, arm_res *r) { arm_ipam_release_owner(c->ipam, r->id); }

const arm_rtype rt_nic = {
    .type = "Microsoft.Network/networkInterfaces",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .validate = nic_validate,
    .fill = nic_fill,
    .render = nic_render,
    .can_delete = nic_can_delete,
    .on_delete = nic_on_delete,
};
