/* capi_machinedeployment.c — MachineDeployment: owned by its Cluster, it keeps one MachineSet per machine
 * template (named <md>-<hash of spec.template>, label machine-template-hash) at spec.replicas; sets of older
 * templates are scaled to zero and deleted once empty. That is a Recreate-style rollout: simpler than CAPI's
 * RollingUpdate (no maxSurge/maxUnavailable pacing), same objects and labels. Status sums the sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "capi_sim.h"

/* A short, stable hash of the template (what changes it, changes the MachineSet). */
static void template_hash(const cJSON *md, char out[11]) {
  char *canon = capz_json_canonical(capz_json_ptr_get(md, "/spec/template"));
  unsigned char d[32];
  unsigned int dl = 0;
  EVP_Digest(canon ? canon : "", canon ? strlen(canon) : 0, d, &dl, EVP_sha256(), NULL);
  free(canon);
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  for (int i = 0; i < 10; i++) out[i] = alphabet[d[i] % (sizeof alphabet - 1)];
  out[10] = 0;
}

/* The object at ptr, created (replacing a null) when absent. */
static cJSON *ensure_obj(cJSON *doc, const char *ptr) {
  cJSON *o = capz_json_ptr_get(doc, ptr);
  if (cJSON_IsObject(o)) return o;
  capz_json_ptr_set(doc, ptr, cJSON_CreateObject(), NULL);
  return capz_json_ptr_get(doc, ptr);
}

static void put(cJSON *map, const char *key, const char *value) {
  cJSON_DeleteItemFromObjectCaseSensitive(map, key);
  cJSON_AddStringToObject(map, key, value);
}

static cJSON *machineset_new(const cJSON *md, const char *name, const char *hash, int64_t replicas) {
  const char *ns = sim_str(md, "/metadata/namespace"), *mdname = sim_str(md, "/metadata/name");
  const char *cname = sim_str(md, "/spec/clusterName");
  cJSON *ms = sim_new_object(CAPI_V1B1, "MachineSet", ns, name);
  sim_set_label(ms, L_CLUSTER_NAME, cname);
  sim_set_label(ms, L_DEPLOYMENT_NAME, mdname);
  sim_set_label(ms, L_TEMPLATE_HASH, hash);
  sim_add_owner(ms, md, true);
  cJSON *spec = cJSON_AddObjectToObject(ms, "spec");
  cJSON_AddStringToObject(spec, "clusterName", cname);
  cJSON_AddNumberToObject(spec, "replicas", (double)replicas);
  cJSON *sel = cJSON_AddObjectToObject(spec, "selector");
  cJSON *ml = cJSON_AddObjectToObject(sel, "matchLabels");
  cJSON_AddStringToObject(ml, L_CLUSTER_NAME, cname);
  cJSON_AddStringToObject(ml, L_DEPLOYMENT_NAME, mdname);
  cJSON_AddStringToObject(ml, L_TEMPLATE_HASH, hash);
  cJSON *tmpl = cJSON_Duplicate(capz_json_ptr_get(md, "/spec/template"), 1);
  if (!tmpl) tmpl = cJSON_CreateObject();
  cJSON *tl = ensure_obj(tmpl, "/metadata/labels");
  const cJSON *l;
  cJSON_ArrayForEach(l, ml) put(tl, l->string, l->valuestring);
  cJSON_AddItemToObject(spec, "template", tmpl);
  const char *dpol = capz_json_ptr_str(md, "/spec/strategy/rollingUpdate/deletePolicy", NULL);
  if (dpol) cJSON_AddStringToObject(spec, "deletePolicy", dpol);
  return ms;
}

/* Templates a managed topology rotated stay while a MachineSet still uses them; when the last such set goes,
 * they go too (CAPI's MachineSet controller does this for topology-owned templates). */
