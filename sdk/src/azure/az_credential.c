/* az_credential.c — AzureClusterIdentity credentials: build/validate, cache key, and the token flows
 * (client secret, certificate assertion, federated token file, IMDS, msi-dataplane credentials file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capz/azure_identity.h"
#include "capz/metrics.h"
#include "azure/az_cert.h"
#include "azure/az_token_cache.h"
#include "azure/az_util.h"
#include "http/http.h"

#define WI_DEFAULT_TOKEN_FILE "/var/run/secrets/azure/tokens/azure-identity-token"
#define MAX_FILE (1u << 20)

struct capz_az_credential {
  capz_az_cloud cloud;
  capz_az_identity_type type;
  char *tenant, *client;
  unsigned char *secret;
  size_t secret_len;
  char *token_file, *cred_file;
  az_cert *cert;
  capz_az_jwt_alg alg;
  char key[65];
  char principal[256];
  char scope[CAPZ_AZ_URL_MAX + 16];
  capz_az_token_cache *cache;
};

static const char *const TYPE_NAMES[] = {"",
                                         "ServicePrincipal",
                                         "ServicePrincipalCertificate",
                                         "ManualServicePrincipal",
                                         "WorkloadIdentity",
                                         "UserAssignedMSI",
                                         "UserAssignedIdentityCredential"};

capz_az_identity_type capz_az_identity_type_parse(const char *s) {
  if (!s) return CAPZ_AZ_ID_INVALID;
  for (int i = 1; i < (int)(sizeof TYPE_NAMES / sizeof TYPE_NAMES[0]); i++)
    if (strcmp(s, TYPE_NAMES[i]) == 0) return (capz_az_identity_type)i;
  return CAPZ_AZ_ID_INVALID;
}

const char *capz_az_identity_type_name(capz_az_identity_type t) {
  if ((int)t < 1 || (int)t >= (int)(sizeof TYPE_NAMES / sizeof TYPE_NAMES[0])) return "";
  return TYPE_NAMES[t];
}

void capz_az_token_free(char *token) { az_free_secret(token); }

void capz_az_credential_free(capz_az_credential *c) {
  if (!c) return;
  free(c->tenant);
  free(c->client);
  if (c->secret) {
    OPENSSL_cleanse(c->secret, c->secret_len);
    free(c->secret);
  }
  free(c->token_file);
  free(c->cred_file);
  az_cert_free(c->cert);
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
}

static bool is_guidish(const char *s) {
  /* tenant/client IDs end up in URL paths: allow only what GUIDs and tenant domain names use */
  if (!s || !*s || strlen(s) > 128) return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-' ||
          *p == '.' || *p == '_'))
      return false;
  return true;
}

