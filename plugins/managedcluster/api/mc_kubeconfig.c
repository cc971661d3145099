/* mc_kubeconfig.c — pure kubeconfig transformations for the workload-cluster Secrets: the token-injected user
 * kubeconfig (AAD clusters with local accounts disabled) and the cluster CA. Every string of a parsed kubeconfig is
 * wiped before the tree is freed, since it holds credentials. */
#include <string.h>

#include <openssl/crypto.h>

#include "capz/json.h"
#include "mc_api.h"

void mc_json_wipe(cJSON *j) {
  for (cJSON *c = j; c; c = c->next) {
    if (c->valuestring) OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
    if (c->child) mc_json_wipe(c->child);
  }
}

static void wipe_delete(cJSON *j) {
  mc_json_wipe(j);
  cJSON_Delete(j);
}

/* The first document of a YAML/JSON kubeconfig (detached, caller frees), or NULL. */
static cJSON *parse_kc(const char *text, size_t len) {
  capz_err e;
  cJSON *docs = capz_yaml_to_json(text, len, &e);
  cJSON *d = docs && cJSON_IsArray(docs) ? cJSON_DetachItemFromArray(docs, 0) : NULL;
  if (docs) wipe_delete(docs);
  if (!cJSON_IsObject(d)) {
    if (d) wipe_delete(d);
    return NULL;
  }
  return d;
}

char *mc_kubeconfig_with_token(const char *kubeconfig, size_t len, const char *token) {
  cJSON *kc = parse_kc(kubeconfig, len);
  if (!kc || !token) {
    if (kc) wipe_delete(kc);
    return NULL;
  }
  cJSON *u;
  int n = 0;
  cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(kc, "users")) {
    cJSON *user = cJSON_GetObjectItemCaseSensitive(u, "user");
    if (!cJSON_IsObject(user)) continue;
    cJSON *ex = cJSON_DetachItemFromObjectCaseSensitive(user, "exec");
    if (ex) wipe_delete(ex);
    cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(user, "token");
    if (old) wipe_delete(old);
    cJSON_AddStringToObject(user, "token", token);
    n++;
  }
  char *out = n ? cJSON_PrintUnformatted(kc) : NULL;
  wipe_delete(kc);
  return out;
}

char *mc_kubeconfig_ca_b64(const char *kubeconfig, size_t len) {
  cJSON *kc = parse_kc(kubeconfig, len);
  if (!kc) return NULL;
  const char *want = NULL;
  const cJSON *c;
  const char *cur = capz_json_ptr_str(kc, "/current-context", "");
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(kc, "contexts"))
    if (*cur && strcmp(capz_json_ptr_str(c, "/name", ""), cur) == 0) want = capz_json_ptr_str(c, "/context/cluster", NULL);
  const char *ca = NULL;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(kc, "clusters")) {
    const char *d = capz_json_ptr_str(c, "/cluster/certificate-authority-data", NULL);
    if (!ca || (want && strcmp(capz_json_ptr_str(c, "/name", ""), want) == 0)) ca = d;
    if (want && strcmp(capz_json_ptr_str(c, "/name", ""), want) == 0) break;
  }
  char *out = strdup(ca ? ca : "");
  wipe_delete(kc);
  return out;
}
