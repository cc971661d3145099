/* cluster_resources.c — AzureCluster → ordered resource rows (what CAPZ's cluster services would create). */
#include "cluster_resources.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capz/json.h"
#include "selfmanaged_api.h"

#define NET "Microsoft.Network"

/* Fields we compare with the live resource. Everything else ARM adds (ids, provisioning state, default
 * rules, back-references) is ignored. */
static const char *const OWN_LOCATION[] = {"/location", NULL};
static const char *const OWN_VNET[] = {"/location", "/properties/addressSpace", NULL};
static const char *const OWN_NSG[] = {"/location", "/properties/securityRules", NULL};
static const char *const OWN_PIP[] = {"/location", "/sku", "/properties/publicIPAllocationMethod",
                                      "/properties/dnsSettings/domainNameLabel", NULL};
static const char *const OWN_NATGW[] = {"/location", "/sku", "/properties/publicIpAddresses", NULL};
static const char *const OWN_SUBNET[] = {"/properties/addressPrefix", "/properties/addressPrefixes",
                                         "/properties/networkSecurityGroup", "/properties/routeTable",
                                         "/properties/natGateway", "/properties/delegations", NULL};
static const char *const OWN_LB[] = {"/location", "/sku", "/properties/frontendIPConfigurations",
                                     "/properties/backendAddressPools", "/properties/loadBalancingRules",
                                     "/properties/probes", "/properties/outboundRules", NULL};
static const char *const OWN_PDNS_LINK[] = {"/properties/virtualNetwork", NULL};
static const char *const OWN_PDNS_A[] = {"/properties/aRecords", NULL};
static const char *const OWN_PEERING[] = {"/properties/remoteVirtualNetwork", "/properties/allowForwardedTraffic",
                                          "/properties/allowGatewayTransit", "/properties/allowVirtualNetworkAccess",
                                          "/properties/useRemoteGateways", NULL};
static const char *const OWN_BASTION[] = {"/location", "/properties/ipConfigurations", NULL};
static const char *const OWN_PE[] = {"/location", "/properties/subnet/id", "/properties/privateLinkServiceConnections",
                                     "/properties/manualPrivateLinkServiceConnections",
                                     "/properties/applicationSecurityGroups", "/properties/customNetworkInterfaceName",
                                     "/properties/ipConfigurations", NULL};

typedef struct bld {
  const cJSON *ac;
  const sm_cluster_info *ci;
  capz_arm_table *t;
  capz_err *err;
  int vnet_row;
  char vnet_rg[96], vnet_name[96], vnet_id[CAPZ_ARM_ROW_ID_MAX];
} bld;

static const char *S(const cJSON *o, const char *ptr) { return capz_json_ptr_str(o, ptr, ""); }

static cJSON *tags_for(const bld *b, const char *name, const char *role) {
  cJSON *t = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(b->ac, "/spec/additionalTags"))
    if (cJSON_IsString(it)) cJSON_AddStringToObject(t, it->string, it->valuestring);
  cJSON_AddStringToObject(t, SM_TAG_NAME, name);
  if (role) cJSON_AddStringToObject(t, SM_TAG_ROLE, role);
  return t;
}

static cJSON *located(const bld *b) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "location", b->ci->location);
  return o;
}

static int add(bld *b, const char *service, const char *cond, const char *id, cJSON *desired,
               const char *const *owned, cJSON *tags, capz_arm_row **out) {
  capz_arm_row *r = capz_arm_table_add(b->t, service, cond, id, desired, owned, tags);
  if (!r) {
    capz_err_set(b->err, CAPZ_ENOMEM, "out of memory");
    return CAPZ_ENOMEM;
  }
  if (out) *out = r;
  return 0;
}

static bool seen(const capz_arm_table *t, const char *service, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->rows[i].service, service) && !strcasecmp(t->rows[i].name, name)) return true;
  return false;
}

static int rg_row(bld *b) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  capz_arm_rg_id(id, sizeof id, b->ci->sub, b->ci->rg);
  return add(b, "group", "ResourceGroupReady", id, located(b), OWN_LOCATION, tags_for(b, b->ci->rg, SM_ROLE_COMMON),
             NULL);
}

