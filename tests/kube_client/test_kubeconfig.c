/* test_kubeconfig.c — kubeconfig parsing (contexts, token, token file, cert/key data, CA, exec plugin with
 * caching until expiry), in-cluster config, Status error decoding and retries, against a libmicrohttpd server
 * that echoes what it received. */
#include <check.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capz/kube.h"
#include "capz/sdk.h"
#include "ckrun.h"
#include "tmpfiles.h"

static struct MHD_Daemon *g_d;
static char g_url[128];
static char g_dir[256];
static atomic_int g_hits;
static atomic_int g_fail_429; /* answer 429 this many times */

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *up, size_t *up_size, void **con_cls) {
  (void)cls, (void)version, (void)up;
  if (!*con_cls) {
    *con_cls = (void *)1;
    return MHD_YES;
  }
  if (*up_size) {
    *up_size = 0;
    return MHD_YES;
  }
  atomic_fetch_add(&g_hits, 1);
  char body[1024];
  unsigned code = 200;
  struct MHD_Response *r;
  if (strcmp(url, "/api/v1/namespaces/default/configmaps/missing") == 0) {
    snprintf(body, sizeof body,
             "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"configmaps \\\"missing\\\" "
             "not found\",\"reason\":\"NotFound\",\"code\":404}");
    code = 404;
  } else if (strcmp(url, "/api/v1/namespaces/default/configmaps/busy") == 0 && atomic_load(&g_fail_429) > 0) {
    atomic_fetch_sub(&g_fail_429, 1);
    snprintf(body, sizeof body, "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"code\":429}");
    code = 429;
  } else if (strcmp(url, "/api/v1/namespaces/default/configmaps/exists") == 0 && strcmp(method, "POST") == 0) {
    snprintf(body, sizeof body, "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409,\"message\":\"x\"}");
    code = 409;
  } else {
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    snprintf(body, sizeof body, "{\"method\":\"%s\",\"url\":\"%s\",\"auth\":\"%s\"}", method, url, auth ? auth : "");
  }
  r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
  if (code == 429) MHD_add_response_header(r, "Retry-After", "0");
  MHD_add_response_header(r, "Content-Type", "application/json");
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static void setup(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  g_d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_END);
  ck_assert_ptr_nonnull(g_d);
  snprintf(g_url, sizeof g_url, "http://127.0.0.1:%u",
           (unsigned)MHD_get_daemon_info(g_d, MHD_DAEMON_INFO_BIND_PORT)->port);
  tmpfiles_dir_make(g_dir, sizeof g_dir);
  atomic_store(&g_hits, 0);
}

static void teardown(void) {
  MHD_stop_daemon(g_d);
  tmpfiles_dir_remove(g_dir);
  capz_sdk_global_cleanup();
}

static void base_setup(void) { tmpfiles_base_make("kc"); }

static void write_file(const char *name, const char *text, int mode) {
  char p[400];
  snprintf(p, sizeof p, "%s/%s", g_dir, name);
  tmpfiles_write_text(p, text);
  ck_assert_int_eq(chmod(p, (mode_t)mode), 0);
}

static char *auth_seen(capz_kube_config *cfg) {
  capz_kube_client *c;
  ck_assert_int_eq(capz_kube_client_new(cfg, NULL, &c, NULL), 0);
  cJSON *out = NULL;
  capz_err e;
  int rc = capz_kube_request(c, "GET", "/api/v1/namespaces/default/configmaps/x", NULL, NULL, &out, &e);
  ck_assert_msg(rc == 0, "%s", e.msg);
  char *a = strdup(cJSON_GetObjectItem(out, "auth")->valuestring);
  cJSON_Delete(out);
  capz_kube_client_free(c);
  return a;
}

