/* capi_cluster.c — the Cluster controller's part infrastructure providers rely on: ownership and labels on the
 * infrastructure cluster and control plane, controlPlaneEndpoint and failure domains copied from them, readiness
 * flags, phase and conditions, and ordered deletion (workers, then control plane, then infrastructure). */
#include <stdio.h>
#include <string.h>

#include "capi_sim.h"

/* Take ownership of a referenced object (Cluster as plain owner, plus the cluster-name label). */
static int adopt(sim *s, const cJSON *cluster, cJSON *obj, const capz_gvk *gvk) {
  cJSON *want = cJSON_Duplicate(obj, 1);
  sim_add_owner(want, cluster, false);
  sim_set_label(want, L_CLUSTER_NAME, sim_str(cluster, "/metadata/name"));
  int rc = sim_owned_by(obj, cluster) && sim_label(obj, L_CLUSTER_NAME) ? 0 : sim_write(s, gvk, obj, want);
  cJSON_Delete(want);
  return rc;
}

static bool endpoint_set(const cJSON *ep) {
  return ep && *capz_json_ptr_str(ep, "/host", "") && capz_json_ptr_int(ep, "/port", 0) > 0;
}

/* Delete what belongs to the cluster in CAPI's order; true when everything is gone. */
static bool delete_descendants(sim *s, const cJSON *cl, const char *ns) {
  char sel[320];
  snprintf(sel, sizeof sel, "%s=%s", L_CLUSTER_NAME, sim_str(cl, "/metadata/name"));
  bool left = false;
  /* Stage 1: worker machinery (deployments, sets, pools, machines outside the control plane). */
  static const int workers[] = {K_MD, K_MS, K_MP, K_MACHINE};
  for (size_t w = 0; w < sizeof workers / sizeof workers[0]; w++) {
    capz_obj_list l;
    if (sim_list(s, workers[w], ns, sel, &l) != 0) return false;
    for (size_t i = 0; i < l.n; i++) {
      const capz_obj *o = l.items[i];
      if (workers[w] == K_MACHINE && capz_obj_label(o, L_CONTROL_PLANE)) continue;
      left = true;
      if (!capz_obj_deleting(o)) sim_delete(s, &s->kinds[workers[w]].gvk, ns, capz_obj_name(o));
    }
    capz_obj_list_free(&l);
  }
  if (left) return false;
  /* Stage 2: the control plane; stage 3: the infrastructure cluster. */
  const char *refs[] = {"/spec/controlPlaneRef", "/spec/infrastructureRef"};
  for (int r = 0; r < 2; r++) {
    const cJSON *ref = capz_json_ptr_get(cl, refs[r]);
    if (!ref) continue;
    capz_gvk g = {0};
    char buf[256];
    cJSON *obj = sim_ref_get(s, ref, ns, &g, buf, sizeof buf);
    if (!obj) continue;
    if (!sim_is_deleting(obj)) sim_delete(s, &g, ns, sim_str(obj, "/metadata/name"));
    cJSON_Delete(obj);
    return false;
  }
  return true;
}

