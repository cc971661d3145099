/* aso_common.c — see aso_common.h. */
#include "aso_common.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "capz/json.h"

const cJSON *mc_aso_find(const cJSON *obj, const char *kind, int *count) {
  const cJSON *it, *first = NULL;
  int n = 0;
  cJSON_ArrayForEach(it, capz_json_ptr_get(obj, "/spec/resources")) {
    if (strcmp(capz_json_ptr_str(it, "/kind", ""), kind) != 0) continue;
    if (!first) first = it;
    n++;
  }
  if (count) *count = n;
  return first;
}

const char *mc_aso_azure_name(const cJSON *res) {
  const char *a = capz_json_ptr_str(res, "/spec/azureName", "");
  return *a ? a : capz_json_ptr_str(res, "/metadata/name", "");
}

bool mc_aso_api_version(const char *av, char *out, size_t n) {
  const char *v = av ? strrchr(av, '/') : NULL;
  v = v ? v + 1 : "";
  if (strncmp(v, "v1api", 5) == 0) v += 5;
  else if (*v == 'v') v++;
  for (int i = 0; i < 8; i++)
    if (!isdigit((unsigned char)v[i])) return false;
  snprintf(out, n, "%.4s-%.2s-%.2s%s%s", v, v + 4, v + 6, v[8] ? "-" : "", v + 8);
  return true;
}

cJSON *mc_aso_status_resources(const cJSON *obj, bool ready) {
  cJSON *out = cJSON_CreateArray();
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(obj, "/spec/resources")) {
    const char *av = capz_json_ptr_str(it, "/apiVersion", "");
    const char *slash = strchr(av, '/');
    cJSON *e = cJSON_CreateObject();
    cJSON *r = cJSON_AddObjectToObject(e, "resource");
    char g[128];
    snprintf(g, sizeof g, "%.*s", slash ? (int)(slash - av) : 0, av);
    cJSON_AddStringToObject(r, "group", g);
    cJSON_AddStringToObject(r, "version", slash ? slash + 1 : av);
    cJSON_AddStringToObject(r, "kind", capz_json_ptr_str(it, "/kind", ""));
    cJSON_AddStringToObject(r, "name", capz_json_ptr_str(it, "/metadata/name", ""));
    cJSON_AddBoolToObject(e, "ready", ready);
    cJSON_AddItemToArray(out, e);
  }
  return out;
}

const char *mc_aso_owner_rg(const cJSON *res, const cJSON *holder) {
  const char *owner = capz_json_ptr_str(res, "/spec/owner/name", "");
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(holder, "/spec/resources")) {
    if (strcmp(capz_json_ptr_str(it, "/kind", ""), "ResourceGroup") == 0 &&
        strcmp(capz_json_ptr_str(it, "/metadata/name", ""), owner) == 0)
      return mc_aso_azure_name(it);
  }
  return owner;
}
