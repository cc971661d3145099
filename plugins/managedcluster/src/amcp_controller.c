/* amcp_controller.c — AzureManagedControlPlane: converge resource group → VNet → subnet → managedCluster → fleet
 * member → AKS extensions through the SDK ensure (no writes once converged), then publish the contract:
 * spec.controlPlaneEndpoint, status.ready/initialized/version, conditions, and the kubeconfig / CA Secrets. Long-running operations are
 * never waited on: the resume token goes into status.longRunningOperationStates and the key is requeued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amcp_resources.h"
#include "capz/conditions.h"
#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

typedef struct amcp_run {
  mc_state *s;
  capz_ctx *ctx;
  const capz_obj *base;
  cJSON *amcp;          /* defaulted private copy */
  cJSON *cluster;       /* owner Cluster (copy) or NULL */
  const char *cluster_name;
  capz_arm_table t;
  capz_arm_walk w;
  bool deleting;
  bool ready;
  const char *version;
  const char *issuer; /* OIDC issuer URL from the live managedCluster when read this pass */
} amcp_run;

static const char *token_of(void *ud, const capz_arm_row *r) {
  amcp_run *x = ud;
  return capz_lro_state_get(capz_obj_json(x->base), r->service, r->name);
}

/* Conditions per row, LRO records, ready/initialized/version. */
static int mutate_status(void *ud, cJSON *obj) {
  amcp_run *x = ud;
  for (size_t i = 0; i < x->t.n; i++) {
    const capz_arm_row *r = &x->t.rows[i];
    bool at = i == x->w.at && x->w.at < x->t.n;
    bool done = x->deleting ? i > x->w.at || x->w.at == x->t.n : i < x->w.at;
    if (at && x->w.in_progress) {
      capz_lro_state_set(obj, r->service, r->name, x->deleting ? "DELETE" : "PUT", x->w.resume_token);
    } else {
      capz_lro_state_set(obj, r->service, r->name, NULL, NULL);
    }
    if (!r->condition) continue;
    if (x->deleting) {
      if (at) capz_cond_mark_false(obj, r->condition, x->w.rc ? "DeletionFailed" : "Deleting",
                                   x->w.rc ? CAPZ_SEV_WARNING : CAPZ_SEV_INFO, "%s", x->w.rc ? x->w.err.msg : "");
      else if (done) capz_cond_mark_false(obj, r->condition, "Deleted", CAPZ_SEV_INFO, "%s", "");
    } else if (done) {
      capz_cond_mark_true(obj, r->condition);
    } else if (at && x->w.in_progress) {
      capz_cond_mark_false(obj, r->condition, "Creating", CAPZ_SEV_INFO, "operation in progress");
    } else if (at) {
      capz_cond_mark_false(obj, r->condition, "Failed", CAPZ_SEV_ERROR, "%s", x->w.err.msg);
    }
  }
  if (x->issuer && *x->issuer) capz_json_ptr_set_str(obj, "/status/oidcIssuerProfile/issuerURL", x->issuer, NULL);
  if (x->ready) {
    capz_json_ptr_set(obj, "/status/ready", cJSON_CreateTrue(), NULL);
    capz_json_ptr_set(obj, "/status/initialized", cJSON_CreateTrue(), NULL);
    if (x->version) capz_json_ptr_set_str(obj, "/status/version", x->version, NULL);
  } else if (x->deleting || capz_json_ptr_get(obj, "/status/ready") == NULL) {
    capz_json_ptr_set(obj, "/status/ready", cJSON_CreateFalse(), NULL);
  }
  const char *owned[8] = {"ResourceGroupReady", "VNetReady", "SubnetsReady", "ManagedClusterRunning", NULL};
  size_t no = 4;
  if (capz_arm_table_find(&x->t, MC_SVC_FLEETSMEMBERS, NULL)) owned[no++] = "FleetReady";
  if (capz_arm_table_find(&x->t, MC_SVC_AKSEXTENSIONS, NULL)) owned[no++] = "AKSExtensionsReady";
  owned[no] = NULL;
  capz_cond_set_summary(obj, owned);
  return 0;
}

static int write_status(amcp_run *x, capz_err *err) {
  const capz_key *k = capz_ctx_key(x->ctx);
  return capz_patch_status(capz_ctx_client(x->ctx), &MC_GVK_AMCP, x->base, k->ns, k->name, mutate_status, x, NULL,
                           err);
}

