/* test_azure_sim.c — the Azure SDK against capz-arm-sim: every identity type (good/bad credentials, rotation,
 * denied namespace), LRO patterns incl. resume after a restart, 429/5xx/reset/401 handling, ensure's zero-write
 * steady state (asserted from the emulator's GET /_sim/requests log), accounting. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "capz/azure.h"
#include "capz/metrics.h"
#include "capz/sdk.h"
#include "armcloud.h"
#include "sim_idents.h"
#include "simproc.h"
#include "test_util.h"
#include "tmpfiles.h"
#include "ckrun.h"

#define RG_ID "/subscriptions/" SUB "/resourceGroups/rg1"
#define VNET_ID RG_ID "/providers/Microsoft.Network/virtualNetworks/vnet1"


static simproc g_sim;
static capz_az_cloud g_cloud;

static void global_setup(void) {
  sim_idents_setup("azsim", "",
                   ",\"lro\":{\"defaultSeconds\":0.4,\"retryAfterSeconds\":1,\"durations\":{"
                   "\"Microsoft.ContainerService/managedClusters\":0.4}},\"requestLog\":{\"keepBodies\":5000}");
}

static void global_teardown(void) { sim_idents_teardown(); }

static void sim_setup(void) {
  sim_idents_start(&g_sim, &g_cloud);
}

static void sim_teardown(void) {
  sim_idents_stop(&g_sim);
}

/* ---------------------------------------------------------------- helpers */

static capz_az_credential *sp_cred(const char *secret, capz_az_token_cache *cache, capz_err *err) {
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = TENANT, .client_id = C_SP,
                         .secret = (const unsigned char *)secret, .secret_len = strlen(secret)};
  return capz_az_credential_new(&g_cloud, &id, cache, err);
}

static capz_arm_client *client_for(capz_az_credential *cred, capz_arm_limiter *lim, double max_retry_wait) {
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = cred, .limiter = lim, .backoff_base_s = 0.05,
                                .poll_default_s = 0.2, .max_retry_wait_s = max_retry_wait};
  capz_err err;
  capz_arm_client *c = capz_arm_client_new(&cfg, &err);
  ck_assert_msg(c != NULL, "%s", err.msg);
  return c;
}

/* The emulator's inspection API goes through its own client so it does not disturb the client under test. */
typedef struct insp {
  capz_az_credential *cred;
  capz_arm_client *c;
} insp;

static insp insp_new(void) {
  insp i;
  i.cred = sp_cred("sp-secret-1", NULL, NULL);
  ck_assert_ptr_nonnull(i.cred);
  i.c = client_for(i.cred, NULL, 0);
  return i;
}

static void insp_free(insp *i) {
  capz_arm_client_free(i->c);
  capz_az_credential_free(i->cred);
}

static void add_fault(insp *i, const char *rule_json) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/faults", g_sim.url);
  cJSON *b = cJSON_Parse(rule_json);
  ck_assert_ptr_nonnull(b);
  capz_arm_response r;
  capz_err err;
  int rc = capz_arm_do(i->c, "POST", url, b, NULL, &r, &err);
  ck_assert_msg(rc == 0, "adding fault: %s", err.msg);
  capz_arm_response_free(&r);
  cJSON_Delete(b);
}

/* Count logged requests with this method whose path contains `part` (case-insensitive). */
static int count_requests(insp *i, const char *method, const char *part) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", g_sim.url);
  capz_arm_response r;
  capz_err err;
  int rc = capz_arm_do(i->c, "GET", url, NULL, NULL, &r, &err);
  ck_assert_msg(rc == 0, "reading request log: %s", err.msg);
  int n = 0;
  const cJSON *reqs = cJSON_GetObjectItem(r.body, "requests");
  const cJSON *e;
  cJSON_ArrayForEach(e, reqs) {
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "method"));
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    if (m && p && strcmp(m, method) == 0 && strcasestr(p, part)) n++;
  }
  capz_arm_response_free(&r);
  return n;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A token is accepted by ARM when a GET of a missing RG answers 404 (not 401). */
static void assert_token_works(capz_az_credential *cred) {
  capz_arm_client *c = client_for(cred, NULL, 0);
  capz_arm_response r;
  capz_err err;
  int rc = capz_arm_get(c, "/subscriptions/" SUB "/resourceGroups/does-not-exist", NULL, &r, &err);
  ck_assert_msg(rc == CAPZ_ENOTFOUND, "expected 404, got %s: %s", capz_errcode_name(rc), err.msg);
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(err.reason, "ResourceGroupNotFound");
  capz_arm_response_free(&r);
  capz_arm_client_free(c);
}

