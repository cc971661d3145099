/* rt_aks.c — Microsoft.ContainerService managedClusters and agentPools: version resolution, generated FQDNs,
 * identities and network defaults, a node resource group MC_… with one VMSS per pool whose instances follow
 * the pool count, kubeconfigs pointing at a configurable API server, stop/start/abort, deleteMachines. */
#include "rt_common.h"

#include <capz/json.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POOL_TYPE "Microsoft.ContainerService/managedClusters/agentPools"
/* Tenant of generated identities (the auth module's default tenant). */
#define AKS_TENANT "11111111-1111-4111-8111-111111111111"

/* ---------------------------------------------------------------- versions */

static int vcmp(const char *a, const char *b) {
  int x[3] = {0}, y[3] = {0};
  sscanf(a, "%d.%d.%d", &x[0], &x[1], &x[2]);
  sscanf(b, "%d.%d.%d", &y[0], &y[1], &y[2]);
  for (int i = 0; i < 3; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/* "" -> default; "1.33" -> newest 1.33.x; "1.33.1" must be listed. */
static bool resolve_version(arm_ctx *c, const char *want, char *out, size_t n) {
  if (!want || !*want) { snprintf(out, n, "%s", c->cfg.aks_default_version); return true; }
  bool found = false;
  const cJSON *v;
  int dots = 0;
  for (const char *p = want; *p; p++) dots += *p == '.';
  cJSON_ArrayForEach(v, c->cfg.aks_versions) {
    const char *s = v->valuestring;
    size_t L = strlen(want);
    bool match = dots >= 2 ? strcmp(s, want) == 0 : strncmp(s, want, L) == 0 && s[L] == '.';
    if (match && (!found || vcmp(s, out) > 0)) { snprintf(out, n, "%s", s); found = true; }
  }
  return found;
}

static bool valid_cluster_name(const char *n) {
  size_t L = strlen(n);
  if (L < 1 || L > 63 || !isalnum((unsigned char)n[0]) || !isalnum((unsigned char)n[L - 1])) return false;
  for (size_t i = 0; i < L; i++)
    if (!isalnum((unsigned char)n[i]) && n[i] != '-' && n[i] != '_') return false;
  return true;
}

static bool valid_pool_name(const char *n) {
  size_t L = strlen(n);
  if (L < 1 || L > 12 || !islower((unsigned char)n[0])) return false;
  for (size_t i = 0; i < L; i++)
    if (!islower((unsigned char)n[i]) && !isdigit((unsigned char)n[i])) return false;
  return true;
}

/* ---------------------------------------------------------------- agent pool rules (shared) */

/* props: the pool's properties (agentPool body) or a flat agentPoolProfiles element. */
static int check_pool(arm_ctx *c, const char *name, const cJSON *props, const char *cluster_version, arm_err *e) {
  if (!valid_pool_name(name))
    return arm_err_set(e, 400, "InvalidParameter",
                       "Agent pool name '%s' is invalid: it must match ^[a-z][a-z0-9]{0,11}$.", name);
  const char *size = arm_jstr(props, "vmSize");
  if (size && !arm_sku_known(c, size, NULL))
    return arm_err_set(e, 400, "InvalidParameter", "The VM size of %s is not allowed in your subscription in location.", size);
  int64_t count = capz_json_ptr_int(props, "/count", 1);
  if (count < 0 || count > 1000)
    return arm_err_set(e, 400, "InvalidParameter", "The value of parameter agentPoolProfile.count is invalid: %lld.", (long long)count);
  const char *mode = arm_jstr(props, "mode");
  if (mode && strcasecmp(mode, "System") && strcasecmp(mode, "User") && strcasecmp(mode, "Gateway"))
    return arm_err_set(e, 400, "InvalidParameter", "Agent pool mode must be System, User or Gateway.");
  if (mode && strcasecmp(mode, "System") == 0 && count < 1)
    return arm_err_set(e, 400, "InvalidParameter", "System agent pool %s must have a node count of at least 1.", name);
  if (capz_json_ptr_bool(props, "/enableAutoScaling", false)) {
    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(props, "minCount"), *mx = cJSON_GetObjectItemCaseSensitive(props, "maxCount");
    if (!cJSON_IsNumber(mn) || !cJSON_IsNumber(mx))
      return arm_err_set(e, 400, "InvalidParameter",
                         "Agent pool %s: minCount and maxCount are required when enableAutoScaling is true.", name);
    if (mn->valuedouble > mx->valuedouble || mn->valuedouble < 0 || mx->valuedouble > 1000)
      return arm_err_set(e, 400, "InvalidParameter", "Agent pool %s: minCount %g must be less than or equal to maxCount %g.",
                         name, mn->valuedouble, mx->valuedouble);
    if (cJSON_GetObjectItemCaseSensitive(props, "count") && (count < mn->valuedouble || count > mx->valuedouble))
      return arm_err_set(e, 400, "InvalidParameter",
                         "Agent pool %s: count %lld must be within minCount %g and maxCount %g.", name, (long long)count,
                         mn->valuedouble, mx->valuedouble);
  }
  const char *ov = arm_jstr(props, "orchestratorVersion");
  if (ov && *ov) {
    char res[32];
    if (!resolve_version(c, ov, res, sizeof res))
      return arm_err_set(e, 400, "AgentPoolK8sVersionNotSupported", "Version %s is not supported in this region.", ov);
    if (cluster_version && vcmp(res, cluster_version) > 0)
      return arm_err_set(e, 400, "InvalidParameter",
                         "Agent pool %s version %s cannot be greater than the control plane version %s.", name, res, cluster_version);
  }
  if (arm_jstr(props, "vnetSubnetID") && arm_check_ref_id(c, arm_jstr(props, "vnetSubnetID"), NULL, "vnetSubnetID", e)) return -1;
  if (arm_jstr(props, "podSubnetID") && arm_check_ref_id(c, arm_jstr(props, "podSubnetID"), NULL, "podSubnetID", e)) return -1;
  return 0;
}

/* ---------------------------------------------------------------- node resource group and VMSS */

/* networkProfile.ipFamilies lists IPv6 */
static bool dual_stack(const cJSON *np) {
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(np, "ipFamilies"))
    if (cJSON_IsString(f) && strcasecmp(f->valuestring, "IPv6") == 0) return true;
  return false;
}

static void cluster_of_pool(const arm_res *pool, char *out, size_t n) { arm_id_parent(pool->id, out, n); }

static void vmss_name(const arm_res *cluster, const char *pool, char *out, size_t n) {
  snprintf(out, n, "aks-%s-%08u-vmss", pool, arm_hash32(cluster->key) % 100000000u);
}

static void vmss_id(const arm_res *cluster, const char *pool, char *out, size_t n) {
  char sub[64], name[96];
  arm_id_sub(cluster->id, sub, sizeof sub);
  vmss_name(cluster, pool, name, sizeof name);
  snprintf(out, n, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachineScaleSets/%s", sub,
           capz_json_ptr_str(cluster->doc, "/properties/nodeResourceGroup", ""), name);
}

/* Create or update the pool's scale set so that its capacity follows the pool count. */
static void pool_sync(arm_ctx *c, arm_res *pool) {
  char cid[ARM_ID_MAX];
  cluster_of_pool(pool, cid, sizeof cid);
  arm_res *cl = arm_store_get(c->store, cid);
  if (!cl) return;
  char sub[64], rgid[ARM_ID_MAX], id[ARM_ID_MAX], name[96];
  arm_id_sub(cl->id, sub, sizeof sub);
  snprintf(rgid, sizeof rgid, "/subscriptions/%s/resourceGroups/%s", sub, capz_json_ptr_str(cl->doc, "/properties/nodeResourceGroup", ""));
  if (!arm_store_get(c->store, rgid)) return;
  const char *pname = arm_id_name(pool->id);
  vmss_id(cl, pname, id, sizeof id);
  vmss_name(cl, pname, name, sizeof name);
  bool stopped = arm_ieq(capz_json_ptr_str(cl->doc, "/properties/powerState/code", "Running"), "Stopped") ||
                 arm_ieq(capz_json_ptr_str(pool->doc, "/properties/powerState/code", "Running"), "Stopped");
  const cJSON *pp = cJSON_GetObjectItemCaseSensitive(pool->doc, "properties");
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "location", arm_jstr(cl->doc, "location"));
  cJSON *sku = cJSON_AddObjectToObject(doc, "sku");
  cJSON_AddStringToObject(sku, "name", arm_jstr(pp, "vmSize") ? arm_jstr(pp, "vmSize") : "Standard_DS2_v2");
  cJSON_AddStringToObject(sku, "tier", "Standard");
  cJSON_AddNumberToObject(sku, "capacity", stopped ? 0 : (double)capz_json_ptr_int(pp, "/count", 0));
  const cJSON *az = cJSON_GetObjectItemCaseSensitive(pp, "availabilityZones");
  if (cJSON_GetArraySize(az) > 0) cJSON_AddItemToObject(doc, "zones", cJSON_Duplicate(az, 1));
  cJSON *tags = cJSON_AddObjectToObject(doc, "tags");
  cJSON_AddStringToObject(tags, "aks-managed-poolName", pname);
  cJSON_AddStringToObject(tags, "aks-managed-orchestrator", arm_jstr(pp, "orchestratorVersion") ? arm_jstr(pp, "orchestratorVersion") : "");
  cJSON_AddStringToObject(tags, "aks-managed-createOperationID", "00000000-0000-0000-0000-000000000000");
  cJSON *p = cJSON_AddObjectToObject(doc, "properties");
  cJSON_AddStringToObject(p, "orchestrationMode", "Uniform");
  cJSON_AddFalseToObject(p, "overprovision");
  cJSON_AddFalseToObject(p, "singlePlacementGroup");
  cJSON *up = cJSON_AddObjectToObject(p, "upgradePolicy");
  cJSON_AddStringToObject(up, "mode", "Manual");
  cJSON *prof = cJSON_AddObjectToObject(p, "virtualMachineProfile");
  cJSON *os = cJSON_AddObjectToObject(prof, "osProfile");
  cJSON_AddStringToObject(os, "computerNamePrefix", name);
  cJSON_AddStringToObject(os, "adminUsername", capz_json_ptr_str(cl->doc, "/properties/linuxProfile/adminUsername", "azureuser"));
  cJSON *sp = cJSON_AddObjectToObject(prof, "storageProfile");
  cJSON *img = cJSON_AddObjectToObject(sp, "imageReference");
  const char *imgid = "/subscriptions/109a5e88-712a-48ae-9078-9ca8b3c81345/resourceGroups/AKS-Ubuntu/providers/"
                      "Microsoft.Compute/galleries/AKSUbuntu/images/2204gen2containerd/versions/202511.01.0";
  cJSON_AddStringToObject(img, "id", imgid);
  cJSON *osd = cJSON_AddObjectToObject(sp, "osDisk");
  cJSON_AddStringToObject(osd, "createOption", "FromImage");
  cJSON_AddNumberToObject(osd, "diskSizeGB", (double)capz_json_ptr_int(pp, "/osDiskSizeGB", 128));
  cJSON *np = cJSON_AddObjectToObject(prof, "networkProfile");
  cJSON *ncs = cJSON_AddArrayToObject(np, "networkInterfaceConfigurations");
  cJSON *nc = cJSON_CreateObject();
  cJSON_AddStringToObject(nc, "name", name);
  cJSON *ncp = cJSON_AddObjectToObject(nc, "properties");
  cJSON_AddTrueToObject(ncp, "primary");
  cJSON *ipcs = cJSON_AddArrayToObject(ncp, "ipConfigurations");
  cJSON *ipc = cJSON_CreateObject();
  cJSON_AddStringToObject(ipc, "name", "ipconfig1");
  cJSON *ipp = cJSON_AddObjectToObject(ipc, "properties");
  cJSON_AddTrueToObject(ipp, "primary");
  const char *snet = arm_jstr(pp, "vnetSubnetID");
  if (snet && arm_store_get(c->store, snet)) {
    cJSON *s = cJSON_AddObjectToObject(ipp, "subnet");
    cJSON_AddStringToObject(s, "id", snet);
  }
  cJSON_AddItemToArray(ipcs, ipc);
  arm_res *sres = snet ? arm_store_get(c->store, snet) : NULL;
  if (sres && dual_stack(capz_json_ptr_get(cl->doc, "/properties/networkProfile")) && rt_subnet_prefix(sres->doc, 6)) {
    cJSON *ip6 = cJSON_CreateObject();
    cJSON_AddStringToObject(ip6, "name", "ipconfigv6");
    cJSON *p6 = cJSON_AddObjectToObject(ip6, "properties");
    cJSON_AddStringToObject(p6, "privateIPAddressVersion", "IPv6");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p6, "subnet"), "id", snet);
    cJSON_AddItemToArray(ipcs, ip6);
  }
  cJSON_AddItemToArray(ncs, nc);
  arm_err e;
  memset(&e, 0, sizeof e);
  if (!arm_engine_create(c, id, "Microsoft.Compute/virtualMachineScaleSets", doc, &e))
    fprintf(stderr, "capz-arm-sim: node pool scale set %s: %s: %s\n", name, e.code, e.msg);
}

