/* rt_lb.c — loadBalancers: frontends (public or private with allocated addresses), backend pools, probes,
 * load-balancing / outbound rules with ids and cross-reference checks, back-references. Inbound NAT rules are
 * child resources embedded in the body (rt_natrule.c); an LB PUT's list is checked here as a whole. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* sub-objects kept in the LB document; inboundNatRules are child resources (rt_natrule.c) embedded on render */
static const char *const members[] = {"frontendIPConfigurations", "backendAddressPools", "probes",
                                      "loadBalancingRules", "outboundRules", NULL};
static const char *const lb_immutable[] = {"/sku/name", NULL};

/* ref (an id) must name an element of this LB's properties.<member>. */
static int check_member_ref(const char *lb_id, const cJSON *doc, const char *member, const char *ref, const char *who,
                            arm_err *e) {
  if (!ref) return 0;
  char pre[ARM_ID_MAX];
  snprintf(pre, sizeof pre, "%s/%s/", lb_id, member);
  if (strncasecmp(ref, pre, strlen(pre)) == 0) {
    const char *name = ref + strlen(pre);
    const cJSON *it;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "properties"), member);
    cJSON_ArrayForEach(it, arr)
      if (arm_ieq(arm_jstr(it, "name"), name)) return 0;
  }
  return arm_err_set(e, 400, "InvalidResourceReference", "Resource %s referenced by resource %s was not found.", ref, who);
}