static int vnet_row(bld *b) {
  const cJSON *v = capz_json_ptr_get(b->ac, "/spec/networkSpec/vnet");
  snprintf(b->vnet_rg, sizeof b->vnet_rg, "%s", *S(v, "/resourceGroup") ? S(v, "/resourceGroup") : b->ci->rg);
  snprintf(b->vnet_name, sizeof b->vnet_name, "%s", S(v, "/name"));
  capz_arm_res_id(b->vnet_id, sizeof b->vnet_id, b->ci->sub, b->vnet_rg, NET "/virtualNetworks", b->vnet_name);
  cJSON *d = located(b);
  cJSON *as = cJSON_AddObjectToObject(cJSON_AddObjectToObject(d, "properties"), "addressSpace");
  cJSON *cidrs = cJSON_GetObjectItem(v, "cidrBlocks");
  cJSON_AddItemToObject(as, "addressPrefixes", cidrs ? cJSON_Duplicate(cidrs, 1) : cJSON_CreateArray());
  cJSON *tags = tags_for(b, b->vnet_name, SM_ROLE_COMMON);
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "tags"))
    if (cJSON_IsString(it)) cJSON_AddStringToObject(tags, it->string, it->valuestring);
  b->vnet_row = (int)b->t->n;
  return add(b, "virtualnetworks", "VNetReady", b->vnet_id, d, OWN_VNET, tags, NULL);
}

static cJSON *nsg_rule(const cJSON *r) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", S(r, "/name"));
  cJSON *p = cJSON_AddObjectToObject(o, "properties");
  const char *proto = S(r, "/protocol");
  cJSON_AddStringToObject(p, "protocol", *proto ? proto : "*");
  cJSON_AddStringToObject(p, "direction", *S(r, "/direction") ? S(r, "/direction") : "Inbound");
  cJSON_AddNumberToObject(p, "priority", (double)capz_json_ptr_int(r, "/priority", 100));
  cJSON_AddStringToObject(p, "sourceAddressPrefix", *S(r, "/source") ? S(r, "/source") : "*");
  cJSON_AddStringToObject(p, "sourcePortRange", *S(r, "/sourcePorts") ? S(r, "/sourcePorts") : "*");
  cJSON_AddStringToObject(p, "destinationAddressPrefix", *S(r, "/destination") ? S(r, "/destination") : "*");
  cJSON_AddStringToObject(p, "destinationPortRange", *S(r, "/destinationPorts") ? S(r, "/destinationPorts") : "*");
  cJSON_AddStringToObject(p, "access", *S(r, "/action") ? S(r, "/action") : "Allow");
  if (*S(r, "/description")) cJSON_AddStringToObject(p, "description", S(r, "/description"));
  return o;
}

static int nsg_rows(bld *b) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(b->ac, "/spec/networkSpec/subnets")) {
    const char *name = S(sn, "/securityGroup/name");
    if (!*name || seen(b->t, "securitygroups", name)) continue;
    char id[CAPZ_ARM_ROW_ID_MAX];
    capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/networkSecurityGroups", name);
    cJSON *d = located(b);
    cJSON *rules = cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "properties"), "securityRules");
    const cJSON *rule;
    cJSON_ArrayForEach(rule, capz_json_ptr_get(sn, "/securityGroup/securityRules"))
      cJSON_AddItemToArray(rules, nsg_rule(rule));
    cJSON *tags = tags_for(b, name, NULL);
    const cJSON *it;
    cJSON_ArrayForEach(it, capz_json_ptr_get(sn, "/securityGroup/tags"))
      if (cJSON_IsString(it)) cJSON_AddStringToObject(tags, it->string, it->valuestring);
    capz_arm_row *r = NULL;
    if (add(b, "securitygroups", "SecurityGroupsReady", id, d, OWN_NSG, tags, &r)) return b->err->code;
    r->parent = b->vnet_row; /* CAPZ leaves NSGs alone in bring-your-own VNet mode */
  }
  return 0;
}

static int rt_rows(bld *b) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(b->ac, "/spec/networkSpec/subnets")) {
    const char *name = S(sn, "/routeTable/name");
    if (!*name || seen(b->t, "routetables", name)) continue;
    char id[CAPZ_ARM_ROW_ID_MAX];
    capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/routeTables", name);
    cJSON *d = located(b);
    cJSON_AddObjectToObject(d, "properties");
    capz_arm_row *r = NULL;
    if (add(b, "routetables", "RouteTablesReady", id, d, OWN_LOCATION, tags_for(b, name, NULL), &r))
      return b->err->code;
    r->parent = b->vnet_row; /* likewise route tables */
  }
  return 0;
}