capz_az_credential *capz_az_credential_new(const capz_az_cloud *cloud, const capz_az_identity *id,
                                           capz_az_token_cache *cache, capz_err *err) {
  if (!cloud || !id) {
    az_err(err, CAPZ_EINVAL, 0, NULL, "credential: cloud and identity are required");
    return NULL;
  }
  const char *tname = capz_az_identity_type_name(id->type);
  if (!*tname) {
    az_err(err, CAPZ_EINVAL, 0, "InvalidIdentityType", "credential: unknown identity type %d", (int)id->type);
    return NULL;
  }
  bool needs_tenant = id->type != CAPZ_AZ_ID_USER_ASSIGNED_MSI && id->type != CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL;
  bool needs_client = id->type != CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL;
  if (needs_tenant && !is_guidish(id->tenant_id)) {
    az_err(err, CAPZ_EINVAL, 0, "InvalidIdentity", "%s identity: tenantID is missing or malformed", tname);
    return NULL;
  }
  if ((needs_client || id->client_id) && !is_guidish(id->client_id)) {
    az_err(err, CAPZ_EINVAL, 0, "InvalidIdentity", "%s identity: clientID is missing or malformed", tname);
    return NULL;
  }
  if (id->tenant_id && *id->tenant_id && !is_guidish(id->tenant_id)) {
    az_err(err, CAPZ_EINVAL, 0, "InvalidIdentity", "%s identity: tenantID is malformed", tname);
    return NULL;
  }
  int rc;
  if ((rc = capz_az_endpoint_check(cloud->authority_host, false, err)) ||
      (rc = capz_az_endpoint_check(cloud->imds_endpoint, true, err))) {
    capz_err_prefix(err, "credential cloud");
    return NULL;
  }
  capz_az_credential *c = calloc(1, sizeof *c);
  if (!c) {
    az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
    return NULL;
  }
  c->cloud = *cloud;
  c->type = id->type;
  c->alg = id->jwt_alg;
  c->cache = cache ? cache : capz_az_token_cache_default();
  c->tenant = strdup(id->tenant_id ? id->tenant_id : "");
  c->client = strdup(id->client_id ? id->client_id : "");
  if (!c->tenant || !c->client || !c->cache) goto oom;
  if (capz_az_cloud_scope(cloud, c->scope, sizeof c->scope)) {
    az_err(err, CAPZ_EINVAL, 0, NULL, "credential: token audience too long");
    goto fail;
  }
  switch (id->type) {
  case CAPZ_AZ_ID_SERVICE_PRINCIPAL:
  case CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL:
  case CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE:
    if (!id->secret || id->secret_len == 0) {
      az_err(err, CAPZ_EINVAL, 0, "InvalidIdentity", "%s identity: the %s is empty", tname,
             id->type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE ? "certificate" : "client secret");
      goto fail;
    }
    c->secret = malloc(id->secret_len + 1);
    if (!c->secret) goto oom;
    memcpy(c->secret, id->secret, id->secret_len);
    c->secret[id->secret_len] = 0;
    c->secret_len = id->secret_len;
    if (id->type == CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE) {
      c->cert = az_cert_load(c->secret, c->secret_len, id->cert_password, err);
      if (!c->cert) goto fail;
    }
    break;
  case CAPZ_AZ_ID_WORKLOAD_IDENTITY: {
    const char *f = id->token_file;
    if (!f || !*f) f = getenv("AZURE_FEDERATED_TOKEN_FILE");
    if (!f || !*f) f = WI_DEFAULT_TOKEN_FILE;
    if (!(c->token_file = strdup(f))) goto oom;
    break;
  }
  case CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL:
    if (!id->credentials_file || !*id->credentials_file) {
      az_err(err, CAPZ_EINVAL, 0, "InvalidIdentity", "%s identity: userAssignedIdentityCredentialsPath is empty",
             tname);
      goto fail;
    }
    if (!(c->cred_file = strdup(id->credentials_file))) goto oom;
    break;
  default:
    break;
  }
  /* Key: everything that selects what token we would get. The secret enters only as a hash of a hash. */
  {
    char shash[65] = "";
    if (c->secret) {
      az_buf m = {0};
      az_buf_add(&m, (const char *)c->secret, c->secret_len);
      az_buf_add(&m, "\0", 1);
      if (id->cert_password) az_buf_adds(&m, id->cert_password);
      if (m.oom) { az_buf_wipe(&m); goto oom; }
      az_sha256_hex(m.p, m.len, shash);
      az_buf_wipe(&m);
    }
    az_buf k = {0};
    az_buf_printf(&k, "v1\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%d\n", c->cloud.authority_host, c->cloud.imds_endpoint,
                  c->cloud.token_audience, c->tenant, c->client, tname, shash, c->token_file ? c->token_file : "",
                  c->cred_file ? c->cred_file : "", (int)c->alg);
    if (k.oom) { az_buf_wipe(&k); goto oom; }
    az_sha256_hex(k.p, k.len, c->key);
    az_buf_wipe(&k);
  }
  snprintf(c->principal, sizeof c->principal, "%s/%s", c->tenant, *c->client ? c->client : c->cred_file);
  return c;
oom:
  az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
fail:
  capz_az_credential_free(c);
  return NULL;
}

const char *capz_az_credential_cache_key(const capz_az_credential *c) { return c->key; }
const char *capz_az_credential_principal(const capz_az_credential *c) { return c->principal; }
capz_az_identity_type capz_az_credential_type(const capz_az_credential *c) { return c->type; }

/* ---------------------------------------------------------------- token endpoint I/O */

static void trim(char *s) {
  size_t l = strlen(s);
  while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t')) s[--l] = '\0';
  size_t i = 0;
  while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') i++;
  if (i) memmove(s, s + i, l - i + 1);
}

static double json_num_or_str(const cJSON *v) {
  if (cJSON_IsNumber(v)) return v->valuedouble;
  if (cJSON_IsString(v) && v->valuestring[0]) {
    char *end = NULL;
    double d = strtod(v->valuestring, &end);
    if (end && *end == '\0') return d;
  }
  return -1;
}

