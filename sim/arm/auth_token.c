/* auth_token.c — POST /{tenant}/oauth2/v2.0/token (and the legacy v1 /{tenant}/oauth2/token): the
 * client-credentials grant with a client secret, a certificate client assertion (RS256/PS256, x5t / x5t#S256),
 * or a federated assertion (workload identity).
 * Error codes and HTTP statuses follow what Entra ID answers for the same mistakes (docs/arm-sim-auth.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth_internal.h"

#define WIF_DOC "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"

typedef struct tokreq {
  arm_auth *a;
  const auth_tenant *tenant;
  const char *tenant_in_path;
  auth_form form;
  const char *client_id;
  char aud[AUTH_URL_MAX]; /* normalised resource of the requested scope */
  bool v1;                /* legacy /oauth2/token: resource= in, string numbers out */
  const char *resource;   /* v1: the resource parameter as sent (echoed back) */
  arm_http_reply *out;
} tokreq;

static void missing_param(tokreq *r, const char *name) {
  auth_entra_error(r->out, 400, "invalid_request", 900144,
                   "The request body must contain the following parameter: '%s'.", name);
}

static bool check_resource(tokreq *r);

/* Picks the single "<resource>/.default" scope; other OIDC scopes (openid, profile, offline_access) are ignored. */
static bool parse_scope(tokreq *r, const char *scope) {
  const char *p = scope;
  const char *found = NULL;
  size_t flen = 0;
  int ndefault = 0;
  while (*p) {
    while (*p == ' ') p++;
    const char *e = p;
    while (*e && *e != ' ') e++;
    size_t len = (size_t)(e - p);
    if (len >= 9 && strncmp(e - 9, "/.default", 9) == 0) {
      found = p;
      flen = len - 9;
      ndefault++;
    }
    p = e;
  }
  if (ndefault != 1 || flen == 0) {
    auth_entra_error(r->out, 400, "invalid_scope", 1002012,
                     "The provided value for scope %s is not valid. Client credential flows must have a scope value "
                     "with /.default suffixed to the resource identifier (application ID URI).",
                     scope);
    return false;
  }
  auth_normalize_resource(found, flen, r->aud, sizeof r->aud);
  return check_resource(r);
}

static bool check_resource(tokreq *r) {
  if (!auth_resource_known(r->a, r->aud)) {
    auth_entra_error(r->out, 400, "invalid_resource", 500011,
                     "The resource principal named %s was not found in the tenant named %s. This can happen if the "
                     "application has not been installed by the administrator of the tenant or consented to by any "
                     "user in the tenant. You might have sent your authentication request to the wrong tenant.",
                     r->aud, r->tenant_in_path);
    return false;
  }
  return true;
}