static int pip_row(bld *b, const char *name, const char *dns_name, const char *role, const cJSON *zones,
                   bool vnet_bound) {
  if (!*name || seen(b->t, "publicips", name)) return 0;
  char id[CAPZ_ARM_ROW_ID_MAX];
  capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/publicIPAddresses", name);
  cJSON *d = located(b);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", "Standard");
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddStringToObject(p, "publicIPAllocationMethod", "Static");
  cJSON_AddStringToObject(p, "publicIPAddressVersion", "IPv4");
  if (dns_name && *dns_name) {
    char label[128];
    snprintf(label, sizeof label, "%.*s", (int)strcspn(dns_name, "."), dns_name);
    cJSON *ds = cJSON_AddObjectToObject(p, "dnsSettings");
    cJSON_AddStringToObject(ds, "domainNameLabel", label);
  }
  if (zones && cJSON_GetArraySize(zones) > 0) cJSON_AddItemToObject(d, "zones", cJSON_Duplicate(zones, 1));
  capz_arm_row *r = NULL;
  if (add(b, "publicips", "PublicIPsReady", id, d, OWN_PIP, tags_for(b, name, role), &r)) return b->err->code;
  if (vnet_bound) r->parent = b->vnet_row;
  return 0;
}

static bool lb_public(const cJSON *lb) { return strcasecmp(S(lb, "/type"), "Internal") != 0; }

static int pip_rows(bld *b) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(b->ac, "/spec/networkSpec/subnets"))
    if (*S(sn, "/natGateway/name") && pip_row(b, S(sn, "/natGateway/ip/name"), NULL, NULL, b->ci->zones, true))
      return b->err->code;
  static const struct { const char *ptr, *role; } lbs[] = {
      {"/spec/networkSpec/apiServerLB", SM_ROLE_APISERVER},
      {"/spec/networkSpec/nodeOutboundLB", SM_ROLE_NODE_OUTBOUND},
      {"/spec/networkSpec/controlPlaneOutboundLB", SM_ROLE_CONTROLPLANE_OUTBOUND}};
  for (size_t i = 0; i < sizeof lbs / sizeof lbs[0]; i++) {
    const cJSON *lb = capz_json_ptr_get(b->ac, lbs[i].ptr);
    if (!lb || !lb_public(lb)) continue;
    const cJSON *zones = cJSON_GetArraySize(cJSON_GetObjectItem(lb, "availabilityZones")) > 0
                             ? cJSON_GetObjectItem(lb, "availabilityZones")
                             : b->ci->zones;
    const cJSON *fe;
    cJSON_ArrayForEach(fe, cJSON_GetObjectItem(lb, "frontendIPs"))
      if (pip_row(b, S(fe, "/publicIP/name"), S(fe, "/publicIP/dnsName"), lbs[i].role, zones, false)) return b->err->code;
  }
  const cJSON *bas = capz_json_ptr_get(b->ac, "/spec/bastionSpec/azureBastion");
  if (bas && pip_row(b, S(bas, "/publicIP/name"), S(bas, "/publicIP/dnsName"), SM_ROLE_BASTION, NULL, false))
    return b->err->code;
  return 0;
}

static int natgw_rows(bld *b) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(b->ac, "/spec/networkSpec/subnets")) {
    const char *name = S(sn, "/natGateway/name"), *ip = S(sn, "/natGateway/ip/name");
    if (!*name || !*ip || seen(b->t, "natgateways", name)) continue;
    char id[CAPZ_ARM_ROW_ID_MAX], pip[CAPZ_ARM_ROW_ID_MAX];
    capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/natGateways", name);
    capz_arm_res_id(pip, sizeof pip, b->ci->sub, b->ci->rg, NET "/publicIPAddresses", ip);
    cJSON *d = located(b);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", "Standard");
    cJSON *ips = cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "properties"), "publicIpAddresses");
    cJSON_AddItemToArray(ips, capz_arm_id_ref(pip));
    capz_arm_row *r = NULL;
    if (add(b, "natgateways", "NATGatewaysReady", id, d, OWN_NATGW, tags_for(b, name, NULL), &r)) return b->err->code;
    r->parent = b->vnet_row;
  }
  return 0;
}