/* Decode a token response (Entra v2 numbers, IMDS strings). */
static int parse_token_response(const http_response *r, const char *what, char **token, double *lifetime,
                                capz_err *err) {
  cJSON *j = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
  int rc;
  if (r->status != 200) {
    const char *e = j ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error")) : NULL;
    const char *d = j ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error_description")) : NULL;
    int code = r->status == 429 ? CAPZ_ETHROTTLED
               : r->status >= 500 ? CAPZ_EUNAVAILABLE
               : r->status == 404 || r->status == 410 ? CAPZ_EUNAVAILABLE
               : CAPZ_EAUTH;
    rc = az_err(err, code, (int)r->status, e ? e : "TokenRequestFailed", "%s: HTTP %ld %s%s%.200s", what, r->status,
                e ? e : "", d ? ": " : "", d ? d : "");
    cJSON_Delete(j);
    return rc;
  }
  const char *tok = j ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "access_token")) : NULL;
  if (!tok || !*tok) {
    cJSON_Delete(j);
    return az_err(err, CAPZ_EPROTO, 200, "InvalidTokenResponse", "%s: response has no access_token", what);
  }
  double life = json_num_or_str(cJSON_GetObjectItemCaseSensitive(j, "expires_in"));
  if (life <= 0) {
    double on = json_num_or_str(cJSON_GetObjectItemCaseSensitive(j, "expires_on"));
    if (on > 0) life = on - az_now_wall();
  }
  if (life <= 0) {
    cJSON_Delete(j);
    return az_err(err, CAPZ_EPROTO, 200, "InvalidTokenResponse", "%s: response has no usable expires_in/expires_on",
                  what);
  }
  *token = strdup(tok);
  /* wipe the parsed copy of the token before freeing the tree */
  cJSON *at = cJSON_GetObjectItemCaseSensitive(j, "access_token");
  OPENSSL_cleanse(at->valuestring, strlen(at->valuestring));
  cJSON_Delete(j);
  if (!*token) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  *lifetime = life;
  return 0;
}

static bool transient_status(long s) { return s == 408 || s == 429 || s >= 500 || s == 0; }

/* Send with a couple of quick retries for transient answers; the body is wiped by the caller. */
static int send_token_request(const http_request *req, const char *what, char **token, double *lifetime,
                              bool imds, capz_err *err) {
  int attempts = imds ? 4 : 3;
  double backoff = 0.2;
  int rc = 0;
  for (int a = 0; a < attempts; a++) {
    http_response resp;
    memset(&resp, 0, sizeof resp);
    rc = http_do(req, &resp, err);
    long status = rc ? 0 : resp.status;
    bool retry = rc ? (rc == CAPZ_EIO || rc == CAPZ_ETIMEOUT)
                    : (transient_status(status) || (imds && (status == 404 || status == 410)));
    if (rc == 0 && !retry) {
      rc = parse_token_response(&resp, what, token, lifetime, err);
      if (resp.body) OPENSSL_cleanse(resp.body, resp.body_len);
      http_response_free(&resp);
      return rc;
    }
    double wait = backoff * (0.5 + az_rand01());
    if (rc == 0) {
      const char *ra = http_response_header(&resp, "Retry-After");
      if (ra) {
        double v = strtod(ra, NULL);
        if (v > 0 && v <= 5) wait = v;
      }
      if (a == attempts - 1) rc = parse_token_response(&resp, what, token, lifetime, err);
      if (resp.body) OPENSSL_cleanse(resp.body, resp.body_len);
    } else {
      capz_err_prefix(err, "%s", what);
    }
    http_response_free(&resp);
    if (a == attempts - 1) break;
    az_sleep(wait);
    backoff *= 2;
  }
  return rc;
}

