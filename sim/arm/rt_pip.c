/* rt_pip.c — publicIPAddresses: SKU defaults, allocated addresses, DNS labels and FQDNs, in-use checks. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const pip_immutable[] = {"/sku/name", "/properties/publicIPAddressVersion", NULL};

static int pip_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "sku")) {
    cJSON *s = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(s, "name", "Basic");
    cJSON_AddStringToObject(s, "tier", "Regional");
  }
  const char *sku = capz_json_ptr_str(doc, "/sku/name", "Basic");
  if (strcasecmp(sku, "Basic") && strcasecmp(sku, "Standard") && strcasecmp(sku, "StandardV2"))
    return arm_err_set(e, 400, "InvalidParameter", "Public IP SKU '%s' is not valid.", sku);
  const char *alloc = rt_pstr(doc, "publicIPAllocationMethod", NULL);
  if (alloc && strcasecmp(alloc, "Static") && strcasecmp(alloc, "Dynamic"))
    return arm_err_set(e, 400, "InvalidParameter", "publicIPAllocationMethod must be Static or Dynamic.");
  if (strcasecmp(sku, "Basic") != 0 && alloc && strcasecmp(alloc, "Dynamic") == 0)
    return arm_err_set(e, 400, "StandardSkuPublicIPAddressesMustBeStatic",
                       "Standard sku publicIp %s must have AllocationMethod set to Static.", arm_id_name(id));
  const char *ver = rt_pstr(doc, "publicIPAddressVersion", "IPv4");
  if (strcasecmp(ver, "IPv4") && strcasecmp(ver, "IPv6"))
    return arm_err_set(e, 400, "InvalidParameter", "publicIPAddressVersion must be IPv4 or IPv6.");
  if (rt_check_zones(c, doc, cJSON_GetObjectItemCaseSensitive(doc, "zones"), e)) return -1;
  const char *label = capz_json_ptr_str(doc, "/properties/dnsSettings/domainNameLabel", NULL);
  if (label) {
    const char *loc = arm_jstr(doc, "location");
    for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find("Microsoft.Network/publicIPAddresses")); x; x = x->tnext) {
      if (strcasecmp(x->id, id) == 0) continue;
      if (arm_ieq(capz_json_ptr_str(x->doc, "/properties/dnsSettings/domainNameLabel", NULL), label) &&
          arm_ieq(arm_jstr(x->doc, "location"), loc))
        return arm_err_set(e, 400, "DnsRecordInUse",
                           "DNS record %s.%s.cloudapp.azure.com is already used by another public IP.", label, loc);
    }
  }
  return 0;
}

static int pip_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)e;
  const char *sku = capz_json_ptr_str(r->doc, "/sku/name", "Basic");
  rt_default(r->doc, "publicIPAllocationMethod", cJSON_CreateString(strcasecmp(sku, "Basic") ? "Static" : "Dynamic"));
  rt_default(r->doc, "publicIPAddressVersion", cJSON_CreateString("IPv4"));
  rt_default(r->doc, "idleTimeoutInMinutes", cJSON_CreateNumber(4));
  rt_default(r->doc, "ipTags", cJSON_CreateArray());
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  rt_keep(r->doc, old, "/properties/ipAddress");
  if (!rt_pstr(r->doc, "ipAddress", NULL)) {
    char ip[64];
    if (strcasecmp(rt_pstr(r->doc, "publicIPAddressVersion", "IPv4"), "IPv6") == 0) arm_ipam_public6(c->ipam, ip, sizeof ip);
    else arm_ipam_public(c->ipam, ip, sizeof ip);
    arm_jset(arm_props(r->doc), "ipAddress", cJSON_CreateString(ip));
  }
  cJSON *dns = cJSON_GetObjectItemCaseSensitive(arm_props(r->doc), "dnsSettings");
  const char *label = arm_jstr(dns, "domainNameLabel");
  if (label) {
    char fqdn[256];
    snprintf(fqdn, sizeof fqdn, "%s.%s.cloudapp.azure.com", label, arm_jstr(r->doc, "location"));
    arm_jset(dns, "fqdn", cJSON_CreateString(fqdn));
  }
  return 0;
}

static void pip_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *refs = cJSON_CreateArray();
  rt_nic_ipconfig_refs(c, r->id, "publicIPAddress", refs);
  /* load balancer frontends */
  const arm_rtype *lbt = arm_rtype_find("Microsoft.Network/loadBalancers");
  for (arm_res *x = lbt ? arm_store_first_of(c->store, lbt) : NULL; x; x = x->tnext) {
    const cJSON *fe;
    cJSON_ArrayForEach(fe, capz_json_ptr_get(x->doc, "/properties/frontendIPConfigurations"))
      if (arm_ieq(capz_json_ptr_str(fe, "/properties/publicIPAddress/id", NULL), r->id))
        cJSON_AddItemToArray(refs, arm_ref(arm_jstr(fe, "id")));
  }
  if (cJSON_GetArraySize(refs) > 0) arm_jset(arm_props(out), "ipConfiguration", cJSON_Duplicate(refs->child, 1));
  cJSON_Delete(refs);
}

static int pip_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Network/networkInterfaces", "Microsoft.Network/loadBalancers",
                                     "Microsoft.Network/natGateways", "Microsoft.Network/bastionHosts", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "PublicIPAddressCannotBeDeleted",
                       "Public IP address %s can not be deleted since it is still allocated to resource %s. In order to "
                       "delete the public IP, disassociate/detach the Public IP address from the resource.", r->id, who);
  return 0;
}

const arm_rtype rt_public_ip = {
    .type = "Microsoft.Network/publicIPAddresses",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .immutable = pip_immutable,
    .create_state = "Updating",
    .validate = pip_validate,
    .fill = pip_fill,
    .render = pip_render,
    .can_delete = pip_can_delete,
};
