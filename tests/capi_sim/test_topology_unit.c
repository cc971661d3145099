/* test_topology_unit.c — capz-capi-sim's ClusterClass variable resolution, Go-template subset and inline patch
 * engine, called directly (no servers): the edge cases the end-to-end test does not reach. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "capi_sim.h"

static cJSON *J(const char *text) {
  cJSON *j = cJSON_Parse(text);
  ck_assert_msg(j != NULL, "bad test JSON: %s", text);
  return j;
}

static const char *CLASS =
    "{\"metadata\":{\"name\":\"cc\",\"namespace\":\"ns\"},\"spec\":{\"variables\":["
    "{\"name\":\"region\",\"schema\":{\"openAPIV3Schema\":{\"type\":\"string\",\"default\":\"westeurope\"}}},"
    "{\"name\":\"count\",\"schema\":{\"openAPIV3Schema\":{\"type\":\"integer\",\"default\":3}}},"
    "{\"name\":\"net\",\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{"
    "\"cidr\":{\"type\":\"string\",\"default\":\"10.0.0.0/16\"},\"inner\":{\"type\":\"object\",\"default\":{},"
    "\"properties\":{\"mtu\":{\"type\":\"integer\",\"default\":1500}}}}}}},"
    "{\"name\":\"must\",\"required\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"string\"}}}]}}";

static cJSON *cluster(const char *variables) {
  char buf[1024];
  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"name\":\"c1\",\"namespace\":\"ns\",\"uid\":\"u1\",\"labels\":{\"a\":\"b\"}},"
           "\"spec\":{\"clusterNetwork\":{\"pods\":{\"cidrBlocks\":[\"192.168.0.0/16\"]}},"
           "\"topology\":{\"class\":\"cc\",\"version\":\"v1.31.1\",\"variables\":%s}}}",
           variables);
  return J(buf);
}

START_TEST(variables_defaults_required_and_builtins) {
  cJSON *cc = J(CLASS);
  char msg[256] = "";
  cJSON *cl = cluster("[]");
  ck_assert_ptr_null(topo_vars_cluster(cl, cc, msg, sizeof msg));
  ck_assert_msg(strstr(msg, "must") != NULL, "%s", msg);
  cJSON_Delete(cl);

  cl = cluster("[{\"name\":\"must\",\"value\":\"x\"},{\"name\":\"net\",\"value\":{\"inner\":{}}}]");
  cJSON *v = topo_vars_cluster(cl, cc, msg, sizeof msg);
  ck_assert_ptr_nonnull(v);
  ck_assert_str_eq(capz_json_ptr_str(v, "/region", ""), "westeurope");
  ck_assert_int_eq(capz_json_ptr_int(v, "/count", 0), 3);
  ck_assert_str_eq(capz_json_ptr_str(v, "/net/cidr", ""), "10.0.0.0/16"); /* property default in a given object */
  ck_assert_int_eq(capz_json_ptr_int(v, "/net/inner/mtu", 0), 1500);      /* ... recursively */
  ck_assert_str_eq(capz_json_ptr_str(v, "/builtin/cluster/name", ""), "c1");
  ck_assert_str_eq(capz_json_ptr_str(v, "/builtin/cluster/topology/version", ""), "v1.31.1");
  ck_assert_str_eq(capz_json_ptr_str(v, "/builtin/cluster/network/pods/0", ""), "192.168.0.0/16");
  ck_assert_str_eq(capz_json_ptr_str(topo_var_lookup(v, "builtin.cluster.metadata.labels"), "/a", ""), "b");
  ck_assert_ptr_null(topo_var_lookup(v, "builtin.cluster."));
  ck_assert_ptr_null(topo_var_lookup(v, ""));
  ck_assert_ptr_null(topo_var_lookup(v, "nope.x"));

  /* Worker overrides replace the cluster value; an override of an undefined variable is refused. */
  cJSON *w = J("{\"variables\":{\"overrides\":[{\"name\":\"region\",\"value\":\"eastus\"}]}}");
  cJSON *wv = topo_vars_worker(v, w, cc, msg, sizeof msg);
  ck_assert_str_eq(capz_json_ptr_str(wv, "/region", ""), "eastus");
  ck_assert_str_eq(capz_json_ptr_str(wv, "/must", ""), "x");
  cJSON_Delete(wv);
  cJSON_Delete(w);
  w = J("{\"variables\":{\"overrides\":[{\"name\":\"ghost\",\"value\":1}]}}");
  ck_assert_ptr_null(topo_vars_worker(v, w, cc, msg, sizeof msg));
  ck_assert_msg(strstr(msg, "ghost") != NULL, "%s", msg);
  cJSON_Delete(w);
  cJSON_Delete(v);
  cJSON_Delete(cl);
  cJSON_Delete(cc);
}
END_TEST