/* The credential gets a token now, and ARM accepts it. */
static void assert_token_ok(capz_az_credential *cred) {
  capz_err err;
  char *t = NULL;
  int rc = capz_az_credential_token(cred, NULL, &t, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  capz_az_token_free(t);
  assert_token_works(cred);
}

static void ensure_rg(capz_arm_client *c, const char *id) {
  cJSON *b = cJSON_Parse("{\"location\":\"eastus\"}");
  capz_err err;
  int rc = capz_arm_put(c, id, b, NULL, 30, NULL, &err);
  ck_assert_msg(rc == 0, "RG PUT: %s", err.msg);
  cJSON_Delete(b);
}

/* What the ARM tests start from: the emulator's inspector, a service-principal credential and a client on it, and
 * (with_rg) resource group rg1. */
typedef struct arm_env {
  insp in;
  capz_az_credential *cred;
  capz_arm_client *c;
} arm_env;

static arm_env env_open(bool with_rg) {
  arm_env env = {.in = insp_new(), .cred = sp_cred("sp-secret-1", NULL, NULL)};
  env.c = client_for(env.cred, NULL, 0);
  if (with_rg) ensure_rg(env.c, RG_ID);
  return env;
}

static void env_close(arm_env *env) {
  capz_arm_client_free(env->c);
  capz_az_credential_free(env->cred);
  insp_free(&env->in);
}

/* ---------------------------------------------------------------- identities */

START_TEST(identity_service_principal) {
  capz_err err;
  /* admission happens before any credential is built */
  cJSON *spec = cJSON_Parse("{\"type\":\"ServicePrincipal\",\"allowedNamespaces\":{\"list\":[\"capz\"]}}");
  ck_assert(capz_az_namespace_allowed(spec, "capz", NULL, &err));
  ck_assert(!capz_az_namespace_allowed(spec, "intruder", NULL, &err));
  ck_assert_int_eq(err.code, CAPZ_EFORBIDDEN);
  cJSON_Delete(spec);

  capz_az_token_cache *cache = capz_az_token_cache_new(16, NULL, NULL);
  capz_az_credential *good = sp_cred("sp-secret-1", cache, &err);
  ck_assert_ptr_nonnull(good);
  char *t1 = NULL, *t2 = NULL;
  ck_assert_int_eq(capz_az_credential_token(good, NULL, &t1, &err), 0);
  ck_assert_int_eq(capz_az_credential_token(good, NULL, &t2, &err), 0);
  ck_assert_str_eq(t1, t2); /* second call served from the cache */
  capz_az_token_cache_stats st;
  capz_az_token_cache_get_stats(cache, &st);
  ck_assert_uint_eq(st.fetches, 1);
  assert_token_works(good);

  capz_az_credential *bad = sp_cred("wrong-secret", cache, &err);
  char *t3 = NULL;
  ck_assert_int_eq(capz_az_credential_token(bad, NULL, &t3, &err), CAPZ_EAUTH);
  ck_assert_str_eq(err.reason, "invalid_client");
  ck_assert_ptr_null(strstr(err.msg, "wrong-secret"));
  ck_assert_ptr_null(t3);

  /* rotation: the new secret is a new cache key, so a fresh token is fetched with it */
  capz_az_credential *rotated = sp_cred("sp-secret-2", cache, &err);
  ck_assert_str_ne(capz_az_credential_cache_key(rotated), capz_az_credential_cache_key(good));
  char *t4 = NULL;
  ck_assert_int_eq(capz_az_credential_token(rotated, NULL, &t4, &err), 0);
  capz_az_token_cache_get_stats(cache, &st);
  ck_assert_uint_eq(st.fetches, 3);
  assert_token_works(rotated);

  /* the same identity as ManualServicePrincipal is a different credential too (type change) */
  capz_az_identity id = {.type = CAPZ_AZ_ID_MANUAL_SERVICE_PRINCIPAL, .tenant_id = TENANT, .client_id = C_SP,
                         .secret = (const unsigned char *)"sp-secret-1", .secret_len = 11};
  capz_az_credential *manual = capz_az_credential_new(&g_cloud, &id, cache, &err);
  ck_assert_str_ne(capz_az_credential_cache_key(manual), capz_az_credential_cache_key(good));
  assert_token_works(manual);

  capz_az_token_free(t1);
  capz_az_token_free(t2);
  capz_az_token_free(t4);
  capz_az_credential_free(good);
  capz_az_credential_free(bad);
  capz_az_credential_free(rotated);
  capz_az_credential_free(manual);
  capz_az_token_cache_free(cache);
}
END_TEST

static capz_az_credential *cert_cred(const char *pem, const char *client, capz_az_jwt_alg alg, capz_err *err) {
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL_CERTIFICATE, .tenant_id = TENANT, .client_id = client,
                         .secret = (const unsigned char *)pem, .secret_len = strlen(pem), .jwt_alg = alg};
  return capz_az_credential_new(&g_cloud, &id, NULL, err);
}

START_TEST(identity_certificate) {
  capz_err err;
  for (int alg = 0; alg < 2; alg++) {
    capz_az_credential *c = cert_cred(g_cert_pem, C_CERT, (capz_az_jwt_alg)alg, &err);
    ck_assert_msg(c != NULL, "%s", err.msg);
    char *t = NULL;
    int rc = capz_az_credential_token(c, NULL, &t, &err);
    ck_assert_msg(rc == 0, "alg %d: %s", alg, err.msg);
    capz_az_token_free(t);
    assert_token_works(c);
    capz_az_credential_free(c);
  }
  /* a valid certificate the app does not know */
  capz_az_credential *c = cert_cred(g_cert2_pem, C_CERT, CAPZ_AZ_JWT_PS256, &err);
  char *t = NULL;
  ck_assert_int_eq(capz_az_credential_token(c, NULL, &t, &err), CAPZ_EAUTH);
  ck_assert_str_eq(err.reason, "invalid_client");
  capz_az_credential_free(c);
}
END_TEST

