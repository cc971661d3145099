/* tls_fixture.h — a throw-away self-signed certificate for 127.0.0.1, generated in-process with OpenSSL
 * so TLS tests need no files on disk. */
#ifndef TEST_TLS_FIXTURE_H
#define TEST_TLS_FIXTURE_H

typedef struct tls_fixture {
  char *cert_pem; /* malloc'ed */
  char *key_pem;  /* malloc'ed */
} tls_fixture;

/* Returns 0 on success. cn is the subject CN; the cert carries SAN IP:127.0.0.1 and DNS:localhost. */
int tls_fixture_make(tls_fixture *f, const char *cn);
void tls_fixture_free(tls_fixture *f);

#endif