static const char *KC_FMT =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: dev\n"
    "clusters:\n"
    "- name: local\n"
    "  cluster:\n"
    "    server: %s/\n"
    "- name: other\n"
    "  cluster:\n"
    "    server: https://other.example:6443\n"
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
    "contexts:\n"
    "- name: dev\n"
    "  context: {cluster: local, user: tok, namespace: team-a}\n"
    "- name: file\n"
    "  context: {cluster: local, user: tokfile}\n"
    "- name: exec\n"
    "  context: {cluster: local, user: plugin}\n"
    "- name: prod\n"
    "  context: {cluster: other, user: tok}\n"
    "users:\n"
    "- name: tok\n"
    "  user:\n"
    "    token: s3cr3t-token\n"
    "- name: tokfile\n"
    "  user:\n"
    "    tokenFile: token.txt\n"
    "- name: plugin\n"
    "  user:\n"
    "    exec:\n"
    "      apiVersion: client.authentication.k8s.io/v1\n"
    "      command: ./cred.sh\n"
    "      args: [\"--flag\"]\n"
    "      env:\n"
    "      - {name: CRED_PREFIX, value: ex}\n";

static void write_kubeconfig(void) {
  char text[4096];
  snprintf(text, sizeof text, KC_FMT, g_url);
  write_file("config", text, 0600);
}

static const char *kc_path(void) {
  static char p[400];
  snprintf(p, sizeof p, "%s/config", g_dir);
  return p;
}

START_TEST(current_context_token) {
  write_kubeconfig();
  capz_kube_config *cfg;
  capz_err e;
  ck_assert_msg(capz_kube_config_load(kc_path(), NULL, &cfg, &e) == 0, "%s", e.msg);
  ck_assert_str_eq(capz_kube_config_server(cfg), g_url); /* trailing slash dropped */
  ck_assert_str_eq(capz_kube_config_namespace(cfg), "team-a");
  char *a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer s3cr3t-token");
  free(a);
  capz_kube_config_free(cfg);
}
END_TEST

