/* azure_session.c — credentials for an AzureCluster: its AzureClusterIdentity (allowedNamespaces enforced,
 * secret read from the referenced Secret) or the plugin's default identity, turned into an ARM client that is
 * kept for the life of the process and shared by every reconcile using the same credential (same cache key:
 * cloud, tenant, client, type, secret hash). Secret bytes are wiped after use and never logged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "capz/json.h"
#include "sm_plugin.h"

struct sm_session {
  char key[65];
  capz_az_credential *cred;
  capz_arm_client *arm;
  sm_session *next;
};

void sm_sessions_free(sm_session *s);
void sm_sessions_free(sm_session *s) {
  while (s) {
    sm_session *n = s->next;
    capz_arm_client_free(s->arm);
    capz_az_credential_free(s->cred);
    free(s);
    s = n;
  }
}

static int read_file(const char *path, unsigned char **out, size_t *len, capz_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return capz_err_set(err, CAPZ_ENOTFOUND, "cannot open %s: %s", path, strerror(errno));
  unsigned char *b = malloc(65536);
  size_t n = b ? fread(b, 1, 65535, f) : 0;
  fclose(f);
  if (!b) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  while (n && (b[n - 1] == '\n' || b[n - 1] == '\r')) n--;
  *out = b;
  *len = n;
  return 0;
}

/* The secret's data[key], decoded. */
static int secret_value(capz_ctx *ctx, const char *ns, const char *name, const char *key, unsigned char **out,
                        size_t *len, capz_err *err) {
  cJSON *sec = NULL;
  int rc = capz_kube_get(capz_ctx_client(ctx), &SM_GVK_SECRET, ns, name, &sec, err);
  if (rc) return capz_err_prefix(err, "identity secret %s/%s: ", ns, name), rc;
  char ptr[128] = "/data";
  capz_json_ptr_append(ptr, sizeof ptr, key);
  const char *v = capz_json_ptr_str(sec, ptr, NULL);
  if (!v) {
    cJSON_Delete(sec);
    return capz_err_set(err, CAPZ_EINVAL, "identity secret %s/%s has no key %s", ns, name, key);
  }
  *out = sm_b64_decode(v, len);
  /* wipe the base64 copy held by the tree before freeing it */
  cJSON *item = capz_json_ptr_get(sec, ptr);
  if (item && item->valuestring) OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
  cJSON_Delete(sec);
  if (!*out) return capz_err_set(err, CAPZ_EINVAL, "identity secret %s/%s: key %s is not base64", ns, name, key);
  return 0;
}

