/* test_kube_sim_schema.c — acceptance checklist cases 30-34 (schema validation, pruning and
 * fieldValidation, defaulting, multi-version CRDs, server-side apply) and the reference
 * material: every CRD under $CAPZ_SHARED_DIR/reference/crds installs (fast), and every object
 * of the cluster templates (after ${VAR} substitution) is accepted, while broken copies are
 * rejected with 422 field causes. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capz/json.h"
#include "ksim_client.h"
#include "tmpfiles.h"
#include "ckrun.h"

static void setup(void) { ksim_start(); }
static void teardown(void) { ksim_stop(); }

static const char *GADGET_CRD =
    "{\"metadata\":{\"name\":\"gadgets.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\","
    "\"names\":{\"plural\":\"gadgets\",\"kind\":\"Gadget\"},\"versions\":["
    "{\"name\":\"v1beta1\",\"served\":true,\"storage\":false,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
    "\"properties\":{\"spec\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}}}},"
    "{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":{\"openAPIV3Schema\":"
    "{\"type\":\"object\",\"required\":[\"spec\"],\"properties\":{\"spec\":{\"type\":\"object\",\"required\":[\"size\"],"
    "\"properties\":{"
    "\"size\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
    "\"color\":{\"type\":\"string\",\"enum\":[\"red\",\"blue\"],\"default\":\"red\"},"
    "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z]\\\\w*$\",\"maxLength\":8,\"minLength\":2},"
    "\"when\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"port\":{\"x-kubernetes-int-or-string\":true},"
    "\"note\":{\"type\":\"string\",\"nullable\":true},"
    "\"items\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"object\",\"properties\":{\"k\":{\"type\":"
    "\"string\",\"default\":\"dk\"}}}},"
    "\"free\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true},"
    "\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
    "\"template\":{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true,\"x-kubernetes-preserve-unknown-fields\":"
    "true},"
    "\"nested\":{\"type\":\"object\",\"default\":{},\"properties\":{\"deep\":{\"type\":\"string\",\"default\":\"d\"}}}"
    "}},\"status\":{\"type\":\"object\",\"properties\":{\"ready\":{\"type\":\"boolean\"}}}}}}}]}}";

#define GFX "/apis/example.com/v1/namespaces/default/gadgets"

static void install_gadget(void) {
  kresp r = kpost("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", GADGET_CRD);
  ck_assert_msg(r.code == 201, "%s", r.body);
  kresp_free(&r);
}

static bool has_cause(const cJSON *st, const char *reason, const char *field) {
  const cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(st, "/details/causes")) {
    if (!strcmp(kjs(c, "/reason"), reason) && !strcmp(kjs(c, "/field"), field)) return true;
  }
  return false;
}

static kresp mkg(const char *spec, const char *query) {
  char b[4096], p[256];
  snprintf(b, sizeof b, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"},\"spec\":%s}",
           spec);
  snprintf(p, sizeof p, GFX "%s", query ? query : "");
  return kpost(p, b);
}

/* 30 */
START_TEST(schema_validation) {
  install_gadget();
  kresp r = mkg("{\"size\":\"x\"}", NULL);
  ck_assert_int_eq(r.code, 422);
  ck_assert_str_eq(kjs(r.json, "/reason"), "Invalid");
  ck_assert(has_cause(r.json, "FieldValueTypeInvalid", "spec.size"));
  ck_assert_str_eq(kjs(r.json, "/message"),
                   "Gadget.example.com \"g1\" is invalid: spec.size: Invalid value: \"string\": spec.size in body must "
                   "be of type integer: \"string\"");
  kresp_free(&r);
  r = mkg("{\"size\":1,\"color\":\"pink\"}", NULL);
  ck_assert(has_cause(r.json, "FieldValueNotSupported", "spec.color"));
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "supported values: \"red\", \"blue\""));
  kresp_free(&r);
  r = mkg("{\"color\":\"red\"}", NULL);
  ck_assert(has_cause(r.json, "FieldValueRequired", "spec.size"));
  kresp_free(&r);
  r = kpost(GFX, "{\"metadata\":{\"name\":\"g1\"}}");
  ck_assert(has_cause(r.json, "FieldValueRequired", "spec"));
  kresp_free(&r);
  r = mkg("{\"size\":11,\"name\":\"9abc\",\"items\":[{},{},{}],\"when\":\"yesterday\",\"port\":true}", NULL);
  ck_assert_int_eq(r.code, 422);
  ck_assert(has_cause(r.json, "FieldValueInvalid", "spec.size"));
  ck_assert(has_cause(r.json, "FieldValueInvalid", "spec.name"));
  ck_assert(has_cause(r.json, "FieldValueTooMany", "spec.items"));
  ck_assert(has_cause(r.json, "FieldValueInvalid", "spec.when"));
  ck_assert(has_cause(r.json, "FieldValueTypeInvalid", "spec.port"));
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "is invalid: ["));
  kresp_free(&r);
  r = mkg("{\"size\":1,\"name\":\"abcdefghij\"}", NULL);
  ck_assert(has_cause(r.json, "FieldValueTooLong", "spec.name"));
  kresp_free(&r);
  r = mkg("{\"size\":1,\"template\":{\"spec\":{}}}", NULL);
  ck_assert(has_cause(r.json, "FieldValueRequired", "spec.template.apiVersion"));
  kresp_free(&r);
  r = mkg("{\"size\":1,\"labels\":{\"a\":1}}", NULL);
  ck_assert(has_cause(r.json, "FieldValueTypeInvalid", "spec.labels.a"));
  kresp_free(&r);
  /* all the good shapes at once */
  r = mkg("{\"size\":10,\"name\":\"ab_1\",\"when\":\"2025-01-01T00:00:00Z\",\"port\":\"http\",\"note\":null,"
          "\"items\":[{}],\"labels\":{\"a\":\"b\"},\"template\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
          "{\"name\":\"p\",\"bogus\":1},\"spec\":{\"x\":1}}}",
          NULL);
  ck_assert_msg(r.code == 201, "%s", r.body);
  ck_assert(cJSON_IsNull(capz_json_ptr_get(r.json, "/spec/note")));
  ck_assert_str_eq(kjs(r.json, "/spec/items/0/k"), "dk");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/spec/template/metadata/bogus"));
  ck_assert(kjn(r.json, "/spec/template/spec/x") == 1);
  kresp_free(&r);
  /* status is validated too (on the status subresource) */
  r = kpatch(GFX "/g1/status", "application/merge-patch+json", "{\"status\":{\"ready\":\"yes\"}}");
  ck_assert_int_eq(r.code, 422);
  ck_assert(has_cause(r.json, "FieldValueTypeInvalid", "status.ready"));
  kresp_free(&r);
}
END_TEST

