/* names.c — Azure resource names CAPZ derives from the cluster/VM names, and Azure's naming rules. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

static const char *const name_formats[SM_NAME__COUNT] = {
    [SM_NAME_VNET] = "%s-vnet",
    [SM_NAME_CONTROLPLANE_SUBNET] = "%s-controlplane-subnet",
    [SM_NAME_NODE_SUBNET] = "%s-node-subnet",
    [SM_NAME_CLUSTER_SUBNET] = "%s-subnet",
    [SM_NAME_POD_SUBNET] = "%s-pod-subnet",
    [SM_NAME_CONTROLPLANE_NSG] = "%s-controlplane-nsg",
    [SM_NAME_NODE_NSG] = "%s-node-nsg",
    [SM_NAME_CLUSTER_NSG] = "%s-nsg",
    [SM_NAME_NODE_ROUTETABLE] = "%s-node-routetable",
    [SM_NAME_CLUSTER_ROUTETABLE] = "%s-routetable",
    [SM_NAME_NODE_NATGW] = "%s-node-natgw",
    [SM_NAME_CLUSTER_NATGW] = "%s-natgw",
    [SM_NAME_PUBLIC_LB] = "%s-public-lb",
    [SM_NAME_INTERNAL_LB] = "%s-internal-lb",
    [SM_NAME_NODE_OUTBOUND_LB] = "%s",
    [SM_NAME_CONTROLPLANE_OUTBOUND_LB] = "%s-outbound-lb",
    [SM_NAME_APISERVER_PIP] = "pip-%s-apiserver",
    [SM_NAME_NODE_OUTBOUND_PIP] = "pip-%s-node-outbound",
    [SM_NAME_CONTROLPLANE_OUTBOUND_PIP] = "pip-%s-controlplane-outbound",
    [SM_NAME_BASTION] = "%s-azure-bastion",
    [SM_NAME_BASTION_PIP] = "%s-azure-bastion-pip",
    [SM_NAME_PRIVATE_DNS_ZONE] = "%s.capz.io",
    [SM_NAME_OWNED_TAG_KEY] = SM_TAG_OWNED_PREFIX "%s",
    [SM_NAME_CLOUD_PROVIDER_TAG_KEY] = "kubernetes.io_cluster_%s",
    [SM_NAME_LB_FRONTEND] = "%s-frontEnd",
    [SM_NAME_LB_FRONTEND_INTERNAL] = "%s-frontEnd-internal-ip",
    [SM_NAME_LB_BACKEND_POOL] = "%s-backendPool",
    [SM_NAME_LB_OUTBOUND_POOL] = "%s-outboundBackendPool",
    [SM_NAME_LB_INTERNAL_API] = "%s-internal",
    [SM_NAME_NATGW_PIP] = "pip-%s",
    [SM_NAME_VM_PUBLIC_IP] = "pip-%s",
    [SM_NAME_VM_OS_DISK] = "%s_OSDisk",
    [SM_NAME_VNET_LINK] = "%s-link",
    [SM_NAME_PRIVATE_FQDN] = "apiserver.%s",
};

static int fit(int len, char *buf, size_t n) {
  if (len < 0 || (size_t)len >= n) {
    if (n) buf[0] = '\0';
    return CAPZ_EINVAL;
  }
  return 0;
}

int sm_name(sm_name_kind kind, const char *base, char *buf, size_t n) {
  if (!buf || !n) return CAPZ_EINVAL;
  buf[0] = '\0';
  if ((int)kind < 0 || kind >= SM_NAME__COUNT || !name_formats[kind] || !base || !*base) return CAPZ_EINVAL;
  return fit(snprintf(buf, n, name_formats[kind], base), buf, n);
}

int sm_name_indexed(const char *base, int i, char *buf, size_t n) {
  if (!buf || !n || !base || !*base) return CAPZ_EINVAL;
  return fit(snprintf(buf, n, "%s-%d", base, i), buf, n);
}

int sm_name_nic(const char *vm, bool multi_nic, int index, char *buf, size_t n) {
  if (!buf || !n || !vm || !*vm) return CAPZ_EINVAL;
  return fit(multi_nic ? snprintf(buf, n, "%s-nic-%d", vm, index) : snprintf(buf, n, "%s-nic", vm), buf, n);
}

int sm_name_data_disk(const char *vm, const char *suffix, char *buf, size_t n) {
  if (!buf || !n || !vm || !*vm || !suffix || !*suffix) return CAPZ_EINVAL;
  return fit(snprintf(buf, n, "%s_%s", vm, suffix), buf, n);
}

int sm_name_vnet_peering(const char *src, const char *remote, char *buf, size_t n) {
  if (!buf || !n || !src || !*src || !remote || !*remote) return CAPZ_EINVAL;
  return fit(snprintf(buf, n, "%s-To-%s", src, remote), buf, n);
}

int sm_name_availability_set(const char *cluster, const char *group, char *buf, size_t n) {
  if (!buf || !n || !cluster || !*cluster || !group || !*group) return CAPZ_EINVAL;
  return fit(snprintf(buf, n, "%s_%s-as", cluster, group), buf, n);
}

uint32_t sm_fnv32a(const char *s) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    h ^= *p;
    h *= 16777619u;
  }
  return h;
}

const char *sm_cloud_dns_suffix(const char *env) {
  if (!env || !*env || strcmp(env, "AzurePublicCloud") == 0) return "cloudapp.azure.com";
  if (strcmp(env, "AzureChinaCloud") == 0) return "cloudapp.chinacloudapi.cn";
  if (strcmp(env, "AzureUSGovernmentCloud") == 0) return "cloudapp.usgovcloudapi.net";
  if (strcmp(env, "AzureGermanCloud") == 0) return "cloudapp.microsoftazure.de";
  return NULL;
}

int sm_apiserver_fqdn(const char *cluster, const char *sub, const char *rg, const char *pip, const char *location,
                      const char *env, char *buf, size_t n) {
  if (!buf || !n) return CAPZ_EINVAL;
  buf[0] = '\0';
  const char *suffix = sm_cloud_dns_suffix(env);
  if (!cluster || !*cluster || !pip || !*pip || !location || !*location || !suffix) return CAPZ_EINVAL;
  char key[1024];
  snprintf(key, sizeof key, "%s/%s/%s", sub ? sub : "", rg ? rg : "", pip);
  if (fit(snprintf(buf, n, "%s-%x.%s.%s", cluster, sm_fnv32a(key), location, suffix), buf, n)) return CAPZ_EINVAL;
  for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
  return 0;
}

/* ---- Azure naming rules (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules) ---- */

