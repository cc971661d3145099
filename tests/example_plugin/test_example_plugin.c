/* test_example_plugin.c — install the SDK, build examples/hello-plugin out of tree against the
 * installed copy only, and load it with the real capz-host. */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hostproc.h"
#include "tmpfiles.h"
#include "ckrun.h"

static char tmp[PATH_MAX];
static char prefix[PATH_MAX + 16];

static void base_setup(void) { tmpfiles_base_make("example"); }

static void setup(void) {
  tmpfiles_dir_make(tmp, sizeof tmp);
  snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
}

static void teardown(void) { tmpfiles_dir_remove(tmp); }

/* Run a shell command; its output goes to <tmp>/log (shown when it fails). */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
  char cmd[8192], full[8192 + PATH_MAX + 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  snprintf(full, sizeof full, "(%s) >'%s/log' 2>&1", cmd, tmp);
  int rc = system(full);
  if (rc != 0) {
    char show[PATH_MAX + 64];
    snprintf(show, sizeof show, "cat '%s/log' >&2", tmp);
    if (system(show) != 0) fprintf(stderr, "(no log)\n");
  }
  ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static void exists(const char *rel, int want) {
  char p[2 * PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", prefix, rel);
  ck_assert_msg((access(p, F_OK) == 0) == want, "%s %s", p, want ? "missing" : "should not be installed");
}

START_TEST(example_builds_out_of_tree_and_loads) {
  const char *build = getenv("CAPZ_BUILD_DIR"), *src = getenv("CAPZ_SOURCE_DIR");
  ck_assert_ptr_nonnull(build);
  ck_assert_ptr_nonnull(src);
  const char *cm = CAPZ_CMAKE_COMMAND, *lib = CAPZ_TEST_LIBDIR;

  sh("'%s' --install '%s' --prefix '%s'", cm, build, prefix);
  exists("include/capz/plugin.h", 1);
  exists("include/capz/loader.h", 1);
  exists("include/capz/http.h", 0); /* internal headers stay private */
  exists("include/capz/http/http.h", 0);
  char rel[256];
  snprintf(rel, sizeof rel, "%s/libcapz-sdk.so.1", lib);
  exists(rel, 1);
  snprintf(rel, sizeof rel, "%s/pkgconfig/capz-sdk.pc", lib);
  exists(rel, 1);
  snprintf(rel, sizeof rel, "%s/cmake/CapzSdk/CapzSdkConfig.cmake", lib);
  exists(rel, 1);
  exists("bin/capz-host", 1);

  /* pkg-config sees the prefix and the plugindir variable. */
  char pcpath[2 * PATH_MAX];
  snprintf(pcpath, sizeof pcpath, "%s/%s/pkgconfig", prefix, lib);
  sh("test \"$(PKG_CONFIG_PATH='%s' pkg-config --variable=plugindir capz-sdk)\" = '%s/%s/capz/plugins'", pcpath,
     prefix, lib);

  /* 1: the CMake package (capz_add_plugin); the build sees the SDK only through the prefix. */
  sh("'%s' -S '%s/examples/hello-plugin' -B '%s/b-cmake' -DCMAKE_PREFIX_PATH='%s' && '%s' --build '%s/b-cmake' && "
     "'%s' --install '%s/b-cmake'",
     cm, src, tmp, prefix, cm, tmp, cm, tmp);
  /* Only the entry symbol is exported. */
  sh("test \"$(nm -D --defined-only '%s/b-cmake/hello.so' | awk '$2 == \"T\" {print $3}')\" = capz_plugin_v1", tmp);
  char plugindir[2 * PATH_MAX];
  snprintf(plugindir, sizeof plugindir, "%s/%s/capz/plugins", prefix, lib);

  /* The installed capz-host finds it in its default plugin directory. */
  char installed_host[2 * PATH_MAX], line[4 * PATH_MAX];
  snprintf(installed_host, sizeof installed_host, "%s/bin/capz-host", prefix);
  const char *a1[] = {installed_host, "--list-plugins", NULL};
  hp_result r;
  ck_assert_int_eq(hp_run(a1, 30, &r), 0);
  ck_assert_msg(r.exit_code == 0, "stderr: %s", r.err);
  snprintf(line, sizeof line, "hello version=0.1.0 abi=1.0 kinds=Hello.example.capz.io file=%s/hello.so enabled",
           plugindir);
  hp_assert_line(r.out, line);
  hp_free(&r);

  /* 2: pkg-config only; the build tree's capz-host loads it with --plugin-dir. */
  sh("PKG_CONFIG_PATH='%s' '%s' -S '%s/examples/hello-plugin' -B '%s/b-pc' -DHELLO_USE_PKGCONFIG=ON && "
     "'%s' --build '%s/b-pc'",
     pcpath, cm, src, tmp, cm, tmp);
  char pdir[PATH_MAX + 16];
  snprintf(pdir, sizeof pdir, "%s/b-pc", tmp);
  const char *a2[] = {hp_host(), "--plugin-dir", pdir, "--list-plugins", NULL};
  ck_assert_int_eq(hp_run(a2, 30, &r), 0);
  ck_assert_msg(r.exit_code == 0, "stderr: %s", r.err);
  snprintf(line, sizeof line, "hello version=0.1.0 abi=1.0 kinds=Hello.example.capz.io file=%s/hello.so enabled",
           pdir);
  hp_assert_line(r.out, line);
  hp_free(&r);

  /* Its schema is enforced and the shipped example config is valid against it. */
  char cfg[PATH_MAX + 16];
  snprintf(cfg, sizeof cfg, "%s/bad.yaml", tmp);
  tmpfiles_write_text(cfg, "plugins:\n  hello:\n    config:\n      interval: often\n");
  const char *a3[] = {hp_host(), "--config", cfg, "--plugin-dir", pdir, "--check-config", NULL};
  ck_assert_int_eq(hp_run(a3, 30, &r), 0);
  ck_assert_int_eq(r.exit_code, 1);
  snprintf(line, sizeof line, "%s:4:17: plugins.hello.config: key 'interval' (duration): expected a duration", cfg);
  ck_assert_msg(strstr(r.err, line) != NULL, "got: %s", r.err);
  hp_free(&r);
  char example[PATH_MAX + 32];
  snprintf(example, sizeof example, "%s/examples/capz-host.yaml", src);
  const char *a4[] = {hp_host(), "--config", example, "--plugin-dir", pdir, "--check-config", NULL};
  ck_assert_int_eq(hp_run(a4, 30, &r), 0);
  ck_assert_msg(r.exit_code == 0, "stderr: %s", r.err);
  hp_free(&r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("example_plugin");
  TCase *tc = tcase_create("example_plugin");
  tcase_add_unchecked_fixture(tc, base_setup, tmpfiles_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, example_builds_out_of_tree_and_loads);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
