/* machine_fixtures.c — see machine_fixtures.h. */
#include "machine_fixtures.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "capz/conditions.h"
#include "capz/controller_util.h"
#include "capz/json.h"

void mk_identity_sp(void) { k_make_sp_identity("{}"); }

void mk_cluster_ready(const char *name) {
  char net[256];
  snprintf(net, sizeof net, "{\"vnet\":{\"name\":\"%s-vnet\"}}", name);
  mk_cluster_ready_net(name, net);
}

void mk_cluster_ready_net(const char *name, const char *network_json) {
  cJSON *c = k_create(&GVK_CLUSTER,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"%s\"},"
                      "\"spec\":{\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\","
                      "\"kind\":\"AzureCluster\",\"name\":\"%s\"}}}",
                      name, name);
  cJSON_Delete(k_create(&GVK_AC,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\","
                        "\"metadata\":{\"name\":\"%s\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Cluster\",\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true}]},"
                        "\"spec\":{\"location\":\"eastus\",\"subscriptionID\":\"" E2E_SUB "\",\"resourceGroup\":\"%s-rg\","
                        "\"identityRef\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":"
                        "\"AzureClusterIdentity\",\"name\":\"id1\",\"namespace\":\"default\"},"
                        "\"networkSpec\":%s}}",
                        name, name, capz_json_ptr_str(c, "/metadata/uid", ""), name, network_json));
  cJSON_Delete(c);
  ck_assert_msg(wait_ready(&GVK_AC, name, 60000), "AzureCluster %s not ready", name);
  k_patch(&GVK_CLUSTER, name, "status", "{\"status\":{\"initialization\":{\"infrastructureProvisioned\":true}}}");
}

void mk_bootstrap(const char *machine, const char *cluster, const char *text) {
  size_t n = strlen(text);
  char *b = malloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)text, (int)n);
  cJSON_Delete(k_create(&GVK_SECRET,
                        "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s-bootstrap\",\"labels\":"
                        "{\"cluster.x-k8s.io/cluster-name\":\"%s\"}},\"data\":{\"value\":\"%s\"}}",
                        machine, cluster, b));
  free(b);
}

void mk_machine(const char *name, const char *cluster, bool control_plane, const char *labels_json,
                const char *spec_json) {
  cJSON *m = k_create(&GVK_MACHINE,
                      "{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Machine\",\"metadata\":{\"name\":\"%s\","
                      "\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"%s\"%s%s%s}},"
                      "\"spec\":{\"clusterName\":\"%s\",\"version\":\"v1.31.1\",\"bootstrap\":{\"dataSecretName\":"
                      "\"%s-bootstrap\"},\"infrastructureRef\":{\"apiGroup\":\"infrastructure.cluster.x-k8s.io\","
                      "\"kind\":\"AzureMachine\",\"name\":\"%s\"}}}",
                      name, cluster, control_plane ? ",\"cluster.x-k8s.io/control-plane\":\"\"" : "",
                      *labels_json ? "," : "", labels_json, cluster, name, name);
  cJSON_Delete(k_create(&GVK_AM,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachine\","
                        "\"metadata\":{\"name\":\"%s\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"%s\"},"
                        "\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Machine\",\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true}]},\"spec\":%s}",
                        name, cluster, name, capz_json_ptr_str(m, "/metadata/uid", ""), spec_json));
  cJSON_Delete(m);
}

bool wait_ready(const capz_gvk *gvk, const char *name, int64_t ms) { return k_wait(gvk, name, k_is_ready, NULL, ms, NULL); }

void expect_machine_ready(const char *name, int64_t ms) {
  if (!wait_ready(&GVK_AM, name, ms)) {
    char *t = status_text(name);
    ck_abort_msg("%s not ready: %s", name, t);
  }
}

typedef struct cond_want {
  const char *type, *status, *reason;
} cond_want;

static bool has_cond(const cJSON *o, void *ud) {
  const cond_want *w = ud;
  const cJSON *c = o ? capz_cond_get(o, w->type) : NULL;
  return c && !strcmp(capz_json_ptr_str(c, "/status", ""), w->status) &&
         (!w->reason || !strcmp(capz_json_ptr_str(c, "/reason", ""), w->reason));
}

bool wait_cond(const capz_gvk *gvk, const char *name, const char *type, const char *status, const char *reason,
               int64_t ms) {
  cond_want w = {type, status, reason};
  return k_wait(gvk, name, has_cond, &w, ms, NULL);
}

char *status_text(const char *name) {
  cJSON *am = k_get(&GVK_AM, name);
  char *t = am ? cJSON_PrintUnformatted(capz_json_ptr_get(am, "/status")) : NULL;
  cJSON_Delete(am);
  return t ? t : strdup("(absent)");
}

char *secret_data(const cJSON *secret, const char *key) {
  char p[256];
  snprintf(p, sizeof p, "/data/%s", key);
  const char *v = capz_json_ptr_str(secret, p, NULL);
  if (!v) return NULL;
  size_t n = 0;
  return (char *)capz_b64_decode(v, &n);
}