/* ---------------------------------------------------------------- managedClusters */

static const char *const mc_immutable[] = {"/properties/dnsPrefix", "/properties/fqdnSubdomain", "/properties/nodeResourceGroup",
                                           "/properties/networkProfile/networkPlugin", "/properties/networkProfile/dnsServiceIP",
                                           "/properties/networkProfile/serviceCidr", "/properties/networkProfile/loadBalancerSku",
                                           "/properties/linuxProfile/adminUsername", NULL};

/* networkProfile.ipFamilies: ["IPv4"] or ["IPv4","IPv6"]; dual stack needs kubenet or Azure CNI Overlay. */
static int check_ip_families(const cJSON *np, arm_err *e) {
  const cJSON *fams = cJSON_GetObjectItemCaseSensitive(np, "ipFamilies"), *f;
  if (!fams) return 0;
  bool v4 = false, v6 = false;
  cJSON_ArrayForEach(f, fams) {
    if (!cJSON_IsString(f) || (strcasecmp(f->valuestring, "IPv4") && strcasecmp(f->valuestring, "IPv6")))
      return arm_err_set(e, 400, "InvalidParameter", "networkProfile.ipFamilies takes IPv4 and IPv6.");
    v4 |= strcasecmp(f->valuestring, "IPv4") == 0;
    v6 |= strcasecmp(f->valuestring, "IPv6") == 0;
  }
  if (!v4) return arm_err_set(e, 400, "InvalidParameter", "networkProfile.ipFamilies must include IPv4 (IPv6-only clusters are not supported).");
  if (v6) {
    const char *plugin = capz_json_ptr_str(np, "/networkPlugin", "kubenet");
    bool overlay = arm_ieq(capz_json_ptr_str(np, "/networkPluginMode", ""), "overlay");
    if (!(strcasecmp(plugin, "kubenet") == 0 || (strcasecmp(plugin, "azure") == 0 && overlay)))
      return arm_err_set(e, 400, "InvalidParameter",
                         "Dual-stack networking (ipFamilies IPv4 and IPv6) needs networkPlugin kubenet or Azure CNI "
                         "Overlay (networkPlugin azure, networkPluginMode overlay).");
  }
  return 0;
}

