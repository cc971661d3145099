/* test_config.c — host_config from YAML: every section, positioned errors for unknown and
 * mistyped keys, derived defaults, cross-field rules, CLI overrides, and fuzzed input. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "config.h"
#include "ckrun.h"

/* Load text; returns the problem count and the diagnostics (static buffer). */
static int load(host_config *cfg, const char *text, const char **diag_out) {
  static char *diag = NULL;
  size_t dlen = 0;
  free(diag);
  diag = NULL;
  FILE *d = open_memstream(&diag, &dlen);
  ck_assert_ptr_nonnull(d);
  host_config_init(cfg);
  int n = host_config_load_text(cfg, "t.yaml", text, strlen(text), d);
  fclose(d);
  if (diag_out) *diag_out = diag;
  return n;
}

static void expect_error(const char *text, const char *line) {
  host_config cfg;
  const char *diag;
  int n = load(&cfg, text, &diag);
  ck_assert_msg(n > 0, "no error for:\n%s", text);
  ck_assert_msg(strstr(diag, line) != NULL, "want \"%s\"\ngot: %s", line, diag);
  host_config_free(&cfg);
}

static const char *full =
    "# every key\n"
    "pluginDirs: [/opt/capz/plugins, ./plugins]\n"
    "plugins:\n"
    "  self-managed:\n"
    "    enabled: true\n"
    "    config:\n"
    "      subscriptionPolling: 30s\n"
    "      maxNodes: 12\n"
    "  aks:\n"
    "    enabled: false\n"
    "kubernetes:\n"
    "  server: http://127.0.0.1:6443\n"
    "  kubeconfig: /root/.kube/config\n"
    "  context: kind-mgmt\n"
    "  inCluster: false\n"
    "  qps: 50.5\n"
    "  burst: 100\n"
    "azure:\n"
    "  cloud: AzureChinaCloud\n"
    "  imdsEndpoint: http://127.0.0.1:9999\n"
    "  tokenAudience: https://management.azure.com/\n"
    "concurrency:\n"
    "  defaultWorkers: 4\n"
    "  kinds:\n"
    "    AzureCluster.infrastructure.cluster.x-k8s.io: 2\n"
    "    Secret: 1\n"
    "metricsBindAddress: \"0\"\n"
    "healthProbeBindAddress: 127.0.0.1:9440\n"
    "leaderElection:\n"
    "  enabled: true\n"
    "  leaseName: capz-lock\n"
    "  leaseNamespace: capz-system\n"
    "  leaseDuration: 1m\n"
    "  renewDeadline: 40s\n"
    "  retryPeriod: 5s\n"
    "watchNamespace: team-a\n"
    "watchFilter: blue\n"
    "syncPeriod: 1h30m\n"
    "reconcileTimeout: 90s\n"
    "gracefulShutdownTimeout: 1m\n"
    "log:\n"
    "  verbosity: 4\n"
    "  format: json\n";

