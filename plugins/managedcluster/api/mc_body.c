/* mc_body.c — ARM request bodies for managedClusters and agentPools built from the AMCP / AMMP specs. The field
 * mapping follows what CAPZ puts into the ASO ManagedCluster / ManagedClustersAgentPool it generates. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"

/* Copy src[ptr] to dst[name] when present (deep copy). */
static void cp(cJSON *dst, const char *name, const cJSON *src, const char *ptr) {
  const cJSON *v = capz_json_ptr_get(src, ptr);
  if (v && !cJSON_IsNull(v)) cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

static cJSON *obj_of(cJSON *parent, const char *name) {
  cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, name);
  return o ? o : cJSON_AddObjectToObject(parent, name);
}

/* Drop an empty object member (nothing mapped into it). */
static void prune(cJSON *parent, const char *name) {
  cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, name);
  if (cJSON_IsObject(o) && !o->child) cJSON_DeleteItemFromObjectCaseSensitive(parent, name);
}

void mc_subnet_id(const cJSON *amcp, char *out, size_t n) {
  const char *sub = capz_json_ptr_str(amcp, "/spec/subscriptionID", "");
  const char *vnet = capz_json_ptr_str(amcp, "/spec/virtualNetwork/name", "");
  const char *sn = capz_json_ptr_str(amcp, "/spec/virtualNetwork/subnet/name", "");
  const char *rg = capz_json_ptr_str(amcp, "/spec/virtualNetwork/resourceGroup",
                                     capz_json_ptr_str(amcp, "/spec/resourceGroupName", ""));
  if (!*vnet || !*sn || !*sub || !*rg) {
    if (n) out[0] = '\0';
    return;
  }
  snprintf(out, n, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
           sub, rg, vnet, sn);
}

/* ---- base64 (CAPZ stores sshPublicKey base64-encoded) ---- */
static int b64v(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
static char *b64_decode(const char *in) {
  size_t l = strlen(in);
  char *o = malloc(l + 1);
  if (!o) return NULL;
  size_t k = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < l; i++) {
    if (in[i] == '=' || in[i] == '\n' || in[i] == '\r') continue;
    int v = b64v((unsigned char)in[i]);
    if (v < 0) {
      free(o);
      return NULL;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o[k++] = (char)((acc >> bits) & 0xff);
    }
  }
  o[k] = '\0';
  return o;
}

/* camelCase → kebab-case (AKS autoscaler profile keys). */
static void kebab(const char *in, char *out, size_t n) {
  size_t k = 0;
  for (; *in && k + 2 < n; in++) {
    if (isupper((unsigned char)*in)) {
      out[k++] = '-';
      out[k++] = (char)tolower((unsigned char)*in);
    } else {
      out[k++] = *in;
    }
  }
  out[k] = '\0';
}

/* Autoscaler profile: ARM wants kebab-case keys and string values. */
static cJSON *autoscaler_profile(const cJSON *p) {
  cJSON *o = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, p) {
    char k[96], v[64];
    kebab(it->string, k, sizeof k);
    if (cJSON_IsString(it)) cJSON_AddStringToObject(o, k, it->valuestring);
    else if (cJSON_IsBool(it)) cJSON_AddStringToObject(o, k, cJSON_IsTrue(it) ? "true" : "false");
    else if (cJSON_IsNumber(it)) {
      snprintf(v, sizeof v, "%g", it->valuedouble);
      cJSON_AddStringToObject(o, k, v);
    }
  }
  return o;
}

