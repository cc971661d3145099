/* az_session_identity.c — AzureClusterIdentity → secret → credential (capz/azure_session.h): allowedNamespaces
 * is checked before any secret is read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "az_session.h"
#include "capz/controller_util.h"
#include "capz/json.h"

static const capz_gvk GVK_IDENTITY = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureClusterIdentity",
                                      "azureclusteridentities", true};
static const capz_gvk GVK_NAMESPACE = {"", "v1", "Namespace", "namespaces", false};

int az_session_read_file(const char *path, unsigned char **out, size_t *len, capz_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return capz_err_set(err, CAPZ_ENOTFOUND, "cannot open %s: %s", path, strerror(errno));
  unsigned char *b = malloc(65536);
  size_t n = b ? fread(b, 1, 65535, f) : 0;
  fclose(f);
  if (!b) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  while (n && (b[n - 1] == '\n' || b[n - 1] == '\r')) n--;
  b[n] = '\0';
  *out = b;
  *len = n;
  return 0;
}

static bool needs_secret(capz_az_identity_type t) {
  return t == CAPZ_AZ_ID_SERVICE_PRINCIPAL || t == CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL ||
         t == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE;
}

/* The identity's secret bytes: certPath file, or its Secret's clientSecret (certificate types: "certificate",
 * then "clientSecret"). */
static int identity_secret(capz_ctx *ctx, const cJSON *spec, capz_az_identity_type type, const char *ins,
                           const char *iname, unsigned char **sec, size_t *len, capz_err *err) {
  const char *cert_path = capz_json_ptr_str(spec, "/certPath", "");
  if (type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE && *cert_path)
    return az_session_read_file(cert_path, sec, len, err);
  const char *sname = capz_json_ptr_str(spec, "/clientSecret/name", "");
  const char *sns = capz_json_ptr_str(spec, "/clientSecret/namespace", ins);
  if (!*sname)
    return capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity %s/%s: spec.clientSecret is required", ins, iname);
  capz_kube_client *kc = capz_ctx_client(ctx);
  int rc;
  if (type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE) {
    capz_err e1;
    capz_err_clear(&e1);
    rc = capz_secret_value(kc, sns, sname, "certificate", sec, len, &e1);
    if (rc != CAPZ_EINVAL) {
      if (rc && err) *err = e1;
      if (rc) capz_err_prefix(err, "identity ");
      return rc;
    }
  }
  rc = capz_secret_value(kc, sns, sname, "clientSecret", sec, len, err);
  if (rc) capz_err_prefix(err, "identity ");
  return rc;
}

static int entry_for_identity(capz_az_sessions *s, capz_ctx *ctx, const char *identity_ns, const char *identity_name,
                              const char *object_ns, capz_arm_client **arm, capz_az_credential **cred,
                              capz_err *err) {
  if (!identity_name || !*identity_name) return capz_err_set(err, CAPZ_EINVAL, "spec.identityRef is required");
  const char *ons = object_ns ? object_ns : "";
  const char *ins = identity_ns && *identity_ns ? identity_ns : ons;
  cJSON *idobj = capz_ctx_cache_copy(ctx, &GVK_IDENTITY, ins, identity_name);
  int rc = 0;
  if (!idobj && (rc = capz_kube_get(capz_ctx_client(ctx), &GVK_IDENTITY, ins, identity_name, &idobj, err)) != 0)
    return capz_err_prefix(err, "AzureClusterIdentity %s/%s: ", ins, identity_name), rc;
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(idobj, "spec");
  cJSON *nsobj = NULL;
  if (capz_json_ptr_get(spec, "/allowedNamespaces/selector"))
    capz_kube_get(capz_ctx_client(ctx), &GVK_NAMESPACE, NULL, ons, &nsobj, NULL);
  bool ok = capz_az_namespace_allowed(spec, ons, capz_json_ptr_get(nsobj, "/metadata/labels"), err);
  cJSON_Delete(nsobj);
  if (!ok) {
    cJSON_Delete(idobj);
    return err && err->code ? err->code : CAPZ_EFORBIDDEN;
  }
  capz_az_identity id = {.type = capz_az_identity_type_parse(capz_json_ptr_str(spec, "/type", "")),
                         .tenant_id = capz_json_ptr_str(spec, "/tenantID", NULL),
                         .client_id = capz_json_ptr_str(spec, "/clientID", NULL),
                         .credentials_file = capz_json_ptr_str(spec, "/userAssignedIdentityCredentialsPath", NULL)};
  unsigned char *sec = NULL;
  size_t len = 0;
  if (id.type == CAPZ_AZ_ID_INVALID)
    rc = capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity %s/%s: unsupported spec.type", ins, identity_name);
  else if (needs_secret(id.type))
    rc = identity_secret(ctx, spec, id.type, ins, identity_name, &sec, &len, err);
  if (!rc) {
    id.secret = sec;
    id.secret_len = len;
    rc = az_session_entry_for(s, &id, arm, cred, err);
  }
  if (sec) OPENSSL_cleanse(sec, len);
  free(sec);
  cJSON_Delete(idobj);
  return rc;
}

int capz_az_session_for_identity(capz_az_sessions *s, capz_ctx *ctx, const char *identity_ns,
                                 const char *identity_name, const char *object_ns, capz_arm_client **arm,
                                 capz_err *err) {
  if (!s || !ctx || !arm) return capz_err_set(err, CAPZ_EINVAL, "capz_az_session_for_identity: NULL argument");
  *arm = NULL;
  return entry_for_identity(s, ctx, identity_ns, identity_name, object_ns, arm, NULL, err);
}

int capz_az_session_credential_for_identity(capz_az_sessions *s, capz_ctx *ctx, const char *identity_ns,
                                            const char *identity_name, const char *object_ns,
                                            capz_az_credential **cred, capz_err *err) {
  if (!s || !ctx || !cred)
    return capz_err_set(err, CAPZ_EINVAL, "capz_az_session_credential_for_identity: NULL argument");
  *cred = NULL;
  return entry_for_identity(s, ctx, identity_ns, identity_name, object_ns, NULL, cred, err);
}