START_TEST(full_config) {
  host_config cfg;
  const char *diag;
  ck_assert_int_eq(load(&cfg, full, &diag), 0);
  ck_assert_int_eq(host_config_finish(&cfg, NULL), 0);
  ck_assert_uint_eq(cfg.n_plugin_dirs, 2);
  ck_assert_str_eq(cfg.plugin_dirs[0], "/opt/capz/plugins");
  ck_assert_str_eq(cfg.plugin_dirs[1], "./plugins"); /* "t.yaml" has no directory part */
  ck_assert_uint_eq(cfg.n_plugins, 2);
  host_plugin_conf *sm = host_config_plugin(&cfg, "self-managed", false);
  ck_assert_ptr_nonnull(sm);
  ck_assert(sm->enabled);
  ck_assert_uint_eq(sm->n_config, 2);
  ck_assert_str_eq(sm->config[0].key, "subscriptionPolling");
  ck_assert_str_eq(sm->config[0].value, "30s");
  ck_assert_int_eq(sm->config[1].line, 8);
  ck_assert_str_eq(cfg.kube.server, "http://127.0.0.1:6443");
  ck_assert_int_eq(cfg.graceful_shutdown_ms, 60000);
  ck_assert_int_eq(sm->config[1].col, 17);
  ck_assert(!host_config_plugin(&cfg, "aks", false)->enabled);
  ck_assert_str_eq(cfg.kube.kubeconfig, "/root/.kube/config");
  ck_assert_str_eq(cfg.kube.context, "kind-mgmt");
  ck_assert(!cfg.kube.in_cluster);
  ck_assert_double_eq(cfg.kube.qps, 50.5);
  ck_assert_int_eq(cfg.kube.burst, 100);
  ck_assert_str_eq(cfg.azure.cloud, "AzureChinaCloud");
  ck_assert_str_eq(cfg.azure.resource_manager_endpoint, "https://management.chinacloudapi.cn/");
  ck_assert_str_eq(cfg.azure.authority_host, "https://login.chinacloudapi.cn/");
  ck_assert_str_eq(cfg.azure.imds_endpoint, "http://127.0.0.1:9999");
  ck_assert_str_eq(cfg.azure.token_audience, "https://management.azure.com/");
  ck_assert_int_eq(cfg.default_workers, 4);
  ck_assert_int_eq(host_config_workers_for(&cfg, "AzureCluster.infrastructure.cluster.x-k8s.io", 7), 2);
  ck_assert_int_eq(host_config_workers_for(&cfg, "Secret", 0), 1);
  ck_assert_int_eq(host_config_workers_for(&cfg, "Other", 7), 7);
  ck_assert_int_eq(host_config_workers_for(&cfg, "Other", 0), 4);
  ck_assert_str_eq(cfg.metrics_bind_address, "0");
  ck_assert_str_eq(cfg.health_bind_address, "127.0.0.1:9440");
  ck_assert(cfg.leader_election.enabled);
  ck_assert_str_eq(cfg.leader_election.lease_name, "capz-lock");
  ck_assert_int_eq(cfg.leader_election.lease_duration_ms, 60000);
  ck_assert_int_eq(cfg.leader_election.renew_deadline_ms, 40000);
  ck_assert_int_eq(cfg.leader_election.retry_period_ms, 5000);
  ck_assert_str_eq(cfg.watch_namespace, "team-a");
  ck_assert_str_eq(cfg.watch_filter, "blue");
  ck_assert_int_eq(cfg.sync_period_ms, 5400000);
  ck_assert_int_eq(cfg.reconcile_timeout_ms, 90000);
  ck_assert_int_eq(cfg.log_verbosity, 4);
  ck_assert_int_eq(cfg.log_format, CAPZ_LOG_JSON);
  host_config_free(&cfg);
}
END_TEST

START_TEST(relative_plugin_dirs_follow_the_file) {
  host_config cfg;
  host_config_init(&cfg);
  const char *text = "pluginDirs: [plugins, /abs, ../lib/capz]\n";
  ck_assert_int_eq(host_config_load_text(&cfg, "/etc/capz/host.yaml", text, strlen(text), NULL), 0);
  ck_assert_uint_eq(cfg.n_plugin_dirs, 3);
  ck_assert_str_eq(cfg.plugin_dirs[0], "/etc/capz/plugins");
  ck_assert_str_eq(cfg.plugin_dirs[1], "/abs");
  ck_assert_str_eq(cfg.plugin_dirs[2], "/etc/capz/../lib/capz");
  host_config_free(&cfg);
}
END_TEST

START_TEST(defaults) {
  host_config cfg;
  ck_assert_int_eq(load(&cfg, "# nothing\n", NULL), 0);
  ck_assert_int_eq(host_config_finish(&cfg, NULL), 0);
  ck_assert_str_eq(cfg.azure.cloud, "AzurePublicCloud");
  ck_assert_str_eq(cfg.azure.resource_manager_endpoint, "https://management.azure.com/");
  ck_assert_str_eq(cfg.azure.authority_host, "https://login.microsoftonline.com/");
  ck_assert_str_eq(cfg.azure.imds_endpoint, "http://169.254.169.254");
  ck_assert_double_eq(cfg.kube.qps, 20);
  ck_assert_int_eq(cfg.kube.burst, 30);
  ck_assert_int_eq(cfg.default_workers, 10);
  ck_assert(!cfg.leader_election.enabled);
  ck_assert_str_eq(cfg.leader_election.lease_namespace, "capz-system");
  ck_assert_int_eq(cfg.leader_election.lease_duration_ms, 15000);
  ck_assert_int_eq(cfg.sync_period_ms, 600000);
  ck_assert_ptr_null(cfg.watch_namespace);
  ck_assert_int_eq(cfg.log_format, CAPZ_LOG_TEXT);
  ck_assert_str_eq(cfg.metrics_bind_address, "127.0.0.1:8080");
  ck_assert_int_eq(cfg.graceful_shutdown_ms, 30000);
  ck_assert_ptr_null(cfg.kube.server);
  host_config_free(&cfg);
}
END_TEST

