/* arm_config.c — the emulator's own config sections (see docs/arm-sim.md) with built-in defaults. */
#include "arm_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name, *display; int zones; } default_regions[] = {
    {"eastus", "East US", 3},           {"eastus2", "East US 2", 3},       {"westus", "West US", 0},
    {"westus2", "West US 2", 3},        {"westus3", "West US 3", 3},       {"centralus", "Central US", 3},
    {"southcentralus", "South Central US", 3}, {"northcentralus", "North Central US", 0},
    {"westeurope", "West Europe", 3},   {"northeurope", "North Europe", 3}, {"uksouth", "UK South", 3},
    {"francecentral", "France Central", 3}, {"germanywestcentral", "Germany West Central", 3},
    {"swedencentral", "Sweden Central", 3}, {"japaneast", "Japan East", 3}, {"australiaeast", "Australia East", 3},
    {"canadacentral", "Canada Central", 3}, {"southeastasia", "Southeast Asia", 3},
};

/* name, family, vCPUs, memoryGB, GPUs, arch, extra capabilities (JSON object text or NULL) */
static const struct {
  const char *name, *family;
  int vcpus;
  double mem;
  int gpus;
  const char *arch, *caps;
} default_skus[] = {
    {"Standard_B1s", "standardBSFamily", 1, 1, 0, "x64", NULL},
    {"Standard_B2s", "standardBSFamily", 2, 4, 0, "x64", NULL},
    {"Standard_B2ms", "standardBSFamily", 2, 8, 0, "x64", NULL},
    {"Standard_DS2_v2", "standardDSv2Family", 2, 7, 0, "x64", NULL},
    {"Standard_D2s_v3", "standardDSv3Family", 2, 8, 0, "x64", NULL},
    {"Standard_D4s_v3", "standardDSv3Family", 4, 16, 0, "x64", NULL},
    {"Standard_D8s_v3", "standardDSv3Family", 8, 32, 0, "x64", NULL},
    {"Standard_D2s_v5", "standardDSv5Family", 2, 8, 0, "x64", NULL},
    {"Standard_D4s_v5", "standardDSv5Family", 4, 16, 0, "x64", NULL},
    {"Standard_D8s_v5", "standardDSv5Family", 8, 32, 0, "x64", NULL},
    {"Standard_D2ps_v5", "standardDPSv5Family", 2, 8, 0, "Arm64", NULL},
    {"Standard_D4ps_v5", "standardDPSv5Family", 4, 16, 0, "Arm64", NULL},
    {"Standard_E4s_v5", "standardESv5Family", 4, 32, 0, "x64", NULL},
    {"Standard_F2s_v2", "standardFSv2Family", 2, 4, 0, "x64", NULL},
    {"Standard_NC6s_v3", "standardNCSv3Family", 6, 112, 1, "x64", NULL},
    {"Standard_NC24ads_A100_v4", "standardNCADSA100v4Family", 24, 220, 1, "x64", NULL},
    /* AMD SEV-SNP confidential VMs, and a generation-1 size that cannot do Trusted Launch */
    {"Standard_DC2as_v5", "standardDCASv5Family", 2, 8, 0, "x64", "{\"ConfidentialComputingType\":\"SNP\"}"},
    {"Standard_A2_v2", "standardAv2Family", 2, 4, 0, "x64",
     "{\"TrustedLaunchDisabled\":\"True\",\"HyperVGenerations\":\"V1\",\"EncryptionAtHostSupported\":\"False\"}"},
};

static cJSON *default_sku_list(void) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < sizeof default_skus / sizeof default_skus[0]; i++) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", default_skus[i].name);
    cJSON_AddStringToObject(s, "family", default_skus[i].family);
    cJSON_AddNumberToObject(s, "vCPUs", default_skus[i].vcpus);
    cJSON_AddNumberToObject(s, "memoryGB", default_skus[i].mem);
    cJSON_AddNumberToObject(s, "gpus", default_skus[i].gpus);
    cJSON_AddStringToObject(s, "cpuArchitecture", default_skus[i].arch);
    if (default_skus[i].caps) cJSON_AddItemToObject(s, "capabilities", cJSON_Parse(default_skus[i].caps));
    cJSON_AddItemToArray(a, s);
  }
  return a;
}

