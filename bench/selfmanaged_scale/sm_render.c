/* sm_render.c — one cluster's objects from CAPZ's reference cluster-template.yaml, with the variables clusterctl
 * would substitute (the values scripts/sandbox.sh exports), created through the Kubernetes API. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "sm_scale.h"

static const char *var_value(const char *const *vars, const char *name, size_t len) {
  for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
    if (strlen(vars[i]) == len && strncmp(vars[i], name, len) == 0) return vars[i + 1];
  return NULL;
}

/* Replace the first innermost ${...} (one without '$' or '{' inside) of *text; 1 when one was replaced, 0 when
 * none is left, -1 on memory exhaustion. */
static int subst_one(char **text, const char *const *vars) {
  char *t = *text;
  for (char *p = strstr(t, "${"); p; p = strstr(p + 1, "${")) {
    char *q = p + 2;
    while (*q && *q != '}' && *q != '$' && *q != '{') q++;
    if (*q != '}') continue;
    const char *name = p + 2;
    size_t nl = 0;
    while (name + nl < q && (isalnum((unsigned char)name[nl]) || name[nl] == '_')) nl++;
    const char *val = var_value(vars, name, nl);
    const char *rep = "";
    size_t rl = 0;
    if (val && *val) {
      rep = val;
      rl = strlen(val);
    } else if (name + nl + 1 < q && name[nl] == ':' && (name[nl + 1] == '=' || name[nl + 1] == '-')) {
      rep = name + nl + 2;
      rl = (size_t)(q - rep);
    }
    size_t head = (size_t)(p - t), tail = strlen(q + 1);
    char *out = malloc(head + rl + tail + 1);
    if (!out) return -1;
    memcpy(out, t, head);
    memcpy(out + head, rep, rl);
    memcpy(out + head + rl, q + 1, tail + 1);
    free(t);
    *text = out;
    return 1;
  }
  return 0;
}

char *sm_subst(const char *text, const char *const *vars) {
  char *t = strdup(text);
  int r = 1;
  while (t && r == 1) r = subst_one(&t, vars);
  if (r < 0) {
    free(t);
    return NULL;
  }
  return t;
}

cJSON *sm_render_cluster(const char *tmpl, const char *name, int workers, char *msg, size_t n) {
  char wk[16];
  snprintf(wk, sizeof wk, "%d", workers);
  const char *const vars[] = {"CLUSTER_NAME", name,
                              "AZURE_SUBSCRIPTION_ID", SM_SUB,
                              "AZURE_TENANT_ID", SM_TENANT,
                              "AZURE_CLIENT_ID", SM_CLIENT,
                              "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", SM_CLIENT,
                              "CLUSTER_IDENTITY_NAME", "cluster-identity",
                              "CLUSTER_IDENTITY_TYPE", "ServicePrincipal",
                              "AZURE_LOCATION", "eastus",
                              "KUBERNETES_VERSION", "v1.33.1",
                              "AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D2s_v3",
                              "AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3",
                              "CONTROL_PLANE_MACHINE_COUNT", "1",
                              "WORKER_MACHINE_COUNT", wk,
                              NULL, NULL};
  char *text = sm_subst(tmpl, vars);
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
    if (capz_kube_create(c, &g, SM_NS, d, NULL, &err) != 0) {
      snprintf(msg, n, "create %s/%s: %s", kind, capz_json_ptr_str(d, "/metadata/name", "?"), err.msg);
      return -1;
    }
  }
  return 0;
}