static int subnet_row(bld *b, const cJSON *sn) {
  const char *name = S(sn, "/name");
  if (!*name) return capz_err_set(b->err, CAPZ_EINVAL, "spec.networkSpec.subnets: a subnet has no name");
  char id[CAPZ_ARM_ROW_ID_MAX], ref[CAPZ_ARM_ROW_ID_MAX];
  capz_fmt(id, sizeof id, "%s/subnets/%s", b->vnet_id, name);
  cJSON *d = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  const cJSON *cidrs = cJSON_GetObjectItem(sn, "cidrBlocks");
  if (cJSON_GetArraySize(cidrs) == 1 && cJSON_IsString(cJSON_GetArrayItem(cidrs, 0)))
    cJSON_AddStringToObject(p, "addressPrefix", cJSON_GetArrayItem(cidrs, 0)->valuestring);
  else cJSON_AddItemToObject(p, "addressPrefixes", cidrs ? cJSON_Duplicate(cidrs, 1) : cJSON_CreateArray());
  if (*S(sn, "/securityGroup/name")) {
    capz_arm_res_id(ref, sizeof ref, b->ci->sub, b->ci->rg, NET "/networkSecurityGroups", S(sn, "/securityGroup/name"));
    cJSON_AddItemToObject(p, "networkSecurityGroup", capz_arm_id_ref(ref));
  }
  if (*S(sn, "/routeTable/name")) {
    capz_arm_res_id(ref, sizeof ref, b->ci->sub, b->ci->rg, NET "/routeTables", S(sn, "/routeTable/name"));
    cJSON_AddItemToObject(p, "routeTable", capz_arm_id_ref(ref));
  }
  if (*S(sn, "/natGateway/name") && *S(sn, "/natGateway/ip/name")) {
    capz_arm_res_id(ref, sizeof ref, b->ci->sub, b->ci->rg, NET "/natGateways", S(sn, "/natGateway/name"));
    cJSON_AddItemToObject(p, "natGateway", capz_arm_id_ref(ref));
  }
  const cJSON *se;
  cJSON *ses = NULL;
  cJSON_ArrayForEach(se, cJSON_GetObjectItem(sn, "serviceEndpoints")) {
    if (!ses) ses = cJSON_AddArrayToObject(p, "serviceEndpoints");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "service", S(se, "/service"));
    cJSON_AddItemToArray(ses, o);
  }
  if (!strcmp(S(sn, "/role"), SM_SUBNET_ROLE_POD)) {
    cJSON *dl = cJSON_CreateObject();
    cJSON_AddStringToObject(dl, "name", "delegation");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(dl, "properties"), "serviceName", SM_POD_SUBNET_DELEGATION);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "delegations"), dl);
  }
  capz_arm_row *r = NULL;
  /* subnets carry no tags: they are ours when their VNet is */
  if (add(b, "subnets", "SubnetsReady", id, d, OWN_SUBNET, NULL, &r)) return b->err->code;
  r->ownership = false;
  r->parent = b->vnet_row;
  return 0;
}

static int subnet_rows(bld *b) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(b->ac, "/spec/networkSpec/subnets"))
    if (subnet_row(b, sn)) return b->err->code;
  /* the bastion's subnet lives in bastionSpec, not in networkSpec.subnets */
  const cJSON *bs = capz_json_ptr_get(b->ac, "/spec/bastionSpec/azureBastion/subnet");
  if (bs && *S(bs, "/name") && !seen(b->t, "subnets", S(bs, "/name")) && subnet_row(b, bs)) return b->err->code;
  return 0;
}

static cJSON *child_ref(const char *lb_id, const char *member, const char *name) {
  char id[CAPZ_ARM_ROW_ID_MAX + 160];
  snprintf(id, sizeof id, "%s/%s/%s", lb_id, member, name);
  return capz_arm_id_ref(id);
}

static const char *subnet_of_role(const cJSON *ac, const char *role) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(ac, "/spec/networkSpec/subnets"))
    if (!strcmp(S(sn, "/role"), role)) return S(sn, "/name");
  return "";
}

