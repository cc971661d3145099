/* tenv.c — emulator fixtures for the SDK table/session tests. */
#include "tenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/json.h"
#include "capz/sdk.h"
#include "armcloud.h"
#include "kubetest.h"
#include "tmpfiles.h"

simproc g_arm;
static kubetest g_kube_env;
capz_az_cloud g_cloud;
capz_kube_client *g_kc;
static char g_dir[64];

void arm_env_start(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/capz-sdktable-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(g_dir));
  char cfg[128];
  snprintf(cfg, sizeof cfg, "%s/arm.json", g_dir);
  tmpfiles_write_text(cfg, "{\"auth\":{\"tenants\":[{\"id\":\"" T_TENANT "\"}],\"subscriptions\":[{\"id\":\"" T_SUB
                           "\",\"tenant\":\"" T_TENANT "\"}],\"apps\":[{\"name\":\"sp\",\"client_id\":\"" T_CLIENT
                           "\",\"secrets\":[\"" T_SECRET1 "\",\"" T_SECRET2 "\"]}]},"
                           "\"lro\":{\"defaultSeconds\":0.3,\"retryAfterSeconds\":0},\"requestLog\":{\"keepBodies\":2000}}");
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  armcloud_start(&g_arm, cfg, &g_cloud);
}

void arm_env_stop(void) {
  capz_sdk_global_cleanup();
  simproc_stop(&g_arm);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", g_dir);
}

void kube_env_start(void) {
  arm_env_start();
  kubetest_start(&g_kube_env, NULL);
  g_kc = g_kube_env.client;
  const char *src = getenv("CAPZ_SOURCE_DIR");
  ck_assert_ptr_nonnull(src);
  char p[512];
  snprintf(p, sizeof p, "%s/config/crd/bases/infrastructure.cluster.x-k8s.io_azureclusteridentities.yaml", src);
  kubetest_create_from_yaml_file(&g_kube_env, &KUBETEST_CRD_GVK, p);
}

void kube_env_stop(void) {
  g_kc = NULL;
  kubetest_stop(&g_kube_env);
  arm_env_stop();
}

capz_arm_client *t_client(const char *secret, capz_az_credential **cred) {
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = T_TENANT, .client_id = T_CLIENT,
                         .secret = (const unsigned char *)secret, .secret_len = strlen(secret)};
  capz_err err;
  *cred = capz_az_credential_new(&g_cloud, &id, NULL, &err);
  ck_assert_msg(*cred != NULL, "%s", err.msg);
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = *cred, .poll_default_s = 0.1,
                                .backoff_base_s = 0.05};
  capz_arm_client *c = capz_arm_client_new(&cfg, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  return c;
}

cJSON *t_requests(void) {
  capz_az_credential *cred;
  capz_arm_client *c = t_client(T_SECRET1, &cred);
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", g_arm.url);
  capz_arm_response r;
  capz_err err;
  ck_assert_msg(capz_arm_do(c, "GET", url, NULL, NULL, &r, &err) == 0, "request log: %s", err.msg);
  cJSON *out = r.body;
  r.body = NULL;
  capz_arm_response_free(&r);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
  return out;
}

static bool req_matches(const cJSON *e, const char *method, const char *part) {
  const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "method"));
  const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
  return m && p && strcmp(m, method) == 0 && strcasestr(p, part);
}

int t_count(const cJSON *log, const char *method, const char *part) {
  int n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) n += req_matches(e, method, part);
  return n;
}

int t_first(const cJSON *log, const char *method, const char *part) {
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    if (req_matches(e, method, part)) return i;
    i++;
  }
  return -1;
}

void t_put(const char *id, const char *body_json) {
  capz_az_credential *cred;
  capz_arm_client *c = t_client(T_SECRET1, &cred);
  cJSON *b = cJSON_Parse(body_json);
  ck_assert_ptr_nonnull(b);
  capz_err err;
  ck_assert_msg(capz_arm_put(c, id, b, NULL, 30, NULL, &err) == 0, "PUT %s: %s", id, err.msg);
  cJSON_Delete(b);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
}

int t_get_status(const char *id) {
  capz_az_credential *cred;
  capz_arm_client *c = t_client(T_SECRET1, &cred);
  capz_arm_response r;
  capz_err err;
  capz_arm_get(c, id, NULL, &r, &err);
  int st = r.status;
  capz_arm_response_free(&r);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
  return st;
}
