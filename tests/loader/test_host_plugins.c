/* test_host_plugins.c — capz-host end to end with the test plugins: the --list-plugins lines,
 * --check-config of plugin config maps, disabled plugins never opened, and the daemon
 * initialising the good plugins, skipping the bad ones and calling shutdown on SIGTERM. */
#include <check.h>
#include "simproc.h"
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "curlbuf.h"
#include "hostproc.h"
#include "tmpfiles.h"
#include "ckrun.h"

static char pdir[PATH_MAX];
static char tmpdir[PATH_MAX];

static void base_setup(void) { tmpfiles_base_make("hostp"); }

static void setup(void) {
  const char *b = getenv("CAPZ_BUILD_DIR");
  snprintf(pdir, sizeof pdir, "%s/tests/loader-plugins", b ? b : ".");
  tmpfiles_dir_make(tmpdir, sizeof tmpdir);
}

static void teardown(void) { tmpfiles_dir_remove(tmpdir); }

static void install_plugin(const char *name) {
  char cmd[6 * PATH_MAX];
  snprintf(cmd, sizeof cmd, "cp '%s/%s.so' '%s/' && chmod 0755 '%s/%s.so'", pdir, name, tmpdir, tmpdir, name);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(list_plugins_prints_one_line_per_file) {
  char canary[PATH_MAX + 16], line[4 * PATH_MAX];
  snprintf(canary, sizeof canary, "%s/opened", tmpdir);
  setenv("CAPZ_TEST_CANARY", canary, 1);
  const char *argv[] = {hp_host(), "--list-plugins", "--plugin-dir", pdir, "--disable", "canary", NULL};
  hp_result r;
  ck_assert_int_eq(hp_run(argv, 30, &r), 0);
  ck_assert_msg(r.exit_code == 0, "exit %d, stderr: %s", r.exit_code, r.err);
  ck_assert_msg(access(canary, F_OK) != 0, "a disabled plugin was opened");

  snprintf(line, sizeof line, "good version=1.2.3 abi=1.0 kinds=Widget.test.capz.io file=%s/good.so enabled", pdir);
  hp_assert_line(r.out, line);
  snprintf(line, sizeof line, "big-desc version=2 abi=1.0 kinds=Big.test.capz.io file=%s/big-desc.so enabled", pdir);
  hp_assert_line(r.out, line);
  snprintf(line, sizeof line, "canary version=- abi=- kinds=- file=%s/canary.so disabled", pdir);
  hp_assert_line(r.out, line);
  snprintf(line, sizeof line,
           "bad-major version=- abi=- kinds=- file=%s/bad-major.so refused: ABI major 2 is not supported "
           "(plugin ABI 2.0, host ABI 1.0)", pdir);
  hp_assert_line(r.out, line);
  snprintf(line, sizeof line,
           "kind-clash version=- abi=- kinds=- file=%s/kind-clash.so refused: kind Widget.test.capz.io is already "
           "claimed by plugin 'good' (%s/good.so)", pdir, pdir);
  hp_assert_line(r.out, line);
  snprintf(line, sizeof line,
           "good-two version=0.1 abi=1.0 kinds=Gadget.test.capz.io file=%s/good-two.so refused: config: required "
           "key 'zone' (string) is missing", pdir);
  hp_assert_line(r.out, line);
  size_t lines = 0;
  for (const char *p = r.out; *p; p++) lines += *p == '\n';
  ck_assert_uint_eq(lines, 21); /* one per .so in the directory */
  hp_free(&r);

  /* Not disabled: the canary is opened (and refused for its missing entry symbol). */
  const char *argv2[] = {hp_host(), "--list-plugins", "--plugin-dir", pdir, NULL};
  ck_assert_int_eq(hp_run(argv2, 30, &r), 0);
  ck_assert_int_eq(access(canary, F_OK), 0);
  snprintf(line, sizeof line,
           "canary version=- abi=- kinds=- file=%s/canary.so refused: missing entry symbol capz_plugin_v1 (not a capz "
           "plugin, or built for another ABI major; host ABI 1.0)", pdir);
  hp_assert_line(r.out, line);
  hp_free(&r);
  unsetenv("CAPZ_TEST_CANARY");
}
END_TEST

START_TEST(check_config_validates_plugin_config) {
  install_plugin("good");
  install_plugin("good-two");
  char cfg[PATH_MAX + 16], text[2 * PATH_MAX], line[4 * PATH_MAX];
  snprintf(cfg, sizeof cfg, "%s/host.yaml", tmpdir);
  snprintf(text, sizeof text,
           "pluginDirs: [%s]\n"
           "plugins:\n"
           "  good:\n"
           "    config:\n"
           "      count: abc\n"
           "      period: 5m\n"
           "  good-two:\n"
           "    config: {zone: westeurope}\n",
           tmpdir);
  tmpfiles_write_text(cfg, text);
  const char *argv[] = {hp_host(), "--config", cfg, "--check-config", NULL};
  hp_result r;
  ck_assert_int_eq(hp_run(argv, 30, &r), 0);
  ck_assert_int_eq(r.exit_code, 1);
  snprintf(line, sizeof line, "%s:5:14: plugins.good.config: key 'count' (int): expected an integer, got \"abc\"", cfg);
  hp_assert_line(r.err, line);
  hp_free(&r);

  snprintf(text, sizeof text,
           "pluginDirs: [%s]\n"
           "plugins:\n"
           "  good:\n"
           "    config:\n"
           "      count: 12\n"
           "      nope: 1\n"
           "  missing: {enabled: true}\n"
           "  good-two:\n"
           "    config: {zone: westeurope}\n",
           tmpdir);
  tmpfiles_write_text(cfg, text);
  ck_assert_int_eq(hp_run(argv, 30, &r), 0);
  ck_assert_int_eq(r.exit_code, 1);
  snprintf(line, sizeof line, "%s:6:13: plugins.good.config: unknown key 'nope'", cfg);
  hp_assert_line(r.err, line);
  snprintf(line, sizeof line, "%s:7:3: plugins.missing: no missing.so in the plugin directories", cfg);
  hp_assert_line(r.err, line);
  hp_free(&r);

  snprintf(text, sizeof text,
           "pluginDirs: [%s]\n"
           "plugins:\n"
           "  good: {config: {count: 12, period: 1h30m, loud: true}}\n"
           "  good-two:\n"
           "    config: {zone: westeurope}\n",
           tmpdir);
  tmpfiles_write_text(cfg, text);
  ck_assert_int_eq(hp_run(argv, 30, &r), 0);
  ck_assert_msg(r.exit_code == 0, "stderr: %s", r.err);
  ck_assert_ptr_nonnull(strstr(r.out, "is valid (2 plugin(s) enabled, 0 disabled)"));
  hp_free(&r);
  char valid[2 * PATH_MAX];
  snprintf(valid, sizeof valid, "%s", text);

  /* A concurrency entry for a kind no enabled plugin has is a typo. */
  snprintf(text, sizeof text,
           "pluginDirs: [%s]\n"
           "plugins:\n"
           "  good: {config: {count: 12}}\n"
           "  good-two:\n"
           "    config: {zone: westeurope}\n"
           "concurrency:\n"
           "  kinds:\n"
           "    Widget.test.capz.io: 2\n"
           "    Widgets.test.capz.io: 3\n",
           tmpdir);
  tmpfiles_write_text(cfg, text);
  ck_assert_int_eq(hp_run(argv, 30, &r), 0);
  ck_assert_int_eq(r.exit_code, 1);
  snprintf(line, sizeof line,
           "%s:9:5: concurrency.kinds.Widgets.test.capz.io: no enabled plugin has a controller for this kind", cfg);
  hp_assert_line(r.err, line);
  ck_assert_ptr_null(strstr(r.err, "concurrency.kinds.Widget.test.capz.io:"));
  hp_free(&r);

  /* --disable wins over the file; a disabled plugin's config is not checked. */
  tmpfiles_write_text(cfg, valid);
  const char *argv2[] = {hp_host(), "--config", cfg, "--check-config", "--disable", "good-two", NULL};
  ck_assert_int_eq(hp_run(argv2, 30, &r), 0);
  ck_assert_msg(r.exit_code == 0, "stderr: %s", r.err);
  ck_assert_ptr_nonnull(strstr(r.out, "is valid (1 plugin(s) enabled, 1 disabled)"));
  hp_free(&r);
}
END_TEST

START_TEST(daemon_runs_good_plugins_until_sigterm) {
  /* The daemon's runtime needs an API server: a real capz-kube-sim. */
  simproc kube;
  ck_assert_int_eq(simproc_start(&kube, simproc_bin("capz-kube-sim"), NULL), 0);
  install_plugin("good");
  install_plugin("good-two");
  install_plugin("init-fails");
  char cfg[PATH_MAX + 16], marker[PATH_MAX + 16], text[3 * PATH_MAX];
  snprintf(cfg, sizeof cfg, "%s/host.yaml", tmpdir);
  snprintf(marker, sizeof marker, "%s/marker", tmpdir);
  snprintf(text, sizeof text,
           "kubernetes: {server: %s}\n"
           "metricsBindAddress: \"127.0.0.1:0\"\n"
           "healthProbeBindAddress: \"127.0.0.1:0\"\n"
           "plugins:\n"
           "  good:\n"
           "    config: {greeting: hi, count: 7, period: 1m30s, loud: true, ratio: 0.25, marker: %s}\n"
           "concurrency:\n"
           "  kinds: {Widget.test.capz.io: 4}\n",
           kube.url, marker);
  tmpfiles_write_text(cfg, text);
  const char *argv[] = {hp_host(), "--config", cfg, "--plugin-dir", tmpdir, NULL};
  int efd = -1;
  pid_t pid = hp_start(argv, &efd);
  ck_assert_int_gt(pid, 0);
  char *buf = NULL;
  int up = hp_wait_for(efd, &buf, "waiting for SIGTERM", 20);
  if (!up) kill(pid, SIGKILL);
  ck_assert_msg(up, "capz-host did not start: %s", buf);
  ck_assert_ptr_nonnull(strstr(buf, "\"controller loaded\" plugin=good version=1.2.3 abi=1.0 file="));
  ck_assert_ptr_nonnull(strstr(buf, "kind=Widget.test.capz.io watches=1 workers=4"));
  ck_assert_ptr_nonnull(strstr(buf, "init-fails.so): init failed: no credentials configured"));
  ck_assert_ptr_nonnull(strstr(buf, "good-two.so): config: required key 'zone' (string) is missing"));
  ck_assert_ptr_nonnull(strstr(buf, "controllers=1 plugins=1 defaultWorkers=10"));
  ck_assert_int_ne(access(marker, F_OK), 0); /* shutdown not called yet */
  /* The runtime runs the kind's configured worker count (concurrency.kinds), visible in /metrics. */
  ck_assert_msg(hp_wait_for(efd, &buf, "metrics=http://", 20), "no serving line: %s", buf);
  char murl[256] = "";
  const char *mp = strstr(buf, "metrics=http://");
  ck_assert_int_eq(sscanf(mp, "metrics=%200s", murl), 1);
  strcat(murl, "/metrics");
  curlbuf metrics;
  ck_assert_int_ne(curlbuf_get(murl, 10000, &metrics), 0);
  ck_assert_msg(strstr(metrics.data, "controller_runtime_max_concurrent_reconciles{controller=\"widget\"} 4"), "%s",
                metrics.data);
  curlbuf_free(&metrics);
  ck_assert_int_eq(kill(pid, SIGTERM), 0);
  ck_assert_int_eq(hp_wait_exit(pid, 20), 0);
  hp_wait_for(efd, &buf, "stopped", 2);
  ck_assert_ptr_nonnull(strstr(buf, "stopping signal=SIGTERM"));
  close(efd);
  free(buf);
  char *got = tmpfiles_read(marker, NULL); /* written by the plugin's shutdown */
  ck_assert_ptr_nonnull(got);
  ck_assert_str_eq(got, "greeting=hi count=7 period_ms=90000 loud=1 ratio=0.25\n");
  free(got);

  /* --log-format json switches the records; SIGINT stops it as well. */
  const char *argv2[] = {hp_host(), "--config", cfg, "--plugin-dir", tmpdir, "--log-format", "json", NULL};
  pid = hp_start(argv2, &efd);
  ck_assert_int_gt(pid, 0);
  buf = NULL;
  up = hp_wait_for(efd, &buf, "waiting for SIGTERM", 20);
  if (!up) kill(pid, SIGKILL);
  ck_assert_msg(up, "capz-host did not start: %s", buf);
  ck_assert_ptr_nonnull(strstr(buf, "\"msg\":\"controller loaded\""));
  ck_assert_int_eq(kill(pid, SIGINT), 0);
  ck_assert_int_eq(hp_wait_exit(pid, 20), 0);
  hp_wait_for(efd, &buf, "stopped", 2);
  ck_assert_ptr_nonnull(strstr(buf, "\"signal\":\"SIGINT\""));
  close(efd);
  free(buf);
  simproc_stop(&kube);
}
END_TEST

int main(void) {
  Suite *s = suite_create("host_plugins");
  TCase *tc = tcase_create("host_plugins");
  tcase_add_unchecked_fixture(tc, base_setup, tmpfiles_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, list_plugins_prints_one_line_per_file);
  tcase_add_test(tc, check_config_validates_plugin_config);
  tcase_add_test(tc, daemon_runs_good_plugins_until_sigterm);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
