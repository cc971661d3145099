/* cluster_reconcile_defaults.c — defaults CAPZ's AzureCluster controller (not its webhook) applies,
 * because they need the Cluster's API server port or the subscription: control-plane NSG rules
 * and the API server public IP's DNS name. */
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

static bool has_rule_for_port(const cJSON *subnet, const char *port) {
  cJSON *r;
  cJSON_ArrayForEach(r, sm_at(subnet, "securityGroup.securityRules")) {
    if (sm_str_eq(r, "destinationPorts", port)) return true;
  }
  return false;
}

static bool add_rule(cJSON *rules, const char *name, const char *description, int priority, const char *port) {
  cJSON *r = cJSON_CreateObject();
  bool good = r && cJSON_AddStringToObject(r, "name", name) && cJSON_AddStringToObject(r, "description", description) &&
              cJSON_AddNumberToObject(r, "priority", priority) && cJSON_AddStringToObject(r, "protocol", "Tcp") &&
              cJSON_AddStringToObject(r, "direction", "Inbound") && cJSON_AddStringToObject(r, "source", "*") &&
              cJSON_AddStringToObject(r, "sourcePorts", "*") && cJSON_AddStringToObject(r, "destination", "*") &&
              cJSON_AddStringToObject(r, "destinationPorts", port) && cJSON_AddStringToObject(r, "action", "Allow") &&
              cJSON_AddItemToArray(rules, r);
  if (!good) cJSON_Delete(r);
  return good;
}

int sm_azurecluster_default_controlplane_rules(cJSON *obj, int api_server_port, capz_err *err) {
  cJSON *spec = sm_child(obj, "spec");
  if (!cJSON_IsObject(spec)) return capz_err_set(err, CAPZ_EINVAL, "AzureCluster has no spec");
  if (cJSON_IsFalse(sm_child(spec, "controlPlaneEnabled"))) return 0;
  if (api_server_port <= 0) api_server_port = 6443;
  cJSON *subnets = sm_at(spec, "networkSpec.subnets");
  /* CAPZ's ControlPlaneSubnet() falls back to the cluster subnet. */
  cJSON *cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CONTROLPLANE);
  if (!cps) cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CLUSTER);
  if (!cps) return capz_err_set(err, CAPZ_EINVAL, "AzureCluster has no control-plane or cluster subnet");
  char port[16];
  snprintf(port, sizeof port, "%d", api_server_port);
  bool need_ssh = !has_rule_for_port(cps, "22"), need_api = !has_rule_for_port(cps, port);
  if (!need_ssh && !need_api) return 0;
  cJSON *sg = sm_obj(cps, "securityGroup");
  cJSON *rules = sg ? sm_arr(sg, "securityRules") : NULL;
  if (!rules || (need_ssh && !add_rule(rules, "allow_ssh", "Allow SSH", 2200, "22")) ||
      (need_api && !add_rule(rules, "allow_apiserver", "Allow K8s API Server", 2201, port)))
    return capz_err_set(err, CAPZ_ENOMEM, "control-plane NSG rules: out of memory");
  return 0;
}

int sm_azurecluster_default_apiserver_dns(cJSON *obj, capz_err *err) {
  return sm_azurecluster_default_apiserver_dns_for(obj, sm_str0(sm_child(obj, "metadata"), "name"), err);
}

int sm_azurecluster_default_apiserver_dns_for(cJSON *obj, const char *cluster, capz_err *err) {
  cJSON *spec = sm_child(obj, "spec");
  if (!cJSON_IsObject(spec)) return capz_err_set(err, CAPZ_EINVAL, "AzureCluster has no spec");
  if (cJSON_IsFalse(sm_child(spec, "controlPlaneEnabled"))) return 0;
  cJSON *lb = sm_at(spec, "networkSpec.apiServerLB");
  if (!sm_str_eq(lb, "type", "Public")) return 0;
  cJSON *fe;
  cJSON_ArrayForEach(fe, sm_child(lb, "frontendIPs")) {
    cJSON *pip = sm_child(fe, "publicIP");
    if (!cJSON_IsObject(pip)) continue;
    if (!sm_str_empty(pip, "dnsName")) return 0;
    char fqdn[512];
    int rc = sm_apiserver_fqdn(cluster, sm_str0(spec, "subscriptionID"), sm_str0(spec, "resourceGroup"),
                               sm_str0(pip, "name"), sm_str0(spec, "location"), sm_str0(spec, "azureEnvironment"),
                               fqdn, sizeof fqdn);
    if (rc) return capz_err_set(err, rc, "cannot derive the API server DNS name (cluster, public IP name, "
                                         "location and a known azureEnvironment are needed)");
    if (!sm_set_str(pip, "dnsName", fqdn)) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    return 0;
  }
  return 0;
}
