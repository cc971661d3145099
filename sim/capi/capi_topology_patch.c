/* capi_topology_patch.c — a ClusterClass's inline patches (spec.patches[].definitions[]) applied to the
 * templates of one Cluster: selector matching (apiVersion, kind, matchResources) and jsonPatches whose value is
 * literal, a variable or a rendered template. Adds create missing parent objects first, as CAPI's patch engine
 * does (json-patch's EnsurePathExistsOnAdd); the operations themselves are the SDK's RFC 6902 implementation. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

static bool names_match(const cJSON *names, const char *cls) {
  const cJSON *nm;
  cJSON_ArrayForEach(nm, names) {
    /* CAPI accepts "*" and prefix/suffix wildcards in class names. */
    if (cJSON_IsString(nm) && cls && fnmatch(nm->valuestring, cls, 0) == 0) return true;
  }
  return false;
}

static bool selected(const cJSON *sel, const topo_req *r) {
  if (strcmp(capz_json_ptr_str(sel, "/apiVersion", ""), sim_str(r->tmpl, "/apiVersion")) != 0) return false;
  if (strcmp(capz_json_ptr_str(sel, "/kind", ""), sim_str(r->tmpl, "/kind")) != 0) return false;
  const cJSON *mr = capz_json_ptr_get(sel, "/matchResources");
  switch (r->scope) {
    case TOPO_INFRA_CLUSTER:
      return capz_json_ptr_bool(mr, "/infrastructureCluster", false);
    case TOPO_CONTROL_PLANE:
      return capz_json_ptr_bool(mr, "/controlPlane", false);
    case TOPO_MD:
      return names_match(capz_json_ptr_get(mr, "/machineDeploymentClass/names"), r->class_name);
    case TOPO_MP:
      return names_match(capz_json_ptr_get(mr, "/machinePoolClass/names"), r->class_name);
  }
  return false;
}

/* Create the missing objects above the last token of path (an "add" may target a member of a new map). */
static void ensure_parents(cJSON *doc, const char *path) {
  char cur[1024] = "";
  const char *p = path;
  while (*p == '/') {
    const char *next = strchr(p + 1, '/');
    if (!next) return; /* last token: the op itself */
    size_t l = strlen(cur);
    if (l + (size_t)(next - p) >= sizeof cur) return;
    memcpy(cur + l, p, (size_t)(next - p));
    cur[l + (size_t)(next - p)] = 0;
    cJSON *node = capz_json_ptr_get(doc, cur);
    if (!node || cJSON_IsNull(node)) capz_json_ptr_set(doc, cur, cJSON_CreateObject(), NULL);
    p = next;
  }
}

/* The value of one jsonPatch entry (new tree) or NULL with msg. */
static cJSON *patch_value(const cJSON *jp, const cJSON *vars, char *msg, size_t n) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(jp, "value");
  if (v) return cJSON_Duplicate(v, 1);
  const cJSON *vf = cJSON_GetObjectItemCaseSensitive(jp, "valueFrom");
  const char *var = capz_json_ptr_str(vf, "/variable", NULL);
  if (var) {
    const cJSON *val = topo_var_lookup(vars, var);
    if (!val) {
      snprintf(msg, n, "variable %s is not set", var);
      return NULL;
    }
    return cJSON_Duplicate(val, 1);
  }
  const char *tmpl = capz_json_ptr_str(vf, "/template", NULL);
  if (tmpl) {
    char *text = topo_template_render(tmpl, vars, msg, n);
    if (!text) return NULL;
    capz_err err;
    capz_err_clear(&err);
    cJSON *docs = capz_yaml_to_json(text, strlen(text), &err);
    free(text);
    if (!docs) {
      snprintf(msg, n, "template output is not YAML: %.200s", err.msg);
      return NULL;
    }
    cJSON *first = cJSON_GetArraySize(docs) > 0 ? cJSON_DetachItemFromArray(docs, 0) : cJSON_CreateNull();
    cJSON_Delete(docs);
    return first;
  }
  snprintf(msg, n, "jsonPatch without value, valueFrom.variable or valueFrom.template");
  return NULL;
}

