/* mc_addons.c — fleet membership and AKS cluster extensions of an AMCP: the ARM bodies of CAPZ's fleetsmembers
 * and aksextensions services, and the webhook rules for spec.fleetsMember / spec.extensions[]. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"

const char *mc_fleet_member_name(const cJSON *amcp, const char *cluster) {
  const char *n = capz_json_ptr_str(amcp, "/spec/fleetsMember/name", "");
  if (*n) return n;
  n = capz_json_ptr_str(amcp, "/metadata/labels/cluster.x-k8s.io~1cluster-name", "");
  return *n ? n : (cluster ? cluster : "");
}

cJSON *mc_fleet_member_body(const cJSON *amcp, const char *mc_id, const char *cluster, char *id, size_t n) {
  const cJSON *fm = capz_json_ptr_get(amcp, "/spec/fleetsMember");
  if (n) id[0] = '\0';
  if (!cJSON_IsObject(fm)) return NULL;
  const char *mgr = capz_json_ptr_str(fm, "/managerName", "");
  const char *mrg = capz_json_ptr_str(fm, "/managerResourceGroup", "");
  const char *name = mc_fleet_member_name(amcp, cluster);
  if (!*mgr || !*mrg || !*name) return NULL;
  if (snprintf(id, n, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/fleets/%s/members/%s",
               capz_json_ptr_str(amcp, "/spec/subscriptionID", ""), mrg, mgr, name) >= (int)n)
    return NULL;
  cJSON *b = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(b, "properties");
  cJSON_AddStringToObject(p, "clusterResourceId", mc_id);
  const char *g = capz_json_ptr_str(fm, "/group", "");
  cJSON_AddStringToObject(p, "group", *g ? g : "default");
  return b;
}

static void cp(cJSON *dst, const char *name, const cJSON *src, const char *ptr) {
  const cJSON *v = capz_json_ptr_get(src, ptr);
  if (v && !cJSON_IsNull(v)) cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

cJSON *mc_extension_body(const cJSON *ext) {
  if (!cJSON_IsObject(ext) || !*capz_json_ptr_str(ext, "/name", "")) return NULL;
  cJSON *b = cJSON_CreateObject();
  const char *idt = capz_json_ptr_str(ext, "/identity", "");
  if (*idt) cJSON_AddStringToObject(cJSON_AddObjectToObject(b, "identity"), "type", idt);
  const cJSON *plan = capz_json_ptr_get(ext, "/plan");
  if (cJSON_IsObject(plan)) {
    cJSON *pl = cJSON_AddObjectToObject(b, "plan");
    static const char *const keys[] = {"name", "product", "publisher", "promotionCode", "version", NULL};
    for (int i = 0; keys[i]; i++) {
      const cJSON *x = cJSON_GetObjectItemCaseSensitive(plan, keys[i]);
      if (cJSON_IsString(x) && *x->valuestring) cJSON_AddStringToObject(pl, keys[i], x->valuestring);
    }
  }
  cJSON *p = cJSON_AddObjectToObject(b, "properties");
  cp(p, "extensionType", ext, "/extensionType");
  cp(p, "autoUpgradeMinorVersion", ext, "/autoUpgradeMinorVersion");
  cp(p, "releaseTrain", ext, "/releaseTrain");
  cp(p, "version", ext, "/version");
  cp(p, "configurationSettings", ext, "/configurationSettings");
  const cJSON *sc = capz_json_ptr_get(ext, "/scope");
  if (cJSON_IsObject(sc)) {
    cJSON *s = cJSON_AddObjectToObject(p, "scope");
    bool ns = strcmp(capz_json_ptr_str(sc, "/scopeType", ""), "Namespace") == 0;
    cJSON *o = cJSON_AddObjectToObject(s, ns ? "namespace" : "cluster");
    const char *v = capz_json_ptr_str(sc, ns ? "/targetNamespace" : "/releaseNamespace", "");
    if (*v) cJSON_AddStringToObject(o, ns ? "targetNamespace" : "releaseNamespace", v); /* else AKS's default */
  }
  const char *aks = capz_json_ptr_str(ext, "/aksAssignedIdentityType", "");
  if (*aks) cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "aksAssignedIdentity"), "type", aks);
  return b;
}

