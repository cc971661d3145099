/* test_json_pointer.c — RFC 6901 lookup, typed getters, set and delete. */
#include <math.h>
#include "tjson.h"

static const char *RFC6901_DOC =
    "{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
    "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}";

START_TEST(rfc6901_examples) {
  cJSON *d = tj(RFC6901_DOC);
  ck_assert_ptr_eq(capz_json_ptr_get(d, ""), d);
  ck_assert_json_eq(capz_json_ptr_get(d, "/foo"), "[\"bar\",\"baz\"]");
  ck_assert_str_eq(capz_json_ptr_str(d, "/foo/0", NULL), "bar");
  ck_assert_str_eq(capz_json_ptr_str(d, "/foo/1", NULL), "baz");
  struct { const char *p; int v; } cases[] = {{"/", 0}, {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
                                               {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7}, {"/m~0n", 8}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    ck_assert_msg(capz_json_ptr_int(d, cases[i].p, -1) == cases[i].v, "pointer %s", cases[i].p);
  cJSON_Delete(d);
}
END_TEST

START_TEST(malformed_and_absent) {
  cJSON *d = tj("{\"foo\":[\"bar\",\"baz\"],\"m~n\":1,\"~1\":2,\"x\":{\"y\":null}}");
  const char *bad[] = {"foo", "/m~2n", "/m~", "/foo/01", "/foo/-", "/foo/2", "/foo/-1", "/foo/1e0",
                       "/foo/ 1", "/foo/+1", "/nope", "/foo/0/x", "/x/y/z", "//", "/foo/18446744073709551617",
                       "#/foo", "/m~n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(capz_json_ptr_get(d, bad[i]) == NULL, "pointer %s should not resolve", bad[i]);
  ck_assert_ptr_null(capz_json_ptr_get(d, NULL));
  ck_assert_ptr_null(capz_json_ptr_get(NULL, ""));
  ck_assert_int_eq(capz_json_ptr_int(d, "/~01", 0), 2); /* "~01" is "~1", not "/" */
  ck_assert_ptr_nonnull(capz_json_ptr_get(d, "/x/y"));
  ck_assert(cJSON_IsNull(capz_json_ptr_get(d, "/x/y")));
  cJSON_Delete(d);
}
END_TEST

START_TEST(typed_getters) {
  cJSON *d = tj("{\"i\":3,\"f\":3.0,\"h\":3.5,\"big\":9007199254740992,\"neg\":-9007199254740991,"
                "\"huge\":1e300,\"s\":\"7\",\"t\":true,\"fl\":false,\"n\":null}");
  ck_assert_int_eq(capz_json_ptr_int(d, "/i", -1), 3);
  ck_assert_int_eq(capz_json_ptr_int(d, "/f", -1), 3);
  ck_assert_int_eq(capz_json_ptr_int(d, "/h", -1), -1);
  ck_assert(capz_json_ptr_int(d, "/big", -1) == 9007199254740992LL);
  ck_assert(capz_json_ptr_int(d, "/neg", 0) == -9007199254740991LL);
  ck_assert_int_eq(capz_json_ptr_int(d, "/huge", -1), -1);
  ck_assert_int_eq(capz_json_ptr_int(d, "/s", -1), -1);
  ck_assert_int_eq(capz_json_ptr_int(d, "/t", -1), -1);
  ck_assert_str_eq(capz_json_ptr_str(d, "/s", "d"), "7");
  ck_assert_str_eq(capz_json_ptr_str(d, "/i", "d"), "d");
  ck_assert_str_eq(capz_json_ptr_str(d, "/n", "d"), "d");
  ck_assert_ptr_null(capz_json_ptr_str(d, "/missing", NULL));
  ck_assert(capz_json_ptr_bool(d, "/t", false) == true);
  ck_assert(capz_json_ptr_bool(d, "/fl", true) == false);
  ck_assert(capz_json_ptr_bool(d, "/s", true) == true);
  ck_assert(capz_json_ptr_bool(d, "/n", false) == false);
  cJSON_Delete(d);
  cJSON *nan = cJSON_CreateNumber(NAN);
  ck_assert_int_eq(capz_json_ptr_int(nan, "", 42), 42);
  cJSON_Delete(nan);
}
END_TEST

START_TEST(set_creates_and_replaces) {
  capz_err e;
  cJSON *d = tj("{\"a\":{\"b\":1},\"arr\":[1,2]}");
  ck_assert_int_eq(capz_json_ptr_set(d, "/a/b", cJSON_CreateNumber(5), &e), 0);
  ck_assert_int_eq(capz_json_ptr_set(d, "/x/y/z", cJSON_CreateTrue(), &e), 0);
  ck_assert_int_eq(capz_json_ptr_set_str(d, "/metadata/labels/app~1name", "web", &e), 0);
  ck_assert_int_eq(capz_json_ptr_set(d, "/arr/-", cJSON_CreateNumber(3), &e), 0);
  ck_assert_int_eq(capz_json_ptr_set(d, "/arr/0", cJSON_CreateString("one"), &e), 0);
  ck_assert_int_eq(capz_json_ptr_set(d, "/arr/3", cJSON_CreateNumber(9), &e), 0); /* == size: appends */
  ck_assert_json_eq(d, "{\"a\":{\"b\":5},\"arr\":[\"one\",2,3,9],\"x\":{\"y\":{\"z\":true}},"
                       "\"metadata\":{\"labels\":{\"app/name\":\"web\"}}}");
  /* errors: value freed (ASan would report a leak otherwise), doc unchanged */
  cJSON *before = cJSON_Duplicate(d, 1);
  ck_assert_int_eq(capz_json_ptr_set(d, "/arr/7", cJSON_CreateNumber(1), &e), CAPZ_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "/arr/7"));
  ck_assert_int_eq(capz_json_ptr_set(d, "/a/b/c", cJSON_CreateNumber(1), &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_set(d, "/arr/x/y", cJSON_CreateNumber(1), &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_set(d, "a", cJSON_CreateNumber(1), &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_set(d, "/~2", cJSON_CreateNumber(1), &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_set(d, "/a", NULL, &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_set(NULL, "/a", cJSON_CreateNumber(1), NULL), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_set_str(d, "/a", NULL, &e), CAPZ_EINVAL);
  ck_assert(capz_json_equal(d, before));
  cJSON_Delete(before);
  /* "" replaces the whole document in place */
  ck_assert_int_eq(capz_json_ptr_set(d, "", tj("[1,{\"k\":\"v\"}]"), &e), 0);
  ck_assert_json_eq(d, "[1,{\"k\":\"v\"}]");
  cJSON_Delete(d);
}
END_TEST

START_TEST(set_replaces_member_keeping_place) {
  cJSON *d = tj("{\"spec\":{\"x\":{\"deep\":[1,2,3]},\"y\":2}}");
  ck_assert_int_eq(capz_json_ptr_set(d, "/spec/x", cJSON_CreateString("s"), NULL), 0);
  char *p = cJSON_PrintUnformatted(d);
  ck_assert_str_eq(p, "{\"spec\":{\"x\":\"s\",\"y\":2}}");
  free(p);
  cJSON_Delete(d);
}
END_TEST

START_TEST(delete) {
  cJSON *d = tj("{\"a\":{\"b\":1,\"c\":2},\"arr\":[1,2,3],\"m~n\":0}");
  ck_assert_int_eq(capz_json_ptr_del(d, "/a/b"), 0);
  ck_assert_int_eq(capz_json_ptr_del(d, "/arr/1"), 0);
  ck_assert_int_eq(capz_json_ptr_del(d, "/m~0n"), 0);
  ck_assert_int_eq(capz_json_ptr_del(d, "/a/b"), CAPZ_ENOTFOUND);
  ck_assert_int_eq(capz_json_ptr_del(d, "/arr/2"), CAPZ_ENOTFOUND);
  ck_assert_int_eq(capz_json_ptr_del(d, "/arr/-"), CAPZ_ENOTFOUND);
  ck_assert_int_eq(capz_json_ptr_del(d, "/zz/y"), CAPZ_ENOTFOUND);
  ck_assert_int_eq(capz_json_ptr_del(d, "/a~"), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_del(d, ""), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_del(NULL, "/a"), CAPZ_ENOTFOUND);
  ck_assert_json_eq(d, "{\"a\":{\"c\":2},\"arr\":[1,3]}");
  cJSON_Delete(d);
}
END_TEST

START_TEST(long_pointer_and_deep_set) {
  /* 2000 levels created by set, read back by get: nothing recursive on the pointer path. */
  size_t depth = 2000;
  char *ptr = malloc(depth * 2 + 1);
  for (size_t i = 0; i < depth; i++) memcpy(ptr + 2 * i, "/k", 2);
  ptr[depth * 2] = '\0';
  cJSON *d = cJSON_CreateObject();
  ck_assert_int_eq(capz_json_ptr_set_str(d, ptr, "leaf", NULL), 0);
  ck_assert_str_eq(capz_json_ptr_str(d, ptr, NULL), "leaf");
  ck_assert_int_eq(capz_json_ptr_del(d, ptr), 0);
  ck_assert_ptr_null(capz_json_ptr_get(d, ptr));
  cJSON_Delete(d);
  free(ptr);
}
END_TEST

START_TEST(append_tokens) {
  char buf[64] = "/metadata/labels";
  ck_assert_int_eq(capz_json_ptr_append(buf, sizeof buf, "cluster.x-k8s.io/cluster-name"), 0);
  ck_assert_str_eq(buf, "/metadata/labels/cluster.x-k8s.io~1cluster-name");
  cJSON *d = tj("{\"metadata\":{\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c1\"}}}");
  ck_assert_str_eq(capz_json_ptr_str(d, buf, ""), "c1");
  cJSON_Delete(d);
  char b2[16] = "";
  ck_assert_int_eq(capz_json_ptr_append(b2, sizeof b2, "a~b"), 0);
  ck_assert_int_eq(capz_json_ptr_append(b2, sizeof b2, ""), 0);
  ck_assert_str_eq(b2, "/a~0b/");
  ck_assert_int_eq(capz_json_ptr_append(b2, sizeof b2, "0123456789"), CAPZ_EINVAL);
  ck_assert_int_eq(strlen(b2), 15);
  char b3[7] = "";
  ck_assert_int_eq(capz_json_ptr_append(b3, sizeof b3, "a/b/"), CAPZ_EINVAL); /* needs 8 bytes */
  ck_assert_int_eq(capz_json_ptr_append(NULL, 4, "x"), CAPZ_EINVAL);
  ck_assert_int_eq(capz_json_ptr_append(b3, sizeof b3, NULL), CAPZ_EINVAL);
}
END_TEST

Suite *pointer_suite(void) {
  Suite *s = suite_create("json_pointer");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, rfc6901_examples);
  tcase_add_test(tc, malformed_and_absent);
  tcase_add_test(tc, typed_getters);
  tcase_add_test(tc, set_creates_and_replaces);
  tcase_add_test(tc, set_replaces_member_keeping_place);
  tcase_add_test(tc, delete);
  tcase_add_test(tc, long_pointer_and_deep_set);
  tcase_add_test(tc, append_tokens);
  suite_add_tcase(s, tc);
  return s;
}
