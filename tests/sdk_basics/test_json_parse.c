/* test_json_parse.c — capz_json_parse: errors with line/column, trailing data, hostile input. */
#include <stdio.h>
#include "tjson.h"

static void expect_error(const char *text, size_t len, const char *where) {
  capz_err e;
  capz_err_clear(&e);
  cJSON *j = capz_json_parse(text, len, &e);
  ck_assert_msg(j == NULL, "parsed %.40s", text);
  ck_assert_int_eq(e.code, CAPZ_EINVAL);
  ck_assert_msg(strstr(e.msg, where) != NULL, "message '%s' lacks '%s'", e.msg, where);
}

START_TEST(valid_documents) {
  const char *ok[] = {"{}", "[]", " \n{\"a\" : [1, -2.5e3, true, false, null, \"\\u00e9\\n\"]}\n ", "0", "\"s\"",
                      "null"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    capz_err e;
    cJSON *j = capz_json_parse(ok[i], strlen(ok[i]), &e);
    ck_assert_msg(j != NULL, "%s: %s", ok[i], j ? "" : e.msg);
    cJSON_Delete(j);
  }
  /* len bounds the input: no NUL terminator needed */
  const char buf[] = {'[', '1', ']', 'X'};
  cJSON *j = capz_json_parse(buf, 3, NULL);
  ck_assert_json_eq(j, "[1]");
  cJSON_Delete(j);
}
END_TEST

START_TEST(error_positions) {
  expect_error("{\n  \"a\": 1,\n  \"b\": tru\n}", 23, "line 3, column");
  expect_error("{\"a\":1}}", 8, "line 1, column 8");
  expect_error("{\"a\":1} x", 9, "trailing data");
  expect_error("", 0, "empty document");
  expect_error("   \n  ", 6, "line 2, column 3");
  expect_error("[1,2", 4, "line 1");
  expect_error("{\"a\":1}\0{}", 10, "NUL byte");
  expect_error("0x10", 4, "line 1, column 2");
  capz_err e;
  ck_assert_ptr_null(capz_json_parse(NULL, 3, &e));
  ck_assert_int_eq(e.code, CAPZ_EINVAL);
}
END_TEST

START_TEST(hostile_input) {
  /* deep nesting: rejected (cJSON's nesting limit), no crash */
  size_t depth = 100000;
  char *deep = malloc(depth * 2);
  memset(deep, '[', depth);
  memset(deep + depth, ']', depth);
  capz_err e;
  ck_assert_ptr_null(capz_json_parse(deep, depth * 2, &e));
  free(deep);
  /* binary garbage: every byte value, several seeds; must never crash */
  unsigned seed = 12345;
  char junk[512];
  for (int round = 0; round < 200; round++) {
    for (size_t i = 0; i < sizeof junk; i++) {
      seed = seed * 1103515245u + 12345u;
      junk[i] = (char)(seed >> 16);
    }
    if (round % 2) junk[0] = '{';
    cJSON *j = capz_json_parse(junk, sizeof junk, &e);
    cJSON_Delete(j);
  }
  /* a large document (~1 MB array of objects) parses */
  size_t n = 20000, cap = n * 48 + 16, k = 0;
  char *big = malloc(cap);
  big[k++] = '[';
  for (size_t i = 0; i < n; i++) k += (size_t)snprintf(big + k, cap - k, "%s{\"name\":\"item-%zu\",\"v\":%zu}", i ? "," : "", i, i);
  big[k++] = ']';
  cJSON *j = capz_json_parse(big, k, &e);
  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(cJSON_GetArraySize(j), (int)n);
  ck_assert_int_eq(capz_json_ptr_int(j, "/19999/v", -1), 19999);
  cJSON_Delete(j);
  free(big);
}
END_TEST

START_TEST(strict_grammar) {
  /* cJSON alone would accept several of these; the strict pre-check rejects them with positions */
  struct { const char *t, *where; } bad[] = {
      {"[01]", "column 3: leading zero"},      {"[1.]", "column 4: digits expected"},
      {"[-]", "invalid number"},               {"[\"a\tb\"]", "column 4: unescaped control"},
      {"[+1]", "column 2"},                    {"[\"\xff\"]", "invalid UTF-8"},
      {"[\"\xc3\x28\"]", "invalid UTF-8"}, {"[\"\xed\xa0\x80\"]", "invalid UTF-8"},
      {"[\"\\ud800\"]", "surrogate"},      {"[\"\\udc00\"]", "surrogate"},
      {"[1,]", "column 4"},                    {"{\"a\":1,}", "column 8: expected a string key"},
      {"[.5]", "column 2"},                    {"[1e]", "exponent"},
      {"[\"\\x\"]", "bad escape"},          {"[tru]", "column 2"},
      {"{'a':1}", "column 2"},                 {"[NaN]", "column 2"},
      {"[1 2]", "expected ',' or ']'"},        {"{\"a\" 1}", "expected ':'"},
      {"[\"\\u00\"]", "bad \\u escape"}, {"\"open", "unterminated string"},
      {"{\"a\":1", "unexpected end"},        {"[1]]", "trailing data"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_error(bad[i].t, strlen(bad[i].t), bad[i].where);
  const char *good[] = {"[-0]", "[1E+2]", "[0.5e-3]", "[\"\\ud83d\\ude00\"]", "[\"\xf0\x9f\x98\x80\"]",
                        "[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]", "{\"\":{}}", "-1.5"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    capz_err e;
    cJSON *j = capz_json_parse(good[i], strlen(good[i]), &e);
    ck_assert_msg(j != NULL, "%s: %s", good[i], e.msg);
    cJSON_Delete(j);
  }
  cJSON *j = capz_json_parse("[\"\\ud83d\\ude00\"]", 16, NULL);
  ck_assert_str_eq(cJSON_GetArrayItem(j, 0)->valuestring, "\xf0\x9f\x98\x80");
  cJSON_Delete(j);
  /* nesting: 1000 levels parse, 1001 do not */
  char *deep = malloc(2002);
  memset(deep, '[', 1001);
  memset(deep + 1001, ']', 1001);
  j = capz_json_parse(deep + 1, 2000, NULL);
  ck_assert_ptr_nonnull(j);
  cJSON_Delete(j);
  expect_error(deep, 2002, "nesting too deep");
  free(deep);
}
END_TEST

Suite *parse_suite(void) {
  Suite *s = suite_create("json_parse");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, valid_documents);
  tcase_add_test(tc, error_positions);
  tcase_add_test(tc, hostile_input);
  tcase_add_test(tc, strict_grammar);
  suite_add_tcase(s, tc);
  return s;
}
