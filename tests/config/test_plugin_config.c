/* test_plugin_config.c — Go-style durations and the plugin config builder + accessors. */
#include <check.h>
#include <string.h>
#include "capz/loader.h"
#include "ckrun.h"

START_TEST(durations) {
  static const struct { const char *in; int64_t ms; } ok[] = {
      {"0", 0}, {"45s", 45000}, {"500ms", 500}, {"1h30m", 5400000}, {"1.5h", 5400000}, {"2m3s", 123000},
      {"1h2m3s4ms", 3723004}, {"250us", 0}, {"1500000us", 1500}, {"3000000ns", 3}, {".5s", 500},
      {"1.s", 1000}, {"+10s", 10000}, {"1\xc2\xb5s", 0}, {"2562047h", 2562047LL * 3600000LL}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t ms = -1;
    capz_err e;
    capz_err_clear(&e);
    ck_assert_msg(capz_duration_parse_ms(ok[i].in, &ms, &e) == 0, "%s: %s", ok[i].in, e.msg);
    ck_assert_msg(ms == ok[i].ms, "%s: got %lld want %lld", ok[i].in, (long long)ms, (long long)ok[i].ms);
  }
  static const char *bad[] = {"", "10", "s", "1x", "-1s", "1h-", "1.h.", "9999999999999999999h", "2562048h",
                              "1h 30m", " 1s", "1s ", "."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ms = 77;
    capz_err e;
    capz_err_clear(&e);
    ck_assert_msg(capz_duration_parse_ms(bad[i], &ms, &e) == CAPZ_EINVAL, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(ms, 77);
    ck_assert_str_ne(e.msg, "");
  }
  capz_err e;
  capz_duration_parse_ms("10", NULL, &e);
  ck_assert_str_eq(e.msg, "missing or unknown unit in duration \"10\" (use ns, us, ms, s, m, h)");
}
END_TEST

static const capz_cfg_field schema[] = {
    {sizeof(capz_cfg_field), "name", CAPZ_CFG_STRING, "anon", "a name"},
    {sizeof(capz_cfg_field), "count", CAPZ_CFG_INT, "5", "a count"},
    {sizeof(capz_cfg_field), "on", CAPZ_CFG_BOOL, "false", "a switch"},
    {sizeof(capz_cfg_field), "wait", CAPZ_CFG_DURATION, "1m", "a wait"},
    {sizeof(capz_cfg_field), "ratio", CAPZ_CFG_FLOAT, "0.5", "a ratio"},
    {sizeof(capz_cfg_field), "region", CAPZ_CFG_STRING, NULL, "required"},
};

START_TEST(config_values_and_defaults) {
  const char *keys[] = {"count", "region", "on", "wait"};
  const char *vals[] = {"-12", "westus", "True", "1h30m"};
  capz_err e;
  size_t bad = 99;
  capz_plugin_config *c = capz_plugin_config_new(schema, 6, keys, vals, 4, &bad, &e);
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(capz_plugin_config_str(c, "name"), "anon");
  ck_assert_str_eq(capz_plugin_config_str(c, "region"), "westus");
  ck_assert_str_eq(capz_plugin_config_str(c, "count"), "-12");
  ck_assert_int_eq(capz_plugin_config_int(c, "count"), -12);
  ck_assert(capz_plugin_config_bool(c, "on"));
  ck_assert_int_eq(capz_plugin_config_duration_ms(c, "wait"), 5400000);
  ck_assert_double_eq(capz_plugin_config_float(c, "ratio"), 0.5);
  ck_assert_double_eq(capz_plugin_config_float(c, "count"), -12.0);
  /* unknown keys and wrong-typed reads give the zero value */
  ck_assert_ptr_null(capz_plugin_config_str(c, "nope"));
  ck_assert_int_eq(capz_plugin_config_int(c, "nope"), 0);
  ck_assert(!capz_plugin_config_bool(c, "count"));
  ck_assert_int_eq(capz_plugin_config_duration_ms(c, "count"), 0);
  ck_assert_ptr_null(capz_plugin_config_str(NULL, "name"));
  capz_plugin_config_free(c);
}
END_TEST

START_TEST(config_errors) {
  capz_err e;
  size_t bad = 99;
  const char *k1[] = {"region", "count"};
  const char *v1[] = {"x", "12abc"};
  ck_assert_ptr_null(capz_plugin_config_new(schema, 6, k1, v1, 2, &bad, &e));
  ck_assert_uint_eq(bad, 1);
  ck_assert_str_eq(e.msg, "key 'count' (int): expected an integer, got \"12abc\"");
  const char *k2[] = {"region", "colour"};
  ck_assert_ptr_null(capz_plugin_config_new(schema, 6, k2, v1, 2, &bad, &e));
  ck_assert_uint_eq(bad, 1);
  ck_assert_str_eq(e.msg, "unknown key 'colour'");
  const char *k3[] = {"name"};
  const char *v3[] = {"n"};
  ck_assert_ptr_null(capz_plugin_config_new(schema, 6, k3, v3, 1, &bad, &e));
  ck_assert_uint_eq(bad, 1); /* == nvalues: a required key is missing */
  ck_assert_str_eq(e.msg, "required key 'region' (string) is missing");
  const char *k4[] = {"region", "on"};
  const char *v4[] = {"x", "yes"};
  ck_assert_ptr_null(capz_plugin_config_new(schema, 6, k4, v4, 2, &bad, &e));
  ck_assert_str_eq(e.msg, "key 'on' (bool): expected true or false, got \"yes\"");
  const char *k5[] = {"region", "region"};
  ck_assert_ptr_null(capz_plugin_config_new(schema, 6, k5, v4, 2, &bad, &e));
  ck_assert_str_eq(e.msg, "key 'region' given twice");
  const char *k6[] = {"region", "ratio"};
  const char *v6[] = {"x", "inf"};
  ck_assert_ptr_null(capz_plugin_config_new(schema, 6, k6, v6, 2, &bad, &e));
  ck_assert_str_eq(e.msg, "key 'ratio' (float): expected a number, got \"inf\"");
  /* an empty schema gives an empty, usable config */
  capz_plugin_config *c = capz_plugin_config_new(NULL, 0, NULL, NULL, 0, NULL, &e);
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_null(capz_plugin_config_str(c, "x"));
  capz_plugin_config_free(c);
  ck_assert_str_eq(capz_cfg_type_name(CAPZ_CFG_DURATION), "duration");
  ck_assert_str_eq(capz_cfg_type_name(0), "unknown");
}
END_TEST

int main(void) {
  Suite *s = suite_create("plugin_config");
  TCase *tc = tcase_create("plugin_config");
  tcase_add_test(tc, durations);
  tcase_add_test(tc, config_values_and_defaults);
  tcase_add_test(tc, config_errors);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
