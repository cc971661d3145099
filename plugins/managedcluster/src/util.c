/* util.c — small helpers shared by the controllers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

const char *mc_owner_name(const cJSON *obj, const char *kind) {
  const cJSON *o;
  cJSON_ArrayForEach(o, capz_json_ptr_get(obj, "/metadata/ownerReferences")) {
    if (strcmp(capz_json_ptr_str(o, "/kind", ""), kind) == 0 &&
        strncmp(capz_json_ptr_str(o, "/apiVersion", ""), "cluster.x-k8s.io/", 17) == 0)
      return capz_json_ptr_str(o, "/name", NULL);
  }
  return NULL;
}

cJSON *mc_cache_copy(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name) {
  const capz_obj *o = NULL;
  if (!name || !*name || capz_ctx_cache_get(ctx, gvk, ns, name, &o, NULL) != 0) return NULL;
  cJSON *c = cJSON_Duplicate(capz_obj_json(o), 1);
  capz_obj_unref(o);
  return c;
}

capz_outcome mc_fail(capz_ctx *ctx, capz_result *res, capz_outcome oc, const char *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->message, sizeof res->message, fmt, ap);
  va_end(ap);
  snprintf(res->reason, sizeof res->reason, "%s", reason);
  capz_ctx_event(ctx, "Warning", reason, "%s", res->message);
  capz_log(capz_ctx_logger(ctx), oc == CAPZ_TERMINAL ? CAPZ_LOG_ERROR : CAPZ_LOG_WARN, "reconcile failed", "reason",
           reason, "message", res->message, NULL);
  return oc;
}

int mc_patch(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name, cJSON *patch, capz_err *err) {
  return capz_kube_patch(capz_ctx_client(ctx), gvk, ns, name, CAPZ_PATCH_MERGE, patch, NULL, NULL, err);
}

/* Only a request Azure refused as invalid waits for the object to change; everything else (throttling, conflicts,
 * failed or cancelled operations, outages) is retried with backoff, as CAPZ does. */
/* A rejected request is terminal until the object changes, but a deleting object never changes again, so
 * while deleting every failure is retried with backoff (e.g. a pool whose cluster deletion is not cached yet). */
capz_outcome mc_outcome_for(int code, bool deleting) {
  return code == CAPZ_EINVAL && !deleting ? CAPZ_TERMINAL : CAPZ_RETRY;
}

const char *mc_lro_get(const cJSON *obj, const char *service, const char *name) {
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(obj, "/status/longRunningOperationStates")) {
    if (strcmp(capz_json_ptr_str(it, "/serviceName", ""), service) == 0 &&
        strcmp(capz_json_ptr_str(it, "/name", ""), name) == 0)
      return capz_json_ptr_str(it, "/data", NULL);
  }
  return NULL;
}

void mc_lro_set(cJSON *obj, const char *service, const char *name, const char *type, const char *token) {
  cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
  if (!cJSON_IsObject(st)) {
    if (!token) return;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON *l = cJSON_GetObjectItemCaseSensitive(st, "longRunningOperationStates");
  if (!cJSON_IsArray(l)) {
    if (!token) return;
    cJSON_DeleteItemFromObjectCaseSensitive(st, "longRunningOperationStates");
    l = cJSON_AddArrayToObject(st, "longRunningOperationStates");
  }
  for (cJSON *it = l->child; it; it = it->next) {
    if (strcmp(capz_json_ptr_str(it, "/serviceName", ""), service) == 0 &&
        strcmp(capz_json_ptr_str(it, "/name", ""), name) == 0) {
      cJSON_DetachItemViaPointer(l, it);
      cJSON_Delete(it);
      break;
    }
  }
  if (token) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "type", type);
    cJSON_AddStringToObject(f, "serviceName", service);
    cJSON_AddStringToObject(f, "name", name);
    cJSON_AddStringToObject(f, "data", token);
    cJSON_AddItemToArray(l, f);
  }
  if (!l->child) cJSON_DeleteItemFromObjectCaseSensitive(st, "longRunningOperationStates");
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
    cJSON *ammp = mc_cache_copy(ctx, &MC_GVK_AMMP, ns,
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
