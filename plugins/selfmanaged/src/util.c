/* util.c — small helpers shared by the controllers. */
#include <stdio.h>
#include <string.h>

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

bool sm_cluster_infra_ready(const cJSON *cluster) {
  return capz_json_ptr_bool(cluster, "/status/initialization/infrastructureProvisioned", false) ||
         capz_json_ptr_bool(cluster, "/status/infrastructureReady", false);
}

#define BLOCK_MOVE "clusterctl.cluster.x-k8s.io/block-move"

int sm_block_move(capz_ctx *ctx, const capz_gvk *gvk, const capz_key *key, const cJSON *obj, bool want, capz_err *err) {
  bool has = capz_json_ptr_get(obj, "/metadata/annotations/clusterctl.cluster.x-k8s.io~1block-move") != NULL;
  if (has == want) return 0;
  cJSON *p = cJSON_CreateObject();
  cJSON *a = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "metadata"), "annotations");
  if (want) cJSON_AddStringToObject(a, BLOCK_MOVE, "true");
  else cJSON_AddNullToObject(a, BLOCK_MOVE);
  int rc = capz_ctx_merge_patch(ctx, gvk, key->ns, key->name, p, err);
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
