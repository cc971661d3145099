/* cluster_defaults.c — AzureCluster defaulting (CAPZ SetDefaultsAzureCluster, run to a fixed point). */
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

#define DEFAULT_VNET_CIDR "10.0.0.0/8"
#define DEFAULT_CP_SUBNET_CIDR "10.0.0.0/16"
#define DEFAULT_NODE_SUBNET_CIDR "10.1.0.0/16"
#define DEFAULT_CLUSTER_SUBNET_CIDR "10.0.0.0/16"
#define DEFAULT_BASTION_SUBNET_CIDR "10.255.255.224/27"
#define DEFAULT_BASTION_SUBNET_NAME "AzureBastionSubnet"
#define DEFAULT_INTERNAL_LB_IP "10.0.0.100"
#define DEFAULT_IDLE_TIMEOUT 4
#define DEFAULT_AZURE_CLOUD "AzurePublicCloud"

typedef struct dctx {
  const char *cluster;
  const sm_feature_gates *gates;
  bool oom;
} dctx;

static void ok(dctx *d, bool r) {
  if (!r) d->oom = true;
}

static const char *nm(sm_name_kind k, const char *base, char *buf) {
  if (sm_name(k, base, buf, SM_PATH_MAX) != 0) buf[0] = '\0';
  return buf;
}

/* SecurityGroupClassSetDefaults: rule direction Inbound. */
static void sg_defaults(dctx *d, cJSON *subnet) {
  cJSON *rule;
  cJSON_ArrayForEach(rule, sm_at(subnet, "securityGroup.securityRules")) {
    if (cJSON_IsObject(rule)) ok(d, sm_default_str(rule, "direction", "Inbound"));
  }
}

static void natgw_ip_default(dctx *d, cJSON *subnet) {
  char buf[SM_PATH_MAX];
  cJSON *nat = sm_obj(subnet, "natGateway");
  cJSON *ip = nat ? sm_obj(nat, "ip") : NULL;
  if (!ip) return ok(d, false);
  ok(d, sm_default_str(ip, "name", nm(SM_NAME_NATGW_PIP, sm_str0(nat, "name"), buf)));
}

static void cluster_subnet_defaults(dctx *d, cJSON *s) {
  char buf[SM_PATH_MAX];
  ok(d, sm_default_str(s, "name", nm(SM_NAME_CLUSTER_SUBNET, d->cluster, buf)));
  ok(d, sm_default_str(sm_obj(s, "securityGroup"), "name", nm(SM_NAME_CLUSTER_NSG, d->cluster, buf)));
  ok(d, sm_default_str(sm_obj(s, "routeTable"), "name", nm(SM_NAME_CLUSTER_ROUTETABLE, d->cluster, buf)));
  /* CAPZ names a NAT gateway for IPv6 cluster subnets too but gives it no IP, so it can never be
   * created; only IPv4 cluster subnets without an id get one here. */
  if (sm_str_empty(s, "id") && !sm_subnet_is_ipv6(s)) {
    ok(d, sm_default_str(sm_obj(s, "natGateway"), "name", nm(SM_NAME_CLUSTER_NATGW, d->cluster, buf)));
    natgw_ip_default(d, s);
  }
  ok(d, sm_default_str_list(s, "cidrBlocks", DEFAULT_CLUSTER_SUBNET_CIDR));
  sg_defaults(d, s);
}

static void cp_subnet_defaults(dctx *d, cJSON *s) {
  char buf[SM_PATH_MAX];
  ok(d, sm_default_str(s, "name", nm(SM_NAME_CONTROLPLANE_SUBNET, d->cluster, buf)));
  ok(d, sm_default_str_list(s, "cidrBlocks", DEFAULT_CP_SUBNET_CIDR));
  ok(d, sm_default_str(sm_obj(s, "securityGroup"), "name", nm(SM_NAME_CONTROLPLANE_NSG, d->cluster, buf)));
  sg_defaults(d, s);
}