static void network_profile(cJSON *props, const cJSON *s, const cJSON *cluster) {
  cJSON *np = obj_of(props, "networkProfile");
  cp(np, "networkPlugin", s, "/networkPlugin");
  cp(np, "networkPluginMode", s, "/networkPluginMode");
  cp(np, "networkPolicy", s, "/networkPolicy");
  cp(np, "networkDataplane", s, "/networkDataplane");
  cp(np, "outboundType", s, "/outboundType");
  const char *lbsku = capz_json_ptr_str(s, "/loadBalancerSKU", NULL);
  if (lbsku) cJSON_AddStringToObject(np, "loadBalancerSku", strcmp(lbsku, "Basic") == 0 ? "basic" : "standard");
  const char *pods = capz_json_ptr_str(cluster, "/spec/clusterNetwork/pods/cidrBlocks/0", NULL);
  const char *svcs = capz_json_ptr_str(cluster, "/spec/clusterNetwork/services/cidrBlocks/0", NULL);
  if (pods) cJSON_AddStringToObject(np, "podCidr", pods);
  if (svcs) cJSON_AddStringToObject(np, "serviceCidr", svcs);
  const char *dns = capz_json_ptr_str(s, "/dnsServiceIP", NULL);
  if (dns) {
    cJSON_AddStringToObject(np, "dnsServiceIP", dns);
  } else if (svcs) { /* <service CIDR base>.10 */
    int a, b, c, d;
    if (sscanf(svcs, "%d.%d.%d.%d", &a, &b, &c, &d) == 4) {
      char ip[32];
      snprintf(ip, sizeof ip, "%d.%d.%d.10", a, b, c);
      cJSON_AddStringToObject(np, "dnsServiceIP", ip);
    }
  }
  const cJSON *lbp = capz_json_ptr_get(s, "/loadBalancerProfile");
  if (cJSON_IsObject(lbp)) {
    cJSON *o = cJSON_AddObjectToObject(np, "loadBalancerProfile");
    if (capz_json_ptr_get(lbp, "/managedOutboundIPs"))
      cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "managedOutboundIPs"), "count",
                              (double)capz_json_ptr_int(lbp, "/managedOutboundIPs", 1));
    static const char *const lists[][3] = {{"/outboundIPPrefixes", "outboundIPPrefixes", "publicIPPrefixes"},
                                           {"/outboundIPs", "outboundIPs", "publicIPs"}};
    for (int i = 0; i < 2; i++) {
      const cJSON *arr = capz_json_ptr_get(lbp, lists[i][0]), *x;
      if (!cJSON_IsArray(arr)) continue;
      cJSON *refs = cJSON_CreateArray();
      cJSON_ArrayForEach(x, arr) if (cJSON_IsString(x)) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", x->valuestring);
        cJSON_AddItemToArray(refs, r);
      }
      cJSON_AddItemToObject(cJSON_AddObjectToObject(o, lists[i][1]), lists[i][2], refs);
    }
    cp(o, "allocatedOutboundPorts", lbp, "/allocatedOutboundPorts");
    cp(o, "idleTimeoutInMinutes", lbp, "/idleTimeoutInMinutes");
  }
}

static void security_profile(cJSON *props, const cJSON *sp) {
  if (!cJSON_IsObject(sp)) return;
  cJSON *o = cJSON_AddObjectToObject(props, "securityProfile");
  const cJSON *kms = capz_json_ptr_get(sp, "/azureKeyVaultKms");
  if (kms) {
    cJSON *k = cJSON_AddObjectToObject(o, "azureKeyVaultKms");
    cp(k, "enabled", kms, "/enabled");
    cp(k, "keyId", kms, "/keyID");
    cp(k, "keyVaultNetworkAccess", kms, "/keyVaultNetworkAccess");
    cp(k, "keyVaultResourceId", kms, "/keyVaultResourceID");
  }
  const cJSON *def = capz_json_ptr_get(sp, "/defender");
  if (def) {
    cJSON *d = cJSON_AddObjectToObject(o, "defender");
    cp(d, "logAnalyticsWorkspaceResourceId", def, "/logAnalyticsWorkspaceResourceID");
    cp(d, "securityMonitoring", def, "/securityMonitoring");
  }
  cp(o, "imageCleaner", sp, "/imageCleaner");
  cp(o, "workloadIdentity", sp, "/workloadIdentity");
}

