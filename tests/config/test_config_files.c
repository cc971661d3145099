/* test_config_files.c — the real capz-host against hostile config files: malformed (must print
 * FILE:LINE:COL and exit non-zero), empty (valid), binary with NULs, huge (10 MB) and deeply
 * nested (refused cleanly), plus --version and a valid file under --check-config. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hostproc.h"
#include "tmpfiles.h"
#include "ckrun.h"

static char tmpdir[PATH_MAX];
static char path[PATH_MAX + 32];

static void base_setup(void) { tmpfiles_base_make("cfgfiles"); }

static void setup(void) {
  tmpfiles_dir_make(tmpdir, sizeof tmpdir);
  snprintf(path, sizeof path, "%s/host.yaml", tmpdir);
}

static void teardown(void) { tmpfiles_dir_remove(tmpdir); }

static void write_bytes(const char *data, size_t len) { tmpfiles_write(path, data, len); }

static void run_host(hp_result *r, const char *mode) {
  const char *argv[] = {hp_host(), "--config", path, mode, "--plugin-dir", tmpdir, NULL};
  if (!mode) argv[3] = NULL;
  ck_assert_int_eq(hp_run(argv, 30, r), 0);
}

/* Every stderr line up to the summary starts with "<path>:<line>:<col>: ". */
static void assert_positioned(const char *err) {
  char prefix[PATH_MAX + 40];
  snprintf(prefix, sizeof prefix, "%s:", path);
  ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "not positioned: %s", err);
  const char *p = err + strlen(prefix);
  unsigned line, col;
  ck_assert_msg(sscanf(p, "%u:%u: ", &line, &col) == 2 && line >= 1 && col >= 1, "no LINE:COL in: %s", err);
  ck_assert_ptr_nonnull(strstr(err, "capz-host: invalid configuration\n"));
}

START_TEST(malformed_file_prints_file_line_col) {
  const char *text = "kubernetes:\n  context: kind\n  qps: [10\nlog: {}\n";
  write_bytes(text, strlen(text));
  hp_result r;
  run_host(&r, NULL); /* the daemon mode must stop at the bad file too */
  ck_assert_int_eq(r.exit_code, 1);
  assert_positioned(r.err);
  char want[2 * PATH_MAX];
  snprintf(want, sizeof want, "%s:4:4: invalid YAML:", path);
  ck_assert_msg(strstr(r.err, want) != NULL, "got: %s", r.err);
  hp_free(&r);

  text = "kubernetes:\n  contxt: kind\n";
  write_bytes(text, strlen(text));
  run_host(&r, "--check-config");
  ck_assert_int_eq(r.exit_code, 1);
  snprintf(want, sizeof want, "%s:2:3: unknown key 'contxt' in kubernetes", path);
  ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "got: %s", r.err);
  hp_free(&r);
}
END_TEST

START_TEST(empty_file_is_valid) {
  write_bytes("", 0);
  hp_result r;
  run_host(&r, "--check-config");
  ck_assert_msg(r.exit_code == 0, "stderr: %s", r.err);
  ck_assert_ptr_nonnull(strstr(r.out, "is valid (0 plugin(s) enabled, 0 disabled)"));
  hp_free(&r);
}
END_TEST

START_TEST(binary_file_is_refused_cleanly) {
  unsigned seed = 7;
  char buf[65536];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(rand_r(&seed) & 0xff);
  buf[10] = '\0';
  buf[11] = '\0';
  for (int round = 0; round < 3; round++) {
    write_bytes(buf + round * 1000, sizeof buf - (size_t)round * 1000);
    hp_result r;
    run_host(&r, "--check-config");
    ck_assert_int_eq(r.exit_code, 1);
    assert_positioned(r.err);
    hp_free(&r);
  }
  /* Valid YAML up to a NUL byte. */
  const char text[] = "log:\n  format: text\0\nkubernetes: {}\n";
  write_bytes(text, sizeof text - 1);
  hp_result r;
  run_host(&r, "--check-config");
  ck_assert_int_eq(r.exit_code, 1);
  assert_positioned(r.err);
  hp_free(&r);
}
END_TEST