static int lb_row(bld *b, const cJSON *lb, const char *role, bool api) {
  const char *name = S(lb, "/name");
  if (!*name) return 0;
  char id[CAPZ_ARM_ROW_ID_MAX];
  capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/loadBalancers", name);
  cJSON *d = located(b);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", *S(lb, "/sku") ? S(lb, "/sku") : "Standard");
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON *fes = cJSON_AddArrayToObject(p, "frontendIPConfigurations");
  const cJSON *fe;
  const char *first_fe = NULL;
  cJSON_ArrayForEach(fe, cJSON_GetObjectItem(lb, "frontendIPs")) {
    if (!first_fe) first_fe = S(fe, "/name");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", S(fe, "/name"));
    cJSON *fp = cJSON_AddObjectToObject(o, "properties");
    char ref[CAPZ_ARM_ROW_ID_MAX];
    if (*S(fe, "/publicIP/name")) {
      capz_arm_res_id(ref, sizeof ref, b->ci->sub, b->ci->rg, NET "/publicIPAddresses", S(fe, "/publicIP/name"));
      cJSON_AddItemToObject(fp, "publicIPAddress", capz_arm_id_ref(ref));
    } else {
      cJSON_AddStringToObject(fp, "privateIPAllocationMethod", "Static");
      cJSON_AddStringToObject(fp, "privateIPAddress", S(fe, "/privateIP"));
      capz_fmt(ref, sizeof ref, "%s/subnets/%s", b->vnet_id, subnet_of_role(b->ac, SM_SUBNET_ROLE_CONTROLPLANE));
      cJSON_AddItemToObject(fp, "subnet", capz_arm_id_ref(ref));
    }
    cJSON_AddItemToArray(fes, o);
  }
  const char *pool = S(lb, "/backendPool/name");
  cJSON *pools = cJSON_AddArrayToObject(p, "backendAddressPools");
  if (*pool) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", pool);
    cJSON_AddItemToArray(pools, o);
  }
  int idle = (int)capz_json_ptr_int(lb, "/idleTimeoutInMinutes", 4);
  if (api && first_fe && *pool) {
    cJSON *probe = cJSON_CreateObject();
    cJSON_AddStringToObject(probe, "name", "HTTPSProbe");
    cJSON *pp = cJSON_AddObjectToObject(probe, "properties");
    cJSON_AddStringToObject(pp, "protocol", "Https");
    cJSON_AddNumberToObject(pp, "port", b->ci->api_port);
    cJSON_AddStringToObject(pp, "requestPath", "/readyz");
    cJSON_AddNumberToObject(pp, "intervalInSeconds", 15);
    cJSON_AddNumberToObject(pp, "numberOfProbes", 4);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "probes"), probe);
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "name", "LBRuleHTTPS");
    cJSON *rp = cJSON_AddObjectToObject(rule, "properties");
    cJSON_AddStringToObject(rp, "protocol", "Tcp");
    cJSON_AddNumberToObject(rp, "frontendPort", b->ci->api_port);
    cJSON_AddNumberToObject(rp, "backendPort", b->ci->api_port);
    cJSON_AddNumberToObject(rp, "idleTimeoutInMinutes", idle);
    cJSON_AddBoolToObject(rp, "enableFloatingIP", false);
    cJSON_AddStringToObject(rp, "loadDistribution", "Default");
    cJSON_AddBoolToObject(rp, "disableOutboundSnat", true);
    cJSON_AddItemToObject(rp, "frontendIPConfiguration", child_ref(id, "frontendIPConfigurations", first_fe));
    cJSON_AddItemToObject(rp, "backendAddressPool", child_ref(id, "backendAddressPools", pool));
    cJSON_AddItemToObject(rp, "probe", child_ref(id, "probes", "HTTPSProbe"));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "loadBalancingRules"), rule);
  } else if (!api && first_fe && *pool) {
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "name", "OutboundNATAllProtocols");
    cJSON *rp = cJSON_AddObjectToObject(rule, "properties");
    cJSON_AddStringToObject(rp, "protocol", "All");
    cJSON_AddNumberToObject(rp, "idleTimeoutInMinutes", idle);
    cJSON *fr = cJSON_AddArrayToObject(rp, "frontendIPConfigurations");
    cJSON_ArrayForEach(fe, cJSON_GetObjectItem(lb, "frontendIPs"))
      cJSON_AddItemToArray(fr, child_ref(id, "frontendIPConfigurations", S(fe, "/name")));
    cJSON_AddItemToObject(rp, "backendAddressPool", child_ref(id, "backendAddressPools", pool));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "outboundRules"), rule);
  }
  capz_arm_row *row = NULL;
  int rc = add(b, "loadbalancers", "LoadBalancersReady", id, d, OWN_LB, tags_for(b, name, role), &row);
  /* control planes' SSH rules are inboundNatRules children: a drift PUT of the LB must carry them */
  static const char *const KEEP_LB[] = {"/properties/inboundNatRules", NULL};
  if (!rc && capz_arm_row_set_keep_live(row, KEEP_LB)) rc = capz_err_set(b->err, CAPZ_ENOMEM, "out of memory");
  return rc;
}

