/* test_loader.c — the SDK loader against one bad plugin per refusal rule, asserting the exact
 * refusal line; plus the host-sized copies and "keeps going after a refusal". */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capz/loader.h"
#include "tmpfiles.h"
#include "ckrun.h"

static char pdir[PATH_MAX];  /* the built test plugins */
static char tmpdir[PATH_MAX];

static void base_setup(void) { tmpfiles_base_make("loader"); }

static void setup(void) {
  const char *b = getenv("CAPZ_BUILD_DIR");
  snprintf(pdir, sizeof pdir, "%s/tests/loader-plugins", b ? b : ".");
  tmpfiles_dir_make(tmpdir, sizeof tmpdir);
}

static void teardown(void) { tmpfiles_dir_remove(tmpdir); }

static char *pp(const char *dir, const char *name) { /* rotating static buffers: several per call site */
  static char buf[8][2 * PATH_MAX];
  static int i;
  char *b = buf[i++ % 8];
  snprintf(b, 2 * PATH_MAX, "%.4000s/%.200s.so", dir, name);
  return b;
}

static void copy_file(const char *from, const char *to, mode_t mode) {
  char cmd[3 * PATH_MAX];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_eq(chmod(to, mode), 0);
}

/* Load `name` from the build dir with a fresh loader (after loading `first`, if given) and
 * return the refusal message (empty when accepted). */
static const char *refusal(const char *first, const char *name) {
  static capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_ptr_nonnull(l);
  ck_assert_int_eq(capz_loader_add_dir(l, pdir, &err), 0);
  if (first) ck_assert_int_eq(capz_loader_load(l, pp(pdir, first), NULL, &err), 0);
  capz_err_clear(&err);
  int rc = capz_loader_load(l, pp(pdir, name), NULL, &err);
  ck_assert_int_eq(rc != 0, err.msg[0] != '\0');
  ck_assert_uint_eq(capz_loader_count(l), first ? 1 : (rc ? 0 : 1));
  capz_loader_free(l);
  return err.msg;
}

static void expect(const char *first, const char *name, const char *reason) {
  char want[2 * PATH_MAX + 1024];
  int n = snprintf(want, sizeof want, "refusing plugin %s/%s.so: %s", pdir, name, reason);
  ck_assert(n > 0 && (size_t)n < sizeof want);
  ck_assert_str_eq(refusal(first, name), want);
}

START_TEST(good_plugin_is_copied) {
  capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_int_eq(capz_loader_add_dir(l, pdir, &err), 0);
  const capz_loaded_plugin *lp = NULL;
  ck_assert_int_eq(capz_loader_load(l, pp(pdir, "good"), &lp, &err), 0);
  ck_assert_ptr_nonnull(lp);
  ck_assert_str_eq(lp->desc.name, "good");
  ck_assert_str_eq(lp->desc.version, "1.2.3");
  ck_assert_uint_eq(lp->desc.abi_major, 1);
  /* The descriptor copy's arrays lead to the host-sized copies, not into the plugin. */
  ck_assert_ptr_eq(lp->desc.controllers[0], &lp->controllers[0].desc);
  ck_assert_ptr_null(lp->desc.controllers[1]);
  ck_assert_ptr_eq(lp->controllers[0].desc.secondaries[0], &lp->controllers[0].watches[0]);
  ck_assert_ptr_null(lp->controllers[0].desc.secondaries[1]);
  ck_assert_ptr_eq(lp->desc.config_schema[5], &lp->schema[5]);
  ck_assert_ptr_null(lp->desc.config_schema[6]);
  ck_assert_ptr_nonnull(lp->desc.init);
  ck_assert_ptr_nonnull(lp->desc.shutdown);
  ck_assert_uint_eq(lp->n_controllers, 1);
  ck_assert_str_eq(lp->controllers[0].desc.primary.kind, "Widget");
  ck_assert_uint_eq(lp->controllers[0].desc.default_workers, 3);
  ck_assert_ptr_nonnull(lp->controllers[0].desc.reconcile);
  ck_assert_uint_eq(lp->controllers[0].n_watches, 1);
  ck_assert_str_eq(lp->controllers[0].watches[0].gvk.kind, "Secret");
  ck_assert_str_eq(lp->controllers[0].watches[0].label_selector, "test.capz.io/owned");
  ck_assert_uint_eq(lp->n_schema, 6);
  ck_assert_str_eq(lp->schema[2].key, "period");
  ck_assert_int_eq(lp->schema[2].type, CAPZ_CFG_DURATION);
  char kind[64];
  ck_assert_str_eq(capz_gvk_kind_str(&lp->controllers[0].desc.primary, kind, sizeof kind), "Widget.test.capz.io");
  ck_assert_ptr_eq(capz_loader_get(l, 0), lp);
  ck_assert_ptr_null(capz_loader_get(l, 1));
  capz_loader_free(l);
}
END_TEST