cJSON *mc_managedcluster_body(const cJSON *amcp, const cJSON *cluster, const cJSON *pools, capz_err *err) {
  const cJSON *s = capz_json_ptr_get(amcp, "/spec");
  cJSON *b = cJSON_CreateObject();
  if (!b) return NULL;
  cp(b, "location", s, "/location");
  cp(b, "tags", s, "/additionalTags");
  cJSON *sku = cJSON_AddObjectToObject(b, "sku");
  cJSON_AddStringToObject(sku, "name", "Base");
  cJSON_AddStringToObject(sku, "tier", capz_json_ptr_str(s, "/sku/tier", "Free"));
  cJSON *idn = cJSON_AddObjectToObject(b, "identity");
  const char *idt = capz_json_ptr_str(s, "/identity/type", "SystemAssigned");
  cJSON_AddStringToObject(idn, "type", idt);
  if (strcmp(idt, "UserAssigned") == 0) {
    cJSON *ua = cJSON_AddObjectToObject(idn, "userAssignedIdentities");
    cJSON_AddItemToObject(ua, capz_json_ptr_str(s, "/identity/userAssignedIdentityResourceID", ""),
                          cJSON_CreateObject());
  }
  cJSON *p = cJSON_AddObjectToObject(b, "properties");
  char ver[64];
  mc_version_plain(capz_json_ptr_str(s, "/version", ""), ver, sizeof ver);
  if (*ver) cJSON_AddStringToObject(p, "kubernetesVersion", ver);
  cp(p, "dnsPrefix", s, "/dnsPrefix");
  cJSON_AddBoolToObject(p, "enableRBAC", true);
  cp(p, "nodeResourceGroup", s, "/nodeResourceGroupName");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "servicePrincipalProfile"), "clientId", "msi");
  const char *ssh = capz_json_ptr_str(s, "/sshPublicKey", "");
  if (*ssh) {
    char *dec = strncmp(ssh, "ssh-", 4) == 0 ? NULL : b64_decode(ssh);
    cJSON *lp = cJSON_AddObjectToObject(p, "linuxProfile");
    cJSON_AddStringToObject(lp, "adminUsername", "azureuser");
    cJSON *key = cJSON_CreateObject();
    cJSON_AddStringToObject(key, "keyData", dec && strncmp(dec, "ssh-", 4) == 0 ? dec : ssh);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(lp, "ssh"), "publicKeys"), key);
    free(dec);
  }
  network_profile(p, s, cluster);
  const cJSON *aad = capz_json_ptr_get(s, "/aadProfile");
  if (cJSON_IsObject(aad)) {
    cJSON *a = cJSON_AddObjectToObject(p, "aadProfile");
    cp(a, "managed", aad, "/managed");
    cp(a, "adminGroupObjectIDs", aad, "/adminGroupObjectIDs");
  }
  const cJSON *addons = capz_json_ptr_get(s, "/addonProfiles"), *ad;
  if (cJSON_IsArray(addons) && cJSON_GetArraySize(addons) > 0) {
    cJSON *ap = cJSON_AddObjectToObject(p, "addonProfiles");
    cJSON_ArrayForEach(ad, addons) {
      const char *n = capz_json_ptr_str(ad, "/name", "");
      if (!*n) continue;
      cJSON *o = cJSON_AddObjectToObject(ap, n);
      cJSON_AddBoolToObject(o, "enabled", capz_json_ptr_bool(ad, "/enabled", false));
      cp(o, "config", ad, "/config");
    }
  }
  const cJSON *asp = capz_json_ptr_get(s, "/apiServerAccessProfile");
  if (cJSON_IsObject(asp)) {
    cJSON *o = cJSON_AddObjectToObject(p, "apiServerAccessProfile");
    cp(o, "authorizedIPRanges", asp, "/authorizedIPRanges");
    cp(o, "enablePrivateCluster", asp, "/enablePrivateCluster");
    cp(o, "privateDNSZone", asp, "/privateDNSZone");
    cp(o, "enablePrivateClusterPublicFQDN", asp, "/enablePrivateClusterPublicFQDN");
    prune(p, "apiServerAccessProfile");
  }
  const cJSON *asc = capz_json_ptr_get(s, "/autoscalerProfile");
  if (cJSON_IsObject(asc)) cJSON_AddItemToObject(p, "autoScalerProfile", autoscaler_profile(asc));
  const char *kid = capz_json_ptr_str(s, "/kubeletUserAssignedIdentity", "");
  if (*kid)
    cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "identityProfile"), "kubeletidentity"),
                            "resourceId", kid);
  const cJSON *hp = capz_json_ptr_get(s, "/httpProxyConfig");
  if (cJSON_IsObject(hp)) {
    cJSON *o = cJSON_AddObjectToObject(p, "httpProxyConfig");
    cp(o, "httpProxy", hp, "/httpProxy");
    cp(o, "httpsProxy", hp, "/httpsProxy");
    cp(o, "noProxy", hp, "/noProxy");
    cp(o, "trustedCa", hp, "/trustedCa");
  }
  cp(p, "oidcIssuerProfile", s, "/oidcIssuerProfile");
  cp(p, "disableLocalAccounts", s, "/disableLocalAccounts");
  cp(p, "autoUpgradeProfile", s, "/autoUpgradeProfile");
  security_profile(p, capz_json_ptr_get(s, "/securityProfile"));
  if (cJSON_IsArray(pools) && cJSON_GetArraySize(pools) > 0)
    cJSON_AddItemToObject(p, "agentPoolProfiles", cJSON_Duplicate(pools, 1));
  if (mc_aso_patches_apply(b, capz_json_ptr_get(s, "/asoManagedClusterPatches"), MC_ASO_MANAGED_CLUSTER, err)) {
    cJSON_Delete(b);
    return NULL;
  }
  return b;
}

