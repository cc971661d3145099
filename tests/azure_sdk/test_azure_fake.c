/* test_azure_fake.c — behaviours capz-arm-sim does not produce, against a tiny scripted HTTP server
 * (libmicrohttpd): nextLink paging, a foreign nextLink refused, body-polled LRO (201 without headers),
 * Retry-After on an LRO poll, token endpoint 5xx retried. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/azure.h"
#include "capz/sdk.h"
#include "ckrun.h"

static struct MHD_Daemon *g_d;
static char g_base[64];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_token_calls, g_body_polls, g_token_fail;

typedef struct reqbuf {
  size_t n;
} reqbuf;

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *body, const char *hdr,
                             const char *val) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", "application/json");
  if (hdr) MHD_add_response_header(r, hdr, val);
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **ptr) {
  (void)cls;
  (void)version;
  (void)upload;
  if (!*ptr) { /* first call: headers only */
    *ptr = (void *)1;
    return MHD_YES;
  }
  if (*upload_size) { /* discard request bodies */
    *upload_size = 0;
    return MHD_YES;
  }
  char buf[512];
  if (strstr(url, "/oauth2/v2.0/token")) {
    pthread_mutex_lock(&g_mu);
    int n = ++g_token_calls, fail = g_token_fail > 0 ? g_token_fail-- : 0;
    pthread_mutex_unlock(&g_mu);
    if (fail) return reply(conn, 503, "{\"error\":\"temporarily_unavailable\"}", NULL, NULL);
    snprintf(buf, sizeof buf, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"tok-%d\"}", n);
    return reply(conn, 200, buf, NULL, NULL);
  }
  if (strcmp(url, "/subscriptions/s/resourceGroups") == 0) {
    snprintf(buf, sizeof buf, "{\"value\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"nextLink\":\"%s/page2?$skiptoken=x\"}",
             g_base);
    return reply(conn, 200, buf, NULL, NULL);
  }
  if (strcmp(url, "/page2") == 0) return reply(conn, 200, "{\"value\":[{\"name\":\"c\"}]}", NULL, NULL);
  if (strcmp(url, "/subscriptions/s/providers/X.Y/things") == 0)
    return reply(conn, 200, "{\"value\":[],\"nextLink\":\"https://evil.example/steal\"}", NULL, NULL);
  if (strstr(url, "/providers/X.Y/slow/r1")) {
    if (strcmp(method, "PUT") == 0) return reply(conn, 201, "{\"properties\":{\"provisioningState\":\"Creating\"}}",
                                                 NULL, NULL);
    pthread_mutex_lock(&g_mu);
    int n = ++g_body_polls;
    pthread_mutex_unlock(&g_mu);
    if (n < 3)
      return reply(conn, 200, "{\"properties\":{\"provisioningState\":\"Creating\"}}", "Retry-After", "1");
    return reply(conn, 200, "{\"name\":\"r1\",\"properties\":{\"provisioningState\":\"Succeeded\"}}", NULL, NULL);
  }
  if (strstr(url, "/providers/X.Y/long/r2")) {
    if (strcmp(method, "PUT") == 0) {
      /* polling URLs beyond 4 KB must work (reference §1.2) */
      static char aao[6000];
      int n = snprintf(aao, sizeof aao, "%s/op-status?pad=", g_base);
      memset(aao + n, 'a', 5000);
      aao[n + 5000] = '\0';
      return reply(conn, 201, "{\"properties\":{\"provisioningState\":\"Updating\"}}", "Azure-AsyncOperation", aao);
    }
    return reply(conn, 200, "{\"name\":\"r2\",\"properties\":{\"provisioningState\":\"Succeeded\"}}", NULL, NULL);
  }
  if (strcmp(url, "/op-status") == 0) {
    const char *pad = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "pad");
    if (!pad || strlen(pad) != 5000) return reply(conn, 400, "{\"error\":{\"code\":\"Truncated\"}}", NULL, NULL);
    return reply(conn, 200, "{\"status\":\"Succeeded\"}", NULL, NULL);
  }
  return reply(conn, 404, "{\"error\":{\"code\":\"NotFound\",\"message\":\"no\"}}", NULL, NULL);
}

static capz_az_cloud g_cloud;

static void setup(void) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* port 0: the kernel picks one */
  g_d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
  ck_assert_ptr_nonnull(g_d);
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(g_d, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%u", (unsigned)info->port);
  char js[512];
  snprintf(js, sizeof js, "{\"name\":\"fake\",\"armEndpoint\":\"%s\",\"authorityHost\":\"%s\"}", g_base, g_base);
  cJSON *j = cJSON_Parse(js);
  ck_assert_int_eq(capz_az_cloud_from_json(j, &g_cloud, NULL), 0);
  cJSON_Delete(j);
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
}

