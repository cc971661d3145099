/* amcp_addons_gc.c — a fleet membership or AKS extension dropped from the AMCP spec is deleted from Azure.
 *
 * The rows of the table only describe what the spec wants now, so what was created earlier is remembered in the
 * AMCP annotation `capz-c.io/azure-addons` (a JSON array of resource IDs). Once the table has converged, IDs in the
 * annotation that no row has any more are deleted (each with its type's api-version), then the annotation is
 * rewritten. When nothing changed this is a string comparison: no ARM or API-server request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amcp_resources.h"
#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

#define ANN_ADDONS "capz-c.io/azure-addons"

static bool row_has(const capz_arm_table *t, const char *id) {
  for (size_t i = 0; i < t->n; i++)
    if ((!strcmp(t->rows[i].service, MC_SVC_FLEETSMEMBERS) || !strcmp(t->rows[i].service, MC_SVC_AKSEXTENSIONS)) &&
        capz_arm_resid_equal(t->rows[i].id, id))
      return true;
  return false;
}

int mc_amcp_addons_gc(mc_state *s, capz_ctx *ctx, capz_arm_client *arm, const cJSON *amcp, const capz_arm_table *t,
                      bool *in_progress, capz_err *err) {
  *in_progress = false;
  cJSON *want = cJSON_CreateArray();
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->rows[i].service, MC_SVC_FLEETSMEMBERS) || !strcmp(t->rows[i].service, MC_SVC_AKSEXTENSIONS))
      cJSON_AddItemToArray(want, cJSON_CreateString(t->rows[i].id));
  char *want_s = cJSON_PrintUnformatted(want);
  cJSON_Delete(want);
  const char *have_s = capz_json_ptr_str(amcp, "/metadata/annotations/capz-c.io~1azure-addons", "[]");
  int rc = 0;
  if (!want_s) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  if (strcmp(want_s, have_s) == 0) {
    free(want_s);
    return 0;
  }
  cJSON *have = cJSON_Parse(have_s);
  const cJSON *id;
  cJSON_ArrayForEach(id, have) {
    if (!cJSON_IsString(id) || row_has(t, id->valuestring)) continue;
    capz_arm_req_opts o = {.api_version = strstr(id->valuestring, "/Microsoft.KubernetesConfiguration/")
                                              ? MC_API_EXTENSIONS
                                              : MC_API_FLEET};
    capz_arm_delete_spec ds = {.id = id->valuestring, .opts = &o};
    capz_arm_ensure_result r;
    rc = capz_arm_ensure_delete_spec(s->ensurer, arm, &ds, &r, err);
    if (!rc && r.outcome == CAPZ_ENSURE_IN_PROGRESS) *in_progress = true;
    if (!rc && r.outcome == CAPZ_ENSURE_DELETED)
      capz_log(capz_ctx_logger(ctx), CAPZ_LOG_INFO, "removed from the spec: deleted", "id", id->valuestring, NULL);
    capz_arm_ensure_result_free(&r);
    if (rc) break;
  }
  cJSON_Delete(have);
  if (!rc && !*in_progress) {
    cJSON *patch = cJSON_CreateObject();
    cJSON *ann = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations");
    cJSON_AddStringToObject(ann, ANN_ADDONS, want_s);
    const capz_key *k = capz_ctx_key(ctx);
    rc = capz_ctx_merge_patch(ctx, &MC_GVK_AMCP, k->ns, k->name, patch, err);
    cJSON_Delete(patch);
  }
  free(want_s);
  return rc;
}