/* enabledIf: "true" after rendering enables the patch; "false" or empty disables it. */
static int enabled(const cJSON *patch, const cJSON *vars, bool *on, char *msg, size_t n) {
  const char *cond = capz_json_ptr_str(patch, "/enabledIf", NULL);
  *on = true;
  if (!cond) return 0;
  char *t = topo_template_render(cond, vars, msg, n);
  if (!t) return -1;
  char *s = t, *e = t + strlen(t);
  while (*s == ' ' || *s == '\n' || *s == '\t') s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t')) e--;
  *e = 0;
  int rc = 0;
  if (strcmp(s, "true") == 0)
    *on = true;
  else if (strcmp(s, "false") == 0 || *s == 0)
    *on = false;
  else {
    snprintf(msg, n, "enabledIf rendered to %.60s (only true/false are modelled)", s);
    rc = -1;
  }
  free(t);
  return rc;
}

static int apply_one(topo_req *r, const cJSON *jp, char *msg, size_t n) {
  const char *op = capz_json_ptr_str(jp, "/op", ""), *path = capz_json_ptr_str(jp, "/path", "");
  if (strcmp(op, "add") != 0 && strcmp(op, "replace") != 0 && strcmp(op, "remove") != 0) {
    snprintf(msg, n, "op %s is not allowed (add, replace, remove)", op);
    return -1;
  }
  if (strncmp(path, "/spec/", 6) != 0) {
    snprintf(msg, n, "path %s must start with /spec/", path);
    return -1;
  }
  cJSON *one = cJSON_CreateObject();
  cJSON_AddStringToObject(one, "op", op);
  cJSON_AddStringToObject(one, "path", path);
  if (strcmp(op, "remove") != 0) {
    cJSON *v = patch_value(jp, r->vars, msg, n);
    if (!v) {
      cJSON_Delete(one);
      return -1;
    }
    cJSON_AddItemToObject(one, "value", v);
  }
  if (strcmp(op, "add") == 0) ensure_parents(r->tmpl, path);
  cJSON *arr = cJSON_CreateArray();
  cJSON_AddItemToArray(arr, one);
  capz_err err;
  capz_err_clear(&err);
  cJSON *out = capz_json_patch_apply(r->tmpl, arr, &err);
  cJSON_Delete(arr);
  if (!out) {
    snprintf(msg, n, "%s %.100s: %.200s", op, path, err.msg);
    return -1;
  }
  cJSON_Delete(r->tmpl);
  r->tmpl = out;
  return 0;
}

int topo_patches_apply(const cJSON *cc, const cJSON *cluster_vars, topo_req *reqs, size_t nreq, char *msg, size_t n) {
  const cJSON *patch;
  char m[384];
  cJSON_ArrayForEach(patch, capz_json_ptr_get(cc, "/spec/patches")) {
    const char *pname = capz_json_ptr_str(patch, "/name", "(unnamed)");
    if (capz_json_ptr_get(patch, "/external")) {
      snprintf(msg, n, "patch %s: external patches (runtime extensions) are not supported by capz-capi-sim", pname);
      return -1;
    }
    bool on = true;
    m[0] = 0;
    if (enabled(patch, cluster_vars, &on, m, sizeof m) != 0) {
      snprintf(msg, n, "patch %s: %s", pname, m);
      return -1;
    }
    if (!on) continue;
    const cJSON *def;
    cJSON_ArrayForEach(def, capz_json_ptr_get(patch, "/definitions")) {
      const cJSON *sel = cJSON_GetObjectItemCaseSensitive(def, "selector");
      for (size_t i = 0; i < nreq; i++) {
        if (!selected(sel, &reqs[i])) continue;
        const cJSON *jp;
        int idx = 0;
        cJSON_ArrayForEach(jp, cJSON_GetObjectItemCaseSensitive(def, "jsonPatches")) {
          m[0] = 0;
          if (apply_one(&reqs[i], jp, m, sizeof m) != 0) {
            snprintf(msg, n, "patch %s, jsonPatch %d on %s %s: %s", pname, idx, sim_str(reqs[i].tmpl, "/kind"),
                     sim_str(reqs[i].tmpl, "/metadata/name"), m);
            return -1;
          }
          idx++;
        }
      }
    }
  }
  return 0;
}