static int lb_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "sku")) {
    cJSON *s = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(s, "name", "Basic");
    cJSON_AddStringToObject(s, "tier", "Regional");
  }
  const char *sku = capz_json_ptr_str(doc, "/sku/name", "");
  if (strcasecmp(sku, "Basic") && strcasecmp(sku, "Standard") && strcasecmp(sku, "Gateway"))
    return arm_err_set(e, 400, "InvalidParameter", "Load balancer SKU '%s' is not valid.", sku);
  cJSON *props = arm_props(doc);
  for (int m = 0; members[m]; m++) {
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(props, members[m]);
    if (arr && !cJSON_IsArray(arr)) return arm_err_set(e, 400, "InvalidRequestFormat", "properties.%s must be an array.", members[m]);
  }
  const cJSON *nats = cJSON_GetObjectItemCaseSensitive(props, "inboundNatRules");
  if (nats && !cJSON_IsArray(nats) && !cJSON_IsNull(nats))
    return arm_err_set(e, 400, "InvalidRequestFormat", "properties.inboundNatRules must be an array.");
  const cJSON *fe;
  cJSON_ArrayForEach(fe, cJSON_GetObjectItemCaseSensitive(props, "frontendIPConfigurations")) {
    const char *pip = capz_json_ptr_str(fe, "/properties/publicIPAddress/id", NULL);
    const char *sub = capz_json_ptr_str(fe, "/properties/subnet/id", NULL);
    if (!pip && !sub)
      return arm_err_set(e, 400, "InvalidRequestFormat", "Frontend %s needs a publicIPAddress or a subnet.", arm_jstr(fe, "name") ? arm_jstr(fe, "name") : "?");
    if (pip) {
      if (arm_check_ref_id(c, pip, "Microsoft.Network/publicIPAddresses", "loadBalancer frontend", e)) return -1;
      arm_res *p = arm_store_get(c->store, pip);
      if (p && !arm_ieq(capz_json_ptr_str(p->doc, "/sku/name", "Basic"), sku))
        return arm_err_set(e, 400, "LoadBalancerAndPublicIpAddressSkuMustMatch",
                           "Load balancer %s and public IP %s must have the same SKU.", arm_id_name(id), arm_id_name(pip));
    }
    if (sub && arm_check_ref_id(c, sub, "Microsoft.Network/virtualNetworks/subnets", "loadBalancer frontend", e)) return -1;
    if (rt_check_ip_version(c, fe, "/properties/publicIPAddress/id", e)) return -1;
  }
  const cJSON *rule;
  cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(props, "loadBalancingRules")) {
    const char *rn = arm_jstr(rule, "name") ? arm_jstr(rule, "name") : "?";
    if (check_member_ref(id, doc, "frontendIPConfigurations", capz_json_ptr_str(rule, "/properties/frontendIPConfiguration/id", NULL), rn, e) ||
        check_member_ref(id, doc, "backendAddressPools", capz_json_ptr_str(rule, "/properties/backendAddressPool/id", NULL), rn, e) ||
        check_member_ref(id, doc, "probes", capz_json_ptr_str(rule, "/properties/probe/id", NULL), rn, e))
      return -1;
    int fp = (int)capz_json_ptr_int(rule, "/properties/frontendPort", -1);
    if (fp < 0 || fp > 65534) return arm_err_set(e, 400, "InvalidParameter", "Rule %s: frontendPort must be 0..65534.", rn);
  }
  cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(props, "outboundRules")) {
    const char *rn = arm_jstr(rule, "name") ? arm_jstr(rule, "name") : "?";
    const cJSON *f;
    cJSON_ArrayForEach(f, capz_json_ptr_get(rule, "/properties/frontendIPConfigurations"))
      if (check_member_ref(id, doc, "frontendIPConfigurations", arm_jstr(f, "id"), rn, e)) return -1;
    if (check_member_ref(id, doc, "backendAddressPools", capz_json_ptr_str(rule, "/properties/backendAddressPool/id", NULL), rn, e)) return -1;
  }
  /* the embedded NAT rules as a whole (each is then written as a child resource) */
  cJSON_ArrayForEach(rule, nats) {
    const char *rn = arm_jstr(rule, "name") ? arm_jstr(rule, "name") : "?";
    if (rt_nat_rule_check(rn, rule, e) ||
        check_member_ref(id, doc, "frontendIPConfigurations", capz_json_ptr_str(rule, "/properties/frontendIPConfiguration/id", NULL), rn, e) ||
        check_member_ref(id, doc, "backendAddressPools", capz_json_ptr_str(rule, "/properties/backendAddressPool/id", NULL), rn, e))
      return -1;
    for (const cJSON *prev = nats->child; prev && prev != rule; prev = prev->next)
      if (rt_nat_rules_clash(rule, prev)) {
        char a[ARM_ID_MAX], b[ARM_ID_MAX];
        snprintf(a, sizeof a, "%s/inboundNatRules/%s", id, rn);
        snprintf(b, sizeof b, "%s/inboundNatRules/%s", id, arm_jstr(prev, "name") ? arm_jstr(prev, "name") : "?");
        return rt_nat_clash_error(a, rule, b, e);
      }
  }
  const cJSON *pr;
  cJSON_ArrayForEach(pr, cJSON_GetObjectItemCaseSensitive(props, "probes")) {
    int port = (int)capz_json_ptr_int(pr, "/properties/port", -1);
    if (port < 1 || port > 65535) return arm_err_set(e, 400, "InvalidParameter", "Probe port must be 1..65535.");
  }
  return 0;
}

