/* azure_json.c — the cloud provider's `<name>-azure-json` Secret for an AzureMachine or AzureMachineTemplate of a
 * cluster whose infrastructure is an AzureCluster (CAPZ's AzureJSONMachine / AzureJSONTemplate controllers).
 *
 * Keys control-plane-azure.json, worker-node-azure.json and azure.json (= the control-plane copy), each the
 * cloud-provider-azure config CAPZ writes: cloud, tenantId, subscriptionId, aadClientId/aadClientSecret (only with
 * a ServicePrincipal identity and no VM identity), resourceGroup, securityGroupName/ResourceGroup, location,
 * vmType vmss, vnetName/ResourceGroup, subnetName and routeTableName (the first node subnet), loadBalancerSku
 * Standard, loadBalancerName (the node outbound LB), maximumLoadBalancerRuleCount 250, useManagedIdentityExtension
 * (System/UserAssigned VM identity), useInstanceMetadata, userAssignedIdentityID (the first user-assigned
 * identity's client ID, read once from Azure and remembered in an annotation), and the rate-limit / back-off
 * overrides of spec.cloudProviderConfigOverrides.
 *
 * The Secret carries the controller owner reference and the label `<clusterName>: owned` (plus
 * cluster.x-k8s.io/cluster-name so the plugin's Secret cache holds it: no GET while it is unchanged). A Secret of the
 * same name without the owned label is the user's and is left alone. Rewritten only when its content or owner
 * changes. The client secret is never logged and wiped from memory after use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "capz/json.h"
#include "sm_plugin.h"

#define ANN_UAI "azure-json.capz-c.x-k8s.io/user-assigned-identity"
#define ANN_UAI_CLIENT "azure-json.capz-c.x-k8s.io/user-assigned-identity-client-id"
/* the same keys inside JSON pointers ("/" escaped as "~1") */
#define PTR_UAI "/metadata/annotations/azure-json.capz-c.x-k8s.io~1user-assigned-identity"
#define PTR_UAI_CLIENT "/metadata/annotations/azure-json.capz-c.x-k8s.io~1user-assigned-identity-client-id"

static const char *S(const cJSON *o, const char *p) { return capz_json_ptr_str(o, p, ""); }

static void wipe_str(cJSON *s) {
  if (cJSON_IsString(s) && s->valuestring) OPENSSL_cleanse(s->valuestring, strlen(s->valuestring));
}

static char *b64(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  if (out) EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  return out;
}

/* A resource.Quantity as a number ("1.5", 2, "500m"). */
static double quantity(const cJSON *q) {
  if (cJSON_IsNumber(q)) return q->valuedouble;
  if (!cJSON_IsString(q)) return 0;
  char *end = NULL;
  double v = strtod(q->valuestring, &end);
  if (end && *end == 'm') v /= 1000.0;
  return v;
}

/* cloud-provider-azure's rate-limit fields (zero values omitted, as Go's omitempty). */
static void rate_limit(cJSON *into, const cJSON *c) {
  if (capz_json_ptr_bool(c, "/cloudProviderRateLimit", false)) cJSON_AddBoolToObject(into, "cloudProviderRateLimit", true);
  double qps = quantity(cJSON_GetObjectItem(c, "cloudProviderRateLimitQPS"));
  if (qps != 0) cJSON_AddNumberToObject(into, "cloudProviderRateLimitQPS", qps);
  long b = (long)capz_json_ptr_int(c, "/cloudProviderRateLimitBucket", 0);
  if (b) cJSON_AddNumberToObject(into, "cloudProviderRateLimitBucket", (double)b);
  qps = quantity(cJSON_GetObjectItem(c, "cloudProviderRateLimitQPSWrite"));
  if (qps != 0) cJSON_AddNumberToObject(into, "cloudProviderRateLimitQPSWrite", qps);
  b = (long)capz_json_ptr_int(c, "/cloudProviderRateLimitBucketWrite", 0);
  if (b) cJSON_AddNumberToObject(into, "cloudProviderRateLimitBucketWrite", (double)b);
}