START_TEST(bigger_descriptor_reads_known_part) {
  ck_assert_str_eq(refusal(NULL, "big-desc"), "");
  capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_int_eq(capz_loader_add_dir(l, pdir, &err), 0);
  const capz_loaded_plugin *lp = NULL;
  ck_assert_int_eq(capz_loader_load(l, pp(pdir, "big-desc"), &lp, &err), 0);
  ck_assert_uint_gt(lp->desc.struct_size, sizeof(capz_plugin)); /* the plugin's own size is kept */
  ck_assert_uint_gt(lp->controllers[0].desc.struct_size, sizeof(capz_controller));
  ck_assert_str_eq(lp->controllers[0].desc.primary.kind, "Big");
  ck_assert(!lp->controllers[0].desc.primary.namespaced);
  ck_assert_ptr_null(lp->desc.shutdown);
  ck_assert_ptr_null(lp->desc.config_schema);
  ck_assert_ptr_null(lp->controllers[0].desc.secondaries);
  ck_assert_ptr_eq(lp->desc.controllers[0], &lp->controllers[0].desc);
  capz_loader_free(l);
}
END_TEST

START_TEST(refuse_missing_entry) {
  expect(NULL, "no-entry",
         "missing entry symbol capz_plugin_v1 (not a capz plugin, or built for another ABI major; host ABI 1.0)");
  expect(NULL, "old-major", "missing entry symbol capz_plugin_v1; it exports capz_plugin_v0 (plugin ABI 0.x, host ABI 1.0)");
}
END_TEST

START_TEST(refuse_other_major) {
  expect(NULL, "bad-major", "ABI major 2 is not supported (plugin ABI 2.0, host ABI 1.0)");
}
END_TEST

START_TEST(refuse_newer_minor) {
  expect(NULL, "newer-minor", "built for a newer ABI minor (plugin ABI 1.1, host ABI 1.0)");
}
END_TEST

START_TEST(refuse_small_descriptor) {
  char want[256];
  snprintf(want, sizeof want,
           "descriptor is 40 bytes, smaller than the first released size %zu (plugin ABI 1.0, host ABI 1.0)",
           (size_t)CAPZ_PLUGIN_SIZE_V1_0);
  expect(NULL, "small-desc", want);
}
END_TEST

START_TEST(refuse_missing_callbacks) {
  expect(NULL, "no-init", "no init callback");
  expect(NULL, "no-reconcile", "controller 0 (Lazy.test.capz.io) has no reconcile callback");
  expect(NULL, "no-controllers", "no controllers");
}
END_TEST

START_TEST(refuse_small_or_malformed_parts) {
  char want[256];
  snprintf(want, sizeof want, "controller 0: struct_size 16 is smaller than the v1.0 size %zu",
           (size_t)CAPZ_CONTROLLER_SIZE_V1_0);
  expect(NULL, "small-ctrl", want);
  expect(NULL, "bad-watch", "controller 0 watch 0 (ConfigMap) needs a path for its map kind");
}
END_TEST

