/* rt_natrule.c — loadBalancers/inboundNatRules: child resources that are also embedded in the LB body (as subnets
 * are in a VNet). A rule names one of its LB's frontends; its frontend port is unique per frontend and protocol
 * among the LB's NAT rules; the NIC ip configuration that lists it in loadBalancerInboundNatRules is rendered as
 * the rule's read-only backendIPConfiguration, and such a reference makes the rule undeletable (also when an LB
 * PUT leaves it out). v2 rules (a backendAddressPool with a frontend port range) are accepted with their range. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NAT_TYPE "Microsoft.Network/loadBalancers/inboundNatRules"

static bool proto_ok(const char *p) {
  return p && (!strcasecmp(p, "Tcp") || !strcasecmp(p, "Udp") || !strcasecmp(p, "All"));
}

static bool protos_overlap(const char *a, const char *b) {
  return !strcasecmp(a, b) || !strcasecmp(a, "All") || !strcasecmp(b, "All");
}

/* Two NAT rules (documents in {properties} form) that claim the same frontend, protocol and port. */
bool rt_nat_rules_clash(const cJSON *a, const cJSON *b) {
  const char *fa = capz_json_ptr_str(a, "/properties/frontendIPConfiguration/id", ""),
             *fb = capz_json_ptr_str(b, "/properties/frontendIPConfiguration/id", "");
  long pa = (long)capz_json_ptr_int(a, "/properties/frontendPort", -1),
       pb = (long)capz_json_ptr_int(b, "/properties/frontendPort", -1);
  return *fa && strcasecmp(fa, fb) == 0 && pa > 0 && pa == pb &&
         protos_overlap(capz_json_ptr_str(a, "/properties/protocol", ""), capz_json_ptr_str(b, "/properties/protocol", ""));
}

int rt_nat_clash_error(const char *a_id, const cJSON *a, const char *b_id, arm_err *e) {
  return arm_err_set(e, 400, "RulesUseSameFrontendIpConfigurationAndPort",
                     "Inbound NAT rules %s and %s use the same frontend IP configuration %s, protocol %s and frontend "
                     "port %ld. Port numbers of the rules on a frontend must be unique.", a_id, b_id,
                     capz_json_ptr_str(a, "/properties/frontendIPConfiguration/id", ""),
                     capz_json_ptr_str(a, "/properties/protocol", ""),
                     (long)capz_json_ptr_int(a, "/properties/frontendPort", 0));
}

/* Shape of one rule (no cross-rule checks): protocol, ports, frontend present. */
int rt_nat_rule_check(const char *name, const cJSON *doc, arm_err *e) {
  if (!proto_ok(capz_json_ptr_str(doc, "/properties/protocol", NULL)))
    return arm_err_set(e, 400, "InvalidParameter", "Inbound NAT rule %s: protocol must be Tcp, Udp or All.", name);
  if (!capz_json_ptr_str(doc, "/properties/frontendIPConfiguration/id", NULL))
    return arm_err_set(e, 400, "InvalidRequestFormat",
                       "Inbound NAT rule %s: properties.frontendIPConfiguration is required.", name);
  bool v2 = capz_json_ptr_get(doc, "/properties/backendAddressPool") != NULL;
  if (v2) {
    long s = (long)capz_json_ptr_int(doc, "/properties/frontendPortRangeStart", -1),
         t = (long)capz_json_ptr_int(doc, "/properties/frontendPortRangeEnd", -1);
    if (s < 1 || t > 65534 || t < s)
      return arm_err_set(e, 400, "InvalidParameter",
                         "Inbound NAT rule %s: a backend pool needs frontendPortRangeStart <= frontendPortRangeEnd "
                         "within 1..65534.", name);
  } else {
    long fp = (long)capz_json_ptr_int(doc, "/properties/frontendPort", -1);
    if (fp < 1 || fp > 65534)
      return arm_err_set(e, 400, "InvalidParameter", "Inbound NAT rule %s: frontendPort must be 1..65534.", name);
  }
  long bp = (long)capz_json_ptr_int(doc, "/properties/backendPort", -1);
  if (bp < 1 || bp > 65535)
    return arm_err_set(e, 400, "InvalidParameter", "Inbound NAT rule %s: backendPort must be 1..65535.", name);
  return 0;
}