/* 31 */
START_TEST(pruning_and_field_validation) {
  install_gadget();
  kresp r = mkg("{\"size\":1,\"foo\":1,\"bar\":{\"x\":1}}", "?fieldValidation=Strict");
  ck_assert_int_eq(r.code, 400);
  ck_assert_str_eq(kjs(r.json, "/reason"), "BadRequest");
  ck_assert_str_eq(kjs(r.json, "/message"),
                   "Gadget in version \"v1\" cannot be handled as a Gadget: strict decoding error: unknown field "
                   "\"spec.foo\", unknown field \"spec.bar\"");
  kresp_free(&r);
  r = mkg("{\"size\":1,\"foo\":1,\"free\":{\"any\":{\"thing\":[1]}}}", NULL);
  ck_assert_int_eq(r.code, 201);
  ck_assert_ptr_nonnull(strstr(r.headers, "Warning: 299 - \"unknown field \\\"spec.foo\\\"\"\r\n"));
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/spec/foo"));
  ck_assert(kjn(r.json, "/spec/free/any/thing/0") == 1);
  kresp_free(&r);
  r = kget(GFX "/g1");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/spec/foo"));
  kresp_free(&r);
  r = kpatch(GFX "/g1?fieldValidation=Ignore", "application/merge-patch+json", "{\"spec\":{\"zzz\":1}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_ptr_null(strstr(r.headers, "Warning:"));
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/spec/zzz"));
  kresp_free(&r);
  r = kpatch(GFX "/g1?fieldValidation=Strict", "application/merge-patch+json",
             "{\"metadata\":{\"nonsense\":1},\"spec\":{\"size\":2}}");
  ck_assert_int_eq(r.code, 400);
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "unknown field \"metadata.nonsense\""));
  kresp_free(&r);
  r = kpatch(GFX "/g1?fieldValidation=Bogus", "application/merge-patch+json", "{}");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
}
END_TEST