static int lb_rows(bld *b) {
  const cJSON *api = capz_json_ptr_get(b->ac, "/spec/networkSpec/apiServerLB");
  if (api && capz_json_ptr_bool(b->ac, "/spec/controlPlaneEnabled", true) &&
      lb_row(b, api, lb_public(api) ? SM_ROLE_APISERVER : SM_ROLE_APISERVER_INTERNAL, true))
    return b->err->code;
  const cJSON *n = capz_json_ptr_get(b->ac, "/spec/networkSpec/nodeOutboundLB");
  if (n && lb_row(b, n, SM_ROLE_NODE_OUTBOUND, false)) return b->err->code;
  const cJSON *c = capz_json_ptr_get(b->ac, "/spec/networkSpec/controlPlaneOutboundLB");
  if (c && lb_row(b, c, SM_ROLE_CONTROLPLANE_OUTBOUND, false)) return b->err->code;
  return 0;
}

static int privdns_rows(bld *b) {
  const cJSON *api = capz_json_ptr_get(b->ac, "/spec/networkSpec/apiServerLB");
  if (!api || lb_public(api) || !strcasecmp(S(b->ac, "/spec/networkSpec/privateDNSZone"), "None")) return 0;
  char zone[256];
  if (*S(b->ac, "/spec/networkSpec/privateDNSZoneName"))
    snprintf(zone, sizeof zone, "%s", S(b->ac, "/spec/networkSpec/privateDNSZoneName"));
  else if (sm_name(SM_NAME_PRIVATE_DNS_ZONE, b->ci->name, zone, sizeof zone))
    return capz_err_set(b->err, CAPZ_EINVAL, "cannot name the private DNS zone");
  const char *zrg = *S(b->ac, "/spec/networkSpec/privateDNSZoneResourceGroup")
                        ? S(b->ac, "/spec/networkSpec/privateDNSZoneResourceGroup")
                        : b->ci->rg;
  char zid[CAPZ_ARM_ROW_ID_MAX], id[CAPZ_ARM_ROW_ID_MAX + 200], link[160];
  capz_arm_res_id(zid, sizeof zid, b->ci->sub, zrg, NET "/privateDnsZones", zone);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", "global");
  if (add(b, "privatedns", "PrivateDNSZoneReady", zid, d, NULL, tags_for(b, zone, NULL), NULL)) return b->err->code;
  sm_name(SM_NAME_VNET_LINK, b->vnet_name, link, sizeof link);
  snprintf(id, sizeof id, "%s/virtualNetworkLinks/%s", zid, link);
  d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", "global");
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddItemToObject(p, "virtualNetwork", capz_arm_id_ref(b->vnet_id));
  cJSON_AddBoolToObject(p, "registrationEnabled", false);
  if (add(b, "privatedns", "PrivateDNSLinkReady", id, d, OWN_PDNS_LINK, tags_for(b, link, NULL), NULL))
    return b->err->code;
  /* peered VNets resolve the API server too (CAPZ links the zone to them) */
  const cJSON *pe;
  cJSON_ArrayForEach(pe, capz_json_ptr_get(b->ac, "/spec/networkSpec/vnet/peerings")) {
    const char *remote = S(pe, "/remoteVnetName");
    if (!*remote) continue;
    char rid[CAPZ_ARM_ROW_ID_MAX], rlink[160];
    capz_arm_res_id(rid, sizeof rid, b->ci->sub, *S(pe, "/resourceGroup") ? S(pe, "/resourceGroup") : b->ci->rg,
              NET "/virtualNetworks", remote);
    sm_name(SM_NAME_VNET_LINK, remote, rlink, sizeof rlink);
    capz_fmt(id, sizeof id, "%s/virtualNetworkLinks/%s", zid, rlink);
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", "global");
    p = cJSON_AddObjectToObject(d, "properties");
    cJSON_AddItemToObject(p, "virtualNetwork", capz_arm_id_ref(rid));
    cJSON_AddBoolToObject(p, "registrationEnabled", false);
    if (add(b, "privatedns", "PrivateDNSLinkReady", id, d, OWN_PDNS_LINK, tags_for(b, rlink, NULL), NULL))
      return b->err->code;
  }
  snprintf(id, sizeof id, "%s/A/apiserver", zid);
  d = cJSON_CreateObject();
  p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddNumberToObject(p, "ttl", 300);
  cJSON *a = cJSON_CreateObject();
  const char *ip = capz_json_ptr_str(api, "/frontendIPs/0/privateIP", "");
  cJSON_AddStringToObject(a, "ipv4Address", ip);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "aRecords"), a);
  capz_arm_row *r = NULL;
  if (add(b, "privatedns", "PrivateDNSRecordReady", id, d, OWN_PDNS_A, NULL, &r)) return b->err->code;
  r->ownership = false; /* records carry no tags; they live in the zone we own */
  return 0;
}