static void node_subnet_defaults(dctx *d, cJSON *s, int index) {
  char buf[SM_PATH_MAX], idx[SM_PATH_MAX], cidr[32];
  if (sm_str_empty(s, "name") && sm_name_indexed(nm(SM_NAME_NODE_SUBNET, d->cluster, buf), index, idx, sizeof idx) == 0)
    ok(d, sm_set_str(s, "name", idx));
  snprintf(cidr, sizeof cidr, "10.%d.0.0/16", index);
  ok(d, sm_default_str_list(s, "cidrBlocks", cidr));
  ok(d, sm_default_str(sm_obj(s, "securityGroup"), "name", nm(SM_NAME_NODE_NSG, d->cluster, buf)));
  sg_defaults(d, s);
  ok(d, sm_default_str(sm_obj(s, "routeTable"), "name", nm(SM_NAME_NODE_ROUTETABLE, d->cluster, buf)));
  /* NAT gateways only carry IPv4; a subnet with an id already exists and keeps its egress. */
  if (!sm_subnet_is_ipv6(s) && sm_str_empty(s, "id")) {
    cJSON *nat = sm_obj(s, "natGateway");
    if (nat && sm_str_empty(nat, "name") &&
        sm_name_indexed(nm(SM_NAME_NODE_NATGW, d->cluster, buf), index, idx, sizeof idx) == 0)
      ok(d, sm_set_str(nat, "name", idx));
    natgw_ip_default(d, s);
  }
}

static cJSON *append_subnet(dctx *d, cJSON *subnets, const char *role) {
  cJSON *s = cJSON_CreateObject();
  if (!s || !cJSON_AddStringToObject(s, "role", role) || !cJSON_AddItemToArray(subnets, s)) {
    cJSON_Delete(s);
    d->oom = true;
    return NULL;
  }
  return s;
}

static void subnets_defaults(dctx *d, cJSON *netspec, bool cp) {
  char buf[SM_PATH_MAX];
  cJSON *subnets = sm_arr(netspec, "subnets");
  if (!subnets) return ok(d, false);
  cJSON *cluster_subnet = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CLUSTER);
  if (cluster_subnet) cluster_subnet_defaults(d, cluster_subnet);
  if (cp) {
    cJSON *cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CONTROLPLANE);
    if (!cps && !cluster_subnet) cps = append_subnet(d, subnets, SM_SUBNET_ROLE_CONTROLPLANE);
    if (cps) cp_subnet_defaults(d, cps);
  }
  int node_index = 0;
  cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    if (sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE)) node_subnet_defaults(d, s, ++node_index);
  }
  if (node_index == 0 && !cluster_subnet) {
    cJSON *n = append_subnet(d, subnets, SM_SUBNET_ROLE_NODE);
    if (n) {
      ok(d, sm_set_str(n, "name", nm(SM_NAME_NODE_SUBNET, d->cluster, buf)));
      ok(d, sm_default_str_list(n, "cidrBlocks", DEFAULT_NODE_SUBNET_CIDR));
      ok(d, sm_set_str(sm_obj(n, "securityGroup"), "name", nm(SM_NAME_NODE_NSG, d->cluster, buf)));
      ok(d, sm_set_str(sm_obj(n, "routeTable"), "name", nm(SM_NAME_NODE_ROUTETABLE, d->cluster, buf)));
      ok(d, sm_set_str(sm_obj(n, "natGateway"), "name", nm(SM_NAME_NODE_NATGW, d->cluster, buf)));
    }
  }
  /* The control-plane subnet shares the node (or cluster) subnet's route table. */
  if (cp) {
    cJSON *cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CONTROLPLANE);
    if (cps && sm_str_empty(sm_child(cps, "routeTable"), "name")) {
      const char *rt = "";
      cJSON_ArrayForEach(s, subnets) {
        if (sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE) || sm_str_eq(s, "role", SM_SUBNET_ROLE_CLUSTER)) {
          rt = sm_str0(sm_child(s, "routeTable"), "name");
          break;
        }
      }
      if (*rt) ok(d, sm_set_str(sm_obj(cps, "routeTable"), "name", rt));
    }
  }
  sm_pod_subnets_default(netspec, d->cluster, &d->oom);
}

