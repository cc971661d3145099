/* auth_internal.h — shared between the sim/arm/auth*.c files only (not used by the server).
 *
 * The configuration model is immutable after arm_auth_new() returns, so every reader may use it without
 * locks; only the base URL (set once the server has bound its port) is guarded by a mutex.
 */
#ifndef CAPZ_SIM_ARM_AUTH_INTERNAL_H
#define CAPZ_SIM_ARM_AUTH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <cJSON.h>

#include "auth.h"

#define AUTH_ID_MAX 128
#define AUTH_URL_MAX 256
#define AUTH_FED_AUDIENCE_DEFAULT "api://AzureADTokenExchange"
#define AUTH_ASSERTION_TYPE_JWT "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

typedef struct auth_strlist {
  char **v;
  size_t n;
} auth_strlist;

typedef struct auth_tenant {
  char id[AUTH_ID_MAX];
  auth_strlist domains; /* extra names accepted in the token URL, e.g. contoso.onmicrosoft.com */
} auth_tenant;

typedef struct auth_subscription {
  char id[AUTH_ID_MAX];
  char tenant[AUTH_ID_MAX];
} auth_subscription;

/* One verification key of a federated credential (from a PEM public key / certificate or a JWKS entry). */
typedef struct auth_pubkey {
  char kid[AUTH_ID_MAX]; /* "" when the key has no kid (PEM) */
  EVP_PKEY *key;
} auth_pubkey;

typedef struct auth_cert {
  EVP_PKEY *key;          /* public key of the certificate */
  char x5t[64];           /* base64url SHA-1 of the DER certificate */
  char x5t_s256[64];      /* base64url SHA-256 of the DER certificate */
} auth_cert;

typedef struct auth_fedcred {
  char name[AUTH_ID_MAX];
  char *issuer;
  char *subject;
  auth_strlist audiences; /* default: api://AzureADTokenExchange */
  auth_pubkey *keys;
  size_t nkeys;
} auth_fedcred;

/* A principal that can get tokens: an app registration or a managed identity. */
typedef struct auth_principal {
  char client_id[AUTH_ID_MAX];
  char object_id[AUTH_ID_MAX];
  char tenant[AUTH_ID_MAX];
  char resource_id[512]; /* managed identities: ARM id used as msi_res_id; "" otherwise */
  char name[AUTH_ID_MAX];
  auth_strlist secrets;
  auth_cert *certs;
  size_t ncerts;
  auth_fedcred *feds;
  size_t nfeds;
  bool limit_subscriptions; /* true when "subscriptions" was given: only those are allowed */
  auth_strlist subscriptions;
} auth_principal;

struct arm_auth {
  auth_tenant *tenants;
  size_t ntenants;
  auth_subscription *subs;
  size_t nsubs;
  auth_principal *apps;
  size_t napps;
  auth_principal *uamis; /* user-assigned managed identities */
  size_t nuamis;
  auth_principal *sami;  /* system-assigned identity, or NULL */
  auth_strlist resources; /* audiences (normalised) for which tokens may be issued */
  auth_strlist arm_audiences; /* audiences (normalised) ARM accepts */
  long token_lifetime;    /* seconds */
  long assertion_max_lifetime; /* seconds between nbf/iat and exp tolerated in client assertions */
  long clock_skew;        /* seconds of tolerance for nbf/exp checks on incoming JWTs */
  char authority[AUTH_URL_MAX]; /* authorization_uri base in WWW-Authenticate; default login.microsoftonline.com */
  EVP_PKEY *sign_key;     /* RS256 key for issued tokens */
  char kid[64];
  pthread_mutex_t mu;     /* guards base_url */
  char base_url[AUTH_URL_MAX];
};

/* ---- auth_b64.c ---- */
/* base64url without padding. Returns malloc'ed NUL-terminated text, NULL on OOM. */
char *auth_b64url_encode(const unsigned char *in, size_t len);
/* Decodes base64url or standard base64 (padding optional). *out malloc'ed (+NUL); returns 0 or -1. */
int auth_b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);
/* Standard base64 with padding. malloc'ed. */
char *auth_b64_encode(const unsigned char *in, size_t len);

/* ---- auth_form.c ---- */
typedef struct auth_form {
  char **names;
  char **values;
  size_t n;
} auth_form;
/* Parse application/x-www-form-urlencoded text (also a URL query). Returns 0, -1 on malformed escapes. */
int auth_form_parse(const char *text, size_t len, auth_form *f);
/* Value of the first parameter named name (exact match), or NULL. *dup set when the name occurs twice. */
const char *auth_form_get(const auth_form *f, const char *name, bool *dup);
void auth_form_free(auth_form *f);
/* Append a parameter (copies). Returns 0 or -1 on OOM. */
int auth_form_add(auth_form *f, const char *name, const char *value);
/* Percent-decode (+ as space) into a malloc'ed string; NULL on malformed escapes or NUL bytes. */
char *auth_url_decode(const char *s, size_t len);