static int token_url(const char *authority, const char *tenant, char *out, size_t n) {
  size_t l = strlen(authority);
  while (l > 0 && authority[l - 1] == '/') l--;
  int w = snprintf(out, n, "%.*s/%s/oauth2/v2.0/token", (int)l, authority, tenant);
  return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

/* client_credentials grant; `cred_param` is either client_secret=... or the assertion pair (already encoded). */
static int entra_request(const char *scope, const char *authority, const char *tenant, const char *client,
                         const char *cred_form, const char *what, char **token, double *lifetime, capz_err *err) {
  char url[CAPZ_AZ_URL_MAX + 200];
  if (token_url(authority, tenant, url, sizeof url))
    return az_err(err, CAPZ_EINVAL, 0, NULL, "%s: token URL too long", what);
  char *enc_client = az_urlencode(client, strlen(client));
  char *enc_scope = az_urlencode(scope, strlen(scope));
  az_buf body = {0};
  if (enc_client && enc_scope)
    az_buf_printf(&body, "grant_type=client_credentials&client_id=%s&scope=%s&", enc_client, enc_scope);
  az_buf_adds(&body, cred_form);
  free(enc_client);
  free(enc_scope);
  if (body.oom || !body.p) {
    az_buf_wipe(&body);
    return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  }
  const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
  http_request req = {.method = "POST", .url = url, .headers = headers, .body = body.p, .body_len = body.len,
                      .timeout_ms = 30000};
  int rc = send_token_request(&req, what, token, lifetime, false, err);
  az_buf_wipe(&body);
  return rc;
}

static int assertion_form(const char *assertion, az_buf *form) {
  char *enc = az_urlencode(assertion, strlen(assertion));
  if (!enc) return CAPZ_ENOMEM;
  az_buf_printf(form, "client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
                      "&client_assertion=");
  az_buf_adds(form, enc);
  az_free_secret(enc);
  return form->oom ? CAPZ_ENOMEM : 0;
}

static int fetch_secret(const capz_az_credential *c, const char *scope, char **token, double *lifetime, capz_err *err) {
  char *enc = az_urlencode((const char *)c->secret, c->secret_len);
  if (!enc) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  az_buf form = {0};
  az_buf_adds(&form, "client_secret=");
  az_buf_adds(&form, enc);
  az_free_secret(enc);
  int rc = form.oom ? az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory")
                    : entra_request(scope, c->cloud.authority_host, c->tenant, c->client, form.p,
                                    "ServicePrincipal token request", token, lifetime, err);
  az_buf_wipe(&form);
  return rc;
}

static int fetch_cert(const capz_az_credential *c, const char *scope, const az_cert *cert, const char *authority,
                      const char *tenant,
                      const char *client, const char *what, char **token, double *lifetime, capz_err *err) {
  char aud[CAPZ_AZ_URL_MAX + 200];
  if (token_url(authority, tenant, aud, sizeof aud)) return az_err(err, CAPZ_EINVAL, 0, NULL, "token URL too long");
  char *jwt = az_jwt_assertion(cert, c->alg, client, aud, az_now_wall(), err);
  if (!jwt) return err ? err->code : CAPZ_EINTERNAL;
  az_buf form = {0};
  int rc = assertion_form(jwt, &form);
  az_free_secret(jwt);
  if (rc == 0) rc = entra_request(scope, authority, tenant, client, form.p, what, token, lifetime, err);
  else az_err(err, rc, 0, NULL, "out of memory");
  az_buf_wipe(&form);
  return rc;
}

static int fetch_workload(const capz_az_credential *c, const char *scope, char **token, double *lifetime, capz_err *err) {
  /* kubelet rotates the projected token: read it fresh for every request */
  size_t len = 0;
  char *assertion = az_read_file(c->token_file, MAX_FILE, &len);
  if (!assertion)
    return az_err(err, errno == ENOENT ? CAPZ_ENOTFOUND : CAPZ_EIO, 0, "FederatedTokenFileUnreadable",
                  "WorkloadIdentity: cannot read federated token file %s: %s", c->token_file, strerror(errno));
  trim(assertion);
  if (!*assertion) {
    az_free_secret(assertion);
    return az_err(err, CAPZ_EINVAL, 0, "FederatedTokenFileEmpty", "WorkloadIdentity: federated token file %s is empty",
                  c->token_file);
  }
  az_buf form = {0};
  int rc = assertion_form(assertion, &form);
  az_free_secret(assertion);
  if (rc == 0)
    rc = entra_request(scope, c->cloud.authority_host, c->tenant, c->client, form.p, "WorkloadIdentity token request",
                       token, lifetime, err);
  else az_err(err, rc, 0, NULL, "out of memory");
  az_buf_wipe(&form);
  return rc;
}

/* IMDS takes a resource, not a scope: the scope without its "/.default" (the ARM scope gives the cloud's audience
 * exactly as configured, trailing slash included). */
static int fetch_imds(const capz_az_credential *c, const char *scope, char **token, double *lifetime, capz_err *err) {
  const char *resource = c->cloud.token_audience;
  size_t rlen = strlen(resource);
  if (strcmp(scope, c->scope) != 0) {
    resource = scope;
    rlen = strlen(scope);
    if (rlen >= 9 && strcmp(scope + rlen - 9, "/.default") == 0) rlen -= 9;
  }
  char *res = az_urlencode(resource, rlen);
  char *cid = az_urlencode(c->client, strlen(c->client));
  az_buf url = {0};
  if (res && cid)
    az_buf_printf(&url, "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s&client_id=%s",
                  c->cloud.imds_endpoint, res, cid);
  free(res);
  free(cid);
  if (url.oom || !url.p) {
    az_buf_wipe(&url);
    return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  }
  const char *headers[] = {"Metadata: true", "Accept: application/json", NULL};
  http_request req = {.method = "GET", .url = url.p, .headers = headers, .timeout_ms = 10000, .connect_timeout_ms = 2000};
  int rc = send_token_request(&req, "UserAssignedMSI (IMDS) token request", token, lifetime, true, err);
  az_buf_wipe(&url);
  return rc;
}

/* msi-dataplane "UserAssignedIdentityCredentials" (NestedCredentialsObject) file: client_id, tenant_id,
 * client_secret (base64 of a certificate + key), authentication_endpoint (authority host), not_before/not_after. */
static int fetch_uaic(const capz_az_credential *c, const char *scope, char **token, double *lifetime, capz_err *err) {
  size_t len = 0;
  char *txt = az_read_file(c->cred_file, MAX_FILE, &len);
  if (!txt)
    return az_err(err, errno == ENOENT ? CAPZ_ENOTFOUND : CAPZ_EIO, 0, "CredentialsFileUnreadable",
                  "UserAssignedIdentityCredential: cannot read %s: %s", c->cred_file, strerror(errno));
  cJSON *j = cJSON_ParseWithLength(txt, len);
  OPENSSL_cleanse(txt, len);
  free(txt);
  if (!j) return az_err(err, CAPZ_EINVAL, 0, "InvalidCredentialsFile", "UserAssignedIdentityCredential: %s is not JSON",
                        c->cred_file);
  const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "client_id"));
  const char *tid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "tenant_id"));
  cJSON *sec = cJSON_GetObjectItemCaseSensitive(j, "client_secret");
  const char *auth = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "authentication_endpoint"));
  const char *not_after = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "not_after"));
  int rc = 0;
  const char *missing = !cid ? "client_id" : !tid ? "tenant_id" : !cJSON_IsString(sec) ? "client_secret"
                        : !auth ? "authentication_endpoint" : NULL;
  if (missing) {
    rc = az_err(err, CAPZ_EINVAL, 0, "InvalidCredentialsFile", "UserAssignedIdentityCredential: %s lacks %s",
                c->cred_file, missing);
  } else if (!is_guidish(cid) || !is_guidish(tid) || (c->client[0] && strcmp(cid, c->client) != 0)) {
    rc = az_err(err, CAPZ_EINVAL, 0, "InvalidCredentialsFile",
                "UserAssignedIdentityCredential: client_id/tenant_id malformed or not the identity's clientID");
  } else if ((rc = capz_az_endpoint_check(auth, false, err)) != 0) {
    capz_err_prefix(err, "UserAssignedIdentityCredential authentication_endpoint");
  } else if (not_after) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strptime(not_after, "%Y-%m-%dT%H:%M:%S", &tm) && (double)timegm(&tm) < az_now_wall())
      rc = az_err(err, CAPZ_EAUTH, 0, "CredentialExpired", "UserAssignedIdentityCredential: credential expired at %s",
                  not_after);
  }
  if (rc == 0) {
    size_t dlen = 0;
    unsigned char *der = az_b64_decode(sec->valuestring, strlen(sec->valuestring), &dlen);
    az_cert *cert = der ? az_cert_load(der, dlen, NULL, err) : NULL;
    if (der) {
      OPENSSL_cleanse(der, dlen);
      free(der);
    }
    if (!der) rc = az_err(err, CAPZ_EINVAL, 0, "InvalidCredentialsFile", "client_secret is not base64");
    else if (!cert) rc = err ? err->code : CAPZ_EAUTH;
    else rc = fetch_cert(c, scope, cert, auth, tid, cid, "UserAssignedIdentityCredential token request", token,
                         lifetime, err);
    az_cert_free(cert);
  }
  if (cJSON_IsString(sec)) OPENSSL_cleanse(sec->valuestring, strlen(sec->valuestring));
  cJSON_Delete(j);
  return rc;
}