static void bastion_defaults(dctx *d, cJSON *spec) {
  char buf[SM_PATH_MAX];
  cJSON *azb = sm_at(spec, "bastionSpec.azureBastion");
  if (!cJSON_IsObject(azb)) return;
  ok(d, sm_default_str(azb, "name", nm(SM_NAME_BASTION, d->cluster, buf)));
  cJSON *sub = sm_obj(azb, "subnet");
  ok(d, sm_default_str(sub, "name", DEFAULT_BASTION_SUBNET_NAME));
  ok(d, sm_default_str_list(sub, "cidrBlocks", DEFAULT_BASTION_SUBNET_CIDR));
  ok(d, sm_default_str(sub, "role", SM_SUBNET_ROLE_BASTION));
  ok(d, sm_default_str(sm_obj(azb, "publicIP"), "name", nm(SM_NAME_BASTION_PIP, d->cluster, buf)));
}

static void lb_idle_default(dctx *d, cJSON *lb) {
  if (!sm_present(lb, "idleTimeoutInMinutes")) ok(d, sm_set_num(lb, "idleTimeoutInMinutes", DEFAULT_IDLE_TIMEOUT));
}

static cJSON *frontend(dctx *d, const char *name, const char *pip, const char *private_ip) {
  cJSON *f = cJSON_CreateObject();
  bool good = f && cJSON_AddStringToObject(f, "name", name);
  if (good && pip) {
    cJSON *p = cJSON_AddObjectToObject(f, "publicIP");
    good = p && cJSON_AddStringToObject(p, "name", pip);
  }
  if (good && private_ip) good = cJSON_AddStringToObject(f, "privateIP", private_ip) != NULL;
  if (!good) {
    cJSON_Delete(f);
    d->oom = true;
    return NULL;
  }
  return f;
}

static void add_frontend(dctx *d, cJSON *arr, cJSON *f) {
  if (f && !cJSON_AddItemToArray(arr, f)) {
    cJSON_Delete(f);
    d->oom = true;
  }
}

static void apiserver_lb_defaults(dctx *d, cJSON *netspec) {
  char lbname[SM_PATH_MAX], buf[SM_PATH_MAX], pip[SM_PATH_MAX];
  cJSON *lb = sm_child(netspec, "apiServerLB");
  if (!cJSON_IsObject(lb)) {
    lb = sm_obj(netspec, "apiServerLB");
    if (!lb) return ok(d, false);
    ok(d, sm_set_str(lb, "type", "Public"));
  }
  ok(d, sm_default_str(lb, "type", "Public"));
  ok(d, sm_default_str(lb, "sku", "Standard"));
  lb_idle_default(d, lb);
  bool is_public = sm_str_eq(lb, "type", "Public"), is_internal = sm_str_eq(lb, "type", "Internal");
  if (is_public || is_internal) {
    ok(d, sm_default_str(lb, "name", nm(is_public ? SM_NAME_PUBLIC_LB : SM_NAME_INTERNAL_LB, d->cluster, lbname)));
    snprintf(lbname, sizeof lbname, "%s", sm_str0(lb, "name"));
    cJSON *fes = sm_arr(lb, "frontendIPs");
    if (!fes) return ok(d, false);
    if (cJSON_GetArraySize(fes) == 0) {
      nm(SM_NAME_LB_FRONTEND, lbname, buf);
      if (is_public) add_frontend(d, fes, frontend(d, buf, nm(SM_NAME_APISERVER_PIP, d->cluster, pip), NULL));
      else add_frontend(d, fes, frontend(d, buf, NULL, DEFAULT_INTERNAL_LB_IP));
    }
    if (is_public && d->gates && d->gates->apiserver_ilb) {
      bool found = false;
      cJSON *f;
      cJSON_ArrayForEach(f, fes) {
        if (!sm_str_empty(f, "privateIP")) {
          ok(d, sm_default_str(f, "name", nm(SM_NAME_LB_FRONTEND_INTERNAL, lbname, buf)));
          found = true;
          break;
        }
      }
      if (!found)
        add_frontend(d, fes, frontend(d, nm(SM_NAME_LB_FRONTEND_INTERNAL, lbname, buf), NULL, DEFAULT_INTERNAL_LB_IP));
    }
  }
  ok(d, sm_default_str(sm_obj(lb, "backendPool"), "name", nm(SM_NAME_LB_BACKEND_POOL, sm_str0(lb, "name"), buf)));
}

