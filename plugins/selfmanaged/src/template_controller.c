/* template_controller.c — AzureMachineTemplate: status.capacity {cpu, memory} and status.nodeInfo
 * {architecture, operatingSystem} from the VM size's resource SKU (CAPI's opt-in autoscaling from zero).
 * Credentials come from the owning Cluster's AzureCluster; without an owner there is nothing to do yet. Also the
 * cloud provider's <template>-azure-json Secret (azure_json.c), as CAPZ's AzureJSONTemplate controller. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capz/json.h"
#include "selfmanaged_api.h"
#include "sm_plugin.h"

typedef struct tp_run {
  char cpu[32], mem[32], arch[16], os[16];
} tp_run;

static int mutate(void *ud, cJSON *obj) {
  tp_run *r = ud;
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!cJSON_IsObject(st)) {
    cJSON_DeleteItemFromObject(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON_DeleteItemFromObject(st, "capacity");
  cJSON *cap = cJSON_AddObjectToObject(st, "capacity");
  cJSON_AddStringToObject(cap, "cpu", r->cpu);
  cJSON_AddStringToObject(cap, "memory", r->mem);
  cJSON_DeleteItemFromObject(st, "nodeInfo");
  cJSON *ni = cJSON_AddObjectToObject(st, "nodeInfo");
  cJSON_AddStringToObject(ni, "architecture", r->arch);
  cJSON_AddStringToObject(ni, "operatingSystem", r->os);
  return 0;
}

capz_outcome sm_template_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  sm_state *s = state;
  const capz_obj *o = NULL;
  capz_err err;
  int rc = capz_ctx_get(ctx, &o, &err);
  if (rc == CAPZ_ENOTFOUND) return CAPZ_DONE;
  if (rc) return capz_ctx_fail(ctx, res, CAPZ_RETRY, "ReadError", "%s", err.msg);
  capz_outcome oc = CAPZ_DONE;
  const cJSON *amt = capz_obj_json(o);
  cJSON *cluster = NULL, *ac = NULL, *sku = NULL;
  const char *cname = capz_owner_ref_name(amt, "cluster.x-k8s.io", "Cluster");
  if (!cname) cname = capz_json_ptr_str(amt, "/metadata/labels/cluster.x-k8s.io~1cluster-name", NULL);
  cluster = capz_ctx_cache_copy(ctx, &SM_GVK_CLUSTER, key->ns, cname);
  if (!cluster) goto out;
  ac = capz_ctx_cache_copy(ctx, &SM_GVK_AZURECLUSTER, key->ns, capz_json_ptr_str(cluster, "/spec/infrastructureRef/name", ""));
  if (!ac) goto out;
  sm_azure az;
  if ((rc = sm_azure_for_cluster(s, ctx, ac, &az, &err))) {
    oc = capz_ctx_fail(ctx, res, capz_err_is_transient(rc) ? CAPZ_RETRY : CAPZ_TERMINAL, "InvalidIdentity", "%s", err.msg);
    goto out;
  }
  /* the cloud provider's <template>-azure-json Secret (CAPZ's AzureJSONTemplate controller) */
  cJSON *acd = cJSON_Duplicate(ac, 1), *amtd = cJSON_Duplicate(amt, 1);
  if (!acd || !amtd || sm_azurecluster_default(acd, NULL, &err) || sm_azuremachinetemplate_default(amtd, &err)) {
    cJSON_Delete(acd);
    cJSON_Delete(amtd);
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "DefaultingError", "%s", err.msg);
    goto out;
  }
  sm_azure_json_in aj = {.ctx = ctx, .arm = az.arm, .ns = key->ns, .owner_kind = "AzureMachineTemplate",
                         .owner_name = key->name, .owner_uid = capz_json_ptr_str(amt, "/metadata/uid", ""),
                         .cluster_name = cname, .acd = acd,
                         .machine_spec = capz_json_ptr_get(amtd, "/spec/template/spec")};
  rc = sm_azure_json_reconcile(&aj, &err);
  cJSON_Delete(acd);
  cJSON_Delete(amtd);
  if (rc) {
    oc = capz_ctx_fail(ctx, res, capz_err_is_transient(rc) ? CAPZ_RETRY : CAPZ_TERMINAL, "AzureJSONError", "%s", err.msg);
    goto out;
  }
  const char *size = capz_json_ptr_str(amt, "/spec/template/spec/vmSize", "");
  rc = sm_skus_vm(s, az.arm, az.subscription, capz_json_ptr_str(ac, "/spec/location", ""), size, &sku, &err);
  if (rc == CAPZ_ENOTFOUND) {
    oc = capz_ctx_fail(ctx, res, CAPZ_TERMINAL, "SKUNotFound", "%s", err.msg);
    goto out;
  }
  if (rc) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "SKUListError", "%s", err.msg);
    goto out;
  }
  tp_run r;
  const char *v = sm_sku_capability(sku, "vCPUs"), *m = sm_sku_capability(sku, "MemoryGB");
  const char *a = sm_sku_capability(sku, "CpuArchitectureType");
  snprintf(r.cpu, sizeof r.cpu, "%s", v ? v : "0");
  snprintf(r.mem, sizeof r.mem, "%sG", m ? m : "0");
  snprintf(r.arch, sizeof r.arch, "%s", a && !strcasecmp(a, "Arm64") ? "arm64" : "amd64");
  snprintf(r.os, sizeof r.os, "%s",
           !strcasecmp(capz_json_ptr_str(amt, "/spec/template/spec/osDisk/osType", "Linux"), "Windows") ? "windows"
                                                                                                      : "linux");
  if ((rc = capz_patch_status(capz_ctx_client(ctx), &SM_GVK_MACHINETEMPLATE, o, key->ns, key->name, mutate, &r, NULL,
                              &err)))
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
out:
  cJSON_Delete(sku);
  cJSON_Delete(ac);
  cJSON_Delete(cluster);
  capz_obj_unref(o);
  return oc;
}
