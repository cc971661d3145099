/* asomp_controller.c — AzureASOManagedMachinePool: its one embedded ASO ManagedClustersAgentPool translated to the
 * ARM agentPool body with the fields CAPZ forces (orchestratorVersion from the MachinePool; count from
 * MachinePool.spec.replicas unless AKS autoscales), converged with the SDK ensure; then providerIDList and
 * status.replicas from the pool's VMSS (read only when something changed), and the autoscaler annotation
 * (value "aks") with replicas synced back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aso_common.h"
#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"
#include "capz/azure_table.h"

typedef struct asomp_status {
  const cJSON *obj;
  long replicas;
  bool ready;
} asomp_status;

static int mutate(void *ud, cJSON *obj) {
  asomp_status *st = ud;
  capz_json_ptr_set(obj, "/status/resources", mc_aso_status_resources(st->obj, st->ready), NULL);
  if (st->replicas >= 0) capz_json_ptr_set(obj, "/status/replicas", cJSON_CreateNumber((double)st->replicas), NULL);
  capz_json_ptr_set(obj, "/status/ready", st->ready ? cJSON_CreateTrue() : cJSON_CreateFalse(), NULL);
  return 0;
}

static int sync_machinepool(capz_ctx *ctx, const cJSON *mp, bool autoscale, long count, capz_err *err) {
  const char *ann = capz_json_ptr_str(mp, "/metadata/annotations/cluster.x-k8s.io~1replicas-managed-by", NULL);
  cJSON *patch = cJSON_CreateObject();
  bool need = false;
  if (autoscale) {
    if (!ann || strcmp(ann, "aks") != 0) {
      cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations"),
                              MC_ANN_REPLICAS_MANAGED_BY, "aks");
      need = true;
    }
    if (count >= 0 && capz_json_ptr_int(mp, "/spec/replicas", -1) != count) {
      cJSON_AddNumberToObject(cJSON_AddObjectToObject(patch, "spec"), "replicas", (double)count);
      need = true;
    }
  } else if (ann && strcmp(ann, "aks") == 0) {
    cJSON_AddNullToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations"),
                          MC_ANN_REPLICAS_MANAGED_BY);
    need = true;
  }
  int rc = need ? capz_ctx_merge_patch(ctx, &MC_GVK_MACHINEPOOL, capz_ctx_key(ctx)->ns,
                           capz_json_ptr_str(mp, "/metadata/name", ""), patch, err)
                : 0;
  cJSON_Delete(patch);
  return rc;
}

capz_outcome mc_asomp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  mc_state *s = state;
  const capz_obj *base = NULL;
  capz_err e = {0};
  if (capz_ctx_get(ctx, &base, &e) != 0) return e.code == CAPZ_ENOTFOUND ? CAPZ_DONE : CAPZ_RETRY;
  const cJSON *obj = capz_obj_json(base);
  capz_outcome oc = CAPZ_DONE;
  cJSON *mp = NULL, *cluster = NULL, *cp = NULL, *infra = NULL;
  capz_arm_table t;
  capz_arm_walk w = {0};
  capz_arm_table_init(&t, NULL);
  bool deleting = capz_obj_deleting(base);
  if (deleting && !capz_has_finalizer(obj, MC_CAPI_CLUSTER_FINALIZER)) goto out;
  const char *mpname = capz_owner_ref_name(obj, "cluster.x-k8s.io", "MachinePool");
  mp = mpname ? capz_ctx_cache_copy(ctx, &MC_GVK_MACHINEPOOL, key->ns, mpname) : NULL;
  const char *cname = capz_json_ptr_str(mp, "/spec/clusterName", "");
  cluster = *cname ? capz_ctx_cache_copy(ctx, &MC_GVK_CLUSTER, key->ns, cname) : NULL;
  cp = cluster ? capz_ctx_cache_copy(ctx, &MC_GVK_ASOCP, key->ns, capz_json_ptr_str(cluster, "/spec/controlPlaneRef/name", ""))
               : NULL;
  infra = cluster ? capz_ctx_cache_copy(ctx, &MC_GVK_ASOMC, key->ns,
                                  capz_json_ptr_str(cluster, "/spec/infrastructureRef/name", ""))
                  : NULL;
  if (deleting && (!mp || !cluster || !cp || capz_json_ptr_get(cluster, "/metadata/deletionTimestamp") ||
                   capz_json_ptr_get(cp, "/metadata/deletionTimestamp"))) {
    bool changed = false;
    if (capz_finalizer_remove(capz_ctx_client(ctx), &MC_GVK_ASOMP, base, MC_CAPI_CLUSTER_FINALIZER, &changed, &e) &&
        e.code != CAPZ_ENOTFOUND)
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
    goto out;
  }
  if (!mp || !cluster) { /* not in the cache yet (no watch maps Clusters to pools): look again shortly */
    res->requeue_after_ms = 2000;
    oc = CAPZ_REQUEUE_AFTER;
    goto out;
  }
  if (capz_is_paused(obj, cluster)) goto out;
  int n = 0;
  const cJSON *apr = mc_aso_find(obj, "ManagedClustersAgentPool", &n);
  if (n != 1) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration",
                 "spec.resources must hold exactly one ManagedClustersAgentPool (found %d)", n);
    goto out;
  }
  if (!deleting) {
    bool changed = false;
    if (capz_finalizer_add(capz_ctx_client(ctx), &MC_GVK_ASOMP, base, MC_CAPI_CLUSTER_FINALIZER, &changed, &e)) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
      goto out;
    }
    if (changed) goto out;
    if (!capz_json_ptr_bool(cp, "/status/initialized", false)) {
      res->requeue_after_ms = 5000;
      oc = CAPZ_REQUEUE_AFTER;
      goto out;
    }
  }
  /* the pool's ManagedCluster (by ASO name) in the control plane */
  const char *owner = capz_json_ptr_str(apr, "/spec/owner/name", "");
  const cJSON *mcr = NULL, *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(cp, "/spec/resources")) {
    if (!strcmp(capz_json_ptr_str(it, "/kind", ""), "ManagedCluster") &&
        !strcmp(capz_json_ptr_str(it, "/metadata/name", ""), owner))
      mcr = it;
  }
  if (!mcr) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration", "owner ManagedCluster %s is not in the control plane",
                 owner);
    goto out;
  }
  capz_arm_client *arm = NULL;
  char sub[64];
  if (mc_arm_for_aso(s, ctx, key->ns, apr, &arm, sub, sizeof sub, &e)) {
    oc = capz_ctx_fail(ctx, res, mc_outcome_for(e.code, deleting), "IdentityError", "%s", e.msg);
    goto out;
  }
  const char *rg = mc_aso_owner_rg(mcr, infra), *mcname = mc_aso_azure_name(mcr), *pool = mc_aso_azure_name(apr);
  char id[900], api[32] = MC_API_STABLE;
  snprintf(id, sizeof id,
           "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s/agentPools/%s",
           sub, rg, mcname, pool);
  mc_aso_api_version(capz_json_ptr_str(apr, "/apiVersion", ""), api, sizeof api);
  cJSON *body = mc_aso_to_arm(capz_json_ptr_get(apr, "/spec"), MC_ASO_AGENT_POOL);
  bool autoscale = capz_json_ptr_bool(body, "/properties/enableAutoScaling", false);
  char ver[64];
  mc_version_plain(capz_json_ptr_str(mp, "/spec/template/spec/version", ""), ver, sizeof ver);
  if (*ver) capz_json_ptr_set_str(body, "/properties/orchestratorVersion", ver, NULL);
  long want = (long)capz_json_ptr_int(mp, "/spec/replicas", 1);
  if (!autoscale || !capz_json_ptr_get(body, "/properties/count"))
    capz_json_ptr_set(body, "/properties/count", cJSON_CreateNumber((double)want), NULL);
  capz_arm_row *r = capz_arm_table_add(&t, "agentpools", NULL, id, body, NULL, NULL);
  if (!r) {
    oc = CAPZ_RETRY;
    goto out;
  }
  r->ownership = false;
  snprintf(r->api_version, sizeof r->api_version, "%s", api);
  static const char *const skip_count[] = {"count", NULL};
  capz_arm_row_own_properties(r, autoscale ? skip_count : NULL);
  if (deleting) capz_arm_table_delete(&t, s->ensurer, arm, NULL, NULL, &w);
  else capz_arm_table_ensure(&t, s->ensurer, arm, NULL, NULL, &w);
  if (w.in_progress || w.rc == CAPZ_ECONFLICT || w.rc == CAPZ_ENOTFOUND) { /* busy, or the parent is not there yet */
    res->requeue_after_ms =
        w.rc == CAPZ_ENOTFOUND ? 3000
        : (uint64_t)((w.requeue_after_s < s->poll_floor_s ? s->poll_floor_s : w.requeue_after_s) * 1000.0);
    oc = CAPZ_REQUEUE_AFTER;
    goto out;
  }
  if (w.rc) {
    oc = capz_ctx_fail(ctx, res, mc_outcome_for(w.rc, deleting), deleting ? "DeletionFailed" : "ReconcileError", "%s", w.err.msg);
    goto out;
  }
  if (deleting) {
    bool changed = false;
    if (capz_finalizer_remove(capz_ctx_client(ctx), &MC_GVK_ASOMP, base, MC_CAPI_CLUSTER_FINALIZER, &changed, &e) &&
        e.code != CAPZ_ENOTFOUND)
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
    goto out;
  }
  long count = autoscale ? (r->live ? (long)capz_json_ptr_int(r->live, "/properties/count", -1)
                                    : (long)capz_json_ptr_int(obj, "/status/replicas", -1))
                         : want;
  const cJSON *ids = capz_json_ptr_get(obj, "/spec/providerIDList");
  asomp_status st = {.obj = obj, .replicas = capz_json_ptr_int(obj, "/status/replicas", -1)};
  bool stale = r->outcome != CAPZ_ENSURE_UNCHANGED || r->live || !capz_json_ptr_bool(obj, "/status/ready", false) ||
               cJSON_GetArraySize(ids) != count || st.replicas != count;
  if (stale) {
    char node_rg[400];
    const char *nrg = capz_json_ptr_str(mcr, "/spec/nodeResourceGroup", "");
    if (*nrg) snprintf(node_rg, sizeof node_rg, "%s", nrg);
    else snprintf(node_rg, sizeof node_rg, "MC_%s_%s_%s", rg, mcname, capz_json_ptr_str(mcr, "/spec/location", ""));
    cJSON *list = NULL;
    if (mc_pool_provider_ids(arm, sub, node_rg, pool, &list, &e) != 0) {
      res->requeue_after_ms = 3000;
      oc = CAPZ_REQUEUE_AFTER;
      goto out;
    }
    st.replicas = cJSON_GetArraySize(list);
    if (!capz_json_equal(list, ids)) {
      cJSON *patch = cJSON_CreateObject();
      cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "spec"), "providerIDList", list);
      list = NULL;
      int prc = capz_ctx_merge_patch(ctx, &MC_GVK_ASOMP, key->ns, key->name, patch, &e);
      cJSON_Delete(patch);
      if (prc) {
        oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "providerIDList: %s", e.msg);
        goto out;
      }
    }
    cJSON_Delete(list);
  }
  if (sync_machinepool(ctx, mp, autoscale, autoscale ? (count >= 0 ? count : st.replicas) : -1, &e) != 0) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "MachinePool: %s", e.msg);
    goto out;
  }
  st.ready = st.replicas == count || autoscale;
  if (capz_patch_status(capz_ctx_client(ctx), &MC_GVK_ASOMP, base, key->ns, key->name, mutate, &st, NULL, &e) &&
      e.code != CAPZ_ENOTFOUND)
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_WARN, "status patch failed", "error", e.msg, NULL);
  res->requeue_after_ms = st.ready ? (uint64_t)(s->drift_interval_s * 1000.0) : 3000;
  oc = CAPZ_REQUEUE_AFTER;
out:
  capz_arm_walk_free(&w);
  capz_arm_table_free(&t);
  cJSON_Delete(mp);
  cJSON_Delete(cluster);
  cJSON_Delete(cp);
  cJSON_Delete(infra);
  capz_obj_unref(base);
  return oc;
}
