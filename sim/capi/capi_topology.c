/* capi_topology.c — the part of Cluster API's topology controller the CAPZ ClusterClass flavours need: a
 * Cluster with spec.topology is rendered from its ClusterClass (templates cloned, inline patches applied) into
 * an infrastructure cluster, a control plane (+ its machine template), MachineDeployments and MachinePools (+
 * their templates / bootstrap configs / infrastructure pools), which the other sim controllers then reconcile
 * as for any Cluster. Generated objects are found again through the Cluster's refs, the generated objects' refs
 * and the topology labels, so names can be CAPI-like random ones and a half-finished pass is picked up.
 *
 * Simplifications (docs/sandbox.md, "Managed topologies"): in-place updates are merges checked with
 * "desired contained in current" (not server-side apply); a template clone whose rendered spec is no longer
 * contained in it is rotated (new name, ref moved, old one deleted); version upgrades go control plane first,
 * then every MachineDeployment/MachinePool at once when the control plane reports the version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_topology.h"

void capi_topology_class(const cJSON *cl, const char **name, const char **ns) {
  const cJSON *t = capz_json_ptr_get(cl, "/spec/topology");
  *name = capz_json_ptr_str(t, "/class", NULL);
  if (!*name) *name = capz_json_ptr_str(t, "/classRef/name", "");
  *ns = capz_json_ptr_str(t, "/classNamespace", NULL);
  if (!*ns) *ns = capz_json_ptr_str(t, "/classRef/namespace", "");
}

/* The generated object a Cluster ref points to, else the one carrying this Cluster's topology labels (a pass
 * that created it but could not record the ref). */
static cJSON *current_of(topo *t, const char *cluster_ref_ptr, const cJSON *class_ref) {
  const cJSON *r = capz_json_ptr_get(t->cl, cluster_ref_ptr);
  if (r) return topo_get_ref(t->s, r, t->ns);
  if (!class_ref) return NULL;
  const char *tk = sim_str(class_ref, "/kind");
  size_t l = strlen(tk);
  char kind[128], sel[400];
  snprintf(kind, sizeof kind, "%.*s", (int)(l > 8 ? l - 8 : 0), tk); /* without "Template" */
  snprintf(sel, sizeof sel, "%s=%s,%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED);
  return topo_find_generated(t->s, sim_str(class_ref, "/apiVersion"), kind, t->ns, sel);
}

/* The control plane: created from its patched template, or updated in place; version, replicas, machine template
 * reference and metadata from the topology. *cp: the object (uid) to reference. */
static int apply_control_plane(topo *t, const cJSON *cur_cp, const cJSON *cpt, const char *cp_name, const cJSON *mt,
                               const cJSON *labels, cJSON **cp) {
  const cJSON *cp_rep = capz_json_ptr_get(t->cl, "/spec/topology/controlPlane/replicas");
  int rc = 0;
  const cJSON *cmeta = capz_json_ptr_get(t->cc, "/spec/controlPlane/metadata");
  const cJSON *tmeta = capz_json_ptr_get(t->cl, "/spec/topology/controlPlane/metadata");
  cJSON *want = NULL;
  if (cur_cp) {
    want = cJSON_Duplicate(cur_cp, 1);
    topo_ensure_labels(want, labels);
    topo_overlay_spec(want, cur_cp, capz_json_ptr_get(cpt, "/spec/template/spec"));
  } else {
    want = topo_from_template(t, cpt, cp_name, true, labels, true);
    if (!want)
      return topo_fail(t, "TopologyReconcileFailed", "control plane %s is not a template kind%s", sim_str(cpt, "/kind"),
                       "");
  }
  cJSON *ml = topo_merged_meta(cmeta, tmeta, "labels"), *ma = topo_merged_meta(cmeta, tmeta, "annotations");
  topo_ensure_labels(want, ml);
  capz_json_ptr_set_str(want, "/spec/version", t->version, NULL);
  if (cJSON_IsNumber(cp_rep)) capz_json_ptr_set(want, "/spec/replicas", cJSON_CreateNumber(cp_rep->valuedouble), NULL);
  if (mt) {
    if (!topo_same_ref(capz_json_ptr_get(want, "/spec/machineTemplate/infrastructureRef"), mt))
      topo_set_ref(want, "/spec/machineTemplate/infrastructureRef", mt);
    /* Node timeouts of the control plane machines: the topology's, else the class's. */
    static const char *const timeouts[] = {"nodeDrainTimeout", "nodeVolumeDetachTimeout", "nodeDeletionTimeout"};
    const cJSON *tcp = capz_json_ptr_get(t->cl, "/spec/topology/controlPlane");
    const cJSON *ccp = capz_json_ptr_get(t->cc, "/spec/controlPlane");
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(tcp, timeouts[i]);
      if (!v) v = cJSON_GetObjectItemCaseSensitive(ccp, timeouts[i]);
      char ptr[96];
      snprintf(ptr, sizeof ptr, "/spec/machineTemplate/%s", timeouts[i]);
      if (cJSON_IsString(v)) capz_json_ptr_set_str(want, ptr, v->valuestring, NULL);
    }
    if (cJSON_GetArraySize(ml) > 0 || cJSON_GetArraySize(ma) > 0) {
      cJSON *mtl = topo_merged_meta(capz_json_ptr_get(want, "/spec/machineTemplate/metadata"), NULL, "labels");
      const cJSON *l;
      cJSON_ArrayForEach(l, ml) if (!cJSON_GetObjectItemCaseSensitive(mtl, l->string))
          cJSON_AddStringToObject(mtl, l->string, l->valuestring);
      capz_json_ptr_set(want, "/spec/machineTemplate/metadata/labels", mtl, NULL);
      if (cJSON_GetArraySize(ma) > 0 && !capz_json_ptr_get(want, "/spec/machineTemplate/metadata/annotations"))
        capz_json_ptr_set(want, "/spec/machineTemplate/metadata/annotations", cJSON_Duplicate(ma, 1), NULL);
    }
  }
  cJSON_Delete(ml);
  cJSON_Delete(ma);
  if (cur_cp) {
    rc = capz_json_equal(want, cur_cp) ? 0 : topo_write(t, cur_cp, want);
    cJSON_Delete(want);
    if (rc == 0) *cp = cJSON_Duplicate(cur_cp, 1);
  } else {
    rc = topo_create(t, want, cp);
    cJSON_Delete(want);
  }
  return rc;
}

