/* ammp_controller.c — AzureManagedMachinePool: one agentPool per AMMP (ensure with owned fields; the count is
 * not owned while AKS autoscales it), then providerIDList / status.replicas from the pool's VMSS instances in
 * the node resource group (read only when something changed), and the autoscaler annotation with replicas synced
 * back to the MachinePool. Deletion removes the agentPool unless the whole cluster is going away; the last System
 * pool is never removed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amcp_resources.h"
#include "capz/conditions.h"
#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

typedef struct ammp_run {
  mc_state *s;
  capz_ctx *ctx;
  const capz_obj *base;
  cJSON *ammp, *mp, *cluster, *amcp;
  capz_arm_table t;
  capz_arm_walk w;
  bool deleting, ready;
  long replicas;          /* for status, -1 = unknown */
  cJSON *provider_ids;    /* new list or NULL */
  char mc_id[700];        /* the managedCluster's ARM id: the scope of AKS's one-operation-at-a-time rule */
  char turn_owner[320];   /* namespace/name: this pool in the cluster's operation note */
} ammp_run;

/* How long a pool's turn lasts without being renewed (each LRO poll renews it); one whose pool vanished lapses. */
#define TURN_HOLD_S 120.0
/* After a 409 from a writer we did not know about (AMCP, another host, before a restart): back off this long plus
 * up to half again of jitter, so the pools of many clusters do not come back in lockstep. */
#define CONFLICT_BACKOFF_S 10.0

static double mono_s(void) { return (double)capz_monotonic_ms() / 1000.0; }

/* [0, 1): differs per pool and per call, no shared RNG state between worker threads */
static double jitter(const char *key) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)capz_monotonic_ms();
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 1099511628211ULL;
  return (double)(h % 1000) / 1000.0;
}

/* Take the cluster's turn for this pool's write, or say how long to wait without calling ARM. */
static bool take_turn(ammp_run *x, capz_result *res) {
  double wait = 0;
  if (mc_cluster_ops_claim(x->s->cluster_ops, x->mc_id, x->turn_owner, mono_s(), TURN_HOLD_S, &wait)) return true;
  /* a sibling's operation: look again at the LRO poll cadence (an in-memory check); a backoff: when it ends */
  double step = x->s->poll_floor_s;
  if (wait > step) wait = step;
  if (wait < 0.2) wait = 0.2;
  res->requeue_after_ms = (uint64_t)(wait * (1.0 + 0.25 * jitter(x->turn_owner)) * 1000.0);
  capz_log(capz_ctx_logger(x->ctx), CAPZ_LOG_DEBUG, "another operation on the cluster is running; waiting for it",
           NULL);
  return false;
}

static const char *token_of(void *ud, const capz_arm_row *r) {
  ammp_run *x = ud;
  return capz_lro_state_get(capz_obj_json(x->base), r->service, r->name);
}

static int mutate_status(void *ud, cJSON *obj) {
  ammp_run *x = ud;
  if (x->t.n) {
    const capz_arm_row *r = &x->t.rows[0];
    capz_lro_state_set(obj, r->service, r->name, x->deleting ? "DELETE" : "PUT", x->w.in_progress ? x->w.resume_token : NULL);
    if (x->w.in_progress)
      capz_cond_mark_false(obj, "AgentPoolsReady", x->deleting ? "Deleting" : "Creating", CAPZ_SEV_INFO,
                           "operation in progress");
    else if (x->w.rc)
      capz_cond_mark_false(obj, "AgentPoolsReady", x->deleting ? "DeletionFailed" : "Failed", CAPZ_SEV_ERROR, "%s",
                           x->w.err.msg);
    else if (!x->deleting)
      capz_cond_mark_true(obj, "AgentPoolsReady");
  }
  if (x->replicas >= 0) capz_json_ptr_set(obj, "/status/replicas", cJSON_CreateNumber((double)x->replicas), NULL);
  capz_json_ptr_set(obj, "/status/ready", x->ready ? cJSON_CreateTrue() : cJSON_CreateFalse(), NULL);
  static const char *const owned[] = {"AgentPoolsReady", NULL};
  capz_cond_set_summary(obj, owned);
  return 0;
}

