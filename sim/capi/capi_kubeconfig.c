/* capi_kubeconfig.c — what KubeadmControlPlane writes for a self-managed cluster before its first machine:
 * the cluster CA Secret `<cluster>-ca` (tls.crt/tls.key) and the admin kubeconfig Secret `<cluster>-kubeconfig`
 * (key `value`, type cluster.x-k8s.io/secret, label cluster-name, controller-owned by the KCP) pointing at the
 * controlPlaneEndpoint with a client certificate signed by that CA. Keys are EC P-256 (fast to generate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "capi_sim.h"

static const capz_gvk SECRET = {"", "v1", "Secret", "secrets", true};

static EVP_PKEY *new_key(void) { return EVP_EC_gen("P-256"); }

static X509 *new_cert(EVP_PKEY *key, const char *cn, const char *org, X509 *issuer, EVP_PKEY *issuer_key, bool ca) {
  X509 *c = X509_new();
  if (!c) return NULL;
  X509_set_version(c, 2);
  unsigned char serial[8];
  EVP_Digest(cn, strlen(cn), serial, NULL, EVP_md5(), NULL); /* distinct, not secret */
  BIGNUM *bn = BN_bin2bn(serial, 8, NULL);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c), -300);
  X509_gmtime_adj(X509_getm_notAfter(c), ca ? 10L * 365 * 86400 : 365L * 86400);
  X509_set_pubkey(c, key);
  X509_NAME *n = X509_get_subject_name(c);
  if (org) X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, NULL, NULL, 0);
  const char *exts[][2] = {{"basicConstraints", ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
                           {"keyUsage", ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                                           : "critical,digitalSignature,keyEncipherment"},
                           {ca ? NULL : "extendedKeyUsage", "clientAuth"}};
  for (size_t i = 0; i < 3; i++) {
    if (!exts[i][0]) continue;
    X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
    if (e) {
      X509_add_ext(c, e, -1);
      X509_EXTENSION_free(e);
    }
  }
  if (!X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256())) {
    X509_free(c);
    return NULL;
  }
  return c;
}

/* What was written to a memory BIO, as a string (caller frees); frees the BIO. */
static char *bio_text(BIO *b) {
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  char *out = malloc((size_t)n + 1);
  if (out) {
    memcpy(out, p, (size_t)n);
    out[n] = 0;
  }
  BIO_free(b);
  return out;
}

static char *pem_cert(X509 *c) {
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  return bio_text(b);
}

static char *pem_key(EVP_PKEY *k) {
  BIO *b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
  return bio_text(b);
}

/* GET a Secret: 0 with *out, ENOTFOUND, or another error. */
static int secret_get(sim *s, const char *ns, const char *name, cJSON **out) {
  capz_err err;
  capz_err_clear(&err);
  return capz_kube_get(s->c, &SECRET, ns, name, out, &err);
}

/* PEM text from a Secret's base64 data key (malloc'ed), or NULL. */
static char *secret_pem(const cJSON *sec, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(capz_json_ptr_get(sec, "/data"), key);
  if (!cJSON_IsString(v)) return NULL;
  size_t n = strlen(v->valuestring);
  unsigned char *out = malloc(n + 1);
  if (!out) return NULL;
  int m = EVP_DecodeBlock(out, (const unsigned char *)v->valuestring, (int)n);
  if (m < 0) {
    free(out);
    return NULL;
  }
  out[m] = 0;
  return (char *)out;
}

/* The cluster CA from an existing `<cluster>-ca` Secret (so a kubeconfig written later still matches it). */
static bool load_ca(const cJSON *sec, X509 **ca, EVP_PKEY **key) {
  char *crt = secret_pem(sec, "tls.crt"), *k = secret_pem(sec, "tls.key");
  BIO *b1 = crt ? BIO_new_mem_buf(crt, -1) : NULL, *b2 = k ? BIO_new_mem_buf(k, -1) : NULL;
  *ca = b1 ? PEM_read_bio_X509(b1, NULL, NULL, NULL) : NULL;
  *key = b2 ? PEM_read_bio_PrivateKey(b2, NULL, NULL, NULL) : NULL;
  BIO_free(b1);
  BIO_free(b2);
  if (k) OPENSSL_cleanse(k, strlen(k));
  free(crt);
  free(k);
  if (*ca && *key) return true;
  X509_free(*ca);
  EVP_PKEY_free(*key);
  *ca = NULL;
  *key = NULL;
  return false;
}

