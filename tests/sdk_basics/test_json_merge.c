/* test_json_merge.c — RFC 7386 merge patch (appendix A cases, re-typed) and merge diff. */
#include "tjson.h"

static const char *RFC7386[][3] = {
    {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
    {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
    {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
    {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
    {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
    {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
    {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
    {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
    {"{\"a\":\"foo\"}", "null", "null"},
    {"{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
    {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
    {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
    {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
};

START_TEST(rfc7386_appendix) {
  for (size_t i = 0; i < sizeof RFC7386 / sizeof RFC7386[0]; i++) {
    cJSON *t = tj(RFC7386[i][0]), *p = tj(RFC7386[i][1]);
    cJSON *before = cJSON_Duplicate(t, 1);
    cJSON *r = capz_json_merge_patch(t, p);
    ck_assert_json_eq(r, RFC7386[i][2]);
    ck_assert_msg(capz_json_equal(t, before), "case %zu modified its target", i);
    cJSON_Delete(r);
    cJSON_Delete(t);
    cJSON_Delete(p);
    cJSON_Delete(before);
  }
}
END_TEST

START_TEST(null_target_and_patch) {
  cJSON *p = tj("{\"a\":{\"b\":null,\"c\":[null]}}");
  cJSON *r = capz_json_merge_patch(NULL, p);
  ck_assert_json_eq(r, "{\"a\":{\"c\":[null]}}");
  cJSON_Delete(r);
  cJSON *t = tj("{\"x\":1}");
  r = capz_json_merge_patch(t, NULL);
  ck_assert_json_eq(r, "{\"x\":1}");
  cJSON_Delete(r);
  cJSON_Delete(t);
  cJSON_Delete(p);
}
END_TEST

static void roundtrip(const char *from_s, const char *to_s, const char *want_diff) {
  cJSON *from = tj(from_s), *to = tj(to_s);
  cJSON *d = capz_json_merge_diff(from, to);
  ck_assert_ptr_nonnull(d);
  if (want_diff) ck_assert_json_eq(d, want_diff);
  cJSON *applied = capz_json_merge_patch(from, d);
  char *ds = cJSON_PrintUnformatted(d);
  ck_assert_msg(capz_json_equal(applied, to), "apply(%s, %s) != %s", from_s, ds, to_s);
  free(ds);
  cJSON_Delete(applied);
  cJSON_Delete(d);
  cJSON_Delete(from);
  cJSON_Delete(to);
}

START_TEST(diff_roundtrips) {
  roundtrip("{\"a\":1,\"b\":{\"c\":2,\"d\":[1,2]}}", "{\"a\":1,\"b\":{\"c\":2,\"d\":[1,2]}}", "{}");
  roundtrip("{\"a\":1,\"b\":2}", "{\"a\":1}", "{\"b\":null}");
  roundtrip("{\"a\":1}", "{\"a\":1,\"b\":{\"x\":[1]}}", "{\"b\":{\"x\":[1]}}");
  roundtrip("{\"a\":{\"b\":{\"c\":1,\"d\":2}}}", "{\"a\":{\"b\":{\"c\":1,\"d\":3,\"e\":4}}}",
            "{\"a\":{\"b\":{\"d\":3,\"e\":4}}}");
  roundtrip("{\"a\":[1,2,3]}", "{\"a\":[1,2]}", "{\"a\":[1,2]}");
  roundtrip("{\"a\":{\"x\":1}}", "{\"a\":\"str\"}", "{\"a\":\"str\"}");
  roundtrip("{\"a\":\"str\"}", "{\"a\":{\"x\":1}}", "{\"a\":{\"x\":1}}");
  roundtrip("{\"a\":1.0}", "{\"a\":1}", "{}");
  roundtrip("[1,2]", "[2]", "[2]");
  roundtrip("{\"a\":1}", "[1]", "[1]");
  roundtrip("\"x\"", "{\"a\":1}", "{\"a\":1}");
  roundtrip("{\"tags\":{\"k1\":\"v1\",\"k2\":\"v2\"}}", "{\"tags\":{\"k2\":\"v2\",\"k3\":\"v3\"}}",
            "{\"tags\":{\"k1\":null,\"k3\":\"v3\"}}");
}
END_TEST

START_TEST(equal_semantics) {
  struct { const char *a, *b; bool eq; } c[] = {
      {"{\"a\":1,\"b\":[1,{\"c\":null}]}", "{\"b\":[1,{\"c\":null}],\"a\":1.0}", true},
      {"{\"a\":1}", "{\"a\":1,\"b\":2}", false},
      {"{\"a\":1,\"b\":2}", "{\"a\":1}", false},
      {"[1,2]", "[2,1]", false},
      {"[1,2]", "[1,2,3]", false},
      {"true", "false", false},
      {"null", "null", true},
      {"\"a\"", "\"A\"", false},
      {"0", "-0", true},
      {"1e2", "100", true},
      {"{}", "[]", false},
      {"\"1\"", "1", false},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    cJSON *a = tj(c[i].a), *b = tj(c[i].b);
    ck_assert_msg(capz_json_equal(a, b) == c[i].eq, "%s vs %s", c[i].a, c[i].b);
    ck_assert_msg(capz_json_equal(b, a) == c[i].eq, "%s vs %s (swapped)", c[i].b, c[i].a);
    cJSON_Delete(a);
    cJSON_Delete(b);
  }
  ck_assert(capz_json_equal(NULL, NULL));
  cJSON *n = cJSON_CreateNull();
  ck_assert(!capz_json_equal(n, NULL));
  cJSON_Delete(n);
}
END_TEST

Suite *merge_suite(void) {
  Suite *s = suite_create("json_merge");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, rfc7386_appendix);
  tcase_add_test(tc, null_target_and_patch);
  tcase_add_test(tc, diff_roundtrips);
  tcase_add_test(tc, equal_semantics);
  suite_add_tcase(s, tc);
  return s;
}
