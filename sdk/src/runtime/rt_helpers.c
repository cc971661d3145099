/* rt_helpers.c — finalizers, status patches with conflict retry, Cluster API pause detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/controller.h"
#include "capz/json.h"

#define MAX_ATTEMPTS 5

CAPZ_API bool capz_has_finalizer(const cJSON *obj, const char *name) {
  const cJSON *f;
  cJSON_ArrayForEach(f, capz_json_ptr_get(obj, "/metadata/finalizers")) {
    if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0) return true;
  }
  return false;
}

CAPZ_API bool capz_is_paused(const cJSON *obj, const cJSON *cluster) {
  if (obj && capz_json_ptr_get(obj, "/metadata/annotations/cluster.x-k8s.io~1paused")) return true;
  return cluster && capz_json_ptr_bool(cluster, "/spec/paused", false);
}

static int finalizer_edit(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *name, bool add,
                          bool *changed, capz_err *err) {
  if (changed) *changed = false;
  if (!base || !name) return capz_err_set(err, CAPZ_EINVAL, "finalizer: object and name required");
  const cJSON *snap = capz_obj_json(base);
  if (!snap) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  cJSON *cur = cJSON_Duplicate(snap, 1);
  char ns[CAPZ_NS_MAX], nm[CAPZ_NAME_MAX];
  snprintf(ns, sizeof ns, "%s", capz_obj_namespace(base));
  snprintf(nm, sizeof nm, "%s", capz_obj_name(base));
  int rc = 0;
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (capz_has_finalizer(cur, name) == add) { /* already as wanted (maybe by the write that beat ours) */
      rc = 0;
      capz_err_clear(err);
      break;
    }
    cJSON *list = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, capz_json_ptr_get(cur, "/metadata/finalizers")) {
      if (cJSON_IsString(f) && (add || strcmp(f->valuestring, name) != 0))
        cJSON_AddItemToArray(list, cJSON_CreateString(f->valuestring));
    }
    if (add) cJSON_AddItemToArray(list, cJSON_CreateString(name));
    cJSON *patch = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
    cJSON_AddItemToObject(md, "finalizers", list);
    cJSON_AddStringToObject(md, "resourceVersion", capz_json_ptr_str(cur, "/metadata/resourceVersion", ""));
    rc = capz_kube_patch(c, gvk, ns, nm, CAPZ_PATCH_MERGE, patch, NULL, NULL, err);
    cJSON_Delete(patch);
    if (rc == 0) {
      if (changed) *changed = true;
      break;
    }
    /* Removing the last finalizer of a deleted object makes it vanish: that is success. */
    if (rc == CAPZ_ENOTFOUND && !add) {
      rc = 0;
      break;
    }
    if (rc != CAPZ_ECONFLICT) break;
    cJSON_Delete(cur);
    cur = NULL;
    if ((rc = capz_kube_get(c, gvk, ns, nm, &cur, err)) != 0) {
      if (rc == CAPZ_ENOTFOUND && !add) { /* gone meanwhile: nothing left to remove */
        rc = 0;
        capz_err_clear(err);
      }
      break;
    }
    rc = CAPZ_ECONFLICT;
  }
  cJSON_Delete(cur);
  return rc;
}

CAPZ_API int capz_finalizer_add(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *name,
                                bool *changed, capz_err *err) {
  return finalizer_edit(c, gvk, base, name, true, changed, err);
}

CAPZ_API int capz_finalizer_remove(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *name,
                                   bool *changed, capz_err *err) {
  return finalizer_edit(c, gvk, base, name, false, changed, err);
}

CAPZ_API int capz_patch_status(capz_kube_client *c, const capz_gvk *gvk, const capz_obj *base, const char *ns,
                               const char *name, capz_mutate_fn mutate, void *ud, cJSON **out, capz_err *err) {
  if (out) *out = NULL;
  cJSON *cur = NULL;
  int rc = 0;
  if (base) {
    const cJSON *snap = capz_obj_json(base);
    cur = snap ? cJSON_Duplicate(snap, 1) : NULL;
    if (!cur) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    ns = capz_obj_namespace(base);
    name = capz_obj_name(base);
  } else if ((rc = capz_kube_get(c, gvk, ns, name, &cur, err)) != 0) {
    return rc;
  }
  char nsb[CAPZ_NS_MAX], nmb[CAPZ_NAME_MAX];
  snprintf(nsb, sizeof nsb, "%s", ns ? ns : "");
  snprintf(nmb, sizeof nmb, "%s", name ? name : "");
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    cJSON *want = cJSON_Duplicate(cur, 1);
    if (!want) {
      rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
      break;
    }
    if ((rc = mutate(ud, want)) != 0) {
      cJSON_Delete(want);
      break;
    }
    const cJSON *s0 = cJSON_GetObjectItemCaseSensitive(cur, "status");
    const cJSON *s1 = cJSON_GetObjectItemCaseSensitive(want, "status");
    if ((!s0 && !s1) || (s0 && s1 && capz_json_equal(s0, s1))) {
      cJSON_Delete(want);
      rc = 0; /* nothing to write: a no-op reconcile costs no request */
      break;
    }
    cJSON *patch = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(patch, "metadata");
    cJSON_AddStringToObject(md, "resourceVersion", capz_json_ptr_str(cur, "/metadata/resourceVersion", ""));
    cJSON *diff = s1 ? (cJSON_IsObject(s0) && cJSON_IsObject(s1) ? capz_json_merge_diff(s0, s1) : cJSON_Duplicate(s1, 1))
                     : cJSON_CreateNull();
    cJSON_AddItemToObject(patch, "status", diff);
    cJSON_Delete(want);
    capz_patch_opts po = {.subresource = "status"};
    cJSON *res = NULL;
    rc = capz_kube_patch(c, gvk, nsb, nmb, CAPZ_PATCH_MERGE, patch, &po, out ? &res : NULL, err);
    cJSON_Delete(patch);
    if (rc == 0) {
      if (out) *out = res;
      break;
    }
    if (rc != CAPZ_ECONFLICT) break;
    cJSON_Delete(cur);
    cur = NULL;
    if ((rc = capz_kube_get(c, gvk, nsb, nmb, &cur, err)) != 0) break;
    rc = CAPZ_ECONFLICT;
  }
  cJSON_Delete(cur);
  return rc;
}
