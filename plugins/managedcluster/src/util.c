/* util.c — small helpers shared by the controllers. */
#include <string.h>

#include "capz/json.h"
#include "mc_plugin.h"

const capz_gvk MC_GVK_AMCP = {MC_GROUP, "v1beta1", "AzureManagedControlPlane", "azuremanagedcontrolplanes", true};
const capz_gvk MC_GVK_AMC = {MC_GROUP, "v1beta1", "AzureManagedCluster", "azuremanagedclusters", true};
const capz_gvk MC_GVK_AMMP = {MC_GROUP, "v1beta1", "AzureManagedMachinePool", "azuremanagedmachinepools", true};
const capz_gvk MC_GVK_ASOCP = {MC_GROUP, "v1beta1", "AzureASOManagedControlPlane", "azureasomanagedcontrolplanes",
                               true};
const capz_gvk MC_GVK_ASOMC = {MC_GROUP, "v1beta1", "AzureASOManagedCluster", "azureasomanagedclusters", true};
const capz_gvk MC_GVK_ASOMP = {MC_GROUP, "v1beta1", "AzureASOManagedMachinePool", "azureasomanagedmachinepools",
                               true};
const capz_gvk MC_GVK_IDENTITY = {MC_GROUP, "v1beta1", "AzureClusterIdentity", "azureclusteridentities", true};
const capz_gvk MC_GVK_CLUSTER = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};
const capz_gvk MC_GVK_MACHINEPOOL = {"cluster.x-k8s.io", "v1beta1", "MachinePool", "machinepools", true};
const capz_gvk MC_GVK_SECRET = {"", "v1", "Secret", "secrets", true};

/* Only a request Azure refused as invalid waits for the object to change; everything else (throttling, conflicts,
 * failed or cancelled operations, outages) is retried with backoff, as CAPZ does. */
/* A rejected request is terminal until the object changes, but a deleting object never changes again, so
 * while deleting every failure is retried with backoff (e.g. a pool whose cluster deletion is not cached yet). */
capz_outcome mc_outcome_for(int code, bool deleting) {
  return code == CAPZ_EINVAL && !deleting ? CAPZ_TERMINAL : CAPZ_RETRY;
}

cJSON *mc_cluster_pools(capz_ctx *ctx, const char *ns, const char *cluster) {
  cJSON *out = cJSON_CreateArray();
  capz_obj_list l = {0};
  if (!out || capz_ctx_cache_list(ctx, &MC_GVK_MACHINEPOOL, ns, NULL, &l, NULL) != 0) return out;
  for (size_t i = 0; i < l.n; i++) {
    const cJSON *mp = capz_obj_json(l.items[i]);
    if (strcmp(capz_json_ptr_str(mp, "/spec/clusterName", ""), cluster) != 0) continue;
    if (strcmp(capz_json_ptr_str(mp, "/spec/template/spec/infrastructureRef/kind", ""), "AzureManagedMachinePool"))
      continue;
    cJSON *ammp = capz_ctx_cache_copy(ctx, &MC_GVK_AMMP, ns,
                                capz_json_ptr_str(mp, "/spec/template/spec/infrastructureRef/name", ""));
    if (!ammp) continue;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "ammp", ammp);
    cJSON_AddItemToObject(e, "machinePool", cJSON_Duplicate(mp, 1));
    cJSON_AddItemToArray(out, e);
  }
  capz_obj_list_free(&l);
  return out;
}
