/* rt_skus.c — Microsoft.Compute/skus (resource SKUs per region with zones and capabilities) and
 * Microsoft.ContainerService/locations/kubernetesVersions, both built from the config. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void cap(cJSON *arr, const char *name, const char *value) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "value", value);
  cJSON_AddItemToArray(arr, o);
}

static void capn(cJSON *arr, const char *name, double v) {
  char b[32];
  snprintf(b, sizeof b, "%g", v);
  cap(arr, name, b);
}

/* "$filter=location eq 'eastus'" */
static bool filter_location(const arm_req *q, char *loc, size_t n) {
  const char *f = arm_req_query(q, "$filter");
  if (!f) return false;
  const char *p = strcasestr(f, "location eq '");
  if (!p) return false;
  p += 13;
  size_t L = strcspn(p, "'");
  if (L >= n) L = n - 1;
  memcpy(loc, p, L);
  loc[L] = '\0';
  return true;
}

static cJSON *sku_entry(arm_ctx *c, const cJSON *s, const arm_region *g) {
  cJSON *o = cJSON_CreateObject();
  const char *name = arm_jstr(s, "name");
  cJSON_AddStringToObject(o, "resourceType", "virtualMachines");
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "tier", "Standard");
  const char *us = strchr(name, '_');
  cJSON_AddStringToObject(o, "size", us ? us + 1 : name);
  cJSON_AddStringToObject(o, "family", arm_jstr(s, "family") ? arm_jstr(s, "family") : "standardFamily");
  cJSON *locs = cJSON_AddArrayToObject(o, "locations");
  cJSON_AddItemToArray(locs, cJSON_CreateString(g->name));
  cJSON *li = cJSON_AddArrayToObject(o, "locationInfo");
  cJSON *l0 = cJSON_CreateObject();
  cJSON_AddStringToObject(l0, "location", g->name);
  const cJSON *zs = cJSON_GetObjectItemCaseSensitive(s, "zones");
  cJSON_AddItemToObject(l0, "zones", zs ? cJSON_Duplicate(zs, 1) : rt_region_zones(c, g->name));
  cJSON_AddArrayToObject(l0, "zoneDetails");
  cJSON_AddItemToArray(li, l0);
  cJSON *caps = cJSON_AddArrayToObject(o, "capabilities");
  double vcpu = capz_json_ptr_int(s, "/vCPUs", 2);
  const cJSON *mem = cJSON_GetObjectItemCaseSensitive(s, "memoryGB");
  capn(caps, "MaxResourceVolumeMB", vcpu * 8192);
  capn(caps, "OSVhdSizeMB", 1047552);
  capn(caps, "vCPUs", vcpu);
  capn(caps, "MemoryPreservingMaintenanceSupported", 1);
  cap(caps, "HyperVGenerations", "V1,V2");
  capn(caps, "MemoryGB", cJSON_IsNumber(mem) ? mem->valuedouble : 4);
  capn(caps, "MaxDataDiskCount", vcpu * 2 < 4 ? 4 : vcpu * 2);
  cap(caps, "CpuArchitectureType", arm_jstr(s, "cpuArchitecture") ? arm_jstr(s, "cpuArchitecture") : "x64");
  cap(caps, "LowPriorityCapable", "True");
  cap(caps, "PremiumIO", "True");
  cap(caps, "VMDeploymentTypes", "IaaS");
  capn(caps, "vCPUsAvailable", vcpu);
  capn(caps, "GPUs", (double)capz_json_ptr_int(s, "/gpus", 0));
  capn(caps, "vCPUsPerCore", 2);
  cap(caps, "EphemeralOSDiskSupported", vcpu >= 2 ? "True" : "False");
  cap(caps, "EncryptionAtHostSupported", "True");
  cap(caps, "CapacityReservationSupported", "True");
  cap(caps, "AcceleratedNetworkingEnabled", vcpu >= 2 ? "True" : "False");
  cap(caps, "RdmaEnabled", "False");
  capn(caps, "MaxNetworkInterfaces", vcpu >= 4 ? 4 : 2);
  const cJSON *extra = cJSON_GetObjectItemCaseSensitive(s, "capabilities"), *it;
  cJSON_ArrayForEach(it, extra) {
    /* a configured capability replaces the default of the same name */
    for (int i = cJSON_GetArraySize(caps) - 1; i >= 0; i--)
      if (!strcmp(arm_jstr(cJSON_GetArrayItem(caps, i), "name") ? arm_jstr(cJSON_GetArrayItem(caps, i), "name") : "",
                  it->string))
        cJSON_DeleteItemFromArray(caps, i);
    if (cJSON_IsString(it)) cap(caps, it->string, it->valuestring);
    else if (cJSON_IsNumber(it)) capn(caps, it->string, it->valuedouble);
  }
  cJSON_AddArrayToObject(o, "restrictions");
  return o;
}