int capi_kubeconfig_ensure(sim *s, const cJSON *cluster, const cJSON *kcp) {
  const char *cname = sim_str(cluster, "/metadata/name"), *ns = sim_str(cluster, "/metadata/namespace");
  char caname[300], kcname[300];
  snprintf(caname, sizeof caname, "%s-ca", cname);
  snprintf(kcname, sizeof kcname, "%s-kubeconfig", cname);
  cJSON *kcs_cur = NULL, *cas_cur = NULL;
  int krc = secret_get(s, ns, kcname, &kcs_cur);
  cJSON_Delete(kcs_cur);
  if (krc == 0) return 0;
  if (krc != CAPZ_ENOTFOUND) return krc;
  int carc = secret_get(s, ns, caname, &cas_cur);
  if (carc != 0 && carc != CAPZ_ENOTFOUND) return carc;
  int rc = CAPZ_ENOMEM;
  EVP_PKEY *cakey = NULL, *ukey = new_key();
  X509 *ca = NULL;
  bool have_ca = carc == 0 && load_ca(cas_cur, &ca, &cakey);
  cJSON_Delete(cas_cur);
  if (carc == 0 && !have_ca) {
    capz_log(s->log, CAPZ_LOG_WARN, "cluster CA Secret unreadable; not writing a kubeconfig", "namespace", ns, "name",
             caname, NULL);
    EVP_PKEY_free(ukey);
    return CAPZ_EINVAL;
  }
  if (!have_ca) {
    cakey = new_key();
    ca = cakey ? new_cert(cakey, "kubernetes", NULL, NULL, NULL, true) : NULL;
  }
  X509 *user = ukey && ca ? new_cert(ukey, "kubernetes-admin", "system:masters", ca, cakey, false) : NULL;
  char *ca_pem = ca ? pem_cert(ca) : NULL, *ca_key = cakey ? pem_key(cakey) : NULL;
  char *u_pem = user ? pem_cert(user) : NULL, *u_key = ukey ? pem_key(ukey) : NULL;
  char *ca64 = sim_b64(ca_pem), *cak64 = sim_b64(ca_key), *u64 = sim_b64(u_pem), *uk64 = sim_b64(u_key);
  char *kc = NULL, *kc64 = NULL;
  if (ca64 && cak64 && u64 && uk64) {
    const char *host = sim_str(cluster, "/spec/controlPlaneEndpoint/host");
    long long port = (long long)capz_json_ptr_int(cluster, "/spec/controlPlaneEndpoint/port", 6443);
    size_t need = strlen(ca64) + strlen(u64) + strlen(uk64) + 4 * strlen(cname) + strlen(host) + 512;
    kc = malloc(need);
    if (kc) {
      snprintf(kc, need,
               "apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster:\n    server: https://%s:%lld\n"
               "    certificate-authority-data: %s\ncontexts:\n- name: %s-admin@%s\n  context:\n    cluster: %s\n"
               "    user: %s-admin\ncurrent-context: %s-admin@%s\nusers:\n- name: %s-admin\n  user:\n"
               "    client-certificate-data: %s\n    client-key-data: %s\n",
               cname, host, port, ca64, cname, cname, cname, cname, cname, cname, cname, u64, uk64);
      kc64 = sim_b64(kc);
    }
  }
  if (kc64) {
    /* The CA Secret is owned by the KCP too (CAPI: cluster certificates belong to the control plane). */
    cJSON *cas = sim_new_capi_secret(caname, ns, cname, kcp);
    cJSON *d = cJSON_GetObjectItemCaseSensitive(cas, "data");
    cJSON_AddStringToObject(d, "tls.crt", ca64);
    cJSON_AddStringToObject(d, "tls.key", cak64);
    rc = have_ca ? 0 : sim_create(s, &SECRET, ns, cas);
    cJSON_Delete(cas);
    if (rc == 0) {
      cJSON *kcs = sim_new_capi_secret(kcname, ns, cname, kcp);
      cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(kcs, "data"), "value", kc64);
      rc = sim_create(s, &SECRET, ns, kcs);
      cJSON_Delete(kcs);
    }
  }
  if (ca_key) OPENSSL_cleanse(ca_key, strlen(ca_key));
  if (u_key) OPENSSL_cleanse(u_key, strlen(u_key));
  free(ca_pem), free(ca_key), free(u_pem), free(u_key), free(ca64), free(cak64), free(u64), free(uk64);
  free(kc), free(kc64);
  X509_free(ca);
  X509_free(user);
  EVP_PKEY_free(cakey);
  EVP_PKEY_free(ukey);
  return rc;
}
