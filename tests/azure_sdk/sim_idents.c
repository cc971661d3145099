/* sim_idents.c — see sim_idents.h. */
#include "sim_idents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "test_util.h"
#include "capz/sdk.h"
#include "tmpfiles.h"

char g_cfg[300], g_tokfile[300], g_uaic[300];
char *g_cert_pem, *g_cert2_pem;
EVP_PKEY *g_wi_key;
static char *g_wi_pub;

static void append_json_string(char *dst, size_t n, const char *s) {
  cJSON *j = cJSON_CreateString(s);
  char *t = cJSON_PrintUnformatted(j);
  strncat(dst, t, n - strlen(dst) - 1);
  free(t);
  cJSON_Delete(j);
}

/* The certificate part of a PEM holding certificate + key (what the emulator's app config takes). */
static char *cert_only(const char *pem) {
  const char *end = strstr(pem, "-----END CERTIFICATE-----");
  size_t l = (size_t)(end - pem) + strlen("-----END CERTIFICATE-----\n");
  char *c = malloc(l + 1);
  memcpy(c, pem, l);
  c[l] = '\0';
  return c;
}

void sim_idents_setup(const char *tmp_prefix, const char *auth_extra, const char *top_extra) {
  char dir[256];
  tmpfiles_base_make(tmp_prefix);
  tmpfiles_dir_make(dir, sizeof dir);
  g_cert_pem = make_cert_pem(NULL, NULL, NULL, NULL, NULL);
  g_cert2_pem = make_cert_pem(NULL, NULL, NULL, NULL, NULL);
  g_wi_key = make_keypair(&g_wi_pub);
  char *c1 = cert_only(g_cert_pem), *c2 = cert_only(g_cert2_pem);
  static char cfg[65536];
  size_t n = sizeof cfg;
  snprintf(cfg, n,
           "{\"auth\":{%s\"tenants\":[{\"id\":\"" TENANT "\"}],\"subscriptions\":[{\"id\":\"" SUB "\",\"tenant\":\""
           TENANT "\"}],\"apps\":["
           "{\"name\":\"sp\",\"client_id\":\"" C_SP "\",\"secrets\":[\"sp-secret-1\",\"sp-secret-2\"]},"
           "{\"name\":\"cert\",\"client_id\":\"" C_CERT "\",\"certificates\":[",
           auth_extra);
  append_json_string(cfg, n, c1);
  strncat(cfg, "]},{\"name\":\"uaic\",\"client_id\":\"" C_UAIC "\",\"certificates\":[", n - strlen(cfg) - 1);
  append_json_string(cfg, n, c2);
  strncat(cfg, "]},{\"name\":\"wi\",\"client_id\":\"" C_WI "\",\"federated_credentials\":[{\"issuer\":\"" WI_ISS
               "\",\"subject\":\"" WI_SUB "\",\"audiences\":[\"api://AzureADTokenExchange\"],\"public_keys\":[",
          n - strlen(cfg) - 1);
  append_json_string(cfg, n, g_wi_pub);
  strncat(cfg, "]}]}],\"managed_identities\":{\"user_assigned\":[{\"name\":\"mi\",\"client_id\":\"" C_MSI "\"}]}}",
          n - strlen(cfg) - 1);
  strncat(cfg, top_extra, n - strlen(cfg) - 1);
  strncat(cfg, "}", n - strlen(cfg) - 1);
  snprintf(g_cfg, sizeof g_cfg, "%s/sim.json", dir);
  tmpfiles_write_text(g_cfg, cfg);
  snprintf(g_tokfile, sizeof g_tokfile, "%s/wi-token", dir);
  snprintf(g_uaic, sizeof g_uaic, "%s/uaic.json", dir);
  free(c1);
  free(c2);
}

void sim_idents_teardown(void) {
  tmpfiles_base_remove();
  free(g_cert_pem);
  free(g_cert2_pem);
  free(g_wi_pub);
  EVP_PKEY_free(g_wi_key);
}

void write_wi_token(const char *subject, long exp_in) {
  char claims[512];
  long now = (long)time(NULL);
  snprintf(claims, sizeof claims,
           "{\"iss\":\"" WI_ISS "\",\"sub\":\"%s\",\"aud\":[\"api://AzureADTokenExchange\"],\"iat\":%ld,\"nbf\":%ld,"
           "\"exp\":%ld}",
           subject, now, now, now + exp_in);
  char *jwt = sign_jwt_rs256(g_wi_key, claims);
  char line[4096];
  snprintf(line, sizeof line, "%s\n", jwt);
  tmpfiles_write_text(g_tokfile, line);
  free(jwt);
}

void write_uaic(const char *not_after, const char *base_url) {
  size_t l = strlen(g_cert2_pem);
  char *b64 = malloc(4 * ((l + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)g_cert2_pem, (int)l);
  char *txt = malloc(strlen(b64) + 1024);
  sprintf(txt,
          "{\"client_id\":\"" C_UAIC "\",\"tenant_id\":\"" TENANT "\",\"client_secret\":\"%s\","
          "\"authentication_endpoint\":\"%s/\",\"not_before\":\"2020-01-01T00:00:00Z\",\"not_after\":\"%s\","
          "\"renew_after\":\"2098-01-01T00:00:00Z\",\"cannot_renew_after\":\"2099-06-01T00:00:00Z\","
          "\"object_id\":\"eeeeeeee-0000-4000-8000-000000000001\"}",
          b64, base_url, not_after);
  tmpfiles_write_text(g_uaic, txt);
  free(txt);
  free(b64);
}

void sim_idents_start(simproc *sim, capz_az_cloud *cloud) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  armcloud_start(sim, g_cfg, cloud);
}

void sim_idents_stop(simproc *sim) {
  capz_sdk_global_cleanup();
  simproc_stop(sim);
}