START_TEST(template_substitution_only) {
  cJSON *v = J("{\"a\":{\"b\":\"x\"},\"n\":3,\"f\":1.5,\"t\":true,\"o\":{\"k\":[1]},\"z\":null}");
  char msg[256] = "";
  char *r = topo_template_render("p-{{ .a.b }}-{{.n}}-{{ .f }}-{{ .t }}", v, msg, sizeof msg);
  ck_assert_str_eq(r, "p-x-3-1.5-true");
  free(r);
  r = topo_template_render("a  {{- .a.b -}}  b\n", v, msg, sizeof msg); /* trimming both sides */
  ck_assert_str_eq(r, "axb\n");
  free(r);
  r = topo_template_render("{{ .o }}", v, msg, sizeof msg);
  ck_assert_str_eq(r, "{\"k\":[1]}");
  free(r);
  r = topo_template_render("no actions", v, msg, sizeof msg);
  ck_assert_str_eq(r, "no actions");
  free(r);
  const char *bad[] = {"{{ if .t }}y{{ end }}", "{{ .a.b | upper }}", "{{ . }}", "{{ .missing }}", "x {{ .a.b",
                       "{{}}", "{{ printf \"%s\" .a.b }}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    msg[0] = 0;
    ck_assert_msg(topo_template_render(bad[i], v, msg, sizeof msg) == NULL, "%s was rendered", bad[i]);
    ck_assert_msg(msg[0] != 0, "no message for %s", bad[i]);
  }
  cJSON_Delete(v);
}
END_TEST

/* One request on a template and one patch list; returns the patched template (owned) or NULL with msg. */
static cJSON *patch1(const char *tmpl, int scope, const char *cls, const char *patches, const char *vars, char *msg,
                     size_t n) {
  char cc[4096];
  snprintf(cc, sizeof cc, "{\"spec\":{\"patches\":%s}}", patches);
  cJSON *c = J(cc), *v = J(vars);
  topo_req r = {scope, cls, J(tmpl), v};
  int rc = topo_patches_apply(c, v, &r, 1, msg, n);
  cJSON_Delete(c);
  cJSON_Delete(v);
  if (rc != 0) {
    cJSON_Delete(r.tmpl);
    return NULL;
  }
  return r.tmpl;
}

static const char *TMPL =
    "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachineTemplate\","
    "\"metadata\":{\"name\":\"t\"},\"spec\":{\"template\":{\"spec\":{\"vmSize\":\"A\",\"tags\":{\"x\":\"1\"}}}}}";
#define SEL(mr)                                                                                                    \
  "\"selector\":{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachineTemplate\"," \
  "\"matchResources\":" mr "}"

