/* rt_natgw.c — natGateways: Standard SKU, public IP references, subnets back-references. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>

static int natgw_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)id;
  (void)old;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "sku")) {
    cJSON *s = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(s, "name", "Standard");
  }
  if (rt_check_zones(c, doc, cJSON_GetObjectItemCaseSensitive(doc, "zones"), e)) return -1;
  int idle = (int)capz_json_ptr_int(doc, "/properties/idleTimeoutInMinutes", 4);
  if (idle < 4 || idle > 120)
    return arm_err_set(e, 400, "InvalidIdleTimeoutInMinutes", "idleTimeoutInMinutes must be between 4 and 120.");
  const cJSON *ip;
  cJSON_ArrayForEach(ip, capz_json_ptr_get(doc, "/properties/publicIpAddresses")) {
    const char *pid = arm_jstr(ip, "id");
    if (!pid || arm_check_ref_id(c, pid, "Microsoft.Network/publicIPAddresses", "natGateway.publicIpAddresses", e)) {
      if (!pid) arm_err_set(e, 400, "InvalidRequestFormat", "publicIpAddresses elements need an id.");
      return -1;
    }
    arm_res *p = arm_store_get(c->store, pid);
    if (p && strcmp(capz_json_ptr_str(p->doc, "/sku/name", "Basic"), "Basic") == 0)
      return arm_err_set(e, 400, "NatGatewayCannotHaveBasicSkuPublicIp", "NAT gateway cannot use Basic SKU public IP %s.", pid);
  }
  return 0;
}

static int natgw_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  rt_default(r->doc, "idleTimeoutInMinutes", cJSON_CreateNumber(4));
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  return 0;
}

static void natgw_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *s = cJSON_CreateArray();
  rt_refs_from(c, "Microsoft.Network/virtualNetworks/subnets", "/properties/natGateway/id", r->id, s);
  if (cJSON_GetArraySize(s)) arm_jset(arm_props(out), "subnets", s);
  else cJSON_Delete(s);
}

static int natgw_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Network/virtualNetworks/subnets", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "InUseNatGatewayCannotBeDeleted",
                       "Nat Gateway %s is in use by %s and cannot be deleted.", r->id, who);
  return 0;
}

const arm_rtype rt_nat_gateway = {
    .type = "Microsoft.Network/natGateways",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .validate = natgw_validate,
    .fill = natgw_fill,
    .render = natgw_render,
    .can_delete = natgw_can_delete,
};
