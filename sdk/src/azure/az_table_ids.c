/* az_table_ids.c — building resource IDs and {"id": ...} references for table rows (capz/azure_table.h). */
#include "capz/azure_table.h"

#include <stdio.h>

int capz_arm_rg_id(char *out, size_t n, const char *sub, const char *rg) {
  int l = snprintf(out, n, "/subscriptions/%s/resourceGroups/%s", sub, rg);
  return l < 0 || (size_t)l >= n ? -1 : 0;
}

int capz_arm_res_id(char *out, size_t n, const char *sub, const char *rg, const char *type, const char *name) {
  int l = snprintf(out, n, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg, type, name);
  return l < 0 || (size_t)l >= n ? -1 : 0;
}

cJSON *capz_arm_id_ref(const char *id) {
  cJSON *o = cJSON_CreateObject();
  if (o && !cJSON_AddStringToObject(o, "id", id ? id : "")) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}
