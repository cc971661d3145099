/* subnet_validate.c — VNet/subnet validation (CAPZ validateSubnets & co.), plus subnet CIDR overlap
 * and Azure name-rule checks beyond CAPZ. */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

/* CAPZ subnet/LB/private endpoint regex ^[-\w\._]+$. */
static bool word_dot_dash(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr("_.-", *s)) return false;
  return true;
}

bool sm_rg_name_ok(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr("_.-()", *s)) return false;
  return true;
}

void sm_vnet_cidrs_validate(const cJSON *cidrs, const char *path, sm_errors *errs) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cidrs) {
    const char *v = cJSON_IsString(c) ? c->valuestring : "";
    if (!sm_cidr_parse(v, NULL)) sm_err_invalid_s(errs, path, v, "invalid CIDR format");
  }
}

static void cidr_list_text(const cJSON *cidrs, char *buf, size_t n) {
  size_t len = (size_t)snprintf(buf, n, "[");
  const cJSON *c;
  cJSON_ArrayForEach(c, cidrs) {
    if (len < n) len += (size_t)snprintf(buf + len, n - len, "%s%s", c == cidrs->child ? "" : " ",
                                         cJSON_IsString(c) ? c->valuestring : "");
  }
  if (len < n) snprintf(buf + len, n - len, "]");
}

void sm_subnet_cidrs_validate(const cJSON *cidrs, const cJSON *vnet_cidrs, const char *path, sm_errors *errs) {
  const cJSON *c, *v;
  char list[512];
  cJSON_ArrayForEach(c, cidrs) {
    const char *s = cJSON_IsString(c) ? c->valuestring : "";
    sm_cidr net, addr;
    if (!sm_cidr_parse(s, &net)) {
      sm_err_invalid_s(errs, path, s, "invalid CIDR format");
      continue;
    }
    /* CAPZ checks the subnet's first address lies in a VNet range. */
    bool found = false;
    cJSON_ArrayForEach(v, vnet_cidrs) {
      sm_cidr vn;
      addr = net;
      addr.prefix = net.family == 4 ? 32 : 128;
      if (cJSON_IsString(v) && sm_cidr_parse(v->valuestring, &vn) && sm_cidr_contains(&vn, &addr)) found = true;
    }
    if (!found) {
      cidr_list_text(vnet_cidrs, list, sizeof list);
      sm_err_invalid_s(errs, path, s, "subnet CIDR not in vnet address space: %s", list);
    }
  }
}

/* Azure rejects overlapping subnets in one VNet (NetcfgSubnetRangesOverlap); report it early. */
void sm_subnet_overlaps_validate(const cJSON *subnets, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  int i = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    int j = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, subnets) {
      if (j >= i) break;
      const cJSON *a, *b;
      cJSON_ArrayForEach(a, sm_child(s, "cidrBlocks")) {
        cJSON_ArrayForEach(b, sm_child(t, "cidrBlocks")) {
          sm_cidr x, y;
          if (cJSON_IsString(a) && cJSON_IsString(b) && sm_cidr_parse(a->valuestring, &x) &&
              sm_cidr_parse(b->valuestring, &y) && sm_cidr_overlaps(&x, &y)) {
            sm_path(p, "%s[%d].cidrBlocks", path, i);
            sm_err_invalid_s(errs, p, a->valuestring, "overlaps %s of subnet %s (subnets[%d])", b->valuestring,
                             sm_str0(t, "name"), j);
          }
        }
      }
      j++;
    }
    i++;
  }
}

static void security_rule_validate(const cJSON *rule, const char *path, sm_errors *errs) {
  double prio = 0;
  sm_num(rule, "priority", &prio);
  if (prio < 100 || prio > 4096)
    sm_err_invalid_n(errs, path, prio, "security rule priorities should be between 100 and 4096");
  if (sm_present(rule, "source") && sm_present(rule, "sources"))
    sm_err_invalid_j(errs, path, sm_child(rule, "source"), "security rule cannot have both source and sources");
}

static bool service_name_ok(const char *s) {
  /* ^Microsoft\.[a-zA-Z]{1,42}[a-zA-Z0-9]{0,42}$ */
  if (strncmp(s, "Microsoft.", 10) != 0) return false;
  s += 10;
  size_t alpha = 0, alnum = 0;
  while (isalpha((unsigned char)s[alpha]) && alpha < 42) alpha++;
  if (alpha == 0) return false;
  s += alpha;
  while (isalnum((unsigned char)s[alnum])) alnum++;
  return s[alnum] == '\0' && alnum <= 42;
}

static bool location_name_ok(const char *s) {
  /* ^([a-z]{1,42}\d{0,5}|[*])$ */
  if (strcmp(s, "*") == 0) return true;
  size_t a = 0, d = 0;
  while (islower((unsigned char)s[a])) a++;
  while (isdigit((unsigned char)s[a + d])) d++;
  return a >= 1 && a <= 42 && d <= 5 && s[a + d] == '\0';
}