START_TEST(patches_selectors_ops_and_errors) {
  char msg[512] = "";
  const char *vars = "{\"size\":\"B\",\"on\":false,\"builtin\":{\"cluster\":{\"name\":\"c1\"}}}";
  /* Glob class names; add creates missing parents; replace from a variable; remove. */
  cJSON *o = patch1(TMPL, TOPO_MD, "linux-workers",
                    "[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"linux-*\"]}}")
                    ",\"jsonPatches\":["
                    "{\"op\":\"add\",\"path\":\"/spec/template/spec/a/b/c\",\"value\":7},"
                    "{\"op\":\"replace\",\"path\":\"/spec/template/spec/vmSize\",\"valueFrom\":{\"variable\":\"size\"}},"
                    "{\"op\":\"remove\",\"path\":\"/spec/template/spec/tags/x\"},"
                    "{\"op\":\"add\",\"path\":\"/spec/template/spec/list\",\"valueFrom\":{\"template\":"
                    "\"- {{ .builtin.cluster.name }}\\n- two\"}}]}]}]",
                    vars, msg, sizeof msg);
  ck_assert_msg(o != NULL, "%s", msg);
  ck_assert_int_eq(capz_json_ptr_int(o, "/spec/template/spec/a/b/c", 0), 7);
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/template/spec/vmSize", ""), "B");
  ck_assert_ptr_null(capz_json_ptr_get(o, "/spec/template/spec/tags/x"));
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/template/spec/list/0", ""), "c1");
  ck_assert_str_eq(capz_json_ptr_str(o, "/spec/template/spec/list/1", ""), "two");
  cJSON_Delete(o);

  /* Not selected: another class, another scope, another kind; enabledIf false. */
  const char *unsel[][2] = {
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"windows\"]}}")
       ",\"jsonPatches\":[{\"op\":\"replace\",\"path\":\"/spec/template/spec/vmSize\",\"value\":\"Z\"}]}]}]",
       "md"},
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"controlPlane\":true}")
       ",\"jsonPatches\":[{\"op\":\"replace\",\"path\":\"/spec/template/spec/vmSize\",\"value\":\"Z\"}]}]}]",
       "md"},
      {"[{\"name\":\"p\",\"enabledIf\":\"{{ .on }}\",\"definitions\":[{" SEL(
           "{\"machineDeploymentClass\":{\"names\":[\"*\"]}}") ",\"jsonPatches\":[{\"op\":\"replace\",\"path\":"
                                                                "\"/spec/template/spec/vmSize\",\"value\":\"Z\"}]}]}]",
       "md"},
  };
  for (size_t i = 0; i < sizeof unsel / sizeof unsel[0]; i++) {
    o = patch1(TMPL, TOPO_MD, "linux", unsel[i][0], vars, msg, sizeof msg);
    ck_assert_msg(o != NULL, "%s", msg);
    ck_assert_str_eq(capz_json_ptr_str(o, "/spec/template/spec/vmSize", ""), "A");
    cJSON_Delete(o);
  }

  /* Errors name the patch and what failed; the template is not half-patched. */
  const char *errs[][2] = {
      {"[{\"name\":\"ext\",\"external\":{\"generateExtension\":\"x\"}}]", "external"},
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"*\"]}}")
       ",\"jsonPatches\":[{\"op\":\"move\",\"path\":\"/spec/x\",\"from\":\"/spec/y\"}]}]}]",
       "move"},
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"*\"]}}")
       ",\"jsonPatches\":[{\"op\":\"add\",\"path\":\"/metadata/labels/x\",\"value\":\"y\"}]}]}]",
       "/spec/"},
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"*\"]}}")
       ",\"jsonPatches\":[{\"op\":\"replace\",\"path\":\"/spec/template/spec/nothing\",\"value\":1}]}]}]",
       "nothing"},
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"*\"]}}")
       ",\"jsonPatches\":[{\"op\":\"add\",\"path\":\"/spec/x\",\"valueFrom\":{\"variable\":\"unset\"}}]}]}]",
       "unset"},
      {"[{\"name\":\"p\",\"definitions\":[{" SEL("{\"machineDeploymentClass\":{\"names\":[\"*\"]}}")
       ",\"jsonPatches\":[{\"op\":\"add\",\"path\":\"/spec/x\"}]}]}]",
       "without value"},
      {"[{\"name\":\"p\",\"enabledIf\":\"maybe\",\"definitions\":[]}]", "maybe"},
  };
  for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
    msg[0] = 0;
    o = patch1(TMPL, TOPO_MD, "linux", errs[i][0], vars, msg, sizeof msg);
    ck_assert_msg(o == NULL, "case %zu applied", i);
    ck_assert_msg(strstr(msg, errs[i][1]) != NULL, "case %zu: message %s lacks %s", i, msg, errs[i][1]);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("capi_topology_unit");
  TCase *tc = tcase_create("unit");
  tcase_add_test(tc, variables_defaults_required_and_builtins);
  tcase_add_test(tc, template_substitution_only);
  tcase_add_test(tc, patches_selectors_ops_and_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