/* A cluster PUT that changes the control-plane version (AKS since 2022-04): agent pools listed without
 * orchestratorVersion stay where they are (control plane only); if any pool gives one, all must, each either
 * unchanged or the new control-plane version (which upgrades that pool). */
static int check_profile_versions(arm_ctx *c, arm_res *old, const cJSON *pools, const char *new_ver, arm_err *e) {
  const char *cur = capz_json_ptr_str(old->doc, "/properties/currentKubernetesVersion", new_ver);
  if (strcmp(cur, new_ver) == 0 || !cJSON_IsArray(pools)) return 0;
  int total = 0, given = 0, bad = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, pools) {
    total++;
    const char *ov = arm_jstr(p, "orchestratorVersion");
    if (!ov || !*ov) continue;
    given++;
    char want[32], now[32] = "";
    char pid[ARM_ID_MAX];
    snprintf(pid, sizeof pid, "%s/agentPools/%s", old->id, arm_jstr(p, "name") ? arm_jstr(p, "name") : "");
    arm_res *pool = arm_store_get(c->store, pid);
    if (pool) snprintf(now, sizeof now, "%s", capz_json_ptr_str(pool->doc, "/properties/currentOrchestratorVersion", ""));
    if (!resolve_version(c, ov, want, sizeof want)) continue; /* check_pool reports it */
    bool unchanged = !pool || strcmp(want, now) == 0 ||
                     arm_ieq(ov, capz_json_ptr_str(pool->doc, "/properties/orchestratorVersion", ""));
    if (!unchanged && strcmp(want, new_ver) != 0) bad++;
  }
  if ((given > 0 && given < total) || bad)
    return arm_err_set(e, 400, "NotAllAgentPoolOrchestratorVersionSpecifiedAndUnchanged",
                       "Using managed cluster api, all Agent pools' OrchestratorVersion must be all specified or all "
                       "unspecified. If all specified, they must be stay unchanged or the same with control plane. For "
                       "agent pool specific change, please use per agent pool operations: https://aka.ms/agent-pool-rest-api");
  return 0;
}