static int run(topo *t, int64_t *requeue_ms) {
  sim *s = t->s;
  const char *ccname = NULL, *ccns = NULL;
  capi_topology_class(t->cl, &ccname, &ccns);
  t->ccns = *ccns ? ccns : t->ns;
  t->version = capz_json_ptr_str(t->cl, "/spec/topology/version", "");
  if (!*ccname) return topo_fail(t, "TopologyReconcileFailed", "spec.topology names no class%s%s", "", "");
  if (!capz_json_ptr_get(t->cl, "/spec/topology/class")) {
    /* A v1beta2 Cluster (classRef): this sim writes through v1beta1 and capz-kube-sim has no conversion
     * webhook, so the v1beta1 spelling is filled in as CAPI's conversion would (else v1beta1 validation fails). */
    capz_json_ptr_set_str(t->want, "/spec/topology/class", ccname, NULL);
    if (*ccns) capz_json_ptr_set_str(t->want, "/spec/topology/classNamespace", ccns, NULL);
  }
  if (!*t->version) return topo_fail(t, "TopologyReconcileFailed", "spec.topology.version is not set%s%s", "", "");
  t->cc = sim_cached(s, K_CLUSTERCLASS, t->ccns, ccname);
  if (!t->cc) {
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "apiVersion", CAPI_V1B1);
    cJSON_AddStringToObject(ref, "kind", "ClusterClass");
    cJSON_AddStringToObject(ref, "name", ccname);
    t->cc = topo_get_ref(s, ref, t->ccns);
    cJSON_Delete(ref);
  }
  if (!t->cc) {
    *requeue_ms = 2000;
    return topo_fail(t, "ClusterClassNotFound", "ClusterClass %s/%s not found", t->ccns, ccname);
  }
  /* A class whose status was never written (just created, or v1beta2-shaped: see capi_clusterclass.c) is used
   * as it is; one whose status lags behind its spec is waited for, as CAPI does. */
  int64_t observed = capz_json_ptr_int(t->cc, "/status/observedGeneration", -1);
  if (observed >= 0 && observed != capz_json_ptr_int(t->cc, "/metadata/generation", 0)) {
    *requeue_ms = 1000; /* a wait, not a failure: the class's own update wakes us too */
    topo_fail(t, "ClusterClassNotReconciled", "ClusterClass %s/%s is not reconciled yet", t->ccns, ccname);
    return 0;
  }
  sim_add_owner(t->want, t->cc, false);
  t->vars = topo_vars_cluster(t->cl, t->cc, t->msg, sizeof t->msg);
  if (!t->vars) {
    t->reason = "TopologyReconcileFailed";
    return -1;
  }

  /* Current infrastructure cluster and control plane: the Cluster's refs, else the topology labels. */
  const cJSON *iref = topo_first_of(t->cc, "/spec/infrastructure/ref", "/spec/infrastructure/templateRef");
  const cJSON *cref = topo_first_of(t->cc, "/spec/controlPlane/ref", "/spec/controlPlane/templateRef");
  const cJSON *mref = topo_first_of(t->cc, "/spec/controlPlane/machineInfrastructure/ref",
                                    "/spec/controlPlane/machineInfrastructure/templateRef");
  cJSON *cur_infra = current_of(t, "/spec/infrastructureRef", iref);
  cJSON *cur_cp = current_of(t, "/spec/controlPlaneRef", cref), *cur_mt = NULL;
  if (cur_cp && mref)
    cur_mt = topo_get_ref(s, capz_json_ptr_get(cur_cp, "/spec/machineTemplate/infrastructureRef"), t->ns);
  char infra_name[256], cp_name[256], mt_name[256], prefix[300];
  topo_name_of(cur_infra, t->cname, infra_name, sizeof infra_name);
  topo_name_of(cur_cp, t->cname, cp_name, sizeof cp_name);
  snprintf(prefix, sizeof prefix, "%s-control-plane", t->cname);
  topo_name_of(cur_mt, prefix, mt_name, sizeof mt_name);

  /* builtin.controlPlane (visible to every patch here; CAPI scopes it to control plane templates). */
  const cJSON *cp_rep = capz_json_ptr_get(t->cl, "/spec/topology/controlPlane/replicas");
  cJSON *bcp = cJSON_CreateObject();
  cJSON_AddStringToObject(bcp, "version", t->version);
  cJSON_AddStringToObject(bcp, "name", cp_name);
  if (cJSON_IsNumber(cp_rep)) cJSON_AddNumberToObject(bcp, "replicas", cp_rep->valuedouble);
  if (mref) capz_json_ptr_set_str(bcp, "/machineTemplate/infrastructureRef/name", mt_name, NULL);
  capz_json_ptr_set(t->vars, "/builtin/controlPlane", bcp, NULL);

  int rc = 0;
  int ri = topo_add_req(t, TOPO_INFRA_CLUSTER, NULL, iref, t->vars, "infrastructure");
  int rcp = ri < 0 ? -1 : topo_add_req(t, TOPO_CONTROL_PLANE, NULL, cref, t->vars, "controlPlane");
  int rmt = rcp < 0 || !mref
                ? -2
                : topo_add_req(t, TOPO_CONTROL_PLANE, NULL, mref, t->vars, "controlPlane machineInfrastructure");
  cJSON *cp = NULL, *infra = NULL, *mt = NULL, *old_mt = NULL;
  if (ri < 0 || rcp < 0 || rmt == -1) {
    rc = -1;
    goto out;
  }
  /* The control plane runs the new version once it reports it (status.version); workers follow then. */
  bool cp_upgraded = !cur_cp || (strcmp(sim_str(cur_cp, "/spec/version"), t->version) == 0 &&
                                 strcmp(sim_str(cur_cp, "/status/version"), t->version) == 0);
  /* CAPI's upgrade-concurrency annotation (default 1): how many MachineDeployments roll a new version at once. */
  if (cp_upgraded) {
    const char *conc = sim_annotation(t->cl, A_UPGRADE_CONCURRENCY);
    int c = conc ? atoi(conc) : 1;
    t->md_upgrade_slots = (c > 0 ? c : 1) - topo_mds_upgrading(t);
  }
  const char *lists[2] = {"/spec/topology/workers/machineDeployments", "/spec/topology/workers/machinePools"};
  for (int p = 0; p < 2 && rc == 0; p++) {
    const cJSON *wt;
    cJSON_ArrayForEach(wt, capz_json_ptr_get(t->cl, lists[p])) {
      if (t->nw >= sizeof t->w / sizeof t->w[0]) {
        rc = topo_fail(t, "TopologyReconcileFailed", "too many workers%s%s", "", "");
        break;
      }
      worker *w = &t->w[t->nw++];
      w->pool = p == 1;
      w->topo = wt;
      if ((rc = topo_plan_worker(t, w, cp_upgraded)) != 0) break;
    }
  }
  if (rc != 0) goto out;
  if (topo_patches_apply(t->cc, t->vars, t->reqs, t->nreq, t->msg, sizeof t->msg) != 0) {
    t->reason = "TopologyReconcileFailed";
    rc = -1;
    goto out;
  }

  /* Infrastructure cluster. */
  cJSON *labels = topo_base_labels(t);
  if ((rc = topo_ensure_object(t, t->reqs[ri].tmpl, cur_infra, infra_name, labels, &infra)) != 0) goto out_l;
  if (!topo_same_ref(capz_json_ptr_get(t->want, "/spec/infrastructureRef"), infra))
    topo_set_ref(t->want, "/spec/infrastructureRef", infra);

  /* Control plane machine template, then the control plane. */
  if (rmt >= 0 && (rc = topo_ensure_template(t, t->reqs[rmt].tmpl, cur_mt, mt_name, labels, &mt, &old_mt)) != 0)
    goto out_l;
  rc = apply_control_plane(t, cur_cp, t->reqs[rcp].tmpl, cp_name, mt, labels, &cp);
  if (rc != 0) goto out_l;
  if (!topo_same_ref(capz_json_ptr_get(t->want, "/spec/controlPlaneRef"), cp))
    topo_set_ref(t->want, "/spec/controlPlaneRef", cp);
  /* The control plane owns its machine template (CAPI's ownership for managed topologies). */
  if (mt && !sim_owned_by(mt, cp)) {
    cJSON *w2 = cJSON_Duplicate(mt, 1);
    sim_remove_owner_kind(w2, CAPI_V1B1, "Cluster");
    sim_add_owner(w2, cp, false);
    rc = topo_write(t, mt, w2);
    cJSON_Delete(w2);
    if (rc != 0) goto out_l;
  }
  if (old_mt) topo_del(t, old_mt);

  for (size_t i = 0; i < t->nw && rc == 0; i++) rc = topo_apply_worker(t, &t->w[i]);
  if (rc != 0) goto out_l;
  topo_delete_removed(t, false);
  topo_delete_removed(t, true);
  for (size_t i = 0; i < t->nw; i++) {
    if (!t->w[i].upgrade_pending) continue;
    t->reason = t->w[i].pool ? "MachinePoolsUpgradePending" : "MachineDeploymentsUpgradePending";
    if (t->w[i].pending_for_workers)
      snprintf(t->msg, sizeof t->msg,
               "MachineDeployment %s waits for other MachineDeployments to finish upgrading to %s", t->w[i].name,
               t->version);
    else
      snprintf(t->msg, sizeof t->msg, "%s %s waits for the control plane to run %s",
               t->w[i].pool ? "MachinePool" : "MachineDeployment", t->w[i].name, t->version);
    *requeue_ms = 1000;
    break;
  }
