/* cluster_lb_validate.c — AzureCluster load balancer instance rules (names, frontends, private IPs). */
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

#define MAX_OUTBOUND_IPS 16

static void lb_name(const cJSON *lb, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const char *name = sm_str0(lb, "name"), *why;
  sm_path(p, "%s.name", path);
  bool regex_ok = *name != '\0';
  for (const char *c = name; *c; c++)
    if (!(((*c | 32) >= 'a' && (*c | 32) <= 'z') || (*c >= '0' && *c <= '9') || strchr("_.-", *c))) regex_ok = false;
  if (!regex_ok) sm_err_invalid_s(errs, p, name, "name of load balancer doesn't match regex ^[-\\w\\._]+$");
  else if ((why = sm_azure_name_problem(SM_RES_LOAD_BALANCER, name)))
    sm_err_invalid_s(errs, p, name, "load balancer name %s", why);
}

static void internal_ip(const char *ip, const cJSON *cidrs, const char *path, sm_errors *errs) {
  sm_cidr addr;
  if (!sm_ip_parse(ip, &addr)) {
    sm_err_invalid_s(errs, path, ip, "Internal LB IP address isn't a valid IPv4 or IPv6 address");
    return;
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, cidrs) {
    sm_cidr net;
    if (cJSON_IsString(c) && sm_cidr_parse(c->valuestring, &net) && sm_cidr_contains(&net, &addr)) return;
  }
  char list[512];
  size_t len = (size_t)snprintf(list, sizeof list, "[");
  cJSON_ArrayForEach(c, cidrs) {
    if (len < sizeof list)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", c == cidrs->child ? "" : " ",
                              cJSON_IsString(c) ? c->valuestring : "");
  }
  if (len < sizeof list) snprintf(list + len, sizeof list - len, "]");
  sm_err_invalid_s(errs, path, ip, "Internal LB IP address needs to be in control plane subnet range (%s)", list);
}

static const char *first_private_ip(const cJSON *lb, int *index) {
  int i = 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, sm_child(lb, "frontendIPs")) {
    if (!sm_str_empty(f, "privateIP")) {
      if (index) *index = i;
      return sm_str(f, "privateIP");
    }
    i++;
  }
  return NULL;
}

static void private_ip_unchanged(const cJSON *lb, const cJSON *old, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  int idx = 0;
  const char *was = old ? first_private_ip(old, NULL) : NULL, *now = first_private_ip(lb, &idx);
  if (!was || !now || strcmp(was, now) == 0) return;
  sm_path(p, "%s.frontendIPs[%d].privateIP", path, idx);
  sm_err_forbidden(errs, p, "API Server load balancer private IP should not be modified after AzureCluster creation.");
}

void sm_cluster_apiserver_lb_validate(const cJSON *lb, const cJSON *old, const cJSON *cp_cidrs,
                                      const sm_feature_gates *gates, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  sm_lb_apiserver_class_validate(lb, old, path, errs);
  lb_name(lb, path, errs);
  if (!sm_str_empty(old, "name") && !sm_str_eq(old, "name", sm_str0(lb, "name"))) {
    sm_path(p, "%s.name", path);
    sm_err_forbidden(errs, p, "API Server load balancer name should not be modified after AzureCluster creation.");
  }
  int pub = 0, priv = 0;
  const char *private_ip = "";
  const cJSON *f;
  cJSON_ArrayForEach(f, sm_child(lb, "frontendIPs")) {
    if (sm_present(f, "publicIP")) pub++;
    if (!sm_str_empty(f, "privateIP")) priv++, private_ip = sm_str(f, "privateIP");
  }
  double count = 1;
  sm_num(lb, "frontendIPsCount", &count);
  sm_path(p, "%s.frontendIPs", path);
  if (sm_str_eq(lb, "type", "Public")) {
    if (pub != 1 || count != 1)
      sm_err_invalid_j(errs, p, sm_child(lb, "frontendIPs"), "API Server Load balancer should have 1 Frontend IP");
    sm_path(p, "%s.frontendIPs[0].privateIP", path);
    if (gates && gates->apiserver_ilb) {
      internal_ip(private_ip, cp_cidrs, p, errs);
      private_ip_unchanged(lb, old, path, errs);
    } else if (priv > 0) {
      sm_err_forbidden(errs, p, "Public Load Balancers cannot have a Private IP");
    }
  } else if (sm_str_eq(lb, "type", "Internal")) {
    if (pub != 0) {
      sm_path(p, "%s.frontendIPs[0].publicIP", path);
      sm_err_forbidden(errs, p, "Internal Load Balancers cannot have a Public IP");
    }
    if (priv != 1) {
      sm_err_invalid_j(errs, p, sm_child(lb, "frontendIPs"),
                       "API Server Load balancer of type private should have 1 frontend private IP");
    } else {
      sm_path(p, "%s.frontendIPs[0].privateIP", path);
      internal_ip(sm_str0(cJSON_GetArrayItem(sm_child(lb, "frontendIPs"), 0), "privateIP"), cp_cidrs, p, errs);
      private_ip_unchanged(lb, old, path, errs);
    }
  }
}

static void count_limit(const cJSON *lb, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  double count;
  if (sm_num(lb, "frontendIPsCount", &count) && count > MAX_OUTBOUND_IPS) {
    sm_path(p, "%s.frontendIPsCount", path);
    sm_err_invalid_n(errs, p, count, "Max front end ips allowed is %d", MAX_OUTBOUND_IPS);
  }
}

void sm_cluster_node_outbound_lb_validate(const cJSON *lb, const cJSON *old, const cJSON *apiserver_lb,
                                          const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  sm_lb_node_outbound_class_validate(lb, old, apiserver_lb, path, errs);
  if (!cJSON_IsObject(lb)) return;
  if (cJSON_IsObject(old)) {
    sm_path(p, "%s.id", path);
    if (!sm_field_equal(old, lb, "id", true))
      sm_err_forbidden(errs, p, "Node outbound load balancer ID should not be modified after AzureCluster creation.");
    sm_path(p, "%s.name", path);
    if (!sm_field_equal(old, lb, "name", true))
      sm_err_forbidden(errs, p, "Node outbound load balancer Name should not be modified after AzureCluster creation.");
    if (sm_field_equal(old, lb, "frontendIPsCount", false)) {
      const cJSON *of = sm_child(old, "frontendIPs"), *nf = sm_child(lb, "frontendIPs");
      sm_path(p, "%s.frontendIPs", path);
      if (sm_len(old, "frontendIPs") != sm_len(lb, "frontendIPs")) {
        sm_err_forbidden(errs, p, "Node outbound load balancer FrontendIPs cannot be modified after AzureCluster creation.");
      } else {
        int i = 0;
        for (const cJSON *a = of ? of->child : NULL, *b = nf ? nf->child : NULL; a && b; a = a->next, b = b->next, i++) {
          if (!sm_field_equal(a, b, "name", true) || !sm_field_equal(a, b, "publicIP", true)) {
            sm_path(p, "%s.frontendIPs[%d]", path, i);
            sm_err_forbidden(errs, p, "Node outbound load balancer FrontendIPs cannot be modified after AzureCluster creation.");
          }
        }
      }
    }
  }
  count_limit(lb, path, errs);
}

void sm_cluster_cp_outbound_lb_validate(const cJSON *lb, const cJSON *apiserver_lb, const char *path, sm_errors *errs) {
  sm_lb_cp_outbound_class_validate(lb, apiserver_lb, path, errs);
  if (cJSON_IsObject(lb) && sm_str_eq(apiserver_lb, "type", "Internal")) count_limit(lb, path, errs);
}