static int mc_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  const char *name = arm_id_name(id);
  if (!valid_cluster_name(name))
    return arm_err_set(e, 400, "InvalidParameter", "The managed cluster name '%s' is invalid.", name);
  if (old && !*capz_json_ptr_str(doc, "/properties/kubernetesVersion", "")) { /* an update without a version keeps it */
    const char *ov = capz_json_ptr_str(old->doc, "/properties/kubernetesVersion", NULL);
    if (ov) arm_jset(arm_props(doc), "kubernetesVersion", cJSON_CreateString(ov));
  }
  const char *want = capz_json_ptr_str(doc, "/properties/kubernetesVersion", "");
  char ver[32];
  if (!resolve_version(c, want, ver, sizeof ver))
    return arm_err_set(e, 400, "K8sVersionNotSupported",
                       "Version %s is not supported in this region. Please use az aks get-versions to get the supported "
                       "version list in this region.", want);
  if (old) {
    const char *cur = capz_json_ptr_str(old->doc, "/properties/currentKubernetesVersion", ver);
    if (vcmp(ver, cur) < 0)
      return arm_err_set(e, 400, "NotAllowedVersionDowngrade",
                         "Downgrading the Kubernetes version from %s to %s is not allowed.", cur, ver);
    int a1 = 0, a2 = 0, b1 = 0, b2 = 0;
    sscanf(cur, "%d.%d", &a1, &a2);
    sscanf(ver, "%d.%d", &b1, &b2);
    if (b1 == a1 && b2 > a2 + 1)
      return arm_err_set(e, 400, "UpgradeNotAllowed",
                         "Upgrading the Kubernetes version from %s to %s skips a minor version, which is not allowed.", cur, ver);
  }
  if (capz_json_ptr_bool(doc, "/properties/disableLocalAccounts", false) && !capz_json_ptr_bool(doc, "/properties/aadProfile/managed", false))
    return arm_err_set(e, 400, "BadRequest", "Local accounts can only be disabled on clusters with managed AAD enabled.");
  const char *plugin = capz_json_ptr_str(doc, "/properties/networkProfile/networkPlugin", NULL);
  if (plugin && strcasecmp(plugin, "azure") && strcasecmp(plugin, "kubenet") && strcasecmp(plugin, "none"))
    return arm_err_set(e, 400, "InvalidParameter", "networkPlugin must be azure, kubenet or none.");
  const char *mode = capz_json_ptr_str(doc, "/properties/networkProfile/networkPluginMode", NULL);
  if (mode && plugin && strcasecmp(plugin, "azure") != 0)
    return arm_err_set(e, 400, "InvalidParameter", "networkPluginMode overlay requires networkPlugin azure.");
  if (check_ip_families(capz_json_ptr_get(doc, "/properties/networkProfile"), e)) return -1;
  const char *policy = capz_json_ptr_str(doc, "/properties/networkProfile/networkPolicy", NULL);
  const char *dataplane = capz_json_ptr_str(doc, "/properties/networkProfile/networkDataplane", NULL);
  if (policy && strcasecmp(policy, "cilium") == 0 && !(dataplane && strcasecmp(dataplane, "cilium") == 0))
    return arm_err_set(e, 400, "InvalidParameter", "networkPolicy cilium requires networkDataplane cilium.");
  const cJSON *pools = capz_json_ptr_get(doc, "/properties/agentPoolProfiles");
  if (old && check_profile_versions(c, old, pools, ver, e)) return -1;
  if (!old) {
    if (!cJSON_IsArray(pools) || cJSON_GetArraySize(pools) == 0)
      return arm_err_set(e, 400, "InvalidParameter", "The managed cluster needs at least one agent pool (agentPoolProfiles).");
    bool sys = false;
    const cJSON *p;
    cJSON_ArrayForEach(p, pools) sys |= arm_ieq(arm_jstr(p, "mode"), "System");
    if (!sys) return arm_err_set(e, 400, "InvalidParameter", "The managed cluster needs at least one agent pool with mode System.");
  }
  const cJSON *p;
  cJSON_ArrayForEach(p, pools) {
    if (check_pool(c, arm_jstr(p, "name") ? arm_jstr(p, "name") : "", p, ver, e)) return -1;
  }
  if (!capz_json_ptr_str(doc, "/properties/dnsPrefix", NULL) && !capz_json_ptr_str(doc, "/properties/fqdnSubdomain", NULL)) {
    const cJSON *od = old ? capz_json_ptr_get(old->doc, "/properties/dnsPrefix") : NULL;
    arm_jset(arm_props(doc), "dnsPrefix", cJSON_CreateString(od && cJSON_IsString(od) ? od->valuestring : name));
  }
  return 0;
}