START_TEST(refuse_kind_claimed_twice) {
  char want[2 * PATH_MAX + 128];
  snprintf(want, sizeof want, "kind Widget.test.capz.io is already claimed by plugin 'good' (%s/good.so)", pdir);
  expect("good", "kind-clash", want);
  ck_assert_str_eq(refusal(NULL, "kind-clash"), ""); /* alone it is fine */
}
END_TEST

START_TEST(refuse_bad_names) {
  expect(NULL, "bad-name", "invalid plugin name 'Bad_Name' (want 1-63 of [a-z0-9-], no leading/trailing '-')");
  expect(NULL, "name-mismatch", "plugin name 'other-name' does not match its file name (expected other-name.so)");
}
END_TEST

START_TEST(refuse_bad_schema) {
  expect(NULL, "bad-schema", "config field 'size' has unknown type 99");
  expect(NULL, "bad-default", "config field 'timeout': bad default: expected a duration like 30s or 1h30m: "
                              "invalid duration \"soon\"");
}
END_TEST

START_TEST(refuse_duplicate_name) {
  copy_file(pp(pdir, "good"), pp(tmpdir, "good"), 0755);
  capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_int_eq(capz_loader_add_dir(l, pdir, &err), 0);
  ck_assert_int_eq(capz_loader_add_dir(l, tmpdir, &err), 0);
  ck_assert_int_eq(capz_loader_load(l, pp(pdir, "good"), NULL, &err), 0);
  ck_assert_int_ne(capz_loader_load(l, pp(tmpdir, "good"), NULL, &err), 0);
  char want[3 * PATH_MAX + 128];
  snprintf(want, sizeof want, "refusing plugin %s/good.so: duplicate plugin name 'good' (already loaded from %s/good.so)",
           tmpdir, pdir);
  ck_assert_str_eq(err.msg, want);
  ck_assert_uint_eq(capz_loader_count(l), 1);
  capz_loader_free(l);
}
END_TEST

START_TEST(refuse_unsafe_files) {
  copy_file(pp(pdir, "good-two"), pp(tmpdir, "good-two"), 0666);
  ck_assert_int_eq(mkdir(pp(tmpdir, "adir"), 0755), 0);
  ck_assert_int_eq(symlink(pp(pdir, "good"), pp(tmpdir, "link")), 0);
  capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_int_eq(capz_loader_add_dir(l, tmpdir, &err), 0);
  char want[3 * PATH_MAX];

  ck_assert_int_ne(capz_loader_load(l, pp(tmpdir, "good-two"), NULL, &err), 0);
  snprintf(want, sizeof want, "refusing plugin %s/good-two.so: world-writable file (mode 0666)", tmpdir);
  ck_assert_str_eq(err.msg, want);

  ck_assert_int_ne(capz_loader_load(l, pp(tmpdir, "adir"), NULL, &err), 0);
  snprintf(want, sizeof want, "refusing plugin %s/adir.so: not a regular file", tmpdir);
  ck_assert_str_eq(err.msg, want);

  ck_assert_int_ne(capz_loader_load(l, pp(tmpdir, "link"), NULL, &err), 0);
  snprintf(want, sizeof want, "refusing plugin %s/link.so: not a regular file", tmpdir);
  ck_assert_str_eq(err.msg, want);

  /* Only files directly in a configured directory. */
  ck_assert_int_ne(capz_loader_load(l, pp(pdir, "good"), NULL, &err), 0);
  snprintf(want, sizeof want, "refusing plugin %s/good.so: not in a configured plugin directory", pdir);
  ck_assert_str_eq(err.msg, want);

  /* Not a shared object at all: refused by dlopen, and the loader carries on. */
  unsigned char garbage[4096];
  unsigned seed = 3;
  for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (unsigned char)(rand_r(&seed) & 0xff);
  tmpfiles_write(pp(tmpdir, "garbage"), garbage, sizeof garbage);
  ck_assert_int_eq(chmod(pp(tmpdir, "garbage"), 0644), 0);
  ck_assert_int_ne(capz_loader_load(l, pp(tmpdir, "garbage"), NULL, &err), 0);
  snprintf(want, sizeof want, "refusing plugin %s/garbage.so: dlopen failed: ", tmpdir);
  ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got: %s", err.msg);
  ck_assert_ptr_null(strchr(err.msg, '\n'));

  /* Once fixed, the same file loads. */
  ck_assert_int_eq(chmod(pp(tmpdir, "good-two"), 0755), 0);
  ck_assert_int_eq(capz_loader_load(l, pp(tmpdir, "good-two"), NULL, &err), 0);
  ck_assert_uint_eq(capz_loader_count(l), 1);
  capz_loader_free(l);
}
END_TEST