int mc_addons_default(cJSON *obj, capz_err *err) {
  int rc = 0;
  const char *cl = capz_json_ptr_str(obj, "/metadata/labels/cluster.x-k8s.io~1cluster-name", "");
  if (cJSON_IsObject(capz_json_ptr_get(obj, "/spec/fleetsMember")) && *cl &&
      !*capz_json_ptr_str(obj, "/spec/fleetsMember/name", ""))
    rc = capz_json_ptr_set_str(obj, "/spec/fleetsMember/name", cl, err);
  cJSON *e;
  cJSON_ArrayForEach(e, capz_json_ptr_get(obj, "/spec/extensions")) {
    cJSON *plan = cJSON_GetObjectItemCaseSensitive(e, "plan");
    if (rc || !cJSON_IsObject(plan) || *capz_json_ptr_str(plan, "/name", "")) continue;
    char n[300];
    snprintf(n, sizeof n, "%s-%s", capz_json_ptr_str(e, "/name", ""), capz_json_ptr_str(plan, "/product", ""));
    rc = capz_json_ptr_set_str(plan, "/name", n, err);
  }
  return rc;
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ up to max characters. */
static bool dns_label(const char *s, size_t max) {
  size_t l = strlen(s);
  if (l < 1 || l > max || s[0] == '-' || s[l - 1] == '-') return false;
  for (size_t i = 0; i < l; i++)
    if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-') return false;
  return true;
}

static const cJSON *ext_named(const cJSON *obj, const char *name) {
  const cJSON *e;
  cJSON_ArrayForEach(e, capz_json_ptr_get(obj, "/spec/extensions"))
    if (strcmp(capz_json_ptr_str(e, "/name", ""), name) == 0) return e;
  return NULL;
}

void mc_addons_validate(const cJSON *obj, const cJSON *old, mc_problem_fn add, void *ud) {
  const cJSON *fm = capz_json_ptr_get(obj, "/spec/fleetsMember");
  if (cJSON_IsObject(fm)) {
    if (!*capz_json_ptr_str(fm, "/managerName", "")) add(ud, "spec.fleetsMember.managerName: required");
    if (!*capz_json_ptr_str(fm, "/managerResourceGroup", ""))
      add(ud, "spec.fleetsMember.managerResourceGroup: required");
    const char *n = capz_json_ptr_str(fm, "/name", "");
    if (*n && !dns_label(n, 50)) add(ud, "spec.fleetsMember.name: \"%s\" must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ (at most 50)", n);
    const char *g = capz_json_ptr_str(fm, "/group", "");
    if (*g && !dns_label(g, 50)) add(ud, "spec.fleetsMember.group: \"%s\" must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", g);
  }
  if (old) {
    const char *on = capz_json_ptr_str(old, "/spec/fleetsMember/name", "");
    if (*on && strcmp(on, capz_json_ptr_str(obj, "/spec/fleetsMember/name", on)) != 0)
      add(ud, "spec.fleetsMember.name: field is immutable");
  }
  const cJSON *e;
  int i = 0;
  cJSON_ArrayForEach(e, capz_json_ptr_get(obj, "/spec/extensions")) {
    const char *n = capz_json_ptr_str(e, "/name", "");
    if (!*n) add(ud, "spec.extensions[%d].name: required", i);
    if (!*capz_json_ptr_str(e, "/extensionType", "")) add(ud, "spec.extensions[%d].extensionType: required", i);
    const cJSON *dup = *n ? ext_named(obj, n) : NULL;
    if (dup && dup != e) add(ud, "spec.extensions[%d].name: \"%s\" is listed twice", i, n);
    bool auto_up = capz_json_ptr_bool(e, "/autoUpgradeMinorVersion", true);
    if (*capz_json_ptr_str(e, "/version", "") && auto_up)
      add(ud, "spec.extensions[%d].version: only with autoUpgradeMinorVersion false", i);
    if (*capz_json_ptr_str(e, "/releaseTrain", "") && !auto_up)
      add(ud, "spec.extensions[%d].releaseTrain: only with autoUpgradeMinorVersion true", i);
    const char *st = capz_json_ptr_str(e, "/scope/scopeType", "");
    if (!strcmp(st, "Cluster") && *capz_json_ptr_str(e, "/scope/targetNamespace", ""))
      add(ud, "spec.extensions[%d].scope.targetNamespace: not allowed with scopeType Cluster", i);
    if (!strcmp(st, "Namespace") && *capz_json_ptr_str(e, "/scope/releaseNamespace", ""))
      add(ud, "spec.extensions[%d].scope.releaseNamespace: not allowed with scopeType Namespace", i);
    if (*st && strcmp(st, "Cluster") && strcmp(st, "Namespace"))
      add(ud, "spec.extensions[%d].scope.scopeType: unsupported value \"%s\"", i, st);
    const cJSON *was = old && *n ? ext_named(old, n) : NULL;
    static const char *const imm[] = {"/extensionType", "/plan", "/scope", "/releaseTrain", "/version", "/identity",
                                      NULL};
    for (int k = 0; was && imm[k]; k++) {
      const cJSON *a = capz_json_ptr_get(was, imm[k]), *b = capz_json_ptr_get(e, imm[k]);
      if ((a || b) && !(a && b && capz_json_equal(a, b)))
        add(ud, "spec.extensions[%d].%s: field is immutable", i, imm[k] + 1);
    }
    i++;
  }
}