START_TEST(named_context_and_errors) {
  write_kubeconfig();
  capz_kube_config *cfg;
  capz_err e;
  ck_assert_int_eq(capz_kube_config_load(kc_path(), "prod", &cfg, &e), 0);
  ck_assert_str_eq(capz_kube_config_server(cfg), "https://other.example:6443");
  ck_assert_str_eq(capz_kube_config_namespace(cfg), "default");
  capz_kube_config_free(cfg);
  ck_assert_int_eq(capz_kube_config_load(kc_path(), "nope", &cfg, &e), CAPZ_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(e.msg, "nope"));
  ck_assert_int_eq(capz_kube_config_parse("a: [", 4, NULL, &cfg, &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_kube_config_parse("clusters: []\n", 13, NULL, &cfg, &e), CAPZ_EINVAL);
  char missing[400];
  snprintf(missing, sizeof missing, "%s/absent", g_dir);
  ck_assert_int_ne(capz_kube_config_load(missing, NULL, &cfg, &e), 0);
}
END_TEST

START_TEST(token_file_rotation) {
  write_kubeconfig();
  write_file("token.txt", "first\n", 0600);
  capz_kube_config *cfg;
  ck_assert_int_eq(capz_kube_config_load(kc_path(), "file", &cfg, NULL), 0);
  char *a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer first");
  free(a);
  usleep(20000);
  write_file("token.txt", "second", 0600); /* rotated by the kubelet */
  a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer second");
  free(a);
  capz_kube_config_free(cfg);
}
END_TEST

START_TEST(exec_plugin_cached_until_expiry) {
  write_kubeconfig();
  /* Each run appends to runs.txt; the token carries the run count. Expiry comes from $EXPIRY. */
  write_file("cred.sh",
             "#!/bin/sh\n"
             "[ \"$1\" = \"--flag\" ] || exit 3\n"
             "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 4;; esac\n"
             "echo x >> \"$(dirname \"$0\")/runs.txt\"\n"
             "n=$(wc -l < \"$(dirname \"$0\")/runs.txt\")\n"
             "exp=$(cat \"$(dirname \"$0\")/expiry.txt\")\n"
             "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
             "\"status\":{\"token\":\"%s-%s\",\"expirationTimestamp\":\"%s\"}}' \"$CRED_PREFIX\" \"$n\" \"$exp\"\n",
             0700);
  write_file("expiry.txt", "2099-01-01T00:00:00Z", 0600);
  capz_kube_config *cfg;
  ck_assert_int_eq(capz_kube_config_load(kc_path(), "exec", &cfg, NULL), 0);
  char *a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer ex-1");
  free(a);
  a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer ex-1"); /* cached */
  free(a);
  capz_kube_config_free(cfg);

  /* an already-expired credential is fetched again on every use */
  write_file("expiry.txt", "2001-01-01T00:00:00Z", 0600);
  ck_assert_int_eq(capz_kube_config_load(kc_path(), "exec", &cfg, NULL), 0);
  a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer ex-2");
  free(a);
  a = auth_seen(cfg);
  ck_assert_str_eq(a, "Bearer ex-3");
  free(a);
  capz_kube_config_free(cfg);
}
END_TEST

START_TEST(exec_plugin_failure_is_eauth) {
  write_kubeconfig();
  write_file("cred.sh", "#!/bin/sh\necho nope\nexit 1\n", 0700);
  capz_kube_config *cfg;
  ck_assert_int_eq(capz_kube_config_load(kc_path(), "exec", &cfg, NULL), 0);
  capz_kube_client *c;
  ck_assert_int_eq(capz_kube_client_new(cfg, NULL, &c, NULL), 0);
  capz_err e;
  ck_assert_int_eq(capz_kube_request(c, "GET", "/api", NULL, NULL, NULL, &e), CAPZ_EAUTH);
  ck_assert_int_eq(atomic_load(&g_hits), 0);
  capz_kube_client_free(c);
  capz_kube_config_free(cfg);
}
END_TEST

START_TEST(in_cluster) {
  write_file("token", "sa-token", 0600);
  write_file("namespace", "capz-system\n", 0600);
  const char *port = strrchr(g_url, ':') + 1;
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", port, 1);
  capz_kube_config *cfg;
  capz_err e;
  ck_assert_msg(capz_kube_config_in_cluster(g_dir, &cfg, &e) == 0, "%s", e.msg);
  char want[128];
  snprintf(want, sizeof want, "https://127.0.0.1:%s", port);
  ck_assert_str_eq(capz_kube_config_server(cfg), want);
  ck_assert_str_eq(capz_kube_config_namespace(cfg), "capz-system");
  capz_kube_config_free(cfg);
  unsetenv("KUBERNETES_SERVICE_HOST");
  ck_assert_int_eq(capz_kube_config_in_cluster(g_dir, &cfg, &e), CAPZ_ENOTFOUND);
}
END_TEST

START_TEST(status_errors_and_retries) {
  capz_kube_config *cfg;
  ck_assert_int_eq(capz_kube_config_from_url(g_url, &cfg, NULL), 0);
  capz_kube_client *c;
  ck_assert_int_eq(capz_kube_client_new(cfg, NULL, &c, NULL), 0);
  capz_gvk cm = {"", "v1", "ConfigMap", "configmaps", true};
  capz_err e;
  cJSON *out = NULL;
  ck_assert_int_eq(capz_kube_get(c, &cm, "default", "missing", &out, &e), CAPZ_ENOTFOUND);
  ck_assert_int_eq(e.http_status, 404);
  ck_assert_str_eq(e.reason, "NotFound");
  ck_assert_ptr_nonnull(strstr(e.msg, "not found"));

  atomic_store(&g_fail_429, 2);
  int before = atomic_load(&g_hits);
  ck_assert_int_eq(capz_kube_get(c, &cm, "default", "busy", &out, &e), 0);
  ck_assert_int_eq(atomic_load(&g_hits) - before, 3);
  cJSON_Delete(out);
  capz_kube_client_stats st;
  capz_kube_client_get_stats(c, &st);
  ck_assert_uint_eq(st.retries, 2);

  cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"exists\"}}");
  /* POST goes to the collection; our fake answers 409 only on the item path, so use a raw request */
  ck_assert_int_eq(capz_kube_request(c, "POST", "/api/v1/namespaces/default/configmaps/exists", NULL, obj, NULL, &e),
                   CAPZ_EEXIST);
  ck_assert_str_eq(e.reason, "AlreadyExists");

  /* fence: writes refused locally */
  capz_kube_client_set_fence(c, true);
  before = atomic_load(&g_hits);
  ck_assert_int_eq(capz_kube_create(c, &cm, "default", obj, NULL, &e), CAPZ_EFORBIDDEN);
  ck_assert_str_eq(e.reason, "NotLeader");
  ck_assert_int_eq(atomic_load(&g_hits), before);
  ck_assert_int_eq(capz_kube_request_unfenced(c, "PUT", "/api/v1/namespaces/default/configmaps/x", NULL, obj, NULL, &e),
                   0);
  cJSON_Delete(obj);
  capz_kube_client_free(c);
  capz_kube_config_free(cfg);
}
END_TEST

