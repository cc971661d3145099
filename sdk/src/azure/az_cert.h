/* az_cert.h — client certificates (PEM or PKCS#12) and the signed JWT client assertion (internal). */
#ifndef CAPZ_SDK_AZ_CERT_H
#define CAPZ_SDK_AZ_CERT_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "capz/azure_identity.h"

typedef struct az_cert {
  X509 *cert;
  EVP_PKEY *key;
  char x5t_s256[64]; /* base64url SHA-256 of the DER certificate */
  char x5t[40];      /* base64url SHA-1 (legacy header for RS256) */
} az_cert;

/* Parse PEM (certificate + private key, key possibly encrypted) or PKCS#12 (DER, or base64 of it).
 * The key must be RSA and match the certificate. NULL with err (CAPZ_EAUTH, reason "InvalidCertificate"). */
az_cert *az_cert_load(const unsigned char *data, size_t len, const char *password, capz_err *err);
void az_cert_free(az_cert *c);

/* Build a signed client-assertion JWT. now: wall-clock seconds. malloc'ed; NULL with err. */
char *az_jwt_assertion(const az_cert *c, capz_az_jwt_alg alg, const char *client_id, const char *audience,
                       double now, capz_err *err);

#endif