START_TEST(identity_workload) {
  capz_err err;
  capz_az_token_cache *cache = capz_az_token_cache_new(16, NULL, NULL);
  capz_az_identity id = {.type = CAPZ_AZ_ID_WORKLOAD_IDENTITY, .tenant_id = TENANT, .client_id = C_WI,
                         .token_file = g_tokfile};
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &id, cache, &err);
  ck_assert_ptr_nonnull(c);
  char *t = NULL;
  unlink(g_tokfile);
  ck_assert_int_eq(capz_az_credential_token(c, NULL, &t, &err), CAPZ_ENOTFOUND);
  write_wi_token("system:serviceaccount:other:sa", 3600);
  ck_assert_int_eq(capz_az_credential_token(c, NULL, &t, &err), CAPZ_EAUTH);
  ck_assert_str_eq(err.reason, "invalid_request"); /* AADSTS70021: no matching federated identity record */
  /* kubelet rotated the file: the next request reads it again */
  write_wi_token(WI_SUB, 3600);
  assert_token_ok(c);
  capz_az_credential_free(c);
  capz_az_token_cache_free(cache);
}
END_TEST

START_TEST(identity_user_assigned_msi) {
  capz_err err;
  capz_az_identity id = {.type = CAPZ_AZ_ID_USER_ASSIGNED_MSI, .client_id = C_MSI};
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &id, NULL, &err);
  ck_assert_ptr_nonnull(c);
  char *t = NULL;
  assert_token_ok(c);
  capz_az_credential_free(c);
  capz_az_identity unknown = {.type = CAPZ_AZ_ID_USER_ASSIGNED_MSI, .client_id = "dddddddd-0000-4000-8000-000000000009"};
  c = capz_az_credential_new(&g_cloud, &unknown, NULL, &err);
  ck_assert_int_ne(capz_az_credential_token(c, NULL, &t, &err), 0);
  ck_assert_ptr_null(t);
  capz_az_credential_free(c);
}
END_TEST

START_TEST(identity_user_assigned_credential) {
  capz_err err;
  capz_az_identity id = {.type = CAPZ_AZ_ID_USER_ASSIGNED_IDENTITY_CREDENTIAL, .credentials_file = g_uaic};
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &id, NULL, &err);
  ck_assert_ptr_nonnull(c);
  char *t = NULL;
  unlink(g_uaic);
  ck_assert_int_eq(capz_az_credential_token(c, NULL, &t, &err), CAPZ_ENOTFOUND);
  write_uaic("2000-01-01T00:00:00Z", g_sim.url);
  ck_assert_int_eq(capz_az_credential_token(c, NULL, &t, &err), CAPZ_EAUTH);
  ck_assert_str_eq(err.reason, "CredentialExpired");
  write_uaic("2099-01-01T00:00:00Z", g_sim.url);
  assert_token_ok(c);
  capz_az_credential_free(c);
}
END_TEST

/* ---------------------------------------------------------------- LROs */

