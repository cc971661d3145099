/* capi_machineset.c — MachineSet: keeps spec.replicas Machines, each with an infrastructure machine cloned
 * from the template's infrastructureRef and a KubeadmConfig from its KubeadmConfigTemplate; scales down by
 * deleting machines marked cluster.x-k8s.io/delete-machine first, then unhealthy ones, then the newest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

/* Deletion priority: higher goes first. */
static int delete_priority(const capz_obj *m) {
  const cJSON *j = capz_obj_json(m);
  if (sim_annotation(j, A_DELETE_MACHINE)) return 3;
  if (*capz_json_ptr_str(j, "/status/failureReason", "")) return 2;
  if (!capz_cond_is_true(j, "Ready")) return 1;
  return 0;
}

static int cmp_for_delete(const void *a, const void *b) {
  const capz_obj *x = *(const capz_obj *const *)a, *y = *(const capz_obj *const *)b;
  int px = delete_priority(x), py = delete_priority(y);
  if (px != py) return py - px;
  const char *tx = capz_json_ptr_str(capz_obj_json(x), "/metadata/creationTimestamp", "");
  const char *ty = capz_json_ptr_str(capz_obj_json(y), "/metadata/creationTimestamp", "");
  int c = strcmp(ty, tx); /* newest first */
  return c ? c : strcmp(capz_obj_name(y), capz_obj_name(x));
}

static int create_machine(sim *s, const cJSON *ms) {
  const char *ns = sim_str(ms, "/metadata/namespace"), *msname = sim_str(ms, "/metadata/name");
  const char *cname = sim_str(ms, "/spec/clusterName");
  char mname[256];
  sim_random_name(msname, mname, sizeof mname);
  /* Machine labels: the template's (selector labels included) plus the set name. */
  cJSON *labels = cJSON_Duplicate(capz_json_ptr_get(ms, "/spec/template/metadata/labels"), 1);
  if (!cJSON_IsObject(labels)) {
    cJSON_Delete(labels);
    labels = cJSON_CreateObject();
  }
  cJSON_DeleteItemFromObjectCaseSensitive(labels, L_CLUSTER_NAME);
  cJSON_AddStringToObject(labels, L_CLUSTER_NAME, cname);
  cJSON_DeleteItemFromObjectCaseSensitive(labels, L_SET_NAME);
  cJSON_AddStringToObject(labels, L_SET_NAME, msname);
  const char *dep = sim_label(ms, L_DEPLOYMENT_NAME);
  if (dep && !cJSON_GetObjectItemCaseSensitive(labels, L_DEPLOYMENT_NAME))
    cJSON_AddStringToObject(labels, L_DEPLOYMENT_NAME, dep);

  capz_gvk tg = {0};
  char tbuf[256];
  cJSON *tmpl = sim_ref_get(s, capz_json_ptr_get(ms, "/spec/template/spec/infrastructureRef"), ns, &tg, tbuf,
                            sizeof tbuf);
  cJSON *infra = tmpl ? sim_clone_template(tmpl, mname, ns, labels, ms) : NULL;
  cJSON *cfg = NULL;
  capz_gvk cfg_gvk = {0};
  char cfg_buf[256];
  const cJSON *cref = capz_json_ptr_get(ms, "/spec/template/spec/bootstrap/configRef");
  int rc = infra ? 0 : CAPZ_ENOTFOUND;
  if (rc == 0 && cref) {
    capz_gvk cg = {0};
    char cbuf[256];
    cJSON *ctmpl = sim_ref_get(s, cref, ns, &cg, cbuf, sizeof cbuf);
    if (!ctmpl) {
      rc = CAPZ_ENOTFOUND;
    } else {
      /* Any bootstrap provider's template clones the same way (KubeadmConfigTemplate -> KubeadmConfig). */
      cfg = sim_clone_template(ctmpl, mname, ns, labels, ms);
      if (!cfg || sim_gvk(s, sim_str(cfg, "/apiVersion"), sim_str(cfg, "/kind"), &cfg_gvk, cfg_buf, sizeof cfg_buf) != 0)
        rc = CAPZ_EINVAL;
      cJSON_Delete(ctmpl);
    }
  }
  if (rc != 0) capz_log(s->log, CAPZ_LOG_WARN, "machine templates not found", "namespace", ns, "name", msname, NULL);
  capz_gvk ig = {0};
  char ibuf[256];
  if (rc == 0) rc = sim_gvk(s, sim_str(infra, "/apiVersion"), sim_str(infra, "/kind"), &ig, ibuf, sizeof ibuf);
  if (rc == 0) rc = sim_create(s, &ig, ns, infra);
  if (rc == 0 && cfg) rc = sim_create(s, &cfg_gvk, ns, cfg);
  if (rc == 0) {
    cJSON *m = sim_new_object(CAPI_V1B1, "Machine", ns, mname);
    cJSON *md = cJSON_GetObjectItemCaseSensitive(m, "metadata");
    cJSON_AddItemToObject(md, "labels", cJSON_Duplicate(labels, 1));
    const cJSON *ann = capz_json_ptr_get(ms, "/spec/template/metadata/annotations");
    if (cJSON_IsObject(ann)) cJSON_AddItemToObject(md, "annotations", cJSON_Duplicate(ann, 1));
    sim_add_owner(m, ms, true);
    cJSON *spec = cJSON_Duplicate(capz_json_ptr_get(ms, "/spec/template/spec"), 1);
    if (!spec) spec = cJSON_CreateObject();
    capz_json_ptr_set_str(spec, "/clusterName", cname, NULL);
    capz_json_ptr_set(spec, "/infrastructureRef", sim_ref_to(infra), NULL);
    if (cfg) capz_json_ptr_set(spec, "/bootstrap/configRef", sim_ref_to(cfg), NULL);
    cJSON_AddItemToObject(m, "spec", spec);
    rc = sim_create(s, &s->kinds[K_MACHINE].gvk, ns, m);
    if (rc == 0) sim_wait_cache(s, K_MACHINE, ns, mname, true);
    cJSON_Delete(m);
  }
  cJSON_Delete(cfg);
  cJSON_Delete(infra);
  cJSON_Delete(tmpl);
  cJSON_Delete(labels);
  return rc;
}