static void release_templates(sim *s, const cJSON *md, const cJSON *gone, const capz_obj_list *sets) {
  static const char *const refs[] = {"/spec/template/spec/infrastructureRef", "/spec/template/spec/bootstrap/configRef"};
  const char *ns = sim_str(md, "/metadata/namespace");
  for (size_t r = 0; r < 2; r++) {
    const char *tname = capz_json_ptr_str(capz_json_ptr_get(gone, refs[r]), "/name", "");
    if (!*tname || strcmp(capz_json_ptr_str(capz_json_ptr_get(md, refs[r]), "/name", ""), tname) == 0) continue;
    bool used = false;
    for (size_t i = 0; i < sets->n && !used; i++) {
      const cJSON *o = capz_obj_json(sets->items[i]);
      used = strcmp(capz_obj_name(sets->items[i]), sim_str(gone, "/metadata/name")) != 0 &&
             strcmp(capz_json_ptr_str(capz_json_ptr_get(o, refs[r]), "/name", ""), tname) == 0;
    }
    if (used) continue;
    capz_gvk g = {0};
    char buf[256];
    cJSON *t = sim_ref_get(s, capz_json_ptr_get(gone, refs[r]), ns, &g, buf, sizeof buf);
    if (t && sim_label(t, L_TOPOLOGY_OWNED) && !sim_is_deleting(t)) sim_delete(s, &g, ns, tname);
    cJSON_Delete(t);
  }
}