static void service_endpoints_validate(const cJSON *ses, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  int i = 0;
  const cJSON *se;
  cJSON_ArrayForEach(se, ses) {
    const char *svc = sm_str0(se, "service");
    sm_path(p, "%s[%d].service", path, i);
    if (!*svc) {
      sm_err_required(errs, p, "service is required for all service endpoints");
    } else {
      if (!service_name_ok(svc))
        sm_err_invalid_s(errs, p, svc,
                         "service name of endpoint service doesn't match regex ^Microsoft\\.[a-zA-Z]{1,42}[a-zA-Z0-9]{0,42}$");
      for (const cJSON *o = ses->child; o != se; o = o->next)
        if (strcmp(sm_str0(o, "service"), svc) == 0) {
          sm_err_duplicate_s(errs, p, svc);
          break;
        }
    }
    const cJSON *locs = sm_child(se, "locations");
    if (sm_len(se, "locations") == 0) {
      sm_path(p, "%s[%d].locations", path, i);
      sm_err_required(errs, p, "locations are required for all service endpoints");
    }
    int j = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, locs) {
      const char *ln = cJSON_IsString(l) ? l->valuestring : "";
      sm_path(p, "%s[%d].locations[%d]", path, i, j);
      if (!location_name_ok(ln)) sm_err_invalid_s(errs, p, ln, "location doesn't match regex ^([a-z]{1,42}\\d{0,5}|[*])$");
      for (const cJSON *o = locs->child; o != l; o = o->next)
        if (cJSON_IsString(o) && strcmp(o->valuestring, ln) == 0) {
          sm_err_duplicate_s(errs, p, ln);
          break;
        }
      j++;
    }
    i++;
  }
}