/* Outbound LBs: CAPZ forces type/SKU and rewrites the frontends from frontendIPsCount. */
static void outbound_lb_common(dctx *d, cJSON *lb, const char *default_name, sm_name_kind pip_kind) {
  char lbname[SM_PATH_MAX], fe[SM_PATH_MAX], pip[SM_PATH_MAX], ife[SM_PATH_MAX], ipip[SM_PATH_MAX];
  ok(d, sm_set_str(lb, "type", "Public"));
  ok(d, sm_set_str(lb, "sku", "Standard"));
  lb_idle_default(d, lb);
  ok(d, sm_default_str(lb, "name", default_name));
  snprintf(lbname, sizeof lbname, "%s", sm_str0(lb, "name"));
  double count = 1;
  if (!sm_num(lb, "frontendIPsCount", &count)) {
    count = 1;
    ok(d, sm_set_num(lb, "frontendIPsCount", 1));
  }
  cJSON *fes = cJSON_CreateArray();
  if (!fes) return ok(d, false);
  nm(SM_NAME_LB_FRONTEND, lbname, fe);
  nm(pip_kind, d->cluster, pip);
  if (count == 1) {
    add_frontend(d, fes, frontend(d, fe, pip, NULL));
  } else {
    for (int i = 1; i <= (int)count && i <= 1000; i++) {
      if (sm_name_indexed(fe, i, ife, sizeof ife) || sm_name_indexed(pip, i, ipip, sizeof ipip)) break;
      add_frontend(d, fes, frontend(d, ife, ipip, NULL));
    }
  }
  ok(d, sm_set_item(lb, "frontendIPs", fes));
}

static void node_outbound_lb_defaults(dctx *d, cJSON *netspec, bool cp) {
  char buf[SM_PATH_MAX];
  cJSON *lb = sm_child(netspec, "nodeOutboundLB");
  if (!cJSON_IsObject(lb)) {
    if (!cp || sm_str_eq(sm_child(netspec, "apiServerLB"), "type", "Internal")) return;
    bool need = false;
    cJSON *s;
    cJSON_ArrayForEach(s, sm_child(netspec, "subnets")) {
      if ((sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE) || sm_str_eq(s, "role", SM_SUBNET_ROLE_CLUSTER)) &&
          sm_subnet_is_ipv6(s)) {
        need = true;
        break;
      }
    }
    if (!need) return;
    lb = sm_obj(netspec, "nodeOutboundLB");
    if (!lb) return ok(d, false);
  }
  outbound_lb_common(d, lb, nm(SM_NAME_NODE_OUTBOUND_LB, d->cluster, buf), SM_NAME_NODE_OUTBOUND_PIP);
  ok(d, sm_default_str(sm_obj(lb, "backendPool"), "name", nm(SM_NAME_LB_OUTBOUND_POOL, sm_str0(lb, "name"), buf)));
}

static void cp_outbound_lb_defaults(dctx *d, cJSON *netspec) {
  char buf[SM_PATH_MAX], pool[SM_PATH_MAX];
  cJSON *lb = sm_child(netspec, "controlPlaneOutboundLB");
  if (!cJSON_IsObject(lb)) return;
  outbound_lb_common(d, lb, nm(SM_NAME_CONTROLPLANE_OUTBOUND_LB, d->cluster, buf), SM_NAME_CONTROLPLANE_OUTBOUND_PIP);
  /* CAPZ derives this pool name from the default LB name even when the LB is renamed. */
  ok(d, sm_default_str(sm_obj(lb, "backendPool"), "name", nm(SM_NAME_LB_OUTBOUND_POOL, buf, pool)));
}

