/* soak_manifest.c — the cluster under test: CAPZ's reference cluster-template.yaml rendered as clusterctl does
 * (the variables scripts/sandbox.sh exports), created object by object; and the objects read back. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "soak.h"

typedef struct var {
  const char *k, *v;
} var;

static const char *lookup(const var *vars, const char *k, size_t kl) {
  for (const var *v = vars; v->k; v++)
    if (strlen(v->k) == kl && !strncmp(v->k, k, kl)) return v->v;
  return NULL;
}

/* One pass over the innermost ${...} (no '$', '{' or '}' inside), repeated until none is left, so nested defaults
 * such as ${AZURE_VNET_NAME:=${CLUSTER_NAME}-vnet} resolve. Unset without default = "". Caller frees. */
static char *render(const char *text, const var *vars) {
  char *cur = strdup(text);
  for (int pass = 0; cur && pass < 8; pass++) {
    size_t n = strlen(cur), cap = n + 1024, o = 0;
    char *out = malloc(cap);
    bool changed = false;
    for (size_t i = 0; out && i < n;) {
      size_t end = 0;
      if (cur[i] == '$' && i + 1 < n && cur[i + 1] == '{') {
        size_t j = i + 2;
        while (j < n && cur[j] != '}' && cur[j] != '$' && cur[j] != '{') j++;
        if (j < n && cur[j] == '}') end = j;
      }
      const char *rep = NULL;
      size_t rl = 0;
      if (end) {
        const char *k = cur + i + 2;
        size_t kl = 0;
        while (k + kl < cur + end && (isalnum((unsigned char)k[kl]) || k[kl] == '_')) kl++;
        const char *val = lookup(vars, k, kl);
        const char *def = k + kl;
        if (val && *val) {
          rep = val;
          rl = strlen(val);
        } else if (def < cur + end && def[0] == ':' && (def[1] == '=' || def[1] == '-')) {
          rep = def + 2;
          rl = (size_t)(cur + end - rep);
        } else {
          rep = "";
        }
        changed = true;
      }
      size_t need = end ? rl : 1;
      if (o + need + 1 > cap) {
        cap = (o + need + 1) * 2;
        char *q = realloc(out, cap);
        if (!q) {
          free(out);
          out = NULL;
          break;
        }
        out = q;
      }
      if (end) {
        memcpy(out + o, rep, rl);
        o += rl;
        i = end + 1;
      } else {
        out[o++] = cur[i++];
      }
    }
    free(cur);
    if (!out) return NULL;
    out[o] = '\0';
    cur = out;
    if (!changed) break;
  }
  return cur;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) b[n] = '\0';
  return b;
}

static void gvk_of(const cJSON *obj, capz_gvk *g, char *group, size_t gn) {
  const char *av = capz_json_ptr_str(obj, "/apiVersion", "");
  const char *slash = strchr(av, '/');
  snprintf(group, gn, "%.*s", slash ? (int)(slash - av) : 0, av);
  g->group = group;
  g->version = slash ? slash + 1 : av;
  g->kind = capz_json_ptr_str(obj, "/kind", "");
  g->plural = NULL; /* discovery */
  g->namespaced = true;
}