static bool word_char(int c) { return isalnum(c) || c == '_'; }

const char *sm_azure_name_problem(sm_azure_resource kind, const char *name) {
  size_t len = name ? strlen(name) : 0;
  size_t min = 1, max = 80;
  if (kind == SM_RES_VNET || kind == SM_RES_PRIVATE_ENDPOINT) min = 2, max = 64;
  if (kind == SM_RES_RESOURCE_GROUP) max = 90;
  if (len < min || len > max) {
    switch (kind) {
    case SM_RES_VNET:
    case SM_RES_PRIVATE_ENDPOINT: return "must be 2 to 64 characters long";
    case SM_RES_RESOURCE_GROUP: return "must be 1 to 90 characters long";
    default: return "must be 1 to 80 characters long";
    }
  }
  if (kind == SM_RES_RESOURCE_GROUP) {
    for (const char *p = name; *p; p++)
      if (!word_char((unsigned char)*p) && !strchr("-.()", *p))
        return "can contain only alphanumerics, underscores, periods, hyphens and parentheses";
    return name[len - 1] == '.' ? "cannot end with a period" : NULL;
  }
  for (const char *p = name; *p; p++)
    if (!word_char((unsigned char)*p) && *p != '.' && *p != '-')
      return "can contain only alphanumerics, underscores, periods and hyphens";
  if (!isalnum((unsigned char)name[0])) return "must start with an alphanumeric character";
  if (!word_char((unsigned char)name[len - 1])) return "must end with an alphanumeric character or underscore";
  return NULL;
}