void sha256_hex(const void *p, size_t n, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int ml = 0;
  EVP_Digest(p, n, md, &ml, EVP_sha256(), NULL);
  for (unsigned i = 0; i < ml && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

const cJSON *req_find(const cJSON *log, const char *method, const char *suffix) {
  const cJSON *r;
  size_t sl = strlen(suffix);
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    const char *path = capz_json_ptr_str(r, "/path", "");
    size_t pl = strcspn(path, "?");
    if (strcmp(capz_json_ptr_str(r, "/method", ""), method) || pl < sl) continue;
    if (!strncasecmp(path + pl - sl, suffix, sl)) return r;
  }
  return NULL;
}

int req_count(const cJSON *log, const char *method, const char *fragment) {
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    const char *path = capz_json_ptr_str(r, "/path", "");
    if (strncmp(path, "/subscriptions", 14)) continue;
    if (method && strcmp(capz_json_ptr_str(r, "/method", ""), method)) continue;
    if (fragment && !strcasestr(path, fragment)) continue;
    n++;
  }
  return n;
}

/* ---------------------------------------------------------------- certificate identity environment */
static char *bio_text(BIO *b) {
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  char *out = malloc((size_t)n + 1);
  memcpy(out, p, (size_t)n);
  out[n] = '\0';
  return out;
}

static char g_cert_dir[64];

void cert_env_cleanup(void) {
  if (!g_cert_dir[0]) return;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_cert_dir);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", g_cert_dir);
  g_cert_dir[0] = '\0';
}

void cert_env_prepare(char **pem_out) {
  EVP_PKEY *key = EVP_RSA_gen(2048);
  ck_assert_ptr_nonnull(key);
  X509 *x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME *nm = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"capz-c e2e", -1, -1, 0);
  X509_set_issuer_name(x, nm);
  ck_assert(X509_sign(x, key, EVP_sha256()) > 0);
  BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bc, x);
  PEM_write_bio_PrivateKey(bk, key, NULL, NULL, 0, NULL, NULL);
  char *cert = bio_text(bc), *kpem = bio_text(bk);
  BIO_free(bc);
  BIO_free(bk);
  X509_free(x);
  EVP_PKEY_free(key);
  *pem_out = malloc(strlen(cert) + strlen(kpem) + 1);
  strcpy(*pem_out, cert);
  strcat(*pem_out, kpem);
  free(kpem);

  const char *real = getenv("CAPZ_BUILD_DIR");
  ck_assert_ptr_nonnull(real);
  char *dir = g_cert_dir, p[1024], q[1024];
  snprintf(g_cert_dir, sizeof g_cert_dir, "/tmp/capz-smm-cert-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(p, sizeof p, "%s/bin", dir);
  ck_assert_int_eq(mkdir(p, 0700), 0);
  static const char *const links[] = {"bin/capz-host", "bin/capz-kube-sim", "plugins"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s/%s", real, links[i]);
    snprintf(q, sizeof q, "%s/%s", dir, links[i]);
    ck_assert_int_eq(symlink(p, q), 0);
  }
  /* the emulator config: e2e_env's settings plus an auth section (defaults + the certificate app) */
  cJSON *cfg = cJSON_Parse("{\"lro\":{\"defaultSeconds\":0.2,\"retryAfterSeconds\":0},\"requestLog\":{\"keepBodies\":4000},"
                           "\"auth\":{\"tenants\":[{\"id\":\"" E2E_TENANT "\"}],\"subscriptions\":[{\"id\":\"" E2E_SUB
                           "\",\"tenant\":\"" E2E_TENANT "\"}],\"apps\":[{\"name\":\"capz-sim-app\",\"client_id\":\"" E2E_CLIENT
                           "\",\"secrets\":[\"" E2E_SECRET "\"]},{\"name\":\"cert-app\",\"client_id\":\"" CERT_CLIENT
                           "\",\"certificates\":[]}]}}");
  ck_assert_ptr_nonnull(cfg);
  cJSON_AddItemToArray(capz_json_ptr_get(cfg, "/auth/apps/1/certificates"), cJSON_CreateString(cert));
  free(cert);
  char *txt = cJSON_Print(cfg);
  cJSON_Delete(cfg);
  snprintf(q, sizeof q, "%s/arm-cert.json", dir);
  FILE *f = fopen(q, "w");
  ck_assert_ptr_nonnull(f);
  fputs(txt, f);
  fclose(f);
  free(txt);
  /* the later --config wins over the one e2e_env passes */
  snprintf(p, sizeof p, "%s/bin/capz-arm-sim", dir);
  f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f, "#!/bin/sh\nexec '%s/bin/capz-arm-sim' \"$@\" --config '%s'\n", real, q);
  fclose(f);
  ck_assert_int_eq(chmod(p, 0700), 0);
  setenv("CAPZ_BUILD_DIR", dir, 1);
}
