/* authtest.h — helpers for the capz-arm-sim auth tests: RSA keys, self-signed certificates, client assertions
 * (RS256/PS256) and form bodies, built with OpenSSL independently of the code under test.
 * Everything returned as char * or cJSON * is owned by the caller.
 */
#ifndef CAPZ_TEST_AUTHTEST_H
#define CAPZ_TEST_AUTHTEST_H

#include <stdbool.h>
#include <cJSON.h>
#include <openssl/evp.h>

#include "auth.h"

/* Built-in defaults of arm_auth_new(NULL) (documented in docs/arm-sim-auth.md). */
#define AT_TENANT "11111111-1111-4111-8111-111111111111"
#define AT_SUB "22222222-2222-4222-8222-222222222222"
#define AT_APP "33333333-3333-4333-8333-333333333333"
#define AT_APP_OID "44444444-4444-4444-8444-444444444444"
#define AT_SECRET "capz-sim-secret"
#define AT_SAMI_CLIENT "55555555-5555-4555-8555-555555555555"
#define AT_SAMI_OID "66666666-6666-4666-8666-666666666666"
#define AT_UAMI_CLIENT "77777777-7777-4777-8777-777777777777"
#define AT_UAMI_OID "88888888-8888-4888-8888-888888888888"
#define AT_UAMI_RES                                                                                    \
  "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/capz-sim/providers/"           \
  "Microsoft.ManagedIdentity/userAssignedIdentities/capz-sim-identity"
#define AT_ARM_SCOPE "https://management.azure.com/.default"
#define AT_JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

EVP_PKEY *at_rsa_key(void);
char *at_cert_pem(EVP_PKEY *key, const char *cn);
char *at_pubkey_pem(EVP_PKEY *key);
/* base64url thumbprint of the certificate's DER (SHA-1 when !sha256). */
char *at_thumbprint(const char *cert_pem, bool sha256);
/* JWK {"kty":"RSA","kid","n","e"} of key. */
cJSON *at_jwk(EVP_PKEY *key, const char *kid);
/* Compact JWS of claims (consumed) with header {"alg":alg,"typ":"JWT"} plus extra header fields (consumed, may be
 * NULL). alg: "RS256" or "PS256". */
char *at_jwt(EVP_PKEY *key, const char *alg, cJSON *extra_header, cJSON *claims);
/* Claims of a client assertion: iss=sub=client_id, aud, jti, nbf=now+nbf_off, exp=now+exp_off. */
cJSON *at_assertion_claims(const char *client_id, const char *aud, long nbf_off, long exp_off);
/* x-www-form-urlencoded body from NULL-terminated name, value pairs (values escaped). */
char *at_form(const char *first_name, ...);
/* Percent-encode everything but unreserved characters. */
char *at_urlencode(const char *s);

/* Calls arm_auth_token and parses the reply body (NULL if none). status written to *status. */
cJSON *at_token(arm_auth *a, const char *tenant, const char *body, int *status);
/* Client-credentials request with a secret; returns the access token (malloc) or NULL. */
char *at_secret_token(arm_auth *a, const char *tenant, const char *client_id, const char *secret,
                      const char *scope);
/* error_codes[0] of an Entra error body, or -1. */
long at_aadsts(const cJSON *err);
/* error.code of an ARM error body in r (static buffer), or "". */
const char *at_arm_code(const arm_http_reply *r);
/* Decoded claims of a JWT (no verification). */
cJSON *at_jwt_claims(const char *token);
cJSON *at_parse(const char *s);
/* Verify an RS256 token with an RSA JWK ({"n","e"}). */
bool at_verify_rs256_jwk(const char *token, const cJSON *jwk);

#endif
