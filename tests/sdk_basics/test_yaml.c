/* test_yaml.c — capz_yaml_to_json: core-schema typing, documents, anchors, merges, errors, hostile input. */
#include <math.h>
#include <stdio.h>
#include "tjson.h"
#include "ckrun.h"

static cJSON *y(const char *text) {
  capz_err e;
  capz_err_clear(&e);
  cJSON *j = capz_yaml_to_json(text, strlen(text), &e);
  ck_assert_msg(j != NULL, "yaml failed: %s", e.msg);
  return j;
}

/* The first document of text must equal the JSON want. */
static void ydoc(const char *text, const char *want) {
  cJSON *j = y(text);
  ck_assert_int_eq(cJSON_GetArraySize(j), 1);
  ck_assert_json_eq(cJSON_GetArrayItem(j, 0), want);
  cJSON_Delete(j);
}

static void y_err(const char *text, size_t len, const char *frag) {
  capz_err e;
  capz_err_clear(&e);
  cJSON *j = capz_yaml_to_json(text, len, &e);
  ck_assert_msg(j == NULL, "accepted: %.60s", text);
  ck_assert_int_ne(e.code, 0);
  ck_assert_msg(strstr(e.msg, frag) != NULL, "message '%s' lacks '%s'", e.msg, frag);
}

START_TEST(core_schema_plain_scalars) {
  ydoc("a: null\nb: ~\nc:\nd: Null\ne: NULL\n", "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}");
  ydoc("[true, True, TRUE, false, False, FALSE, yes, no, on, off, tRue]",
     "[true,true,true,false,false,false,\"yes\",\"no\",\"on\",\"off\",\"tRue\"]");
  ydoc("[42, -7, +3, 0, 0x1F, 0o17, 0644, 089, -0x10, 0x, 0o8, 9007199254740992]",
     "[42,-7,3,0,31,15,420,89,-16,\"0x\",\"0o8\",9007199254740992]");
  ydoc("[1.5, -2.5e3, 1e3, .5, 1., +1.0E-2, 1.2.3, 1e, e3, 1_000, 12:30]",
     "[1.5,-2500,1000,0.5,1,0.01,\"1.2.3\",\"1e\",\"e3\",\"1_000\",\"12:30\"]");
  ydoc("[-, +, ., 2001-12-14, v1.2, 10Gi, \"1\"]", "[\"-\",\"+\",\".\",\"2001-12-14\",\"v1.2\",\"10Gi\",\"1\"]");
  cJSON *j = y("[.inf, -.Inf, +.INF, .nan, .NaN]");
  cJSON *a = cJSON_GetArrayItem(j, 0);
  ck_assert(isinf(cJSON_GetArrayItem(a, 0)->valuedouble) && cJSON_GetArrayItem(a, 0)->valuedouble > 0);
  ck_assert(isinf(cJSON_GetArrayItem(a, 1)->valuedouble) && cJSON_GetArrayItem(a, 1)->valuedouble < 0);
  ck_assert(isinf(cJSON_GetArrayItem(a, 2)->valuedouble));
  ck_assert(isnan(cJSON_GetArrayItem(a, 3)->valuedouble));
  ck_assert(isnan(cJSON_GetArrayItem(a, 4)->valuedouble));
  cJSON_Delete(j);
}
END_TEST

START_TEST(strings_stay_strings) {
  ydoc("a: \"true\"\nb: '42'\nc: \"null\"\nd: ''\ne: |\n  line1\n  line2\nf: >\n  folded\n  text\ng: |-\n  42\n",
     "{\"a\":\"true\",\"b\":\"42\",\"c\":\"null\",\"d\":\"\",\"e\":\"line1\\nline2\\n\",\"f\":\"folded text\\n\","
     "\"g\":\"42\"}");
  ydoc("[!!str 42, !!str true, ! 12, !!int \"12\", !!float 3, !!bool \"false\", !!null '', !custom 7]",
     "[\"42\",\"true\",\"12\",12,3,false,null,\"7\"]");
  ydoc("s: \"caf\\u00e9 \\t tab\"\n", "{\"s\":\"caf\\u00e9 \\t tab\"}");
  y_err("a: !!int abc\n", sizeof("a: !!int abc\n") - 1, "line 1, column 4");
  y_err("a: \"x\\0y\"\n", sizeof("a: \"x\\0y\"\n") - 1, "NUL");
}
END_TEST