static int mc_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  cJSON *p = arm_props(r->doc);
  const char *name = arm_id_name(r->id), *loc = arm_jstr(r->doc, "location");
  char ver[32], rg[128], sub[64], hex[9];
  resolve_version(c, arm_jstr(p, "kubernetesVersion"), ver, sizeof ver);
  if (!arm_jstr(p, "kubernetesVersion") || !*arm_jstr(p, "kubernetesVersion")) arm_jset(p, "kubernetesVersion", cJSON_CreateString(ver));
  const char *was = old ? capz_json_ptr_str(old, "/properties/currentKubernetesVersion", NULL) : NULL;
  if (was && strcmp(was, ver) != 0) arm_set_state(r, "Upgrading");
  arm_jset(p, "currentKubernetesVersion", cJSON_CreateString(ver));
  arm_id_rg(r->id, rg, sizeof rg);
  arm_id_sub(r->id, sub, sizeof sub);
  rt_hex8(r->key, hex);
  const char *prefix = arm_jstr(p, "dnsPrefix") ? arm_jstr(p, "dnsPrefix") : arm_jstr(p, "fqdnSubdomain");
  char buf[512];
  snprintf(buf, sizeof buf, "%s-%s.hcp.%s.azmk8s.io", prefix ? prefix : name, hex, loc);
  arm_jset(p, "fqdn", cJSON_CreateString(buf));
  snprintf(buf, sizeof buf, "%s-%s.portal.hcp.%s.azmk8s.io", prefix ? prefix : name, hex, loc);
  arm_jset(p, "azurePortalFqdn", cJSON_CreateString(buf));
  if (capz_json_ptr_bool(r->doc, "/properties/apiServerAccessProfile/enablePrivateCluster", false)) {
    snprintf(buf, sizeof buf, "%s-%s.%s.privatelink.%s.azmk8s.io", prefix ? prefix : name, hex, hex, loc);
    arm_jset(p, "privateFQDN", cJSON_CreateString(buf));
  }
  if (!arm_jstr(p, "nodeResourceGroup")) {
    snprintf(buf, sizeof buf, "MC_%s_%s_%s", rg, name, loc);
    arm_jset(p, "nodeResourceGroup", cJSON_CreateString(buf));
  }
  arm_jset(p, "maxAgentPools", cJSON_CreateNumber(100));
  rt_default(r->doc, "enableRBAC", cJSON_CreateTrue());
  rt_default(r->doc, "supportPlan", cJSON_CreateString("KubernetesOfficial"));
  cJSON *spp = cJSON_CreateObject();
  cJSON_AddStringToObject(spp, "clientId", "msi");
  rt_default(r->doc, "servicePrincipalProfile", spp);
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "windowsProfile"), "adminPassword");
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "servicePrincipalProfile"), "secret");
  cJSON *ps = cJSON_CreateObject();
  cJSON_AddStringToObject(ps, "code", "Running");
  arm_jset(p, "powerState", ps);
  rt_keep(r->doc, old, "/properties/powerState");
  if (!cJSON_GetObjectItemCaseSensitive(r->doc, "identity")) {
    cJSON *idn = cJSON_AddObjectToObject(r->doc, "identity");
    cJSON_AddStringToObject(idn, "type", "SystemAssigned");
  }
  rt_fill_identity(c, r, old);
  /* kubelet identity lives in the node resource group */
  rt_keep(r->doc, old, "/properties/identityProfile");
  if (!capz_json_ptr_get(r->doc, "/properties/identityProfile/kubeletidentity")) {
    cJSON *kid = cJSON_CreateObject();
    char u[37];
    snprintf(buf, sizeof buf, "/subscriptions/%s/resourcegroups/%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/%s-agentpool",
             sub, arm_jstr(p, "nodeResourceGroup"), name);
    cJSON_AddStringToObject(kid, "resourceId", buf);
    arm_uuid(u);
    cJSON_AddStringToObject(kid, "clientId", u);
    arm_uuid(u);
    cJSON_AddStringToObject(kid, "objectId", u);
    capz_json_ptr_set(r->doc, "/properties/identityProfile/kubeletidentity", kid, NULL);
  }
  if (capz_json_ptr_bool(r->doc, "/properties/oidcIssuerProfile/enabled", false)) {
    char u[37];
    arm_uuid(u);
    const char *oi = old ? capz_json_ptr_str(old, "/properties/oidcIssuerProfile/issuerURL", NULL) : NULL;
    snprintf(buf, sizeof buf, "https://%s.oic.prod-aks.azure.com/%s/%s/", loc, AKS_TENANT, u);
    capz_json_ptr_set_str(r->doc, "/properties/oidcIssuerProfile/issuerURL", oi ? oi : buf, NULL);
  }
  /* network defaults */
  cJSON *np = cJSON_GetObjectItemCaseSensitive(p, "networkProfile");
  if (!np) np = cJSON_AddObjectToObject(p, "networkProfile");
  if (!arm_jstr(np, "networkPlugin")) cJSON_AddStringToObject(np, "networkPlugin", "kubenet");
  bool kubenet = arm_ieq(arm_jstr(np, "networkPlugin"), "kubenet");
  bool overlay = arm_ieq(arm_jstr(np, "networkPluginMode"), "overlay");
  if ((kubenet || overlay) && !arm_jstr(np, "podCidr")) cJSON_AddStringToObject(np, "podCidr", "10.244.0.0/16");
  if (!arm_jstr(np, "serviceCidr")) cJSON_AddStringToObject(np, "serviceCidr", "10.0.0.0/16");
  if (!arm_jstr(np, "dnsServiceIP")) cJSON_AddStringToObject(np, "dnsServiceIP", "10.0.0.10");
  if (!arm_jstr(np, "outboundType")) cJSON_AddStringToObject(np, "outboundType", "loadBalancer");
  if (!arm_jstr(np, "loadBalancerSku")) cJSON_AddStringToObject(np, "loadBalancerSku", "standard");
  /* single or dual stack: podCidrs/serviceCidrs as sent, else derived (AKS's IPv6 defaults for dual stack) */
  bool dual = dual_stack(np);
  if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(np, "podCidrs")) ||
      !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(np, "podCidrs"))) {
    cJSON *pc = cJSON_CreateArray();
    if (arm_jstr(np, "podCidr")) cJSON_AddItemToArray(pc, cJSON_CreateString(arm_jstr(np, "podCidr")));
    if (dual && (kubenet || overlay)) cJSON_AddItemToArray(pc, cJSON_CreateString("fd12:3456:789a::/64"));
    arm_jset(np, "podCidrs", pc);
  }
  if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(np, "serviceCidrs")) ||
      !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(np, "serviceCidrs"))) {
    cJSON *sc = cJSON_CreateArray();
    cJSON_AddItemToArray(sc, cJSON_CreateString(arm_jstr(np, "serviceCidr")));
    if (dual) cJSON_AddItemToArray(sc, cJSON_CreateString("fd12:3456:789a:1::/108"));
    arm_jset(np, "serviceCidrs", sc);
  }
  cJSON *fam = cJSON_CreateArray();
  cJSON_AddItemToArray(fam, cJSON_CreateString("IPv4"));
  if (dual) cJSON_AddItemToArray(fam, cJSON_CreateString("IPv6"));
  arm_jset(np, "ipFamilies", fam);
  /* the node resource group */
  char rgid[ARM_ID_MAX];
  snprintf(rgid, sizeof rgid, "/subscriptions/%s/resourceGroups/%s", sub, arm_jstr(p, "nodeResourceGroup"));
  if (!arm_store_get(c->store, rgid)) {
    cJSON *rgdoc = cJSON_CreateObject();
    cJSON_AddStringToObject(rgdoc, "location", loc);
    cJSON_AddStringToObject(rgdoc, "managedBy", r->id);
    cJSON *t = cJSON_AddObjectToObject(rgdoc, "tags");
    cJSON_AddStringToObject(t, "aks-managed-cluster-name", name);
    cJSON_AddStringToObject(t, "aks-managed-cluster-rg", rg);
    if (!arm_engine_create(c, rgid, "Microsoft.Resources/resourceGroups", rgdoc, e)) return -1;
  }
  return 0;
}

static void pools_of(arm_ctx *c, arm_res *cl, void (*fn)(arm_ctx *, arm_res *)) {
  size_t kl = strlen(cl->key);
  const arm_rtype *pt = arm_rtype_find(POOL_TYPE);
  char **keys = NULL;
  size_t n = 0;
  for (arm_res *x = arm_store_first_of(c->store, pt); x; x = x->tnext) {
    if (strncmp(x->key, cl->key, kl) != 0 || x->key[kl] != '/') continue;
    char **nk = realloc(keys, (n + 1) * sizeof *nk);
    if (!nk) break;
    keys = nk;
    keys[n++] = strdup(x->key);
  }
  for (size_t i = 0; i < n; i++) {
    arm_res *x = keys[i] ? arm_store_get(c->store, keys[i]) : NULL;
    if (x) fn(c, x);
    free(keys[i]);
  }
  free(keys);
}

static void mc_ready(arm_ctx *c, arm_res *r) { pools_of(c, r, pool_sync); }