static void write_status(ammp_run *x) {
  const capz_key *k = capz_ctx_key(x->ctx);
  capz_err e;
  if (capz_patch_status(capz_ctx_client(x->ctx), &MC_GVK_AMMP, x->base, k->ns, k->name, mutate_status, x, NULL, &e) &&
      e.code != CAPZ_ENOTFOUND)
    capz_log(capz_ctx_logger(x->ctx), CAPZ_LOG_WARN, "status patch failed", "error", e.msg, NULL);
}

static capz_outcome walk_outcome(ammp_run *x, capz_result *res) {
  if (!x->w.in_progress) mc_cluster_ops_release(x->s->cluster_ops, x->mc_id, x->turn_owner, mono_s());
  if (x->w.in_progress) {
    double s = x->w.requeue_after_s < x->s->poll_floor_s ? x->s->poll_floor_s : x->w.requeue_after_s;
    res->requeue_after_ms = (uint64_t)(s * 1000.0);
    return CAPZ_REQUEUE_AFTER;
  }
  if (x->w.rc == CAPZ_ECONFLICT) {
    /* AKS runs one operation per cluster at a time and someone we did not know about has one running: none of the
     * cluster's pools writes (nor reads for it) until the backoff ends */
    double b = CONFLICT_BACKOFF_S * (1.0 + 0.5 * jitter(x->turn_owner));
    mc_cluster_ops_backoff(x->s->cluster_ops, x->mc_id, mono_s(), b);
    capz_log(capz_ctx_logger(x->ctx), CAPZ_LOG_INFO, "another operation is in progress; backing off", "detail",
             x->w.err.msg, NULL);
    res->requeue_after_ms = (uint64_t)(b * 1000.0);
    return CAPZ_REQUEUE_AFTER;
  }
  if (x->w.rc)
    return capz_ctx_fail(x->ctx, res, mc_outcome_for(x->w.rc, x->deleting), x->deleting ? "DeletionFailed" : "ReconcileError",
                   "agentPool %s: %s", x->t.rows[0].name, x->w.err.msg);
  return CAPZ_DONE;
}

/* The pool's agentPool has been created in AKS (AgentPoolsReady True). */
static bool agentpool_ready(const cJSON *ammp) {
  const cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(ammp, "/status/conditions"))
    if (!strcmp(capz_json_ptr_str(c, "/type", ""), "AgentPoolsReady"))
      return !strcmp(capz_json_ptr_str(c, "/status", ""), "True");
  return false;
}

/* Another System pool of the cluster that is not being deleted and exists in AKS? (AKS refuses to delete the last
 * System agentPool it has, so a sibling still being created does not release this one yet; its status change
 * wakes this pool again through the sibling watch.) */
static bool other_system_pool(ammp_run *x) {
  const capz_key *k = capz_ctx_key(x->ctx);
  cJSON *pools = mc_cluster_pools(x->ctx, k->ns, capz_json_ptr_str(x->mp, "/spec/clusterName", ""));
  bool found = false;
  const cJSON *e;
  cJSON_ArrayForEach(e, pools) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "ammp");
    if (strcmp(capz_json_ptr_str(a, "/metadata/name", ""), k->name) == 0) continue;
    if (capz_json_ptr_get(a, "/metadata/deletionTimestamp")) continue;
    if (strcmp(capz_json_ptr_str(a, "/spec/mode", ""), "System") == 0 && agentpool_ready(a)) found = true;
  }
  cJSON_Delete(pools);
  return found;
}

