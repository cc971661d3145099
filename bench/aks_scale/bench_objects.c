/* bench_objects.c — see bench_objects.h. */
#include "bench_objects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"

#define INFRA "infrastructure.cluster.x-k8s.io"
const capz_gvk BOBJ_CLUSTER = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};
const capz_gvk BOBJ_MP = {"cluster.x-k8s.io", "v1beta1", "MachinePool", "machinepools", true};
const capz_gvk BOBJ_AMCP = {INFRA, "v1beta1", "AzureManagedControlPlane", "azuremanagedcontrolplanes", true};
const capz_gvk BOBJ_AMC = {INFRA, "v1beta1", "AzureManagedCluster", "azuremanagedclusters", true};
const capz_gvk BOBJ_AMMP = {INFRA, "v1beta1", "AzureManagedMachinePool", "azuremanagedmachinepools", true};
const capz_gvk BOBJ_SECRET = {"", "v1", "Secret", "secrets", true};
static const capz_gvk BOBJ_ACI = {INFRA, "v1beta1", "AzureClusterIdentity", "azureclusteridentities", true};

static void set_str(cJSON *doc, const char *ptr, const char *v) {
  capz_err e;
  capz_json_ptr_set_str(doc, ptr, v, &e);
}

cJSON *bobj_render_cluster(const char *template_text, const char *name, int pools, int replicas) {
  char reps[16];
  snprintf(reps, sizeof reps, "%d", replicas);
  const char *vars[] = {"CLUSTER_NAME", name, "AZURE_LOCATION", "eastus", "AZURE_SUBSCRIPTION_ID", BENCH_SUBSCRIPTION,
                        "AZURE_TENANT_ID", BENCH_TENANT, "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", BENCH_CLIENT_ID,
                        "CLUSTER_IDENTITY_NAME", "cluster-identity", "CLUSTER_IDENTITY_TYPE", "ServicePrincipal",
                        "KUBERNETES_VERSION", "v1.33.1", "AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3",
                        "AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3", "WORKER_MACHINE_COUNT", reps, NULL};
  char *text = bench_subst(template_text, vars);
  capz_err err;
  cJSON *docs = text ? capz_yaml_to_json(text, strlen(text), &err) : NULL;
  free(text);
  if (!docs) {
    fprintf(stderr, "aks_scale: template: %s\n", err.msg);
    return NULL;
  }
  cJSON *out = cJSON_CreateArray();
  cJSON *user_mp = NULL, *user_ammp = NULL;
  int have_pools = 0;
  cJSON *doc = docs->child;
  while (doc) {
    cJSON *next = doc->next;
    const char *kind = capz_json_ptr_str(doc, "/kind", "");
    if (strcmp(kind, "AzureClusterIdentity") == 0) {
      doc = next;
      continue; /* created once for all clusters, as a ServicePrincipal identity */
    }
    cJSON_DetachItemViaPointer(docs, doc);
    if (strcmp(kind, "AzureManagedMachinePool") == 0) {
      bool user = strcmp(capz_json_ptr_str(doc, "/spec/mode", ""), "User") == 0;
      if (have_pools >= pools) { /* fewer pools than the template has: drop its MachinePool too */
        cJSON *mp = cJSON_DetachItemFromArray(out, cJSON_GetArraySize(out) - 1);
        cJSON_Delete(mp);
        cJSON_Delete(doc);
        doc = next;
        continue;
      }
      have_pools++;
      if (user) {
        cJSON_Delete(user_ammp);
        cJSON_Delete(user_mp);
        user_ammp = cJSON_Duplicate(doc, 1);
        user_mp = cJSON_Duplicate(cJSON_GetArrayItem(out, cJSON_GetArraySize(out) - 1), 1);
      }
    }
    cJSON_AddItemToArray(out, doc);
    doc = next;
  }
  cJSON_Delete(docs);
  for (int k = have_pools; k < pools && user_mp && user_ammp; k++) {
    char pool[32], obj[320];
    snprintf(pool, sizeof pool, "pool%d", k);
    snprintf(obj, sizeof obj, "%s-%s", name, pool);
    cJSON *mp = cJSON_Duplicate(user_mp, 1), *ammp = cJSON_Duplicate(user_ammp, 1);
    set_str(mp, "/metadata/name", obj);
    set_str(mp, "/spec/template/spec/infrastructureRef/name", obj);
    set_str(ammp, "/metadata/name", obj);
    set_str(ammp, "/spec/name", pool);
    cJSON_AddItemToArray(out, mp);
    cJSON_AddItemToArray(out, ammp);
    have_pools++;
  }
  cJSON_Delete(user_mp);
  cJSON_Delete(user_ammp);
  if (have_pools < pools) {
    fprintf(stderr, "aks_scale: the template has no User pool to clone for %d pools\n", pools);
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

int bobj_gvk(const cJSON *obj, capz_gvk *out) {
  static const capz_gvk *const known[] = {&BOBJ_CLUSTER, &BOBJ_MP, &BOBJ_AMCP, &BOBJ_AMC, &BOBJ_AMMP, &BOBJ_SECRET,
                                          &BOBJ_ACI, NULL};
  const char *kind = capz_json_ptr_str(obj, "/kind", "");
  for (int i = 0; known[i]; i++)
    if (strcmp(known[i]->kind, kind) == 0) {
      *out = *known[i];
      return 0;
    }
  return -1;
}

int bobj_create_all(capz_kube_client *c, const cJSON *docs, char *msg, size_t n) {
  const cJSON *doc;
  cJSON_ArrayForEach(doc, docs) {
    capz_gvk g;
    if (bobj_gvk(doc, &g) != 0) {
      snprintf(msg, n, "unexpected kind %s in the template", capz_json_ptr_str(doc, "/kind", "?"));
      return -1;
    }
    capz_err err;
    int rc = capz_kube_create(c, &g, BENCH_NS, doc, NULL, &err);
    if (rc != 0 && rc != CAPZ_EEXIST) {
      snprintf(msg, n, "create %s %s: %s", g.kind, capz_json_ptr_str(doc, "/metadata/name", "?"), err.msg);
      return -1;
    }
  }
  return 0;
}
