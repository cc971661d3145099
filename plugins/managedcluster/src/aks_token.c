/* aks_token.c — an Entra token for the AKS AAD server application (scope 6dae42f8-…/.default) obtained with the
 * AMCP's AzureClusterIdentity, for the token-injected kubeconfig of AAD clusters with local accounts disabled.
 *
 * Why here and not through the session cache: the SDK's credentials only ask for the cloud's ARM audience and the
 * session cache hands out ARM clients, not credentials. So this builds a short-lived credential whose cloud copy
 * has the AKS server application as its token audience (capz_az_cloud_scope makes "<audience>/.default"), with a
 * private token cache so every call gets a new token whose expiry we can read. It runs only when the kubeconfig
 * is due for a refresh (about once per token lifetime per cluster). The caller has already passed the identity's
 * allowedNamespaces check (mc_arm_for). The ASO control plane uses its ASO credential Secret instead. Secret bytes
 * and tokens are wiped and never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

#define AKS_AAD_SERVER_APP "6dae42f8-4368-4678-94ff-3960e28e3630"

static bool needs_secret(capz_az_identity_type t) {
  return t == CAPZ_AZ_ID_SERVICE_PRINCIPAL || t == CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL ||
         t == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE;
}

static int read_file(const char *path, unsigned char **out, size_t *len, capz_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return capz_err_set(err, CAPZ_ENOTFOUND, "cannot open the identity's certPath");
  unsigned char *b = malloc(65536);
  size_t n = b ? fread(b, 1, 65535, f) : 0;
  fclose(f);
  if (!b) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  b[n] = '\0';
  *out = b;
  *len = n;
  return 0;
}

static int identity_secret(capz_ctx *ctx, const cJSON *spec, capz_az_identity_type type, const char *ins,
                           unsigned char **sec, size_t *len, capz_err *err) {
  const char *cert_path = capz_json_ptr_str(spec, "/certPath", "");
  if (type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE && *cert_path) return read_file(cert_path, sec, len, err);
  const char *sname = capz_json_ptr_str(spec, "/clientSecret/name", "");
  const char *sns = capz_json_ptr_str(spec, "/clientSecret/namespace", ins);
  if (!*sname) return capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity: spec.clientSecret is required");
  capz_kube_client *kc = capz_ctx_client(ctx);
  if (type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE &&
      capz_secret_value(kc, sns, sname, "certificate", sec, len, NULL) == 0)
    return 0;
  return capz_secret_value(kc, sns, sname, "clientSecret", sec, len, err);
}

/* exp and iat claims of a JWT (0 when unreadable). */
static void jwt_times(const char *jwt, int64_t *exp, int64_t *iat) {
  *exp = *iat = 0;
  const char *a = strchr(jwt, '.');
  const char *b = a ? strchr(a + 1, '.') : NULL;
  if (!b) return;
  size_t n = (size_t)(b - a - 1);
  char *s = malloc(n + 4);
  if (!s) return;
  for (size_t i = 0; i < n; i++) s[i] = a[1 + i] == '-' ? '+' : a[1 + i] == '_' ? '/' : a[1 + i];
  while (n % 4) s[n++] = '=';
  s[n] = '\0';
  size_t l = 0;
  unsigned char *p = capz_b64_decode(s, &l);
  free(s);
  cJSON *j = p ? cJSON_ParseWithLength((const char *)p, l) : NULL;
  *exp = capz_json_ptr_int(j, "/exp", 0);
  *iat = capz_json_ptr_int(j, "/iat", 0);
  cJSON_Delete(j);
  free(p);
}

/* A token for the AKS server application with this identity: a credential whose cloud copy has that audience and
 * a private cache (so the token is new and its claims are the ones we read). */
static int token_for(mc_state *s, const capz_az_identity *id, char **token, int64_t *exp, int64_t *iat,
                     capz_err *err) {
  capz_az_cloud cloud = s->cloud;
  snprintf(cloud.token_audience, sizeof cloud.token_audience, "%s", AKS_AAD_SERVER_APP);
  capz_az_token_cache *cache = capz_az_token_cache_new(1, NULL, NULL);
  if (!cache) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  int rc = 0;
  capz_az_credential *cred = capz_az_credential_new(&cloud, id, cache, err);
  if (!cred) rc = err && err->code ? err->code : CAPZ_EINVAL;
  if (!rc) rc = capz_az_credential_token(cred, NULL, token, err);
  if (!rc) jwt_times(*token, exp, iat);
  capz_az_credential_free(cred);
  capz_az_token_cache_free(cache);
  if (rc) capz_err_prefix(err, "token for the AKS server application: ");
  return rc;
}

int mc_aks_token(mc_state *s, capz_ctx *ctx, const cJSON *amcp, char **token, int64_t *exp, int64_t *iat,
                 capz_err *err) {
  *token = NULL;
  const char *ons = capz_json_ptr_str(amcp, "/metadata/namespace", "");
  const char *ins = capz_json_ptr_str(amcp, "/spec/identityRef/namespace", "");
  if (!*ins) ins = ons;
  const char *iname = capz_json_ptr_str(amcp, "/spec/identityRef/name", "");
  cJSON *idobj = capz_ctx_cache_copy(ctx, &MC_GVK_IDENTITY, ins, iname);
  int rc = 0;
  if (!idobj && (rc = capz_kube_get(capz_ctx_client(ctx), &MC_GVK_IDENTITY, ins, iname, &idobj, err)) != 0)
    return capz_err_prefix(err, "AzureClusterIdentity %s/%s: ", ins, iname), rc;
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(idobj, "spec");
  capz_az_identity id = {.type = capz_az_identity_type_parse(capz_json_ptr_str(spec, "/type", "")),
                         .tenant_id = capz_json_ptr_str(spec, "/tenantID", NULL),
                         .client_id = capz_json_ptr_str(spec, "/clientID", NULL),
                         .credentials_file = capz_json_ptr_str(spec, "/userAssignedIdentityCredentialsPath", NULL)};
  unsigned char *sec = NULL;
  size_t len = 0;
  if (id.type == CAPZ_AZ_ID_INVALID) rc = capz_err_set(err, CAPZ_EINVAL, "AzureClusterIdentity: unsupported type");
  else if (needs_secret(id.type)) rc = identity_secret(ctx, spec, id.type, ins, &sec, &len, err);
  if (!rc) {
    id.secret = sec;
    id.secret_len = len;
    rc = token_for(s, &id, token, exp, iat, err);
  }
  if (sec) OPENSSL_cleanse(sec, len);
  free(sec);
  cJSON_Delete(idobj);
  return rc;
}

int mc_aks_token_aso(mc_state *s, capz_ctx *ctx, const char *ns, const cJSON *res, char **token, int64_t *exp,
                     int64_t *iat, capz_err *err) {
  *token = NULL;
  mc_aso_cred c;
  int rc = mc_aso_cred_read(ctx, ns, res, &c, err);
  if (rc) return rc;
  rc = token_for(s, &c.id, token, exp, iat, err);
  mc_aso_cred_wipe(&c);
  return rc;
}
