/* asomc_controller.c — AzureASOManagedCluster: its embedded ASO ResourceGroups converged through the SDK ensure
 * (no ASO), then the control plane's endpoint mirrored into spec; ready once the endpoint is known. Other embedded
 * kinds are reported not ready (only ResourceGroup is translated here). */
#include <stdio.h>
#include <string.h>

#include "aso_common.h"
#include "capz/json.h"
#include "mc_plugin.h"
#include "capz/azure_table.h"

typedef struct asomc_status {
  cJSON *resources;
  bool ready;
} asomc_status;

static int mutate(void *ud, cJSON *obj) {
  asomc_status *st = ud;
  capz_json_ptr_set(obj, "/status/resources", cJSON_Duplicate(st->resources, 1), NULL);
  capz_json_ptr_set(obj, "/status/ready", st->ready ? cJSON_CreateTrue() : cJSON_CreateFalse(), NULL);
  return 0;
}

capz_outcome mc_asomc_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  mc_state *s = state;
  const capz_obj *base = NULL;
  capz_err e = {0};
  if (capz_ctx_get(ctx, &base, &e) != 0) return e.code == CAPZ_ENOTFOUND ? CAPZ_DONE : CAPZ_RETRY;
  const cJSON *obj = capz_obj_json(base);
  capz_outcome oc = CAPZ_DONE;
  cJSON *cluster = NULL, *cp = NULL;
  capz_arm_table t;
  capz_arm_walk w = {0};
  const char *cname = capz_owner_ref_name(obj, "cluster.x-k8s.io", "Cluster");
  capz_arm_table_init(&t, cname);
  bool deleting = capz_obj_deleting(base);
  if (deleting && !capz_has_finalizer(obj, MC_CAPI_CLUSTER_FINALIZER)) goto out;
  if (!cname) goto out;
  cluster = capz_ctx_cache_copy(ctx, &MC_GVK_CLUSTER, key->ns, cname);
  if (!deleting) {
    if (!cluster || capz_is_paused(obj, cluster)) goto out;
    if (strcmp(capz_json_ptr_str(cluster, "/spec/controlPlaneRef/kind", ""), "AzureASOManagedControlPlane") != 0) {
      oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration",
                   "Cluster %s must use an AzureASOManagedControlPlane", cname);
      goto out;
    }
    bool changed = false;
    if (capz_finalizer_add(capz_ctx_client(ctx), &MC_GVK_ASOMC, base, MC_CAPI_CLUSTER_FINALIZER, &changed, &e)) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
      goto out;
    }
    if (changed) goto out;
  }
  capz_arm_client *arm = NULL;
  char sub[64] = "";
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(obj, "/spec/resources")) {
    if (strcmp(capz_json_ptr_str(it, "/kind", ""), "ResourceGroup") != 0) continue;
    if (!arm && mc_arm_for_aso(s, ctx, key->ns, it, &arm, sub, sizeof sub, &e)) {
      oc = capz_ctx_fail(ctx, res, mc_outcome_for(e.code, deleting), "IdentityError", "%s", e.msg);
      goto out;
    }
    char id[600];
    snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s", sub, mc_aso_azure_name(it));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", capz_json_ptr_str(it, "/spec/location", ""));
    capz_arm_row *r = capz_arm_table_add(&t, "groups", NULL, id, d, NULL, NULL);
    if (r && capz_json_ptr_get(it, "/spec/tags")) r->tags = cJSON_Duplicate(capz_json_ptr_get(it, "/spec/tags"), 1);
  }
  if (deleting) {
    if (arm) capz_arm_table_delete(&t, s->ensurer, arm, NULL, NULL, &w);
    if (w.in_progress) {
      res->requeue_after_ms = (uint64_t)((w.requeue_after_s < s->poll_floor_s ? s->poll_floor_s : w.requeue_after_s) *
                                         1000.0);
      oc = CAPZ_REQUEUE_AFTER;
    } else if (w.rc) {
      oc = capz_ctx_fail(ctx, res, mc_outcome_for(w.rc, true), "DeletionFailed", "%s", w.err.msg);
    } else {
      bool changed = false;
      if (capz_finalizer_remove(capz_ctx_client(ctx), &MC_GVK_ASOMC, base, MC_CAPI_CLUSTER_FINALIZER, &changed, &e) &&
          e.code != CAPZ_ENOTFOUND)
        oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
    }
    goto out;
  }
  if (arm) capz_arm_table_ensure(&t, s->ensurer, arm, NULL, NULL, &w);
  if (w.rc && w.rc != CAPZ_ECONFLICT) {
    oc = capz_ctx_fail(ctx, res, mc_outcome_for(w.rc, false), "ReconcileError", "%s", w.err.msg);
    goto out;
  }
  bool converged = !w.in_progress && !w.rc;
  cp = capz_ctx_cache_copy(ctx, &MC_GVK_ASOCP, key->ns, capz_json_ptr_str(cluster, "/spec/controlPlaneRef/name", ""));
  const cJSON *ep = capz_json_ptr_get(cp, "/status/controlPlaneEndpoint");
  bool have_ep = converged && *capz_json_ptr_str(ep, "/host", "");
  if (have_ep && !capz_json_equal(ep, capz_json_ptr_get(obj, "/spec/controlPlaneEndpoint"))) {
    cJSON *patch = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "spec"), "controlPlaneEndpoint", cJSON_Duplicate(ep, 1));
    int rc = capz_ctx_merge_patch(ctx, &MC_GVK_ASOMC, key->ns, key->name, patch, &e);
    cJSON_Delete(patch);
    if (rc) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", e.msg);
      goto out;
    }
  }
  asomc_status st = {.resources = mc_aso_status_resources(obj, converged), .ready = have_ep};
  if (capz_patch_status(capz_ctx_client(ctx), &MC_GVK_ASOMC, base, key->ns, key->name, mutate, &st, NULL, &e) &&
      e.code != CAPZ_ENOTFOUND)
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_WARN, "status patch failed", "error", e.msg, NULL);
  cJSON_Delete(st.resources);
  res->requeue_after_ms = have_ep ? (uint64_t)(s->drift_interval_s * 1000.0) : 2000;
  oc = CAPZ_REQUEUE_AFTER;
out:
  capz_arm_walk_free(&w);
  capz_arm_table_free(&t);
  cJSON_Delete(cluster);
  cJSON_Delete(cp);
  capz_obj_unref(base);
  return oc;
}
