/* test_json_patch.c — RFC 6902 (appendix A cases, re-typed), errors naming the op, subset, canonical. */
#include <math.h>
#include "tjson.h"

static cJSON *apply(const char *doc, const char *patch, capz_err *e) {
  cJSON *d = tj(doc), *p = tj(patch);
  capz_err_clear(e);
  cJSON *r = capz_json_patch_apply(d, p, e);
  cJSON *d2 = tj(doc);
  ck_assert_msg(capz_json_equal(d, d2), "target modified by %s", patch);
  cJSON_Delete(d2);
  cJSON_Delete(d);
  cJSON_Delete(p);
  return r;
}

static void ok(const char *doc, const char *patch, const char *want) {
  capz_err e;
  cJSON *r = apply(doc, patch, &e);
  ck_assert_msg(r != NULL, "%s failed: %s", patch, e.msg);
  ck_assert_json_eq(r, want);
  cJSON_Delete(r);
}

static void fails(const char *doc, const char *patch, int code, const char *frag) {
  capz_err e;
  cJSON *r = apply(doc, patch, &e);
  ck_assert_msg(r == NULL, "%s should fail", patch);
  ck_assert_int_eq(e.code, code);
  ck_assert_msg(strstr(e.msg, frag) != NULL, "message '%s' lacks '%s'", e.msg, frag);
}