void arm_cfg_defaults(arm_cfg *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->lro_default = 1.0;
  cfg->retry_after = 1;
  cfg->lro_durations = cJSON_CreateObject();
  cJSON_AddNumberToObject(cfg->lro_durations, "Microsoft.ContainerService/managedClusters", 2.0);
  cJSON_AddNumberToObject(cfg->lro_durations, "Microsoft.ContainerService/managedClusters/agentPools", 2.0);
  arm_throttle_cfg_default(&cfg->throttle);
  cfg->aks_versions = cJSON_CreateArray();
  const char *vers[] = {"1.31.8", "1.32.4", "1.33.1", "1.34.0"};
  for (size_t i = 0; i < 4; i++) cJSON_AddItemToArray(cfg->aks_versions, cJSON_CreateString(vers[i]));
  snprintf(cfg->aks_default_version, sizeof cfg->aks_default_version, "1.33.1");
  for (size_t i = 0; i < sizeof default_regions / sizeof default_regions[0]; i++) {
    snprintf(cfg->regions[i].name, sizeof cfg->regions[i].name, "%s", default_regions[i].name);
    snprintf(cfg->regions[i].display, sizeof cfg->regions[i].display, "%s", default_regions[i].display);
    cfg->regions[i].nzones = default_regions[i].zones;
    cfg->nregions++;
  }
  cfg->skus = default_sku_list();
  cfg->max_body = 4u << 20; /* ARM refuses request bodies above 4 MB */
  cfg->max_depth = 64;
  cfg->keep_bodies = 50;
  cfg->page_size = 1000; /* ARM pages long lists; tests lower it through /_sim/config */
}

void arm_cfg_free(arm_cfg *cfg) {
  cJSON_Delete(cfg->lro_durations);
  cJSON_Delete(cfg->aks_versions);
  cJSON_Delete(cfg->skus);
  cJSON_Delete(cfg->api_allow);
  cJSON_Delete(cfg->ra_known);
  memset(cfg, 0, sizeof *cfg);
}

const arm_region *arm_cfg_region(const arm_cfg *cfg, const char *name) {
  if (!name) return NULL;
  /* ARM accepts "East US" as well as "eastus" */
  char norm[64];
  size_t j = 0;
  for (size_t i = 0; name[i] && j + 1 < sizeof norm; i++)
    if (name[i] != ' ') norm[j++] = name[i];
  norm[j] = '\0';
  for (int i = 0; i < cfg->nregions; i++)
    if (strcasecmp(cfg->regions[i].name, norm) == 0) return &cfg->regions[i];
  return NULL;
}

static int num(const cJSON *o, const char *k, double *out, double min, char *err, size_t errlen, const char *ctx) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!v) return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < min) {
    snprintf(err, errlen, "%s.%s: expected a number >= %g", ctx, k, min);
    return -1;
  }
  *out = v->valuedouble;
  return 0;
}

static int load_lro(arm_cfg *cfg, const cJSON *lro, char *err, size_t errlen) {
  if (!lro) return 0;
  if (!cJSON_IsObject(lro)) { snprintf(err, errlen, "lro: expected an object"); return -1; }
  double ra = cfg->retry_after;
  /* an explicit default replaces the built-in per-type durations (the AKS ones are longer) */
  if (cJSON_GetObjectItemCaseSensitive(lro, "defaultSeconds")) {
    cJSON_Delete(cfg->lro_durations);
    cfg->lro_durations = cJSON_CreateObject();
  }
  if (num(lro, "defaultSeconds", &cfg->lro_default, 0, err, errlen, "lro") ||
      num(lro, "retryAfterSeconds", &ra, 0, err, errlen, "lro"))
    return -1;
  cfg->retry_after = (int)ra;
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(lro, "durations");
  if (d) {
    if (!cJSON_IsObject(d)) { snprintf(err, errlen, "lro.durations: expected an object of type: seconds"); return -1; }
    const cJSON *it;
    cJSON_ArrayForEach(it, d) {
      if (!cJSON_IsNumber(it) || it->valuedouble < 0) {
        snprintf(err, errlen, "lro.durations.%s: expected seconds >= 0", it->string);
        return -1;
      }
      cJSON_DeleteItemFromObject(cfg->lro_durations, it->string);
      cJSON_AddNumberToObject(cfg->lro_durations, it->string, it->valuedouble);
    }
  }
  return 0;
}