START_TEST(unknown_keys_are_positioned) {
  expect_error("kubernetes:\n  qps: 5\n  kubeconfg: /x\n",
               "t.yaml:3:3: unknown key 'kubeconfg' in kubernetes (known: server, kubeconfig, context, inCluster, qps, burst)");
  expect_error("pluginDir: [/x]\n", "t.yaml:1:1: unknown key 'pluginDir' in the top level");
  expect_error("plugins:\n  aks:\n    enable: true\n", "t.yaml:3:5: unknown key 'enable' in plugins.aks (known: enabled, config)");
  expect_error("leaderElection:\n  lease: 1s\n", "t.yaml:2:3: unknown key 'lease' in leaderElection");
  expect_error("log: {level: 3}\n", "t.yaml:1:7: unknown key 'level' in log (known: verbosity, format)");
  expect_error("azure:\n  armEndpoint: https://x\n", "t.yaml:2:3: unknown key 'armEndpoint' in azure");
  expect_error("concurrency:\n  workers: 3\n", "t.yaml:2:3: unknown key 'workers' in concurrency");
}
END_TEST

START_TEST(mistyped_values_are_positioned) {
  expect_error("kubernetes:\n  qps: fast\n", "t.yaml:2:8: kubernetes.qps: expected a number from 0.1 to 100000, got \"fast\"");
  expect_error("kubernetes:\n  burst: 1.5\n", "t.yaml:2:10: kubernetes.burst: expected an integer from 1 to 100000, got \"1.5\"");
  expect_error("kubernetes:\n  inCluster: yes\n", "t.yaml:2:14: kubernetes.inCluster: expected true or false, got \"yes\"");
  expect_error("kubernetes:\n  inCluster: \"true\"\n", "t.yaml:2:14: kubernetes.inCluster: expected true or false");
  expect_error("kubernetes:\n  context: [a, b]\n", "t.yaml:2:12: kubernetes.context: expected a scalar, got a list");
  expect_error("kubernetes: 3\n", "t.yaml:1:13: kubernetes: expected a map, got a scalar");
  expect_error("leaderElection:\n  leaseDuration: 15\n",
               "t.yaml:2:18: leaderElection.leaseDuration: missing or unknown unit in duration \"15\"");
  expect_error("syncPeriod: -5m\n", "t.yaml:1:13: syncPeriod: negative duration \"-5m\"");
  expect_error("log:\n  format: xml\n", "t.yaml:2:11: log.format: expected text or json, got \"xml\"");
  expect_error("log:\n  verbosity: 11\n", "t.yaml:2:14: log.verbosity: expected an integer from 0 to 10");
  expect_error("pluginDirs: /x\n", "t.yaml:1:13: pluginDirs: expected a list of directories, got a scalar");
  expect_error("plugins:\n  Bad_Name: {}\n", "t.yaml:2:3: plugins.Bad_Name: invalid plugin name");
  expect_error("plugins:\n  aks:\n    config:\n      nodes: [1]\n",
               "t.yaml:4:14: plugins.aks.config.nodes: expected a scalar value, got a list");
  expect_error("plugins:\n  aks: {enabled: 1}\n", "t.yaml:2:18: plugins.aks.enabled: expected true or false");
  expect_error("concurrency:\n  kinds:\n    Secret: 0\n", "t.yaml:3:13: concurrency.kinds.Secret: expected an integer from 1 to 1024");
  expect_error("concurrency:\n  defaultWorkers: many\n", "t.yaml:2:19: concurrency.defaultWorkers: expected an integer");
}
END_TEST

