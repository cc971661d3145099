/* capi_topology_workers.c — the MachineDeployments and MachinePools of a topology: their classes, current
 * objects, names, versions (held back while the control plane upgrades), templates or configs, and the removal
 * of workers that left the topology. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_topology.h"

static const cJSON *find_class(const cJSON *cc, bool pool, const char *cls) {
  const cJSON *c;
  cJSON_ArrayForEach(c,
                     capz_json_ptr_get(cc, pool ? "/spec/workers/machinePools" : "/spec/workers/machineDeployments")) {
    if (strcmp(capz_json_ptr_str(c, "/class", ""), cls) == 0) return c;
  }
  return NULL;
}

int topo_plan_worker(topo *t, worker *w, bool cp_upgraded) {
  const char *kindname = w->pool ? "MachinePool" : "MachineDeployment";
  const char *cls = capz_json_ptr_str(w->topo, "/class", "");
  w->tname = capz_json_ptr_str(w->topo, "/name", "");
  if (!*w->tname) return topo_fail(t, "TopologyReconcileFailed", "a %s topology has no name%s", kindname, "");
  for (worker *o = t->w; o < w; o++)
    if (o->pool == w->pool && strcmp(o->tname, w->tname) == 0)
      return topo_fail(t, "TopologyReconcileFailed", "%s name %s is used twice in the topology", kindname, w->tname);
  w->cls = find_class(t->cc, w->pool, cls);
  if (!w->cls)
    return topo_fail(t, "TopologyReconcileFailed", "%s class %s is not defined in the ClusterClass", kindname, cls);
  char sel[640], prefix[300];
  snprintf(sel, sizeof sel, "%s=%s,%s,%s=%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED,
           w->pool ? L_TOPOLOGY_POOL : L_TOPOLOGY_DEPLOYMENT, w->tname);
  w->cur = topo_find_generated(t->s, CAPI_V1B1, kindname, t->ns, sel);
  const cJSON *spec_t = capz_json_ptr_get(w->cur, "/spec/template/spec");
  if (w->cur) {
    w->cur_boot = topo_get_ref(t->s, capz_json_ptr_get(spec_t, "/bootstrap/configRef"), t->ns);
    w->cur_infra = topo_get_ref(t->s, capz_json_ptr_get(spec_t, "/infrastructureRef"), t->ns);
  }
  snprintf(prefix, sizeof prefix, "%s-%s", t->cname, w->tname);
  topo_name_of(w->cur, prefix, w->name, sizeof w->name);
  topo_name_of(w->cur_boot, prefix, w->boot_name, sizeof w->boot_name);
  topo_name_of(w->cur_infra, prefix, w->infra_name, sizeof w->infra_name);
  /* Upgrade sequencing: an existing worker keeps its version until the control plane runs the new one; then
   * MachineDeployments take their turn, at most upgrade-concurrency of them rolling at a time. */
  const char *cur_ver = capz_json_ptr_str(spec_t, "/version", NULL);
  w->version = t->version;
  if (w->cur && cur_ver && strcmp(cur_ver, t->version) != 0) {
    if (!cp_upgraded) {
      w->upgrade_pending = true;
    } else if (!w->pool) {
      if (t->md_upgrade_slots > 0)
        t->md_upgrade_slots--;
      else
        w->upgrade_pending = w->pending_for_workers = true;
    }
    if (w->upgrade_pending) w->version = cur_ver;
  }
  w->vars = topo_vars_worker(t->vars, w->topo, t->cc, t->msg, sizeof t->msg);
  if (!w->vars) {
    t->reason = "TopologyReconcileFailed";
    return -1;
  }
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "version", w->version);
  cJSON_AddStringToObject(b, "class", cls);
  cJSON_AddStringToObject(b, "name", w->name);
  cJSON_AddStringToObject(b, "topologyName", w->tname);
  const cJSON *rep = capz_json_ptr_get(w->topo, "/replicas");
  if (cJSON_IsNumber(rep)) cJSON_AddNumberToObject(b, "replicas", rep->valuedouble);
  capz_json_ptr_set_str(b, "/bootstrap/configRef/name", w->boot_name, NULL);
  capz_json_ptr_set_str(b, "/infrastructureRef/name", w->infra_name, NULL);
  capz_json_ptr_set(w->vars, w->pool ? "/builtin/machinePool" : "/builtin/machineDeployment", b, NULL);
  int scope = w->pool ? TOPO_MP : TOPO_MD;
  w->req_boot = topo_add_req(t, scope, cls, topo_first_of(w->cls, "/template/bootstrap/ref", "/bootstrap/templateRef"),
                             w->vars, "bootstrap");
  if (w->req_boot < 0) return -1;
  w->req_infra =
      topo_add_req(t, scope, cls, topo_first_of(w->cls, "/template/infrastructure/ref", "/infrastructure/templateRef"),
                   w->vars, "infrastructure");
  return w->req_infra < 0 ? -1 : 0;
}