static int fetch_by_type(const capz_az_credential *c, const char *scope, char **token, double *lifetime,
                         capz_err *err);

typedef struct fetch_req {
  const capz_az_credential *c;
  const char *scope;
} fetch_req;

/* One token request, counted in capz_azure_token_requests_total{type,result}. */
static int fetch(void *ud, char **token, double *lifetime, capz_err *err) {
  const fetch_req *fr = ud;
  const capz_az_credential *c = fr->c;
  int rc = fetch_by_type(c, fr->scope, token, lifetime, err);
  static const char *const labels[] = {"type", "result", NULL};
  capz_metric_family *f = capz_metrics_counter(NULL, "capz_azure_token_requests_total",
                                               "Access-token requests sent to Entra ID / IMDS, by identity type and "
                                               "result.",
                                               labels, NULL);
  capz_metric_inc(capz_metric_with(f, capz_az_identity_type_name(c->type), rc == 0 ? "success" : "error", NULL));
  return rc;
}

static int fetch_by_type(const capz_az_credential *c, const char *scope, char **token, double *lifetime,
                         capz_err *err) {
  switch (c->type) {
  case CAPZ_AZ_ID_SERVICE_PRINCIPAL:
  case CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL:
    return fetch_secret(c, scope, token, lifetime, err);
  case CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE:
    return fetch_cert(c, scope, c->cert, c->cloud.authority_host, c->tenant, c->client,
                      "ServicePrincipalCertificate token request", token, lifetime, err);
  case CAPZ_AZ_ID_WORKLOAD_IDENTITY:
    return fetch_workload(c, scope, token, lifetime, err);
  case CAPZ_AZ_ID_USER_ASSIGNED_MSI:
    return fetch_imds(c, scope, token, lifetime, err);
  case CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL:
    return fetch_uaic(c, scope, token, lifetime, err);
  default:
    return az_err(err, CAPZ_EINVAL, 0, NULL, "unknown identity type");
  }
}