/* 32 */
START_TEST(defaulting) {
  install_gadget();
  kresp r = mkg("{\"size\":1}", NULL);
  ck_assert_int_eq(r.code, 201);
  ck_assert_str_eq(kjs(r.json, "/spec/color"), "red");
  ck_assert_str_eq(kjs(r.json, "/spec/nested/deep"), "d"); /* parent defaulted to {} then its child */
  kresp_free(&r);
  r = kget(GFX "/g1");
  ck_assert_str_eq(kjs(r.json, "/spec/color"), "red");
  kresp_free(&r);
  r = kpatch(GFX "/g1", "application/merge-patch+json", "{\"spec\":{\"color\":null}}");
  ck_assert_str_eq(kjs(r.json, "/spec/color"), "red"); /* removed then defaulted again: a no-op */
  ck_assert(kjn(r.json, "/metadata/generation") == 1);
  kresp_free(&r);
  /* a default added to the CRD later applies to objects stored before it, on read */
  r = kpatch("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com", "application/json-patch+json",
             "[{\"op\":\"add\",\"path\":\"/spec/versions/1/schema/openAPIV3Schema/properties/spec/properties/shape\","
             "\"value\":{\"type\":\"string\",\"default\":\"square\"}}]");
  ck_assert_msg(r.code == 200, "%s", r.body);
  kresp_free(&r);
  r = kget(GFX "/g1");
  ck_assert_str_eq(kjs(r.json, "/spec/shape"), "square");
  char *rv = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  r = kget(GFX);
  ck_assert_str_eq(kjs(r.json, "/items/0/spec/shape"), "square");
  kresp_free(&r);
  r = kpatch(GFX "/g1", "application/merge-patch+json", "{}");
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv); /* still a no-op */
  kresp_free(&r);
  free(rv);
}
END_TEST

/* 33 */
START_TEST(multi_version) {
  install_gadget();
  kresp r = kget("/apis/example.com");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/preferredVersion/version"), "v1");
  ck_assert_str_eq(kjs(r.json, "/versions/1/version"), "v1beta1");
  kresp_free(&r);
  kwatch_t *w = kw_open("/apis/example.com/v1beta1/namespaces/default/gadgets?watch=1", 10);
  r = mkg("{\"size\":3}", NULL);
  ck_assert_int_eq(r.code, 201);
  char *rv = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  r = kget("/apis/example.com/v1beta1/namespaces/default/gadgets/g1");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/apiVersion"), "example.com/v1beta1");
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv);
  ck_assert(kjn(r.json, "/spec/size") == 3);
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  cJSON *e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/object/apiVersion"), "example.com/v1beta1");
  ck_assert_str_eq(kjs(e, "/object/metadata/resourceVersion"), rv);
  cJSON_Delete(e);
  kw_close(w);
  r = kget("/apis/example.com/v1/namespaces/default/gadgets");
  ck_assert_str_eq(kjs(r.json, "/items/0/apiVersion"), "example.com/v1");
  kresp_free(&r);
  /* v1beta1 has no status subresource */
  r = kget("/apis/example.com/v1beta1/namespaces/default/gadgets/g1/status");
  ck_assert_int_eq(r.code, 404);
  kresp_free(&r);
  free(rv);
}
END_TEST