START_TEST(lro_patterns) {
  arm_env env = env_open(false);
  capz_arm_client *c = env.c;
  capz_err err;
  cJSON *res = NULL;
  /* synchronous RG PUT */
  cJSON *b = cJSON_Parse("{\"location\":\"eastus\",\"tags\":{\"a\":\"b\"}}");
  ck_assert_int_eq(capz_arm_put(c, RG_ID, b, NULL, 30, &res, &err), 0);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(res, "name")), "rg1");
  cJSON_Delete(res);
  cJSON_Delete(b);

  /* NRP PUT: non-blocking begin, then one poll at a time at the server's pace */
  b = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}");
  capz_arm_op *op = NULL;
  int brc = capz_arm_begin(c, "PUT", VNET_ID, b, NULL, CAPZ_ARM_FINAL_DEFAULT, &op, &err);
  ck_assert_msg(brc == 0, "begin: %s", err.msg);
  int polls = 0, rc = capz_arm_op_get_state(op) == CAPZ_ARM_OP_IN_PROGRESS ? CAPZ_EINPROGRESS : 0;
  while (rc == CAPZ_EINPROGRESS && polls < 50) {
    double d = capz_arm_op_next_poll_in(op);
    ck_assert(d >= 0 && d <= 1.5);
    usleep((useconds_t)(d * 1e6));
    rc = capz_arm_op_poll(c, op, &err);
    polls++;
  }
  ck_assert_msg(rc == 0, "%s", err.msg);
  const cJSON *vnet = capz_arm_op_result(op);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(vnet, "properties"),
                                                            "provisioningState")),
                   "Succeeded");
  capz_arm_op_free(op);
  cJSON_Delete(b);

  /* an operation that ends Failed */
  add_fault(&env.in, "{\"method\":\"PUT\",\"path\":\"*/virtualNetworks/vbad\",\"kind\":\"lroFail\",\"code\":\"QuotaExceeded\","
                     "\"message\":\"no more\",\"count\":1}");
  b = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.1.0.0/16\"]}}}");
  rc = capz_arm_put(c, RG_ID "/providers/Microsoft.Network/virtualNetworks/vbad", b, NULL, 30, NULL, &err);
  ck_assert_int_eq(rc, CAPZ_EFAILED);
  ck_assert_str_eq(err.reason, "QuotaExceeded");
  cJSON_Delete(b);

  /* DELETE (202 + Location), then DELETE of the absent resource is a success */
  rc = capz_arm_delete(c, VNET_ID, NULL, 30, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  capz_arm_response r;
  ck_assert_int_eq(capz_arm_get(c, VNET_ID, NULL, &r, &err), CAPZ_ENOTFOUND);
  capz_arm_response_free(&r);
  ck_assert_int_eq(capz_arm_delete(c, VNET_ID, NULL, 30, &err), 0);

  /* If-None-Match: * is a safe create; If-Match must name the current ETag (private DNS honours both) */
  const char *zone = RG_ID "/providers/Microsoft.Network/privateDnsZones/capz.test";
  b = cJSON_Parse("{\"location\":\"global\"}");
  capz_arm_req_opts inm = {.if_none_match = "*"};
  rc = capz_arm_put(c, zone, b, &inm, 30, NULL, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(capz_arm_put(c, zone, b, &inm, 30, NULL, &err), CAPZ_ECONFLICT);
  ck_assert_int_eq(err.http_status, 412);
  capz_arm_response zr;
  ck_assert_int_eq(capz_arm_get(c, zone, NULL, &zr, &err), 0);
  ck_assert_str_ne(zr.etag, "");
  capz_arm_req_opts im_bad = {.if_match = "\"not-the-etag\""}, im_ok = {.if_match = zr.etag};
  ck_assert_int_eq(capz_arm_put(c, zone, b, &im_bad, 30, NULL, &err), CAPZ_ECONFLICT);
  rc = capz_arm_put(c, zone, b, &im_ok, 30, NULL, &err);
  ck_assert_msg(rc == 0, "If-Match with the current ETag: %s", err.msg);
  capz_arm_response_free(&zr);
  cJSON_Delete(b);

  /* list */
  cJSON *items = NULL;
  ck_assert_int_eq(capz_arm_list(c, "/subscriptions/" SUB "/resourceGroups", NULL, 0, &items, &err), 0);
  ck_assert_int_ge(cJSON_GetArraySize(items), 1);
  cJSON_Delete(items);

  /* resource-group DELETE: 202 + Location polling, cascading to what it holds */
  rc = capz_arm_delete(c, RG_ID, NULL, 30, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(capz_arm_get(c, RG_ID, NULL, &r, &err), CAPZ_ENOTFOUND);
  capz_arm_response_free(&r);

  capz_arm_stats st;
  capz_arm_client_get_stats(c, &st);
  ck_assert_uint_ge(st.lro_polls, 2);
  env_close(&env);
}
END_TEST

START_TEST(lro_put_202_location) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  capz_err err;
  cJSON *res = NULL;
  /* disk PUT answers 202 + Location (+ Azure-AsyncOperation); the result is a final GET of the disk */
  cJSON *b = cJSON_Parse("{\"location\":\"eastus\",\"sku\":{\"name\":\"Premium_LRS\"},\"properties\":{\"creationData\":"
                         "{\"createOption\":\"Empty\"},\"diskSizeGB\":64}}");
  int rc = capz_arm_put(c, RG_ID "/providers/Microsoft.Compute/disks/d1", b, NULL, 30, &res, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "properties"), "diskSizeGB")),
                   64);
  cJSON_Delete(res);
  cJSON_Delete(b);
  ck_assert_int_eq(capz_arm_delete(c, RG_ID "/providers/Microsoft.Compute/disks/d1", NULL, 30, &err), 0);
  env_close(&env);
}
END_TEST

START_TEST(lro_post_actions) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  capz_err err;
  const char *aks = RG_ID "/providers/Microsoft.ContainerService/managedClusters/aks1";
  cJSON *b = cJSON_Parse("{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{"
                         "\"dnsPrefix\":\"aks1\",\"agentPoolProfiles\":[{\"name\":\"pool1\",\"count\":1,"
                         "\"vmSize\":\"Standard_DS2_v2\",\"mode\":\"System\",\"osType\":\"Linux\"}]}}");
  int rc = capz_arm_put(c, aks, b, NULL, 30, NULL, &err);
  ck_assert_msg(rc == 0, "AKS PUT: %s", err.msg);
  cJSON_Delete(b);
  /* POST with a synchronous answer carrying the result */
  cJSON *res = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/listClusterUserCredential", aks);
  rc = capz_arm_post(c, path, NULL, NULL, 30, &res, &err);
  ck_assert_msg(rc == 0, "listClusterUserCredential: %s", err.msg);
  ck_assert(cJSON_IsArray(cJSON_GetObjectItem(res, "kubeconfigs")));
  cJSON_Delete(res);
  /* POST action as an LRO (202 + Location) */
  snprintf(path, sizeof path, "%s/stop", aks);
  rc = capz_arm_post(c, path, NULL, NULL, 30, NULL, &err);
  ck_assert_msg(rc == 0, "stop: %s", err.msg);
  capz_arm_response r;
  ck_assert_int_eq(capz_arm_get(c, aks, NULL, &r, &err), 0);
  const cJSON *ps = cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "properties"), "powerState");
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(ps, "code")), "Stopped");
  capz_arm_response_free(&r);
  env_close(&env);
}
END_TEST