int capi_cluster_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *cl = sim_cached_unpaused(s, K_CLUSTER, ns, name, "/metadata/name");
  if (!cl) return 0;
  const capz_gvk *gvk = &s->kinds[K_CLUSTER].gvk;
  cJSON *want = sim_want(cl), *infra = NULL, *cp = NULL;
  int rc = 0;

  if (sim_is_deleting(cl)) {
    capz_json_ptr_set_str(want, "/status/phase", "Deleting", NULL);
    capz_cond_mark_false(want, "Ready", "Deleting", CAPZ_SEV_INFO, "cluster is being deleted");
    if (delete_descendants(s, cl, ns)) {
      sim_remove_finalizer(want, F_CLUSTER);
      capz_log(s->log, CAPZ_LOG_INFO, "cluster descendants gone; releasing finalizer", "namespace", ns, "name", name,
               NULL);
    } else {
      *requeue_ms = 2000; /* deletions also wake us through the children's events */
    }
    rc = sim_write(s, gvk, cl, want);
    goto out;
  }
  sim_add_finalizer(want, F_CLUSTER);
  /* A managed topology first renders its objects (and sets the refs in want); its failures are on the Cluster's
   * TopologyReconciled condition and retried, while the rest of this reconcile still runs. */
  bool topology = capz_json_ptr_get(cl, "/spec/topology") != NULL;
  int trc = capi_topology_reconcile(s, cl, want, requeue_ms);

  bool infra_ready = false, cp_ready = false, cp_initialized = false;
  capz_gvk ig = {0}, cg = {0};
  char ibuf[256], cbuf[256];
  const cJSON *iref = capz_json_ptr_get(want, "/spec/infrastructureRef");
  const cJSON *cref = capz_json_ptr_get(want, "/spec/controlPlaneRef");
  if (iref) {
    infra = sim_ref_get(s, iref, ns, &ig, ibuf, sizeof ibuf);
    if (infra) {
      if ((rc = adopt(s, cl, infra, &ig)) != 0) goto out;
      infra_ready = capz_json_ptr_bool(infra, "/status/ready", false);
      const cJSON *ep = capz_json_ptr_get(infra, "/spec/controlPlaneEndpoint");
      if (endpoint_set(ep) && !endpoint_set(capz_json_ptr_get(cl, "/spec/controlPlaneEndpoint")))
        capz_json_ptr_set(want, "/spec/controlPlaneEndpoint", cJSON_Duplicate(ep, 1), NULL);
      const cJSON *fd = capz_json_ptr_get(infra, "/status/failureDomains");
      if (cJSON_IsObject(fd)) capz_json_ptr_set(want, "/status/failureDomains", cJSON_Duplicate(fd, 1), NULL);
    } else {
      *requeue_ms = 2000; /* created after the Cluster: look again */
    }
  } else {
    /* CAPI treats a Cluster without infrastructureRef as provisioned infrastructure (not one whose topology has
     * yet to create it). */
    infra_ready = !topology;
  }
  if (cref) {
    cp = sim_ref_get(s, cref, ns, &cg, cbuf, sizeof cbuf);
    if (cp) {
      if ((rc = adopt(s, cl, cp, &cg)) != 0) goto out;
      cp_ready = capz_json_ptr_bool(cp, "/status/ready", false);
      cp_initialized = capz_json_ptr_bool(cp, "/status/initialized", false);
      /* Managed control planes publish the endpoint themselves. */
      const cJSON *ep = capz_json_ptr_get(cp, "/spec/controlPlaneEndpoint");
      if (endpoint_set(ep) && !endpoint_set(capz_json_ptr_get(want, "/spec/controlPlaneEndpoint")))
        capz_json_ptr_set(want, "/spec/controlPlaneEndpoint", cJSON_Duplicate(ep, 1), NULL);
    } else {
      *requeue_ms = 2000;
    }
  }
  capz_json_ptr_set(want, "/status/infrastructureReady", cJSON_CreateBool(infra_ready), NULL);
  capz_json_ptr_set(want, "/status/controlPlaneReady", cJSON_CreateBool(cp_ready), NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(cl, "/metadata/generation", 0)), NULL);
  bool ep_ok = endpoint_set(capz_json_ptr_get(want, "/spec/controlPlaneEndpoint"));
  capz_json_ptr_set_str(want, "/status/phase", infra_ready && ep_ok ? "Provisioned" : "Provisioning", NULL);

  if (infra_ready)
    capz_cond_mark_true(want, "InfrastructureReady");
  else
    capz_cond_mark_false(want, "InfrastructureReady", infra ? "WaitingForInfrastructure" : "InfrastructureNotFound",
                         CAPZ_SEV_INFO, "waiting for %s", sim_str(iref, "/kind"));
  if (cref) {
    if (cp_ready)
      capz_cond_mark_true(want, "ControlPlaneReady");
    else
      capz_cond_mark_false(want, "ControlPlaneReady", "WaitingForControlPlane", CAPZ_SEV_INFO, "waiting for %s",
                           sim_str(cref, "/kind"));
    if (cp_initialized)
      capz_cond_mark_true(want, "ControlPlaneInitialized");
    else
      capz_cond_mark_false(want, "ControlPlaneInitialized", "WaitingForControlPlaneProviderInitialized",
                           CAPZ_SEV_INFO, "waiting for the control plane to be initialized");
  }
  static const char *const summary[] = {"InfrastructureReady", "ControlPlaneReady", NULL};
  capz_cond_set_summary(want, summary);
  rc = sim_write(s, gvk, cl, want);
  if (rc == 0) rc = trc;
out:
  cJSON_Delete(infra);
  cJSON_Delete(cp);
  cJSON_Delete(want);
  cJSON_Delete(cl);
  return rc;
}