static cJSON *peering_body(const char *remote_id, const cJSON *props) {
  cJSON *d = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddItemToObject(p, "remoteVirtualNetwork", capz_arm_id_ref(remote_id));
  static const char *const flags[] = {"allowForwardedTraffic", "allowGatewayTransit", "allowVirtualNetworkAccess",
                                      "useRemoteGateways", NULL};
  for (int i = 0; flags[i]; i++) {
    const cJSON *v = cJSON_GetObjectItem(props, flags[i]);
    if (cJSON_IsBool(v)) cJSON_AddBoolToObject(p, flags[i], cJSON_IsTrue(v));
  }
  return d;
}

/* Forward (ours → remote) and reverse (remote → ours) peerings; children of VNets, so no tags. */
static int peering_rows(bld *b) {
  const cJSON *pe;
  cJSON_ArrayForEach(pe, capz_json_ptr_get(b->ac, "/spec/networkSpec/vnet/peerings")) {
    const char *remote = S(pe, "/remoteVnetName");
    const char *rrg = *S(pe, "/resourceGroup") ? S(pe, "/resourceGroup") : b->ci->rg;
    if (!*remote) return capz_err_set(b->err, CAPZ_EINVAL, "spec.networkSpec.vnet.peerings: remoteVnetName is required");
    char remote_id[CAPZ_ARM_ROW_ID_MAX], id[CAPZ_ARM_ROW_ID_MAX], name[300];
    capz_arm_res_id(remote_id, sizeof remote_id, b->ci->sub, rrg, NET "/virtualNetworks", remote);
    sm_name_vnet_peering(b->vnet_name, remote, name, sizeof name);
    capz_fmt(id, sizeof id, "%s/virtualNetworkPeerings/%s", b->vnet_id, name);
    capz_arm_row *r = NULL;
    if (add(b, "vnetpeerings", "VnetPeeringReady", id, peering_body(remote_id, cJSON_GetObjectItem(pe, "forwardPeeringProperties")),
            OWN_PEERING, NULL, &r))
      return b->err->code;
    r->ownership = false;
    sm_name_vnet_peering(remote, b->vnet_name, name, sizeof name);
    capz_fmt(id, sizeof id, "%s/virtualNetworkPeerings/%s", remote_id, name);
    if (add(b, "vnetpeerings", "VnetPeeringReady", id, peering_body(b->vnet_id, cJSON_GetObjectItem(pe, "reversePeeringProperties")),
            OWN_PEERING, NULL, &r))
      return b->err->code;
    r->ownership = false;
  }
  return 0;
}

