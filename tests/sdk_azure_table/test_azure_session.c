/* test_azure_session.c — capz/azure_session.h against capz-kube-sim + capz-arm-sim: the AzureClusterIdentity and
 * its Secret become one cached ARM client (a second call reuses it without a new token request), a rotated Secret
 * gives a new credential, allowedNamespaces refuses before anything is built, and the configured default
 * identity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capz/azure_session.h"
#include "capz/controller.h"
#include "capz/json.h"
#include "tenv.h"

static const capz_gvk GVK_SECRET = {"", "v1", "Secret", "secrets", true};
static const capz_gvk GVK_IDENTITY = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureClusterIdentity",
                                      "azureclusteridentities", true};
static const capz_gvk GVK_ANY = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureCluster", "azureclusters", true};

static capz_ctx *new_ctx(void) {
  capz_ctx_params p = {.struct_size = sizeof p, .controller = "test", .gvk = &GVK_ANY, .client = g_kc};
  snprintf(p.key.ns, sizeof p.key.ns, "default");
  snprintf(p.key.name, sizeof p.key.name, "c1");
  capz_ctx *ctx = NULL;
  capz_err err;
  ck_assert_msg(capz_ctx_new(&p, &ctx, &err) == 0, "%s", err.msg);
  return ctx;
}

/* base64 of a short ASCII string */
static void b64(const char *in, char *out) {
  static const char *A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)(unsigned char)in[i] << 16;
    if (i + 1 < n) v |= (unsigned)(unsigned char)in[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned)(unsigned char)in[i + 2];
    out[o++] = A[(v >> 18) & 63];
    out[o++] = A[(v >> 12) & 63];
    out[o++] = i + 1 < n ? A[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? A[v & 63] : '=';
  }
  out[o] = '\0';
}

static void put_secret(const char *value, bool update) {
  char enc[128], js[512];
  b64(value, enc);
  snprintf(js, sizeof js,
           "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"sp\",\"namespace\":\"default\"},"
           "\"data\":{\"clientSecret\":\"%s\"}}",
           enc);
  cJSON *o = cJSON_Parse(js);
  capz_err e;
  if (update) {
    cJSON *cur = NULL;
    ck_assert_int_eq(capz_kube_get(g_kc, &GVK_SECRET, "default", "sp", &cur, &e), 0);
    capz_json_ptr_set_str(o, "/metadata/resourceVersion", capz_json_ptr_str(cur, "/metadata/resourceVersion", ""),
                          NULL);
    cJSON_Delete(cur);
    ck_assert_msg(capz_kube_update(g_kc, &GVK_SECRET, o, NULL, &e) == 0, "%s", e.msg);
  } else {
    ck_assert_msg(capz_kube_create(g_kc, &GVK_SECRET, "default", o, NULL, &e) == 0, "%s", e.msg);
  }
  cJSON_Delete(o);
}

static void put_identity(const char *name, const char *allowed_json) {
  char js[1024];
  snprintf(js, sizeof js,
           "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
           "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},\"spec\":{\"type\":\"ServicePrincipal\","
           "\"tenantID\":\"" T_TENANT "\",\"clientID\":\"" T_CLIENT "\",\"clientSecret\":{\"name\":\"sp\","
           "\"namespace\":\"default\"},\"allowedNamespaces\":%s}}",
           name, allowed_json);
  cJSON *o = cJSON_Parse(js);
  ck_assert_ptr_nonnull(o);
  capz_err e;
  ck_assert_msg(capz_kube_create(g_kc, &GVK_IDENTITY, "default", o, NULL, &e) == 0, "%s", e.msg);
  cJSON_Delete(o);
}

static capz_az_sessions *new_sessions(const char *def_client, const char *def_file) {
  capz_az_session_config c = {.cloud = &g_cloud, .user_agent = "capz-c/test", .poll_default_s = 0.1,
                              .default_tenant_id = T_TENANT, .default_client_id = def_client,
                              .default_secret_file = def_file};
  capz_err e;
  capz_az_sessions *s = capz_az_sessions_new(&c, &e);
  ck_assert_msg(s != NULL, "%s", e.msg);
  return s;
}

/* A GET through the client: the token is fetched (or served from the cache) and accepted. */
static void use(capz_arm_client *c) {
  capz_arm_response r;
  capz_err e;
  int rc = capz_arm_get(c, "/subscriptions/" T_SUB "/resourceGroups/nope", NULL, &r, &e);
  ck_assert_msg(rc == CAPZ_ENOTFOUND, "expected 404, got %d: %s", rc, e.msg);
  capz_arm_response_free(&r);
}

