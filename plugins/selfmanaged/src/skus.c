/* skus.c — Resource SKUs (Microsoft.Compute/skus) per subscription and location, cached for an hour: region
 * zones (failure domains, public IP zones, availability sets) and VM size capabilities (capacity, checks).
 * One list call per region per hour instead of one per reconcile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/json.h"
#include "sm_plugin.h"

#define SKU_TTL_MS (3600 * 1000)

struct sm_sku_cache {
  char key[160];
  int64_t at_ms;
  cJSON *items; /* virtualMachines SKUs of the location */
  sm_sku_cache *next;
};

void sm_skus_free(sm_sku_cache *c) {
  while (c) {
    sm_sku_cache *n = c->next;
    cJSON_Delete(c->items);
    free(c);
    c = n;
  }
}

/* A private copy of the location's VM SKUs. */
static int load(sm_state *s, capz_arm_client *arm, const char *sub, const char *loc, cJSON **out, capz_err *err) {
  char key[160];
  snprintf(key, sizeof key, "%s/%s", sub, loc);
  int64_t now = capz_monotonic_ms();
  pthread_mutex_lock(&s->mu);
  for (sm_sku_cache *c = s->skus; c; c = c->next)
    if (!strcasecmp(c->key, key) && now - c->at_ms < SKU_TTL_MS) {
      *out = cJSON_Duplicate(c->items, 1);
      pthread_mutex_unlock(&s->mu);
      return *out ? 0 : CAPZ_ENOMEM;
    }
  pthread_mutex_unlock(&s->mu);
  char path[256], query[160];
  snprintf(path, sizeof path, "/subscriptions/%s/providers/Microsoft.Compute/skus", sub);
  snprintf(query, sizeof query, "$filter=location%%20eq%%20'%s'", loc);
  capz_arm_req_opts o = {.query = query};
  cJSON *items = NULL;
  int rc = capz_arm_list(arm, path, &o, 0, &items, err);
  if (rc) return rc;
  cJSON *vms = cJSON_CreateArray();
  cJSON *it;
  cJSON_ArrayForEach(it, items)
    if (!strcmp(capz_json_ptr_str(it, "/resourceType", ""), "virtualMachines"))
      cJSON_AddItemToArray(vms, cJSON_Duplicate(it, 1));
  cJSON_Delete(items);
  sm_sku_cache *c = calloc(1, sizeof *c);
  if (!c) {
    cJSON_Delete(vms);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  snprintf(c->key, sizeof c->key, "%s", key);
  c->at_ms = now;
  c->items = vms;
  *out = cJSON_Duplicate(vms, 1);
  pthread_mutex_lock(&s->mu);
  c->next = s->skus;
  s->skus = c;
  pthread_mutex_unlock(&s->mu);
  return *out ? 0 : CAPZ_ENOMEM;
}

int sm_skus_zones(sm_state *s, capz_arm_client *arm, const char *sub, const char *location, cJSON **zones,
                  capz_err *err) {
  cJSON *items = NULL;
  int rc = load(s, arm, sub, location, &items, err);
  if (rc) return rc;
  /* the union of zones over the region's VM SKUs (CAPZ: every zone some SKU offers) */
  cJSON *z = cJSON_CreateArray();
  const cJSON *it, *li, *zn;
  cJSON_ArrayForEach(it, items) cJSON_ArrayForEach(li, cJSON_GetObjectItem(it, "locationInfo")) {
    if (strcasecmp(capz_json_ptr_str(li, "/location", ""), location)) continue;
    cJSON_ArrayForEach(zn, cJSON_GetObjectItem(li, "zones")) {
      if (!cJSON_IsString(zn)) continue;
      bool dup = false;
      const cJSON *e;
      cJSON_ArrayForEach(e, z) dup = dup || !strcmp(e->valuestring, zn->valuestring);
      if (!dup) cJSON_AddItemToArray(z, cJSON_CreateString(zn->valuestring));
    }
  }
  cJSON_Delete(items);
  /* sorted, so failure domains and PIP zones are stable */
  int n = cJSON_GetArraySize(z);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(cJSON_GetArrayItem(z, j - 1)->valuestring, cJSON_GetArrayItem(z, j)->valuestring) > 0; j--) {
      cJSON *a = cJSON_DetachItemFromArray(z, j);
      cJSON_InsertItemInArray(z, j - 1, a);
    }
  *zones = z;
  return 0;
}

int sm_skus_vm(sm_state *s, capz_arm_client *arm, const char *sub, const char *location, const char *vm_size,
               cJSON **sku, capz_err *err) {
  cJSON *items = NULL;
  int rc = load(s, arm, sub, location, &items, err);
  if (rc) return rc;
  cJSON *it;
  cJSON_ArrayForEach(it, items)
    if (!strcasecmp(capz_json_ptr_str(it, "/name", ""), vm_size)) break;
  *sku = it ? cJSON_Duplicate(it, 1) : NULL;
  cJSON_Delete(items);
  if (!*sku) return capz_err_set(err, CAPZ_ENOTFOUND, "VM size %s is not offered in %s", vm_size, location);
  return 0;
}

const char *sm_sku_capability(const cJSON *sku, const char *name) {
  const cJSON *c;
  cJSON_ArrayForEach(c, cJSON_GetObjectItem(sku, "capabilities"))
    if (!strcmp(capz_json_ptr_str(c, "/name", ""), name)) return capz_json_ptr_str(c, "/value", NULL);
  return NULL;
}
