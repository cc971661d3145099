/* cluster_template_validate.c — AzureClusterTemplate admission (CAPZ validateAzureClusterTemplate). */
#include "sm_internal.h"

#define NET "spec.template.spec.networkSpec"

int sm_azureclustertemplate_validate_errs(const cJSON *obj, const cJSON *old, sm_errors *errs) {
  size_t before = errs->count;
  const cJSON *spec = sm_at(obj, "spec.template.spec");
  if (old) {
    if (!sm_json_equal_zero(spec, sm_at(old, "spec.template.spec"), true))
      sm_err_invalid_j(errs, "spec.template.spec", spec,
                       "AzureClusterTemplate spec.template.spec field is immutable. Please create new resource "
                       "instead. ref doc: https://cluster-api.sigs.k8s.io/tasks/experimental-features/cluster-class/"
                       "change-clusterclass.html");
    return sm_errors_result(errs, before);
  }
  const cJSON *net = sm_child(spec, "networkSpec");
  const cJSON *vnet_cidrs = sm_at(net, "vnet.cidrBlocks");
  sm_vnet_cidrs_validate(vnet_cidrs, NET ".vnet.cidrBlocks", errs);
  sm_subnets_validate(sm_child(net, "subnets"), vnet_cidrs, true, true, NET ".subnets", errs);
  const cJSON *api = sm_child(net, "apiServerLB");
  sm_lb_apiserver_class_validate(api, NULL, NET ".apiServerLB", errs);
  bool need_outbound = false;
  const cJSON *s;
  cJSON_ArrayForEach(s, sm_child(net, "subnets")) {
    if (sm_str_eq(s, "role", SM_SUBNET_ROLE_NODE) && sm_subnet_is_ipv6(s)) need_outbound = true;
  }
  if (need_outbound)
    sm_lb_node_outbound_class_validate(sm_child(net, "nodeOutboundLB"), NULL, api, NET ".nodeOutboundLB", errs);
  sm_lb_cp_outbound_class_validate(sm_child(net, "controlPlaneOutboundLB"), api, NET ".controlPlaneOutboundLB", errs);
  sm_private_dns_validate(net, true, sm_str0(api, "type"), NET, errs);
  sm_pod_subnets_validate(net, NET, errs);
  return sm_errors_result(errs, before);
}

int sm_azureclustertemplate_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  sm_errors errs;
  sm_errors_init(&errs);
  sm_azureclustertemplate_validate_errs(obj, old, &errs);
  return sm_validate_finish(&errs, "AzureClusterTemplate", obj, msg, n);
}
