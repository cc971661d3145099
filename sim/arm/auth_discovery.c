/* auth_discovery.c — OIDC discovery for the emulated tenants: openid-configuration and the JWKS of the token
 * signing key, so that clients (and tests) can find the token endpoint and verify issued tokens. */
#include <stdio.h>
#include <string.h>

#include "auth_internal.h"

void arm_auth_openid_configuration(arm_auth *a, const char *tenant, arm_http_reply *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!a) {
    out->status = 500;
    return;
  }
  const auth_tenant *t = auth_find_tenant(a, tenant);
  if (!t) {
    auth_entra_error(out, 400, "invalid_tenant", 90002,
                     "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into "
                     "the correct cloud.",
                     tenant ? tenant : "");
    return;
  }
  char base[AUTH_URL_MAX], url[AUTH_URL_MAX + AUTH_ID_MAX + 64];
  pthread_mutex_lock(&a->mu);
  snprintf(base, sizeof base, "%s", a->base_url);
  pthread_mutex_unlock(&a->mu);
  cJSON *o = cJSON_CreateObject();
  snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/token", base, t->id);
  cJSON_AddStringToObject(o, "token_endpoint", url);
  cJSON *m = cJSON_AddArrayToObject(o, "token_endpoint_auth_methods_supported");
  cJSON_AddItemToArray(m, cJSON_CreateString("client_secret_post"));
  cJSON_AddItemToArray(m, cJSON_CreateString("private_key_jwt"));
  cJSON_AddItemToArray(m, cJSON_CreateString("client_secret_basic"));
  snprintf(url, sizeof url, "%s/%s/discovery/v2.0/keys", base, t->id);
  cJSON_AddStringToObject(o, "jwks_uri", url);
  cJSON *algs = cJSON_AddArrayToObject(o, "id_token_signing_alg_values_supported");
  cJSON_AddItemToArray(algs, cJSON_CreateString("RS256"));
  cJSON *gr = cJSON_AddArrayToObject(o, "grant_types_supported");
  cJSON_AddItemToArray(gr, cJSON_CreateString("client_credentials"));
  cJSON *st = cJSON_AddArrayToObject(o, "subject_types_supported");
  cJSON_AddItemToArray(st, cJSON_CreateString("pairwise"));
  auth_issuer(a, t->id, url, sizeof url);
  cJSON_AddStringToObject(o, "issuer", url);
  snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/authorize", base, t->id);
  cJSON_AddStringToObject(o, "authorization_endpoint", url);
  cJSON_AddStringToObject(o, "tenant_region_scope", "WW");
  auth_reply_json(out, 200, o);
}

void arm_auth_jwks(arm_auth *a, arm_http_reply *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!a) {
    out->status = 500;
    return;
  }
  cJSON *jwk = auth_jwk_from_key(a->sign_key, a->kid);
  if (!jwk) {
    out->status = 500;
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON *keys = cJSON_AddArrayToObject(o, "keys");
  cJSON_AddItemToArray(keys, jwk);
  auth_reply_json(out, 200, o);
}
