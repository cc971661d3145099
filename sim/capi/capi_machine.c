/* capi_machine.c — the Machine controller's provider-facing part: it owns its infrastructure machine and
 * bootstrap config, copies providerID/addresses/readiness/failures back, keeps phase and conditions, and on
 * deletion removes infra + bootstrap objects and waits for the infra machine to be gone.
 * No workload cluster exists here, so nodeRef and the Running phase (which needs a Node) are never set. */
#include <stdio.h>
#include <string.h>

#include "capi_sim.h"

/* Machine becomes the controller owner; a creating KubeadmControlPlane/MachineSet reference is dropped the way
 * CAPI hands cloned objects over to the Machine. */
static int own(sim *s, const cJSON *m, const cJSON *obj, const capz_gvk *gvk) {
  cJSON *want = cJSON_Duplicate(obj, 1);
  sim_remove_owner_kind(want, CONTROLPLANE_V1B1, "KubeadmControlPlane");
  sim_remove_owner_kind(want, CAPI_V1B1, "MachineSet");
  sim_add_owner(want, m, true);
  const char *cluster = sim_str(m, "/spec/clusterName");
  if (*cluster) sim_set_label(want, L_CLUSTER_NAME, cluster);
  int rc = sim_write(s, gvk, obj, want);
  cJSON_Delete(want);
  return rc;
}

static bool has_controller(const cJSON *obj) {
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(obj, "/metadata/ownerReferences")) if (
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller"))) return true;
  return false;
}

/* Deletion: infra and bootstrap objects go first; the finalizer is released once the infra machine is gone. */
static bool delete_children(sim *s, const cJSON *m, const char *ns) {
  bool gone = true;
  const char *refs[] = {"/spec/bootstrap/configRef", "/spec/infrastructureRef"};
  for (int i = 0; i < 2; i++) {
    capz_gvk g = {0};
    char buf[256];
    cJSON *obj = sim_ref_get(s, capz_json_ptr_get(m, refs[i]), ns, &g, buf, sizeof buf);
    if (!obj) continue;
    if (!sim_is_deleting(obj)) sim_delete(s, &g, ns, sim_str(obj, "/metadata/name"));
    if (i == 1) gone = false;
    cJSON_Delete(obj);
  }
  const char *secret = sim_str(m, "/spec/bootstrap/dataSecretName");
  if (*secret && capz_json_ptr_get(m, "/spec/bootstrap/configRef")) {
    capz_gvk sg = {"", "v1", "Secret", "secrets", true};
    sim_delete(s, &sg, ns, secret);
  }
  return gone;
}