/* Templates (MachineDeployment) or configs and pools (MachinePool) first, then the worker object itself with its
 * labels, metadata, replicas, version and references; a rotated template is deleted once the reference moved. */
int topo_apply_worker(topo *t, worker *w) {
  const char *kindname = w->pool ? "MachinePool" : "MachineDeployment";
  cJSON *labels = topo_base_labels(t);
  cJSON_AddStringToObject(labels, w->pool ? L_TOPOLOGY_POOL : L_TOPOLOGY_DEPLOYMENT, w->tname);
  cJSON *boot = NULL, *infra = NULL, *old_boot = NULL, *old_infra = NULL, *obj = NULL;
  const cJSON *pb = t->reqs[w->req_boot].tmpl, *pi = t->reqs[w->req_infra].tmpl;
  int rc;
  if (w->pool) {
    rc = topo_ensure_object(t, pb, w->cur_boot, w->boot_name, labels, &boot);
    if (rc == 0) rc = topo_ensure_object(t, pi, w->cur_infra, w->infra_name, labels, &infra);
  } else {
    rc = topo_ensure_template(t, pb, w->cur_boot, w->boot_name, labels, &boot, &old_boot);
    if (rc == 0) rc = topo_ensure_template(t, pi, w->cur_infra, w->infra_name, labels, &infra, &old_infra);
  }
  if (rc != 0) goto out;

  const cJSON *cmeta = topo_first_of(w->cls, "/template/metadata", "/metadata");
  cJSON *ml = topo_merged_meta(cmeta, capz_json_ptr_get(w->topo, "/metadata"), "labels");
  cJSON *ma = topo_merged_meta(cmeta, capz_json_ptr_get(w->topo, "/metadata"), "annotations");
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    cJSON_DeleteItemFromObjectCaseSensitive(ml, l->string);
    cJSON_AddStringToObject(ml, l->string, l->valuestring);
  }
  cJSON *want;
  if (w->cur) {
    want = cJSON_Duplicate(w->cur, 1);
  } else {
    want = sim_new_object(CAPI_V1B1, kindname, t->ns, w->name);
    sim_add_owner(want, t->cl, false);
    capz_json_ptr_set_str(want, "/spec/clusterName", t->cname, NULL);
    capz_json_ptr_set_str(want, "/spec/template/spec/clusterName", t->cname, NULL);
    if (!w->pool) {
      cJSON *sel = cJSON_CreateObject();
      cJSON_AddItemToObject(sel, "matchLabels", cJSON_Duplicate(labels, 1));
      capz_json_ptr_set(want, "/spec/selector", sel, NULL);
    }
    /* Rollout settings: the topology's, else the class's. */
    const char *fields[] = {"/minReadySeconds", "/strategy", "/failureDomain", "/failureDomains"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      const cJSON *v = capz_json_ptr_get(w->topo, fields[i]);
      if (!v) v = capz_json_ptr_get(w->cls, fields[i]);
      if (!v) continue;
      char ptr[64];
      bool in_template = strcmp(fields[i], "/failureDomain") == 0;
      snprintf(ptr, sizeof ptr, "%s%s", in_template ? "/spec/template/spec" : "/spec", fields[i]);
      capz_json_ptr_set(want, ptr, cJSON_Duplicate(v, 1), NULL);
    }
  }
  cJSON_ArrayForEach(l, ml) if (!sim_label(want, l->string)) sim_set_label(want, l->string, l->valuestring);
  cJSON_ArrayForEach(l, ma) if (!sim_annotation(want, l->string)) sim_set_annotation(want, l->string, l->valuestring);
  cJSON *tl = capz_json_ptr_get(want, "/spec/template/metadata/labels");
  if (!cJSON_IsObject(tl)) {
    capz_json_ptr_set(want, "/spec/template/metadata/labels", cJSON_CreateObject(), NULL);
    tl = capz_json_ptr_get(want, "/spec/template/metadata/labels");
  }
  cJSON_ArrayForEach(l, ml) if (!cJSON_GetObjectItemCaseSensitive(tl, l->string))
      cJSON_AddStringToObject(tl, l->string, l->valuestring);
  if (cJSON_GetArraySize(ma) > 0 && !capz_json_ptr_get(want, "/spec/template/metadata/annotations"))
    capz_json_ptr_set(want, "/spec/template/metadata/annotations", cJSON_Duplicate(ma, 1), NULL);
  cJSON_Delete(ml);
  cJSON_Delete(ma);
  /* Node timeouts: the topology's, else the class's, kept in sync like replicas. */
  static const char *const timeouts[] = {"nodeDrainTimeout", "nodeVolumeDetachTimeout", "nodeDeletionTimeout"};
  for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(w->topo, timeouts[i]);
    if (!v) v = cJSON_GetObjectItemCaseSensitive(w->cls, timeouts[i]);
    char ptr[96];
    snprintf(ptr, sizeof ptr, "/spec/template/spec/%s", timeouts[i]);
    if (cJSON_IsString(v)) capz_json_ptr_set_str(want, ptr, v->valuestring, NULL);
  }
  const cJSON *rep = capz_json_ptr_get(w->topo, "/replicas");
  if (cJSON_IsNumber(rep)) capz_json_ptr_set(want, "/spec/replicas", cJSON_CreateNumber(rep->valuedouble), NULL);
  capz_json_ptr_set_str(want, "/spec/template/spec/version", w->version, NULL);
  if (!topo_same_ref(capz_json_ptr_get(want, "/spec/template/spec/bootstrap/configRef"), boot))
    topo_set_ref(want, "/spec/template/spec/bootstrap/configRef", boot);
  if (!topo_same_ref(capz_json_ptr_get(want, "/spec/template/spec/infrastructureRef"), infra))
    topo_set_ref(want, "/spec/template/spec/infrastructureRef", infra);
  if (w->cur)
    rc = capz_json_equal(want, w->cur) ? 0 : topo_write(t, w->cur, want);
  else
    rc = topo_create(t, want, &obj);
  cJSON_Delete(want);
  /* A MachineDeployment's replaced templates stay until its last MachineSet using them is gone (the MachineDeployment
   * controller deletes them then); a MachinePool's config and pool are updated in place, never replaced. */