/* roleAssignments: {checkPrincipals: bool, knownPrincipals: [ids]} */
static int load_role_assignments(arm_cfg *cfg, const cJSON *ra, char *err, size_t errlen) {
  if (!ra) return 0;
  if (!cJSON_IsObject(ra)) { snprintf(err, errlen, "roleAssignments: expected an object"); return -1; }
  const cJSON *cp = cJSON_GetObjectItemCaseSensitive(ra, "checkPrincipals");
  if (cp && !cJSON_IsBool(cp)) { snprintf(err, errlen, "roleAssignments.checkPrincipals: expected true or false"); return -1; }
  if (cp) cfg->ra_check_principals = cJSON_IsTrue(cp);
  const cJSON *kp = cJSON_GetObjectItemCaseSensitive(ra, "knownPrincipals"), *it;
  if (kp) {
    if (!cJSON_IsArray(kp)) { snprintf(err, errlen, "roleAssignments.knownPrincipals: expected a list of ids"); return -1; }
    cJSON_ArrayForEach(it, kp) if (!cJSON_IsString(it)) {
      snprintf(err, errlen, "roleAssignments.knownPrincipals: expected strings");
      return -1;
    }
    cJSON_Delete(cfg->ra_known);
    cfg->ra_known = cJSON_Duplicate(kp, 1);
  }
  return 0;
}

int arm_cfg_update(arm_cfg *cfg, const cJSON *j, char *err, size_t errlen) {
  if (!cJSON_IsObject(j)) { snprintf(err, errlen, "expected an object"); return -1; }
  if (load_lro(cfg, cJSON_GetObjectItemCaseSensitive(j, "lro"), err, errlen)) return -1;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "throttling");
  if (t && arm_throttle_cfg_load(&cfg->throttle, t, err, errlen)) return -1;
  const cJSON *aks = cJSON_GetObjectItemCaseSensitive(j, "aks");
  if (aks) {
    const char *u = arm_jstr(aks, "apiServerUrl");
    if (u) snprintf(cfg->aks_api_server, sizeof cfg->aks_api_server, "%s", u);
  }
  const cJSON *ls = cJSON_GetObjectItemCaseSensitive(j, "lists");
  if (ls) {
    double ps = cfg->page_size;
    if (num(ls, "pageSize", &ps, 1, err, errlen, "lists")) return -1;
    cfg->page_size = (int)ps;
  }
  if (load_role_assignments(cfg, cJSON_GetObjectItemCaseSensitive(j, "roleAssignments"), err, errlen)) return -1;
  return 0;
}