START_TEST(lro_resume_after_restart) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  capz_err err;
  cJSON *b = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.2.0.0/16\"]}}}");
  capz_arm_op *op = NULL;
  int brc = capz_arm_begin(c, "PUT", VNET_ID, b, NULL, CAPZ_ARM_FINAL_DEFAULT, &op, &err);
  ck_assert_msg(brc == 0, "begin: %s", err.msg);
  ck_assert_int_eq(capz_arm_op_get_state(op), CAPZ_ARM_OP_IN_PROGRESS);
  char *token = capz_arm_op_resume_token(op);
  ck_assert_ptr_nonnull(token);
  /* "restart": everything in memory is gone except the token stored in status */
  capz_arm_op_free(op);
  capz_arm_client_free(env.c);
  capz_az_credential_free(env.cred);
  env.cred = sp_cred("sp-secret-1", NULL, NULL);
  c = env.c = client_for(env.cred, NULL, 0);
  ck_assert_int_eq(capz_arm_op_resume(c, token, &op, &err), 0);
  int rc = capz_arm_op_wait(c, op, 30, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_ptr_nonnull(capz_arm_op_result(op));
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/virtualNetworks/vnet1"), 1);
  capz_arm_op_free(op);
  free(token);
  /* a token pointing elsewhere is refused */
  ck_assert_int_eq(capz_arm_op_resume(c, "eyJ2IjoxfQ", &op, &err), CAPZ_EINVAL);
  cJSON_Delete(b);
  env_close(&env);
}
END_TEST

/* ---------------------------------------------------------------- retries */

/* A write with an api-version override is read back (resource polls, final GET, after a resume too) with that
 * version, never the client's default: some providers publish no version the client would pick. */
START_TEST(lro_reads_with_the_writes_api_version) {
  arm_env env = env_open(true);
  capz_err err;
  cJSON *b = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.3.0.0/16\"]}}}");
  capz_arm_req_opts o = {.api_version = "2024-05-01"};
  capz_arm_op *op = NULL;
  int rc = capz_arm_begin(env.c, "PUT", VNET_ID, b, &o, CAPZ_ARM_FINAL_ORIGINAL_URI, &op, &err);
  ck_assert_msg(rc == 0, "begin: %s", err.msg);
  char *token = capz_arm_op_resume_token(op);
  ck_assert_ptr_nonnull(token);
  capz_arm_op_free(op);
  op = NULL;
  /* resumed from the token alone, as after a restart */
  ck_assert_int_eq(capz_arm_op_resume(env.c, token, &op, &err), 0);
  rc = capz_arm_op_wait(env.c, op, 30, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_ge(count_requests(&env.in, "GET", "/virtualNetworks/vnet1?api-version=2024-05-01"), 1);
  ck_assert_int_eq(count_requests(&env.in, "GET", "/virtualNetworks/vnet1?api-version=2025-05-01"), 0);
  capz_arm_op_free(op);
  free(token);
  cJSON_Delete(b);
  env_close(&env);
}
END_TEST

START_TEST(throttled_429_honours_retry_after) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  add_fault(&env.in, "{\"method\":\"GET\",\"path\":\"*/resourceGroups/rg1\",\"kind\":\"error\",\"status\":429,"
                     "\"retryAfter\":1,\"count\":1}");
  capz_arm_stats before, after;
  capz_arm_client_get_stats(c, &before);
  capz_arm_response r;
  capz_err err;
  double t0 = now_s();
  ck_assert_int_eq(capz_arm_get(c, RG_ID, NULL, &r, &err), 0);
  double el = now_s() - t0;
  capz_arm_response_free(&r);
  capz_arm_client_get_stats(c, &after);
  ck_assert_msg(el >= 1.0, "retried after %.3f s, before Retry-After elapsed", el);
  ck_assert_uint_eq(after.throttled - before.throttled, 1);
  ck_assert_uint_eq(after.retries - before.retries, 1);
  /* a Retry-After longer than the client will sleep: returned to the caller for REQUEUE_AFTER */
  capz_arm_client *impatient = client_for(env.cred, NULL, 0.5);
  add_fault(&env.in, "{\"method\":\"GET\",\"path\":\"*/resourceGroups/rg1\",\"kind\":\"error\",\"status\":429,"
                     "\"retryAfter\":7,\"count\":1}");
  t0 = now_s();
  ck_assert_int_eq(capz_arm_get(impatient, RG_ID, NULL, &r, &err), CAPZ_ETHROTTLED);
  ck_assert(now_s() - t0 < 1.0);
  ck_assert_double_eq_tol(r.retry_after_s, 7, 1e-9);
  ck_assert_str_eq(err.reason, "TooManyRequests");
  capz_arm_response_free(&r);
  capz_arm_client_free(impatient);
  env_close(&env);
}
END_TEST