out_l:
  cJSON_Delete(labels);
out:
  cJSON_Delete(cur_infra);
  cJSON_Delete(cur_cp);
  cJSON_Delete(cur_mt);
  cJSON_Delete(cp);
  cJSON_Delete(infra);
  cJSON_Delete(mt);
  cJSON_Delete(old_mt);
  return rc;
}

int capi_topology_reconcile(sim *s, const cJSON *cl, cJSON *want, int64_t *requeue_ms) {
  if (!capz_json_ptr_get(cl, "/spec/topology") || sim_is_deleting(cl)) return 0;
  topo *t = calloc(1, sizeof *t);
  if (!t) return CAPZ_ENOMEM;
  t->s = s;
  t->cl = cl;
  t->want = want;
  t->ns = sim_str(cl, "/metadata/namespace");
  t->cname = sim_str(cl, "/metadata/name");
  int rc = run(t, requeue_ms);
  if (rc == CAPZ_ECONFLICT && !t->reason) {
    /* Someone wrote first: a retry with the new state, not a condition or an Event. */
    goto done;
  }
  if (rc == 0 && !t->reason) {
    capz_cond_mark_true(want, C_TOPOLOGY_RECONCILED);
  } else {
    bool pending = rc == 0;
    capz_cond_mark_false(want, C_TOPOLOGY_RECONCILED, t->reason ? t->reason : "TopologyReconcileFailed",
                         pending ? CAPZ_SEV_INFO : CAPZ_SEV_WARNING, "%s",
                         t->msg[0] ? t->msg : "topology not reconciled");
    if (!pending) {
      capz_log(s->log, CAPZ_LOG_WARN, "topology not reconciled", "namespace", t->ns, "name", t->cname, "reason",
               t->reason ? t->reason : "", "message", t->msg, NULL);
      if (s->events) {
        capz_object_ref ref = {CAPI_V1B1, "Cluster", t->ns, t->cname, sim_str(cl, "/metadata/uid")};
        capz_event_record(s->events, &ref, "Warning", t->reason ? t->reason : "TopologyReconcileFailed", t->msg, NULL);
      }
      if (*requeue_ms <= 0) *requeue_ms = 5000; /* a fixed class/template wakes us earlier through events */
    }
  }
done:
  for (size_t i = 0; i < t->nreq; i++) cJSON_Delete(t->reqs[i].tmpl);
  for (size_t i = 0; i < t->nw; i++) {
    cJSON_Delete(t->w[i].cur);
    cJSON_Delete(t->w[i].cur_boot);
    cJSON_Delete(t->w[i].cur_infra);
    cJSON_Delete(t->w[i].vars);
  }
  cJSON_Delete(t->cc);
  cJSON_Delete(t->vars);
  free(t);
  /* Topology problems are reported on the Cluster (condition) and retried on a timer, not as errors. */
  return rc > 0 ? rc : 0;
}
