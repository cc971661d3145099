/* capi_machinepool.c — MachinePool: owns its infrastructure pool (AzureMachinePool, AzureManagedMachinePool,
 * AzureASOManagedMachinePool) and bootstrap config, copies spec.providerIDList and replica counts back, takes
 * spec.replicas from the infrastructure when cluster.x-k8s.io/replicas-managed-by is set (an autoscaler acts
 * on the pool itself), and on deletion removes the infrastructure and bootstrap objects first.
 * Machines for MachinePool instances (CAPI's "MachinePool Machines") are not created: that needs nodes. */
#include <stdio.h>
#include <string.h>

#include "capi_sim.h"

static int own(sim *s, const cJSON *mp, const cJSON *obj, const capz_gvk *gvk, const char *cluster) {
  if (sim_owned_by(obj, mp) && sim_label(obj, L_CLUSTER_NAME)) return 0;
  cJSON *want = cJSON_Duplicate(obj, 1);
  sim_add_owner(want, mp, true);
  if (*cluster) sim_set_label(want, L_CLUSTER_NAME, cluster);
  int rc = sim_write(s, gvk, obj, want);
  cJSON_Delete(want);
  return rc;
}

int capi_mp_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *mp = sim_cached_unpaused(s, K_MP, ns, name, "/spec/clusterName");
  if (!mp) return 0;
  const capz_gvk *gvk = &s->kinds[K_MP].gvk;
  cJSON *want = sim_want(mp), *infra = NULL, *cfg = NULL, *cluster = NULL;
  int rc = 0;
  const char *cname = sim_str(mp, "/spec/clusterName");
  capz_gvk ig = {0}, cg = {0};
  char ibuf[256], cbuf[256];
  infra = sim_ref_get(s, capz_json_ptr_get(mp, "/spec/template/spec/infrastructureRef"), ns, &ig, ibuf, sizeof ibuf);
  const cJSON *cref = capz_json_ptr_get(mp, "/spec/template/spec/bootstrap/configRef");
  cfg = cref ? sim_ref_get(s, cref, ns, &cg, cbuf, sizeof cbuf) : NULL;

  if (sim_is_deleting(mp)) {
    capz_json_ptr_set_str(want, "/status/phase", "Deleting", NULL);
    if (cfg && !sim_is_deleting(cfg)) sim_delete(s, &cg, ns, sim_str(cfg, "/metadata/name"));
    if (infra) {
      if (!sim_is_deleting(infra)) sim_delete(s, &ig, ns, sim_str(infra, "/metadata/name"));
      *requeue_ms = 2000;
    } else {
      sim_remove_finalizer(want, F_MACHINEPOOL);
    }
    rc = sim_write(s, gvk, mp, want);
    goto out;
  }
  sim_add_finalizer(want, F_MACHINEPOOL);
  if (*cname) sim_set_label(want, L_CLUSTER_NAME, cname);
  cluster = sim_cached(s, K_CLUSTER, ns, cname);
  if (cluster && !sim_owned_by(mp, cluster)) sim_add_owner(want, cluster, false);

  bool bootstrap_ready = false;
  if (cfg) {
    if ((rc = own(s, mp, cfg, &cg, cname)) != 0) goto out;
    const char *secret = capz_json_ptr_str(cfg, "/status/dataSecretName", NULL);
    if (capz_json_ptr_bool(cfg, "/status/ready", false) && secret) {
      capz_json_ptr_set_str(want, "/spec/template/spec/bootstrap/dataSecretName", secret, NULL);
      bootstrap_ready = true;
    }
  } else if (!cref) {
    /* AKS pools carry dataSecretName: "" — present means ready. */
    bootstrap_ready = capz_json_ptr_get(mp, "/spec/template/spec/bootstrap/dataSecretName") != NULL;
  }

  bool infra_ready = false;
  int64_t infra_replicas = 0;
  if (infra) {
    if ((rc = own(s, mp, infra, &ig, cname)) != 0) goto out;
    infra_ready = capz_json_ptr_bool(infra, "/status/ready", false);
    infra_replicas = capz_json_ptr_int(infra, "/status/replicas", 0);
    const cJSON *ids = capz_json_ptr_get(infra, "/spec/providerIDList");
    if (cJSON_IsArray(ids)) capz_json_ptr_set(want, "/spec/providerIDList", cJSON_Duplicate(ids, 1), NULL);
    if (sim_annotation(mp, A_REPLICAS_MANAGED_BY) && capz_json_ptr_get(infra, "/status/replicas"))
      capz_json_ptr_set(want, "/spec/replicas", cJSON_CreateNumber((double)infra_replicas), NULL);
    const char *failure = capz_json_ptr_str(infra, "/status/failureReason", NULL);
    if (failure) {
      capz_json_ptr_set_str(want, "/status/failureReason", failure, NULL);
      capz_json_ptr_set_str(want, "/status/failureMessage",
                            capz_json_ptr_str(infra, "/status/failureMessage", failure), NULL);
    }
  } else {
    *requeue_ms = 2000;
  }
  int64_t nids = cJSON_GetArraySize(capz_json_ptr_get(want, "/spec/providerIDList"));
  capz_json_ptr_set(want, "/status/replicas", cJSON_CreateNumber((double)infra_replicas), NULL);
  capz_json_ptr_set(want, "/status/readyReplicas", cJSON_CreateNumber((double)(infra_ready ? infra_replicas : 0)), NULL);
  capz_json_ptr_set(want, "/status/availableReplicas", cJSON_CreateNumber((double)(infra_ready ? infra_replicas : 0)),
                    NULL);
  int64_t desired = capz_json_ptr_int(want, "/spec/replicas", 1);
  capz_json_ptr_set(want, "/status/unavailableReplicas",
                    cJSON_CreateNumber((double)(desired > infra_replicas && infra_ready ? desired - infra_replicas
                                                : infra_ready ? 0 : desired)), NULL);
  capz_json_ptr_set(want, "/status/bootstrapReady", cJSON_CreateBool(bootstrap_ready), NULL);
  capz_json_ptr_set(want, "/status/infrastructureReady", cJSON_CreateBool(infra_ready), NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(mp, "/metadata/generation", 0)), NULL);
  const char *phase = "Pending";
  if (capz_json_ptr_get(want, "/status/failureReason"))
    phase = "Failed";
  else if (infra_ready && nids > 0)
    phase = "Provisioned"; /* Running needs Nodes of a workload cluster */
  else if (bootstrap_ready)
    phase = "Provisioning";
  capz_json_ptr_set_str(want, "/status/phase", phase, NULL);
  if (bootstrap_ready)
    capz_cond_mark_true(want, "BootstrapReady");
  else
    capz_cond_mark_false(want, "BootstrapReady", "WaitingForDataSecret", CAPZ_SEV_INFO, "waiting for bootstrap data");
  if (infra_ready)
    capz_cond_mark_true(want, "InfrastructureReady");
  else
    capz_cond_mark_false(want, "InfrastructureReady", "WaitingForInfrastructure", CAPZ_SEV_INFO, "waiting for %s",
                         sim_str(mp, "/spec/template/spec/infrastructureRef/kind"));
  static const char *const summary[] = {"BootstrapReady", "InfrastructureReady", NULL};
  capz_cond_set_summary(want, summary);
  rc = sim_write(s, gvk, mp, want);
out:
  cJSON_Delete(infra);
  cJSON_Delete(cfg);
  cJSON_Delete(cluster);
  cJSON_Delete(want);
  cJSON_Delete(mp);
  return rc;
}