START_TEST(documents) {
  cJSON *j = y("a: 1\n---\n---\n# only a comment\n---\nb: [x]\n...\n---\n- 1\n");
  ck_assert_json_eq(j, "[{\"a\":1},{\"b\":[\"x\"]},[1]]");
  cJSON_Delete(j);
  j = y("");
  ck_assert_json_eq(j, "[]");
  cJSON_Delete(j);
  j = y("# nothing\n\n");
  ck_assert_json_eq(j, "[]");
  cJSON_Delete(j);
  j = y("--- plain\n--- 3\n");
  ck_assert_json_eq(j, "[\"plain\",3]");
  cJSON_Delete(j);
}
END_TEST

START_TEST(json_crlf_bom_and_utf16) {
  ydoc("{\"a\": [1, \"x\", true, null, 2.5, {\"b\": \"1\"}]}", "{\"a\":[1,\"x\",true,null,2.5,{\"b\":\"1\"}]}");
  ydoc("a: 1\r\nb:\r\n  - x\r\n", "{\"a\":1,\"b\":[\"x\"]}");
  ydoc("\xef\xbb\xbf" "name: caf\xc3\xa9\n", "{\"name\":\"caf\xc3\xa9\"}");
  /* UTF-16LE with BOM: "a: 1\n" */
  const char u16[] = {'\xff', '\xfe', 'a', 0, ':', 0, ' ', 0, '1', 0, '\n', 0};
  capz_err e;
  cJSON *j = capz_yaml_to_json(u16, sizeof u16, &e);
  ck_assert_msg(j != NULL, "%s", e.msg);
  ck_assert_json_eq(j, "[{\"a\":1}]");
  cJSON_Delete(j);
  ydoc("keep: |+\n  x\n\nstrip: >-\n  a\n  b\n", "{\"keep\":\"x\\n\\n\",\"strip\":\"a b\"}");
}
END_TEST

START_TEST(keys) {
  ydoc("1: a\ntrue: b\nnull: c\n~: d\n0x10: e\n\"q\": f\n1.50: g\nTrue: h\n",
     "{\"1\":\"a\",\"true\":\"h\",\"null\":\"d\",\"0x10\":\"e\",\"q\":\"f\",\"1.50\":\"g\"}");
  ydoc("a: 1\nb: 2\na: 3\n", "{\"a\":3,\"b\":2}"); /* a later duplicate wins, as go-yaml */
  y_err("? [a, b]\n: c\n", sizeof("? [a, b]\n: c\n") - 1, "complex");
  y_err("? {a: 1}\n: c\n", sizeof("? {a: 1}\n: c\n") - 1, "line 1");
}
END_TEST