static int skus_list(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out) {
  (void)p;
  char loc[64];
  bool filtered = filter_location(q, loc, sizeof loc);
  cJSON *b = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(b, "value");
  for (int i = 0; i < c->cfg.nregions; i++) {
    const arm_region *g = &c->cfg.regions[i];
    if (filtered && strcasecmp(g->name, loc) != 0) continue;
    const cJSON *s;
    cJSON_ArrayForEach(s, c->cfg.skus) {
      const cJSON *only = cJSON_GetObjectItemCaseSensitive(s, "locations"), *l;
      bool ok = !only;
      cJSON_ArrayForEach(l, only) ok |= cJSON_IsString(l) && strcasecmp(l->valuestring, g->name) == 0;
      if (ok) cJSON_AddItemToArray(arr, sku_entry(c, s, g));
    }
  }
  arm_resp_json(out, 200, b);
  return 1;
}

const arm_rtype rt_compute_skus = {
    .type = "Microsoft.Compute/skus",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_READONLY,
    .list = skus_list,
};

static int kv_list(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out) {
  (void)q;
  /* .../locations/{loc}/kubernetesVersions */
  const char *loc = p->nseg >= 2 ? p->seg[p->nseg - 2] : "";
  if (!arm_cfg_region(&c->cfg, loc)) {
    arm_resp_error(out, 404, "LocationNotFound", "The location '%s' is not available.", loc);
    return 1;
  }
  cJSON *b = cJSON_CreateObject();
  cJSON *vals = cJSON_AddArrayToObject(b, "values");
  const cJSON *v;
  char last_minor[16] = "";
  cJSON *cur = NULL;
  cJSON_ArrayForEach(v, c->cfg.aks_versions) {
    char minor[16];
    snprintf(minor, sizeof minor, "%s", v->valuestring);
    char *d2 = strchr(minor, '.');
    d2 = d2 ? strchr(d2 + 1, '.') : NULL;
    if (d2) *d2 = '\0';
    if (strcmp(minor, last_minor) != 0) {
      cur = cJSON_CreateObject();
      cJSON_AddStringToObject(cur, "version", minor);
      cJSON_AddItemToObject(cur, "patchVersions", cJSON_CreateObject());
      cJSON *caps = cJSON_AddObjectToObject(cur, "capabilities");
      cJSON *plans = cJSON_AddArrayToObject(caps, "supportPlan");
      cJSON_AddItemToArray(plans, cJSON_CreateString("KubernetesOfficial"));
      cJSON_AddItemToArray(vals, cur);
      snprintf(last_minor, sizeof last_minor, "%s", minor);
    }
    cJSON *pv = cJSON_CreateObject();
    cJSON_AddArrayToObject(pv, "upgrades");
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(cur, "patchVersions"), v->valuestring, pv);
    if (strcmp(v->valuestring, c->cfg.aks_default_version) == 0) cJSON_AddTrueToObject(cur, "isDefault");
  }
  arm_resp_json(out, 200, b);
  return 1;
}

const arm_rtype rt_aks_versions = {
    .type = "Microsoft.ContainerService/locations/kubernetesVersions",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_READONLY,
    .list = kv_list,
};
