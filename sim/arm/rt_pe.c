/* rt_pe.c — privateEndpoints: an address from the subnet, auto-approved connections, a generated NIC id. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>

static int pe_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  (void)id;
  const char *sub = capz_json_ptr_str(doc, "/properties/subnet/id", NULL);
  if (!sub) return arm_err_set(e, 400, "InvalidRequestFormat", "properties.subnet.id is required.");
  if (arm_check_ref_id(c, sub, "Microsoft.Network/virtualNetworks/subnets", "privateEndpoint", e)) return -1;
  const cJSON *a = capz_json_ptr_get(doc, "/properties/privateLinkServiceConnections");
  const cJSON *b = capz_json_ptr_get(doc, "/properties/manualPrivateLinkServiceConnections");
  if (cJSON_GetArraySize(a) + cJSON_GetArraySize(b) == 0)
    return arm_err_set(e, 400, "InvalidRequestFormat", "A private endpoint needs at least one private link service connection.");
  return 0;
}

static int pe_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  if (rt_fill_subobjects(r, "privateLinkServiceConnections", "Microsoft.Network/privateEndpoints/privateLinkServiceConnections", e) ||
      rt_fill_subobjects(r, "manualPrivateLinkServiceConnections", "Microsoft.Network/privateEndpoints/manualPrivateLinkServiceConnections", e))
    return -1;
  static const char *const members[] = {"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"};
  for (int m = 0; m < 2; m++) {
    cJSON *conn;
    cJSON_ArrayForEach(conn, cJSON_GetObjectItemCaseSensitive(arm_props(r->doc), members[m])) {
      cJSON *st = cJSON_CreateObject();
      cJSON_AddStringToObject(st, "status", m == 0 ? "Approved" : "Pending");
      cJSON_AddStringToObject(st, "description", m == 0 ? "Auto-Approved" : "Awaiting approval");
      cJSON_AddStringToObject(st, "actionsRequired", "None");
      arm_jset(arm_props(conn), "privateLinkServiceConnectionState", st);
    }
  }
  const char *sub = capz_json_ptr_str(r->doc, "/properties/subnet/id", "");
  char ip[64];
  const char *want = capz_json_ptr_str(old, "/properties/customDnsConfigs/0/ipAddresses/0", NULL);
  if (rt_subnet_alloc(c, sub, 4, r->id, want, ip, sizeof ip, e)) return -1;
  cJSON *dns = cJSON_CreateArray(), *d = cJSON_CreateObject(), *ips = cJSON_CreateArray();
  cJSON_AddItemToArray(ips, cJSON_CreateString(ip));
  cJSON_AddItemToObject(d, "ipAddresses", ips);
  cJSON_AddItemToArray(dns, d);
  arm_jset(arm_props(r->doc), "customDnsConfigs", dns);
  rt_keep(r->doc, old, "/properties/networkInterfaces");
  if (!capz_json_ptr_get(r->doc, "/properties/networkInterfaces/0")) {
    char rg[128], sid[64], nic[ARM_ID_MAX], hex[9];
    arm_id_rg(r->id, rg, sizeof rg);
    arm_id_sub(r->id, sid, sizeof sid);
    rt_hex8(r->id, hex);
    const char *custom = rt_pstr(r->doc, "customNetworkInterfaceName", NULL);
    if (custom)
      snprintf(nic, sizeof nic, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/%s", sid, rg, custom);
    else
      snprintf(nic, sizeof nic, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/networkInterfaces/%s.nic.%s", sid, rg,
               arm_id_name(r->id), hex);
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, arm_ref(nic));
    arm_jset(arm_props(r->doc), "networkInterfaces", a);
  }
  return 0;
}

static void pe_on_delete(arm_ctx *c, arm_res *r) { arm_ipam_release_owner(c->ipam, r->id); }

const arm_rtype rt_private_endpoint = {
    .type = "Microsoft.Network/privateEndpoints",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .validate = pe_validate,
    .fill = pe_fill,
    .on_delete = pe_on_delete,
};