int arm_cfg_load(arm_cfg *cfg, const cJSON *root, char *err, size_t errlen) {
  if (!root) return 0;
  if (!cJSON_IsObject(root)) { snprintf(err, errlen, "config: expected a mapping at the top level"); return -1; }
  static const char *known[] = {"auth", "lro", "throttling", "aks", "regions", "skus", "limits", "requestLog", "apiVersions", "lists", "roleAssignments", NULL};
  const cJSON *it;
  cJSON_ArrayForEach(it, root) {
    bool ok = false;
    for (int i = 0; known[i]; i++) ok |= strcmp(it->string, known[i]) == 0;
    if (!ok) { snprintf(err, errlen, "config: unknown section '%s'", it->string); return -1; }
  }
  if (load_lro(cfg, cJSON_GetObjectItemCaseSensitive(root, "lro"), err, errlen)) return -1;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "throttling");
  if (t && arm_throttle_cfg_load(&cfg->throttle, t, err, errlen)) return -1;

  const cJSON *aks = cJSON_GetObjectItemCaseSensitive(root, "aks");
  if (aks) {
    if (!cJSON_IsObject(aks)) { snprintf(err, errlen, "aks: expected an object"); return -1; }
    const char *u = arm_jstr(aks, "apiServerUrl");
    if (u) snprintf(cfg->aks_api_server, sizeof cfg->aks_api_server, "%s", u);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(aks, "kubernetesVersions");
    if (v) {
      if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) { snprintf(err, errlen, "aks.kubernetesVersions: expected a non-empty list"); return -1; }
      const cJSON *e;
      cJSON_ArrayForEach(e, v) if (!cJSON_IsString(e)) { snprintf(err, errlen, "aks.kubernetesVersions: expected strings"); return -1; }
      cJSON_Delete(cfg->aks_versions);
      cfg->aks_versions = cJSON_Duplicate(v, 1);
      snprintf(cfg->aks_default_version, sizeof cfg->aks_default_version, "%s", cJSON_GetArrayItem(v, cJSON_GetArraySize(v) - 1)->valuestring);
    }
    const char *dv = arm_jstr(aks, "defaultVersion");
    if (dv) snprintf(cfg->aks_default_version, sizeof cfg->aks_default_version, "%s", dv);
  }

  const cJSON *regs = cJSON_GetObjectItemCaseSensitive(root, "regions");
  if (regs) {
    if (!cJSON_IsArray(regs) || cJSON_GetArraySize(regs) == 0 || cJSON_GetArraySize(regs) > 32) {
      snprintf(err, errlen, "regions: expected a list of 1..32 regions");
      return -1;
    }
    cfg->nregions = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, regs) {
      const char *n = arm_jstr(r, "name");
      const cJSON *z = cJSON_GetObjectItemCaseSensitive(r, "zones");
      if (!n || strlen(n) >= sizeof cfg->regions[0].name || (z && (!cJSON_IsNumber(z) || z->valueint < 0 || z->valueint > 3))) {
        snprintf(err, errlen, "regions[%d]: expected {name: string, zones: 0..3}", cfg->nregions);
        return -1;
      }
      arm_region *g = &cfg->regions[cfg->nregions++];
      snprintf(g->name, sizeof g->name, "%s", n);
      const char *d = arm_jstr(r, "displayName");
      snprintf(g->display, sizeof g->display, "%s", d ? d : n);
      g->nzones = z ? z->valueint : 3;
    }
  }

  const cJSON *skus = cJSON_GetObjectItemCaseSensitive(root, "skus");
  if (skus) {
    if (!cJSON_IsArray(skus)) { snprintf(err, errlen, "skus: expected a list"); return -1; }
    int i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, skus) {
      if (!arm_jstr(s, "name") || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, "vCPUs")) ||
          !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, "memoryGB"))) {
        snprintf(err, errlen, "skus[%d]: name, vCPUs and memoryGB are required", i);
        return -1;
      }
      i++;
    }
    cJSON_Delete(cfg->skus);
    cfg->skus = cJSON_Duplicate(skus, 1);
  }

  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(root, "limits");
  if (lim) {
    double mb = (double)cfg->max_body, md = cfg->max_depth;
    if (num(lim, "maxBodyBytes", &mb, 1024, err, errlen, "limits") || num(lim, "maxDepth", &md, 4, err, errlen, "limits")) return -1;
    cfg->max_body = (size_t)mb;
    cfg->max_depth = (int)md;
  }
  const cJSON *rl = cJSON_GetObjectItemCaseSensitive(root, "requestLog");
  if (rl) {
    double kb = cfg->keep_bodies;
    if (num(rl, "keepBodies", &kb, 0, err, errlen, "requestLog")) return -1;
    cfg->keep_bodies = (int)kb;
  }
  const cJSON *ls = cJSON_GetObjectItemCaseSensitive(root, "lists");
  if (ls) {
    double ps = cfg->page_size;
    if (num(ls, "pageSize", &ps, 1, err, errlen, "lists")) return -1;
    cfg->page_size = (int)ps;
  }
  const cJSON *av = cJSON_GetObjectItemCaseSensitive(root, "apiVersions");
  if (av) {
    if (!cJSON_IsObject(av)) { snprintf(err, errlen, "apiVersions: expected {namespace: [versions]}"); return -1; }
    const cJSON *ns;
    cJSON_ArrayForEach(ns, av) {
      if (!cJSON_IsArray(ns)) { snprintf(err, errlen, "apiVersions.%s: expected a list", ns->string); return -1; }
    }
    cfg->api_allow = cJSON_Duplicate(av, 1);
  }
  if (load_role_assignments(cfg, cJSON_GetObjectItemCaseSensitive(root, "roleAssignments"), err, errlen)) return -1;
  return 0;
}