START_TEST(malformed_yaml_is_positioned) {
  expect_error("kubernetes:\n  qps: [1, 2\n", "t.yaml:3:1: invalid YAML:");
  expect_error("a: b\n c: d\n", "t.yaml:2:3: invalid YAML: mapping values are not allowed in this context");
  expect_error("log: {format: text}\nlog: {format: json}\n", "t.yaml:2:1: duplicate key 'log'");
  expect_error("x: &a 1\nkubernetes:\n  context: *a\n", "t.yaml:3:12: aliases are not supported");
  expect_error("- a\n- b\n", "t.yaml:1:1: the config file: expected a map, got a list");
  expect_error("kubernetes: {}\n---\nlog: {}\n", "t.yaml:2:1: only one YAML document is allowed");
  expect_error("log: \"\x01\"\n", "t.yaml:1:7: invalid YAML: control characters are not allowed");
  expect_error("{[a]: 1}\n", "t.yaml:1:2: map keys must be plain strings");
}
END_TEST

START_TEST(cross_field_rules) {
  host_config cfg;
  char *diag = NULL;
  size_t dl = 0;
  ck_assert_int_eq(load(&cfg, "leaderElection: {leaseDuration: 10s, renewDeadline: 10s}\n"
                              "azure: {cloud: Mars}\n", NULL), 0);
  FILE *d = open_memstream(&diag, &dl);
  ck_assert_int_eq(host_config_finish(&cfg, d), 2);
  fclose(d);
  ck_assert_ptr_nonnull(strstr(diag, "leaderElection: renewDeadline must be shorter than leaseDuration"));
  ck_assert_ptr_nonnull(strstr(diag, "azure.cloud: expected AzurePublicCloud"));
  free(diag);
  host_config_free(&cfg);

  ck_assert_int_eq(load(&cfg, "azure: {cloud: Custom, resourceManagerEndpoint: 'http://127.0.0.1:1/'}\n", NULL), 0);
  ck_assert_int_eq(host_config_finish(&cfg, NULL), 1); /* authorityHost missing */
  host_config_free(&cfg);
  ck_assert_int_eq(load(&cfg, "azure: {cloud: Custom, resourceManagerEndpoint: 'http://127.0.0.1:1/', "
                              "authorityHost: 'http://127.0.0.1:2/'}\n", NULL), 0);
  ck_assert_int_eq(host_config_finish(&cfg, NULL), 0);
  ck_assert_str_eq(cfg.azure.authority_host, "http://127.0.0.1:2/");
  host_config_free(&cfg);
  ck_assert_int_eq(load(&cfg, "azure: {resourceManagerEndpoint: 'ftp://x'}\n", NULL), 0);
  ck_assert_int_eq(host_config_finish(&cfg, NULL), 1);
  host_config_free(&cfg);
}
END_TEST

static int parse_args(host_cli *cli, const char **argv, int argc, char **errs) {
  size_t len = 0;
  FILE *e = open_memstream(errs, &len);
  int rc = host_cli_parse(argc, (char **)argv, cli, e);
  fclose(e);
  return rc;
}

START_TEST(flags_override_the_file) {
  host_config cfg;
  ck_assert_int_eq(load(&cfg, "pluginDirs: [/a, /b]\nplugins:\n  aks: {enabled: false}\n  sm: {enabled: true}\n"
                              "kubernetes: {kubeconfig: /k, context: c1}\nlog: {verbosity: 1, format: json}\n", NULL), 0);
  const char *argv[] = {"capz-host", "--plugin-dir", "/x", "--plugin-dir=/y", "--enable", "aks", "--disable", "sm",
                        "--disable", "new", "-v", "5", "--log-format", "text", "--kubeconfig", "/k2",
                        "--context", "c2", "--check-config", NULL};
  host_cli cli;
  char *errs = NULL;
  ck_assert_int_eq(parse_args(&cli, argv, 19, &errs), 0);
  ck_assert(cli.check_config);
  ck_assert(!cli.list_plugins);
  ck_assert_int_eq(host_cli_apply(&cli, &cfg, stderr), 0);
  ck_assert_uint_eq(cfg.n_plugin_dirs, 2);
  ck_assert_str_eq(cfg.plugin_dirs[0], "/x");
  ck_assert_str_eq(cfg.plugin_dirs[1], "/y");
  ck_assert(host_config_plugin(&cfg, "aks", false)->enabled);
  ck_assert(!host_config_plugin(&cfg, "sm", false)->enabled);
  ck_assert(!host_config_plugin(&cfg, "new", false)->enabled);
  ck_assert_int_eq(host_config_plugin(&cfg, "new", false)->line, 0);
  ck_assert_int_eq(cfg.log_verbosity, 5);
  ck_assert_int_eq(cfg.log_format, CAPZ_LOG_TEXT);
  ck_assert_str_eq(cfg.kube.kubeconfig, "/k2");
  ck_assert_str_eq(cfg.kube.context, "c2");
  host_cli_free(&cli);
  free(errs);
  host_config_free(&cfg);
}
END_TEST

