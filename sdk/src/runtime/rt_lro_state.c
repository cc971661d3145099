/* rt_lro_state.c — CAPZ v1beta1 status.longRunningOperationStates records (capz/controller_util.h): where a
 * restarted controller finds the operation it was polling. */
#include <string.h>

#include "capz/controller_util.h"
#include "capz/json.h"

static bool is_record(const cJSON *it, const char *service, const char *name) {
  return strcmp(capz_json_ptr_str(it, "/serviceName", ""), service) == 0 &&
         strcmp(capz_json_ptr_str(it, "/name", ""), name) == 0;
}

const char *capz_lro_state_get(const cJSON *obj, const char *service, const char *name) {
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(obj, "/status/longRunningOperationStates")) {
    if (is_record(it, service, name)) return capz_json_ptr_str(it, "/data", NULL);
  }
  return NULL;
}

void capz_lro_state_set(cJSON *obj, const char *service, const char *name, const char *type, const char *token) {
  if (!obj || !service || !name) return;
  cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
  if (!cJSON_IsObject(st)) {
    if (!token) return;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    if (!(st = cJSON_AddObjectToObject(obj, "status"))) return;
  }
  cJSON *l = cJSON_GetObjectItemCaseSensitive(st, "longRunningOperationStates");
  if (!cJSON_IsArray(l)) {
    if (!token) return;
    cJSON_DeleteItemFromObjectCaseSensitive(st, "longRunningOperationStates");
    if (!(l = cJSON_AddArrayToObject(st, "longRunningOperationStates"))) return;
  }
  for (cJSON *it = l->child; it; it = it->next) {
    if (is_record(it, service, name)) {
      cJSON_Delete(cJSON_DetachItemViaPointer(l, it));
      break;
    }
  }
  if (token) {
    cJSON *f = cJSON_CreateObject();
    if (f && cJSON_AddStringToObject(f, "type", type ? type : "") && cJSON_AddStringToObject(f, "serviceName", service) &&
        cJSON_AddStringToObject(f, "name", name) && cJSON_AddStringToObject(f, "data", token))
      cJSON_AddItemToArray(l, f);
    else
      cJSON_Delete(f);
  }
  if (!l->child) cJSON_DeleteItemFromObjectCaseSensitive(st, "longRunningOperationStates");
}
