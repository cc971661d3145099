/* session.c — ARM clients for AzureManagedControlPlanes: the AMCP's AzureClusterIdentity (allowedNamespaces
 * enforced, client secret read from its Secret) becomes a credential and an ARM client kept for the process and
 * shared by every reconcile using the same credential cache key. Secret bytes are wiped after use, never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capz/json.h"
#include "mc_plugin.h"

struct mc_session {
  char key[65];
  capz_az_credential *cred;
  capz_arm_client *arm;
  mc_session *next;
};

void mc_sessions_free(mc_session *s) {
  while (s) {
    mc_session *n = s->next;
    capz_arm_client_free(s->arm);
    capz_az_credential_free(s->cred);
    free(s);
    s = n;
  }
}

static int b64d(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* data[key] of a Secret, decoded (caller wipes and frees). */
static int secret_value(capz_ctx *ctx, const char *ns, const char *name, const char *key, unsigned char **out,
                        size_t *len, capz_err *err) {
  cJSON *sec = NULL;
  int rc = capz_kube_get(capz_ctx_client(ctx), &MC_GVK_SECRET, ns, name, &sec, err);
  if (rc) return capz_err_prefix(err, "identity secret %s/%s: ", ns, name), rc;
  char ptr[128] = "/data";
  capz_json_ptr_append(ptr, sizeof ptr, key);
  cJSON *item = capz_json_ptr_get(sec, ptr);
  if (!cJSON_IsString(item)) {
    cJSON_Delete(sec);
    return capz_err_set(err, CAPZ_EINVAL, "identity secret %s/%s has no key %s", ns, name, key);
  }
  const char *v = item->valuestring;
  size_t l = strlen(v), k = 0;
  unsigned char *b = malloc(l + 1);
  unsigned acc = 0;
  int bits = 0;
  rc = b ? 0 : CAPZ_ENOMEM;
  for (size_t i = 0; b && i < l && !rc; i++) {
    if (v[i] == '=') break;
    int d = b64d((unsigned char)v[i]);
    if (d < 0) rc = CAPZ_EINVAL;
    acc = (acc << 6) | (unsigned)(d < 0 ? 0 : d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      b[k++] = (unsigned char)((acc >> bits) & 0xff);
    }
  }
  OPENSSL_cleanse(item->valuestring, l);
  cJSON_Delete(sec);
  if (rc) {
    if (b) OPENSSL_cleanse(b, l + 1);
    free(b);
    return capz_err_set(err, rc, "identity secret %s/%s: key %s is not base64", ns, name, key);
  }
  b[k] = '\0';
  *out = b;
  *len = k;
  return 0;
}