static cJSON *pls_connections(const cJSON *pe) {
  cJSON *a = cJSON_CreateArray();
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(pe, "privateLinkServiceConnections")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", S(c, "/name"));
    cJSON *p = cJSON_AddObjectToObject(o, "properties");
    cJSON_AddStringToObject(p, "privateLinkServiceId", S(c, "/privateLinkServiceID"));
    const cJSON *g = cJSON_GetObjectItem(c, "groupIDs");
    if (cJSON_GetArraySize(g) > 0) cJSON_AddItemToObject(p, "groupIds", cJSON_Duplicate(g, 1));
    if (*S(c, "/requestMessage")) cJSON_AddStringToObject(p, "requestMessage", S(c, "/requestMessage"));
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

/* Private endpoints of the subnets (CAPZ privateendpoints, after private DNS): in the cluster's resource group,
 * attached to their subnet; connections go to manualPrivateLinkServiceConnections when manualApproval is set. */
static int pe_rows(bld *b) {
  const cJSON *sn, *pe;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(b->ac, "/spec/networkSpec/subnets")) {
    cJSON_ArrayForEach(pe, cJSON_GetObjectItem(sn, "privateEndpoints")) {
      const char *name = S(pe, "/name");
      if (!*name || seen(b->t, "privateendpoints", name)) continue;
      char id[CAPZ_ARM_ROW_ID_MAX], ref[CAPZ_ARM_ROW_ID_MAX];
      capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/privateEndpoints", name);
      cJSON *d = cJSON_CreateObject();
      /* CAPZ passes the endpoint's own location; an endpoint without one goes where the cluster is */
      cJSON_AddStringToObject(d, "location", *S(pe, "/location") ? S(pe, "/location") : b->ci->location);
      cJSON *p = cJSON_AddObjectToObject(d, "properties");
      capz_fmt(ref, sizeof ref, "%s/subnets/%s", b->vnet_id, S(sn, "/name"));
      cJSON_AddItemToObject(p, "subnet", capz_arm_id_ref(ref));
      if (*S(pe, "/customNetworkInterfaceName"))
        cJSON_AddStringToObject(p, "customNetworkInterfaceName", S(pe, "/customNetworkInterfaceName"));
      const cJSON *ip;
      cJSON *ipcs = NULL;
      cJSON_ArrayForEach(ip, cJSON_GetObjectItem(pe, "privateIPAddresses")) {
        if (!cJSON_IsString(ip)) continue;
        if (!ipcs) ipcs = cJSON_AddArrayToObject(p, "ipConfigurations");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "properties"), "privateIPAddress", ip->valuestring);
        cJSON_AddItemToArray(ipcs, o);
      }
      bool manual = capz_json_ptr_bool(pe, "/manualApproval", false);
      cJSON_AddItemToObject(p, manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections",
                            pls_connections(pe));
      cJSON_AddItemToObject(p, manual ? "privateLinkServiceConnections" : "manualPrivateLinkServiceConnections",
                            cJSON_CreateArray());
      cJSON *asgs = cJSON_AddArrayToObject(p, "applicationSecurityGroups");
      const cJSON *asg;
      cJSON_ArrayForEach(asg, cJSON_GetObjectItem(pe, "applicationSecurityGroups"))
        if (cJSON_IsString(asg)) cJSON_AddItemToArray(asgs, capz_arm_id_ref(asg->valuestring));
      if (add(b, "privateendpoints", "PrivateEndpointsReady", id, d, OWN_PE, tags_for(b, name, NULL), NULL))
        return b->err->code;
    }
  }
  return 0;
}

static int bastion_rows(bld *b) {
  const cJSON *bas = capz_json_ptr_get(b->ac, "/spec/bastionSpec/azureBastion");
  if (!bas || !*S(bas, "/name")) return 0;
  char id[CAPZ_ARM_ROW_ID_MAX], ref[CAPZ_ARM_ROW_ID_MAX];
  capz_arm_res_id(id, sizeof id, b->ci->sub, b->ci->rg, NET "/bastionHosts", S(bas, "/name"));
  cJSON *d = located(b);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", *S(bas, "/sku") ? S(bas, "/sku") : "Basic");
  cJSON *ipc = cJSON_CreateObject();
  cJSON_AddStringToObject(ipc, "name", "bastion-ipconfig");
  cJSON *p = cJSON_AddObjectToObject(ipc, "properties");
  capz_fmt(ref, sizeof ref, "%s/subnets/%s", b->vnet_id, *S(bas, "/subnet/name") ? S(bas, "/subnet/name") : "AzureBastionSubnet");
  cJSON_AddItemToObject(p, "subnet", capz_arm_id_ref(ref));
  capz_arm_res_id(ref, sizeof ref, b->ci->sub, b->ci->rg, NET "/publicIPAddresses", S(bas, "/publicIP/name"));
  cJSON_AddItemToObject(p, "publicIPAddress", capz_arm_id_ref(ref));
  cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(d, "properties"), "ipConfigurations"), ipc);
  return add(b, "bastionhosts", "BastionHostReady", id, d, OWN_BASTION, tags_for(b, S(bas, "/name"), SM_ROLE_BASTION),
             NULL);
}

int sm_cluster_table(const cJSON *ac, const sm_cluster_info *ci, capz_arm_table *t, capz_err *err) {
  bld b = {.ac = ac, .ci = ci, .t = t, .err = err, .vnet_row = -1};
  if (!*ci->rg || !*ci->sub || !*ci->location)
    return capz_err_set(err, CAPZ_EINVAL, "spec.resourceGroup, spec.subscriptionID and spec.location are required");
  int rc;
  if ((rc = rg_row(&b)) || (rc = vnet_row(&b)) || (rc = nsg_rows(&b)) || (rc = rt_rows(&b)) || (rc = pip_rows(&b)) ||
      (rc = natgw_rows(&b)) || (rc = subnet_rows(&b)) || (rc = peering_rows(&b)) || (rc = lb_rows(&b)) || (rc = privdns_rows(&b)) ||
      (rc = pe_rows(&b)) || (rc = bastion_rows(&b)))
    return rc;
  return 0;
}