START_TEST(client_rate_limit) {
  capz_kube_config *cfg;
  ck_assert_int_eq(capz_kube_config_from_url(g_url, &cfg, NULL), 0);
  capz_kube_client *c;
  capz_kube_client_opts o = {.struct_size = sizeof o, .qps = 20, .burst = 2};
  ck_assert_int_eq(capz_kube_client_new(cfg, &o, &c, NULL), 0);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < 8; i++) ck_assert_int_eq(capz_kube_request(c, "GET", "/api", NULL, NULL, NULL, NULL), 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  ck_assert_double_ge(el, 0.25); /* 6 requests beyond the burst at 20 qps */
  capz_kube_client_stats st;
  capz_kube_client_get_stats(c, &st);
  ck_assert_uint_ge(st.throttled_waits, 5);
  capz_kube_client_free(c);
  capz_kube_config_free(cfg);
}
END_TEST

START_TEST(paths) {
  char p[256];
  capz_gvk cm = {"", "v1", "ConfigMap", "configmaps", true};
  capz_gvk ac = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureCluster", "azureclusters", true};
  capz_gvk ns = {"", "v1", "Namespace", "namespaces", false};
  capz_kube_path(&cm, "default", "x", NULL, p, sizeof p);
  ck_assert_str_eq(p, "/api/v1/namespaces/default/configmaps/x");
  capz_kube_path(&ac, "ns1", "c1", "status", p, sizeof p);
  ck_assert_str_eq(p, "/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/ns1/azureclusters/c1/status");
  capz_kube_path(&ac, NULL, NULL, NULL, p, sizeof p);
  ck_assert_str_eq(p, "/apis/infrastructure.cluster.x-k8s.io/v1beta1/azureclusters");
  capz_kube_path(&ns, "ignored", "kube-system", NULL, p, sizeof p);
  ck_assert_str_eq(p, "/api/v1/namespaces/kube-system");
  ck_assert_int_eq(capz_kube_path(&ac, "ns", "n", NULL, p, 10), -1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("kubeconfig");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_unchecked_fixture(tc, base_setup, tmpfiles_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, current_context_token);
  tcase_add_test(tc, named_context_and_errors);
  tcase_add_test(tc, token_file_rotation);
  tcase_add_test(tc, exec_plugin_cached_until_expiry);
  tcase_add_test(tc, exec_plugin_failure_is_eauth);
  tcase_add_test(tc, in_cluster);
  tcase_add_test(tc, status_errors_and_retries);
  tcase_add_test(tc, client_rate_limit);
  tcase_add_test(tc, paths);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