static void overrides(cJSON *cfg, const cJSON *ov) {
  const cJSON *rl;
  cJSON_ArrayForEach(rl, cJSON_GetObjectItem(ov, "rateLimits")) {
    const char *name = S(rl, "/name");
    const cJSON *c = cJSON_GetObjectItem(rl, "config");
    if (!strcmp(name, "defaultRateLimit")) rate_limit(cfg, c);
    else if (*name && !cJSON_GetObjectItem(cfg, name)) rate_limit(cJSON_AddObjectToObject(cfg, name), c);
  }
  const cJSON *bo = cJSON_GetObjectItem(ov, "backOffs");
  if (capz_json_ptr_bool(bo, "/cloudProviderBackoff", false)) cJSON_AddBoolToObject(cfg, "cloudProviderBackoff", true);
  long v = (long)capz_json_ptr_int(bo, "/cloudProviderBackoffRetries", 0);
  if (v) cJSON_AddNumberToObject(cfg, "cloudProviderBackoffRetries", (double)v);
  double x = quantity(cJSON_GetObjectItem(bo, "cloudProviderBackoffExponent"));
  if (x != 0) cJSON_AddNumberToObject(cfg, "cloudProviderBackoffExponent", x);
  v = (long)capz_json_ptr_int(bo, "/cloudProviderBackoffDuration", 0);
  if (v) cJSON_AddNumberToObject(cfg, "cloudProviderBackoffDuration", (double)v);
  x = quantity(cJSON_GetObjectItem(bo, "cloudProviderBackoffJitter"));
  if (x != 0) cJSON_AddNumberToObject(cfg, "cloudProviderBackoffJitter", x);
}

static const cJSON *node_subnet(const cJSON *acd) {
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(acd, "/spec/networkSpec/subnets"))
    if (!strcmp(S(sn, "/role"), "node")) return sn;
  return NULL;
}

typedef struct aj_identity {
  char tenant[64], client[64];
  cJSON *secret; /* string node holding the client secret (wiped + freed), or NULL */
} aj_identity;

/* Tenant and client of the AzureCluster's identity; the client secret only for ServicePrincipal identities. */
static int read_identity(const sm_azure_json_in *in, aj_identity *id, capz_err *err) {
  const char *name = S(in->acd, "/spec/identityRef/name");
  if (!*name) return 0; /* the plugin's default identity: nothing to copy */
  const char *ns = *S(in->acd, "/spec/identityRef/namespace") ? S(in->acd, "/spec/identityRef/namespace") : in->ns;
  cJSON *aci = capz_ctx_cache_copy(in->ctx, &SM_GVK_IDENTITY, ns, name);
  int rc = 0;
  if (!aci && (rc = capz_kube_get(capz_ctx_client(in->ctx), &SM_GVK_IDENTITY, ns, name, &aci, err))) return rc;
  snprintf(id->tenant, sizeof id->tenant, "%s", S(aci, "/spec/tenantID"));
  snprintf(id->client, sizeof id->client, "%s", S(aci, "/spec/clientID"));
  const char *type = S(aci, "/spec/type");
  if (!strcmp(type, "ServicePrincipal") || !strcmp(type, "ManualServicePrincipal")) {
    const char *sname = S(aci, "/spec/clientSecret/name");
    const char *sns = *S(aci, "/spec/clientSecret/namespace") ? S(aci, "/spec/clientSecret/namespace") : ns;
    unsigned char *v = NULL;
    size_t len = 0;
    rc = capz_secret_value(capz_ctx_client(in->ctx), sns, sname, "clientSecret", &v, &len, err);
    if (!rc) {
      id->secret = cJSON_CreateString((const char *)v);
      OPENSSL_cleanse(v, len);
      if (!id->secret) rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    }
    free(v);
  }
  cJSON_Delete(aci);
  return rc;
}

/* The client ID of the first user-assigned identity: remembered on the existing Secret, else one GET. */
static int uai_client_id(const sm_azure_json_in *in, const cJSON *existing, const char *provider_id, char *out,
                         size_t n, capz_err *err) {
  const char *id = !strncmp(provider_id, "azure://", 8) ? provider_id + 8 : provider_id;
  if (!strcmp(S(existing, PTR_UAI), provider_id) &&
      *S(existing, PTR_UAI_CLIENT)) {
    snprintf(out, n, "%s", S(existing, PTR_UAI_CLIENT));
    return 0;
  }
  capz_arm_response resp;
  int rc = capz_arm_get(in->arm, id, NULL, &resp, err);
  if (!rc) snprintf(out, n, "%s", S(resp.body, "/properties/clientId"));
  capz_arm_response_free(&resp);
  if (!rc && !*out) rc = capz_err_set(err, CAPZ_EINVAL, "user assigned identity %s has no clientId", id);
  return rc;
}

