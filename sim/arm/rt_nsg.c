/* rt_nsg.c — networkSecurityGroups (with Azure's six default rules) and their securityRules
 * (child resources, also embedded in the NSG body). */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static cJSON *default_rule(const char *nsg_id, const char *name, const char *desc, const char *src, const char *dst,
                           const char *access, int prio, const char *dir) {
  cJSON *r = cJSON_CreateObject();
  char id[ARM_ID_MAX];
  snprintf(id, sizeof id, "%s/defaultSecurityRules/%s", nsg_id, name);
  cJSON_AddStringToObject(r, "name", name);
  cJSON_AddStringToObject(r, "id", id);
  cJSON_AddStringToObject(r, "type", "Microsoft.Network/networkSecurityGroups/defaultSecurityRules");
  cJSON *p = cJSON_AddObjectToObject(r, "properties");
  cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
  cJSON_AddStringToObject(p, "description", desc);
  cJSON_AddStringToObject(p, "protocol", "*");
  cJSON_AddStringToObject(p, "sourcePortRange", "*");
  cJSON_AddStringToObject(p, "destinationPortRange", "*");
  cJSON_AddStringToObject(p, "sourceAddressPrefix", src);
  cJSON_AddStringToObject(p, "destinationAddressPrefix", dst);
  cJSON_AddStringToObject(p, "access", access);
  cJSON_AddNumberToObject(p, "priority", prio);
  cJSON_AddStringToObject(p, "direction", dir);
  cJSON_AddArrayToObject(p, "sourcePortRanges");
  cJSON_AddArrayToObject(p, "destinationPortRanges");
  cJSON_AddArrayToObject(p, "sourceAddressPrefixes");
  cJSON_AddArrayToObject(p, "destinationAddressPrefixes");
  return r;
}

static int nsg_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  cJSON *d = cJSON_CreateArray();
  cJSON_AddItemToArray(d, default_rule(r->id, "AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Inbound"));
  cJSON_AddItemToArray(d, default_rule(r->id, "AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*", "Allow", 65001, "Inbound"));
  cJSON_AddItemToArray(d, default_rule(r->id, "DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"));
  cJSON_AddItemToArray(d, default_rule(r->id, "AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Outbound"));
  cJSON_AddItemToArray(d, default_rule(r->id, "AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", 65001, "Outbound"));
  cJSON_AddItemToArray(d, default_rule(r->id, "DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"));
  arm_jset(arm_props(r->doc), "defaultSecurityRules", d);
  char u[37];
  arm_uuid(u);
  arm_jset(arm_props(r->doc), "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  rt_default(r->doc, "flushConnection", cJSON_CreateFalse());
  return 0;
}

static void nsg_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *s = cJSON_CreateArray();
  rt_refs_from(c, "Microsoft.Network/virtualNetworks/subnets", "/properties/networkSecurityGroup/id", r->id, s);
  if (cJSON_GetArraySize(s)) arm_jset(arm_props(out), "subnets", s);
  else cJSON_Delete(s);
  cJSON *n = cJSON_CreateArray();
  rt_refs_from(c, "Microsoft.Network/networkInterfaces", "/properties/networkSecurityGroup/id", r->id, n);
  if (cJSON_GetArraySize(n)) arm_jset(arm_props(out), "networkInterfaces", n);
  else cJSON_Delete(n);
}

static int nsg_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/networkInterfaces", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "InUseNetworkSecurityGroupCannotBeDeleted",
                       "Network security group %s cannot be deleted because it is in use by the following resources: %s. "
                       "In order to delete the Network security group, remove the association with the resource(s).",
                       r->id, who);
  return 0;
}

const arm_rtype rt_nsg = {
    .type = "Microsoft.Network/networkSecurityGroups",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .fill = nsg_fill,
    .render = nsg_render,
    .can_delete = nsg_can_delete,
};

static bool one_of(const char *v, const char *const *allowed) {
  for (int i = 0; v && allowed[i]; i++)
    if (strcasecmp(v, allowed[i]) == 0) return true;
  return false;
}

static int rule_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  static const char *const protos[] = {"Tcp", "Udp", "Icmp", "Esp", "Ah", "*", NULL};
  static const char *const access[] = {"Allow", "Deny", NULL};
  static const char *const dirs[] = {"Inbound", "Outbound", NULL};
  const char *name = arm_id_name(id);
  if (!one_of(rt_pstr(doc, "protocol", NULL), protos))
    return arm_err_set(e, 400, "SecurityRuleInvalidProtocol", "Security rule %s has invalid Protocol. Value provided: %s. "
                       "Allowed values: Tcp, Udp, Icmp, Esp, Ah, *.", name, rt_pstr(doc, "protocol", "(none)"));
  if (!one_of(rt_pstr(doc, "access", NULL), access))
    return arm_err_set(e, 400, "SecurityRuleInvalidAccess", "Security rule %s has invalid Access. Allowed values: Allow, Deny.", name);
  if (!one_of(rt_pstr(doc, "direction", NULL), dirs))
    return arm_err_set(e, 400, "SecurityRuleInvalidDirection", "Security rule %s has invalid Direction. Allowed values: Inbound, Outbound.", name);
  int prio = (int)capz_json_ptr_int(doc, "/properties/priority", -1);
  if (prio < 100 || prio > 4096)
    return arm_err_set(e, 400, "SecurityRuleInvalidPriority",
                       "Security rule has invalid Priority. Value provided: %d. Allowed values are from 100 to 4096.", prio);
  /* the same priority and direction twice in one NSG */
  char nsg[ARM_ID_MAX];
  arm_id_parent(id, nsg, sizeof nsg);
  size_t nl = strlen(nsg);
  for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find("Microsoft.Network/networkSecurityGroups/securityRules")); x; x = x->tnext) {
    if (strncasecmp(x->id, nsg, nl) != 0 || x->id[nl] != '/' || strcasecmp(x->id, id) == 0) continue;
    if (capz_json_ptr_int(x->doc, "/properties/priority", -1) == prio &&
        arm_ieq(rt_pstr(x->doc, "direction", ""), rt_pstr(doc, "direction", "")))
      return arm_err_set(e, 400, "SecurityRuleConflict",
                         "Security rule %s conflicts with rule %s. Rules cannot have the same Priority and Direction.",
                         name, arm_id_name(x->id));
  }
  return 0;
}

const arm_rtype rt_security_rule = {
    .type = "Microsoft.Network/networkSecurityGroups/securityRules",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_ETAG_BODY,
    .embed_member = "securityRules",
    .create_state = "Updating",
    .validate = rule_validate,
};