cJSON *mc_agentpool_properties(const cJSON *ammp, long replicas, const char *version, const char *subnet_id) {
  const cJSON *s = capz_json_ptr_get(ammp, "/spec");
  cJSON *p = cJSON_CreateObject();
  if (!p) return NULL;
  const cJSON *sc = capz_json_ptr_get(s, "/scaling");
  long count = replicas < 0 ? 1 : replicas;
  if (cJSON_IsObject(sc)) { /* AKS refuses a count outside [min, max] */
    long mn = (long)capz_json_ptr_int(sc, "/minSize", 0), mx = (long)capz_json_ptr_int(sc, "/maxSize", 0);
    if (count < mn) count = mn;
    if (count > mx) count = mx;
  }
  cJSON_AddNumberToObject(p, "count", (double)count);
  cp(p, "vmSize", s, "/sku");
  cp(p, "mode", s, "/mode");
  cJSON_AddStringToObject(p, "osType", capz_json_ptr_str(s, "/osType", "Linux"));
  cJSON_AddStringToObject(p, "type", "VirtualMachineScaleSets");
  char ver[64];
  mc_version_plain(version, ver, sizeof ver);
  if (*ver) cJSON_AddStringToObject(p, "orchestratorVersion", ver);
  cp(p, "availabilityZones", s, "/availabilityZones");
  cp(p, "nodeLabels", s, "/nodeLabels");
  const cJSON *t;
  const cJSON *taints = capz_json_ptr_get(s, "/taints");
  if (cJSON_IsArray(taints) && cJSON_GetArraySize(taints) > 0) {
    cJSON *arr = cJSON_AddArrayToObject(p, "nodeTaints");
    cJSON_ArrayForEach(t, taints) {
      char b[512];
      snprintf(b, sizeof b, "%s=%s:%s", capz_json_ptr_str(t, "/key", ""), capz_json_ptr_str(t, "/value", ""),
               capz_json_ptr_str(t, "/effect", ""));
      cJSON_AddItemToArray(arr, cJSON_CreateString(b));
    }
  }
  cJSON_AddBoolToObject(p, "enableAutoScaling", cJSON_IsObject(sc));
  if (cJSON_IsObject(sc)) {
    cp(p, "minCount", sc, "/minSize");
    cp(p, "maxCount", sc, "/maxSize");
  }
  cp(p, "maxPods", s, "/maxPods");
  cp(p, "osDiskSizeGB", s, "/osDiskSizeGB");
  cp(p, "osDiskType", s, "/osDiskType");
  cp(p, "enableUltraSSD", s, "/enableUltraSSD");
  cp(p, "enableNodePublicIP", s, "/enableNodePublicIP");
  cp(p, "nodePublicIPPrefixID", s, "/nodePublicIPPrefixID");
  cp(p, "scaleSetPriority", s, "/scaleSetPriority");
  cp(p, "scaleDownMode", s, "/scaleDownMode");
  const char *spot = capz_json_ptr_str(s, "/spotMaxPrice", NULL);
  if (spot) cJSON_AddNumberToObject(p, "spotMaxPrice", strtod(spot, NULL));
  else cp(p, "spotMaxPrice", s, "/spotMaxPrice");
  cp(p, "kubeletConfig", s, "/kubeletConfig");
  cp(p, "kubeletDiskType", s, "/kubeletDiskType");
  cp(p, "linuxOSConfig", s, "/linuxOSConfig");
  cp(p, "enableFIPS", s, "/enableFIPS");
  cp(p, "enableEncryptionAtHost", s, "/enableEncryptionAtHost");
  cp(p, "tags", s, "/additionalTags");
  if (subnet_id && *subnet_id) {
    const char *sn = capz_json_ptr_str(s, "/subnetName", NULL);
    if (sn && *sn) { /* another subnet of the same VNet */
      char id[700];
      snprintf(id, sizeof id, "%s", subnet_id);
      char *slash = strrchr(id, '/');
      if (slash) snprintf(slash + 1, sizeof id - (size_t)(slash + 1 - id), "%s", sn);
      cJSON_AddStringToObject(p, "vnetSubnetID", id);
    } else {
      cJSON_AddStringToObject(p, "vnetSubnetID", subnet_id);
    }
  }
  return p;
}

cJSON *mc_agentpool_body(const cJSON *ammp, long replicas, const char *version, const char *subnet_id,
                         capz_err *err) {
  cJSON *b = cJSON_CreateObject();
  if (!b) return NULL;
  cJSON_AddItemToObject(b, "properties", mc_agentpool_properties(ammp, replicas, version, subnet_id));
  if (mc_aso_patches_apply(b, capz_json_ptr_get(ammp, "/spec/asoManagedClustersAgentPoolPatches"),
                           MC_ASO_AGENT_POOL, err)) {
    cJSON_Delete(b);
    return NULL;
  }
  return b;
}