out:
  cJSON_Delete(labels);
  cJSON_Delete(boot);
  cJSON_Delete(infra);
  cJSON_Delete(old_boot);
  cJSON_Delete(old_infra);
  cJSON_Delete(obj);
  return rc;
}

/* True while a Machine of the MachineDeployment runs another version than its template (deleting ones too). */
static bool md_rolling(sim *s, const cJSON *md) {
  const char *ver = capz_json_ptr_str(md, "/spec/template/spec/version", NULL);
  char sel[320];
  snprintf(sel, sizeof sel, "%s=%s", L_DEPLOYMENT_NAME, sim_str(md, "/metadata/name"));
  capz_obj_list l;
  if (!ver || sim_list(s, K_MACHINE, sim_str(md, "/metadata/namespace"), sel, &l) != 0) return false;
  bool rolling = false;
  for (size_t i = 0; i < l.n && !rolling; i++)
    rolling = strcmp(capz_json_ptr_str(capz_obj_json(l.items[i]), "/spec/version", ver), ver) != 0;
  capz_obj_list_free(&l);
  return rolling;
}

int topo_mds_upgrading(topo *t) {
  int n = 0;
  const cJSON *wt;
  cJSON_ArrayForEach(wt, capz_json_ptr_get(t->cl, "/spec/topology/workers/machineDeployments")) {
    char sel[640];
    snprintf(sel, sizeof sel, "%s=%s,%s,%s=%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED, L_TOPOLOGY_DEPLOYMENT,
             capz_json_ptr_str(wt, "/name", ""));
    cJSON *md = topo_find_generated(t->s, CAPI_V1B1, "MachineDeployment", t->ns, sel);
    if (md && strcmp(capz_json_ptr_str(md, "/spec/template/spec/version", ""), t->version) == 0 && md_rolling(t->s, md))
      n++;
    cJSON_Delete(md);
  }
  return n;
}

/* MachineDeployments/MachinePools this topology generated that are no longer in it. */
void topo_delete_removed(topo *t, bool pool) {
  int kind = pool ? K_MP : K_MD;
  const char *label = pool ? L_TOPOLOGY_POOL : L_TOPOLOGY_DEPLOYMENT;
  char sel[400];
  snprintf(sel, sizeof sel, "%s=%s,%s", L_CLUSTER_NAME, t->cname, L_TOPOLOGY_OWNED);
  capz_obj_list l;
  if (sim_list(t->s, kind, t->ns, sel, &l) != 0) return;
  for (size_t i = 0; i < l.n; i++) {
    const char *tn = capz_obj_label(l.items[i], label);
    bool keep = false;
    for (size_t j = 0; j < t->nw && tn; j++) keep |= t->w[j].pool == pool && strcmp(t->w[j].tname, tn) == 0;
    if (keep || capz_obj_deleting(l.items[i])) continue;
    capz_log(t->s->log, CAPZ_LOG_INFO, "topology: removed from the topology; deleting", "kind",
             pool ? "MachinePool" : "MachineDeployment", "namespace", t->ns, "name", capz_obj_name(l.items[i]), NULL);
    topo_del(t, capz_obj_json(l.items[i]));
    if (!pool) {
      /* Its templates go with it (MachinePools delete their own bootstrap config and pool). */
      const cJSON *spec = capz_json_ptr_get(capz_obj_json(l.items[i]), "/spec/template/spec");
      const char *ptrs[] = {"/bootstrap/configRef", "/infrastructureRef"};
      for (int p = 0; p < 2; p++) {
        const cJSON *ref = capz_json_ptr_get(spec, ptrs[p]);
        cJSON *o = ref ? topo_get_ref(t->s, ref, t->ns) : NULL;
        if (o && sim_label(o, L_TOPOLOGY_OWNED)) topo_del(t, o);
        cJSON_Delete(o);
      }
    }
  }
  capz_obj_list_free(&l);
}