static void success(tokreq *r, const auth_principal *p, const char *acr) {
  long iat = 0, exp = 0;
  char *tok = auth_issue_token(r->a, p, r->aud, acr, &iat, &exp);
  if (!tok) {
    auth_entra_error(r->out, 500, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.");
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "token_type", "Bearer");
  if (r->v1) { /* the v1 endpoint sends every number as a string */
    char n[32];
    snprintf(n, sizeof n, "%ld", exp - iat);
    cJSON_AddStringToObject(o, "expires_in", n);
    cJSON_AddStringToObject(o, "ext_expires_in", n);
    snprintf(n, sizeof n, "%ld", exp);
    cJSON_AddStringToObject(o, "expires_on", n);
    snprintf(n, sizeof n, "%ld", iat);
    cJSON_AddStringToObject(o, "not_before", n);
    cJSON_AddStringToObject(o, "resource", r->resource);
  } else {
    cJSON_AddNumberToObject(o, "expires_in", (double)(exp - iat));
    cJSON_AddNumberToObject(o, "ext_expires_in", (double)(exp - iat));
  }
  cJSON_AddStringToObject(o, "access_token", tok);
  free(tok);
  r->out->www_authenticate[0] = '\0';
  auth_reply_json(r->out, 200, o);
}

/* Claims are attacker-controlled: clamp to years 1970..9999 before converting to time_t. */
static void iso_time(double v, char *out, size_t outlen) {
  if (!(v >= 0)) v = 0;
  if (v > 253402300799.0) v = 253402300799.0;
  time_t t = (time_t)v;
  struct tm tm;
  if (!gmtime_r(&t, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm) == 0)
    snprintf(out, outlen, "unknown");
}

/* Time checks shared by certificate and federated assertions. Returns false (reply filled) when out of range. */
static bool assertion_time_ok(tokreq *r, const auth_jwt *j) {
  double exp = 0, nbf = 0;
  long now = auth_now(), skew = r->a->clock_skew;
  if (!auth_jwt_num(j->claims, "exp", &exp)) {
    auth_entra_error(r->out, 400, "invalid_client", 50027,
                     "JWT token is invalid or malformed: the client assertion has no 'exp' claim.");
    return false;
  }
  bool has_nbf = auth_jwt_num(j->claims, "nbf", &nbf) || auth_jwt_num(j->claims, "iat", &nbf);
  if ((double)now > exp + (double)skew || (has_nbf && nbf > (double)(now + skew)) ||
      (has_nbf && exp - nbf > (double)r->a->assertion_max_lifetime)) {
    /* Entra prints ISO-8601 times, with the epoch when the assertion has no nbf. */
    char vf[40], ve[40], nw[40];
    iso_time(has_nbf ? nbf : 0, vf, sizeof vf);
    iso_time(exp, ve, sizeof ve);
    iso_time((double)now, nw, sizeof nw);
    auth_entra_error(r->out, 400, "invalid_client", 700024,
                     "Client assertion is not within its valid time range. Current time: %s, assertion valid from "
                     "%s, expiry time of assertion %s. Review the documentation at "
                     "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
                     nw, vf, ve);
    return false;
  }
  return true;
}

/* True when the assertion aud names this tenant's token endpoint (any host: the sim is reached under many names). */
static bool aud_is_token_endpoint(tokreq *r, const char *aud) {
  char norm[AUTH_URL_MAX];
  auth_normalize_resource(aud, strlen(aud), norm, sizeof norm);
  const char *suffixes[] = {"/oauth2/v2.0/token", "/oauth2/token"};
  for (size_t i = 0; i < 2; i++) {
    size_t sl = strlen(suffixes[i]), nl = strlen(norm);
    if (nl <= sl || strcmp(norm + nl - sl, suffixes[i]) != 0) continue;
    /* the path segment before the suffix is the tenant (id or domain) */
    size_t end = nl - sl, start = end;
    while (start > 0 && norm[start - 1] != '/') start--;
    char seg[AUTH_ID_MAX];
    if (end - start >= sizeof seg) continue;
    memcpy(seg, norm + start, end - start);
    seg[end - start] = '\0';
    if (auth_find_tenant(r->a, seg) == r->tenant) return true;
  }
  return false;
}

static bool claim_aud_matches(const cJSON *claims, bool (*match)(void *, const char *), void *ctx) {
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
  if (cJSON_IsString(aud)) return match(ctx, aud->valuestring);
  if (cJSON_IsArray(aud)) {
    const cJSON *it;
    cJSON_ArrayForEach(it, aud) if (cJSON_IsString(it) && match(ctx, it->valuestring)) return true;
  }
  return false;
}

static bool match_token_endpoint(void *ctx, const char *aud) { return aud_is_token_endpoint(ctx, aud); }

static void certificate_flow(tokreq *r, const auth_principal *app, const auth_jwt *j) {
  const char *s256 = auth_jwt_str(j->header, "x5t#S256");
  const char *s1 = auth_jwt_str(j->header, "x5t");
  const auth_cert *cert = NULL;
  for (size_t i = 0; i < app->ncerts && !cert; i++) {
    const auth_cert *c = &app->certs[i];
    bool ok256 = s256 && strcmp(s256, c->x5t_s256) == 0, ok1 = s1 && strcmp(s1, c->x5t) == 0;
    /* When both thumbprints are sent they must name the same certificate. */
    if ((ok256 && (!s1 || ok1)) || (ok1 && !s256)) cert = c;
  }
  const char *shown = s256 ? s256 : s1 ? s1 : "";
  if (!cert) {
    auth_entra_error(r->out, 401, "invalid_client", 700027,
                     "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of "
                     "key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS "
                     "Graph to see configured keys for app Id '%s'.]",
                     shown, app->client_id);
    return;
  }
  if (!auth_jwt_verify(j, cert->key)) {
    auth_entra_error(r->out, 401, "invalid_client", 700027,
                     "Client assertion contains an invalid signature. [Reason - The provided signature value did not "
                     "match the expected signature value., Thumbprint of key used by client: '%s', Found key "
                     "'Start=, End=', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
                     "configured keys for app Id '%s'.]",
                     shown, app->client_id);
    return;
  }
  const char *sub = auth_jwt_str(j->claims, "sub");
  if (!sub || strcasecmp(sub, app->client_id) != 0) {
    auth_entra_error(r->out, 400, "invalid_client", 700023,
                     "Client assertion audience or subject claim is not valid: 'sub' must be the client id '%s'.",
                     app->client_id);
    return;
  }
  if (!claim_aud_matches(j->claims, match_token_endpoint, r)) {
    auth_entra_error(r->out, 400, "invalid_client", 700212,
                     "The audience claim of the client assertion is not valid. Expected the token endpoint of tenant "
                     "'%s' (e.g. https://login.microsoftonline.com/%s/oauth2/v2.0/token).",
                     r->tenant->id, r->tenant->id);
    return;
  }
  if (!assertion_time_ok(r, j)) return;
  success(r, app, "2");
}

typedef struct fedmatch {
  const auth_fedcred *f;
} fedmatch;

static bool match_fed_audience(void *ctx, const char *aud) {
  const fedmatch *m = ctx;
  return auth_strlist_has(&m->f->audiences, aud, false);
}

static void federated_flow(tokreq *r, const auth_principal *app, const auth_jwt *j) {
  const char *iss = auth_jwt_str(j->claims, "iss"), *sub = auth_jwt_str(j->claims, "sub");
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(j->claims, "aud");
  const auth_fedcred *fed = NULL;
  for (size_t i = 0; i < app->nfeds && !fed; i++) {
    const auth_fedcred *f = &app->feds[i];
    fedmatch m = {f};
    /* Entra matches issuer, subject and audience case-sensitively. */
    if (iss && sub && strcmp(f->issuer, iss) == 0 && strcmp(f->subject, sub) == 0 &&
        claim_aud_matches(j->claims, match_fed_audience, &m))
      fed = f;
  }
  if (!fed) {
    char audtxt[256] = "";
    if (cJSON_IsString(aud)) snprintf(audtxt, sizeof audtxt, "%s", aud->valuestring);
    else if (cJSON_IsArray(aud) && cJSON_IsString(cJSON_GetArrayItem(aud, 0)))
      snprintf(audtxt, sizeof audtxt, "%s", cJSON_GetArrayItem(aud, 0)->valuestring);
    auth_entra_error(r->out, 400, "invalid_request", 70021,
                     "No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. "
                     "Assertion Subject: '%s'. Assertion Audience: '%s'. " WIF_DOC,
                     iss ? iss : "", sub ? sub : "", audtxt);
    return;
  }
  const char *kid = auth_jwt_str(j->header, "kid");
  bool verified = false, kid_found = false;
  for (size_t i = 0; i < fed->nkeys && !verified; i++) {
    /* With a kid, only the key of that kid (JWKS) or keys without kid (PEM) are candidates. */
    if (kid && fed->keys[i].kid[0] && strcmp(fed->keys[i].kid, kid) != 0) continue;
    kid_found = true;
    verified = auth_jwt_verify(j, fed->keys[i].key);
  }
  if (!verified) {
    auth_entra_error(r->out, 401, "invalid_client", 700027,
                     "Client assertion contains an invalid signature. [Reason - %s, Key ID used by client: '%s', "
                     "Issuer: '%s'.]",
                     kid_found ? "The provided signature value did not match the expected signature value."
                               : "The key was not found.",
                     kid ? kid : "", iss);
    return;
  }
  if (!assertion_time_ok(r, j)) return;
  success(r, app, "2");
}

static void assertion_flow(tokreq *r, const auth_principal *app, const char *assertion) {
  const char *type = auth_form_get(&r->form, "client_assertion_type", NULL);
  if (!type) {
    missing_param(r, "client_assertion_type");
    return;
  }
  if (strcmp(type, AUTH_ASSERTION_TYPE_JWT) != 0) {
    auth_entra_error(r->out, 400, "invalid_request", 9002313,
                     "Invalid request. Request is malformed or invalid: client_assertion_type must be '%s'.",
                     AUTH_ASSERTION_TYPE_JWT);
    return;
  }
  auth_jwt j;
  if (auth_jwt_parse(assertion, strlen(assertion), &j) != 0) {
    auth_entra_error(r->out, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
    return;
  }
  if (strcmp(j.alg, "RS256") != 0 && strcmp(j.alg, "PS256") != 0) {
    auth_entra_error(r->out, 401, "invalid_client", 700027,
                     "Client assertion contains an invalid signature. [Reason - The signing algorithm '%s' is not "
                     "supported; use RS256 or PS256.]",
                     j.alg);
    auth_jwt_free(&j);
    return;
  }
  /* A self-issued assertion (iss = client id) is a certificate credential; any other issuer is federation. */
  const char *iss = auth_jwt_str(j.claims, "iss");
  if (iss && strcasecmp(iss, app->client_id) == 0) certificate_flow(r, app, &j);
  else federated_flow(r, app, &j);
  auth_jwt_free(&j);
}

/* client_secret_basic: merge "Basic base64(urlenc(id):urlenc(secret))" into the form. false = reply filled. */
static bool merge_basic(tokreq *r, const char *authorization) {
  while (*authorization == ' ') authorization++;
  if (strncasecmp(authorization, "Basic ", 6) != 0) return true; /* other schemes are not client credentials */
  const char *b64 = authorization + 6;
  while (*b64 == ' ') b64++;
  unsigned char *raw = NULL;
  size_t rawlen = 0;
  char *id = NULL, *secret = NULL;
  bool ok = false;
  if (auth_b64_decode(b64, strlen(b64), &raw, &rawlen) == 0 && memchr(raw, '\0', rawlen) == NULL) {
    char *colon = strchr((char *)raw, ':');
    if (colon) {
      id = auth_url_decode((char *)raw, (size_t)(colon - (char *)raw));
      secret = auth_url_decode(colon + 1, strlen(colon + 1));
    }
  }
  const char *body_id = auth_form_get(&r->form, "client_id", NULL);
  if (!id || !secret || !*id) {
    auth_entra_error(r->out, 400, "invalid_request", 9002313,
                     "Invalid request. Request is malformed or invalid: the Basic Authorization header is not "
                     "base64(client_id:client_secret).");
  } else if (body_id && strcasecmp(body_id, id) != 0) {
    auth_entra_error(r->out, 400, "invalid_request", 9002313,
                     "Invalid request. Request is malformed or invalid: client_id in the body and in the "
                     "Authorization header differ.");
  } else if (auth_form_get(&r->form, "client_secret", NULL) || auth_form_get(&r->form, "client_assertion", NULL)) {
    auth_entra_error(r->out, 400, "invalid_request", 9002313,
                     "Invalid request. Request is malformed or invalid: the client authenticated both with the "
                     "Authorization header and in the body.");
  } else if ((!body_id && auth_form_add(&r->form, "client_id", id) != 0) ||
             auth_form_add(&r->form, "client_secret", secret) != 0) {
    auth_entra_error(r->out, 500, "temporarily_unavailable", 90033, "A transient error has occurred.");
  } else {
    ok = true;
  }
  if (raw) OPENSSL_cleanse(raw, rawlen);
  if (secret) OPENSSL_cleanse(secret, strlen(secret));
  free(raw);
  free(id);
  free(secret);
  return ok;
}

void arm_auth_token(arm_auth *a, const char *tenant, const char *body, size_t len, arm_http_reply *out) {
  arm_auth_token_ex(a, tenant, body, len, NULL, out);
}

static void token_request(arm_auth *a, const char *tenant, const char *body, size_t len, const char *authorization,
                          bool v1, arm_http_reply *out);

void arm_auth_token_ex(arm_auth *a, const char *tenant, const char *body, size_t len, const char *authorization,
                       arm_http_reply *out) {
  token_request(a, tenant, body, len, authorization, false, out);
}

void arm_auth_token_v1(arm_auth *a, const char *tenant, const char *body, size_t len, const char *authorization,
                       arm_http_reply *out) {
  token_request(a, tenant, body, len, authorization, true, out);
}

static void token_request(arm_auth *a, const char *tenant, const char *body, size_t len, const char *authorization,
                          bool v1, arm_http_reply *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!a) {
    out->status = 500;
    return;
  }
  tokreq r = {.a = a, .tenant_in_path = tenant ? tenant : "", .out = out, .v1 = v1};
  r.tenant = auth_find_tenant(a, tenant);
  if (!r.tenant) {
    auth_entra_error(out, 400, "invalid_request", 90002,
                     "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into "
                     "the correct cloud. Check with your subscription administrator, this may happen if there are no "
                     "active subscriptions for the tenant.",
                     r.tenant_in_path);
    return;
  }
  if (auth_form_parse(body, body ? len : 0, &r.form) != 0) {
    auth_entra_error(out, 400, "invalid_request", 9002313,
                     "Invalid request. Request is malformed or invalid: the body is not valid "
                     "application/x-www-form-urlencoded.");
    return;
  }
  static const char *const single[] = {"grant_type",       "client_id",  "scope", "resource", "client_secret",
                                       "client_assertion", "client_assertion_type"};
  for (size_t i = 0; i < sizeof single / sizeof *single; i++) {
    bool dup = false;
    auth_form_get(&r.form, single[i], &dup);
    if (dup) {
      auth_entra_error(out, 400, "invalid_request", 9002313,
                       "Invalid request. Request is malformed or invalid: parameter '%s' appears more than once.",
                       single[i]);
      goto done;
    }
  }
  if (authorization && !merge_basic(&r, authorization)) goto done;
  const char *grant = auth_form_get(&r.form, "grant_type", NULL);
  if (!grant || !*grant) {
    missing_param(&r, "grant_type");
    goto done;
  }
  if (strcmp(grant, "client_credentials") != 0) {
    auth_entra_error(out, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.",
                     grant);
    goto done;
  }
  r.client_id = auth_form_get(&r.form, "client_id", NULL);
  if (!r.client_id || !*r.client_id) {
    missing_param(&r, "client_id");
    goto done;
  }
  const char *scope = auth_form_get(&r.form, v1 ? "resource" : "scope", NULL);
  if (!scope || !*scope) {
    missing_param(&r, v1 ? "resource" : "scope");
    goto done;
  }
  const auth_principal *app = auth_find_app(a, r.client_id);
  if (!app || strcasecmp(app->tenant, r.tenant->id) != 0) {
    auth_entra_error(out, 400, "unauthorized_client", 700016,
                     "Application with identifier '%s' was not found in the directory '%s'. This can happen if the "
                     "application has not been installed by the administrator of the tenant or consented to by any "
                     "user in the tenant. You may have sent your authentication request to the wrong tenant.",
                     r.client_id, r.tenant_in_path);
    goto done;
  }
  if (v1) {
    r.resource = scope;
    auth_normalize_resource(scope, strlen(scope), r.aud, sizeof r.aud);
    if (!check_resource(&r)) goto done;
  } else if (!parse_scope(&r, scope)) {
    goto done;
  }
  const char *secret = auth_form_get(&r.form, "client_secret", NULL);
  const char *assertion = auth_form_get(&r.form, "client_assertion", NULL);
  if (secret && assertion) {
    auth_entra_error(out, 400, "invalid_request", 9002313,
                     "Invalid request. Request is malformed or invalid: send either 'client_secret' or "
                     "'client_assertion', not both.");
  } else if (!secret && !assertion) {
    auth_entra_error(out, 401, "invalid_client", 7000218,
                     "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  } else if (secret) {
    bool ok = false;
    /* Check every configured secret so the time taken does not reveal which one was close. */
    for (size_t i = 0; i < app->secrets.n; i++) ok |= auth_secret_equal(secret, app->secrets.v[i]);
    if (ok) success(&r, app, "1");
    else
      auth_entra_error(out, 401, "invalid_client", 7000215,
                       "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                       "secret value, not the client secret ID, for a secret added to app '%s'.",
                       app->client_id);
  } else {
    assertion_flow(&r, app, assertion);
  }
done:
  auth_form_free(&r.form);
}