static void mc_on_delete(arm_ctx *c, arm_res *r) {
  rt_fleet_cluster_gone(c, r->id);
  char sub[64], rgid[ARM_ID_MAX];
  arm_id_sub(r->id, sub, sizeof sub);
  snprintf(rgid, sizeof rgid, "/subscriptions/%s/resourceGroups/%s", sub, capz_json_ptr_str(r->doc, "/properties/nodeResourceGroup", ""));
  arm_res *rg = arm_store_get(c->store, rgid);
  if (rg && arm_ieq(arm_jstr(rg->doc, "managedBy"), r->id)) arm_engine_delete_tree(c, rg);
}

/* ---------------------------------------------------------------- credentials */

static char *kubeconfig(arm_ctx *c, arm_res *r, bool admin, const char *format) {
  const char *name = arm_id_name(r->id);
  char rg[128], server[600], user[300];
  arm_id_rg(r->id, rg, sizeof rg);
  if (c->cfg.aks_api_server[0]) snprintf(server, sizeof server, "%s", c->cfg.aks_api_server);
  else snprintf(server, sizeof server, "https://%s:443", capz_json_ptr_str(r->doc, "/properties/fqdn", "localhost"));
  snprintf(user, sizeof user, "%s_%s_%s", admin ? "clusterAdmin" : "clusterUser", rg, name);
  const char *key = admin ? "adminToken" : "userToken";
  if (!arm_jstr(r->priv, key)) {
    char a[37], b[37], tok[80];
    arm_uuid(a);
    arm_uuid(b);
    snprintf(tok, sizeof tok, "%.8s%.4s%.4s%.4s%.12s%.8s", a, a + 9, a + 14, b + 19, b + 24, b);
    arm_jset(r->priv, key, cJSON_CreateString(tok));
  }
  bool aad = capz_json_ptr_bool(r->doc, "/properties/aadProfile/managed", false);
  bool exec = !admin && aad && (!format || strcasecmp(format, "azure") != 0);
  char userblock[1024];
  if (exec)
    snprintf(userblock, sizeof userblock,
             "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n"
             "      args:\n      - get-token\n      - --environment\n      - AzurePublicCloud\n      - --server-id\n"
             "      - 6dae42f8-4368-4678-94ff-3960e28e3630\n      - --login\n      - devicecode\n"
             "      interactiveMode: IfNeeded\n      provideClusterInfo: false\n");
  else
    snprintf(userblock, sizeof userblock, "    token: %s\n", arm_jstr(r->priv, key));
  bool https = strncmp(server, "https://", 8) == 0 && !c->cfg.aks_api_server[0];
  size_t cap = 4096;
  char *y = malloc(cap);
  if (!y) return NULL;
  snprintf(y, cap,
           "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n%s    server: %s\n  name: %s\ncontexts:\n- context:\n"
           "    cluster: %s\n    user: %s\n  name: %s%s\ncurrent-context: %s%s\npreferences: {}\nusers:\n- name: %s\n  user:\n%s",
           https ? "    insecure-skip-tls-verify: true\n" : "", server, name, name, user, name, admin ? "-admin" : "", name,
           admin ? "-admin" : "", user, userblock);
  return y;
}

static void creds(arm_ctx *c, const arm_req *q, arm_res *r, bool admin, const char *cred_name, arm_resp *out) {
  if (admin && capz_json_ptr_bool(r->doc, "/properties/disableLocalAccounts", false)) {
    arm_resp_error(out, 400, "BadRequest",
                   "Getting static credential is not allowed because this cluster is set to disable local accounts.");
    return;
  }
  const char *st = arm_get_state(r);
  if (st && strcmp(st, "Creating") == 0) {
    arm_resp_error(out, 409, "OperationNotAllowed", "The cluster is being created; credentials are not available yet.");
    return;
  }
  char *y = kubeconfig(c, r, admin, arm_req_query(q, "format"));
  char *b = y ? rt_b64(y, strlen(y)) : NULL;
  free(y);
  if (!b) { arm_resp_error(out, 500, "InternalServerError", "out of memory"); return; }
  cJSON *body = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(body, "kubeconfigs");
  cJSON *k = cJSON_CreateObject();
  cJSON_AddStringToObject(k, "name", cred_name);
  cJSON_AddStringToObject(k, "value", b);
  cJSON_AddItemToArray(arr, k);
  free(b);
  arm_resp_json(out, 200, body);
}

static void power_done(arm_ctx *c, arm_op *op, int final) {
  arm_res *r = arm_store_get(c->store, op->res_key);
  if (!r) return;
  if (final == ARM_OP_SUCCEEDED) capz_json_ptr_set_str(r->doc, "/properties/powerState/code", op->arg, NULL);
  arm_set_state(r, final == ARM_OP_SUCCEEDED ? "Succeeded" : final == ARM_OP_CANCELED ? "Canceled" : "Failed");
  if (final == ARM_OP_SUCCEEDED) pools_of(c, r, pool_sync);
}

static bool busy_409(arm_res *r, arm_resp *out) {
  if (!r->busy_op[0]) return false;
  arm_resp_error(out, 409, "OperationNotAllowed",
                 "Operation is not allowed: Another operation (%s) is in progress, please wait for it to finish before "
                 "starting a new operation. See https://aka.ms/aks-pending-operation for more details",
                 r->busy_what[0] ? r->busy_what : "Updating");
  return true;
}

static int mc_action(arm_ctx *c, const arm_req *q, arm_res *r, const char *action, arm_resp *out) {
  if (strcmp(q->method, "POST") != 0) return -1;
  if (strcasecmp(action, "listClusterUserCredential") == 0) { creds(c, q, r, false, "clusterUser", out); return 0; }
  if (strcasecmp(action, "listClusterAdminCredential") == 0) { creds(c, q, r, true, "clusterAdmin", out); return 0; }
  if (strcasecmp(action, "listClusterMonitoringUserCredential") == 0) { creds(c, q, r, false, "clusterMonitoringUser", out); return 0; }
  if (strcasecmp(action, "stop") == 0 || strcasecmp(action, "start") == 0) {
    if (busy_409(r, out)) return 0;
    bool stop = strcasecmp(action, "stop") == 0;
    arm_set_state(r, stop ? "Stopping" : "Starting");
    arm_op *op = rt_action_op(c, q, r, stop ? "Stopping" : "Starting", power_done, true, out);
    if (op) snprintf(op->arg, sizeof op->arg, "%s", stop ? "Stopped" : "Running");
    return 0;
  }
  if (strcasecmp(action, "abort") == 0) {
    arm_op *op = r->busy_op[0] ? arm_lro_get(c->lro, r->busy_op) : NULL;
    if (!op || op->kind == ARM_OPK_DELETE) {
      arm_resp_error(out, 409, "OperationNotAllowed", "There is no running operation on managed cluster %s to abort.",
                     arm_id_name(r->id));
      return 0;
    }
    arm_lro_finish(c, op, ARM_OP_CANCELED);
    out->status = 204;
    return 0;
  }
  if (strcasecmp(action, "rotateClusterCertificates") == 0) {
    if (busy_409(r, out)) return 0;
    rt_action_op(c, q, r, "Updating", NULL, true, out);
    return 0;
  }
  return -1;
}