void sm_cluster_schema_defaults(cJSON *spec, bool *oom) {
  bool good = true;
  if (!sm_present(spec, "controlPlaneEnabled")) good &= sm_set_bool(spec, "controlPlaneEnabled", true);
  cJSON *azb = sm_at(spec, "bastionSpec.azureBastion");
  if (cJSON_IsObject(azb)) {
    if (!sm_present(azb, "sku")) good &= sm_set_str(azb, "sku", "Basic");
    if (!sm_present(azb, "enableTunneling")) good &= sm_set_bool(azb, "enableTunneling", false);
  }
  cJSON *s, *r;
  cJSON_ArrayForEach(s, sm_at(spec, "networkSpec.subnets")) {
    cJSON_ArrayForEach(r, sm_at(s, "securityGroup.securityRules")) {
      if (cJSON_IsObject(r) && !sm_present(r, "action")) good &= sm_set_str(r, "action", "Allow");
    }
  }
  if (!good) *oom = true;
}

static void cluster_pass(dctx *d, cJSON *obj) {
  char buf[SM_PATH_MAX];
  cJSON *spec = sm_obj(obj, "spec");
  if (!spec) return ok(d, false);
  sm_cluster_schema_defaults(spec, &d->oom);
  ok(d, sm_default_str(spec, "azureEnvironment", DEFAULT_AZURE_CLOUD));
  ok(d, sm_default_str(spec, "resourceGroup", d->cluster));
  bool cp = !cJSON_IsFalse(sm_child(spec, "controlPlaneEnabled"));
  cJSON *netspec = sm_obj(spec, "networkSpec");
  cJSON *vnet = netspec ? sm_obj(netspec, "vnet") : NULL;
  if (!vnet) return ok(d, false);
  ok(d, sm_default_str(vnet, "resourceGroup", sm_str0(spec, "resourceGroup")));
  ok(d, sm_default_str(vnet, "name", nm(SM_NAME_VNET, d->cluster, buf)));
  ok(d, sm_default_str_list(vnet, "cidrBlocks", DEFAULT_VNET_CIDR));
  bastion_defaults(d, spec);
  subnets_defaults(d, netspec, cp);
  cJSON *peer;
  cJSON_ArrayForEach(peer, sm_child(vnet, "peerings")) {
    if (cJSON_IsObject(peer)) ok(d, sm_default_str(peer, "resourceGroup", sm_str0(spec, "resourceGroup")));
  }
  if (cp) apiserver_lb_defaults(d, netspec);
  node_outbound_lb_defaults(d, netspec, cp);
  if (cp) cp_outbound_lb_defaults(d, netspec);
  else cJSON_DeleteItemFromObjectCaseSensitive(netspec, "apiServerLB");
}

int sm_azurecluster_default(cJSON *obj, const sm_feature_gates *gates, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "AzureCluster: not a JSON object");
  dctx d = {.cluster = sm_str0(sm_child(obj, "metadata"), "name"), .gates = gates};
  /* CAPZ's webhook runs on every create and update, so its defaults converge over passes; run
   * the same pass until nothing changes. */
  for (int pass = 0; pass < 6; pass++) {
    cJSON *before = cJSON_Duplicate(obj, true);
    if (!before) return capz_err_set(err, CAPZ_ENOMEM, "AzureCluster defaults: out of memory");
    cluster_pass(&d, obj);
    bool same = cJSON_Compare(before, obj, true);
    cJSON_Delete(before);
    if (d.oom) return capz_err_set(err, CAPZ_ENOMEM, "AzureCluster defaults: out of memory");
    if (same) return 0;
  }
  return capz_err_set(err, CAPZ_EINTERNAL, "AzureCluster defaults did not reach a fixed point");
}