static cJSON *config(const sm_azure_json_in *in, const aj_identity *id, const char *vm_identity, const char *uai) {
  const cJSON *acd = in->acd, *sn = node_subnet(acd);
  const char *vrg = *S(acd, "/spec/networkSpec/vnet/resourceGroup") ? S(acd, "/spec/networkSpec/vnet/resourceGroup")
                                                                     : S(acd, "/spec/resourceGroup");
  bool mi = !strcmp(vm_identity, "SystemAssigned") || !strcmp(vm_identity, "UserAssigned");
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "cloud", *S(acd, "/spec/azureEnvironment") ? S(acd, "/spec/azureEnvironment") : "AzurePublicCloud");
  cJSON_AddStringToObject(c, "tenantId", id->tenant);
  cJSON_AddStringToObject(c, "subscriptionId", S(acd, "/spec/subscriptionID"));
  if (!mi && *id->client) cJSON_AddStringToObject(c, "aadClientId", id->client);
  if (!mi && id->secret) cJSON_AddStringToObject(c, "aadClientSecret", id->secret->valuestring);
  cJSON_AddStringToObject(c, "resourceGroup", S(acd, "/spec/resourceGroup"));
  cJSON_AddStringToObject(c, "securityGroupName", S(sn, "/securityGroup/name"));
  cJSON_AddStringToObject(c, "securityGroupResourceGroup", vrg);
  cJSON_AddStringToObject(c, "location", S(acd, "/spec/location"));
  cJSON_AddStringToObject(c, "vmType", "vmss");
  cJSON_AddStringToObject(c, "vnetName", S(acd, "/spec/networkSpec/vnet/name"));
  cJSON_AddStringToObject(c, "vnetResourceGroup", vrg);
  cJSON_AddStringToObject(c, "subnetName", S(sn, "/name"));
  cJSON_AddStringToObject(c, "routeTableName", S(sn, "/routeTable/name"));
  cJSON_AddStringToObject(c, "loadBalancerSku", "Standard");
  cJSON_AddStringToObject(c, "loadBalancerName", S(acd, "/spec/networkSpec/nodeOutboundLB/name"));
  cJSON_AddNumberToObject(c, "maximumLoadBalancerRuleCount", 250);
  cJSON_AddBoolToObject(c, "useManagedIdentityExtension", mi);
  cJSON_AddBoolToObject(c, "useInstanceMetadata", true);
  if (uai && *uai) cJSON_AddStringToObject(c, "userAssignedIdentityID", uai);
  overrides(c, capz_json_ptr_get(acd, "/spec/cloudProviderConfigOverrides"));
  return c;
}

static bool has_owner(const cJSON *sec, const char *uid) {
  const cJSON *o;
  cJSON_ArrayForEach(o, capz_json_ptr_get(sec, "/metadata/ownerReferences"))
    if (!strcmp(S(o, "/uid"), uid)) return true;
  return false;
}

