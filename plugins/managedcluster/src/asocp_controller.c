/* asocp_controller.c — AzureASOManagedControlPlane: its one embedded ASO ManagedCluster translated to the ARM body
 * (mc_aso_to_arm) with the fields CAPZ forces (kubernetesVersion from spec.version, pod/service CIDRs from the
 * Cluster, agentPoolProfiles from the AzureASOManagedMachinePools at creation), converged with the SDK ensure; then
 * status.controlPlaneEndpoint/initialized/ready/version and the <cluster>-kubeconfig Secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aso_common.h"
#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"
#include "capz/azure_table.h"

typedef struct asocp_status {
  const cJSON *obj;
  const char *host;
  const char *version;
  bool ready;
} asocp_status;

static int mutate(void *ud, cJSON *obj) {
  asocp_status *st = ud;
  capz_json_ptr_set(obj, "/status/resources", mc_aso_status_resources(st->obj, st->ready), NULL);
  if (st->ready) {
    cJSON *ep = cJSON_CreateObject();
    cJSON_AddStringToObject(ep, "host", st->host);
    cJSON_AddNumberToObject(ep, "port", 443);
    capz_json_ptr_set(obj, "/status/controlPlaneEndpoint", ep, NULL);
    capz_json_ptr_set(obj, "/status/initialized", cJSON_CreateTrue(), NULL);
    capz_json_ptr_set(obj, "/status/ready", cJSON_CreateTrue(), NULL);
    if (st->version) capz_json_ptr_set_str(obj, "/status/version", st->version, NULL);
  }
  return 0;
}

/* agentPoolProfiles for the create request from the cluster's AzureASOManagedMachinePools (sorted by name). */
static cJSON *initial_pools(capz_ctx *ctx, const char *ns, const char *cluster) {
  cJSON *out = cJSON_CreateArray();
  capz_obj_list l = {0};
  if (capz_ctx_cache_list(ctx, &MC_GVK_MACHINEPOOL, ns, NULL, &l, NULL) != 0) return out;
  for (size_t i = 0; i < l.n; i++) {
    const cJSON *mp = capz_obj_json(l.items[i]);
    if (strcmp(capz_json_ptr_str(mp, "/spec/clusterName", ""), cluster) != 0 ||
        strcmp(capz_json_ptr_str(mp, "/spec/template/spec/infrastructureRef/kind", ""), "AzureASOManagedMachinePool"))
      continue;
    cJSON *p = capz_ctx_cache_copy(ctx, &MC_GVK_ASOMP, ns, capz_json_ptr_str(mp, "/spec/template/spec/infrastructureRef/name", ""));
    const cJSON *ap = mc_aso_find(p, "ManagedClustersAgentPool", NULL);
    if (ap) {
      cJSON *arm = mc_aso_to_arm(capz_json_ptr_get(ap, "/spec"), MC_ASO_AGENT_POOL);
      cJSON *props = cJSON_DetachItemFromObjectCaseSensitive(arm, "properties");
      if (!props) props = cJSON_CreateObject();
      cJSON_DeleteItemFromObjectCaseSensitive(props, "count");
      cJSON_AddNumberToObject(props, "count", (double)capz_json_ptr_int(mp, "/spec/replicas", 1));
      char ver[64];
      mc_version_plain(capz_json_ptr_str(mp, "/spec/template/spec/version", ""), ver, sizeof ver);
      cJSON_DeleteItemFromObjectCaseSensitive(props, "orchestratorVersion");
      if (*ver) cJSON_AddStringToObject(props, "orchestratorVersion", ver);
      cJSON_AddStringToObject(props, "name", mc_aso_azure_name(ap));
      int idx = 0;
      const cJSON *at = out->child;
      while (at && strcmp(capz_json_ptr_str(at, "/name", ""), mc_aso_azure_name(ap)) < 0) at = at->next, idx++;
      if (at) cJSON_InsertItemInArray(out, idx, props);
      else cJSON_AddItemToArray(out, props);
      cJSON_Delete(arm);
    }
    cJSON_Delete(p);
  }
  capz_obj_list_free(&l);
  return out;
}

