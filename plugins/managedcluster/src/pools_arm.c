/* pools_arm.c — an agent pool's providerIDs from its VMSS in the node resource group (both APIs). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "mc_plugin.h"

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