/* System pools of the cluster as agentPoolProfiles for the create request (sorted by name, as CAPZ does). */
static cJSON *initial_pools(amcp_run *x, int *n_system) {
  const capz_key *k = capz_ctx_key(x->ctx);
  cJSON *pools = mc_cluster_pools(x->ctx, k->ns, x->cluster_name);
  cJSON *out = cJSON_CreateArray();
  char subnet[700];
  mc_subnet_id(x->amcp, subnet, sizeof subnet);
  *n_system = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, pools) {
    cJSON *ammp = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "ammp"), 1);
    mc_ammp_default(ammp, NULL);
    if (strcmp(capz_json_ptr_str(ammp, "/spec/mode", ""), "System") != 0) {
      cJSON_Delete(ammp);
      continue;
    }
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(e, "machinePool");
    cJSON *body = mc_agentpool_body(ammp, (long)capz_json_ptr_int(mp, "/spec/replicas", 1),
                                    capz_json_ptr_str(mp, "/spec/template/spec/version", NULL), subnet, NULL);
    cJSON *props = body ? cJSON_DetachItemFromObjectCaseSensitive(body, "properties") : NULL;
    cJSON_Delete(body);
    if (props) {
      cJSON_AddStringToObject(props, "name", capz_json_ptr_str(ammp, "/spec/name", ""));
      /* keep the list sorted by pool name */
      int idx = 0;
      const cJSON *at = out->child;
      while (at && strcmp(capz_json_ptr_str(at, "/name", ""), capz_json_ptr_str(props, "/name", "")) < 0) {
        at = at->next;
        idx++;
      }
      if (at) cJSON_InsertItemInArray(out, idx, props);
      else cJSON_AddItemToArray(out, props);
      (*n_system)++;
    }
    cJSON_Delete(ammp);
  }
  cJSON_Delete(pools);
  return out;
}

/* The API server host: from the live managedCluster when read this pass (the private FQDN for private clusters
 * without a public one), else the published controlPlaneEndpoint. */
static const char *endpoint_host(amcp_run *x, const cJSON *live) {
  if (!live) return capz_json_ptr_str(capz_obj_json(x->base), "/spec/controlPlaneEndpoint/host", "");
  bool priv = capz_json_ptr_bool(live, "/properties/apiServerAccessProfile/enablePrivateCluster", false) &&
              !capz_json_ptr_bool(live, "/properties/apiServerAccessProfile/enablePrivateClusterPublicFQDN", false);
  return priv ? capz_json_ptr_str(live, "/properties/privateFQDN", "") : capz_json_ptr_str(live, "/properties/fqdn", "");
}

/* controlPlaneEndpoint from the live managedCluster. */
static int publish_endpoint(amcp_run *x, const cJSON *live, capz_err *err) {
  const char *host = endpoint_host(x, live);
  if (!*host) return 0;
  const cJSON *cur = capz_obj_json(x->base);
  if (strcmp(capz_json_ptr_str(cur, "/spec/controlPlaneEndpoint/host", ""), host) == 0 &&
      capz_json_ptr_int(cur, "/spec/controlPlaneEndpoint/port", 0) == 443)
    return 0;
  cJSON *patch = cJSON_CreateObject();
  cJSON *ep = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "spec"), "controlPlaneEndpoint");
  cJSON_AddStringToObject(ep, "host", host);
  cJSON_AddNumberToObject(ep, "port", 443);
  const capz_key *k = capz_ctx_key(x->ctx);
  int rc = capz_ctx_merge_patch(x->ctx, &MC_GVK_AMCP, k->ns, k->name, patch, err);
  cJSON_Delete(patch);
  return rc;
}

static capz_outcome walk_outcome(amcp_run *x, capz_result *res, const char *what) {
  if (x->w.in_progress) {
    double s = x->w.requeue_after_s < x->s->poll_floor_s ? x->s->poll_floor_s : x->w.requeue_after_s;
    res->requeue_after_ms = (uint64_t)(s * 1000.0);
    return CAPZ_REQUEUE_AFTER;
  }
  if (x->w.rc == CAPZ_ECONFLICT) { /* AKS runs one operation per cluster at a time: come back when it is done */
    capz_log(capz_ctx_logger(x->ctx), CAPZ_LOG_INFO, "another operation is in progress; waiting", "detail",
             x->w.err.msg, NULL);
    res->requeue_after_ms = 2000;
    return CAPZ_REQUEUE_AFTER;
  }
  if (x->w.rc) {
    const capz_arm_row *r = &x->t.rows[x->w.at];
    return capz_ctx_fail(x->ctx, res, mc_outcome_for(x->w.rc, x->deleting), x->deleting ? "DeletionFailed" : "ReconcileError",
                   "%s %s %s: %s", what, r->service, r->name, x->w.err.msg);
  }
  return CAPZ_DONE;
}