static void teardown(void) {
  capz_sdk_global_cleanup();
  MHD_stop_daemon(g_d);
}

static capz_az_credential *cred_new(capz_az_token_cache *cache) {
  capz_az_identity id = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = "t", .client_id = "c",
                         .secret = (const unsigned char *)"x", .secret_len = 1};
  capz_az_credential *c = capz_az_credential_new(&g_cloud, &id, cache, NULL);
  ck_assert_ptr_nonnull(c);
  return c;
}

START_TEST(paging_and_foreign_next_link) {
  capz_az_token_cache *cache = capz_az_token_cache_new(4, NULL, NULL);
  capz_az_credential *cred = cred_new(cache);
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = cred};
  capz_err err;
  capz_arm_client *c = capz_arm_client_new(&cfg, &err);
  cJSON *items = NULL;
  ck_assert_int_eq(capz_arm_list(c, "/subscriptions/s/resourceGroups", NULL, 0, &items, &err), 0);
  ck_assert_int_eq(cJSON_GetArraySize(items), 3);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 2), "name")), "c");
  cJSON_Delete(items);
  /* a nextLink on another host would carry our bearer token away: refused */
  ck_assert_int_eq(capz_arm_list(c, "/subscriptions/s/providers/X.Y/things", NULL, 0, &items, &err), CAPZ_EPROTO);
  ck_assert_str_eq(err.reason, "ForeignURL");
  ck_assert_ptr_null(items);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
  capz_az_token_cache_free(cache);
}
END_TEST

START_TEST(body_polled_lro_and_token_retry) {
  g_token_fail = 1; /* the token endpoint's first answer is a 503: retried inside the credential */
  capz_az_token_cache *cache = capz_az_token_cache_new(4, NULL, NULL);
  capz_az_credential *cred = cred_new(cache);
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = cred, .poll_default_s = 0.1};
  capz_err err;
  capz_arm_client *c = capz_arm_client_new(&cfg, &err);
  cJSON *b = cJSON_Parse("{\"location\":\"x\"}");
  capz_arm_op *op = NULL;
  int rc = capz_arm_begin(c, "PUT", "/subscriptions/s/resourceGroups/rg/providers/X.Y/slow/r1", b, NULL,
                          CAPZ_ARM_FINAL_DEFAULT, &op, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(g_token_calls, 2);
  ck_assert_int_eq(capz_arm_op_get_state(op), CAPZ_ARM_OP_IN_PROGRESS);
  ck_assert(capz_arm_op_next_poll_in(op) <= 0.1 + 1e-6); /* no Retry-After on the PUT: default delay */
  ck_assert_int_eq(capz_arm_op_poll(c, op, &err), CAPZ_EINPROGRESS);
  ck_assert(capz_arm_op_next_poll_in(op) > 0.8); /* the poll's Retry-After: 1 */
  rc = capz_arm_op_wait(c, op, 10, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_int_eq(capz_arm_op_polls(op), 3);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(capz_arm_op_result(op), "name")), "r1");
  capz_arm_stats st;
  capz_arm_client_get_stats(c, &st);
  ck_assert_uint_eq(st.writes, 1);
  ck_assert_uint_eq(st.lro_polls, 3);
  ck_assert_uint_eq(st.reads, 3); /* the last body poll is the result: no extra final GET */
  capz_arm_op_free(op);
  cJSON_Delete(b);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
  capz_az_token_cache_free(cache);
}
END_TEST

START_TEST(long_polling_url) {
  capz_az_token_cache *cache = capz_az_token_cache_new(4, NULL, NULL);
  capz_az_credential *cred = cred_new(cache);
  capz_arm_client_config cfg = {.cloud = &g_cloud, .credential = cred, .poll_default_s = 0.05};
  capz_err err;
  capz_arm_client *c = capz_arm_client_new(&cfg, &err);
  cJSON *b = cJSON_Parse("{\"location\":\"x\"}"), *res = NULL;
  int rc = capz_arm_put(c, "/subscriptions/s/resourceGroups/rg/providers/X.Y/long/r2", b, NULL, 10, &res, &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(res, "name")), "r2");
  cJSON_Delete(res);
  cJSON_Delete(b);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
  capz_az_token_cache_free(cache);
}
END_TEST

int main(void) {
  Suite *s = suite_create("azure_fake");
  TCase *tc = tcase_create("fake");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, paging_and_foreign_next_link);
  tcase_add_test(tc, body_polled_lro_and_token_retry);
  tcase_add_test(tc, long_polling_url);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