int capz_az_credential_token(capz_az_credential *c, const char *rejected, char **token, capz_err *err) {
  if (!c || !token) return az_err(err, CAPZ_EINVAL, 0, NULL, "credential_token: NULL argument");
  fetch_req fr = {c, c->scope};
  return az_token_cache_get(c->cache, c->key, rejected, fetch, &fr, token, err);
}

/* A scope goes into a form body / query string (encoded); refuse what no Entra scope contains. */
static bool scope_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > CAPZ_AZ_URL_MAX) return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f) return false;
  return true;
}

int capz_az_credential_token_for_scope(capz_az_credential *c, const char *scope, const char *rejected, char **token,
                                       int64_t *expires_unix, int64_t *refresh_unix, capz_err *err) {
  if (token) *token = NULL;
  if (!c || !scope || !token) return az_err(err, CAPZ_EINVAL, 0, NULL, "credential_token_for_scope: NULL argument");
  if (!scope_ok(scope))
    return az_err(err, CAPZ_EINVAL, 0, "InvalidScope", "token scope is empty, too long or has spaces");
  /* a bare resource ("api://x", a GUID) is asked for as its .default scope, as Entra's client-credentials
   * flow requires */
  size_t n = strlen(scope);
  char full[CAPZ_AZ_URL_MAX + 16];
  if (n >= 9 && strcmp(scope + n - 9, "/.default") == 0) snprintf(full, sizeof full, "%s", scope);
  else snprintf(full, sizeof full, "%.*s/.default", (int)(n && scope[n - 1] == '/' ? n - 1 : n), scope);
  /* one cache entry per credential and scope; the ARM scope shares the ARM token's entry */
  char key[65];
  if (strcmp(full, c->scope) == 0) {
    memcpy(key, c->key, sizeof key);
  } else {
    az_buf k = {0};
    az_buf_printf(&k, "scope\n%s\n%s", c->key, full);
    bool oom = k.oom;
    if (!oom) az_sha256_hex(k.p, k.len, key);
    az_buf_wipe(&k);
    if (oom) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  }
  fetch_req fr = {c, full};
  return az_token_cache_get_ex(c->cache, key, rejected, fetch, &fr, token, expires_unix, refresh_unix, err);
}

char *capz_az_credential_client_assertion(const capz_az_credential *c, const char *audience, capz_err *err) {
  if (!c || !c->cert || !audience) {
    az_err(err, CAPZ_EINVAL, 0, NULL, "client assertion needs a ServicePrincipalCertificate credential");
    return NULL;
  }
  return az_jwt_assertion(c->cert, c->alg, c->client, audience, az_now_wall(), err);
}