START_TEST(server_errors_resets_and_401) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  capz_arm_response r;
  capz_err err;
  /* each fault on GET rg1 is retried past: the GET still succeeds */
  static const char *const recoverable[] = {
      "\"kind\":\"error\",\"status\":500,\"count\":2",
      "\"kind\":\"reset\",\"count\":2",
      "\"kind\":\"error\",\"status\":401,\"code\":\"ExpiredAuthenticationToken\",\"count\":1",
  };
  for (size_t i = 0; i < sizeof recoverable / sizeof *recoverable; i++) {
    char rule[256];
    snprintf(rule, sizeof rule, "{\"method\":\"GET\",\"path\":\"*/resourceGroups/rg1\",%s}", recoverable[i]);
    add_fault(&env.in, rule);
    ck_assert_msg(capz_arm_get(c, RG_ID, NULL, &r, &err) == 0, "after fault %s: %s", recoverable[i], err.msg);
    capz_arm_response_free(&r);
  }
  capz_arm_stats st;
  capz_arm_client_get_stats(c, &st);
  ck_assert_uint_eq(st.server_errors, 2);
  /* libcurl silently retries once when a reused connection dies; the second reset reaches our retry loop */
  ck_assert_uint_ge(st.transport_errors, 1);
  ck_assert_uint_eq(st.auth_refreshes, 1);
  ck_assert_uint_ge(st.retries, 3);
  /* a persistent 5xx ends with the ARM error after the retries */
  add_fault(&env.in, "{\"method\":\"GET\",\"path\":\"*/resourceGroups/rg1\",\"kind\":\"error\",\"status\":502,\"count\":10}");
  ck_assert_int_eq(capz_arm_get(c, RG_ID, NULL, &r, &err), CAPZ_EUNAVAILABLE);
  ck_assert_int_eq(err.http_status, 502);
  capz_arm_response_free(&r);
  env_close(&env);
}
END_TEST

/* ---------------------------------------------------------------- accounting */

typedef struct count_probe {
  uint64_t get404;
  uint64_t total;
} count_probe;

static void on_count(void *ud, const char *method, const char *type, int status, uint64_t n) {
  count_probe *p = ud;
  p->total += n;
  if (strcmp(method, "GET") == 0 && strcasecmp(type, "Microsoft.Resources/resourceGroups") == 0 && status == 404)
    p->get404 += n;
}

START_TEST(accounting_and_limiter) {
  capz_az_credential *cred = sp_cred("sp-secret-1", NULL, NULL);
  capz_arm_limits lim = {.read = {10, 2}, .write = {10, 2}, .del = {10, 2}};
  double frozen = 0; /* a clock that does not move makes the reserved waits exact: 0.1 + 0.2 + 0.3 + 0.4 */
  capz_arm_limiter *l = capz_arm_limiter_new(&lim, fake_clock, &frozen);
  capz_metrics_registry *reg = capz_metrics_registry_new();
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = cred, .limiter = l, .metrics = reg};
  capz_arm_client *c = capz_arm_client_new(&cfg, NULL);
  ck_assert_ptr_nonnull(c);
  capz_arm_response r;
  capz_err err;
  double t0 = now_s();
  for (int i = 0; i < 6; i++) {
    ck_assert_int_eq(capz_arm_get(c, "/subscriptions/" SUB "/resourceGroups/none", NULL, &r, &err), CAPZ_ENOTFOUND);
    capz_arm_response_free(&r);
  }
  double el = now_s() - t0;
  capz_arm_stats st;
  capz_arm_client_get_stats(c, &st);
  /* burst 2 then 10/s: the 4 requests beyond the burst queue behind each other */
  ck_assert_double_eq_tol(st.limiter_wait_s, 1.0, 1e-6);
  ck_assert_msg(el >= 0.99, "the client did not sleep its limiter waits (%.3f s)", el);
  ck_assert_uint_eq(st.reads, 6);
  count_probe p = {0};
  capz_arm_client_foreach_count(c, on_count, &p);
  ck_assert_uint_eq(p.get404, 6);
  ck_assert_uint_eq(p.total, st.requests);
  /* the same counts through the Prometheus registry */
  char *text = capz_metrics_render(reg, NULL);
  ck_assert_ptr_nonnull(text);
  ck_assert_msg(strstr(text, "capz_azure_arm_requests_total{method=\"GET\",resource_type=\"Microsoft.Resources/"
                             "resourceGroups\",code=\"404\"} 6\n") != NULL, "%s", text);
  ck_assert_ptr_nonnull(strstr(text, "capz_azure_arm_limiter_wait_seconds_total{class=\"read\"} 1\n"));
  free(text);
  capz_arm_client_free(c);
  capz_metrics_registry_free(reg);
  capz_arm_limiter_free(l);
  capz_az_credential_free(cred);
}
END_TEST