int sm_azure_json_reconcile(const sm_azure_json_in *in, capz_err *err) {
  char name[CAPZ_NAME_MAX + 16];
  if (capz_fmt(name, sizeof name, "%s-azure-json", in->owner_name))
    return capz_err_set(err, CAPZ_EINVAL, "name too long for an azure-json Secret");
  cJSON *existing = capz_ctx_cache_copy(in->ctx, &SM_GVK_SECRET, in->ns, name);
  int rc = 0;
  if (!existing) {
    rc = capz_kube_get(capz_ctx_client(in->ctx), &SM_GVK_SECRET, in->ns, name, &existing, err);
    if (rc && rc != CAPZ_ENOTFOUND) return rc;
    rc = 0;
  }
  char label[CAPZ_NAME_MAX + 8];
  snprintf(label, sizeof label, "/metadata/labels/%s", in->cluster_name);
  if (existing && strcmp(S(existing, label), "owned")) { /* the user's own Secret */
    cJSON_Delete(existing);
    return 0;
  }
  const char *vmid = *S(in->machine_spec, "/identity") ? S(in->machine_spec, "/identity") : "None";
  const char *uai_pid = S(in->machine_spec, "/userAssignedIdentities/0/providerID");
  char uai[64] = "";
  aj_identity id = {0};
  cJSON *cfg = NULL, *sec = NULL;
  char *txt = NULL;
  if (!strcmp(vmid, "UserAssigned") && *uai_pid && (rc = uai_client_id(in, existing, uai_pid, uai, sizeof uai, err)))
    goto out;
  if ((rc = read_identity(in, &id, err))) goto out;
  cfg = config(in, &id, vmid, uai);
  txt = cfg ? cJSON_Print(cfg) : NULL;
  char *enc = txt ? b64(txt) : NULL;
  if (!enc) {
    rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    goto out;
  }
  /* control plane and worker configs are the same for VMs (CAPZ only tells them apart for VMSS pools) */
  bool same = existing && !strcmp(S(existing, "/data/control-plane-azure.json"), enc) &&
              !strcmp(S(existing, "/data/worker-node-azure.json"), enc) && !strcmp(S(existing, "/data/azure.json"), enc) &&
              has_owner(existing, in->owner_uid) &&
              !strcmp(S(existing, PTR_UAI), *uai ? uai_pid : "");
  if (same) {
    OPENSSL_cleanse(enc, strlen(enc));
    free(enc);
    goto out;
  }
  sec = cJSON_CreateObject();
  cJSON *md = cJSON_AddObjectToObject(sec, "metadata");
  cJSON_AddStringToObject(md, "name", name);
  cJSON *labels = cJSON_AddObjectToObject(md, "labels");
  cJSON_AddStringToObject(labels, in->cluster_name, "owned");
  cJSON_AddStringToObject(labels, SM_LABEL_CLUSTER_NAME, in->cluster_name);
  cJSON *ann = cJSON_AddObjectToObject(md, "annotations");
  if (*uai) {
    cJSON_AddStringToObject(ann, ANN_UAI, uai_pid);
    cJSON_AddStringToObject(ann, ANN_UAI_CLIENT, uai);
  } else if (existing) {
    cJSON_AddNullToObject(ann, ANN_UAI); /* merge patch: remove */
    cJSON_AddNullToObject(ann, ANN_UAI_CLIENT);
  }
  cJSON *owners = existing ? cJSON_Duplicate(capz_json_ptr_get(existing, "/metadata/ownerReferences"), 1) : NULL;
  if (!cJSON_IsArray(owners)) {
    cJSON_Delete(owners);
    owners = cJSON_CreateArray();
  }
  if (!has_owner(existing, in->owner_uid)) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", SM_GROUP "/v1beta1");
    cJSON_AddStringToObject(o, "kind", in->owner_kind);
    cJSON_AddStringToObject(o, "name", in->owner_name);
    cJSON_AddStringToObject(o, "uid", in->owner_uid);
    cJSON_AddBoolToObject(o, "controller", true);
    cJSON_AddBoolToObject(o, "blockOwnerDeletion", true);
    cJSON_AddItemToArray(owners, o);
  }
  cJSON_AddItemToObject(md, "ownerReferences", owners);
  cJSON *data = cJSON_AddObjectToObject(sec, "data");
  cJSON_AddStringToObject(data, "control-plane-azure.json", enc);
  cJSON_AddStringToObject(data, "worker-node-azure.json", enc);
  cJSON_AddStringToObject(data, "azure.json", enc);
  OPENSSL_cleanse(enc, strlen(enc));
  free(enc);
  if (existing) {
    rc = capz_ctx_merge_patch(in->ctx, &SM_GVK_SECRET, in->ns, name, sec, err);
  } else {
    cJSON_AddStringToObject(sec, "apiVersion", "v1");
    cJSON_AddStringToObject(sec, "kind", "Secret");
    cJSON_AddStringToObject(sec, "type", "Opaque");
    rc = capz_kube_create(capz_ctx_client(in->ctx), &SM_GVK_SECRET, in->ns, sec, NULL, err);
    if (rc == CAPZ_ECONFLICT) rc = capz_err_set(err, CAPZ_EUNAVAILABLE, "Secret %s appeared meanwhile; retrying", name);
  }
  if (!rc) {
    capz_log(capz_ctx_logger(in->ctx), CAPZ_LOG_INFO, existing ? "azure-json Secret updated" : "azure-json Secret created",
             "secret", name, NULL);
    if (!strcmp(vmid, "None") && id.secret)
      capz_ctx_event(in->ctx, "Warning", "VMIdentityNone",
                     "You are using Service Principal authentication for Cloud Provider Azure which is less secure than "
                     "Managed Identity. Your Service Principal credentials will be written to a file on the disk.");
  }
out:
  if (sec) {
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(sec, "data")) wipe_str(d);
  }
  cJSON_Delete(sec);
  if (txt) {
    OPENSSL_cleanse(txt, strlen(txt));
    free(txt);
  }
  if (cfg) wipe_str(cJSON_GetObjectItem(cfg, "aadClientSecret"));
  cJSON_Delete(cfg);
  wipe_str(id.secret);
  cJSON_Delete(id.secret);
  if (existing) {
    cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(existing, "data")) wipe_str(d);
  }
  cJSON_Delete(existing);
  return rc;
}
