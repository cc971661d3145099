/* cluster_update.c — AzureCluster update admission: immutable fields (CAPZ ValidateUpdate), then the
 * create-time rules. */
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

static void immutable(const cJSON *a, const cJSON *b, const char *key, const char *path, sm_errors *errs) {
  if (!sm_field_equal(a, b, key, true)) sm_err_invalid_j(errs, path, sm_child(a, key), "field is immutable");
}

/* Same items regardless of order (CAPZ EnsureStringSlicesAreEquivalent). */
static bool same_set(const cJSON *a, const cJSON *b) {
  if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
  const cJSON *x, *y;
  cJSON_ArrayForEach(x, a) {
    bool found = false;
    cJSON_ArrayForEach(y, b) found |= cJSON_Compare(x, y, true);
    if (!found) return false;
  }
  return true;
}

static void zones(const cJSON *net, const cJSON *old_net, const char *lb, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const cJSON *n = sm_child(net, lb), *o = sm_child(old_net, lb);
  if (!cJSON_IsObject(n) || !cJSON_IsObject(o)) return;
  if (same_set(sm_child(n, "availabilityZones"), sm_child(o, "availabilityZones"))) return;
  sm_path(p, "spec.networkSpec.%s.availabilityZones", lb);
  sm_err_invalid_j(errs, p, sm_child(n, "availabilityZones"), "field is immutable");
}

static bool vnet_owned(const cJSON *old) {
  char key[SM_PATH_MAX];
  if (sm_name(SM_NAME_OWNED_TAG_KEY, sm_str0(sm_child(old, "metadata"), "name"), key, sizeof key)) return false;
  return sm_str_eq(sm_at(old, "spec.networkSpec.vnet.tags"), key, SM_TAG_OWNED);
}

static void subnets_update(const cJSON *obj, const cJSON *old, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const cJSON *olds = sm_at(old, "spec.networkSpec.subnets");
  const cJSON *s;
  cJSON_ArrayForEach(s, sm_at(obj, "spec.networkSpec.subnets")) {
    int oi = 0;
    const cJSON *o = NULL, *c;
    cJSON_ArrayForEach(c, olds) {
      if (strcmp(sm_str0(c, "name"), sm_str0(s, "name")) == 0) o = c;
      if (o) break;
      oi++;
    }
    if (!o) continue;
    /* A VNet CAPZ does not own may report different CIDRs from Azure; only owned ones are frozen. */
    if (vnet_owned(old) && !sm_field_equal(s, o, "cidrBlocks", true)) {
      sm_path(p, "spec.networkSpec.subnets[%d].cidrBlocks", oi);
      sm_err_invalid_j(errs, p, sm_child(s, "cidrBlocks"), "field is immutable");
    }
    static const char *const objs[] = {"routeTable", "natGateway", "securityGroup"};
    for (int k = 0; k < 3; k++) {
      const char *was = sm_str0(sm_child(o, objs[k]), "name"), *now = sm_str0(sm_child(s, objs[k]), "name");
      /* Route table and NAT gateway names may go from empty to a default once. */
      if (strcmp(was, now) == 0 || (k < 2 && !*was)) continue;
      sm_path(p, "spec.networkSpec.subnets[%d].%s.name", oi, objs[k]);
      sm_err_invalid_s(errs, p, now, "field is immutable");
    }
  }
}

int sm_azurecluster_validate_errs(const cJSON *obj, const cJSON *old, const sm_feature_gates *gates, sm_errors *errs) {
  size_t before = errs->count;
  if (!old) {
    sm_cluster_spec_validate(obj, NULL, gates, errs);
    return sm_errors_result(errs, before);
  }
  const cJSON *spec = sm_child(obj, "spec"), *os = sm_child(old, "spec");
  immutable(spec, os, "resourceGroup", "spec.resourceGroup", errs);
  immutable(spec, os, "subscriptionID", "spec.subscriptionID", errs);
  immutable(spec, os, "location", "spec.location", errs);
  const cJSON *ep = sm_child(spec, "controlPlaneEndpoint"), *oep = sm_child(os, "controlPlaneEndpoint");
  if (!sm_str_empty(oep, "host") && !sm_str_eq(ep, "host", sm_str(oep, "host")))
    sm_err_invalid_s(errs, "spec.controlPlaneEndpoint.host", sm_str0(ep, "host"), "field is immutable");
  double oport = 0, port = 0;
  sm_num(oep, "port", &oport);
  sm_num(ep, "port", &port);
  if (oport != 0 && port != oport) sm_err_invalid_n(errs, "spec.controlPlaneEndpoint.port", port, "field is immutable");
  /* An old object from before defaulting had no environment: compare with its default. */
  const char *env = sm_str0(spec, "azureEnvironment"), *oenv = sm_str0(os, "azureEnvironment");
  if (!*oenv) oenv = "AzurePublicCloud";
  if (strcmp(env, oenv) != 0 && !(strcmp(env, "") == 0 && sm_str_empty(os, "azureEnvironment")))
    sm_err_invalid_s(errs, "spec.azureEnvironment", env, "field is immutable");
  const cJSON *net = sm_child(spec, "networkSpec"), *onet = sm_child(os, "networkSpec");
  immutable(net, onet, "privateDNSZoneName", "spec.networkSpec.privateDNSZoneName", errs);
  immutable(net, onet, "privateDNSZoneResourceGroup", "spec.networkSpec.privateDNSZoneResourceGroup", errs);
  immutable(net, onet, "privateDNSZone", "spec.networkSpec.privateDNSZone", errs);
  const cJSON *ob = sm_at(os, "bastionSpec.azureBastion");
  if (ob && !cJSON_IsNull(ob) && !sm_json_equal_zero(ob, sm_at(spec, "bastionSpec.azureBastion"), true))
    sm_err_invalid_j(errs, "spec.bastionSpec.azureBastion", sm_at(spec, "bastionSpec.azureBastion"),
                     "azure bastion cannot be removed from a cluster");
  immutable(net, onet, "controlPlaneOutboundLB", "spec.networkSpec.controlPlaneOutboundLB", errs);
  zones(net, onet, "apiServerLB", errs);
  zones(net, onet, "nodeOutboundLB", errs);
  zones(net, onet, "controlPlaneOutboundLB", errs);
  subnets_update(obj, old, errs);
  if (errs->count == before) sm_cluster_spec_validate(obj, old, gates, errs);
  return sm_errors_result(errs, before);
}