const arm_rtype rt_managed_cluster = {
    .type = "Microsoft.ContainerService/managedClusters",
    .lro = ARM_LRO_AKS,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS | ARM_RT_ETAG_UPPER,
    .immutable = mc_immutable,
    .create_state = "Creating",
    .validate = mc_validate,
    .fill = mc_fill,
    .on_ready = mc_ready,
    .on_delete = mc_on_delete,
    .action = mc_action,
};

/* ---------------------------------------------------------------- agentPools */

static const char *const ap_immutable[] = {"/properties/vmSize", "/properties/osType", "/properties/vnetSubnetID",
                                           "/properties/podSubnetID", "/properties/availabilityZones",
                                           "/properties/osDiskSizeGB", "/properties/maxPods", "/properties/scaleSetPriority",
                                           "/properties/enableNodePublicIP", NULL};

static int ap_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  char cid[ARM_ID_MAX];
  arm_id_parent(id, cid, sizeof cid);
  arm_res *cl = arm_store_get(c->store, cid);
  const char *cv = cl ? capz_json_ptr_str(cl->doc, "/properties/currentKubernetesVersion", NULL) : NULL;
  cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "properties");
  if (!cJSON_IsObject(p)) p = arm_props(doc);
  if (check_pool(c, arm_id_name(id), p, cv, e)) return -1;
  /* an existing pool moves up one minor version at a time, never down */
  const char *ov = arm_jstr(p, "orchestratorVersion");
  const char *now = old ? capz_json_ptr_str(old->doc, "/properties/currentOrchestratorVersion", NULL) : NULL;
  char want[32];
  if (now && ov && *ov && resolve_version(c, ov, want, sizeof want) && strcmp(want, now) != 0) {
    int a1 = 0, a2 = 0, b1 = 0, b2 = 0;
    sscanf(now, "%d.%d", &a1, &a2);
    sscanf(want, "%d.%d", &b1, &b2);
    if (vcmp(want, now) < 0 || b1 != a1 || b2 > a2 + 1)
      return arm_err_set(e, 400, "AgentPoolUpgradeVersionNotAllowed",
                         "Upgrade agent pool version from %s to %s is not allowed, you can only upgrade one minor version "
                         "at a time. Please use [az aks get-upgrades] command to get the supported upgrade versions.",
                         now, want);
  }
  return 0;
}

static int ap_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)e;
  char cid[ARM_ID_MAX];
  arm_id_parent(r->id, cid, sizeof cid);
  arm_res *cl = arm_store_get(c->store, cid);
  cJSON *p = arm_props(r->doc);
  rt_default(r->doc, "count", cJSON_CreateNumber(1));
  if (old && capz_json_ptr_int(old, "/properties/count", -1) != capz_json_ptr_int(r->doc, "/properties/count", -1))
    arm_set_state(r, "Scaling");
  rt_default(r->doc, "vmSize", cJSON_CreateString("Standard_DS2_v2"));
  rt_default(r->doc, "osType", cJSON_CreateString("Linux"));
  rt_default(r->doc, "osSKU", cJSON_CreateString("Ubuntu"));
  rt_default(r->doc, "type", cJSON_CreateString("VirtualMachineScaleSets"));
  rt_default(r->doc, "osDiskSizeGB", cJSON_CreateNumber(128));
  rt_default(r->doc, "osDiskType", cJSON_CreateString("Managed"));
  rt_default(r->doc, "kubeletDiskType", cJSON_CreateString("OS"));
  rt_default(r->doc, "enableNodePublicIP", cJSON_CreateFalse());
  rt_default(r->doc, "enableFIPS", cJSON_CreateFalse());
  rt_default(r->doc, "scaleDownMode", cJSON_CreateString("Delete"));
  rt_default(r->doc, "enableAutoScaling", cJSON_CreateFalse());
  bool azure_cni = cl && arm_ieq(capz_json_ptr_str(cl->doc, "/properties/networkProfile/networkPlugin", ""), "azure") &&
                   !arm_ieq(capz_json_ptr_str(cl->doc, "/properties/networkProfile/networkPluginMode", ""), "overlay");
  rt_default(r->doc, "maxPods", cJSON_CreateNumber(azure_cni ? 30 : 110));
  cJSON *us = cJSON_CreateObject();
  cJSON_AddStringToObject(us, "maxSurge", "10%");
  rt_default(r->doc, "upgradeSettings", us);
  if (!arm_jstr(p, "mode")) {
    /* the first pool of a cluster is its system pool */
    bool other = false;
    size_t kl = strlen(cid);
    for (arm_res *x = arm_store_first_of(c->store, r->rt); x; x = x->tnext)
      other |= x != r && strncasecmp(x->id, cid, kl) == 0;
    cJSON_AddStringToObject(p, "mode", other ? "User" : "System");
  }
  char ver[32];
  const char *cv = cl ? capz_json_ptr_str(cl->doc, "/properties/currentKubernetesVersion", c->cfg.aks_default_version)
                      : c->cfg.aks_default_version;
  const char *want = arm_jstr(p, "orchestratorVersion");
  const char *was = old ? capz_json_ptr_str(old, "/properties/currentOrchestratorVersion", NULL) : NULL;
  if (want && *want && resolve_version(c, want, ver, sizeof ver)) {
    /* as asked */
  } else if (was) { /* an update without a version keeps the pool's (no silent upgrade with the control plane) */
    snprintf(ver, sizeof ver, "%s", was);
    arm_jset(p, "orchestratorVersion", cJSON_CreateString(capz_json_ptr_str(old, "/properties/orchestratorVersion", was)));
  } else { /* a new pool starts at the control plane's version */
    snprintf(ver, sizeof ver, "%s", cv);
    arm_jset(p, "orchestratorVersion", cJSON_CreateString(ver));
  }
  if (was && strcmp(was, ver) != 0) arm_set_state(r, "Upgrading");
  arm_jset(p, "currentOrchestratorVersion", cJSON_CreateString(ver));
  rt_keep(r->doc, old, "/properties/nodeImageVersion");
  rt_default(r->doc, "nodeImageVersion", cJSON_CreateString("AKSUbuntu-2204gen2containerd-202511.01.0"));
  cJSON *ps = cJSON_CreateObject();
  cJSON_AddStringToObject(ps, "code", "Running");
  rt_default(r->doc, "powerState", ps);
  return 0;
}