/* 34 */
START_TEST(server_side_apply) {
  install_gadget();
  const char *A = "application/apply-patch+yaml";
  kresp r = kpatch(GFX "/g1?fieldManager=alice", A,
                   "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\",\"labels\":{"
                   "\"x\":\"1\"}},\"spec\":{\"size\":2,\"name\":\"ab\"}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kpatch(GFX "/g1?fieldManager=alice", A,
             "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g1\nspec:\n  size: 3\n");
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/spec/size") == 3);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/spec/name"));        /* alice dropped it */
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/metadata/labels/x")); /* and the label */
  kresp_free(&r);
  r = kpatch(GFX "/g1", A, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"}}");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
  r = kpatch(GFX "/g1?fieldManager=bob", A,
             "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"},\"spec\":{\"size\":"
             "4}}");
  ck_assert_int_eq(r.code, 409);
  ck_assert(has_cause(r.json, "FieldManagerConflict", ".spec.size"));
  kresp_free(&r);
  r = kpatch(GFX "/g1?fieldManager=bob&force=true", A,
             "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"},\"spec\":{\"size\":"
             "4}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/spec/size") == 4);
  kresp_free(&r);
  /* server-set fields are not owned by the applier: re-applying keeps them */
  r = kpatch("/api/v1/namespaces/ssa-ns?fieldManager=alice", A,
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ssa-ns\"}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/ssa-ns?fieldManager=alice", A,
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ssa-ns\",\"labels\":{\"x\":\"y\"}}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/labels/kubernetes.io~1metadata.name"), "ssa-ns");
  ck_assert_str_eq(kjs(r.json, "/metadata/labels/x"), "y");
  ck_assert_str_eq(kjs(r.json, "/status/phase"), "Active");
  kresp_free(&r);
  /* the same value from another manager is shared ownership, not a conflict */
  r = kpatch(GFX "/g1?fieldManager=carol", A,
             "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"},\"spec\":{\"size\":"
             "4}}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
}
END_TEST

/* ---- reference CRDs and templates ---- */

static const char *shared_dir(void) {
  const char *d = getenv("CAPZ_SHARED_DIR");
  return d && *d ? d : "/work/shared";
}

static int install_crds_from(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d))) {
    if (!strstr(de->d_name, ".yaml")) continue;
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    size_t len;
    char *y = tmpfiles_read(p, &len);
    capz_err err = {0};
    cJSON *docs = capz_yaml_to_json(y, len, &err);
    ck_assert_msg(docs != NULL, "%s: %s", p, err.msg);
    cJSON *doc;
    cJSON_ArrayForEach(doc, docs) {
      char *body = cJSON_PrintUnformatted(doc);
      kresp r = kpost("/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldValidation=Strict", body);
      ck_assert_msg(r.code == 201, "%s: %ld %.300s", de->d_name, r.code, r.body);
      bool est = false;
      const cJSON *c;
      cJSON_ArrayForEach(c, capz_json_ptr_get(r.json, "/status/conditions"))
        if (!strcmp(kjs(c, "/type"), "Established") && !strcmp(kjs(c, "/status"), "True")) est = true;
      ck_assert(est);
      kresp_free(&r);
      free(body);
      n++;
    }
    cJSON_Delete(docs);
    free(y);
  }
  closedir(d);
  return n;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void install_reference_crds(void) {
  char dir[1024];
  double t0 = now_s();
  snprintf(dir, sizeof dir, "%s/reference/crds/capi", shared_dir());
  int n = install_crds_from(dir);
  snprintf(dir, sizeof dir, "%s/reference/crds/capz", shared_dir());
  n += install_crds_from(dir);
  double dt = now_s() - t0;
  fprintf(stderr, "installed %d reference CRDs in %.2fs\n", n, dt);
  ck_assert_int_ge(n, 36);
  ck_assert_msg(dt < 20, "CRD install too slow: %.1fs", dt);
}

START_TEST(reference_crds) {
  install_reference_crds();
  kresp r = kget("/apis/cluster.x-k8s.io");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  r = kget("/apis/infrastructure.cluster.x-k8s.io/v1beta1");
  ck_assert_int_eq(r.code, 200);
  ck_assert_ptr_nonnull(strstr(r.body, "\"azureclusters\""));
  kresp_free(&r);
}
END_TEST

/* ${VAR}, ${VAR:=default}, ${VAR:-default} (defaults may nest) with plausible values. */
static const char *var_value(const char *name) {
  static const char *vals[][2] = {{"CLUSTER_NAME", "capz-test"},
                                  {"KUBERNETES_VERSION", "v1.30.2"},
                                  {"CLUSTER_IDENTITY_NAME", "cluster-identity"},
                                  {"AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3"},
                                  {"AZURE_CONTROL_PLANE_MACHINE_TYPE", "Standard_D4s_v3"},
                                  {"AZURE_LOCATION", "eastus"},
                                  {"AZURE_SUBSCRIPTION_ID", "00000000-1111-2222-3333-444444444444"},
                                  {"AZURE_TENANT_ID", "11111111-2222-3333-4444-555555555555"},
                                  {"AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", "22222222-3333-4444-5555-666666666666"},
                                  {"ASO_CREDENTIAL_SECRET_NAME", "aso-credentials"},
                                  {"CLUSTER_CLASS_NAME", "capz-class"},
                                  {NULL, NULL}};
  for (int i = 0; vals[i][0]; i++)
    if (!strcmp(vals[i][0], name)) return vals[i][1];
  return NULL;
}