/* ---------------------------------------------------------------- ensure */

static int ensure_until_settled(capz_arm_ensurer *e, capz_arm_client *c, const capz_arm_ensure_spec *s,
                                capz_arm_ensure_result *res, capz_err *err) {
  for (int i = 0; i < 60; i++) {
    capz_arm_ensure_result_free(res);
    int rc = capz_arm_ensure(e, c, s, res, err);
    if (rc || res->outcome != CAPZ_ENSURE_IN_PROGRESS) return rc;
    ck_assert(res->requeue_after_s >= 0 && res->requeue_after_s <= 2);
    usleep((useconds_t)(res->requeue_after_s * 1e6) + 1000);
  }
  return CAPZ_ETIMEOUT;
}

START_TEST(ensure_zero_writes_in_steady_state) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  double fake = 1000;
  capz_arm_ensure_config ec = {.drift_interval_s = 600, .drift_jitter = -1, .clock = fake_clock, .clock_ud = &fake};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  cJSON *desired = cJSON_Parse("{\"location\":\"EastUS\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":"
                               "[\"10.3.0.0/16\"]}}}");
  cJSON *tags = cJSON_Parse("{\"env\":\"test\"}");
  static const char *const owned[] = {"/location", "/properties/addressSpace", NULL};
  capz_arm_ensure_spec s = {.id = VNET_ID, .desired = desired, .owned = owned, .tags = tags, .cluster_name = "c1"};
  capz_arm_ensure_result res = {0};
  capz_err err;
  int rc = ensure_until_settled(e, c, &s, &res, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_CREATED);
  ck_assert(capz_arm_is_owned(res.live, "c1"));
  int puts = count_requests(&env.in, "PUT", "/virtualNetworks/vnet1");
  int gets = count_requests(&env.in, "GET", "/virtualNetworks/vnet1");
  ck_assert_int_eq(puts, 1);

  /* steady state: no request at all */
  for (int i = 0; i < 5; i++) {
    capz_arm_ensure_result_free(&res);
    ck_assert_int_eq(capz_arm_ensure(e, c, &s, &res, &err), 0);
    ck_assert_int_eq(res.outcome, CAPZ_ENSURE_UNCHANGED);
    ck_assert_int_eq(res.arm_requests, 0);
    fake += 60;
  }
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/virtualNetworks/vnet1"), puts);
  ck_assert_int_eq(count_requests(&env.in, "GET", "/virtualNetworks/vnet1"), gets);

  /* drift interval elapsed: exactly one GET, still no PUT (the service's casing of "eastus" is not a diff) */
  fake += 600;
  capz_arm_ensure_result_free(&res);
  ck_assert_int_eq(capz_arm_ensure(e, c, &s, &res, &err), 0);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_UNCHANGED);
  ck_assert_int_eq(res.arm_requests, 1);
  ck_assert_int_eq(count_requests(&env.in, "GET", "/virtualNetworks/vnet1"), gets + 1);
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/virtualNetworks/vnet1"), puts);

  /* a changed owned field: one PUT */
  cJSON_Delete(desired);
  desired = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":"
                        "[\"10.4.0.0/16\"]}}}");
  s.desired = desired;
  rc = ensure_until_settled(e, c, &s, &res, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_UPDATED);
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/virtualNetworks/vnet1"), puts + 1);

  /* a resource without our ownership tag is never written */
  capz_arm_response r;
  cJSON *foreign = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":"
                               "[\"10.9.0.0/16\"]}}}");
  ck_assert_int_eq(capz_arm_put(c, RG_ID "/providers/Microsoft.Network/virtualNetworks/byo", foreign, NULL, 30, NULL,
                                &err), 0);
  capz_arm_ensure_spec s2 = {.id = RG_ID "/providers/Microsoft.Network/virtualNetworks/byo", .desired = desired,
                             .owned = owned, .cluster_name = "c1"};
  capz_arm_ensure_result_free(&res);
  ck_assert_int_eq(capz_arm_ensure(e, c, &s2, &res, &err), 0);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_NOT_OWNED);
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/virtualNetworks/byo"), 1);
  capz_arm_ensure_result_free(&res);
  ck_assert_int_eq(capz_arm_ensure_delete(e, c, s2.id, "c1", NULL, &res, &err), 0);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_NOT_OWNED);
  ck_assert_int_eq(count_requests(&env.in, "DELETE", "/virtualNetworks/byo"), 0);

  /* delete ours: LRO until DELETED, then the resource is gone */
  for (int i = 0; i < 60; i++) {
    capz_arm_ensure_result_free(&res);
    rc = capz_arm_ensure_delete(e, c, VNET_ID, "c1", NULL, &res, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    if (res.outcome != CAPZ_ENSURE_IN_PROGRESS) break;
    usleep((useconds_t)(res.requeue_after_s * 1e6) + 1000);
  }
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_DELETED);
  ck_assert_int_eq(capz_arm_get(c, VNET_ID, NULL, &r, &err), CAPZ_ENOTFOUND);
  capz_arm_response_free(&r);
  ck_assert_int_eq(count_requests(&env.in, "DELETE", "/virtualNetworks/vnet1"), 1);

  capz_arm_ensure_result_free(&res);
  cJSON_Delete(foreign);
  cJSON_Delete(desired);
  cJSON_Delete(tags);
  capz_arm_ensurer_free(e);
  env_close(&env);
}
END_TEST