START_TEST(bad_flags) {
  host_cli cli;
  char *errs = NULL;
  const char *a1[] = {"capz-host", "-v", "x", "--log-format", "xml", "--enable", "Bad", "--bogus", "extra", NULL};
  ck_assert_int_eq(parse_args(&cli, a1, 9, &errs), 5);
  ck_assert_ptr_nonnull(strstr(errs, "capz-host: -v x: expected an integer from 0 to 10\n"));
  ck_assert_ptr_nonnull(strstr(errs, "capz-host: --log-format xml: expected text or json\n"));
  ck_assert_ptr_nonnull(strstr(errs, "capz-host: --enable Bad: invalid plugin name\n"));
  ck_assert_ptr_nonnull(strstr(errs, "capz-host: unknown flag --bogus"));
  ck_assert_ptr_nonnull(strstr(errs, "capz-host: unexpected argument extra"));
  host_cli_free(&cli);
  free(errs);
  errs = NULL;
  const char *a2[] = {"capz-host", "--config", NULL};
  ck_assert_int_eq(parse_args(&cli, a2, 2, &errs), 1);
  ck_assert_ptr_nonnull(strstr(errs, "--config needs a value"));
  host_cli_free(&cli);
  free(errs);
}
END_TEST

/* Random bytes and mutations of a valid file: every outcome is fine except a crash, a leak
 * (under ASan) or an error line without FILE:LINE:COL. */
START_TEST(fuzzed_input_never_crashes) {
  unsigned seed = 12345;
  size_t flen = strlen(full);
  char *buf = malloc(flen + 64);
  for (int round = 0; round < 3000; round++) {
    size_t len;
    if (round % 2) {
      len = (size_t)(rand_r(&seed) % 200);
      for (size_t i = 0; i < len; i++) buf[i] = (char)(rand_r(&seed) & 0xff);
    } else {
      memcpy(buf, full, flen);
      len = flen;
      int edits = 1 + rand_r(&seed) % 4;
      for (int e = 0; e < edits; e++) {
        size_t at = (size_t)rand_r(&seed) % len;
        const char pool[] = ":-[]{}#&*!|>'\"\n \t\0x9";
        buf[at] = pool[(size_t)rand_r(&seed) % (sizeof pool - 1)];
      }
    }
    host_config cfg;
    host_config_init(&cfg);
    char *diag = NULL;
    size_t dl = 0;
    FILE *d = open_memstream(&diag, &dl);
    int n = host_config_load_text(&cfg, "f.yaml", buf, len, d);
    fclose(d);
    if (n > 0) ck_assert_msg(strncmp(diag, "f.yaml:", 7) == 0, "unpositioned error: %s", diag);
    free(diag);
    host_config_free(&cfg);
  }
  free(buf);
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, full_config);
  tcase_add_test(tc, defaults);
  tcase_add_test(tc, relative_plugin_dirs_follow_the_file);
  tcase_add_test(tc, unknown_keys_are_positioned);
  tcase_add_test(tc, mistyped_values_are_positioned);
  tcase_add_test(tc, malformed_yaml_is_positioned);
  tcase_add_test(tc, cross_field_rules);
  tcase_add_test(tc, flags_override_the_file);
  tcase_add_test(tc, bad_flags);
  tcase_add_test(tc, fuzzed_input_never_crashes);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