/* MachinePool side of autoscaling: the replicas-managed-by annotation and replicas synced from AKS. */
static int sync_machinepool(ammp_run *x, bool autoscale, long live_count, capz_err *err) {
  const char *ann = capz_json_ptr_str(x->mp, "/metadata/annotations/cluster.x-k8s.io~1replicas-managed-by", NULL);
  cJSON *patch = cJSON_CreateObject();
  bool need = false;
  if (autoscale) {
    if (!ann || strcmp(ann, "true") != 0) {
      cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations"),
                              MC_ANN_REPLICAS_MANAGED_BY, "true");
      need = true;
    }
    if (live_count >= 0 && capz_json_ptr_int(x->mp, "/spec/replicas", -1) != live_count) {
      cJSON_AddNumberToObject(cJSON_AddObjectToObject(patch, "spec"), "replicas", (double)live_count);
      need = true;
    }
  } else if (ann && strcmp(ann, "true") == 0) {
    cJSON_AddNullToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations"),
                          MC_ANN_REPLICAS_MANAGED_BY);
    need = true;
  }
  int rc = need ? capz_ctx_merge_patch(x->ctx, &MC_GVK_MACHINEPOOL, capz_ctx_key(x->ctx)->ns,
                           capz_json_ptr_str(x->mp, "/metadata/name", ""), patch, err)
                : 0;
  cJSON_Delete(patch);
  return rc;
}

