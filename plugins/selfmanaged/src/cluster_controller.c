/* cluster_controller.c — AzureCluster reconcile: owner Cluster, pause, defaults (in memory, as CAPZ's webhook
 * would have applied them), validation, identity, then the resource table walked with ensure (or, on delete,
 * the owned resource group deleted alone, else the table in reverse). Status: ready, failureDomains,
 * CAPZ's conditions, resumable LRO records; spec.controlPlaneEndpoint. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/conditions.h"
#include "capz/json.h"
#include "cluster_resources.h"
#include "selfmanaged_api.h"

#define COND_NETWORK "NetworkInfrastructureReady"

typedef struct cl_run {
  sm_state *s;
  capz_ctx *ctx;
  const capz_key *key;
  const capz_obj *base;
  cJSON *ac;        /* the object as read */
  cJSON *d;         /* defaulted copy */
  cJSON *cluster;   /* owner Cluster */
  sm_azure az;
  sm_cluster_info ci;
  cJSON *zones;
  capz_arm_table t;
  capz_arm_walk w;
  bool deleting;
  /* what the status mutation writes */
  const char *net_reason;
  capz_severity net_sev;
  char net_msg[512];
  bool ready;
  const char *lro_type;
} cl_run;

static const char *tok_of(void *ud, const capz_arm_row *r) { return capz_lro_state_get(((cl_run *)ud)->ac, r->service, r->name); }

static void set_row_conditions(cl_run *r, cJSON *obj) {
  /* one condition per service group: Failed / Creating|Deleting / True, from the walk */
  for (size_t i = 0; i < r->t.n; i++) {
    const capz_arm_row *row = &r->t.rows[i];
    if (!row->condition) continue;
    bool first = true;
    for (size_t j = 0; j < i; j++)
      if (r->t.rows[j].condition && !strcmp(r->t.rows[j].condition, row->condition)) first = false;
    if (!first) continue;
    /* status of the group = status of its worst row */
    int state = 2; /* 2 done, 1 in progress, 0 failed, -1 not reached */
    for (size_t j = i; j < r->t.n; j++) {
      const capz_arm_row *x = &r->t.rows[j];
      if (!x->condition || strcmp(x->condition, row->condition)) continue;
      size_t pos = r->deleting ? r->t.n - 1 - j : j;
      int st = pos < r->w.done ? 2 : pos == r->w.done ? (r->w.in_progress ? 1 : r->w.rc ? 0 : -1) : -1;
      if (st < state) state = st;
    }
    if (state == 2 && !r->deleting) capz_cond_mark_true(obj, row->condition);
    else if (state == 2) capz_cond_mark_false(obj, row->condition, "Deleted", CAPZ_SEV_INFO, "%s", "");
    else if (state == 1)
      capz_cond_mark_false(obj, row->condition, r->deleting ? "Deleting" : "Creating", CAPZ_SEV_INFO,
                           "operation on %s in progress", r->t.rows[r->deleting ? r->t.n - 1 - r->w.done : r->w.done].name);
    else if (state == 0)
      capz_cond_mark_false(obj, row->condition, r->deleting ? "DeletionFailed" : "Failed", CAPZ_SEV_ERROR, "%s",
                           r->w.err.msg);
  }
}