static int session_for(sm_state *s, capz_az_credential *cred, capz_arm_client **arm, capz_err *err) {
  const char *key = capz_az_credential_cache_key(cred);
  pthread_mutex_lock(&s->mu);
  for (sm_session *x = s->sessions; x; x = x->next)
    if (!strcmp(x->key, key)) {
      *arm = x->arm;
      pthread_mutex_unlock(&s->mu);
      capz_az_credential_free(cred);
      return 0;
    }
  capz_arm_client_config cc = {.cloud = &s->cloud, .credential = cred, .user_agent = "capz-c/selfmanaged",
                               .poll_default_s = s->poll_floor_s, .max_retry_wait_s = 10};
  capz_arm_client *c = capz_arm_client_new(&cc, err);
  sm_session *x = c ? calloc(1, sizeof *x) : NULL;
  if (!x) {
    pthread_mutex_unlock(&s->mu);
    capz_arm_client_free(c);
    capz_az_credential_free(cred);
    return err && err->code ? err->code : capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  snprintf(x->key, sizeof x->key, "%s", key);
  x->cred = cred;
  x->arm = c;
  x->next = s->sessions;
  s->sessions = x;
  *arm = c;
  pthread_mutex_unlock(&s->mu);
  return 0;
}

static int default_identity(sm_state *s, capz_arm_client **arm, capz_err *err) {
  if (!s->default_client[0])
    return capz_err_set(err, CAPZ_EINVAL, "spec.identityRef is required (and no default identity is configured)");
  unsigned char *sec = NULL;
  size_t len = 0;
  if (s->default_secret_file[0]) {
    int rc = read_file(s->default_secret_file, &sec, &len, err);
    if (rc) return rc;
  }
  capz_az_identity id = {.type = sec ? CAPZ_AZ_ID_SERVICE_PRINCIPAL : CAPZ_AZ_ID_WORKLOAD_IDENTITY,
                         .tenant_id = s->default_tenant, .client_id = s->default_client, .secret = sec,
                         .secret_len = len};
  capz_az_credential *cred = capz_az_credential_new(&s->cloud, &id, NULL, err);
  if (sec) OPENSSL_cleanse(sec, len);
  free(sec);
  if (!cred) return err->code ? err->code : CAPZ_EINVAL;
  return session_for(s, cred, arm, err);
}

int sm_azure_for_cluster(sm_state *s, capz_ctx *ctx, const cJSON *ac, sm_azure *out, capz_err *err) {
  memset(out, 0, sizeof *out);
  snprintf(out->subscription, sizeof out->subscription, "%s", capz_json_ptr_str(ac, "/spec/subscriptionID", ""));
  if (!out->subscription[0]) return capz_err_set(err, CAPZ_EINVAL, "spec.subscriptionID is required");
  const char *cns = capz_json_ptr_str(ac, "/metadata/namespace", "");
  const cJSON *ref = capz_json_ptr_get(ac, "/spec/identityRef");
  if (!ref || !*capz_json_ptr_str(ref, "/name", "")) return default_identity(s, &out->arm, err);
  const char *iname = capz_json_ptr_str(ref, "/name", "");
  const char *ins = capz_json_ptr_str(ref, "/namespace", cns);
  cJSON *idobj = sm_cache_copy(ctx, &SM_GVK_IDENTITY, ins, iname);
  if (!idobj && capz_kube_get(capz_ctx_client(ctx), &SM_GVK_IDENTITY, ins, iname, &idobj, NULL) != 0)
    return capz_err_set(err, CAPZ_ENOTFOUND, "AzureClusterIdentity %s/%s not found", ins, iname);
  const cJSON *spec = cJSON_GetObjectItem(idobj, "spec");
  int rc = 0;
  /* allowedNamespaces: a label selector needs the namespace's labels */
  cJSON *nsobj = NULL;
  if (capz_json_ptr_get(spec, "/allowedNamespaces/selector")) {
    static const capz_gvk NS = {"", "v1", "Namespace", "namespaces", false};
    capz_kube_get(capz_ctx_client(ctx), &NS, NULL, cns, &nsobj, NULL);
  }
  bool ok = capz_az_namespace_allowed(spec, cns, capz_json_ptr_get(nsobj, "/metadata/labels"), err);
  cJSON_Delete(nsobj);
  if (!ok) {
    rc = err->code ? err->code : CAPZ_EFORBIDDEN;
    cJSON_Delete(idobj);
    return rc;
  }
  capz_az_identity id = {.type = capz_az_identity_type_parse(capz_json_ptr_str(spec, "/type", "")),
                         .tenant_id = capz_json_ptr_str(spec, "/tenantID", NULL),
                         .client_id = capz_json_ptr_str(spec, "/clientID", NULL),
                         .credentials_file = capz_json_ptr_str(spec, "/userAssignedIdentityCredentialsPath", NULL)};
  unsigned char *sec = NULL;
  size_t len = 0;
  switch (id.type) {
    case CAPZ_AZ_ID_SERVICE_PRINCIPAL:
    case CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL:
    case CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE: {
      const char *cert_path = capz_json_ptr_str(spec, "/certPath", "");
      if (id.type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE && *cert_path) {
        rc = read_file(cert_path, &sec, &len, err);
      } else {
        const char *sname = capz_json_ptr_str(spec, "/clientSecret/name", "");
        const char *sns = capz_json_ptr_str(spec, "/clientSecret/namespace", ins);
        if (!*sname) rc = capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity %s/%s: spec.clientSecret is required",
                                       ins, iname);
        else rc = secret_value(ctx, sns, sname, "clientSecret", &sec, &len, err);
      }
      break;
    }
    case CAPZ_AZ_ID_INVALID:
      rc = capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity %s/%s: unsupported spec.type", ins, iname);
      break;
    default: break;
  }
  if (rc) {
    cJSON_Delete(idobj);
    return rc;
  }
  id.secret = sec;
  id.secret_len = len;
  capz_az_credential *cred = capz_az_credential_new(&s->cloud, &id, NULL, err);
  if (sec) OPENSSL_cleanse(sec, len);
  free(sec);
  cJSON_Delete(idobj);
  if (!cred) return err->code ? err->code : CAPZ_EINVAL;
  return session_for(s, cred, &out->arm, err);
}
