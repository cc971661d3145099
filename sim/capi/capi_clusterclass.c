/* capi_clusterclass.c — the ClusterClass controller's part: the class becomes a (non-controller) owner of the
 * templates it references (so clusterctl-move-like tools keep them together), status.variables lists its
 * variable definitions (all inline: no runtime extensions), status.observedGeneration, and the conditions
 * VariablesReconciled and RefVersionsUpToDate (False naming a missing template). Topologies wait for
 * observedGeneration to catch up with the class they use. */
#include <stdio.h>
#include <string.h>

#include "capi_sim.h"

/* Every template reference of the class, in v1beta1 or v1beta2 spelling. */
static void collect_refs(const cJSON *cc, const cJSON **out, size_t *n, size_t max) {
  static const char *const top[][2] = {
      {"/spec/infrastructure/ref", "/spec/infrastructure/templateRef"},
      {"/spec/controlPlane/ref", "/spec/controlPlane/templateRef"},
      {"/spec/controlPlane/machineInfrastructure/ref", "/spec/controlPlane/machineInfrastructure/templateRef"},
  };
  *n = 0;
  for (size_t i = 0; i < 3 && *n < max; i++) {
    const cJSON *r = capz_json_ptr_get(cc, top[i][0]);
    if (!r) r = capz_json_ptr_get(cc, top[i][1]);
    if (r) out[(*n)++] = r;
  }
  static const char *const worker[][2] = {
      {"/template/bootstrap/ref", "/bootstrap/templateRef"},
      {"/template/infrastructure/ref", "/infrastructure/templateRef"},
  };
  const char *lists[] = {"/spec/workers/machineDeployments", "/spec/workers/machinePools"};
  for (int l = 0; l < 2; l++) {
    const cJSON *w;
    cJSON_ArrayForEach(w, capz_json_ptr_get(cc, lists[l])) {
      for (size_t i = 0; i < 2 && *n < max; i++) {
        const cJSON *r = capz_json_ptr_get(w, worker[i][0]);
        if (!r) r = capz_json_ptr_get(w, worker[i][1]);
        if (r) out[(*n)++] = r;
      }
    }
  }
}

int capi_clusterclass_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *cc = sim_cached(s, K_CLUSTERCLASS, ns, name);
  if (!cc) return 0;
  if (sim_is_deleting(cc)) {
    cJSON_Delete(cc);
    return 0;
  }
  int rc = 0;
  const cJSON *refs[200];
  size_t nrefs = 0;
  collect_refs(cc, refs, &nrefs, sizeof refs / sizeof refs[0]);
  char missing[512] = "";
  for (size_t i = 0; i < nrefs && rc == 0; i++) {
    capz_gvk g = {0};
    char buf[256];
    cJSON *t = sim_ref_get(s, refs[i], ns, &g, buf, sizeof buf);
    if (!t) {
      if (!missing[0])
        snprintf(missing, sizeof missing, "%s %s/%s not found", sim_str(refs[i], "/kind"), ns,
                 sim_str(refs[i], "/name"));
      continue;
    }
    if (!sim_owned_by(t, cc)) {
      cJSON *w = cJSON_Duplicate(t, 1);
      sim_add_owner(w, cc, false);
      rc = sim_write(s, &g, t, w);
      cJSON_Delete(w);
    }
    cJSON_Delete(t);
  }
  /* A class written in the v1beta2 shape (templateRef) cannot be written back through v1beta1 (its validation
   * wants `ref`) and capz-kube-sim has no conversion webhook: it gets owner references but no status. */
  bool v1beta2_shape = !capz_json_ptr_get(cc, "/spec/infrastructure/ref") &&
                       capz_json_ptr_get(cc, "/spec/infrastructure/templateRef") != NULL;
  if (v1beta2_shape) {
    cJSON_Delete(cc);
    return rc;
  }
  cJSON *want = cJSON_Duplicate(cc, 1);
  if (!cJSON_GetObjectItemCaseSensitive(want, "status")) cJSON_AddObjectToObject(want, "status");
  cJSON *vars = cJSON_CreateArray();
  const cJSON *v;
  cJSON_ArrayForEach(v, capz_json_ptr_get(cc, "/spec/variables")) {
    cJSON *sv = cJSON_CreateObject();
    cJSON_AddStringToObject(sv, "name", sim_str(v, "/name"));
    cJSON *def = cJSON_CreateObject();
    cJSON_AddStringToObject(def, "from", "inline");
    cJSON_AddBoolToObject(def, "required", capz_json_ptr_bool(v, "/required", false));
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(v, "schema");
    cJSON_AddItemToObject(def, "schema", schema ? cJSON_Duplicate(schema, 1) : cJSON_CreateObject());
    cJSON *defs = cJSON_AddArrayToObject(sv, "definitions");
    cJSON_AddItemToArray(defs, def);
    cJSON_AddItemToArray(vars, sv);
  }
  capz_json_ptr_set(want, "/status/variables", vars, NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(cc, "/metadata/generation", 0)), NULL);
  capz_cond_mark_true(want, "VariablesReconciled");
  if (missing[0]) {
    capz_cond_mark_false(want, "RefVersionsUpToDate", "RefNotFound", CAPZ_SEV_WARNING, "%s", missing);
    *requeue_ms = 5000; /* templates are not watched */
  } else {
    capz_cond_mark_true(want, "RefVersionsUpToDate");
  }
  if (rc == 0) rc = sim_write(s, &s->kinds[K_CLUSTERCLASS].gvk, cc, want);
  cJSON_Delete(want);
  cJSON_Delete(cc);
  return rc;
}