static int mutate_status(void *ud, cJSON *obj) {
  cl_run *r = ud;
  if (r->t.n) set_row_conditions(r, obj);
  /* LRO records: the row in progress keeps its token; every other row's record is dropped */
  for (size_t i = 0; i < r->t.n; i++) {
    size_t cur = r->deleting ? r->t.n - 1 - r->w.done : r->w.done;
    bool mine = r->w.in_progress && i == cur;
    capz_lro_state_set(obj, r->t.rows[i].service, r->t.rows[i].name, r->lro_type, mine ? r->w.resume_token : NULL);
  }
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!cJSON_IsObject(st)) {
    cJSON_DeleteItemFromObject(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  if (r->zones && !r->deleting) {
    cJSON *fd = cJSON_CreateObject();
    const cJSON *z;
    cJSON_ArrayForEach(z, r->zones) {
      char ptr[128] = "/spec/failureDomains";
      capz_json_ptr_append(ptr, sizeof ptr, z->valuestring);
      bool cp = capz_json_ptr_bool(r->ac, strcat(ptr, "/controlPlane"), true);
      cJSON *e = cJSON_AddObjectToObject(fd, z->valuestring);
      cJSON_AddBoolToObject(e, "controlPlane", cp);
    }
    cJSON_DeleteItemFromObject(st, "failureDomains");
    if (fd->child) cJSON_AddItemToObject(st, "failureDomains", fd);
    else cJSON_Delete(fd);
  }
  cJSON_DeleteItemFromObject(st, "ready");
  cJSON_AddBoolToObject(st, "ready", r->ready);
  if (r->net_reason) capz_cond_mark_false(obj, COND_NETWORK, r->net_reason, r->net_sev, "%s", r->net_msg);
  else if (r->ready) capz_cond_mark_true(obj, COND_NETWORK);
  capz_cond_set_summary(obj, NULL);
  return 0;
}

static int write_status(cl_run *r) {
  capz_err err;
  int rc = capz_patch_status(capz_ctx_client(r->ctx), &SM_GVK_AZURECLUSTER, r->base, r->key->ns, r->key->name,
                             mutate_status, r, NULL, &err);
  if (rc) capz_log(capz_ctx_logger(r->ctx), CAPZ_LOG_WARN, "status patch failed", "error", err.msg, NULL);
  return rc;
}

/* Condition + Event + TERMINAL/RETRY for a problem before any Azure work. */
static capz_outcome fail_net(cl_run *r, capz_result *res, capz_outcome oc, const char *reason, capz_severity sev,
                             const char *msg) {
  r->net_reason = reason;
  r->net_sev = sev;
  capz_fmt(r->net_msg, sizeof r->net_msg, "%s", msg);
  write_status(r);
  return capz_ctx_fail(r->ctx, res, oc, reason, "%s", msg);
}

static capz_outcome requeue(capz_result *res, double s, double floor_s) {
  if (!(s >= floor_s)) s = floor_s;
  if (s > 60) s = 60;
  res->requeue_after_ms = (uint64_t)ceil(s * 1000);
  return CAPZ_REQUEUE_AFTER;
}

static capz_outcome walk_error(cl_run *r, capz_result *res) {
  write_status(r);
  const capz_arm_row *row = &r->t.rows[r->deleting ? r->t.n - 1 - r->w.done : r->w.done];
  return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, r->deleting ? "DeletionFailed" : "ReconcileError", "%s %s: %s",
                 row->service, row->name, r->w.err.msg);
}

/* Before deleting rows one by one: the resource group row is never deleted this way, and the subnets of a VNet
 * we don't own (no ownership tag; subnets have none of their own) are not ours either. */
static void protect_rows(cl_run *r) {
  const capz_arm_row *vnet = capz_arm_table_find(&r->t, "virtualnetworks", NULL);
  capz_arm_response live;
  bool vnet_owned = true;
  if (vnet && capz_arm_get(r->az.arm, vnet->id, NULL, &live, NULL) == 0)
    vnet_owned = capz_arm_is_owned(live.body, r->ci.name);
  if (vnet) capz_arm_response_free(&live);
  for (size_t i = 0; i < r->t.n; i++)
    r->t.rows[i].no_delete = i == 0 || (!vnet_owned && !strcmp(r->t.rows[i].service, "subnets"));
}