static capz_outcome drop_finalizer(ammp_run *x, capz_result *res) {
  bool changed = false;
  capz_err e;
  int rc = capz_finalizer_remove(capz_ctx_client(x->ctx), &MC_GVK_AMMP, x->base, MC_AMMP_FINALIZER, &changed, &e);
  if (rc && rc != CAPZ_ENOTFOUND) return capz_ctx_fail(x->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
  return CAPZ_DONE;
}

capz_outcome mc_ammp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  ammp_run x = {.s = state, .ctx = ctx, .replicas = -1};
  capz_err e = {0};
  capz_outcome oc = CAPZ_DONE;
  bool waiting = false; /* kept as the cluster's last System pool */
  if (capz_ctx_get(ctx, &x.base, &e) != 0) {
    if (e.code != CAPZ_ENOTFOUND) return CAPZ_RETRY;
    mc_waiters_set(x.s->pool_waiters, key->ns, "", key->name, false);
    return CAPZ_DONE;
  }
  capz_arm_table_init(&x.t, NULL);
  x.ammp = cJSON_Duplicate(capz_obj_json(x.base), 1);
  mc_ammp_default(x.ammp, NULL);
  x.deleting = capz_obj_deleting(x.base);
  const char *mpname = capz_owner_ref_name(x.ammp, "cluster.x-k8s.io", "MachinePool");
  x.mp = mpname ? capz_ctx_cache_copy(ctx, &MC_GVK_MACHINEPOOL, key->ns, mpname) : NULL;
  const char *cname = capz_json_ptr_str(x.mp, "/spec/clusterName", "");
  x.cluster = *cname ? capz_ctx_cache_copy(ctx, &MC_GVK_CLUSTER, key->ns, cname) : NULL;
  x.amcp = x.cluster ? capz_ctx_cache_copy(ctx, &MC_GVK_AMCP, key->ns,
                                     capz_json_ptr_str(x.cluster, "/spec/controlPlaneRef/name", cname))
                     : NULL;
  if (x.deleting) {
    if (!capz_has_finalizer(x.ammp, MC_AMMP_FINALIZER)) goto out;
    /* the cluster is going away: AKS removes the pool with the managedCluster */
    if (!x.mp || !x.cluster || !x.amcp || capz_json_ptr_get(x.cluster, "/metadata/deletionTimestamp") ||
        capz_json_ptr_get(x.amcp, "/metadata/deletionTimestamp")) {
      oc = drop_finalizer(&x, res);
      goto out;
    }
    if (strcmp(capz_json_ptr_str(x.ammp, "/spec/mode", ""), "System") == 0 && !other_system_pool(&x)) {
      /* kept (finalizer stays). No poll: the Cluster / AMCP watches wake it when the cluster goes away and the
       * sibling-pool watch (plugin.c, through the waiter note) when another System pool appears */
      waiting = true;
      mc_waiters_set(x.s->pool_waiters, key->ns, cname, key->name, true);
      oc = capz_ctx_fail(ctx, res, CAPZ_DONE, "LastSystemPool",
                         "pool %s is the cluster's last System pool and cannot be deleted",
                         capz_json_ptr_str(x.ammp, "/spec/name", ""));
      goto out;
    }
  } else {
    if (!x.mp) {
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for the owner MachinePool", NULL);
      goto out;
    }
    if (capz_is_paused(x.ammp, x.cluster)) goto out;
    bool changed = false;
    if (capz_finalizer_add(capz_ctx_client(ctx), &MC_GVK_AMMP, x.base, MC_AMMP_FINALIZER, &changed, &e)) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
      goto out;
    }
    if (changed) goto out;
    char msg[512];
    if (mc_ammp_validate(x.ammp, NULL, msg, sizeof msg)) {
      oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration", "%s", msg);
      goto out;
    }
    if (!x.amcp || !capz_json_ptr_bool(x.amcp, "/status/initialized", false)) {
      /* no poll: the AMCP and Cluster watches (plugin.c) wake this pool when its control plane changes */
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for the control plane", NULL);
      goto out;
    }
  }
  mc_amcp_default(x.amcp, NULL);
  const char *version = capz_json_ptr_str(x.mp, "/spec/template/spec/version", NULL);
  /* pools follow the control plane: never ahead of it */
  if (!x.deleting && version && mc_version_cmp(version, capz_json_ptr_str(x.amcp, "/status/version", "")) > 0) {
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for the control plane upgrade", "version", version, NULL);
    goto out; /* the AMCP watch wakes it when status.version moves */
  }
  capz_arm_client *arm = NULL;
  if (mc_arm_for(x.s, ctx, x.amcp, &arm, &e)) {
    oc = capz_ctx_fail(ctx, res, e.code == CAPZ_EFORBIDDEN || e.code == CAPZ_EINVAL ? CAPZ_TERMINAL : CAPZ_RETRY,
                 "IdentityError", "%s", e.msg);
    goto out;
  }
  const char *pool = capz_json_ptr_str(x.ammp, "/spec/name", "");
  bool autoscale = cJSON_IsObject(capz_json_ptr_get(x.ammp, "/spec/scaling"));
  char subnet[700], id[900];
  mc_subnet_id(x.amcp, subnet, sizeof subnet);
  snprintf(id, sizeof id,
           "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s/agentPools/%s",
           capz_json_ptr_str(x.amcp, "/spec/subscriptionID", ""),
           capz_json_ptr_str(x.amcp, "/spec/resourceGroupName", ""),
           capz_json_ptr_str(x.amcp, "/metadata/name", ""), pool);
  snprintf(x.mc_id, sizeof x.mc_id,
           "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s",
           capz_json_ptr_str(x.amcp, "/spec/subscriptionID", ""),
           capz_json_ptr_str(x.amcp, "/spec/resourceGroupName", ""), capz_json_ptr_str(x.amcp, "/metadata/name", ""));
  snprintf(x.turn_owner, sizeof x.turn_owner, "%s/%s", key->ns, key->name);
  long want = (long)capz_json_ptr_int(x.mp, "/spec/replicas", 1);
  cJSON *body = mc_agentpool_body(x.ammp, want, version, subnet, &e);
  if (!body) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration", "%s", e.msg);
    goto out;
  }
  capz_arm_row *r = capz_arm_table_add(&x.t, MC_SVC_AGENTPOOLS, "AgentPoolsReady", id, body, NULL, NULL);
  if (!r) {
    oc = CAPZ_RETRY;
    goto out;
  }
  r->ownership = false; /* agent pools carry no ARM tags of their own; the managedCluster's ownership covers them */
  snprintf(r->api_version, sizeof r->api_version, "%s",
           capz_json_ptr_bool(x.amcp, "/spec/enablePreviewFeatures", false) ? MC_API_PREVIEW : MC_API_STABLE);
  static const char *const skip_count[] = {"count", NULL};
  capz_arm_row_own_properties(r, autoscale ? skip_count : NULL);
  if (!take_turn(&x, res)) {
    oc = CAPZ_REQUEUE_AFTER;
    goto out;
  }
  if (x.deleting) {
    capz_arm_table_delete(&x.t, x.s->ensurer, arm, token_of, &x, &x.w);
    write_status(&x);
    oc = walk_outcome(&x, res);
    if (oc == CAPZ_DONE) oc = drop_finalizer(&x, res);
    goto out;
  }
  capz_arm_table_ensure(&x.t, x.s->ensurer, arm, token_of, &x, &x.w);
  if (!x.w.in_progress && !x.w.rc) mc_cluster_ops_release(x.s->cluster_ops, x.mc_id, x.turn_owner, mono_s());
  if (x.w.in_progress || x.w.rc) {
    write_status(&x);
    oc = walk_outcome(&x, res);
    goto out;
  }
  /* converged: the pool's count (AKS's when it autoscales) */
  long count = autoscale ? (r->live ? (long)capz_json_ptr_int(r->live, "/properties/count", -1)
                                    : (long)capz_json_ptr_int(x.ammp, "/status/replicas", -1))
                         : want;
  const cJSON *ids = capz_json_ptr_get(x.ammp, "/spec/providerIDList");
  /* A drift read (r->live) alone is no reason to list the node resource group's scale sets again (2 reads per pool
   * per drift interval): only a pool whose count or provisioning state moved away from what status recorded is.
   * A node image upgrade re-images instances in place; their providerIDs do not change. */
  bool live_moved = false;
  if (r->live) {
    const char *ps = capz_json_ptr_str(r->live, "/properties/provisioningState", "Succeeded");
    long live_count = (long)capz_json_ptr_int(r->live, "/properties/count", -1);
    live_moved = strcmp(ps, "Succeeded") != 0 ||
                 (live_count >= 0 && live_count != capz_json_ptr_int(x.ammp, "/status/replicas", -1));
  }
  bool stale = r->outcome != CAPZ_ENSURE_UNCHANGED || live_moved || !capz_json_ptr_bool(x.ammp, "/status/ready", false) ||
               cJSON_GetArraySize(ids) != count || capz_json_ptr_int(x.ammp, "/status/replicas", -1) != count;
  x.replicas = capz_json_ptr_int(x.ammp, "/status/replicas", -1);
  if (stale) {
    cJSON *list = NULL;
    if (mc_pool_provider_ids(arm, capz_json_ptr_str(x.amcp, "/spec/subscriptionID", ""),
                              capz_json_ptr_str(x.amcp, "/spec/nodeResourceGroupName", ""), pool, &list, &e) != 0) {
      write_status(&x);
      res->requeue_after_ms = 5000;
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "pool instances not readable yet", "error", e.msg, NULL);
      oc = CAPZ_REQUEUE_AFTER;
      goto out;
    }
    x.replicas = cJSON_GetArraySize(list);
    if (!capz_json_equal(list, ids)) {
      cJSON *patch = cJSON_CreateObject();
      cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "spec"), "providerIDList", list);
      list = NULL;
      int prc = capz_ctx_merge_patch(ctx, &MC_GVK_AMMP, key->ns, key->name, patch, &e);
      cJSON_Delete(patch);
      if (prc) {
        oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "providerIDList: %s", e.msg);
        goto out;
      }
    }
    cJSON_Delete(list);
  }
  if (sync_machinepool(&x, autoscale, autoscale ? (count >= 0 ? count : x.replicas) : -1, &e) != 0) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "MachinePool: %s", e.msg);
    goto out;
  }
  x.ready = x.replicas == count || autoscale;
  write_status(&x);
  /* instances still catching up with the count: look again soon; otherwise only for the drift read */
  res->requeue_after_ms = x.ready ? (uint64_t)(x.s->drift_interval_s * 1000.0) : 3000;
  oc = CAPZ_REQUEUE_AFTER;
out:
  if (!waiting) mc_waiters_set(x.s->pool_waiters, key->ns, "", key->name, false);
  capz_arm_walk_free(&x.w);
  capz_arm_table_free(&x.t);
  cJSON_Delete(x.ammp);
  cJSON_Delete(x.mp);
  cJSON_Delete(x.cluster);
  cJSON_Delete(x.amcp);
  capz_obj_unref(x.base);
  return oc;
}