capz_outcome mc_asocp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  mc_state *s = state;
  const capz_obj *base = NULL;
  capz_err e = {0};
  if (capz_ctx_get(ctx, &base, &e) != 0) {
    if (e.code != CAPZ_ENOTFOUND) return CAPZ_RETRY;
    mc_waiters_set(s->asocp_waiters, key->ns, "", key->name, false);
    return CAPZ_DONE;
  }
  const cJSON *obj = capz_obj_json(base);
  capz_outcome oc = CAPZ_DONE;
  bool waiting = false; /* for its pools: recorded in asocp_waiters, woken by the pool watches (plugin.c) */
  cJSON *cluster = NULL, *infra = NULL;
  const char *cname = capz_owner_ref_name(obj, "cluster.x-k8s.io", "Cluster");
  capz_arm_table t;
  capz_arm_walk w = {0};
  capz_arm_table_init(&t, cname);
  bool deleting = capz_obj_deleting(base);
  if ((deleting && !capz_has_finalizer(obj, MC_ASO_CP_FINALIZER)) || !cname) goto out;
  cluster = capz_ctx_cache_copy(ctx, &MC_GVK_CLUSTER, key->ns, cname);
  if (!deleting && (!cluster || capz_is_paused(obj, cluster))) goto out;
  infra = capz_ctx_cache_copy(ctx, &MC_GVK_ASOMC, key->ns, capz_json_ptr_str(cluster, "/spec/infrastructureRef/name", cname));
  int n = 0;
  const cJSON *mcr = mc_aso_find(obj, "ManagedCluster", &n);
  if (n != 1) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration",
                 "spec.resources must hold exactly one ManagedCluster (found %d)", n);
    goto out;
  }
  if (!deleting) {
    bool changed = false;
    if (capz_finalizer_add(capz_ctx_client(ctx), &MC_GVK_ASOCP, base, MC_ASO_CP_FINALIZER, &changed, &e)) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
      goto out;
    }
    if (changed) goto out;
  }
  capz_arm_client *arm = NULL;
  char sub[64];
  if (mc_arm_for_aso(s, ctx, key->ns, mcr, &arm, sub, sizeof sub, &e)) {
    oc = capz_ctx_fail(ctx, res, mc_outcome_for(e.code, deleting), "IdentityError", "%s", e.msg);
    goto out;
  }
  char id[700], api[32] = MC_API_STABLE;
  snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s",
           sub, mc_aso_owner_rg(mcr, infra), mc_aso_azure_name(mcr));
  mc_aso_api_version(capz_json_ptr_str(mcr, "/apiVersion", ""), api, sizeof api);
  cJSON *body = mc_aso_to_arm(capz_json_ptr_get(mcr, "/spec"), MC_ASO_MANAGED_CLUSTER);
  char ver[64];
  mc_version_plain(capz_json_ptr_str(obj, "/spec/version", ""), ver, sizeof ver);
  if (*ver) capz_json_ptr_set_str(body, "/properties/kubernetesVersion", ver, NULL);
  const char *pods = capz_json_ptr_str(cluster, "/spec/clusterNetwork/pods/cidrBlocks/0", NULL);
  const char *svcs = capz_json_ptr_str(cluster, "/spec/clusterNetwork/services/cidrBlocks/0", NULL);
  if (pods) capz_json_ptr_set_str(body, "/properties/networkProfile/podCidr", pods, NULL);
  if (svcs) capz_json_ptr_set_str(body, "/properties/networkProfile/serviceCidr", svcs, NULL);
  bool created = *capz_json_ptr_str(obj, "/status/controlPlaneEndpoint/host", "") != '\0';
  if (!deleting && !created) {
    /* recorded before the cache read: a pool that appears after the read wakes us (mc_plugin.h) */
    mc_waiters_set(s->asocp_waiters, key->ns, cname, key->name, true);
    cJSON *pools = initial_pools(ctx, key->ns, cname);
    if (cJSON_GetArraySize(pools) == 0) {
      cJSON_Delete(pools);
      cJSON_Delete(body);
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for an AzureASOManagedMachinePool", NULL);
      waiting = true;
      goto out;
    }
    capz_json_ptr_set(body, "/properties/agentPoolProfiles", pools, NULL);
  }
  capz_arm_row *r = capz_arm_table_add(&t, "managedclusters", NULL, id, body, NULL, NULL);
  if (!r) {
    oc = CAPZ_RETRY;
    goto out;
  }
  snprintf(r->api_version, sizeof r->api_version, "%s", api);
  static const char *const skip[] = {"agentPoolProfiles", NULL};
  capz_arm_row_own_properties(r, skip);
  if (deleting) {
    capz_arm_table_delete(&t, s->ensurer, arm, NULL, NULL, &w);
  } else {
    capz_arm_table_ensure(&t, s->ensurer, arm, NULL, NULL, &w);
  }
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
    mc_kubeconfig_delete(ctx, key->ns, cname);
    mc_kubeconfig_forget(s, key->ns, cname);
    bool changed = false;
    if (capz_finalizer_remove(capz_ctx_client(ctx), &MC_GVK_ASOCP, base, MC_ASO_CP_FINALIZER, &changed, &e) &&
        e.code != CAPZ_ENOTFOUND)
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
    goto out;
  }
  const cJSON *live = r->live;
  if (!created && !live) {
    capz_arm_ensurer_forget(s->ensurer, r->id);
    res->requeue_after_ms = 100;
    oc = CAPZ_REQUEUE_AFTER;
    goto out;
  }
  asocp_status st = {.obj = obj, .ready = true};
  char host[300], version[64];
  if (live) {
    bool priv = capz_json_ptr_bool(live, "/properties/apiServerAccessProfile/enablePrivateCluster", false) &&
                !capz_json_ptr_bool(live, "/properties/apiServerAccessProfile/enablePrivateClusterPublicFQDN", false);
    snprintf(host, sizeof host, "%s", capz_json_ptr_str(live, priv ? "/properties/privateFQDN" : "/properties/fqdn", ""));
    snprintf(version, sizeof version, "v%s", capz_json_ptr_str(live, "/properties/currentKubernetesVersion", ver));
  } else {
    snprintf(host, sizeof host, "%s", capz_json_ptr_str(obj, "/status/controlPlaneEndpoint/host", ""));
    snprintf(version, sizeof version, "%s", capz_json_ptr_str(obj, "/status/version", ""));
  }
  st.host = host;
  st.version = *version ? version : NULL;
  mc_kc_req kr = {.mc_id = r->id, .api = r->api_version, .cluster = cname, .owner_kind = "AzureASOManagedControlPlane",
                  .owner_uid = capz_obj_uid(base),
                  .local_disabled = capz_json_ptr_bool(r->desired, "/properties/disableLocalAccounts", false)};
  /* AAD with local accounts disabled: the user kubeconfig with a token from the ASO credential (as CAPZ) */
  if (kr.local_disabled && capz_json_ptr_bool(r->desired, "/properties/aadProfile/managed", false)) kr.aso_res = mcr;
  double kc_next = s->drift_interval_s;
  if (mc_kubeconfig_sync(s, ctx, arm, &kr, &kc_next, &e) != 0) {
    oc = capz_ctx_fail(ctx, res, mc_outcome_for(e.code, false), "KubeconfigError", "%s", e.msg);
    goto out;
  }
  if (capz_patch_status(capz_ctx_client(ctx), &MC_GVK_ASOCP, base, key->ns, key->name, mutate, &st, NULL, &e) &&
      e.code != CAPZ_ENOTFOUND)
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_WARN, "status patch failed", "error", e.msg, NULL);
  res->requeue_after_ms = (uint64_t)((kc_next < s->drift_interval_s ? kc_next : s->drift_interval_s) * 1000.0);
  oc = CAPZ_REQUEUE_AFTER;
out:
  if (!waiting) mc_waiters_set(s->asocp_waiters, key->ns, "", key->name, false);
  capz_arm_walk_free(&w);
  capz_arm_table_free(&t);
  cJSON_Delete(cluster);
  cJSON_Delete(infra);
  capz_obj_unref(base);
  return oc;
}