int capi_machine_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *m = sim_cached_unpaused(s, K_MACHINE, ns, name, "/spec/clusterName");
  if (!m) return 0;
  const capz_gvk *gvk = &s->kinds[K_MACHINE].gvk;
  cJSON *want = sim_want(m), *infra = NULL, *cfg = NULL, *cluster = NULL;
  int rc = 0;
  const char *cname = sim_str(m, "/spec/clusterName");

  if (sim_is_deleting(m)) {
    capz_json_ptr_set_str(want, "/status/phase", "Deleting", NULL);
    capz_cond_mark_false(want, "Ready", "Deleting", CAPZ_SEV_INFO, "machine is being deleted");
    if (delete_children(s, m, ns)) {
      sim_remove_finalizer(want, F_MACHINE);
      capz_log(s->log, CAPZ_LOG_INFO, "infrastructure machine gone; releasing finalizer", "namespace", ns, "name",
               name, NULL);
    } else {
      *requeue_ms = 2000;
    }
    rc = sim_write(s, gvk, m, want);
    goto out;
  }
  sim_add_finalizer(want, F_MACHINE);
  if (*cname) sim_set_label(want, L_CLUSTER_NAME, cname);
  cluster = sim_cached(s, K_CLUSTER, ns, cname);
  /* A stand-alone Machine (no controller, no CAPI owner labels) is adopted by its Cluster. */
  if (cluster && !has_controller(m) && !sim_label(m, L_CONTROL_PLANE) && !sim_label(m, L_SET_NAME) &&
      !sim_label(m, L_POOL_NAME) && !sim_owned_by(m, cluster))
    sim_add_owner(want, cluster, false);

  /* Bootstrap. */
  bool bootstrap_ready = false;
  const cJSON *cref = capz_json_ptr_get(m, "/spec/bootstrap/configRef");
  if (cref) {
    capz_gvk g = {0};
    char buf[256];
    cfg = sim_ref_get(s, cref, ns, &g, buf, sizeof buf);
    if (cfg) {
      if (!sim_owned_by(cfg, m) || !has_controller(cfg) || sim_owner_name(cfg, "KubeadmControlPlane") ||
          sim_owner_name(cfg, "MachineSet")) {
        if ((rc = own(s, m, cfg, &g)) != 0) goto out;
      }
      const char *secret = capz_json_ptr_str(cfg, "/status/dataSecretName", NULL);
      bootstrap_ready = capz_json_ptr_bool(cfg, "/status/ready", false) && secret;
      if (bootstrap_ready) capz_json_ptr_set_str(want, "/spec/bootstrap/dataSecretName", secret, NULL);
    }
  } else {
    bootstrap_ready = capz_json_ptr_get(m, "/spec/bootstrap/dataSecretName") != NULL;
  }

  /* Infrastructure. */
  bool infra_ready = false;
  const char *failure = NULL;
  capz_gvk ig = {0};
  char ibuf[256];
  infra = sim_ref_get(s, capz_json_ptr_get(m, "/spec/infrastructureRef"), ns, &ig, ibuf, sizeof ibuf);
  if (infra) {
    if (!sim_owned_by(infra, m) || !has_controller(infra) || sim_owner_name(infra, "KubeadmControlPlane") ||
        sim_owner_name(infra, "MachineSet")) {
      if ((rc = own(s, m, infra, &ig)) != 0) goto out;
    }
    infra_ready = capz_json_ptr_bool(infra, "/status/ready", false);
    const char *pid = capz_json_ptr_str(infra, "/spec/providerID", NULL);
    if (pid && *pid) capz_json_ptr_set_str(want, "/spec/providerID", pid, NULL);
    const cJSON *addrs = capz_json_ptr_get(infra, "/status/addresses");
    if (cJSON_IsArray(addrs)) capz_json_ptr_set(want, "/status/addresses", cJSON_Duplicate(addrs, 1), NULL);
    failure = capz_json_ptr_str(infra, "/status/failureReason", NULL);
    if (failure) {
      capz_json_ptr_set_str(want, "/status/failureReason", failure, NULL);
      capz_json_ptr_set_str(want, "/status/failureMessage",
                            capz_json_ptr_str(infra, "/status/failureMessage", failure), NULL);
    }
  }
  capz_json_ptr_set(want, "/status/bootstrapReady", cJSON_CreateBool(bootstrap_ready), NULL);
  capz_json_ptr_set(want, "/status/infrastructureReady", cJSON_CreateBool(infra_ready), NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(m, "/metadata/generation", 0)), NULL);
  const char *phase = "Pending";
  if (failure)
    phase = "Failed";
  else if (infra_ready && *sim_str(want, "/spec/providerID"))
    phase = "Provisioned";
  else if (bootstrap_ready)
    phase = "Provisioning";
  capz_json_ptr_set_str(want, "/status/phase", phase, NULL);
  if (bootstrap_ready)
    capz_cond_mark_true(want, "BootstrapReady");
  else
    capz_cond_mark_false(want, "BootstrapReady", "WaitingForDataSecret", CAPZ_SEV_INFO, "waiting for bootstrap data");
  if (infra_ready)
    capz_cond_mark_true(want, "InfrastructureReady");
  else if (failure)
    capz_cond_mark_false(want, "InfrastructureReady", failure, CAPZ_SEV_ERROR, "%s",
                         capz_json_ptr_str(infra, "/status/failureMessage", failure));
  else
    capz_cond_mark_false(want, "InfrastructureReady", infra ? "WaitingForInfrastructure" : "InfrastructureNotFound",
                         CAPZ_SEV_INFO, "waiting for %s", sim_str(m, "/spec/infrastructureRef/kind"));
  static const char *const summary[] = {"BootstrapReady", "InfrastructureReady", NULL};
  capz_cond_set_summary(want, summary);
  if (!infra || (cref && !cfg)) *requeue_ms = 2000; /* referenced objects may be created after the Machine */
  rc = sim_write(s, gvk, m, want);
out:
  cJSON_Delete(infra);
  cJSON_Delete(cfg);
  cJSON_Delete(cluster);
  cJSON_Delete(want);
  cJSON_Delete(m);
  return rc;
}