START_TEST(keeps_good_plugins_after_refusals) {
  capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_int_eq(capz_loader_add_dir(l, pdir, &err), 0);
  char **paths = NULL;
  size_t n = 0;
  ck_assert_int_eq(capz_loader_list_dir(pdir, &paths, &n, &err), 0);
  ck_assert_uint_ge(n, 15);
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) ok += capz_loader_load(l, paths[i], NULL, &err) == 0;
  /* admission, big-desc, good, good-two, init-fails (init is not the loader's business); kind-clash
   * sorts after good and is refused. */
  ck_assert_uint_eq(ok, 5);
  ck_assert_uint_eq(capz_loader_count(l), 5);
  for (size_t i = 1; i < n; i++) ck_assert_int_lt(strcmp(paths[i - 1], paths[i]), 0);
  capz_loader_free_paths(paths, n);
  capz_loader_free(l);
}
END_TEST

START_TEST(names_and_stems) {
  char s[64];
  ck_assert(capz_plugin_file_stem("/a/b/self-managed.so", s, sizeof s));
  ck_assert_str_eq(s, "self-managed");
  ck_assert(!capz_plugin_file_stem("/a/b/x.so.1", s, sizeof s));
  ck_assert(!capz_plugin_file_stem("/a/b/.so", s, sizeof s));
  ck_assert(capz_plugin_name_valid("aks"));
  ck_assert(capz_plugin_name_valid("machine-pool2"));
  ck_assert(!capz_plugin_name_valid("Aks"));
  ck_assert(!capz_plugin_name_valid("-x"));
  ck_assert(!capz_plugin_name_valid("x-"));
  ck_assert(!capz_plugin_name_valid(""));
  ck_assert(!capz_plugin_name_valid("a_b"));
  ck_assert(!capz_plugin_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 64 */
  capz_err err;
  capz_loader *l = capz_loader_new();
  ck_assert_int_eq(capz_loader_add_dir(l, "/nonexistent-capz-dir", &err), CAPZ_ENOTFOUND);
  capz_loader_free(l);
}
END_TEST

int main(void) {
  Suite *s = suite_create("loader");
  TCase *tc = tcase_create("loader");
  tcase_add_unchecked_fixture(tc, base_setup, tmpfiles_base_remove);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, good_plugin_is_copied);
  tcase_add_test(tc, bigger_descriptor_reads_known_part);
  tcase_add_test(tc, refuse_missing_entry);
  tcase_add_test(tc, refuse_other_major);
  tcase_add_test(tc, refuse_newer_minor);
  tcase_add_test(tc, refuse_small_descriptor);
  tcase_add_test(tc, refuse_missing_callbacks);
  tcase_add_test(tc, refuse_small_or_malformed_parts);
  tcase_add_test(tc, refuse_kind_claimed_twice);
  tcase_add_test(tc, refuse_bad_names);
  tcase_add_test(tc, refuse_bad_schema);
  tcase_add_test(tc, refuse_duplicate_name);
  tcase_add_test(tc, refuse_unsafe_files);
  tcase_add_test(tc, keeps_good_plugins_after_refusals);
  tcase_add_test(tc, names_and_stems);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
