/* mc_defaults.c — AMCP and AMMP defaults (what CAPZ's defaulting webhooks set), as pure functions. */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"

static int set_if_absent(cJSON *obj, const char *ptr, const char *val, capz_err *err) {
  const char *cur = capz_json_ptr_str(obj, ptr, NULL);
  if (cur && *cur) return 0;
  return capz_json_ptr_set_str(obj, ptr, val, err);
}

int mc_amcp_default(cJSON *obj, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "object expected");
  const char *name = capz_json_ptr_str(obj, "/metadata/name", "");
  int rc = 0;
  if (!cJSON_IsObject(capz_json_ptr_get(obj, "/spec")))
    rc = capz_json_ptr_set(obj, "/spec", cJSON_CreateObject(), err);
  /* the paid tier was renamed Standard */
  const char *tier = capz_json_ptr_str(obj, "/spec/sku/tier", NULL);
  if (!rc && tier && strcmp(tier, "Paid") == 0) rc = capz_json_ptr_set_str(obj, "/spec/sku/tier", "Standard", err);
  if (!rc) rc = set_if_absent(obj, "/spec/sku/tier", "Free", err);
  if (!rc) rc = set_if_absent(obj, "/spec/networkPlugin", "azure", err);
  if (!rc) rc = set_if_absent(obj, "/spec/loadBalancerSKU", "Standard", err);
  if (!rc) rc = set_if_absent(obj, "/spec/identity/type", "SystemAssigned", err);
  if (!rc && *name) rc = set_if_absent(obj, "/spec/dnsPrefix", name, err);
  const char *v = capz_json_ptr_str(obj, "/spec/version", NULL);
  if (!rc && v && *v && v[0] != 'v') {
    char b[64];
    snprintf(b, sizeof b, "v%s", v);
    rc = capz_json_ptr_set_str(obj, "/spec/version", b, err);
  }
  /* CAPZ: the resource group defaults to the Cluster's name */
  const char *cl = capz_json_ptr_str(obj, "/metadata/labels/cluster.x-k8s.io~1cluster-name", "");
  if (!rc && *cl) rc = set_if_absent(obj, "/spec/resourceGroupName", cl, err);
  if (!rc) rc = mc_addons_default(obj, err);
  const char *rg = capz_json_ptr_str(obj, "/spec/resourceGroupName", "");
  const char *loc = capz_json_ptr_str(obj, "/spec/location", "");
  if (!rc && *rg && *loc && *name) {
    char nrg[300];
    snprintf(nrg, sizeof nrg, "MC_%s_%s_%s", rg, name, loc);
    rc = set_if_absent(obj, "/spec/nodeResourceGroupName", nrg, err);
  }
  /* CAPZ always gives the cluster a VNet of its own unless one is named */
  if (!rc && *name) rc = set_if_absent(obj, "/spec/virtualNetwork/name", name, err);
  if (!rc) rc = set_if_absent(obj, "/spec/virtualNetwork/cidrBlock", "10.0.0.0/8", err);
  if (!rc && *rg) rc = set_if_absent(obj, "/spec/virtualNetwork/resourceGroup", rg, err);
  if (!rc && *name) rc = set_if_absent(obj, "/spec/virtualNetwork/subnet/name", name, err);
  if (!rc) rc = set_if_absent(obj, "/spec/virtualNetwork/subnet/cidrBlock", "10.240.0.0/16", err);
  return rc;
}

int mc_ammp_default(cJSON *obj, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "object expected");
  int rc = 0;
  if (!cJSON_IsObject(capz_json_ptr_get(obj, "/spec")))
    rc = capz_json_ptr_set(obj, "/spec", cJSON_CreateObject(), err);
  const char *name = capz_json_ptr_str(obj, "/metadata/name", "");
  if (!rc && *name) rc = set_if_absent(obj, "/spec/name", name, err);
  if (!rc) rc = set_if_absent(obj, "/spec/osType", "Linux", err);
  const char *mode = capz_json_ptr_str(obj, "/spec/mode", NULL);
  if (!rc && mode && *mode) {
    char p[128] = "/metadata/labels";
    capz_json_ptr_append(p, sizeof p, "azuremanagedmachinepool.infrastructure.cluster.x-k8s.io/agentpoolmode");
    rc = capz_json_ptr_set_str(obj, p, mode, err);
  }
  return rc;
}