static void ap_ready(arm_ctx *c, arm_res *r) { pool_sync(c, r); }

static void ap_on_delete(arm_ctx *c, arm_res *r) {
  char cid[ARM_ID_MAX], id[ARM_ID_MAX];
  cluster_of_pool(r, cid, sizeof cid);
  arm_res *cl = arm_store_get(c->store, cid);
  if (!cl) return;
  vmss_id(cl, arm_id_name(r->id), id, sizeof id);
  arm_res *ss = arm_store_get(c->store, id);
  if (ss) arm_engine_delete_tree(c, ss);
}

static int ap_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  if (c->deleting_root && strcmp(c->deleting_root, r->key) != 0) return 0; /* the whole cluster goes */
  if (!arm_ieq(capz_json_ptr_str(r->doc, "/properties/mode", "User"), "System")) return 0;
  char cid[ARM_ID_MAX];
  arm_id_parent(r->id, cid, sizeof cid);
  size_t kl = strlen(cid);
  for (arm_res *x = arm_store_first_of(c->store, r->rt); x; x = x->tnext)
    if (x != r && strncasecmp(x->id, cid, kl) == 0 && x->id[kl] == '/' &&
        arm_ieq(capz_json_ptr_str(x->doc, "/properties/mode", ""), "System"))
      return 0;
  return arm_err_set(e, 400, "OperationNotAllowed",
                     "Cannot delete agent pool %s: there has to be at least one system agent pool.", arm_id_name(r->id));
}

static void delete_machines_done(arm_ctx *c, arm_op *op, int final) {
  arm_res *pool = arm_store_get(c->store, op->res_key);
  if (!pool) return;
  arm_set_state(pool, final == ARM_OP_SUCCEEDED ? "Succeeded" : "Failed");
  if (final != ARM_OP_SUCCEEDED) return;
  int removed = 0;
  const cJSON *k;
  cJSON_ArrayForEach(k, op->argj) {
    arm_res *x = arm_store_get(c->store, k->valuestring);
    if (x) { arm_engine_delete_tree(c, x); removed++; }
  }
  cJSON *cnt = capz_json_ptr_get(pool->doc, "/properties/count");
  if (cJSON_IsNumber(cnt)) cJSON_SetNumberValue(cnt, cnt->valuedouble - removed < 0 ? 0 : cnt->valuedouble - removed);
}

static int ap_action(arm_ctx *c, const arm_req *q, arm_res *r, const char *action, arm_resp *out) {
  if (strcmp(q->method, "POST") != 0) return -1;
  char cid[ARM_ID_MAX], ssid[ARM_ID_MAX];
  arm_id_parent(r->id, cid, sizeof cid);
  arm_res *cl = arm_store_get(c->store, cid);
  if (!cl) return -1;
  if (r->busy_op[0] || cl->busy_op[0]) {
    arm_resp_error(out, 409, "OperationNotAllowed",
                   "Operation is not allowed: Another agentpool operation (%s - %s) is in progress, please wait for it to "
                   "finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details",
                   arm_id_name(r->id), r->busy_what[0] ? r->busy_what : cl->busy_what);
    return 0;
  }
  if (strcasecmp(action, "deleteMachines") == 0) {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(q->json, "machineNames");
    if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) == 0) {
      arm_resp_error(out, 400, "InvalidParameter", "machineNames must list at least one machine.");
      return 0;
    }
    vmss_id(cl, arm_id_name(r->id), ssid, sizeof ssid);
    cJSON *keys = cJSON_CreateArray();
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
      arm_res *found = NULL;
      size_t sl = strlen(ssid);
      for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find("Microsoft.Compute/virtualMachineScaleSets/virtualMachines")); x && !found; x = x->tnext)
        if (strncasecmp(x->id, ssid, sl) == 0 && cJSON_IsString(n) &&
            arm_ieq(capz_json_ptr_str(x->doc, "/properties/osProfile/computerName", ""), n->valuestring))
          found = x;
      if (!found) {
        cJSON_Delete(keys);
        arm_resp_error(out, 400, "InvalidParameter", "Machine %s was not found in agent pool %s.",
                       cJSON_IsString(n) ? n->valuestring : "?", arm_id_name(r->id));
        return 0;
      }
      cJSON_AddItemToArray(keys, cJSON_CreateString(found->key));
    }
    arm_set_state(r, "Deleting");
    arm_op *op = rt_action_op(c, q, r, "Deleting", delete_machines_done, true, out);
    if (op) {
      op->argj = keys;
      arm_lro_hold(c, op, cl);
    } else {
      cJSON_Delete(keys);
    }
    return 0;
  }
  if (strcasecmp(action, "upgradeNodeImageVersion") == 0) {
    arm_set_state(r, "UpgradingNodeImageVersion");
    arm_op *op = rt_action_op(c, q, r, "Upgrading", power_done, true, out);
    if (op) snprintf(op->arg, sizeof op->arg, "Running");
    return 0;
  }
  return -1;
}

const arm_rtype rt_agent_pool = {
    .type = POOL_TYPE,
    .lro = ARM_LRO_AKS,
    .flags = ARM_RT_ETAG_HEADERS | ARM_RT_ETAG_UPPER | ARM_RT_EMBED_FLAT | ARM_RT_EMBED_KEEP,
    .embed_member = "agentPoolProfiles",
    .immutable = ap_immutable,
    .create_state = "Creating",
    .validate = ap_validate,
    .fill = ap_fill,
    .on_ready = ap_ready,
    .can_delete = ap_can_delete,
    .on_delete = ap_on_delete,
    .action = ap_action,
};
