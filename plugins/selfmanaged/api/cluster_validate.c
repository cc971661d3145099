/* cluster_validate.c — AzureCluster create-time validation (CAPZ validateAzureCluster). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

static void name_validate(const cJSON *obj, sm_errors *errs) {
  const char *name = sm_str0(sm_child(obj, "metadata"), "name");
  size_t len = strlen(name);
  if (len > 44)
    sm_err_invalid_s(errs, "metadata.name", name, "Cluster Name longer than allowed length of 44 characters");
  /* ^[a-z0-9][a-z0-9-]{0,42}[a-z0-9]$ */
  bool ok = len >= 2 && len <= 44;
  for (size_t i = 0; ok && i < len; i++) {
    bool alnum = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]);
    ok = alnum || (name[i] == '-' && i != 0 && i != len - 1);
  }
  if (!ok)
    sm_err_invalid_s(errs, "metadata.name", name,
                     "Cluster Name doesn't match regex ^[a-z0-9][a-z0-9-]{0,42}[a-z0-9]$, can contain only lowercase "
                     "alphanumeric characters and '-', must start/end with an alphanumeric character");
}

bool sm_is_dns_name(const char *s) {
  if (!s || !*s || sm_ip_parse(s, NULL)) return false;
  size_t len = strlen(s), letters = 0;
  if (s[len - 1] == '.') len--;
  size_t label = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool first_ok = isalnum((unsigned char)c) || c == '_';
    if (label == 0 ? !first_ok : !(first_ok || c == '-')) return false;
    if (++label > 63) return false;
    letters++;
  }
  return label > 0 && letters <= 255;
}

void sm_private_dns_validate(const cJSON *net, bool cp, const char *lb_type, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const char *zone = sm_str0(net, "privateDNSZoneName"), *rg = sm_str0(net, "privateDNSZoneResourceGroup");
  sm_path(p, "%s.privateDNSZoneName", prefix);
  if (*zone) {
    if (cp && strcmp(lb_type, "Internal") != 0)
      sm_err_invalid_s(errs, p, lb_type, "PrivateDNSZoneName is available only if APIServerLB.Type is Internal");
    if (!sm_is_dns_name(zone))
      sm_err_invalid_s(errs, p, zone, "PrivateDNSZoneName can only contain alphanumeric characters, underscores and "
                                      "dashes, must end with an alphanumeric character");
  }
  sm_path(p, "%s.privateDNSZoneResourceGroup", prefix);
  if (*rg) {
    if (!*zone)
      sm_err_invalid_s(errs, p, zone, "PrivateDNSZoneResourceGroup can only be used when PrivateDNSZoneName is provided");
    if (!sm_rg_name_ok(rg)) sm_err_invalid_s(errs, p, rg, "resourceGroup doesn't match regex ^[-\\w\\._\\(\\)]+$");
  }
}

static void peerings_validate(const cJSON *peerings, const char *path, sm_errors *errs) {
  char id[600], other[600];
  const cJSON *pe;
  cJSON_ArrayForEach(pe, peerings) {
    snprintf(id, sizeof id, "%s/%s", sm_str0(pe, "resourceGroup"), sm_str0(pe, "remoteVnetName"));
    for (const cJSON *o = peerings->child; o != pe; o = o->next) {
      snprintf(other, sizeof other, "%s/%s", sm_str0(o, "resourceGroup"), sm_str0(o, "remoteVnetName"));
      if (strcmp(id, other) == 0) {
        sm_err_duplicate_s(errs, path, id);
        break;
      }
    }
  }
}

