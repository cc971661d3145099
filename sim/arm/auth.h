/* auth.h — Entra ID token endpoint, IMDS, and ARM bearer-token checks for capz-arm-sim.
 *
 * The server (sim/arm/server*.c) routes three kinds of request here:
 *   POST /{tenant}/oauth2/v2.0/token           -> arm_auth_token()
 *   GET  /metadata/identity/oauth2/token?...    -> arm_auth_imds()
 *   any ARM request (/subscriptions/..., /providers/...) -> arm_auth_check() before anything else.
 *
 * Tokens are RS256-signed JWTs (a key generated at start) with iss, aud, tid, oid, appid, iat, nbf, exp.
 * Thread-safety: every function may be called concurrently from server threads after arm_auth_new returns.
 * Ownership: arm_http_reply.body is malloc'ed by these functions; the caller frees it (arm_http_reply_clear).
 */
#ifndef CAPZ_SIM_ARM_AUTH_H
#define CAPZ_SIM_ARM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>

typedef struct arm_http_reply {
  int status;                 /* HTTP status */
  char *body;                 /* JSON text (malloc'ed) or NULL */
  char www_authenticate[512]; /* WWW-Authenticate header value for 401s, or "" */
} arm_http_reply;

void arm_http_reply_clear(arm_http_reply *r);

typedef struct arm_auth arm_auth;

/* Build from the "auth" object of the emulator config (borrowed; NULL = built-in defaults: one tenant,
 * one subscription, one app with a known secret, a system-assigned and a user-assigned identity — schema and
 * defaults documented in docs/arm-sim-auth.md). Generates the RS256 token signing key (about 0.1 s).
 * On error returns NULL and writes a message naming the offending config field into err (err may be NULL). */
arm_auth *arm_auth_new(const cJSON *auth_cfg, char *err, size_t errlen);
void arm_auth_free(arm_auth *a);

/* The emulator's base URL (known only after binding port 0): the token issuer is <base>/<tenant>/v2.0. */
void arm_auth_set_base_url(arm_auth *a, const char *base_url);

/* POST /{tenant}/oauth2/v2.0/token with an application/x-www-form-urlencoded body: client_credentials with
 * client_secret, or with client_assertion (certificate JWT, or federated token). Fills out (200 + token JSON,
 * or 400/401 with an Entra-shaped error JSON: error, error_description with an AADSTS code, error_codes...). */
void arm_auth_token(arm_auth *a, const char *tenant, const char *body, size_t len, arm_http_reply *out);

/* As arm_auth_token, also given the request's Authorization header (NULL if absent): a client secret may come as
 * "Basic base64(urlencode(client_id):urlencode(secret))" (client_secret_basic, RFC 6749 §2.3.1) instead of in the
 * body. The server should prefer this call. */
void arm_auth_token_ex(arm_auth *a, const char *tenant, const char *body, size_t len, const char *authorization,
                       arm_http_reply *out);

/* POST /{tenant}/oauth2/token — the legacy v1 endpoint: `resource=<uri>` instead of `scope`, and the answer has
 * string numbers plus expires_on, not_before and resource (as older ADAL/autorest clients expect). Otherwise the
 * same flows and errors as arm_auth_token_ex. */
void arm_auth_token_v1(arm_auth *a, const char *tenant, const char *body, size_t len, const char *authorization,
                       arm_http_reply *out);

/* GET /{tenant}/v2.0/.well-known/openid-configuration: OIDC discovery document (issuer, token_endpoint, jwks_uri)
 * built from the base URL; 400 AADSTS90002 for an unknown tenant. */
void arm_auth_openid_configuration(arm_auth *a, const char *tenant, arm_http_reply *out);

/* GET /{tenant}/discovery/v2.0/keys (or /common/discovery/v2.0/keys): JWKS with the public token signing key, so
 * clients can verify the tokens this emulator issues. */
void arm_auth_jwks(arm_auth *a, arm_http_reply *out);

/* GET /metadata/identity/oauth2/token. query: the raw query string (api-version, resource, client_id,
 * object_id, msi_res_id); metadata_header: value of the "Metadata" request header or NULL. */
void arm_auth_imds(arm_auth *a, const char *query, const char *metadata_header, arm_http_reply *out);

/* Check an ARM request's Authorization header. subscription: the subscription id in the path, or NULL for
 * paths outside a subscription. Returns true and writes the caller's principal id (oid) on success (out is then
 * left empty: status 0, body NULL); otherwise fills out with ARM's 401 (AuthenticationFailed /
 * InvalidAuthenticationToken / ExpiredAuthenticationToken / InvalidAuthenticationTokenAudience /
 * InvalidAuthenticationTokenTenant, each with www_authenticate set), 404 SubscriptionNotFound, or 403
 * AuthorizationFailed when the principal is limited to other subscriptions by the config. */
bool arm_auth_check(arm_auth *a, const char *authorization, const char *subscription, char *principal,
                    size_t principal_len, arm_http_reply *out);

/* True when the subscription exists in the config. */
bool arm_auth_subscription_exists(arm_auth *a, const char *subscription);

#endif