START_TEST(rfc6902_appendix) {
  ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", "{\"baz\":\"qux\",\"foo\":\"bar\"}");
  ok("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
     "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
  ok("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}");
  ok("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}");
  ok("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
     "{\"baz\":\"boo\",\"foo\":\"bar\"}");
  ok("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
     "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
     "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
  ok("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}", "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
     "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
  ok("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
     "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
     "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
  fails("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", CAPZ_ECONFLICT, "op 0");
  ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
     "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
  ok("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
     "{\"foo\":\"bar\",\"baz\":\"qux\"}");
  fails("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", CAPZ_EINVAL, "parent");
  ok("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}");
  fails("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", CAPZ_ECONFLICT, "differs");
  ok("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
     "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}
END_TEST

START_TEST(more_ops) {
  ok("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1]}]", "[1]");
  ok("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}");
  ok("{\"a\":{\"b\":[1,2]}}", "[{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/c\"},"
                              "{\"op\":\"add\",\"path\":\"/c/0\",\"value\":0}]",
     "{\"a\":{\"b\":[1,2]},\"c\":[0,1,2]}");
  ok("{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":3},{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]",
     "{\"a\":[0,1,2,3]}");
  ok("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":null}]", "{\"a\":null}");
  ok("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1.0}]", "{\"a\":1}");
  ok("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", "{\"a\":{\"b\":1}}");
  ok("{\"m~n\":1,\"a/b\":2}", "[{\"op\":\"move\",\"from\":\"/m~0n\",\"path\":\"/a~1b\"}]", "{\"a/b\":1}");
  ok("{}", "[]", "{}");
}
END_TEST

START_TEST(patch_errors_name_the_op) {
  const char *d = "{\"a\":{\"b\":1},\"arr\":[1]}";
  fails(d, "{\"op\":\"add\"}", CAPZ_EINVAL, "not an array");
  fails(d, "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":1},{\"op\":\"remove\",\"path\":\"/zz\"}]", CAPZ_EINVAL,
        "op 1 (remove /zz): path not found");
  fails(d, "[{\"op\":\"replace\",\"path\":\"/zz\",\"value\":1}]", CAPZ_EINVAL, "op 0");
  fails(d, "[{\"op\":\"frob\",\"path\":\"/a\"}]", CAPZ_EINVAL, "unknown op");
  fails(d, "[{\"path\":\"/a\"}]", CAPZ_EINVAL, "\"op\"");
  fails(d, "[{\"op\":\"add\",\"path\":\"/a/c\"}]", CAPZ_EINVAL, "missing \"value\"");
  fails(d, "[{\"op\":\"move\",\"path\":\"/a/c\"}]", CAPZ_EINVAL, "from");
  fails(d, "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", CAPZ_EINVAL, "own children");
  fails(d, "[{\"op\":\"copy\",\"from\":\"/nope\",\"path\":\"/c\"}]", CAPZ_EINVAL, "not found");
  fails(d, "[{\"op\":\"add\",\"path\":\"/arr/2\",\"value\":1}]", CAPZ_EINVAL, "out of range");
  fails(d, "[{\"op\":\"add\",\"path\":\"/arr/01\",\"value\":1}]", CAPZ_EINVAL, "op 0");
  fails(d, "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", CAPZ_EINVAL, "malformed");
  fails(d, "[{\"op\":\"add\",\"path\":\"/a/b/c\",\"value\":1}]", CAPZ_EINVAL, "not an object or array");
  fails(d, "[{\"op\":\"remove\",\"path\":\"\"}]", CAPZ_EINVAL, "whole document");
  fails(d, "[{\"op\":\"test\",\"path\":\"/nope\",\"value\":1}]", CAPZ_ECONFLICT, "not found");
  fails(d, "[1]", CAPZ_EINVAL, "op 0");
}
END_TEST

static bool sub(const char *d, const char *a, const char *const *owned, unsigned flags, const char *want_path) {
  cJSON *dj = tj(d), *aj = tj(a);
  char path[128] = "junk";
  bool r = capz_json_subset(dj, aj, owned, flags, path, sizeof path);
  if (want_path) ck_assert_msg(strcmp(path, want_path) == 0, "diff path '%s', want '%s'", path, want_path);
  cJSON_Delete(dj);
  cJSON_Delete(aj);
  return r;
}

START_TEST(subset_basics) {
  const char *actual = "{\"location\":\"eastus\",\"properties\":{\"provisioningState\":\"Succeeded\","
                       "\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},\"subnets\":[{\"name\":\"a\","
                       "\"properties\":{\"prefix\":\"10.0.1.0/24\",\"id\":\"x\"}},{\"name\":\"b\",\"properties\":"
                       "{\"prefix\":\"10.0.2.0/24\"}}]},\"tags\":{\"k\":\"v\",\"n\":1}}";
  ck_assert(sub("{\"location\":\"eastus\",\"tags\":{\"k\":\"v\"}}", actual, NULL, 0, ""));
  ck_assert(!sub("{\"location\":\"EastUS\"}", actual, NULL, 0, "/location"));
  ck_assert(sub("{\"location\":\"EastUS\"}", actual, NULL, CAPZ_JSON_CMP_CASEFOLD_STRINGS, ""));
  ck_assert(!sub("{\"tags\":{\"k\":\"v\",\"new\":\"x\"}}", actual, NULL, 0, "/tags/new"));
  ck_assert(sub("{\"tags\":{\"n\":1.0}}", actual, NULL, 0, ""));
  ck_assert(!sub("{\"tags\":{\"n\":\"1\"}}", actual, NULL, 0, "/tags/n"));
  ck_assert(sub("{\"tags\":{\"gone\":null}}", actual, NULL, 0, ""));
  /* element-wise arrays: same length, each desired element a subset */
  ck_assert(sub("{\"properties\":{\"subnets\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}", actual, NULL, 0, ""));
  ck_assert(!sub("{\"properties\":{\"subnets\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}", actual, NULL, 0,
                 "/properties/subnets/0/name"));
  ck_assert(!sub("{\"properties\":{\"subnets\":[{\"name\":\"a\"}]}}", actual, NULL, 0, "/properties/subnets"));
  /* arrays as sets: by name, then by subset */
  unsigned sets = CAPZ_JSON_CMP_ARRAYS_AS_SETS;
  ck_assert(sub("{\"properties\":{\"subnets\":[{\"name\":\"b\"}]}}", actual, NULL, sets, ""));
  ck_assert(!sub("{\"properties\":{\"subnets\":[{\"name\":\"b\",\"properties\":{\"prefix\":\"10.9.0.0/24\"}}]}}",
                 actual, NULL, sets, "/properties/subnets/0/properties/prefix"));
  ck_assert(!sub("{\"properties\":{\"subnets\":[{\"name\":\"a\"},{\"name\":\"c\"}]}}", actual, NULL, sets,
                 "/properties/subnets/1"));
  ck_assert(sub("{\"properties\":{\"subnets\":[{\"name\":\"B\"}]}}", actual, NULL,
                sets | CAPZ_JSON_CMP_CASEFOLD_STRINGS, ""));
  ck_assert(sub("[3,1]", "[1,2,3]", NULL, sets, ""));
  ck_assert(!sub("[3,4]", "[1,2,3]", NULL, sets, "/1"));
  ck_assert(sub("[{\"x\":1}]", "[{\"y\":2},{\"x\":1,\"z\":3}]", NULL, sets, ""));
  /* type mismatches */
  ck_assert(!sub("{\"tags\":[]}", actual, NULL, 0, "/tags"));
  ck_assert(!sub("{\"a~b/c\":1}", "{}", NULL, 0, "/a~0b~1c"));
  ck_assert(!sub("true", "false", NULL, 0, ""));
}
END_TEST

START_TEST(subset_owned) {
  const char *desired = "{\"spec\":{\"a\":1,\"b\":{\"c\":2,\"d\":3}},\"status\":{\"x\":1}}";
  const char *owned1[] = {"/spec/a", "/spec/b/c", "/not/desired", NULL};
  ck_assert(sub(desired, "{\"spec\":{\"a\":1,\"b\":{\"c\":2,\"d\":99}}}", owned1, 0, ""));
  ck_assert(!sub(desired, "{\"spec\":{\"a\":1,\"b\":{\"c\":5}}}", owned1, 0, "/spec/b/c"));
  ck_assert(!sub(desired, "{\"spec\":{\"b\":{\"c\":2}}}", owned1, 0, "/spec/a"));
  const char *owned2[] = {"/spec/b", NULL};
  ck_assert(!sub(desired, "{\"spec\":{\"a\":0,\"b\":{\"c\":2,\"d\":4}}}", owned2, 0, "/spec/b/d"));
  const char *bad[] = {"spec", NULL};
  ck_assert(!sub(desired, desired, bad, 0, "spec"));
  const char *none[] = {NULL};
  ck_assert(sub(desired, "{}", none, 0, ""));
  cJSON *d = tj("{\"a\":1}"), *a = tj("{\"a\":2}");
  ck_assert(!capz_json_subset(d, a, NULL, 0, NULL, 0));
  char small[4];
  ck_assert(!capz_json_subset(d, a, NULL, 0, small, sizeof small));
  ck_assert_str_eq(small, "/a");
  cJSON_Delete(d);
  cJSON_Delete(a);
}
END_TEST

START_TEST(canonical_form) {
  cJSON *a = tj("{ \"b\" : [3, {\"z\":1, \"y\": null}], \"a\": \"x\\ty\\u0001\\\"\", \"c\": {}, \"d\": 1.5e2,"
                " \"e\": 0.1, \"f\": -0, \"g\": 1e300, \"h\": 9007199254740993, \"i\": 1e17, \"\\u00e9\": true }");
  char *s = capz_json_canonical(a);
  ck_assert_str_eq(s, "{\"a\":\"x\\ty\\u0001\\\"\",\"b\":[3,{\"y\":null,\"z\":1}],\"c\":{},\"d\":150,\"e\":0.1,"
                      "\"f\":0,\"g\":1e+300,\"h\":9007199254740992,\"i\":1e+17,\"\xc3\xa9\":true}");
  /* member order does not change the text; value changes do */
  cJSON *b = tj("{\"\\u00e9\":true,\"i\":100000000000000000,\"h\":9007199254740993,\"g\":1e300,\"f\":0,\"e\":0.1,\"d\":150,\"c\":{},"
                "\"b\":[3,{\"y\":null,\"z\":1}],\"a\":\"x\\ty\\u0001\\\"\"}");
  char *t = capz_json_canonical(b);
  ck_assert_str_eq(s, t);
  /* parses back to an equal document */
  cJSON *back = capz_json_parse(s, strlen(s), NULL);
  ck_assert(capz_json_equal(back, a));
  cJSON_Delete(back);
  free(s);
  free(t);
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON *n = cJSON_CreateNumber(NAN);
  s = capz_json_canonical(n);
  ck_assert_str_eq(s, "null");
  free(s);
  cJSON_Delete(n);
  s = capz_json_canonical(NULL);
  ck_assert_str_eq(s, "null");
  free(s);
}
END_TEST

START_TEST(random_ops_never_crash) {
  /* random patches over a small document: every result is either a tree or an error with a message */
  const char *paths[] = {"", "/a", "/a/0", "/a/-", "/a/9", "/o", "/o/k", "/o/k/x", "/~", "/a/01", "x", "/o/~1"};
  const char *ops[] = {"add", "remove", "replace", "move", "copy", "test", "bogus"};
  unsigned seed = 4242;
  cJSON *doc = tj("{\"a\":[1,2,{\"z\":null}],\"o\":{\"k\":\"v\"},\"s\":\"t\"}");
  for (int round = 0; round < 3000; round++) {
    cJSON *patch = cJSON_CreateArray();
    for (int k = 0; k < 3; k++) {
      seed = seed * 1103515245u + 12345u;
      cJSON *op = cJSON_CreateObject();
      cJSON_AddStringToObject(op, "op", ops[(seed >> 8) % 7]);
      cJSON_AddStringToObject(op, "path", paths[(seed >> 12) % 12]);
      cJSON_AddStringToObject(op, "from", paths[(seed >> 16) % 12]);
      if ((seed >> 20) % 4) cJSON_AddItemToObject(op, "value", cJSON_Duplicate(doc, (seed >> 22) % 2));
      cJSON_AddItemToArray(patch, op);
    }
    capz_err e;
    capz_err_clear(&e);
    cJSON *r = capz_json_patch_apply(doc, patch, &e);
    if (!r) ck_assert_msg(e.code != 0 && strstr(e.msg, "json patch op ") != NULL, "%s", e.msg);
    else {
      char *c = capz_json_canonical(r);
      ck_assert_ptr_nonnull(c);
      free(c);
    }
    cJSON_Delete(r);
    cJSON_Delete(patch);
  }
  cJSON_Delete(doc);
}
END_TEST

Suite *patch_suite(void) {
  Suite *s = suite_create("json_patch_subset_canonical");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, rfc6902_appendix);
  tcase_add_test(tc, more_ops);
  tcase_add_test(tc, patch_errors_name_the_op);
  tcase_add_test(tc, subset_basics);
  tcase_add_test(tc, subset_owned);
  tcase_add_test(tc, canonical_form);
  tcase_add_test(tc, random_ops_never_crash);
  suite_add_tcase(s, tc);
  return s;
}
