/* rt_privdns.c — privateDnsZones (global), virtualNetworkLinks and record sets (A, AAAA, CNAME, MX, PTR, SRV,
 * TXT). Zones and links honour If-Match / If-None-Match; record sets are synchronous. */
#include "rt_common.h"

#include <arpa/inet.h>
#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int global_loc(cJSON *doc, arm_err *e) {
  const char *l = arm_jstr(doc, "location");
  if (l && strcasecmp(l, "global") != 0)
    return arm_err_set(e, 400, "InvalidLocation", "Private DNS resources must use location 'global', not '%s'.", l);
  arm_jset(doc, "location", cJSON_CreateString("global"));
  return 0;
}

static int zone_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)old;
  const char *n = arm_id_name(id);
  if (!strchr(n, '.')) return arm_err_set(e, 400, "BadRequest", "The zone name '%s' must have at least two labels.", n);
  return global_loc(doc, e);
}

static int zone_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  rt_default(r->doc, "maxNumberOfRecordSets", cJSON_CreateNumber(25000));
  rt_default(r->doc, "maxNumberOfVirtualNetworkLinks", cJSON_CreateNumber(1000));
  rt_default(r->doc, "maxNumberOfVirtualNetworkLinksWithRegistration", cJSON_CreateNumber(100));
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "internalId", cJSON_CreateString(u));
  rt_keep(r->doc, old, "/properties/internalId");
  return 0;
}

static void zone_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  size_t kl = strlen(r->key);
  int records = 1, links = 0, reg = 0; /* the SOA record always exists */
  for (arm_res *x = arm_store_first(c->store); x; x = x->next) {
    if (strncmp(x->key, r->key, kl) != 0 || x->key[kl] != '/') continue;
    if (strstr(x->rt->type, "virtualNetworkLinks")) {
      links++;
      reg += capz_json_ptr_bool(x->doc, "/properties/registrationEnabled", false);
    } else {
      records++;
    }
  }
  cJSON *p = arm_props(out);
  arm_jset(p, "numberOfRecordSets", cJSON_CreateNumber(records));
  arm_jset(p, "numberOfVirtualNetworkLinks", cJSON_CreateNumber(links));
  arm_jset(p, "numberOfVirtualNetworkLinksWithRegistration", cJSON_CreateNumber(reg));
}

const arm_rtype rt_private_dns_zone = {
    .type = "Microsoft.Network/privateDnsZones",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS,
    .create_state = "Updating",
    .validate = zone_validate,
    .fill = zone_fill,
    .render = zone_render,
};

static const char *const link_immutable[] = {"/properties/virtualNetwork/id", NULL};

static int link_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  if (global_loc(doc, e)) return -1;
  const char *v = capz_json_ptr_str(doc, "/properties/virtualNetwork/id", NULL);
  if (!v) return arm_err_set(e, 400, "BadRequest", "properties.virtualNetwork.id is required.");
  if (arm_check_ref_id(c, v, "Microsoft.Network/virtualNetworks", "virtualNetworkLink", e)) return -1;
  char zone[ARM_ID_MAX];
  arm_id_parent(id, zone, sizeof zone);
  size_t zl = strlen(zone);
  for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find("Microsoft.Network/privateDnsZones/virtualNetworkLinks")); x; x = x->tnext)
    if (strncasecmp(x->id, zone, zl) == 0 && strcasecmp(x->id, id) != 0 &&
        arm_ieq(capz_json_ptr_str(x->doc, "/properties/virtualNetwork/id", ""), v))
      return arm_err_set(e, 409, "Conflict", "A virtual network link to %s already exists in zone %s (%s).", v,
                         arm_id_name(zone), arm_id_name(x->id));
  return 0;
}

static int link_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  rt_default(r->doc, "registrationEnabled", cJSON_CreateFalse());
  rt_default(r->doc, "resolutionPolicy", cJSON_CreateString("Default"));
  arm_jset(arm_props(r->doc), "virtualNetworkLinkState", cJSON_CreateString("InProgress"));
  return 0;
}

static void link_ready(arm_ctx *c, arm_res *r) {
  (void)c;
  arm_jset(arm_props(r->doc), "virtualNetworkLinkState", cJSON_CreateString("Completed"));
}

const arm_rtype rt_private_dns_link = {
    .type = "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS,
    .immutable = link_immutable,
    .create_state = "Updating",
    .validate = link_validate,
    .fill = link_fill,
    .on_ready = link_ready,
};

/* ---------------------------------------------------------------- record sets */

static int rec_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)old;
  int64_t ttl = capz_json_ptr_int(doc, "/properties/ttl", 3600);
  if (ttl < 0 || ttl > 2147483647) return arm_err_set(e, 400, "BadRequest", "ttl must be between 0 and 2147483647.");
  char zone[ARM_ID_MAX];
  arm_id_parent(id, zone, sizeof zone);
  const char *type = strrchr(zone, '/'); /* not the type: compute from id */
  (void)type;
  const char *t = id + strlen(zone) + 1; /* "{type}/{name}" */
  if (strncasecmp(t, "A/", 2) == 0) {
    const cJSON *a;
    cJSON_ArrayForEach(a, capz_json_ptr_get(doc, "/properties/aRecords")) {
      const char *ip = arm_jstr(a, "ipv4Address");
      struct in_addr ia;
      if (!ip || inet_pton(AF_INET, ip, &ia) != 1)
        return arm_err_set(e, 400, "BadRequest", "aRecords[].ipv4Address '%s' is not a valid IPv4 address.", ip ? ip : "");
    }
  }
  if (strncasecmp(t, "CNAME/", 6) == 0 && !capz_json_ptr_str(doc, "/properties/cnameRecord/cname", NULL))
    return arm_err_set(e, 400, "BadRequest", "A CNAME record set needs properties.cnameRecord.cname.");
  return 0;
}

static int rec_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  char zone[ARM_ID_MAX], fqdn[512];
  arm_id_parent(r->id, zone, sizeof zone);
  const char *name = arm_id_name(r->id);
  if (strcmp(name, "@") == 0) snprintf(fqdn, sizeof fqdn, "%s.", arm_id_name(zone));
  else snprintf(fqdn, sizeof fqdn, "%s.%s.", name, arm_id_name(zone));
  arm_jset(arm_props(r->doc), "fqdn", cJSON_CreateString(fqdn));
  rt_default(r->doc, "ttl", cJSON_CreateNumber(3600));
  arm_jset(arm_props(r->doc), "isAutoRegistered", cJSON_CreateFalse());
  return 0;
}

#define RECORD(var, t)                                                                      \
  const arm_rtype var = {.type = "Microsoft.Network/privateDnsZones/" t,                   \
                         .lro = ARM_LRO_SYNC,                                               \
                         .flags = ARM_RT_ETAG_HEADERS,                                      \
                         .validate = rec_validate,                                          \
                         .fill = rec_fill};
RECORD(rt_dns_a, "A")
RECORD(rt_dns_aaaa, "AAAA")
RECORD(rt_dns_cname, "CNAME")
RECORD(rt_dns_mx, "MX")
RECORD(rt_dns_ptr, "PTR")
RECORD(rt_dns_srv, "SRV")
RECORD(rt_dns_txt, "TXT")
