/* sm_render.c — one cluster's objects from CAPZ's reference cluster-template.yaml, with the variables clusterctl
 * would substitute (the values scripts/sandbox.sh exports), created through the Kubernetes API. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "sm_scale.h"

cJSON *sm_render_cluster(const char *tmpl, const char *name, int workers, char *msg, size_t n) {
  char wk[16];
  snprintf(wk, sizeof wk, "%d", workers);
  const char *const vars[] = {"CLUSTER_NAME", name,
                              "AZURE_SUBSCRIPTION_ID", BENCH_SUBSCRIPTION,
                              "AZURE_TENANT_ID", BENCH_TENANT,
                              "AZURE_CLIENT_ID", BENCH_CLIENT_ID,
                              "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", BENCH_CLIENT_ID,
                              "CLUSTER_IDENTITY_NAME", "cluster-identity",
                              "CLUSTER_IDENTITY_TYPE", "ServicePrincipal",
                              "AZURE_LOCATION", "eastus",
                              "KUBERNETES_VERSION", "v1.33.1",
                              "AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3",
                              "AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3",
                              "CONTROL_PLANE_MACHINE_COUNT", "1",
                              "WORKER_MACHINE_COUNT", wk,
                              NULL, NULL};
  char *text = bench_subst(tmpl, vars);
  if (!text) {
    snprintf(msg, n, "out of memory rendering the template");
    return NULL;
  }
  capz_err err;
  cJSON *docs = capz_yaml_to_json(text, strlen(text), &err);
  free(text);
  if (!docs) {
    snprintf(msg, n, "template: %s", err.msg);
    return NULL;
  }
  cJSON *it = docs->child;
  while (it) {
    cJSON *next = it->next;
    /* the bench's ServicePrincipal identity replaces the template's (created once, shared by every cluster) */
    if (!cJSON_IsObject(it) || strcmp(capz_json_ptr_str(it, "/kind", ""), "AzureClusterIdentity") == 0)
      cJSON_Delete(cJSON_DetachItemViaPointer(docs, it));
    it = next;
  }
  return docs;
}

int sm_create_docs(capz_kube_client *c, const cJSON *docs, char *msg, size_t n) {
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    const char *av = capz_json_ptr_str(d, "/apiVersion", ""), *kind = capz_json_ptr_str(d, "/kind", "");
    const char *slash = strchr(av, '/');
    char group[128], plural[128];
    snprintf(group, sizeof group, "%.*s", slash ? (int)(slash - av) : 0, av);
    size_t k = 0;
    for (; kind[k] && k < sizeof plural - 2; k++) plural[k] = (char)tolower((unsigned char)kind[k]);
    plural[k++] = 's'; /* holds for every kind of the template */
    plural[k] = '\0';
    capz_gvk g = {group, slash ? slash + 1 : av, kind, plural, true};
    capz_err err;
    if (capz_kube_create(c, &g, BENCH_NS, d, NULL, &err) != 0) {
      snprintf(msg, n, "create %s/%s: %s", kind, capz_json_ptr_str(d, "/metadata/name", "?"), err.msg);
      return -1;
    }
  }
  return 0;
}