static int nat_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  cJSON *props = arm_props(doc);
  cJSON_DeleteItemFromObjectCaseSensitive(props, "backendIPConfiguration"); /* read-only: computed on render */
  const char *name = arm_id_name(id);
  if (rt_nat_rule_check(name, doc, e)) return -1;
  char lb_id[ARM_ID_MAX];
  arm_id_parent(id, lb_id, sizeof lb_id);
  arm_res *lb = arm_store_get(c->store, lb_id);
  if (!lb) return arm_err_set(e, 404, "ParentResourceNotFound", "Parent load balancer %s not found.", arm_id_name(lb_id));
  /* the frontend must be one of this LB's (as the LB's current body has them) */
  const char *fe = capz_json_ptr_str(doc, "/properties/frontendIPConfiguration/id", "");
  char pre[ARM_ID_MAX];
  snprintf(pre, sizeof pre, "%s/frontendIPConfigurations/", lb->id);
  bool found = false;
  const cJSON *it;
  if (strncasecmp(fe, pre, strlen(pre)) == 0)
    cJSON_ArrayForEach(it, capz_json_ptr_get(lb->doc, "/properties/frontendIPConfigurations"))
      found |= arm_ieq(arm_jstr(it, "name"), fe + strlen(pre));
  if (!found)
    return arm_err_set(e, 400, "InvalidResourceReference", "Resource %s referenced by resource %s was not found.", fe, id);
  const cJSON *pool = capz_json_ptr_get(doc, "/properties/backendAddressPool/id");
  if (pool && rt_check_lb_child(c, cJSON_GetStringValue(pool), "backendAddressPools", e)) return -1;
  /* an LB PUT checked its whole list (old rules it drops may still be in the store): only direct PUTs here */
  if (c->embedding && strcasecmp(c->embedding, lb->key) == 0) return 0;
  size_t ll = strlen(lb->key);
  for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find(NAT_TYPE)); x; x = x->tnext) {
    if (strncmp(x->key, lb->key, ll) != 0 || x->key[ll] != '/' || strcasecmp(x->id, id) == 0) continue;
    if (rt_nat_rules_clash(doc, x->doc)) return rt_nat_clash_error(id, doc, x->id, e);
  }
  return 0;
}

static int nat_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  rt_default(r->doc, "idleTimeoutInMinutes", cJSON_CreateNumber(4));
  rt_default(r->doc, "enableFloatingIP", cJSON_CreateFalse());
  rt_default(r->doc, "enableTcpReset", cJSON_CreateFalse());
  return 0;
}

/* backendIPConfiguration: the NIC ip configuration that lists the rule (a v1 rule maps to one). */
static void nat_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *refs = cJSON_CreateArray();
  rt_nic_ipconfig_refs(c, r->id, "loadBalancerInboundNatRules", refs);
  if (cJSON_GetArraySize(refs) > 0)
    arm_jset(arm_props(out), "backendIPConfiguration", cJSON_DetachItemFromArray(refs, 0));
  cJSON_Delete(refs);
}

static int nat_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  static const char *const from[] = {"Microsoft.Network/networkInterfaces", NULL};
  char who[ARM_ID_MAX];
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "InUseInboundNatRuleCannotBeDeleted",
                       "Inbound NAT rule %s cannot be deleted because it is in use by the IP configuration of network "
                       "interface %s. Remove the rule from the IP configuration first.", r->id, who);
  return 0;
}

const arm_rtype rt_inbound_nat_rule = {
    .type = NAT_TYPE,
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_ETAG_BODY,
    .embed_member = "inboundNatRules",
    .create_state = "Updating",
    .validate = nat_validate,
    .fill = nat_fill,
    .render = nat_render,
    .can_delete = nat_can_delete,
};
