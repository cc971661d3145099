/* amc_controller.c — AzureManagedCluster: the infrastructure-cluster side of an AKS cluster. Ready as soon as
 * its Cluster and control plane are known; mirrors the control plane's endpoint into its own spec. */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "mc_plugin.h"

static int set_ready(void *ud, cJSON *obj) {
  (void)ud;
  return capz_json_ptr_set(obj, "/status/ready", cJSON_CreateTrue(), NULL);
}

capz_outcome mc_amc_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)state;
  const capz_obj *base = NULL;
  capz_err e = {0};
  if (capz_ctx_get(ctx, &base, &e) != 0) return e.code == CAPZ_ENOTFOUND ? CAPZ_DONE : CAPZ_RETRY;
  const cJSON *amc = capz_obj_json(base);
  capz_outcome oc = CAPZ_DONE;
  cJSON *cluster = NULL, *amcp = NULL;
  const char *cname = capz_owner_ref_name(amc, "cluster.x-k8s.io", "Cluster");
  if (!cname || capz_obj_deleting(base)) goto out; /* nothing in Azure belongs to this object */
  cluster = capz_ctx_cache_copy(ctx, &MC_GVK_CLUSTER, key->ns, cname);
  if (!cluster || capz_is_paused(amc, cluster)) goto out;
  amcp = capz_ctx_cache_copy(ctx, &MC_GVK_AMCP, key->ns, capz_json_ptr_str(cluster, "/spec/controlPlaneRef/name", ""));
  if (!amcp) goto out;
  const cJSON *ep = capz_json_ptr_get(amcp, "/spec/controlPlaneEndpoint");
  if (ep && *capz_json_ptr_str(ep, "/host", "") &&
      !capz_json_equal(ep, capz_json_ptr_get(amc, "/spec/controlPlaneEndpoint"))) {
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "spec"), "controlPlaneEndpoint", cJSON_Duplicate(ep, 1));
    int rc = capz_ctx_merge_patch(ctx, &MC_GVK_AMC, key->ns, key->name, patch, &e);
    cJSON_Delete(patch);
    if (rc) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "controlPlaneEndpoint: %s", e.msg);
      goto out;
    }
  }
  if (!capz_json_ptr_bool(amc, "/status/ready", false) &&
      capz_patch_status(capz_ctx_client(ctx), &MC_GVK_AMC, base, key->ns, key->name, set_ready, NULL, NULL, &e) != 0 &&
      e.code != CAPZ_ENOTFOUND)
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "status: %s", e.msg);
out:
  cJSON_Delete(cluster);
  cJSON_Delete(amcp);
  capz_obj_unref(base);
  return oc;
}
