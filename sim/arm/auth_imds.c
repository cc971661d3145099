/* auth_imds.c — GET /metadata/identity/oauth2/token: the VM's Instance Metadata Service token endpoint for the
 * system-assigned identity and user-assigned identities (selected by client_id, object_id or msi_res_id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_internal.h"

static const auth_principal *pick(const arm_auth *a, const char *client_id, const char *object_id,
                                  const char *res_id) {
  for (size_t i = 0; i < a->nuamis; i++) {
    const auth_principal *p = &a->uamis[i];
    if ((client_id && strcasecmp(p->client_id, client_id) == 0) ||
        (object_id && strcasecmp(p->object_id, object_id) == 0) ||
        (res_id && p->resource_id[0] && strcasecmp(p->resource_id, res_id) == 0))
      return p;
  }
  const auth_principal *s = a->sami;
  if (s && ((client_id && strcasecmp(s->client_id, client_id) == 0) ||
            (object_id && strcasecmp(s->object_id, object_id) == 0)))
    return s;
  return NULL;
}

void arm_auth_imds(arm_auth *a, const char *query, const char *metadata_header, arm_http_reply *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!a) {
    out->status = 500;
    return;
  }
  /* IMDS refuses requests without the header so that SSRF through a proxy cannot reach it. */
  if (!metadata_header || strcmp(metadata_header, "true") != 0) {
    auth_imds_error(out, 400, "invalid_request", "Required metadata header not specified");
    return;
  }
  auth_form q;
  if (auth_form_parse(query, query ? strlen(query) : 0, &q) != 0) {
    auth_imds_error(out, 400, "invalid_request", "Malformed query string");
    return;
  }
  const char *api = auth_form_get(&q, "api-version", NULL);
  const char *resource = auth_form_get(&q, "resource", NULL);
  const char *client_id = auth_form_get(&q, "client_id", NULL);
  const char *object_id = auth_form_get(&q, "object_id", NULL);
  const char *res_id = auth_form_get(&q, "msi_res_id", NULL);
  if (!res_id) res_id = auth_form_get(&q, "mi_res_id", NULL);
  /* an empty selector (client_id=) means "not given", as clients build the query from optional settings */
  if (client_id && !*client_id) client_id = NULL;
  if (object_id && !*object_id) object_id = NULL;
  if (res_id && !*res_id) res_id = NULL;
  int nsel = (client_id != NULL) + (object_id != NULL) + (res_id != NULL);
  char aud[AUTH_URL_MAX];
  const auth_principal *p = NULL;
  if (!api || !*api) {
    auth_imds_error(out, 400, "invalid_request", "Required query variable 'api-version' is missing");
  } else if (!resource || !*resource) {
    auth_imds_error(out, 400, "invalid_request", "Required audience parameter not specified");
  } else if (nsel > 1) {
    auth_imds_error(out, 400, "invalid_request",
                    "Only one of client_id, object_id or msi_res_id may be specified in the token request");
  } else {
    auth_normalize_resource(resource, strlen(resource), aud, sizeof aud);
    if (!auth_resource_known(a, aud)) {
      char desc[600];
      snprintf(desc, sizeof desc,
               "AADSTS500011: The resource principal named %s was not found in the tenant. This can happen if the "
               "application has not been installed by the administrator of the tenant.",
               resource);
      auth_imds_error(out, 400, "invalid_resource", desc);
    } else if (nsel == 1) {
      p = pick(a, client_id, object_id, res_id);
      if (!p) auth_imds_error(out, 400, "invalid_request", "Identity not found");
    } else if (a->sami) {
      p = a->sami;
    } else if (a->nuamis == 1) {
      p = &a->uamis[0];
    } else if (a->nuamis > 1) {
      auth_imds_error(out, 400, "invalid_request",
                      "Multiple user assigned identities exist, please specify the clientId / resourceId of the "
                      "identity in the token request");
    } else {
      auth_imds_error(out, 400, "invalid_request", "Identity not found");
    }
  }
  if (p) {
    long iat = 0, exp = 0;
    char *tok = auth_issue_token(a, p, aud, "2", &iat, &exp);
    if (!tok) {
      auth_imds_error(out, 500, "unknown_error", "Failed to issue a token");
    } else {
      char n[32];
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "access_token", tok);
      cJSON_AddStringToObject(o, "client_id", p->client_id);
      snprintf(n, sizeof n, "%ld", exp - iat);
      cJSON_AddStringToObject(o, "expires_in", n);
      snprintf(n, sizeof n, "%ld", exp);
      cJSON_AddStringToObject(o, "expires_on", n);
      snprintf(n, sizeof n, "%ld", exp - iat);
      cJSON_AddStringToObject(o, "ext_expires_in", n);
      snprintf(n, sizeof n, "%ld", iat);
      cJSON_AddStringToObject(o, "not_before", n);
      cJSON_AddStringToObject(o, "resource", resource);
      cJSON_AddStringToObject(o, "token_type", "Bearer");
      free(tok);
      auth_reply_json(out, 200, o);
    }
  }
  auth_form_free(&q);
}