/* CAPZ resourceIDPattern (unanchored, case-insensitive). */
static bool link_service_id_ok(const char *id) {
  regex_t re;
  if (regcomp(&re, "subscriptions/.+/resourceGroups/.+/providers/.+/.+/.+", REG_EXTENDED | REG_ICASE | REG_NOSUB))
    return false;
  bool ok = regexec(&re, id, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

static void private_endpoints_validate(const cJSON *pes, const cJSON *subnet_cidrs, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  int i = 0;
  const cJSON *pe;
  cJSON_ArrayForEach(pe, pes) {
    const char *name = sm_str0(pe, "name");
    sm_path(p, "%s[%d].name", path, i);
    if (!*name) sm_err_invalid_s(errs, p, name, "name of private endpoint cannot be empty");
    else if (!word_dot_dash(name)) sm_err_invalid_s(errs, p, name, "name of private endpoint doesn't match regex ^[-\\w\\._]+$");
    if (sm_len(pe, "privateLinkServiceConnections") == 0) {
      sm_path(p, "%s[%d]", path, i);
      sm_err_invalid_j(errs, p, sm_child(pe, "privateLinkServiceConnections"), "privateLinkServiceConnections cannot be empty");
    }
    int j = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, sm_child(pe, "privateLinkServiceConnections")) {
      const char *id = sm_str0(c, "privateLinkServiceID");
      sm_path(p, "%s[%d].privateLinkServiceConnections[%d]", path, i, j);
      if (!*id)
        sm_err_required(errs, p, "privateLinkServiceID is required for all privateLinkServiceConnections in private endpoints");
      else if (!link_service_id_ok(id))
        sm_err_invalid_s(errs, p, id, "private endpoint privateLinkServiceConnection service ID doesn't match regex "
                                      "(?i)subscriptions/(.+)/resourceGroups/(.+)/providers/(.+?)/(.+?)/(.+)");
      else if (!sm_str_empty(c, "name") && !word_dot_dash(sm_str(c, "name")))
        sm_err_invalid_s(errs, p, sm_str(c, "name"),
                         "private endpoint privateLinkServiceConnection name doesn't match regex ^[-\\w\\._]+$");
      j++;
    }
    const cJSON *ip;
    cJSON_ArrayForEach(ip, sm_child(pe, "privateIPAddresses")) {
      const char *a = cJSON_IsString(ip) ? ip->valuestring : "";
      sm_cidr addr;
      sm_path(p, "%s[%d].privateIPAddresses", path, i);
      if (!sm_ip_parse(a, &addr)) {
        sm_err_invalid_s(errs, p, a, "Private Endpoint IP address isn't a valid IPv4 or IPv6 address");
        continue;
      }
      bool in = false;
      const cJSON *cidr;
      cJSON_ArrayForEach(cidr, subnet_cidrs) {
        sm_cidr net;
        if (cJSON_IsString(cidr) && sm_cidr_parse(cidr->valuestring, &net) && sm_cidr_contains(&net, &addr)) in = true;
      }
      if (!in) {
        char list[512];
        cidr_list_text(subnet_cidrs, list, sizeof list);
        sm_err_invalid_s(errs, p, a, "Private Endpoint IP address needs to be in subnet range (%s)", list);
      }
    }
    i++;
  }
}

static bool known_role(const char *role) {
  return strcmp(role, SM_SUBNET_ROLE_NODE) == 0 || strcmp(role, SM_SUBNET_ROLE_CONTROLPLANE) == 0 ||
         strcmp(role, SM_SUBNET_ROLE_BASTION) == 0 || strcmp(role, SM_SUBNET_ROLE_CLUSTER) == 0 ||
         strcmp(role, SM_SUBNET_ROLE_POD) == 0;
}

void sm_subnets_validate(const cJSON *subnets, const cJSON *vnet_cidrs, bool cp_enabled, bool is_template,
                         const char *path, sm_errors *errs) {
  static const char *const roles[] = {SM_SUBNET_ROLE_NODE, SM_SUBNET_ROLE_CONTROLPLANE, SM_SUBNET_ROLE_BASTION,
                                      SM_SUBNET_ROLE_CLUSTER, SM_SUBNET_ROLE_POD, NULL};
  char p[SM_PATH_MAX];
  bool has_node = false, has_cp = false, has_cluster = false;
  int i = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    const char *name = sm_str0(s, "name"), *role = sm_str0(s, "role");
    sm_path(p, "%s[%d].name", path, i);
    const char *why = NULL;
    if (!word_dot_dash(name)) sm_err_invalid_s(errs, p, name, "name of subnet doesn't match regex ^[-\\w\\._]+$");
    else if ((why = sm_azure_name_problem(SM_RES_SUBNET, name))) sm_err_invalid_s(errs, p, name, "subnet name %s", why);
    for (const cJSON *o = subnets->child; o != s; o = o->next)
      if (strcmp(sm_str0(o, "name"), name) == 0) {
        sm_err_duplicate_s(errs, path, name);
        break;
      }
    sm_path(p, "%s[%d].role", path, i);
    if (!known_role(role)) sm_err_not_supported(errs, p, role, roles);
    has_node |= strcmp(role, SM_SUBNET_ROLE_NODE) == 0;
    has_cp |= strcmp(role, SM_SUBNET_ROLE_CONTROLPLANE) == 0;
    has_cluster |= strcmp(role, SM_SUBNET_ROLE_CLUSTER) == 0;
    int j = 0;
    const cJSON *rule;
    cJSON_ArrayForEach(rule, sm_at(s, "securityGroup.securityRules")) {
      sm_path(p, "%s[%d].securityGroup.securityRules[%d]", path, i, j++);
      security_rule_validate(rule, p, errs);
    }
    static const struct {
      const char *obj;
      sm_azure_resource kind;
    } named[] = {{"securityGroup", SM_RES_NSG}, {"routeTable", SM_RES_ROUTE_TABLE}, {"natGateway", SM_RES_NAT_GATEWAY}};
    for (size_t k = 0; !is_template && k < 3; k++) {
      const char *n = sm_str0(sm_child(s, named[k].obj), "name");
      if (*n && (why = sm_azure_name_problem(named[k].kind, n))) {
        sm_path(p, "%s[%d].%s.name", path, i, named[k].obj);
        sm_err_invalid_s(errs, p, n, "%s name %s", named[k].obj, why);
      }
    }
    sm_path(p, "%s[%d].securityGroup.tags", path, i);
    sm_tags_validate(sm_at(s, "securityGroup.tags"), p, errs);
    sm_path(p, "%s[%d].cidrBlocks", path, i);
    sm_subnet_cidrs_validate(sm_child(s, "cidrBlocks"), vnet_cidrs, p, errs);
    if (!is_template && sm_len(s, "serviceEndpoints") > 0) {
      sm_path(p, "%s[%d].serviceEndpoints", path, i);
      service_endpoints_validate(sm_child(s, "serviceEndpoints"), p, errs);
    }
    if (!is_template && sm_len(s, "privateEndpoints") > 0) {
      sm_path(p, "%s[%d].privateEndpoints", path, i);
      private_endpoints_validate(sm_child(s, "privateEndpoints"), sm_child(s, "cidrBlocks"), p, errs);
    }
    i++;
  }
  sm_subnet_overlaps_validate(subnets, path, errs);
  /* A cluster subnet serves both control plane and nodes (not for templates in CAPZ). */
  if (has_cluster && !is_template) return;
  if (!has_node) sm_err_required(errs, path, "required role node not included in provided subnets");
  if ((cp_enabled || is_template) && !has_cp)
    sm_err_required(errs, path, "required role control-plane not included in provided subnets");
}