static int session_for(mc_state *s, capz_az_credential *cred, capz_arm_client **arm, capz_err *err) {
  const char *key = capz_az_credential_cache_key(cred);
  pthread_mutex_lock(&s->mu);
  for (mc_session *x = s->sessions; x; x = x->next)
    if (strcmp(x->key, key) == 0) {
      *arm = x->arm;
      pthread_mutex_unlock(&s->mu);
      capz_az_credential_free(cred);
      return 0;
    }
  capz_arm_client_config cc = {.cloud = &s->cloud, .credential = cred, .user_agent = "capz-c/managedcluster",
                               .poll_default_s = s->poll_floor_s, .max_retry_wait_s = 10};
  capz_arm_client *c = capz_arm_client_new(&cc, err);
  mc_session *x = c ? calloc(1, sizeof *x) : NULL;
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

int mc_arm_for(mc_state *s, capz_ctx *ctx, const cJSON *amcp, capz_arm_client **arm, capz_err *err) {
  const char *ns = capz_json_ptr_str(amcp, "/metadata/namespace", "");
  const char *iname = capz_json_ptr_str(amcp, "/spec/identityRef/name", "");
  if (!*iname) return capz_err_set(err, CAPZ_EINVAL, "spec.identityRef is required");
  const char *ins = capz_json_ptr_str(amcp, "/spec/identityRef/namespace", ns);
  cJSON *idobj = NULL;
  int rc = capz_kube_get(capz_ctx_client(ctx), &MC_GVK_IDENTITY, ins, iname, &idobj, err);
  if (rc) return capz_err_prefix(err, "AzureClusterIdentity %s/%s: ", ins, iname), rc;
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(idobj, "spec");
  cJSON *nsobj = NULL;
  if (capz_json_ptr_get(spec, "/allowedNamespaces/selector")) {
    static const capz_gvk NS = {"", "v1", "Namespace", "namespaces", false};
    capz_kube_get(capz_ctx_client(ctx), &NS, NULL, ns, &nsobj, NULL);
  }
  bool ok = capz_az_namespace_allowed(spec, ns, capz_json_ptr_get(nsobj, "/metadata/labels"), err);
  cJSON_Delete(nsobj);
  if (!ok) {
    cJSON_Delete(idobj);
    return err->code ? err->code : CAPZ_EFORBIDDEN;
  }
  capz_az_identity id = {.type = capz_az_identity_type_parse(capz_json_ptr_str(spec, "/type", "")),
                         .tenant_id = capz_json_ptr_str(spec, "/tenantID", NULL),
                         .client_id = capz_json_ptr_str(spec, "/clientID", NULL),
                         .credentials_file = capz_json_ptr_str(spec, "/userAssignedIdentityCredentialsPath", NULL)};
  unsigned char *sec = NULL;
  size_t len = 0;
  if (id.type == CAPZ_AZ_ID_INVALID) {
    rc = capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity %s/%s: unsupported spec.type", ins, iname);
  } else if (id.type == CAPZ_AZ_ID_SERVICE_PRINCIPAL || id.type == CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL ||
             id.type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE) {
    const char *sname = capz_json_ptr_str(spec, "/clientSecret/name", "");
    const char *sns = capz_json_ptr_str(spec, "/clientSecret/namespace", ins);
    const char *key = id.type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE ? "certificate" : "clientSecret";
    if (!*sname) rc = capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity %s/%s: spec.clientSecret is required", ins,
                                   iname);
    else rc = secret_value(ctx, sns, sname, key, &sec, &len, err);
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
  return session_for(s, cred, arm, err);
}

/* ASO-style credentials: the Secret named by the resource's serviceoperator.azure.com/credential-from annotation
 * (else "aso-credential") with AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or
 * AUTH_MODE workloadidentity / podidentity. */
int mc_arm_for_aso(mc_state *s, capz_ctx *ctx, const char *ns, const cJSON *res, capz_arm_client **arm, char *sub,
                   size_t sub_n, capz_err *err) {
  const char *name = capz_json_ptr_str(res, "/metadata/annotations/serviceoperator.azure.com~1credential-from",
                                       "aso-credential");
  unsigned char *vals[5] = {0};
  size_t lens[5] = {0};
  static const char *const keys[] = {"AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
                                     "AZURE_CLIENT_SECRET", "AUTH_MODE"};
  int rc = 0;
  for (int i = 0; i < 5 && !rc; i++) {
    capz_err ke;
    int r = secret_value(ctx, ns, name, keys[i], &vals[i], &lens[i], &ke);
    if (r && i < 3) rc = capz_err_set(err, r, "%s", ke.msg);
  }
  if (!rc) {
    snprintf(sub, sub_n, "%s", (const char *)vals[0]);
    const char *mode = vals[4] ? (const char *)vals[4] : "";
    capz_az_identity id = {.tenant_id = (const char *)vals[1], .client_id = (const char *)vals[2]};
    if (strcmp(mode, "workloadidentity") == 0) id.type = CAPZ_AZ_ID_WORKLOAD_IDENTITY;
    else if (strcmp(mode, "podidentity") == 0) id.type = CAPZ_AZ_ID_USER_ASSIGNED_MSI;
    else if (vals[3]) id.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, id.secret = vals[3], id.secret_len = lens[3];
    else rc = capz_err_set(err, CAPZ_EINVAL, "secret %s/%s: no AZURE_CLIENT_SECRET and no AUTH_MODE", ns, name);
    capz_az_credential *cred = rc ? NULL : capz_az_credential_new(&s->cloud, &id, NULL, err);
    if (!rc && !cred) rc = err->code ? err->code : CAPZ_EINVAL;
    if (!rc) rc = session_for(s, cred, arm, err);
  }
  for (int i = 0; i < 5; i++) {
    if (vals[i]) OPENSSL_cleanse(vals[i], lens[i]);
    free(vals[i]);
  }
  return rc;
}
