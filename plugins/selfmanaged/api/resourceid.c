/* resourceid.c — Azure resource ID parsing (arm.ParseResourceID after stripping "azure://"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sm_internal.h"

bool sm_resource_id_parse(const char *id, char *type_out, size_t tn) {
  if (type_out && tn) type_out[0] = '\0';
  if (!id) return false;
  if (strncmp(id, "azure://", 8) == 0) id += 8;
  if (id[0] != '/') return false;
  char *copy = strdup(id), *save = NULL, *parts[128];
  if (!copy) return false;
  int n = 0;
  for (char *t = strtok_r(copy, "/", &save); t && n < 128; t = strtok_r(NULL, "/", &save)) parts[n++] = t;
  bool good = n >= 2 && (strcasecmp(parts[0], "subscriptions") == 0 || strcasecmp(parts[0], "providers") == 0);
  char type[512] = "";
  int i = 0;
  if (good && strcasecmp(parts[0], "subscriptions") == 0) {
    i = 2;
    if (i < n && strcasecmp(parts[i], "resourceGroups") == 0) {
      good = i + 1 < n;
      i += 2;
    }
  }
  if (good && i < n) {
    /* providers/<namespace>/<type>/<name>[/<childType>/<childName>]... */
    good = strcasecmp(parts[i], "providers") == 0 && i + 3 < n;
    size_t len = 0;
    if (good) len = (size_t)snprintf(type, sizeof type, "%s/%s", parts[i + 1], parts[i + 2]);
    for (i += 4; good && i < n; i += 2) {
      good = i + 1 < n;
      if (good && len < sizeof type) len += (size_t)snprintf(type + len, sizeof type - len, "/%s", parts[i]);
    }
  }
  if (good && type_out && tn) snprintf(type_out, tn, "%s", type);
  free(copy);
  return good;
}
