/* cluster_info.c — the ConfigMap kube-public/cluster-info in the workload cluster, as CAPZ's managed control plane
 * writes it: a kubeconfig with only the cluster (CA + https://<endpoint>), which is what kubeadm's discovery reads,
 * so bring-your-own kubeadm nodes can join an AKS cluster. Written through the cluster's own kubeconfig, only when
 * its content differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capz/json.h"
#include "capz/kube.h"
#include "mc_api.h"
#include "mc_plugin.h"

static const capz_gvk GVK_CONFIGMAP = {"", "v1", "ConfigMap", "configmaps", true};

int mc_cluster_info_ensure(const char *kubeconfig, size_t len, const char *host, int port, capz_err *err) {
  if (!host || !*host) return 0;
  char *ca = mc_kubeconfig_ca_b64(kubeconfig, len);
  if (!ca) return capz_err_set(err, CAPZ_EINVAL, "cluster-info: malformed kubeconfig");
  cJSON *disc = cJSON_CreateObject();
  cJSON_AddStringToObject(disc, "apiVersion", "v1");
  cJSON_AddStringToObject(disc, "kind", "Config");
  cJSON *cl = cJSON_CreateObject();
  cJSON_AddStringToObject(cl, "name", "");
  cJSON *c = cJSON_AddObjectToObject(cl, "cluster");
  if (*ca) cJSON_AddStringToObject(c, "certificate-authority-data", ca);
  char server[600];
  snprintf(server, sizeof server, "https://%s:%d", host, port);
  cJSON_AddStringToObject(c, "server", server);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(disc, "clusters"), cl);
  cJSON_AddArrayToObject(disc, "contexts");
  cJSON_AddStringToObject(disc, "current-context", "");
  cJSON_AddObjectToObject(disc, "preferences");
  cJSON_AddArrayToObject(disc, "users");
  char *text = cJSON_PrintUnformatted(disc);
  cJSON_Delete(disc);
  free(ca);
  capz_kube_config *cfg = NULL;
  capz_kube_client *wc = NULL;
  int rc = text ? capz_kube_config_parse(kubeconfig, len, NULL, &cfg, err) : capz_err_set(err, CAPZ_ENOMEM, "oom");
  if (!rc) rc = capz_kube_client_new(cfg, NULL, &wc, err);
  cJSON *cur = NULL;
  if (!rc) rc = capz_kube_get(wc, &GVK_CONFIGMAP, "kube-public", "cluster-info", &cur, err);
  if (rc == CAPZ_ENOTFOUND || (!rc && strcmp(capz_json_ptr_str(cur, "/data/kubeconfig", ""), text) != 0)) {
    cJSON *cm = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(cm, "data"), "kubeconfig", text);
    if (rc == CAPZ_ENOTFOUND) {
      cJSON_AddStringToObject(cm, "apiVersion", "v1");
      cJSON_AddStringToObject(cm, "kind", "ConfigMap");
      cJSON *md = cJSON_AddObjectToObject(cm, "metadata");
      cJSON_AddStringToObject(md, "name", "cluster-info");
      cJSON_AddStringToObject(md, "namespace", "kube-public");
      rc = capz_kube_create(wc, &GVK_CONFIGMAP, "kube-public", cm, NULL, err);
    } else {
      rc = capz_kube_patch(wc, &GVK_CONFIGMAP, "kube-public", "cluster-info", CAPZ_PATCH_MERGE, cm, NULL, NULL, err);
    }
    cJSON_Delete(cm);
  }
  cJSON_Delete(cur);
  capz_kube_client_free(wc);
  capz_kube_config_free(cfg);
  free(text);
  if (rc) capz_err_prefix(err, "cluster-info in the workload cluster: ");
  return rc;
}