START_TEST(anchors_and_aliases) {
  ydoc("base: &b {x: 1, y: [1, 2]}\nuse: *b\ns: &s hello\nt: *s\nlist: &l [a]\nl2: [*l, *l]\n",
     "{\"base\":{\"x\":1,\"y\":[1,2]},\"use\":{\"x\":1,\"y\":[1,2]},\"s\":\"hello\",\"t\":\"hello\","
     "\"list\":[\"a\"],\"l2\":[[\"a\"],[\"a\"]]}");
  /* redefinition: later aliases see the newest anchor */
  ydoc("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "{\"a\":1,\"b\":1,\"c\":2,\"d\":2}");
  /* an anchored value later replaced by a duplicate key is still aliasable */
  ydoc("a: &x {k: v}\na: 2\nb: *x\n", "{\"a\":2,\"b\":{\"k\":\"v\"}}");
  /* anchored key */
  ydoc("&k name: 1\nother: *k\n", "{\"name\":1,\"other\":\"name\"}");
  y_err("a: *nope\n", sizeof("a: *nope\n") - 1, "unknown anchor");
  y_err("a: &r [1, *r]\n", sizeof("a: &r [1, *r]\n") - 1, "unknown anchor"); /* no self reference */
  y_err("a: &x 1\n---\nb: *x\n", sizeof("a: &x 1\n---\nb: *x\n") - 1, "line 3"); /* anchors do not cross documents */
}
END_TEST

START_TEST(merge_keys) {
  ydoc("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 20\n  z: 3\n",
     "{\"base\":{\"x\":1,\"y\":2},\"d\":{\"x\":1,\"y\":20,\"z\":3}}");
  /* explicit keys win even when written before the merge */
  ydoc("b: &b {x: 1, y: 2}\nd:\n  y: 20\n  <<: *b\n", "{\"b\":{\"x\":1,\"y\":2},\"d\":{\"y\":20,\"x\":1}}");
  /* a sequence of merges: earlier sources win */
  ydoc("a: &a {k: a, only_a: 1}\nb: &b {k: b, only_b: 2}\nm:\n  <<: [*a, *b]\n",
     "{\"a\":{\"k\":\"a\",\"only_a\":1},\"b\":{\"k\":\"b\",\"only_b\":2},\"m\":{\"k\":\"a\",\"only_a\":1,\"only_b\":2}}");
  ydoc("m:\n  <<: {inline: true}\n  x: 1\n", "{\"m\":{\"inline\":true,\"x\":1}}");
  ydoc("m:\n  \"<<\": not a merge\n", "{\"m\":{\"<<\":\"not a merge\"}}");
  y_err("m:\n  <<: 5\n", sizeof("m:\n  <<: 5\n") - 1, "merge key");
  y_err("m:\n  <<: [{a: 1}, 2]\n", sizeof("m:\n  <<: [{a: 1}, 2]\n") - 1, "merge key");
}
END_TEST

START_TEST(kubernetes_manifest) {
  const char *m =
      "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\n"
      "kind: AzureCluster\n"
      "metadata:\n"
      "  name: my-cluster\n"
      "  namespace: default\n"
      "  labels: {cluster.x-k8s.io/cluster-name: my-cluster}\n"
      "spec:\n"
      "  location: eastus\n"
      "  resourceGroup: rg-1\n"
      "  networkSpec:\n"
      "    subnets:\n"
      "    - name: cp\n"
      "      role: control-plane\n"
      "      cidrBlocks: [\"10.0.0.0/16\"]\n"
      "    - name: node\n"
      "      role: node\n"
      "  additionalTags:\n"
      "    port: \"443\"\n"
      "    replicas: 3\n"
      "  mode: 0644\n";
  cJSON *j = y(m);
  cJSON *d = cJSON_GetArrayItem(j, 0);
  ck_assert_str_eq(capz_json_ptr_str(d, "/metadata/labels/cluster.x-k8s.io~1cluster-name", ""), "my-cluster");
  ck_assert_str_eq(capz_json_ptr_str(d, "/spec/networkSpec/subnets/1/name", ""), "node");
  ck_assert_str_eq(capz_json_ptr_str(d, "/spec/networkSpec/subnets/0/cidrBlocks/0", ""), "10.0.0.0/16");
  ck_assert_str_eq(capz_json_ptr_str(d, "/spec/additionalTags/port", ""), "443");
  ck_assert_int_eq(capz_json_ptr_int(d, "/spec/additionalTags/replicas", 0), 3);
  ck_assert_int_eq(capz_json_ptr_int(d, "/spec/mode", 0), 0644);
  cJSON_Delete(j);
}
END_TEST

START_TEST(syntax_errors_have_positions) {
  y_err("a: [1, 2\nb: 3\n", sizeof("a: [1, 2\nb: 3\n") - 1, "line ");
  y_err("a: 1\n b: 2\nc\n", sizeof("a: 1\n b: 2\nc\n") - 1, "line 2");
  y_err("a:\n\t- 1\n", sizeof("a:\n\t- 1\n") - 1, "line 2, column 1");
  y_err("a: 'unterminated\n", sizeof("a: 'unterminated\n") - 1, "line ");
  y_err("key: \xff\xfe bad\n", sizeof("key: \xff\xfe bad\n") - 1, "UTF-8");
  y_err("key: v\xc3\x28\n", sizeof("key: v\xc3\x28\n") - 1, "UTF-8");
  y_err("a: 1\0b: 2\n", sizeof("a: 1\0b: 2\n") - 1, "line 1");
  capz_err e;
  ck_assert_ptr_null(capz_yaml_to_json(NULL, 5, &e));
}
END_TEST

START_TEST(hostile_nesting_and_aliases) {
  size_t depth = 100000;
  char *deep = malloc(depth * 2 + 1);
  memset(deep, '[', depth);
  memset(deep + depth, ']', depth);
  deep[depth * 2] = '\0';
  y_err(deep, depth * 2, "nesting too deep");
  for (size_t i = 0; i < depth; i++) deep[i] = '{';
  y_err(deep, depth, "line 1");
  free(deep);
  /* nested block mappings 600 levels deep */
  size_t lv = 600, cap = lv * (lv + 4) + 16, k = 0;
  char *blk = malloc(cap);
  for (size_t i = 0; i < lv; i++) {
    memset(blk + k, ' ', i);
    k += i;
    memcpy(blk + k, "k:\n", 3);
    k += 3;
  }
  blk[k] = '\0';
  y_err(blk, k, "nesting too deep");
  free(blk);
  /* billion laughs */
  const char *bomb =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
      "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
      "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
  y_err(bomb, strlen(bomb), "budget");
  /* a second bomb: a wide leaf mapping aliased four times per level */
  char mb[4096];
  size_t m = (size_t)snprintf(mb, sizeof mb, "l0: &l0 {");
  for (int i = 0; i < 40; i++) m += (size_t)snprintf(mb + m, sizeof mb - m, "%sk%d: v", i ? ", " : "", i);
  m += (size_t)snprintf(mb + m, sizeof mb - m, "}\n");
  for (int i = 1; i < 30; i++)
    m += (size_t)snprintf(mb + m, sizeof mb - m, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d]\n", i, i, i - 1, i - 1, i - 1, i - 1);
  y_err(mb, m, "budget");
}
END_TEST

START_TEST(garbage_never_crashes) {
  unsigned seed = 7;
  char junk[300];
  const char alphabet[] = "-:[]{}&*!|>'\"#%@ \n\t?,abc01\\\xc3\xa9\xff";
  for (int round = 0; round < 3000; round++) {
    for (size_t i = 0; i < sizeof junk; i++) {
      seed = seed * 1103515245u + 12345u;
      junk[i] = round % 3 == 0 ? (char)(seed >> 16) : alphabet[(seed >> 16) % (sizeof alphabet - 1)];
    }
    capz_err e;
    capz_err_clear(&e);
    cJSON *j = capz_yaml_to_json(junk, sizeof junk, &e);
    if (!j) ck_assert_int_ne(e.code, 0);
    cJSON_Delete(j);
  }
}
END_TEST

START_TEST(large_documents) {
  /* 50k-key mapping and a 50k-element sequence: duplicate-key tracking must not be quadratic */
  size_t n = 50000, cap = n * 32 + 64, k = 0;
  char *t = malloc(cap);
  for (size_t i = 0; i < n; i++) k += (size_t)snprintf(t + k, cap - k, "key%zu: %zu\n", i, i);
  k += (size_t)snprintf(t + k, cap - k, "---\n");
  for (size_t i = 0; i < n; i++) k += (size_t)snprintf(t + k, cap - k, "- v%zu\n", i);
  capz_err e;
  cJSON *j = capz_yaml_to_json(t, k, &e);
  ck_assert_msg(j != NULL, "%s", e.msg);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetArrayItem(j, 0)), (int)n);
  ck_assert_int_eq(capz_json_ptr_int(j, "/0/key49999", -1), 49999);
  ck_assert_str_eq(capz_json_ptr_str(j, "/1/49999", ""), "v49999");
  cJSON_Delete(j);
  free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("yaml_to_json");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, core_schema_plain_scalars);
  tcase_add_test(tc, strings_stay_strings);
  tcase_add_test(tc, documents);
  tcase_add_test(tc, keys);
  tcase_add_test(tc, json_crlf_bom_and_utf16);
  tcase_add_test(tc, anchors_and_aliases);
  tcase_add_test(tc, merge_keys);
  tcase_add_test(tc, kubernetes_manifest);
  tcase_add_test(tc, syntax_errors_have_positions);
  tcase_add_test(tc, hostile_nesting_and_aliases);
  tcase_add_test(tc, garbage_never_crashes);
  tcase_add_test(tc, large_documents);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