typedef struct sb {
  char *s;
  size_t n, cap;
} sb;

static void sb_add(sb *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

/* Substitute s[0..n) into out. */
static void subst(const char *s, size_t n, sb *out) {
  size_t i = 0;
  while (i < n) {
    if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
      size_t j = i + 2, depth = 1, name_end = 0, def_start = 0;
      while (j < n && depth) {
        if (s[j] == '$' && j + 1 < n && s[j + 1] == '{') {
          depth++;
          j += 2;
          continue;
        }
        if (s[j] == '}') {
          depth--;
          if (!depth) break;
        }
        if (depth == 1 && !name_end && s[j] == ':' && j + 1 < n && (s[j + 1] == '=' || s[j + 1] == '-')) {
          name_end = j;
          def_start = j + 2;
        }
        j++;
      }
      if (!name_end) name_end = j;
      char name[128];
      snprintf(name, sizeof name, "%.*s", (int)(name_end - i - 2), s + i + 2);
      const char *v = var_value(name);
      if (v)
        sb_add(out, v, strlen(v));
      else if (def_start)
        subst(s + def_start, j - def_start, out);
      else
        sb_add(out, "placeholder", 11);
      i = j + 1;
      continue;
    }
    sb_add(out, s + i, 1);
    i++;
  }
}

/* plural of (apiVersion, kind) through discovery, like kubectl's RESTMapper. */
static bool plural_for(const char *api_version, const char *kind, char *out, size_t n, bool *namespaced) {
  char p[512];
  snprintf(p, sizeof p, "/apis/%s", api_version);
  kresp r = kget(p);
  bool ok = false;
  const cJSON *res;
  cJSON_ArrayForEach(res, capz_json_ptr_get(r.json, "/resources")) {
    if (!strcmp(kjs(res, "/kind"), kind) && !strchr(kjs(res, "/name"), '/')) {
      snprintf(out, n, "%s", kjs(res, "/name"));
      *namespaced = cJSON_IsTrue(capz_json_ptr_get(res, "/namespaced"));
      ok = true;
    }
  }
  kresp_free(&r);
  return ok;
}

static long post_doc(const cJSON *doc, const char *ns, kresp *keep) {
  char plural[128], path[1024];
  bool namespaced = true;
  if (!plural_for(kjs(doc, "/apiVersion"), kjs(doc, "/kind"), plural, sizeof plural, &namespaced)) return -1;
  if (namespaced)
    snprintf(path, sizeof path, "/apis/%s/namespaces/%s/%s?fieldValidation=Strict", kjs(doc, "/apiVersion"), ns, plural);
  else
    snprintf(path, sizeof path, "/apis/%s/%s?fieldValidation=Strict", kjs(doc, "/apiVersion"), plural);
  cJSON *d = cJSON_Duplicate(doc, 1);
  if (namespaced) capz_json_ptr_set_str(d, "/metadata/namespace", ns, NULL);
  char *body = cJSON_PrintUnformatted(d);
  kresp r = kpost(path, body);
  long code = r.code;
  if (keep)
    *keep = r;
  else
    kresp_free(&r);
  free(body);
  cJSON_Delete(d);
  return code;
}