int capi_ms_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *ms = sim_cached_unpaused(s, K_MS, ns, name, "/spec/clusterName");
  if (!ms) return 0;
  cJSON *want = NULL;
  capz_obj_list all = {0};
  int rc = 0;
  if (sim_is_deleting(ms)) goto out;
  /* Machines this set controls: the owner index gives the set's machines without scanning. */
  capz_err err;
  capz_err_clear(&err);
  if (capz_informer_by_index(s->kinds[K_MACHINE].inf, "owner", sim_str(ms, "/metadata/uid"), &all, &err) != 0) {
    rc = err.code ? err.code : CAPZ_EINTERNAL;
    goto out;
  }
  const capz_obj **live = calloc(all.n + 1, sizeof *live);
  if (!live) {
    rc = CAPZ_ENOMEM;
    goto out;
  }
  size_t nlive = 0, ready = 0;
  for (size_t i = 0; i < all.n; i++) {
    if (capz_obj_deleting(all.items[i])) continue;
    live[nlive++] = all.items[i];
    if (capz_cond_is_true(capz_obj_json(all.items[i]), "Ready")) ready++;
  }
  int64_t replicas = capz_json_ptr_int(ms, "/spec/replicas", 1);
  /* a set (or cluster) on its way out gets no new machine (live check: the cache lags a delete) */
  if ((int64_t)nlive < replicas && !sim_may_grow(s, K_MS, ns, name, sim_str(ms, "/spec/clusterName"))) {
    replicas = (int64_t)nlive;
    *requeue_ms = 1000; /* a failed live read is not a deletion: look again */
  }
  for (int64_t i = (int64_t)nlive; i < replicas && rc == 0; i++) rc = create_machine(s, ms);
  if (rc == 0 && (int64_t)nlive > replicas) {
    qsort(live, nlive, sizeof *live, cmp_for_delete);
    for (size_t i = 0; i < nlive - (size_t)replicas; i++) {
      sim_delete(s, &s->kinds[K_MACHINE].gvk, ns, capz_obj_name(live[i]));
      sim_wait_cache(s, K_MACHINE, ns, capz_obj_name(live[i]), false);
    }
  }
  free(live);
  if (rc != 0) goto out;
  want = cJSON_Duplicate(ms, 1);
  if (!cJSON_GetObjectItemCaseSensitive(want, "status")) cJSON_AddObjectToObject(want, "status");
  capz_json_ptr_set(want, "/status/replicas", cJSON_CreateNumber((double)nlive), NULL);
  capz_json_ptr_set(want, "/status/fullyLabeledReplicas", cJSON_CreateNumber((double)nlive), NULL);
  capz_json_ptr_set(want, "/status/readyReplicas", cJSON_CreateNumber((double)ready), NULL);
  capz_json_ptr_set(want, "/status/availableReplicas", cJSON_CreateNumber((double)ready), NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(ms, "/metadata/generation", 0)), NULL);
  char selector[640] = "";
  const cJSON *l;
  cJSON_ArrayForEach(l, capz_json_ptr_get(ms, "/spec/selector/matchLabels")) {
    size_t at = strlen(selector);
    snprintf(selector + at, sizeof selector - at, "%s%s=%s", at ? "," : "", l->string,
             cJSON_IsString(l) ? l->valuestring : "");
  }
  capz_json_ptr_set_str(want, "/status/selector", selector, NULL);
  rc = sim_write(s, &s->kinds[K_MS].gvk, ms, want);
out:
  capz_obj_list_free(&all);
  cJSON_Delete(want);
  cJSON_Delete(ms);
  return rc;
}