/* ---- auth_jwt.c ---- */
typedef struct auth_jwt {
  cJSON *header;
  cJSON *claims;
  const char *alg; /* borrowed from header */
  unsigned char *sig;
  size_t siglen;
  char *signing_input; /* "<b64 header>.<b64 claims>" */
  size_t signing_input_len;
} auth_jwt;
/* Split and decode a compact JWS; no signature check. Returns 0 or -1 (malformed). */
int auth_jwt_parse(const char *token, size_t len, auth_jwt *j);
void auth_jwt_free(auth_jwt *j);
/* Verify the signature with key; RS256 and PS256 are supported. Returns true when valid. */
bool auth_jwt_verify(const auth_jwt *j, EVP_PKEY *key);
/* Sign claims (compact JWS, RS256, header with kid). Returns malloc'ed token or NULL. */
char *auth_jwt_sign_rs256(EVP_PKEY *key, const char *kid, const cJSON *claims);
/* Claim helpers: string claim or NULL; numeric claim (also accepted as a numeric string) into *v. */
const char *auth_jwt_str(const cJSON *obj, const char *name);
bool auth_jwt_num(const cJSON *obj, const char *name, double *v);

/* ---- auth_keys.c ---- */
/* Value is inline PEM (starts with "-----BEGIN") or a path to a PEM file. Returns malloc'ed PEM text. */
char *auth_read_pem_value(const char *value, char *err, size_t errlen);
/* Parse a certificate (PEM); fills key + thumbprints. Returns 0 or -1. */
int auth_cert_from_pem(const char *pem, auth_cert *c, char *err, size_t errlen);
/* Parse a PEM public key, or a certificate (its public key). Returns NULL on error. */
EVP_PKEY *auth_pubkey_from_pem(const char *pem, char *err, size_t errlen);
/* Parse a JWKS object ({"keys":[{kty:RSA,n,e,kid}]}) into keys (appended). Returns 0 or -1. */
int auth_jwks_load(const cJSON *jwks, auth_pubkey **keys, size_t *nkeys, char *err, size_t errlen);
/* Public-key JWK (RSA n/e) of key, for a JWKS the sim may publish. Returns NULL on error. Caller frees. */
cJSON *auth_jwk_from_key(EVP_PKEY *key, const char *kid);
/* SHA-256 of the public key's DER, base64url — stable kid for the signing key. */
int auth_key_kid(EVP_PKEY *key, char *out, size_t outlen);

/* ---- auth_reply.c ---- */
/* Random RFC 4122 v4 GUID (36 chars + NUL). */
void auth_guid(char out[37]);
/* Wall-clock seconds, from the precise clock: time() reads a coarse clock that can lag a client's clock_gettime()
 * by a few ms, which at a second boundary would put a fresh assertion's nbf a second in our future. */
long auth_now(void);
/* Constant-time equality of two NUL-terminated strings (time depends only on the lengths). */
bool auth_secret_equal(const char *a, const char *b);
/* Entra token-endpoint error: status, error, AADSTS code and description (printf). */
void auth_entra_error(arm_http_reply *out, int status, const char *error, long aadsts, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* ARM CloudError {"error":{"code","message"}}. */
void auth_arm_error(arm_http_reply *out, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* IMDS error {"error","error_description"}. */
void auth_imds_error(arm_http_reply *out, int status, const char *error, const char *desc);
/* Set a JSON body from a cJSON object (consumed). */
void auth_reply_json(arm_http_reply *out, int status, cJSON *obj);

/* ---- auth.c ---- */
const auth_tenant *auth_find_tenant(const arm_auth *a, const char *id_or_domain);
const auth_subscription *auth_find_subscription(const arm_auth *a, const char *id);
const auth_principal *auth_find_app(const arm_auth *a, const char *client_id);
/* The principal (app or identity) whose object id is oid, or NULL. */
const auth_principal *auth_find_principal_by_oid(const arm_auth *a, const char *oid);
/* Normalise a resource/audience: lower-case scheme+host, no trailing slashes. Writes into out. */
void auth_normalize_resource(const char *in, size_t len, char *out, size_t outlen);
bool auth_resource_known(const arm_auth *a, const char *normalized);
bool auth_is_arm_audience(const arm_auth *a, const char *normalized);
void auth_issuer(arm_auth *a, const char *tenant, char *out, size_t outlen);
/* Issue an access token for principal p and audience aud (normalised). *exp_out = exp claim. malloc'ed. */
/* acr: "1" client secret, "2" certificate or federated assertion, "0" managed identity (appidacr/azpacr). */
char *auth_issue_token(arm_auth *a, const auth_principal *p, const char *aud, const char *acr, long *iat_out,
                       long *exp_out);
bool auth_strlist_has(const auth_strlist *l, const char *s, bool icase);

#endif