static capz_outcome reconcile_delete(cl_run *r, capz_result *res) {
  capz_err err;
  if (!capz_has_finalizer(r->ac, SM_CLUSTER_FINALIZER)) return CAPZ_DONE;
  r->lro_type = "DELETE";
  /* peerings first: the reverse ones live on VNets outside our resource group */
  bool any_peering = false;
  for (size_t i = 0; i < r->t.n; i++) {
    bool peering = !strcmp(r->t.rows[i].service, "vnetpeerings");
    any_peering = any_peering || peering;
    r->t.rows[i].no_delete = !peering;
  }
  if (any_peering) {
    capz_arm_table_delete(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
    if (r->w.rc) return walk_error(r, res);
    if (r->w.in_progress) {
      write_status(r);
      return requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
    }
    capz_arm_walk_free(&r->w);
    memset(&r->w, 0, sizeof r->w);
  }
  for (size_t i = 0; i < r->t.n; i++) r->t.rows[i].no_delete = false;
  /* the resource group alone when we own it (one DELETE cascades); else every owned row in reverse */
  capz_arm_ensure_result gr;
  const capz_arm_row *rg = &r->t.rows[0];
  int rc = capz_arm_ensure_delete(r->s->ensurer, r->az.arm, rg->id, r->ci.name, tok_of(r, rg), &gr, &err);
  if (rc == 0 && gr.outcome == CAPZ_ENSURE_IN_PROGRESS) {
    /* record the RG's delete token as the walk's */
    r->w.in_progress = true;
    r->w.done = r->t.n - 1;
    r->w.resume_token = gr.resume_token;
    gr.resume_token = NULL;
    double after = gr.requeue_after_s;
    capz_arm_ensure_result_free(&gr);
    write_status(r);
    return requeue(res, after, r->s->poll_floor_s);
  }
  bool rg_gone = rc == 0 && gr.outcome == CAPZ_ENSURE_DELETED;
  capz_arm_ensure_result_free(&gr);
  bool rg_refused = rc && !capz_err_is_transient(rc) && rc != CAPZ_EAUTH && rc != CAPZ_EFORBIDDEN;
  if (rc && !rg_refused) {
    r->w.rc = rc;
    r->w.err = err;
    r->w.done = r->t.n - 1;
    return walk_error(r, res);
  }
  if (rg_refused) {
    /* ARM refused the cascade (e.g. a subnet still in use by a load balancer frontend): take the owned resources
     * down one by one in reverse order, then try the resource group again */
    capz_log(capz_ctx_logger(r->ctx), CAPZ_LOG_WARN, "resource group delete refused; deleting resources one by one",
             "error", err.msg, NULL);
    protect_rows(r);
    capz_arm_table_delete(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
    if (r->w.rc) return walk_error(r, res);
    write_status(r);
    return requeue(res, r->w.in_progress ? r->w.requeue_after_s : 0, r->s->poll_floor_s);
  }
  if (!rg_gone) {
    /* bring-your-own resource group */
    protect_rows(r);
    capz_arm_table_delete(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
    if (r->w.rc) return walk_error(r, res);
    if (r->w.in_progress) {
      write_status(r);
      return requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
    }
  }
  r->w.done = r->t.n;
  write_status(r);
  bool changed = false;
  if (capz_finalizer_remove(capz_ctx_client(r->ctx), &SM_GVK_AZURECLUSTER, r->base, SM_CLUSTER_FINALIZER, &changed,
                            &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  if (sm_identity_finalizer(r->ctx, r->ac, false, &err))
    capz_log(capz_ctx_logger(r->ctx), CAPZ_LOG_WARN, "removing the identity finalizer failed", "error", err.msg, NULL);
  capz_ctx_event(r->ctx, "Normal", "Deleted", "Azure infrastructure of cluster %s deleted", r->ci.name);
  return CAPZ_DONE;
}

static int endpoint_host(cl_run *r, char *host, size_t n) {
  const cJSON *lb = capz_json_ptr_get(r->d, "/spec/networkSpec/apiServerLB");
  if (!lb) return -1;
  if (strcasecmp(capz_json_ptr_str(lb, "/type", ""), "Internal") != 0) {
    snprintf(host, n, "%s", capz_json_ptr_str(lb, "/frontendIPs/0/publicIP/dnsName", ""));
  } else if (strcasecmp(capz_json_ptr_str(r->d, "/spec/networkSpec/privateDNSZone", ""), "None") != 0) {
    char zone[256];
    const char *zn = capz_json_ptr_str(r->d, "/spec/networkSpec/privateDNSZoneName", "");
    if (*zn) snprintf(zone, sizeof zone, "%s", zn);
    else sm_name(SM_NAME_PRIVATE_DNS_ZONE, r->ci.name, zone, sizeof zone);
    sm_name(SM_NAME_PRIVATE_FQDN, zone, host, n);
  } else {
    snprintf(host, n, "%s", capz_json_ptr_str(lb, "/frontendIPs/0/privateIP", ""));
  }
  return *host ? 0 : -1;
}

/* The AzureClusterIdentity the AzureCluster names is in the cache (so a "not found" was about its Secret). */
static bool identity_present(capz_ctx *ctx, const cJSON *ac) {
  const char *name = capz_json_ptr_str(ac, "/spec/identityRef/name", "");
  if (!*name) return false;
  const char *ns = capz_json_ptr_str(ac, "/spec/identityRef/namespace", "");
  cJSON *id = capz_ctx_cache_copy(ctx, &SM_GVK_IDENTITY, *ns ? ns : capz_json_ptr_str(ac, "/metadata/namespace", ""),
                                  name);
  bool present = id != NULL;
  cJSON_Delete(id);
  return present;
}

static capz_outcome reconcile_normal(cl_run *r, capz_result *res) {
  capz_err err;
  bool changed = false;
  if (!capz_has_finalizer(r->ac, SM_CLUSTER_FINALIZER) &&
      capz_finalizer_add(capz_ctx_client(r->ctx), &SM_GVK_AZURECLUSTER, r->base, SM_CLUSTER_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  if (sm_block_move(r->ctx, &SM_GVK_AZURECLUSTER, r->key, r->ac, true, &err) ||
      sm_identity_finalizer(r->ctx, r->ac, true, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
  r->lro_type = "PUT";
  double next_drift = HUGE_VAL;
  capz_arm_table_ensure(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
  if (r->w.next_drift_s > 0) next_drift = r->w.next_drift_s;
  capz_log_v(capz_ctx_logger(r->ctx), 1, "resource walk", "rows", r->t.n == r->w.done ? "all" : "partial", NULL);
  if (r->w.rc) return walk_error(r, res);
  if (r->w.in_progress) {
    write_status(r);
    return requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
  }
  /* controlPlaneEndpoint: the API LB's DNS name / private FQDN / private IP, once */
  bool cp = capz_json_ptr_bool(r->d, "/spec/controlPlaneEnabled", true);
  const char *have = capz_json_ptr_str(r->ac, "/spec/controlPlaneEndpoint/host", "");
  if (cp && !*have) {
    char host[300];
    if (endpoint_host(r, host, sizeof host) == 0) {
      cJSON *p = cJSON_CreateObject();
      cJSON *e = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "spec"), "controlPlaneEndpoint");
      cJSON_AddStringToObject(e, "host", host);
      cJSON_AddNumberToObject(e, "port", r->ci.api_port);
      int rc = capz_ctx_merge_patch(r->ctx, &SM_GVK_AZURECLUSTER, r->key->ns, r->key->name, p, &err);
      cJSON_Delete(p);
      if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "PatchError", "setting controlPlaneEndpoint: %s", err.msg);
    }
  } else if (!cp && !*have) {
    r->net_reason = "ExternallyManagedControlPlane";
    r->net_sev = CAPZ_SEV_INFO;
    snprintf(r->net_msg, sizeof r->net_msg, "Waiting for the Control Plane host/port");
    write_status(r);
    return CAPZ_DONE;
  }
  bool was_ready = capz_json_ptr_bool(r->ac, "/status/ready", false);
  r->ready = true;
  write_status(r);
  if (!was_ready) capz_ctx_event(r->ctx, "Normal", "InfrastructureReady", "Azure network infrastructure is ready (%d ARM writes)", r->w.writes);
  /* back when the first row's drift read is due, not at the host's resync */
  return sm_drift_requeue(r->s, res, next_drift);
}

capz_outcome sm_cluster_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  cl_run r = {.s = state, .ctx = ctx, .key = key};
  capz_err err;
  capz_outcome oc = CAPZ_DONE;
  int rc = capz_ctx_get(ctx, &r.base, &err);
  if (rc == CAPZ_ENOTFOUND) return CAPZ_DONE;
  if (rc) return capz_ctx_fail(ctx, res, CAPZ_RETRY, "ReadError", "%s", err.msg);
  r.ac = cJSON_Duplicate(capz_obj_json(r.base), 1);
  r.deleting = capz_obj_deleting(r.base);
  if (!r.ac) {
    oc = CAPZ_RETRY;
    goto out;
  }
  if (capz_json_ptr_get(r.ac, "/metadata/annotations/cluster.x-k8s.io~1managed-by")) goto out;
  const char *owner = capz_owner_ref_name(r.ac, "cluster.x-k8s.io", "Cluster");
  if (!owner) {
    capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "waiting for the Cluster controller to set the owner reference", NULL);
    goto out;
  }
  r.cluster = capz_ctx_cache_copy(ctx, &SM_GVK_CLUSTER, key->ns, owner);
  if (!r.cluster) goto out; /* the Cluster watch wakes us */
  if (capz_is_paused(r.ac, r.cluster)) {
    if (sm_block_move(ctx, &SM_GVK_AZURECLUSTER, key, r.ac, false, &err))
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
    goto out;
  }
  r.d = cJSON_Duplicate(r.ac, 1);
  r.ci.api_port = (int)capz_json_ptr_int(r.cluster, "/spec/clusterNetwork/apiServerPort", 6443);
  if (!r.d || sm_azurecluster_default(r.d, NULL, &err) ||
      sm_azurecluster_default_controlplane_rules(r.d, r.ci.api_port, &err) ||
      sm_azurecluster_default_apiserver_dns_for(r.d, owner, &err)) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "DefaultingError", "%s", err.msg);
    goto out;
  }
  if (!r.deleting) {
    char msg[1024];
    if (sm_azurecluster_validate(r.d, NULL, msg, sizeof msg) > 0) {
      oc = fail_net(&r, res, CAPZ_TERMINAL, "InvalidConfiguration", CAPZ_SEV_ERROR, msg);
      goto out;
    }
  }
  rc = sm_azure_for_cluster(r.s, ctx, r.d, &r.az, &err);
  if (rc == CAPZ_EFORBIDDEN) {
    oc = fail_net(&r, res, CAPZ_TERMINAL, "NamespaceNotAllowedByIdentity", CAPZ_SEV_ERROR, err.msg);
    goto out;
  }
  if (rc) {
    /* A missing identity is terminal: the identity watch wakes the cluster when it appears or changes. A missing
     * Secret of an existing identity has no watch (identity Secrets carry no label to limit an informer to), so
     * that one is retried with the work queue's backoff instead of waiting for an unrelated change. */
    bool retry = capz_err_is_transient(rc) || (rc == CAPZ_ENOTFOUND && identity_present(ctx, r.d));
    oc = fail_net(&r, res, retry ? CAPZ_RETRY : CAPZ_TERMINAL, "InvalidIdentity", CAPZ_SEV_ERROR, err.msg);
    goto out;
  }
  /* CAPZ's ClusterName() is the owner Cluster's: ownership tags, the API server DNS label and the private DNS
   * zone use it (it differs from the AzureCluster's name in ClusterClass topologies) */
  r.ci.name = owner;
  r.ci.sub = r.az.subscription;
  r.ci.rg = capz_json_ptr_str(r.d, "/spec/resourceGroup", "");
  r.ci.location = capz_json_ptr_str(r.d, "/spec/location", "");
  if (!r.deleting && !capz_json_ptr_get(r.d, "/spec/extendedLocation")) {
    rc = sm_skus_zones(r.s, r.az.arm, r.ci.sub, r.ci.location, &r.zones, &err);
    if (rc) {
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "SKUListError", "%s", err.msg);
      goto out;
    }
  }
  cJSON *empty = cJSON_CreateArray();
  r.ci.zones = r.zones ? r.zones : empty;
  capz_arm_table_init(&r.t, owner);
  rc = sm_cluster_table(r.d, &r.ci, &r.t, &err);
  if (rc) {
    cJSON_Delete(empty);
    oc = fail_net(&r, res, CAPZ_TERMINAL, "InvalidConfiguration", CAPZ_SEV_ERROR, err.msg);
    goto out;
  }
  oc = r.deleting ? reconcile_delete(&r, res) : reconcile_normal(&r, res);
  cJSON_Delete(empty);
out:
  capz_arm_table_free(&r.t);
  capz_arm_walk_free(&r.w);
  cJSON_Delete(r.zones);
  cJSON_Delete(r.cluster);
  cJSON_Delete(r.d);
  cJSON_Delete(r.ac);
  capz_obj_unref(r.base);
  return oc;
}
