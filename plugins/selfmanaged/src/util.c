/* util.c — small helpers shared by the controllers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include <openssl/evp.h>

#include "capz/json.h"
#include "sm_plugin.h"

const capz_gvk SM_GVK_AZURECLUSTER = {SM_GROUP, "v1beta1", "AzureCluster", "azureclusters", true};
const capz_gvk SM_GVK_AZUREMACHINE = {SM_GROUP, "v1beta1", "AzureMachine", "azuremachines", true};
const capz_gvk SM_GVK_IDENTITY = {SM_GROUP, "v1beta1", "AzureClusterIdentity", "azureclusteridentities", true};
const capz_gvk SM_GVK_MACHINETEMPLATE = {SM_GROUP, "v1beta1", "AzureMachineTemplate", "azuremachinetemplates", true};
const capz_gvk SM_GVK_CLUSTER = {"cluster.x-k8s.io", "v1beta2", "Cluster", "clusters", true};
const capz_gvk SM_GVK_MACHINE = {"cluster.x-k8s.io", "v1beta2", "Machine", "machines", true};
const capz_gvk SM_GVK_SECRET = {"", "v1", "Secret", "secrets", true};

const char *sm_owner_name(const cJSON *obj, const char *kind) {
  const cJSON *o;
  cJSON_ArrayForEach(o, capz_json_ptr_get(obj, "/metadata/ownerReferences")) {
    const char *k = capz_json_ptr_str(o, "/kind", "");
    const char *av = capz_json_ptr_str(o, "/apiVersion", "");
    if (strcmp(k, kind) == 0 && strncmp(av, "cluster.x-k8s.io/", 17) == 0) return capz_json_ptr_str(o, "/name", NULL);
  }
  return NULL;
}

cJSON *sm_cache_copy(capz_ctx *ctx, const capz_gvk *gvk, const char *ns, const char *name) {
  const capz_obj *o = NULL;
  if (!name || !*name || capz_ctx_cache_get(ctx, gvk, ns, name, &o, NULL) != 0) return NULL;
  cJSON *c = cJSON_Duplicate(capz_obj_json(o), 1);
  capz_obj_unref(o);
  return c;
}

bool sm_cluster_infra_ready(const cJSON *cluster) {
  return capz_json_ptr_bool(cluster, "/status/initialization/infrastructureProvisioned", false) ||
         capz_json_ptr_bool(cluster, "/status/infrastructureReady", false);
}

capz_outcome sm_fail(capz_ctx *ctx, capz_result *res, capz_outcome oc, const char *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->message, sizeof res->message, fmt, ap);
  va_end(ap);
  snprintf(res->reason, sizeof res->reason, "%s", reason);
  capz_ctx_event(ctx, "Warning", reason, "%s", res->message);
  capz_log(capz_ctx_logger(ctx), oc == CAPZ_TERMINAL ? CAPZ_LOG_ERROR : CAPZ_LOG_WARN, "reconcile failed", "reason",
           reason, "message", res->message, NULL);
  return oc;
}

int sm_patch_spec(capz_ctx *ctx, const capz_gvk *gvk, const capz_key *key, cJSON *patch, capz_err *err) {
  return capz_kube_patch(capz_ctx_client(ctx), gvk, key->ns, key->name, CAPZ_PATCH_MERGE, patch, NULL, NULL, err);
}

static cJSON *lro_list(cJSON *obj, bool create) {
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!cJSON_IsObject(st)) {
    if (!create) return NULL;
    cJSON_DeleteItemFromObject(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON *l = cJSON_GetObjectItem(st, "longRunningOperationStates");
  if (!cJSON_IsArray(l)) {
    if (!create) return NULL;
    cJSON_DeleteItemFromObject(st, "longRunningOperationStates");
    l = cJSON_AddArrayToObject(st, "longRunningOperationStates");
  }
  return l;
}

void sm_lro_state_set(cJSON *obj, const char *service, const char *name, const char *type, const char *token) {
  cJSON *l = lro_list(obj, token != NULL);
  if (!l) return;
  int i = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, l) {
    if (!strcmp(capz_json_ptr_str(it, "/serviceName", ""), service) && !strcmp(capz_json_ptr_str(it, "/name", ""), name))
      break;
    i++;
  }
  if (it) cJSON_DeleteItemFromArray(l, i);
  if (token) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "type", type);
    cJSON_AddStringToObject(f, "serviceName", service);
    cJSON_AddStringToObject(f, "name", name);
    cJSON_AddStringToObject(f, "data", token);
    cJSON_AddItemToArray(l, f);
  } else if (cJSON_GetArraySize(l) == 0) {
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(obj, "status"), "longRunningOperationStates");
  }
}

const char *sm_lro_state_get(const cJSON *obj, const char *service, const char *name) {
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(obj, "/status/longRunningOperationStates"))
    if (!strcmp(capz_json_ptr_str(it, "/serviceName", ""), service) && !strcmp(capz_json_ptr_str(it, "/name", ""), name))
      return capz_json_ptr_str(it, "/data", NULL);
  return NULL;
}

unsigned char *sm_b64_decode(const char *in, size_t *len) {
  size_t n = strlen(in);
  if (n % 4) return NULL;
  unsigned char *out = malloc(n / 4 * 3 + 1);
  if (!out) return NULL;
  int l = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
  if (l < 0) {
    free(out);
    return NULL;
  }
  if (n >= 1 && in[n - 1] == '=') l--;
  if (n >= 2 && in[n - 2] == '=') l--;
  out[l] = '\0';
  *len = (size_t)l;
  return out;
}

#define BLOCK_MOVE "clusterctl.cluster.x-k8s.io/block-move"

int sm_block_move(capz_ctx *ctx, const capz_gvk *gvk, const capz_key *key, const cJSON *obj, bool want, capz_err *err) {
  bool has = capz_json_ptr_get(obj, "/metadata/annotations/clusterctl.cluster.x-k8s.io~1block-move") != NULL;
  if (has == want) return 0;
  cJSON *p = cJSON_CreateObject();
  cJSON *a = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "metadata"), "annotations");
  if (want) cJSON_AddStringToObject(a, BLOCK_MOVE, "true");
  else cJSON_AddNullToObject(a, BLOCK_MOVE);
  int rc = sm_patch_spec(ctx, gvk, key, p, err);
  cJSON_Delete(p);
  return rc;
}

/* CAPZ: one finalizer per using cluster, "<AzureCluster finalizer>/<hex sha224("<ns>-<name>")>". */
int sm_identity_finalizer(capz_ctx *ctx, const cJSON *ac, bool add, capz_err *err) {
  const cJSON *ref = capz_json_ptr_get(ac, "/spec/identityRef");
  const char *cns = capz_json_ptr_str(ac, "/metadata/namespace", "");
  const char *iname = capz_json_ptr_str(ref, "/name", "");
  if (!*iname) return 0;
  const char *ins = capz_json_ptr_str(ref, "/namespace", cns);
  const capz_obj *o = NULL;
  if (capz_ctx_cache_get(ctx, &SM_GVK_IDENTITY, ins, iname, &o, NULL) != 0) return 0; /* gone: nothing to hold */
  char in[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2], name[128];
  snprintf(in, sizeof in, "%s-%s", cns, capz_json_ptr_str(ac, "/metadata/name", ""));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdl = 0;
  EVP_Digest(in, strlen(in), md, &mdl, EVP_sha224(), NULL);
  int l = snprintf(name, sizeof name, "%s/", SM_CLUSTER_FINALIZER);
  for (unsigned i = 0; i < mdl && l + 2 < (int)sizeof name; i++) l += snprintf(name + l, sizeof name - (size_t)l, "%02x", md[i]);
  bool has = capz_has_finalizer(capz_obj_json(o), name), changed = false;
  int rc = 0;
  if (add && !has) rc = capz_finalizer_add(capz_ctx_client(ctx), &SM_GVK_IDENTITY, o, name, &changed, err);
  else if (!add && has) rc = capz_finalizer_remove(capz_ctx_client(ctx), &SM_GVK_IDENTITY, o, name, &changed, err);
  capz_obj_unref(o);
  return rc;
}
