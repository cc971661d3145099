/* test_util.h — helpers shared by the Azure SDK tests. */
#ifndef CAPZ_TEST_AZURE_UTIL_H
#define CAPZ_TEST_AZURE_UTIL_H

#include <check.h>
#include <stddef.h>

/* A fake clock: capz_az_clock_fn over a double the test advances. */
double fake_clock(void *ud);

/* Generate an RSA-2048 key and a self-signed certificate; returns PEM (cert then key, key encrypted with
 * password when non-NULL) malloc'ed, and optionally a PKCS#12 DER blob (p12/p12_len, malloc'ed) with password. */
char *make_cert_pem(const char *password, unsigned char **p12, size_t *p12_len, unsigned char **der, size_t *der_len);

Suite *unit_suite(void);
Suite *cert_suite(void);
Suite *lro_suite(void);



#include <openssl/evp.h>
/* RSA-2048 key pair; *pub_pem malloc'ed SubjectPublicKeyInfo PEM. */
EVP_PKEY *make_keypair(char **pub_pem);
/* Sign header {"alg":"RS256","typ":"JWT"} + claims (JSON text) with key. malloc'ed compact JWT. */
char *sign_jwt_rs256(EVP_PKEY *key, const char *claims_json);
#endif
