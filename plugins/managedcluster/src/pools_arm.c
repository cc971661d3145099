/* pools_arm.c — reads and actions on AKS resources shared by both APIs: the kubeconfig Secret from the cluster's
 * credentials, and an agent pool's providerIDs from its VMSS in the node resource group. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "mc_plugin.h"

/* The <cluster>-kubeconfig Secret (created when missing): admin credentials, or user credentials when local
 * accounts are disabled. The kubeconfig is never logged. */
int mc_kubeconfig_ensure(capz_ctx *ctx, capz_arm_client *arm, const char *mc_id, const char *api, const char *cluster,
                         const char *owner_kind, const char *owner_uid, bool user, capz_err *err) {
  const capz_key *k = capz_ctx_key(ctx);
  char sname[300];
  snprintf(sname, sizeof sname, "%s-kubeconfig", cluster);
  cJSON *cur = NULL;
  int rc = capz_kube_get(capz_ctx_client(ctx), &MC_GVK_SECRET, k->ns, sname, &cur, NULL);
  cJSON_Delete(cur);
  if (rc == 0) return 0;
  char path[900];
  snprintf(path, sizeof path, "%s/%s", mc_id, user ? "listClusterUserCredential" : "listClusterAdminCredential");
  capz_arm_req_opts o = {.api_version = api};
  capz_arm_response resp = {0};
  rc = capz_arm_do(arm, "POST", path, NULL, &o, &resp, err);
  const char *val = rc ? NULL : capz_json_ptr_str(resp.body, "/kubeconfigs/0/value", NULL);
  if (!rc && !val) rc = capz_err_set(err, CAPZ_EPROTO, "no kubeconfig in the credential response");
  if (!rc) {
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "apiVersion", "v1");
    cJSON_AddStringToObject(sec, "kind", "Secret");
    cJSON_AddStringToObject(sec, "type", "cluster.x-k8s.io/secret");
    cJSON *md = cJSON_AddObjectToObject(sec, "metadata");
    cJSON_AddStringToObject(md, "name", sname);
    cJSON_AddStringToObject(md, "namespace", k->ns);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"), MC_LABEL_CLUSTER_NAME, cluster);
    cJSON *ow = cJSON_CreateObject();
    cJSON_AddStringToObject(ow, "apiVersion", "infrastructure.cluster.x-k8s.io/v1beta1");
    cJSON_AddStringToObject(ow, "kind", owner_kind);
    cJSON_AddStringToObject(ow, "name", k->name);
    cJSON_AddStringToObject(ow, "uid", owner_uid);
    cJSON_AddBoolToObject(ow, "controller", true);
    cJSON_AddBoolToObject(ow, "blockOwnerDeletion", true);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(md, "ownerReferences"), ow);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(sec, "data"), "value", val); /* already base64 */
    rc = capz_kube_create(capz_ctx_client(ctx), &MC_GVK_SECRET, k->ns, sec, NULL, err);
    if (rc == CAPZ_EEXIST) rc = 0;
    cJSON *v = capz_json_ptr_get(sec, "/data/value");
    if (v && v->valuestring) memset(v->valuestring, 0, strlen(v->valuestring));
    cJSON_Delete(sec);
  }
  cJSON *bv = capz_json_ptr_get(resp.body, "/kubeconfigs/0/value");
  if (bv && bv->valuestring) memset(bv->valuestring, 0, strlen(bv->valuestring));
  capz_arm_response_free(&resp);
  return rc;
}

static void lower_rg(const char *id, char *out, size_t n) {
  capz_arm_resid r;
  if (capz_arm_resid_parse(id, &r, NULL) != 0) {
    snprintf(out, n, "%s", id);
    return;
  }
  for (char *p = r.resource_group; *p; p++) *p = (char)tolower((unsigned char)*p);
  if (capz_arm_resid_format(&r, out, n) < 0) snprintf(out, n, "%s", id);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* providerIDs of the pool's VMSS instances (sorted), as a new array. */
int mc_pool_provider_ids(capz_arm_client *arm, const char *sub, const char *node_rg, const char *pool, cJSON **out,
                         capz_err *err) {
  char coll[600];
  snprintf(coll, sizeof coll, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets",
           sub, node_rg);
  cJSON *sets = NULL;
  int rc = capz_arm_list(arm, coll, NULL, 0, &sets, err);
  if (rc) return rc;
  const char *vmss = NULL;
  const cJSON *it;
  cJSON_ArrayForEach(it, sets) {
    const char *pn = capz_json_ptr_str(it, "/tags/aks-managed-poolName", capz_json_ptr_str(it, "/tags/poolName", ""));
    if (strcmp(pn, pool) == 0) vmss = capz_json_ptr_str(it, "/id", NULL);
  }
  if (!vmss) {
    cJSON_Delete(sets);
    return capz_err_set(err, CAPZ_ENOTFOUND, "no scale set for pool %s yet", pool);
  }
  char vms[800];
  snprintf(vms, sizeof vms, "%s/virtualMachines", vmss);
  cJSON_Delete(sets);
  cJSON *inst = NULL;
  rc = capz_arm_list(arm, vms, NULL, 0, &inst, err);
  if (rc) return rc;
  int n = cJSON_GetArraySize(inst), k = 0;
  char **ids = calloc((size_t)n + 1, sizeof *ids);
  cJSON_ArrayForEach(it, inst) {
    const char *id = capz_json_ptr_str(it, "/id", NULL);
    if (!id || !ids) continue;
    char low[800], pid[820];
    lower_rg(id, low, sizeof low);
    snprintf(pid, sizeof pid, "azure://%s", low);
    ids[k++] = strdup(pid);
  }
  if (ids) qsort(ids, (size_t)k, sizeof *ids, cmp_str);
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; ids && i < k; i++) {
    cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
    free(ids[i]);
  }
  free(ids);
  cJSON_Delete(inst);
  *out = arr;
  return 0;
}