int soak_apply_cluster(soak_env *e, const char *name, int workers, char *msg, size_t n) {
  char *tpl = read_file(e->o->template_path);
  if (!tpl) {
    snprintf(msg, n, "cannot read %s", e->o->template_path);
    return -1;
  }
  char wk[16];
  snprintf(wk, sizeof wk, "%d", workers);
  const var vars[] = {{"CLUSTER_NAME", name},
                      {"AZURE_SUBSCRIPTION_ID", SOAK_SUB},
                      {"AZURE_TENANT_ID", SOAK_TENANT},
                      {"AZURE_CLIENT_ID", SOAK_CLIENT},
                      {"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", SOAK_CLIENT},
                      {"CLUSTER_IDENTITY_NAME", "cluster-identity"},
                      {"CLUSTER_IDENTITY_TYPE", "ServicePrincipal"},
                      {"AZURE_LOCATION", "eastus"},
                      {"KUBERNETES_VERSION", "v1.33.1"},
                      {"AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3"},
                      {"AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3"},
                      {"CONTROL_PLANE_MACHINE_COUNT", "1"},
                      {"WORKER_MACHINE_COUNT", wk},
                      {NULL, NULL}};
  char *text = render(tpl, vars);
  free(tpl);
  if (!text) {
    snprintf(msg, n, "render failed");
    return -1;
  }
  if (strstr(text, "${")) {
    snprintf(msg, n, "unrendered variable left in the template");
    free(text);
    return -1;
  }
  capz_err err;
  cJSON *docs = capz_yaml_to_json(text, strlen(text), &err);
  free(text);
  if (!docs) {
    snprintf(msg, n, "template: %s", err.msg);
    return -1;
  }
  int rc = 0;
  cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    if (!cJSON_IsObject(d)) continue;
    const char *kind = capz_json_ptr_str(d, "/kind", "");
    if (!strcmp(kind, "AzureClusterIdentity")) {
      /* the emulator's app registration: a ServicePrincipal identity with its client secret */
      capz_json_ptr_set_str(d, "/spec/clientSecret/name", "cluster-identity-secret", NULL);
      capz_json_ptr_set_str(d, "/spec/clientSecret/namespace", SOAK_NS, NULL);
    }
    capz_gvk g;
    char group[128];
    gvk_of(d, &g, group, sizeof group);
    if (capz_kube_resolve(e->kc, &g, &err) != 0 || capz_kube_create(e->kc, &g, SOAK_NS, d, NULL, &err) != 0) {
      if (err.code == CAPZ_EEXIST && !strcmp(kind, "AzureClusterIdentity")) continue; /* shared by every run */
      snprintf(msg, n, "create %s/%s: %s", kind, capz_json_ptr_str(d, "/metadata/name", "?"), err.msg);
      rc = -1;
      break;
    }
  }
  cJSON_Delete(docs);
  return rc;
}

static const capz_gvk GVK_CLUSTER = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};
static const capz_gvk GVK_AC = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureCluster", "azureclusters", true};

int soak_delete_cluster(soak_env *e, const char *name, char *msg, size_t n) {
  capz_err err;
  if (capz_kube_delete(e->kc, &GVK_CLUSTER, SOAK_NS, name, NULL, &err) != 0) {
    snprintf(msg, n, "delete Cluster %s: %s", name, err.msg);
    return -1;
  }
  return 0;
}

bool k_cluster_exists(soak_env *e, const char *name) {
  cJSON *o = NULL;
  capz_err err;
  int rc = capz_kube_get(e->kc, &GVK_CLUSTER, SOAK_NS, name, &o, &err);
  cJSON_Delete(o);
  return rc == 0 || err.code != CAPZ_ENOTFOUND;
}

cJSON *k_get_azurecluster(soak_env *e, const char *name) {
  cJSON *o = NULL;
  if (capz_kube_get(e->kc, &GVK_AC, SOAK_NS, name, &o, NULL) != 0) return NULL;
  return o;
}

cJSON *k_list_labelled(soak_env *e, const char *group, const char *kind, const char *cluster) {
  char plural[64];
  size_t i = 0;
  for (; kind[i] && i < sizeof plural - 2; i++) plural[i] = (char)tolower((unsigned char)kind[i]);
  plural[i++] = 's';
  plural[i] = '\0';
  capz_gvk g = {group, "v1beta1", kind, plural, true};
  char sel[300];
  snprintf(sel, sizeof sel, "cluster.x-k8s.io/cluster-name=%s", cluster);
  capz_list_opts lo = {.label_selector = sel};
  cJSON *l = NULL;
  if (capz_kube_list(e->kc, &g, SOAK_NS, &lo, &l, NULL) != 0) return cJSON_CreateArray();
  cJSON *items = cJSON_DetachItemFromObject(l, "items");
  cJSON_Delete(l);
  return items ? items : cJSON_CreateArray();
}
