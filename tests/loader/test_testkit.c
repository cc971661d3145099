/* test_testkit.c — the plugin-author test kit: open through the real loader, config, admission
 * hooks on fixtures, shutdown. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "capz/json.h"
#include "capz/testkit.h"
#include "ckrun.h"
#include "tmpfiles.h"

static char pdir[PATH_MAX], fixtures[PATH_MAX];

static void setup(void) {
  const char *b = getenv("CAPZ_BUILD_DIR"), *s = getenv("CAPZ_SOURCE_DIR");
  snprintf(pdir, sizeof pdir, "%.4000s/tests/loader-plugins", b ? b : ".");
  snprintf(fixtures, sizeof fixtures, "%.4000s/tests/loader/fixtures", s ? s : ".");
}

static const char *path_of(const char *dir, const char *file) {
  static char buf[2 * PATH_MAX];
  snprintf(buf, sizeof buf, "%.4000s/%.200s", dir, file);
  return buf;
}

START_TEST(admission_hooks_on_fixtures) {
  capz_err err;
  const char *cfg[] = {"maxReplicas", "3", NULL};
  capz_testkit *tk = capz_testkit_open(path_of(pdir, "admission.so"), cfg, &err);
  ck_assert_msg(tk != NULL, "%s", err.msg);
  ck_assert_str_eq(capz_testkit_plugin(tk)->desc.name, "admission");
  ck_assert_int_eq(capz_plugin_config_int(capz_testkit_config(tk), "maxReplicas"), 3);
  ck_assert_ptr_nonnull(capz_testkit_controller(tk, "Pool.test.capz.io"));
  ck_assert_ptr_null(capz_testkit_controller(tk, "Pool"));

  cJSON *obj = capz_testkit_fixture(path_of(fixtures, "pool.yaml"), &err);
  ck_assert_msg(obj != NULL, "%s", err.msg);
  ck_assert_int_eq(capz_testkit_default(tk, NULL, obj, &err), 0); /* kind from the object */
  ck_assert_int_eq(capz_json_ptr_int(obj, "/spec/replicas", -1), 1);
  ck_assert_int_eq(capz_testkit_validate(tk, NULL, obj, NULL, &err), 0);

  capz_json_ptr_set(obj, "/spec/replicas", cJSON_CreateNumber(4), &err);
  ck_assert_int_eq(capz_testkit_validate(tk, NULL, obj, NULL, &err), CAPZ_EINVAL);
  ck_assert_str_eq(err.msg, "spec.replicas: must be 0..3, got 4");

  cJSON *old = cJSON_Duplicate(obj, 1);
  capz_json_ptr_set(obj, "/spec/replicas", cJSON_CreateNumber(2), &err);
  capz_json_ptr_set_str(obj, "/spec/location", "eastus", &err);
  ck_assert_int_eq(capz_testkit_validate(tk, "Pool.test.capz.io", obj, old, &err), CAPZ_EINVAL);
  ck_assert_str_eq(err.msg, "spec.location: field is immutable");

  ck_assert_int_eq(capz_testkit_validate(tk, "Other.test.capz.io", obj, NULL, &err), CAPZ_ENOTFOUND);
  cJSON_Delete(old);
  cJSON_Delete(obj);
  capz_testkit_close(tk);
}
END_TEST

START_TEST(open_reports_loader_config_and_init_errors) {
  capz_err err;
  char want[3 * PATH_MAX];
  ck_assert_ptr_null(capz_testkit_open(path_of(pdir, "bad-major.so"), NULL, &err));
  snprintf(want, sizeof want, "refusing plugin %s/bad-major.so: ABI major 2 is not supported (plugin ABI 2.0, host ABI 1.0)",
           pdir);
  ck_assert_str_eq(err.msg, want);
  ck_assert_ptr_null(capz_testkit_open(path_of(pdir, "good-two.so"), NULL, &err));
  ck_assert_str_eq(err.msg, "plugin good-two: config: required key 'zone' (string) is missing");
  const char *bad[] = {"maxReplicas", "abc", NULL};
  ck_assert_ptr_null(capz_testkit_open(path_of(pdir, "admission.so"), bad, &err));
  ck_assert_str_eq(err.msg, "plugin admission: config: key 'maxReplicas' (int): expected an integer, got \"abc\"");
  ck_assert_ptr_null(capz_testkit_open(path_of(pdir, "init-fails.so"), NULL, &err));
  ck_assert_str_eq(err.msg, "plugin init-fails: init failed: no credentials configured");
}
END_TEST

START_TEST(close_calls_shutdown) {
  char marker[] = "/tmp/capz-testkit-XXXXXX";
  int fd = mkstemp(marker);
  ck_assert_int_ge(fd, 0);
  close(fd);
  unlink(marker);
  capz_err err;
  const char *cfg[] = {"marker", marker, "count", "9", NULL};
  capz_testkit *tk = capz_testkit_open(path_of(pdir, "good.so"), cfg, &err);
  ck_assert_msg(tk != NULL, "%s", err.msg);
  ck_assert_ptr_nonnull(capz_testkit_state(tk));
  ck_assert_int_ne(access(marker, F_OK), 0);
  capz_testkit_close(tk);
  char *got = tmpfiles_read(marker, NULL); /* written by the plugin's shutdown */
  ck_assert_ptr_nonnull(got);
  unlink(marker);
  ck_assert_str_eq(got, "greeting=hello count=9 period_ms=30000 loud=0 ratio=0.50\n");
  free(got);
}
END_TEST

int main(void) {
  Suite *s = suite_create("testkit");
  TCase *tc = tcase_create("testkit");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, admission_hooks_on_fixtures);
  tcase_add_test(tc, open_reports_loader_config_and_init_errors);
  tcase_add_test(tc, close_calls_shutdown);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
