/* kc_cert.c — how long the client certificate of a kubeconfig stays valid. AKS admin credentials carry a client
 * certificate valid for years, so the credentials are re-listed (an ARM POST) daily by default and, besides, when
 * that certificate comes within a week of its expiry (mc_kubeconfig_sync). */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "mc_plugin.h"

double mc_kubeconfig_cert_left_s(const char *kubeconfig, size_t len) {
  cJSON *docs = capz_yaml_to_json(kubeconfig, len, NULL);
  const char *b64 = capz_json_ptr_str(docs, "/0/users/0/user/client-certificate-data", NULL);
  double left = -1;
  size_t n = b64 ? strlen(b64) : 0;
  unsigned char *pem = n >= 4 ? malloc(n / 4 * 3 + 1) : NULL;
  int pl = pem ? EVP_DecodeBlock(pem, (const unsigned char *)b64, (int)n) : -1;
  if (pl > 0) {
    BIO *bio = BIO_new_mem_buf(pem, pl);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (!x && bio) { /* DER instead of PEM (padding bytes of the decode are harmless to d2i) */
      const unsigned char *p = pem;
      x = d2i_X509(NULL, &p, pl);
    }
    int days = 0, secs = 0;
    if (x && ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x))) left = (double)days * 86400.0 + secs;
    if (left < 0 && x) left = 0; /* already expired */
    X509_free(x);
    BIO_free(bio);
  }
  free(pem);
  cJSON_Delete(docs);
  return left;
}