static uint64_t token_fetches(void) {
  capz_az_token_cache_stats st;
  capz_az_token_cache_get_stats(capz_az_token_cache_default(), &st);
  return st.fetches;
}

START_TEST(session_reused_then_rotated) {
  put_secret(T_SECRET1, false);
  put_identity("id1", "{}");
  capz_ctx *ctx = new_ctx();
  capz_az_sessions *s = new_sessions(NULL, NULL);
  capz_arm_client *a1 = NULL, *a2 = NULL, *a3 = NULL;
  capz_err e;
  uint64_t f0 = token_fetches();
  ck_assert_msg(capz_az_session_for_identity(s, ctx, NULL, "id1", "default", &a1, &e) == 0, "%s", e.msg);
  use(a1);
  uint64_t f1 = token_fetches();
  ck_assert_uint_eq(f1, f0 + 1);
  /* same identity, same Secret: the same client, no new token request */
  ck_assert_msg(capz_az_session_for_identity(s, ctx, "default", "id1", "default", &a2, &e) == 0, "%s", e.msg);
  ck_assert_ptr_eq(a1, a2);
  use(a2);
  ck_assert_uint_eq(token_fetches(), f1);
  ck_assert_uint_eq(capz_az_sessions_count(s), 1);
  /* rotated Secret: a new credential and client, which fetches its own token */
  put_secret(T_SECRET2, true);
  ck_assert_msg(capz_az_session_for_identity(s, ctx, NULL, "id1", "default", &a3, &e) == 0, "%s", e.msg);
  ck_assert_ptr_ne(a3, a1);
  ck_assert_uint_eq(capz_az_sessions_count(s), 2);
  use(a3);
  ck_assert_uint_eq(token_fetches(), f1 + 1);
  use(a1); /* the old client stays valid for reconciles still holding it */
  capz_az_sessions_free(s);
  capz_ctx_free(ctx);
}
END_TEST

START_TEST(session_refuses_namespace_and_bad_refs) {
  put_secret(T_SECRET1, false);
  put_identity("narrow", "{\"list\":[\"other\"]}");
  capz_ctx *ctx = new_ctx();
  capz_az_sessions *s = new_sessions(NULL, NULL);
  capz_arm_client *a = (capz_arm_client *)1;
  capz_err e;
  ck_assert_int_eq(capz_az_session_for_identity(s, ctx, NULL, "narrow", "default", &a, &e), CAPZ_EFORBIDDEN);
  ck_assert_str_eq(e.reason, "NamespaceNotAllowedByIdentity");
  ck_assert_ptr_null(a);
  ck_assert_int_eq(capz_az_session_for_identity(s, ctx, NULL, "missing", "default", &a, &e), CAPZ_ENOTFOUND);
  ck_assert_int_eq(capz_az_session_for_identity(s, ctx, NULL, "", "default", &a, &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_az_session_default(s, &a, &e), CAPZ_EINVAL); /* no default configured */
  ck_assert_uint_eq(capz_az_sessions_count(s), 0);
  capz_az_sessions_free(s);
  capz_ctx_free(ctx);
}
END_TEST

START_TEST(session_default_identity_from_file) {
  char path[] = "/tmp/capz-sdktable-secret-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, T_SECRET1 "\n", strlen(T_SECRET1) + 1), (ssize_t)strlen(T_SECRET1) + 1);
  close(fd);
  capz_az_sessions *s = new_sessions(T_CLIENT, path);
  capz_arm_client *a1 = NULL, *a2 = NULL;
  capz_err e;
  ck_assert_msg(capz_az_session_default(s, &a1, &e) == 0, "%s", e.msg);
  use(a1);
  ck_assert_int_eq(capz_az_session_default(s, &a2, &e), 0);
  ck_assert_ptr_eq(a1, a2);
  unlink(path);
  ck_assert_int_eq(capz_az_session_default(s, &a2, &e), CAPZ_ENOTFOUND);
  capz_az_sessions_free(s);
}
END_TEST

Suite *session_suite(void) {
  Suite *s = suite_create("azure_session");
  TCase *tc = tcase_create("session");
  tcase_add_checked_fixture(tc, kube_env_start, kube_env_stop);
  tcase_set_timeout(tc, 40);
  tcase_add_test(tc, session_reused_then_rotated);
  tcase_add_test(tc, session_refuses_namespace_and_bad_refs);
  tcase_add_test(tc, session_default_identity_from_file);
  suite_add_tcase(s, tc);
  return s;
}