START_TEST(ensure_resumes_put_after_restart) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  capz_arm_ensurer *e = capz_arm_ensurer_new(NULL);
  cJSON *desired = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":"
                               "[\"10.5.0.0/16\"]}}}");
  capz_arm_ensure_spec s = {.id = VNET_ID, .desired = desired, .cluster_name = "c1"};
  capz_arm_ensure_result res = {0};
  capz_err err;
  ck_assert_int_eq(capz_arm_ensure(e, c, &s, &res, &err), 0);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_IN_PROGRESS);
  ck_assert_ptr_nonnull(res.resume_token);
  char *token = strdup(res.resume_token);
  capz_arm_ensure_result_free(&res);
  capz_arm_ensurer_free(e); /* restart: memory gone */
  e = capz_arm_ensurer_new(NULL);
  s.resume_token = token;
  int rc = ensure_until_settled(e, c, &s, &res, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_CREATED);
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/virtualNetworks/vnet1"), 1);
  /* the caller forgot to clear the token from status: the steady state still costs nothing */
  capz_arm_ensure_result_free(&res);
  ck_assert_int_eq(capz_arm_ensure(e, c, &s, &res, &err), 0);
  ck_assert_int_eq(res.outcome, CAPZ_ENSURE_UNCHANGED);
  ck_assert_int_eq(res.arm_requests, 0);
  capz_arm_ensure_result_free(&res);
  free(token);
  cJSON_Delete(desired);
  capz_arm_ensurer_free(e);
  env_close(&env);
}
END_TEST

typedef struct par_arg {
  capz_arm_ensurer *e;
  capz_arm_client *c;
  int idx;
  int failures;
} par_arg;

static void *par_worker(void *p) {
  par_arg *a = p;
  cJSON *desired = cJSON_Parse("{\"location\":\"eastus\",\"properties\":{\"disableBgpRoutePropagation\":true}}");
  for (int k = 0; k < 3; k++) {
    char id[256];
    snprintf(id, sizeof id, RG_ID "/providers/Microsoft.Network/routeTables/rt-%d-%d", a->idx, k);
    capz_arm_ensure_spec s = {.id = id, .desired = desired, .cluster_name = "c1"};
    capz_arm_ensure_result res;
    capz_err err;
    if (capz_arm_ensure(a->e, a->c, &s, &res, &err) != 0 || res.outcome != CAPZ_ENSURE_CREATED) a->failures++;
    capz_arm_ensure_result_free(&res);
  }
  cJSON_Delete(desired);
  return NULL;
}

/* Many workers share one client, one limiter and one ensurer (blocking mode). */
START_TEST(ensure_concurrent_workers) {
  arm_env env = env_open(true);
  capz_arm_client *c = env.c;
  capz_arm_ensure_config ec = {.blocking = true, .lro_timeout_s = 30, .capacity = 16};
  capz_arm_ensurer *e = capz_arm_ensurer_new(&ec);
  pthread_t th[6];
  par_arg args[6];
  for (int i = 0; i < 6; i++) {
    args[i] = (par_arg){.e = e, .c = c, .idx = i};
    pthread_create(&th[i], NULL, par_worker, &args[i]);
  }
  for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 6; i++) ck_assert_int_eq(args[i].failures, 0);
  ck_assert_int_eq(count_requests(&env.in, "PUT", "/routeTables/rt-"), 18);
  ck_assert_uint_eq(capz_arm_ensurer_size(e), 16); /* bounded: 18 resources, capacity 16 */
  capz_arm_ensurer_free(e);
  env_close(&env);
}
END_TEST

static Suite *sim_suite(void) {
  Suite *s = suite_create("azure_sim");
  TCase *tc = tcase_create("sim");
  tcase_add_unchecked_fixture(tc, global_setup, global_teardown);
  tcase_add_checked_fixture(tc, sim_setup, sim_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, identity_service_principal);
  tcase_add_test(tc, identity_certificate);
  tcase_add_test(tc, identity_workload);
  tcase_add_test(tc, identity_user_assigned_msi);
  tcase_add_test(tc, identity_user_assigned_credential);
  tcase_add_test(tc, lro_patterns);
  tcase_add_test(tc, lro_put_202_location);
  tcase_add_test(tc, lro_post_actions);
  tcase_add_test(tc, lro_resume_after_restart);
  tcase_add_test(tc, lro_reads_with_the_writes_api_version);
  tcase_add_test(tc, throttled_429_honours_retry_after);
  tcase_add_test(tc, server_errors_resets_and_401);
  tcase_add_test(tc, accounting_and_limiter);
  tcase_add_test(tc, ensure_zero_writes_in_steady_state);
  tcase_add_test(tc, ensure_resumes_put_after_restart);
  tcase_add_test(tc, ensure_concurrent_workers);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(sim_suite()); }