static capz_outcome reconcile_delete(amcp_run *x, capz_arm_client *arm, capz_result *res) {
  x->deleting = true;
  capz_arm_table_delete(&x->t, x->s->ensurer, arm, token_of, x, &x->w);
  capz_err e;
  if (write_status(x, &e) && e.code != CAPZ_ENOTFOUND)
    capz_log(capz_ctx_logger(x->ctx), CAPZ_LOG_WARN, "status patch failed", "error", e.msg, NULL);
  if (x->w.in_progress || x->w.rc) return walk_outcome(x, res, "deleting");
  const capz_key *k = capz_ctx_key(x->ctx);
  mc_kubeconfig_delete(x->ctx, k->ns, x->cluster_name);
  mc_kubeconfig_forget(x->s, k->ns, x->cluster_name);
  bool changed = false;
  int rc = capz_finalizer_remove(capz_ctx_client(x->ctx), &MC_GVK_AMCP, x->base, MC_AMCP_FINALIZER, &changed, &e);
  if (rc && rc != CAPZ_ENOTFOUND) return capz_ctx_fail(x->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
  capz_log(capz_ctx_logger(x->ctx), CAPZ_LOG_INFO, "managed cluster deleted", NULL);
  return CAPZ_DONE;
}

capz_outcome mc_amcp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  amcp_run x = {.s = state, .ctx = ctx};
  capz_err e = {0};
  capz_outcome oc = CAPZ_DONE;
  bool waiting = false; /* for a System pool: recorded in amcp_waiters, woken by the pool watches (plugin.c) */
  if (capz_ctx_get(ctx, &x.base, &e) != 0) {
    if (e.code != CAPZ_ENOTFOUND) return CAPZ_RETRY;
    mc_waiters_set(x.s->amcp_waiters, key->ns, "", key->name, false);
    return CAPZ_DONE;
  }
  x.amcp = cJSON_Duplicate(capz_obj_json(x.base), 1);
  capz_arm_table_init(&x.t, NULL);
  x.cluster_name = capz_owner_ref_name(x.amcp, "cluster.x-k8s.io", "Cluster");
  if (!x.cluster_name) {
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for the owner Cluster", NULL);
    goto out;
  }
  x.t.cluster_name = x.cluster_name;
  x.cluster = capz_ctx_cache_copy(ctx, &MC_GVK_CLUSTER, capz_obj_namespace(x.base), x.cluster_name);
  bool deleting = capz_obj_deleting(x.base);
  if (!deleting && capz_is_paused(x.amcp, x.cluster)) goto out;
  if (deleting && !capz_has_finalizer(x.amcp, MC_AMCP_FINALIZER)) goto out;
  if (!deleting) {
    bool changed = false;
    if (capz_finalizer_add(capz_ctx_client(ctx), &MC_GVK_AMCP, x.base, MC_AMCP_FINALIZER, &changed, &e)) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "FinalizerError", "%s", e.msg);
      goto out;
    }
    if (changed) { /* the update re-triggers us with a fresh snapshot */
      oc = CAPZ_DONE;
      goto out;
    }
  }
  mc_amcp_default(x.amcp, NULL);
  char msg[512];
  if (!deleting && mc_amcp_validate(x.amcp, NULL, msg, sizeof msg)) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration", "%s", msg);
    goto out;
  }
  capz_arm_client *arm = NULL;
  if (mc_arm_for(x.s, ctx, x.amcp, &arm, &e)) {
    oc = capz_ctx_fail(ctx, res, e.code == CAPZ_EFORBIDDEN || e.code == CAPZ_EINVAL ? CAPZ_TERMINAL : CAPZ_RETRY,
                 e.code == CAPZ_EFORBIDDEN ? "NamespaceNotAllowedByIdentity" : "IdentityError", "%s", e.msg);
    goto out;
  }
  /* agentPoolProfiles only while the cluster has not been created by us yet */
  bool created = *capz_json_ptr_str(capz_obj_json(x.base), "/spec/controlPlaneEndpoint/host", "") != '\0';
  cJSON *pools = NULL;
  if (!deleting && !created) {
    int n_system = 0;
    /* recorded before the cache read: a pool that appears after the read wakes us (mc_plugin.h) */
    mc_waiters_set(x.s->amcp_waiters, key->ns, x.cluster_name, key->name, true);
    pools = initial_pools(&x, &n_system);
    if (n_system == 0) {
      cJSON_Delete(pools);
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for a System AzureManagedMachinePool", NULL);
      waiting = true;
      goto out;
    }
  }
  int rc = mc_amcp_table(&x.t, x.amcp, x.cluster, pools, &e);
  cJSON_Delete(pools);
  if (rc) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "InvalidConfiguration", "%s", e.msg);
    goto out;
  }
  if (deleting) {
    oc = reconcile_delete(&x, arm, res);
    goto out;
  }
  capz_arm_table_ensure(&x.t, x.s->ensurer, arm, token_of, &x, &x.w);
  size_t mci = mc_amcp_mc_row(&x.t);
  capz_arm_row *mr = &x.t.rows[mci];
  /* the endpoint as soon as the managedCluster row is done (fleet member / extensions may still be running) */
  if (x.w.at > mci) {
    x.issuer = capz_json_ptr_str(mr->live, "/properties/oidcIssuerProfile/issuerURL", NULL);
    if (mr->live && publish_endpoint(&x, mr->live, &e) != 0) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "controlPlaneEndpoint: %s", e.msg);
      goto out;
    }
    if (!created && !mr->live) { /* created on an earlier pass but the endpoint is not published: read once */
      capz_arm_ensurer_forget(x.s->ensurer, mr->id);
      res->requeue_after_ms = 100;
      oc = CAPZ_REQUEUE_AFTER;
      goto out;
    }
  }
  double kc_next = x.s->drift_interval_s; /* seconds until the kubeconfig Secrets are due */
  if (x.w.at == x.t.n) {
    mc_kc_req kr = {.mc_id = mr->id, .api = mr->api_version, .cluster = x.cluster_name,
                    .owner_kind = "AzureManagedControlPlane", .owner_uid = capz_obj_uid(x.base), .amcp = x.amcp,
                    .aad = capz_json_ptr_bool(x.amcp, "/spec/aadProfile/managed", false),
                    .local_disabled = capz_json_ptr_bool(x.amcp, "/spec/disableLocalAccounts", false), .ca = true,
                    .cluster_info_host = endpoint_host(&x, mr->live)};
    if (mc_kubeconfig_sync(x.s, ctx, arm, &kr, &kc_next, &e) != 0) {
      oc = capz_ctx_fail(ctx, res, mc_outcome_for(e.code, false), "KubeconfigError", "%s", e.msg);
      goto out;
    }
    x.ready = true;
    x.version = capz_json_ptr_str(x.amcp, "/spec/version", NULL);
  }
  if (write_status(&x, &e) != 0 && e.code != CAPZ_ENOTFOUND)
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_WARN, "status patch failed", "error", e.msg, NULL);
  oc = walk_outcome(&x, res, "reconciling");
  if (oc == CAPZ_DONE && x.ready) { /* fleet member / extensions dropped from the spec */
    bool gc_running = false;
    if (mc_amcp_addons_gc(x.s, ctx, arm, x.amcp, &x.t, &gc_running, &e) != 0) {
      oc = capz_ctx_fail(ctx, res, mc_outcome_for(e.code, false), "ReconcileError", "removing add-ons: %s", e.msg);
      goto out;
    }
    if (gc_running) {
      res->requeue_after_ms = (uint64_t)(x.s->poll_floor_s * 1000.0);
      oc = CAPZ_REQUEUE_AFTER;
      goto out;
    }
  }
  if (oc == CAPZ_DONE) { /* come back for the drift read, or earlier when the kubeconfig is due */
    res->requeue_after_ms = (uint64_t)((kc_next < x.s->drift_interval_s ? kc_next : x.s->drift_interval_s) * 1000.0);
    oc = CAPZ_REQUEUE_AFTER;
  }
out:
  if (!waiting) mc_waiters_set(x.s->amcp_waiters, key->ns, "", key->name, false);
  capz_arm_walk_free(&x.w);
  capz_arm_table_free(&x.t);
  cJSON_Delete(x.cluster);
  cJSON_Delete(x.amcp);
  capz_obj_unref(x.base);
  return oc;
}