START_TEST(reference_templates) {
  install_reference_crds();
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/reference/templates", shared_dir());
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  struct dirent *de;
  int accepted = 0, rejected = 0, files = 0;
  cJSON *one_azure_cluster = NULL;
  while ((de = readdir(d))) {
    if (!strstr(de->d_name, ".yaml")) continue;
    char p[2048], ns[64];
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    snprintf(ns, sizeof ns, "tpl-%d", files++);
    char nsbody[128];
    snprintf(nsbody, sizeof nsbody, "{\"metadata\":{\"name\":\"%s\"}}", ns);
    kresp r = kpost("/api/v1/namespaces", nsbody);
    ck_assert_int_eq(r.code, 201);
    kresp_free(&r);
    size_t len;
    char *y = tmpfiles_read(p, &len);
    sb out = {0};
    subst(y, len, &out);
    capz_err err = {0};
    cJSON *docs = capz_yaml_to_json(out.s, out.n, &err);
    ck_assert_msg(docs != NULL, "%s: %s", de->d_name, err.msg);
    cJSON *doc;
    cJSON_ArrayForEach(doc, docs) {
      kresp keep = {0};
      long code = post_doc(doc, ns, &keep);
      if (code == -1) {
        /* kinds without a CRD here (none expected at top level) would be 404 on a real server too */
        ck_abort_msg("%s: no CRD serves %s %s", de->d_name, kjs(doc, "/apiVersion"), kjs(doc, "/kind"));
      }
      /* This AzureManagedControlPlaneTemplate omits spec.template.spec.resourceGroupName, which its CRD
       * schema marks required: a real API server (absent CAPZ's mutating webhook) answers the same 422. */
      bool known_invalid = !strcmp(kjs(doc, "/kind"), "AzureManagedControlPlaneTemplate") &&
                           !capz_json_ptr_get(doc, "/spec/template/spec/resourceGroupName");
      if (known_invalid) {
        ck_assert_int_eq(code, 422);
        ck_assert(has_cause(keep.json, "FieldValueRequired", "spec.template.spec.resourceGroupName"));
        rejected++;
      } else {
        ck_assert_msg(code == 201, "%s: %s/%s -> %ld %.600s", de->d_name, kjs(doc, "/kind"),
                      kjs(doc, "/metadata/name"), code, keep.body);
        accepted++;
      }
      kresp_free(&keep);
      if (!one_azure_cluster && !strcmp(kjs(doc, "/kind"), "AzureCluster")) one_azure_cluster = cJSON_Duplicate(doc, 1);
    }
    cJSON_Delete(docs);
    free(out.s);
    free(y);
  }
  closedir(d);
  fprintf(stderr, "accepted %d template objects from %d files (%d rejected as a real server would)\n", accepted, files,
          rejected);
  ck_assert_int_ge(accepted, 40);
  ck_assert_int_eq(rejected, 1);
  /* broken copies are rejected like a real API server would */
  ck_assert_ptr_nonnull(one_azure_cluster);
  cJSON *bad = cJSON_Duplicate(one_azure_cluster, 1);
  capz_json_ptr_set_str(bad, "/metadata/name", "broken", NULL);
  capz_json_ptr_set(bad, "/spec/location", cJSON_CreateNumber(5), NULL);
  capz_json_ptr_set_str(bad, "/spec/networkSpec/subnets/0/role", "nonsense", NULL);
  kresp r = {0};
  ck_assert_int_eq(post_doc(bad, "default", &r), 422);
  ck_assert(has_cause(r.json, "FieldValueTypeInvalid", "spec.location"));
  ck_assert(has_cause(r.json, "FieldValueNotSupported", "spec.networkSpec.subnets[0].role"));
  kresp_free(&r);
  cJSON_Delete(bad);
  bad = cJSON_Duplicate(one_azure_cluster, 1);
  capz_json_ptr_set_str(bad, "/metadata/name", "broken2", NULL);
  capz_json_ptr_set(bad, "/spec/unknownThing", cJSON_CreateTrue(), NULL);
  ck_assert_int_eq(post_doc(bad, "default", &r), 400); /* Strict */
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "unknown field \"spec.unknownThing\""));
  kresp_free(&r);
  cJSON_Delete(bad);
  cJSON_Delete(one_azure_cluster);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kube_sim_schema");
  TCase *tc = tcase_create("schema");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 90);
  tcase_add_test(tc, schema_validation);
  tcase_add_test(tc, pruning_and_field_validation);
  tcase_add_test(tc, defaulting);
  tcase_add_test(tc, multi_version);
  tcase_add_test(tc, server_side_apply);
  tcase_add_test(tc, reference_crds);
  tcase_add_test(tc, reference_templates);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