START_TEST(huge_file_is_refused_cleanly) {
  size_t len = 10u * 1024u * 1024u;
  char *buf = malloc(len);
  ck_assert_ptr_nonnull(buf);
  for (size_t i = 0; i < len; i++) buf[i] = (i % 64 == 63) ? '\n' : (i % 64 == 0 ? '#' : 'x');
  write_bytes(buf, len);
  free(buf);
  hp_result r;
  run_host(&r, "--check-config");
  ck_assert_int_eq(r.exit_code, 1);
  assert_positioned(r.err);
  ck_assert_ptr_nonnull(strstr(r.err, "file is too large (10485760 bytes; the limit is 4194304)"));
  hp_free(&r);
}
END_TEST

START_TEST(large_file_under_the_limit_parses) {
  /* 3 MB of comments around real keys: accepted, and the keys still count. */
  size_t len = 3u * 1024u * 1024u;
  char *buf = malloc(len + 64);
  for (size_t i = 0; i < len; i++) buf[i] = (i % 80 == 79) ? '\n' : (i % 80 == 0 ? '#' : 'y');
  const char *tail = "\nlog: {format: nope}\n";
  memcpy(buf + len, tail, strlen(tail));
  write_bytes(buf, len + strlen(tail));
  free(buf);
  hp_result r;
  run_host(&r, "--check-config");
  ck_assert_int_eq(r.exit_code, 1);
  char want[2 * PATH_MAX];
  snprintf(want, sizeof want, "%s:39323:15: log.format: expected text or json, got \"nope\"", path);
  ck_assert_msg(strstr(r.err, want) != NULL, "got: %s", r.err);
  hp_free(&r);
}
END_TEST

START_TEST(deep_nesting_is_refused_cleanly) {
  size_t depth = 100000;
  char *buf = malloc(2 * depth + 8);
  memcpy(buf, "a: ", 3);
  for (size_t i = 0; i < depth; i++) buf[3 + i] = '[';
  for (size_t i = 0; i < depth; i++) buf[3 + depth + i] = ']';
  write_bytes(buf, 3 + 2 * depth);
  free(buf);
  hp_result r;
  run_host(&r, "--check-config");
  ck_assert_int_eq(r.exit_code, 1);
  assert_positioned(r.err);
  ck_assert_ptr_nonnull(strstr(r.err, "nesting is too deep"));
  hp_free(&r);
}
END_TEST

START_TEST(missing_file_and_version) {
  hp_result r;
  const char *a1[] = {hp_host(), "--config", "/nonexistent/capz.yaml", "--check-config", NULL};
  ck_assert_int_eq(hp_run(a1, 10, &r), 0);
  ck_assert_int_eq(r.exit_code, 1);
  ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/capz.yaml:1:1: cannot open: No such file or directory"));
  hp_free(&r);
  const char *a2[] = {hp_host(), "--version", NULL};
  ck_assert_int_eq(hp_run(a2, 10, &r), 0);
  ck_assert_int_eq(r.exit_code, 0);
  ck_assert_ptr_nonnull(strstr(r.out, "capz-host "));
  ck_assert_ptr_nonnull(strstr(r.out, "(plugin ABI 1.0)"));
  hp_free(&r);
  const char *a5[] = {hp_host(), "--list-plugins", "--plugin-dir", "/nonexistent/capz-plugins", NULL};
  ck_assert_int_eq(hp_run(a5, 10, &r), 0);
  ck_assert_int_eq(r.exit_code, 0);
  ck_assert_str_eq(r.out, "");
  ck_assert_ptr_nonnull(strstr(r.err, "capz-host: plugin directory /nonexistent/capz-plugins: No such file or directory\n"));
  hp_free(&r);
  const char *a6[] = {hp_host(), "--check-config", "--plugin-dir", "/nonexistent/capz-plugins", NULL};
  ck_assert_int_eq(hp_run(a6, 10, &r), 0);
  ck_assert_int_eq(r.exit_code, 1);
  hp_free(&r);
  const char *a3[] = {hp_host(), "--no-such-flag", NULL};
  ck_assert_int_eq(hp_run(a3, 10, &r), 0);
  ck_assert_int_eq(r.exit_code, 2);
  hp_free(&r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("config_files");
  TCase *tc = tcase_create("config_files");
  tcase_add_unchecked_fixture(tc, base_setup, tmpfiles_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, malformed_file_prints_file_line_col);
  tcase_add_test(tc, empty_file_is_valid);
  tcase_add_test(tc, binary_file_is_refused_cleanly);
  tcase_add_test(tc, huge_file_is_refused_cleanly);
  tcase_add_test(tc, large_file_under_the_limit_parses);
  tcase_add_test(tc, deep_nesting_is_refused_cleanly);
  tcase_add_test(tc, missing_file_and_version);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
