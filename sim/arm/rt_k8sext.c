/* rt_k8sext.c — AKS cluster extensions, Microsoft.KubernetesConfiguration/extensions/{name} at a managed cluster
 * scope (…/managedClusters/{c}/providers/Microsoft.KubernetesConfiguration/extensions/{name}): extensionType
 * (immutable), autoUpgradeMinorVersion / releaseTrain / version (a pinned version needs autoUpgradeMinorVersion
 * false), configurationSettings, configurationProtectedSettings (write-only: kept privately, never returned),
 * scope (cluster or namespace, immutable), plan, identity, and the generated aksAssignedIdentity / currentVersion
 * / statuses. LRO as AKS; deleted with the cluster (its id lies under the cluster's). */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const kext_immutable[] = {"/properties/extensionType", "/properties/scope", "/plan", NULL};

static int kext_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)old;
  if (!strcasestr(id, "/Microsoft.ContainerService/managedClusters/"))
    return arm_err_set(e, 400, "BadRequest", "Cluster extensions can only be installed on managed clusters.");
  const char *type = rt_pstr(doc, "extensionType", NULL);
  if (!type || !*type)
    return arm_err_set(e, 400, "BadRequest", "properties.extensionType is required for extension %s.", arm_id_name(id));
  const cJSON *auto_up = capz_json_ptr_get(doc, "/properties/autoUpgradeMinorVersion");
  if (auto_up && !cJSON_IsBool(auto_up))
    return arm_err_set(e, 400, "BadRequest", "properties.autoUpgradeMinorVersion must be a boolean.");
  const char *ver = rt_pstr(doc, "version", NULL);
  if (ver && *ver && (!auto_up || cJSON_IsTrue(auto_up)))
    return arm_err_set(e, 400, "BadRequest",
                       "A version can be pinned only with autoUpgradeMinorVersion set to false (extension %s).",
                       arm_id_name(id));
  const char *train = rt_pstr(doc, "releaseTrain", NULL);
  if (train && ver && *ver)
    return arm_err_set(e, 400, "BadRequest", "releaseTrain applies only when autoUpgradeMinorVersion is true.");
  const cJSON *scope = capz_json_ptr_get(doc, "/properties/scope");
  if (scope && cJSON_GetObjectItemCaseSensitive(scope, "cluster") && cJSON_GetObjectItemCaseSensitive(scope, "namespace"))
    return arm_err_set(e, 400, "BadRequest", "properties.scope takes either cluster or namespace, not both.");
  static const char *const maps[] = {"configurationSettings", "configurationProtectedSettings", NULL};
  for (int i = 0; maps[i]; i++) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "properties"), maps[i]), *it;
    if (m && !cJSON_IsObject(m) && !cJSON_IsNull(m))
      return arm_err_set(e, 400, "BadRequest", "properties.%s must be an object of strings.", maps[i]);
    cJSON_ArrayForEach(it, m) if (!cJSON_IsString(it))
      return arm_err_set(e, 400, "BadRequest", "properties.%s.%s must be a string.", maps[i], it->string);
  }
  const cJSON *plan = cJSON_GetObjectItemCaseSensitive(doc, "plan");
  if (plan && (!arm_jstr(plan, "name") || !arm_jstr(plan, "publisher") || !arm_jstr(plan, "product")))
    return arm_err_set(e, 400, "BadRequest", "plan needs name, publisher and product.");
  return 0;
}

static int kext_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)e;
  cJSON *p = arm_props(r->doc);
  /* write-only: kept (merged over the previous values) where GET never looks */
  cJSON *prot = cJSON_DetachItemFromObjectCaseSensitive(p, "configurationProtectedSettings");
  if (cJSON_IsObject(prot)) {
    cJSON *kept = cJSON_GetObjectItemCaseSensitive(r->priv, "protectedSettings");
    if (!kept) kept = cJSON_AddObjectToObject(r->priv, "protectedSettings");
    cJSON *it;
    cJSON_ArrayForEach(it, prot) arm_jset(kept, it->string, cJSON_Duplicate(it, 1));
  }
  cJSON_Delete(prot);
  rt_default(r->doc, "autoUpgradeMinorVersion", cJSON_CreateTrue());
  bool auto_up = capz_json_ptr_bool(r->doc, "/properties/autoUpgradeMinorVersion", true);
  if (auto_up) rt_default(r->doc, "releaseTrain", cJSON_CreateString("Stable"));
  const char *v = arm_jstr(p, "version");
  const char *prev = old ? capz_json_ptr_str(old, "/properties/currentVersion", NULL) : NULL;
  arm_jset(p, "currentVersion", cJSON_CreateString(v && *v ? v : prev ? prev : "1.0.0"));
  rt_default(r->doc, "configurationSettings", cJSON_CreateObject());
  rt_default(r->doc, "statuses", cJSON_CreateArray());
  rt_default(r->doc, "isSystemExtension", cJSON_CreateFalse());
  if (!capz_json_ptr_get(r->doc, "/properties/scope")) {
    cJSON *sc = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(sc, "cluster"), "releaseNamespace", "kube-system");
    arm_jset(p, "scope", sc);
  }
  /* AKS gives the extension an identity of its own in the node resource group */
  cJSON *aai = cJSON_GetObjectItemCaseSensitive(p, "aksAssignedIdentity");
  if (cJSON_IsObject(aai)) {
    const char *op = old ? capz_json_ptr_str(old, "/properties/aksAssignedIdentity/principalId", NULL) : NULL;
    char u[37];
    arm_uuid(u);
    arm_jset(aai, "principalId", cJSON_CreateString(op ? op : u));
    arm_jset(aai, "tenantId", cJSON_CreateString(RT_TENANT_ID));
    if (!arm_jstr(aai, "type")) arm_jset(aai, "type", cJSON_CreateString("SystemAssigned"));
  }
  rt_fill_identity(c, r, old);
  return 0;
}

const arm_rtype rt_k8s_extension = {
    .type = "Microsoft.KubernetesConfiguration/extensions",
    .lro = ARM_LRO_AKS,
    .flags = ARM_RT_EXTENSION,
    .immutable = kext_immutable,
    .create_state = "Creating",
    .validate = kext_validate,
    .fill = kext_fill,
};