int capi_md_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms) {
  cJSON *md = sim_cached_unpaused(s, K_MD, ns, name, "/spec/clusterName");
  if (!md) return 0;
  const capz_gvk *gvk = &s->kinds[K_MD].gvk, *msg = &s->kinds[K_MS].gvk;
  cJSON *want = cJSON_Duplicate(md, 1), *cluster = NULL;
  capz_obj_list sets = {0};
  int rc = 0;
  /* Deletion: the sets and their machines go through owner-reference garbage collection. */
  if (sim_is_deleting(md)) goto out;
  const char *cname = sim_str(md, "/spec/clusterName");
  cluster = sim_cached(s, K_CLUSTER, ns, cname);
  if (!cluster) {
    *requeue_ms = 1000; /* applied together with its Cluster: that cache may not have it yet */
    goto out;
  }
  sim_set_label(want, L_CLUSTER_NAME, cname);
  if (!sim_owned_by(md, cluster)) sim_add_owner(want, cluster, false);
  /* CAPI's defaulting webhook fills the selector and template labels; this sim is that webhook too. */
  /* Labels are added to what the selector has (a managed topology selects on its own labels too). */
  cJSON *ml = ensure_obj(want, "/spec/selector/matchLabels");
  put(ml, L_CLUSTER_NAME, cname);
  put(ml, L_DEPLOYMENT_NAME, name);
  cJSON *tl = ensure_obj(want, "/spec/template/metadata/labels");
  put(tl, L_CLUSTER_NAME, cname);
  put(tl, L_DEPLOYMENT_NAME, name);
  if (!capz_json_equal(md, want)) {
    /* The template hash must be taken from the defaulted template: act on the next event. */
    rc = sim_write(s, gvk, md, want);
    goto out;
  }
  cJSON_Delete(want);
  want = cJSON_Duplicate(md, 1);

  char hash[11], msname[300], sel[320];
  template_hash(md, hash);
  snprintf(msname, sizeof msname, "%s-%s", name, hash);
  int64_t replicas = capz_json_ptr_int(md, "/spec/replicas", 1);
  snprintf(sel, sizeof sel, "%s=%s", L_DEPLOYMENT_NAME, name);
  if ((rc = sim_list(s, K_MS, ns, sel, &sets)) != 0) goto out;
  /* a deployment (or cluster) on its way out gets no new set and no scale-up; asked once, and only when needed */
  int grow = -1;
#define MAY_GROW() (grow < 0 ? (grow = sim_may_grow(s, K_MD, ns, name, cname)) : grow)
  bool found = false;
  int64_t st_repl = 0, st_ready = 0, st_avail = 0, st_upd = 0;
  for (size_t i = 0; i < sets.n; i++) {
    const cJSON *ms = capz_obj_json(sets.items[i]);
    bool current = strcmp(capz_obj_name(sets.items[i]), msname) == 0;
    found |= current;
    st_repl += capz_json_ptr_int(ms, "/status/replicas", 0);
    st_ready += capz_json_ptr_int(ms, "/status/readyReplicas", 0);
    st_avail += capz_json_ptr_int(ms, "/status/availableReplicas", 0);
    if (current) st_upd = capz_json_ptr_int(ms, "/status/replicas", 0);
    if (capz_obj_deleting(sets.items[i])) continue;
    int64_t target = current ? replicas : 0;
    int64_t have = capz_json_ptr_int(ms, "/spec/replicas", -1);
    if (have != target && (target <= have || MAY_GROW())) {
      cJSON *w = cJSON_Duplicate(ms, 1);
      capz_json_ptr_set(w, "/spec/replicas", cJSON_CreateNumber((double)target), NULL);
      rc = sim_write(s, msg, ms, w);
      cJSON_Delete(w);
      if (rc != 0) goto out;
    } else if (!current && capz_json_ptr_int(ms, "/status/replicas", 0) == 0) {
      if (sim_delete(s, msg, ns, capz_obj_name(sets.items[i])) == 0) release_templates(s, md, ms, &sets);
    }
  }
  if (!found && !MAY_GROW()) {
    capz_log(s->log, CAPZ_LOG_INFO, "not creating a MachineSet: the MachineDeployment or its Cluster is being deleted",
             "machinedeployment", name, NULL);
    *requeue_ms = 1000; /* a failed live read is not a deletion: look again */
    goto out;
  }
#undef MAY_GROW
  if (!found) {
    cJSON *ms = machineset_new(md, msname, hash, replicas);
    rc = sim_create(s, msg, ns, ms);
    cJSON_Delete(ms);
    if (rc != 0) goto out;
  }
  if (!cJSON_GetObjectItemCaseSensitive(want, "status")) cJSON_AddObjectToObject(want, "status");
  capz_json_ptr_set(want, "/status/replicas", cJSON_CreateNumber((double)st_repl), NULL);
  capz_json_ptr_set(want, "/status/readyReplicas", cJSON_CreateNumber((double)st_ready), NULL);
  capz_json_ptr_set(want, "/status/availableReplicas", cJSON_CreateNumber((double)st_avail), NULL);
  capz_json_ptr_set(want, "/status/updatedReplicas", cJSON_CreateNumber((double)st_upd), NULL);
  capz_json_ptr_set(want, "/status/unavailableReplicas",
                    cJSON_CreateNumber((double)(st_repl > st_avail ? st_repl - st_avail : 0)), NULL);
  char selector[640];
  snprintf(selector, sizeof selector, "%s=%s,%s=%s", L_CLUSTER_NAME, cname, L_DEPLOYMENT_NAME, name);
  capz_json_ptr_set_str(want, "/status/selector", selector, NULL);
  capz_json_ptr_set(want, "/status/observedGeneration",
                    cJSON_CreateNumber((double)capz_json_ptr_int(md, "/metadata/generation", 0)), NULL);
  const char *phase = st_repl < replicas ? "ScalingUp" : st_repl > replicas ? "ScalingDown" : "Running";
  capz_json_ptr_set_str(want, "/status/phase", phase, NULL);
  if (st_avail >= replicas)
    capz_cond_mark_true(want, "Available");
  else
    capz_cond_mark_false(want, "Available", "WaitingForAvailableMachines", CAPZ_SEV_WARNING,
                         "%lld of %lld machines available", (long long)st_avail, (long long)replicas);
  capz_cond_set_summary(want, NULL);
  rc = sim_write(s, gvk, md, want);
out:
  capz_obj_list_free(&sets);
  cJSON_Delete(cluster);
  cJSON_Delete(want);
  cJSON_Delete(md);
  return rc;
}
