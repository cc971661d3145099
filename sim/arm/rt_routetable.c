/* rt_routetable.c — routeTables and their routes (child resources, also embedded in the table body). */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int rt_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  rt_default(r->doc, "disableBgpRoutePropagation", cJSON_CreateFalse());
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "resourceGuid", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/resourceGuid");
  return 0;
}

static void rt_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *s = cJSON_CreateArray();
  rt_refs_from(c, "Microsoft.Network/virtualNetworks/subnets", "/properties/routeTable/id", r->id, s);
  if (cJSON_GetArraySize(s)) arm_jset(arm_props(out), "subnets", s);
  else cJSON_Delete(s);
}

static int rt_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Network/virtualNetworks/subnets", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 400, "InUseRouteTableCannotBeDeleted",
                       "Route table %s is in use and cannot be deleted. In order to delete the route table, remove the "
                       "association with %s.", r->id, who);
  return 0;
}

const arm_rtype rt_route_table = {
    .type = "Microsoft.Network/routeTables",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .fill = rt_fill,
    .render = rt_render,
    .can_delete = rt_can_delete,
};

static int route_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)old;
  static const char *const hops[] = {"VirtualNetworkGateway", "VnetLocal", "Internet", "VirtualAppliance", "None", NULL};
  const char *prefix = rt_pstr(doc, "addressPrefix", NULL), *hop = rt_pstr(doc, "nextHopType", NULL);
  if (!prefix || (!arm_cidr_family(prefix, NULL) && strchr(prefix, '/')))
    return arm_err_set(e, 400, "InvalidAddressPrefixFormat", "Route %s has an invalid addressPrefix.", arm_id_name(id));
  bool ok = false;
  for (int i = 0; hop && hops[i]; i++) ok |= strcasecmp(hop, hops[i]) == 0;
  if (!ok) return arm_err_set(e, 400, "InvalidNextHopType", "Route %s has an invalid nextHopType.", arm_id_name(id));
  const char *ip = rt_pstr(doc, "nextHopIpAddress", NULL);
  if (strcasecmp(hop, "VirtualAppliance") == 0 && (!ip || !*ip))
    return arm_err_set(e, 400, "NextHopIpAddressRequired",
                       "Route %s has next hop type VirtualAppliance but no nextHopIpAddress.", arm_id_name(id));
  if (strcasecmp(hop, "VirtualAppliance") != 0 && ip && *ip)
    return arm_err_set(e, 400, "NextHopIpAddressNotAllowed",
                       "Route %s has a nextHopIpAddress but next hop type %s.", arm_id_name(id), hop);
  return 0;
}

const arm_rtype rt_route = {
    .type = "Microsoft.Network/routeTables/routes",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_ETAG_BODY,
    .embed_member = "routes",
    .create_state = "Updating",
    .validate = route_validate,
};