static void network_validate(const cJSON *net, const cJSON *old_net, bool cp, const sm_feature_gates *gates,
                             sm_errors *errs) {
  const char *P = "spec.networkSpec";
  const cJSON *vnet = sm_child(net, "vnet"), *subnets = sm_child(net, "subnets");
  const char *why;
  /* A resource group on the VNet means the VNet is described in full; CAPZ validates it then
   * (always, after defaulting). */
  if (!sm_str_empty(vnet, "resourceGroup")) {
    const char *rg = sm_str(vnet, "resourceGroup");
    if (!sm_rg_name_ok(rg))
      sm_err_invalid_s(errs, "spec.networkSpec.vnet.resourceGroup", rg, "resourceGroup doesn't match regex ^[-\\w\\._\\(\\)]+$");
    sm_vnet_cidrs_validate(sm_child(vnet, "cidrBlocks"), "spec.networkSpec.vnet.cidrBlocks", errs);
    sm_subnets_validate(subnets, sm_child(vnet, "cidrBlocks"), cp, false, "spec.networkSpec.subnets", errs);
    peerings_validate(sm_child(vnet, "peerings"), "spec.networkSpec.vnet.peerings", errs);
  }
  if (!sm_str_empty(vnet, "name") && (why = sm_azure_name_problem(SM_RES_VNET, sm_str(vnet, "name"))))
    sm_err_invalid_s(errs, "spec.networkSpec.vnet.name", sm_str(vnet, "name"), "virtual network name %s", why);
  sm_tags_validate(sm_child(vnet, "tags"), "spec.networkSpec.vnet.tags", errs);
  const cJSON *api = sm_child(net, "apiServerLB");
  if (cp) {
    const cJSON *cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CONTROLPLANE);
    if (!cps) cps = sm_subnet_by_role(subnets, SM_SUBNET_ROLE_CLUSTER);
    if (!cps) sm_err_invalid_j(errs, "spec.networkSpec.subnets", subnets, "ControlPlaneSubnet invalid");
    if (!cJSON_IsObject(api)) sm_err_required(errs, "spec.networkSpec.apiServerLB", "%s", "API server load balancer is required when controlPlaneEnabled");
    else sm_cluster_apiserver_lb_validate(api, sm_child(old_net, "apiServerLB"), sm_child(cps, "cidrBlocks"), gates,
                                          "spec.networkSpec.apiServerLB", errs);
  }
  bool need_outbound = false;
  const cJSON *s;
  cJSON_ArrayForEach(s, subnets) {
    if ((sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE) || sm_str_eq(s, "role", SM_SUBNET_ROLE_CLUSTER)) && sm_subnet_is_ipv6(s))
      need_outbound = true;
  }
  if (need_outbound)
    sm_cluster_node_outbound_lb_validate(sm_child(net, "nodeOutboundLB"), sm_child(old_net, "nodeOutboundLB"), api,
                                         "spec.networkSpec.nodeOutboundLB", errs);
  if (cp) sm_cluster_cp_outbound_lb_validate(sm_child(net, "controlPlaneOutboundLB"), api,
                                             "spec.networkSpec.controlPlaneOutboundLB", errs);
  sm_private_dns_validate(net, cp, cJSON_IsObject(api) ? sm_str0(api, "type") : "Internal", P, errs);
  sm_pod_subnets_validate(net, P, errs);
}

void sm_cluster_spec_validate(const cJSON *obj, const cJSON *old, const sm_feature_gates *gates, sm_errors *errs) {
  const cJSON *spec = sm_child(obj, "spec"), *old_spec = sm_child(old, "spec");
  bool cp = !cJSON_IsFalse(sm_child(spec, "controlPlaneEnabled"));
  name_validate(obj, errs);
  if (sm_str_empty(spec, "location")) sm_err_required(errs, "spec.location", "%s", ""); /* CRD-required */
  if (!sm_str_empty(spec, "resourceGroup") && !sm_rg_name_ok(sm_str(spec, "resourceGroup")))
    sm_err_invalid_s(errs, "spec.resourceGroup", sm_str(spec, "resourceGroup"),
                     "resourceGroup doesn't match regex ^[-\\w\\._\\(\\)]+$");
  network_validate(sm_child(spec, "networkSpec"), sm_child(old_spec, "networkSpec"), cp, gates, errs);
  if (old && !sm_field_equal(spec, old_spec, "cloudProviderConfigOverrides", true))
    sm_err_invalid_j(errs, "spec.cloudProviderConfigOverrides", sm_child(spec, "cloudProviderConfigOverrides"),
                     "cannot change cloudProviderConfigOverrides cluster creation");
  if (sm_present(spec, "extendedLocation") && !(gates && gates->edge_zone))
    sm_err_forbidden(errs, "spec.extendedLocation", "can be set only if the EdgeZone feature flag is enabled");
  const cJSON *azb = sm_at(spec, "bastionSpec.azureBastion");
  if (cJSON_IsObject(azb) && !sm_str_eq(azb, "sku", "Standard") && sm_true(azb, "enableTunneling"))
    sm_err_invalid_s(errs, "spec.bastionSpec.azureBastion.sku", sm_str0(azb, "sku"), "sku must be Standard if tunneling is enabled");
  const cJSON *ref = sm_child(spec, "identityRef");
  if (!cJSON_IsObject(ref)) {
    sm_err_required(errs, "spec.identityRef", "identityRef is required");
  } else if (!sm_str_eq(ref, "kind", "AzureClusterIdentity")) {
    static const char *const kinds[] = {"AzureClusterIdentity", NULL};
    sm_err_not_supported(errs, "spec.identityRef.kind", sm_str0(ref, "kind"), kinds);
  }
  sm_tags_validate(sm_child(spec, "additionalTags"), "spec.additionalTags", errs);
}

int sm_azurecluster_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  sm_errors errs;
  sm_errors_init(&errs);
  sm_azurecluster_validate_errs(obj, old, NULL, &errs);
  return sm_validate_finish(&errs, "AzureCluster", obj, msg, n);
}