static int lb_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  static const char *const types[] = {"Microsoft.Network/loadBalancers/frontendIPConfigurations",
                                      "Microsoft.Network/loadBalancers/backendAddressPools",
                                      "Microsoft.Network/loadBalancers/probes",
                                      "Microsoft.Network/loadBalancers/loadBalancingRules",
                                      "Microsoft.Network/loadBalancers/outboundRules"};
  for (int m = 0; members[m]; m++)
    if (rt_fill_subobjects(r, members[m], types[m], e)) return -1;
  cJSON *props = arm_props(r->doc);
  for (int m = 0; members[m]; m++)
    if (!cJSON_GetObjectItemCaseSensitive(props, members[m])) cJSON_AddArrayToObject(props, members[m]);
  /* private frontends get addresses from their subnet; the owner is the frontend id */
  arm_ipam_release_owner(c->ipam, r->id);
  cJSON *fe;
  cJSON_ArrayForEach(fe, cJSON_GetObjectItemCaseSensitive(props, "frontendIPConfigurations")) {
    const char *sub = capz_json_ptr_str(fe, "/properties/subnet/id", NULL);
    if (!sub) continue;
    cJSON *fp = cJSON_GetObjectItemCaseSensitive(fe, "properties");
    const char *method = arm_jstr(fp, "privateIPAllocationMethod");
    const char *want = method && strcasecmp(method, "Static") == 0 ? arm_jstr(fp, "privateIPAddress") : NULL;
    if (!want && old) { /* keep a dynamic address across updates */
      const cJSON *ofe;
      cJSON_ArrayForEach(ofe, capz_json_ptr_get(old, "/properties/frontendIPConfigurations"))
        if (arm_ieq(arm_jstr(ofe, "name"), arm_jstr(fe, "name")) &&
            arm_ieq(capz_json_ptr_str(ofe, "/properties/subnet/id", ""), sub))
          want = capz_json_ptr_str(ofe, "/properties/privateIPAddress", NULL);
    }
    int fam = rt_ipc_family(fe);
    char ip[64];
    if (rt_subnet_alloc(c, sub, fam, arm_jstr(fe, "id"), want, ip, sizeof ip, e)) return -1;
    arm_jset(fp, "privateIPAddress", cJSON_CreateString(ip));
    if (!method) arm_jset(fp, "privateIPAllocationMethod", cJSON_CreateString("Dynamic"));
    arm_jset(fp, "privateIPAddressVersion", cJSON_CreateString(fam == 6 ? "IPv6" : "IPv4"));
  }
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  return 0;
}

static void lb_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *props = arm_props(out);
  cJSON *pool;
  cJSON_ArrayForEach(pool, cJSON_GetObjectItemCaseSensitive(props, "backendAddressPools")) {
    cJSON *refs = cJSON_CreateArray();
    const char *pid = arm_jstr(pool, "id") ? arm_jstr(pool, "id") : "";
    rt_nic_ipconfig_refs(c, pid, "loadBalancerBackendAddressPools", refs);
    rt_vmss_pool_refs(c, pid, refs);
    arm_jset(arm_props(pool), "backendIPConfigurations", refs);
  }
  cJSON *fe;
  cJSON_ArrayForEach(fe, cJSON_GetObjectItemCaseSensitive(props, "frontendIPConfigurations")) {
    cJSON *rules = cJSON_CreateArray();
    const cJSON *rule;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(props, "loadBalancingRules"))
      if (arm_ieq(capz_json_ptr_str(rule, "/properties/frontendIPConfiguration/id", NULL), arm_jstr(fe, "id")))
        cJSON_AddItemToArray(rules, arm_ref(arm_jstr(rule, "id")));
    if (cJSON_GetArraySize(rules)) arm_jset(arm_props(fe), "loadBalancingRules", rules);
    else cJSON_Delete(rules);
    cJSON *nat = cJSON_CreateArray();
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(props, "inboundNatRules"))
      if (arm_ieq(capz_json_ptr_str(rule, "/properties/frontendIPConfiguration/id", NULL), arm_jstr(fe, "id")))
        cJSON_AddItemToArray(nat, arm_ref(arm_jstr(rule, "id")));
    if (cJSON_GetArraySize(nat)) arm_jset(arm_props(fe), "inboundNatRules", nat);
    else cJSON_Delete(nat);
  }
  (void)r;
}

static void lb_on_delete(arm_ctx *c, arm_res *r) { arm_ipam_release_owner(c->ipam, r->id); }

const arm_rtype rt_load_balancer = {
    .type = "Microsoft.Network/loadBalancers",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .immutable = lb_immutable,
    .create_state = "Updating",
    .validate = lb_validate,
    .fill = lb_fill,
    .render = lb_render,
    .on_delete = lb_on_delete,
};
