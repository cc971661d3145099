/* test_kube_sim_api.c — acceptance checklist (docs/kube-api-emulator.md §4) cases 1-17:
 * discovery, version/OpenAPI, CRDs, CRUD, concurrency, generation, no-op writes, status
 * isolation, patches, lists, selectors, pagination and the basic watch start points.
 * Each test runs against a fresh emulator. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "ksim_client.h"
#include "ckrun.h"

static void setup(void) {
  ksim_start();
  install_widget_crd();
}
static void teardown(void) { ksim_stop(); }

static void mkw(const char *name, const char *labels, const char *spec) {
  char b[2048];
  snprintf(b, sizeof b,
           "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"%s\",\"labels\":{%s}},"
           "\"spec\":%s}",
           name, labels ? labels : "", spec ? spec : "{\"size\":1}");
  kresp r = kpost(PFX, b);
  ck_assert_msg(r.code == 201, "create %s: %ld %s", name, r.code, r.body);
  kresp_free(&r);
}

static char *rv_of(const char *path) {
  kresp r = kget(path);
  ck_assert_int_eq(r.code, 200);
  char *s = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  return s;
}

/* 1 */
START_TEST(discovery_after_crd) {
  kresp r = kget("/apis");
  ck_assert_int_eq(r.code, 200);
  bool found = false;
  cJSON *g;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(r.json, "groups")) {
    if (strcmp(kjs(g, "/name"), "example.com") == 0) {
      found = true;
      ck_assert_str_eq(kjs(g, "/preferredVersion/groupVersion"), "example.com/v1");
      ck_assert(capz_json_equal(capz_json_ptr_get(g, "/preferredVersion"), capz_json_ptr_get(g, "/versions/0")));
    }
  }
  ck_assert(found);
  kresp_free(&r);
  r = kget("/apis/example.com/v1");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/kind"), "APIResourceList");
  ck_assert_str_eq(kjs(r.json, "/resources/0/name"), "widgets");
  ck_assert_str_eq(kjs(r.json, "/resources/0/singularName"), "widget");
  ck_assert_str_eq(kjs(r.json, "/resources/0/kind"), "Widget");
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/resources/0/namespaced")));
  ck_assert_ptr_nonnull(strstr(r.body, "\"watch\""));
  ck_assert_str_eq(kjs(r.json, "/resources/1/name"), "widgets/status");
  kresp_free(&r);
  r = kget("/apis/example.com/v9");
  ck_assert_int_eq(r.code, 404);
  kresp_free(&r);
}
END_TEST

/* 2 */
START_TEST(version_and_openapi) {
  kresp r = kget("/version");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/major"), "1");
  ck_assert_str_eq(kjs(r.json, "/minor"), "32");
  ck_assert_str_eq(kjs(r.json, "/gitVersion"), "v1.32.0");
  kresp_free(&r);
  r = kget("/openapi/v2");
  ck_assert_int_eq(r.code, 200);
  ck_assert_ptr_nonnull(
      strstr(r.headers, "Content-Type: application/com.github.proto-openapi.spec.v2.v1.0+protobuf\r\n"));
  ck_assert_ptr_nonnull(strstr(r.headers, "Content-Length: 0\r\n"));
  ck_assert_int_eq((int)strlen(r.body), 0);
  kresp_free(&r);
  r = kget("/openapi/v3");
  ck_assert_int_eq(r.code, 404);
  ck_assert_str_eq(kjs(r.json, "/kind"), "Status");
  kresp_free(&r);
  r = kget("/healthz");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(r.body, "ok");
  kresp_free(&r);
}
END_TEST

/* 3 */
START_TEST(crd_established) {
  kresp r = kget("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  ck_assert_int_eq(r.code, 200);
  bool est = false, names = false;
  cJSON *c;
  cJSON_ArrayForEach(c, capz_json_ptr_get(r.json, "/status/conditions")) {
    if (!strcmp(kjs(c, "/type"), "Established") && !strcmp(kjs(c, "/status"), "True")) est = true;
    if (!strcmp(kjs(c, "/type"), "NamesAccepted") && !strcmp(kjs(c, "/status"), "True")) names = true;
    ck_assert_str_ne(kjs(c, "/lastTransitionTime"), "");
  }
  ck_assert(est && names);
  ck_assert_str_eq(kjs(r.json, "/metadata/finalizers/0"), "customresourcecleanup.apiextensions.k8s.io");
  ck_assert_str_eq(kjs(r.json, "/status/acceptedNames/listKind"), "WidgetList");
  ck_assert_str_eq(kjs(r.json, "/status/storedVersions/0"), "v1");
  kresp_free(&r);
  /* a CRD whose name is not plural.group is invalid */
  r = kpost("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            "{\"metadata\":{\"name\":\"bad.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":"
            "\"Namespaced\",\"names\":{\"plural\":\"gadgets\",\"kind\":\"Gadget\"},\"versions\":[{\"name\":\"v1\","
            "\"served\":true,\"storage\":true}]}}");
  ck_assert_int_eq(r.code, 422);
  kresp_free(&r);
}
END_TEST

/* 4 */
START_TEST(create_cr) {
  kresp r = kpost(PFX, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},"
                       "\"spec\":{\"size\":3},\"status\":{\"x\":1}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert_int_eq((int)strlen(kjs(r.json, "/metadata/uid")), 36);
  ck_assert_int_eq((int)strlen(kjs(r.json, "/metadata/creationTimestamp")), 20);
  ck_assert_str_ne(kjs(r.json, "/metadata/resourceVersion"), "");
  ck_assert(kjn(r.json, "/metadata/generation") == 1);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/status"));
  ck_assert_str_eq(kjs(r.json, "/spec/shape"), "round"); /* defaulted */
  kresp_free(&r);
  r = kpost(PFX, "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},"
                 "\"spec\":{\"size\":3}}");
  ck_assert_int_eq(r.code, 409);
  ck_assert_str_eq(kjs(r.json, "/reason"), "AlreadyExists");
  ck_assert_str_eq(kjs(r.json, "/message"), "widgets.example.com \"w1\" already exists");
  ck_assert_str_eq(kjs(r.json, "/details/name"), "w1");
  ck_assert_str_eq(kjs(r.json, "/details/group"), "example.com");
  ck_assert_str_eq(kjs(r.json, "/details/kind"), "widgets");
  kresp_free(&r);
  /* generateName and the create-with-resourceVersion rule */
  r = kpost(PFX, "{\"metadata\":{\"generateName\":\"gen-\"},\"spec\":{\"size\":1}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert_int_eq((int)strlen(kjs(r.json, "/metadata/name")), 9);
  kresp_free(&r);
  r = kpost(PFX, "{\"metadata\":{\"name\":\"w9\",\"resourceVersion\":\"5\"},\"spec\":{\"size\":1}}");
  ck_assert_int_eq(r.code, 500);
  ck_assert_str_eq(kjs(r.json, "/message"), "resourceVersion should not be set on objects to be created");
  kresp_free(&r);
  r = kpost(PFX, "{\"metadata\":{},\"spec\":{\"size\":1}}");
  ck_assert_int_eq(r.code, 422);
  ck_assert_str_eq(kjs(r.json, "/details/causes/0/field"), "metadata.name");
  kresp_free(&r);
}
END_TEST

/* 5 */
START_TEST(get_missing) {
  kresp r = kget(PFX "/nope");
  ck_assert_int_eq(r.code, 404);
  ck_assert_str_eq(kjs(r.json, "/reason"), "NotFound");
  ck_assert_str_eq(kjs(r.json, "/message"), "widgets.example.com \"nope\" not found");
  ck_assert_str_eq(kjs(r.json, "/details/name"), "nope");
  ck_assert_str_eq(kjs(r.json, "/details/group"), "example.com");
  ck_assert_str_eq(kjs(r.json, "/details/kind"), "widgets");
  ck_assert_str_eq(kjs(r.json, "/status"), "Failure");
  ck_assert(kjn(r.json, "/code") == 404);
  kresp_free(&r);
}
END_TEST

/* 6 */
START_TEST(optimistic_concurrency) {
  mkw("w1", NULL, NULL);
  kresp g = kget(PFX "/w1");
  char *rv = strdup(kjs(g.json, "/metadata/resourceVersion"));
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(g.json, "spec"), "size", cJSON_CreateNumber(5));
  char *body = cJSON_PrintUnformatted(g.json);
  kresp r = kput(PFX "/w1", body);
  ck_assert_int_eq(r.code, 200);
  ck_assert(strtoull(kjs(r.json, "/metadata/resourceVersion"), NULL, 10) > strtoull(rv, NULL, 10));
  kresp_free(&r);
  r = kput(PFX "/w1", body);
  ck_assert_int_eq(r.code, 409);
  ck_assert_str_eq(kjs(r.json, "/reason"), "Conflict");
  ck_assert_str_eq(kjs(r.json, "/message"),
                   "Operation cannot be fulfilled on widgets.example.com \"w1\": the object has been modified; please "
                   "apply your changes to the latest version and try again");
  kresp_free(&r);
  cJSON_DeleteItemFromObject(cJSON_GetObjectItem(g.json, "metadata"), "resourceVersion");
  free(body);
  body = cJSON_PrintUnformatted(g.json);
  r = kput(PFX "/w1", body);
  ck_assert_int_eq(r.code, 422);
  ck_assert_str_eq(kjs(r.json, "/details/causes/0/field"), "metadata.resourceVersion");
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "must be specified for an update"));
  kresp_free(&r);
  free(body);
  free(rv);
  kresp_free(&g);
  /* Lease: same rule; ConfigMap: unconditional update allowed */
  r = kpost("/apis/coordination.k8s.io/v1/namespaces/default/leases",
            "{\"metadata\":{\"name\":\"l1\"},\"spec\":{\"holderIdentity\":\"a\"}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kput("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1",
           "{\"metadata\":{\"name\":\"l1\"},\"spec\":{\"holderIdentity\":\"b\"}}");
  ck_assert_int_eq(r.code, 422);
  kresp_free(&r);
  r = kpost("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"c1\"},\"data\":{\"a\":\"1\"}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kput("/api/v1/namespaces/default/configmaps/c1", "{\"metadata\":{\"name\":\"c1\"},\"data\":{\"a\":\"2\"}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/data/a"), "2");
  kresp_free(&r);
  r = kput("/api/v1/namespaces/default/configmaps/c1", "{\"metadata\":{\"name\":\"c2\"},\"data\":{}}");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
}
END_TEST

/* 7 */
START_TEST(generation_rules) {
  mkw("w1", NULL, NULL);
  kresp r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":2}}");
  ck_assert(kjn(r.json, "/metadata/generation") == 2);
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
  ck_assert(kjn(r.json, "/metadata/generation") == 2);
  kresp_free(&r);
  r = kpatch(PFX "/w1/status", "application/merge-patch+json", "{\"status\":{\"ready\":true}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/metadata/generation") == 2);
  char *rv = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"status\":{\"ready\":false}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv); /* no change at all */
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/status/ready")));
  kresp_free(&r);
  free(rv);
  r = kpatch(PFX "/w1", "application/json-patch+json", "[{\"op\":\"replace\",\"path\":\"/spec/size\",\"value\":7}]");
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/metadata/generation") == 3);
  kresp_free(&r);
}
END_TEST

/* 8 */
START_TEST(noop_writes) {
  mkw("w1", NULL, NULL);
  kresp r = kpatch(PFX "/w1/status", "application/merge-patch+json", "{\"status\":{\"ok\":1}}");
  kresp_free(&r);
  kresp g = kget(PFX "/w1");
  char *rv = strdup(kjs(g.json, "/metadata/resourceVersion"));
  char path[256];
  snprintf(path, sizeof path, PFX "?watch=true&resourceVersion=%s", rv);
  kwatch_t *w = kw_open(path, 10);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv);
  kresp_free(&r);
  char *body = cJSON_PrintUnformatted(g.json);
  r = kput(PFX "/w1", body);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv);
  kresp_free(&r);
  r = kpatch(PFX "/w1/status", "application/merge-patch+json", "{\"status\":{\"ok\":1}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv);
  kresp_free(&r);
  sleep_ms(400);
  ck_assert_int_eq(kw_count(w), 0);
  /* a real change is seen, proving the watch was live */
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":9}}");
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  kw_close(w);
  free(body);
  free(rv);
  kresp_free(&g);
}
END_TEST

/* 9 */
START_TEST(status_isolation) {
  mkw("w1", "\"a\":\"1\"", NULL);
  kresp g = kget(PFX "/w1");
  char *rv = strdup(kjs(g.json, "/metadata/resourceVersion"));
  /* a watch from a resourceVersion the store has not reached: 504 after ~3 s, like kube-apiserver */
  kresp f = kget(PFX "?watch=1&resourceVersion=1000000000000");
  ck_assert_int_eq(f.code, 504);
  ck_assert_str_eq(kjs(f.json, "/reason"), "Timeout");
  ck_assert_str_eq(kjs(f.json, "/details/causes/0/reason"), "ResourceVersionTooLarge");
  kresp_free(&f);
  char body[1024];
  snprintf(body, sizeof body,
           "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\",\"resourceVersion\":"
           "\"%s\",\"labels\":{\"a\":\"2\"}},\"spec\":{\"size\":100},\"status\":{\"phase\":\"Ready\"}}",
           rv);
  char wpath[256];
  snprintf(wpath, sizeof wpath, PFX "?watch=1&resourceVersion=%s", rv);
  kwatch_t *w = kw_open(wpath, 5);
  kresp r = kput(PFX "/w1/status", body);
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/spec/size") == 1);
  ck_assert_str_eq(kjs(r.json, "/metadata/labels/a"), "1");
  ck_assert_str_eq(kjs(r.json, "/status/phase"), "Ready");
  ck_assert(kjn(r.json, "/metadata/generation") == 1);
  ck_assert_str_ne(kjs(r.json, "/metadata/resourceVersion"), rv);
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  cJSON *ev = kw_line(w, 0);
  ck_assert_str_eq(kjs(ev, "/type"), "MODIFIED");
  cJSON_Delete(ev);
  kw_close(w);
  /* a main-resource update keeps the stored status */
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":2},\"status\":{\"phase\":\"X\"}}");
  ck_assert_str_eq(kjs(r.json, "/status/phase"), "Ready");
  kresp_free(&r);
  free(rv);
  kresp_free(&g);
}
END_TEST

/* 10 */
START_TEST(merge_patch_semantics) {
  mkw("w1", "\"a\":\"1\",\"b\":\"2\"", "{\"size\":1,\"extra\":{\"m\":{\"x\":1,\"y\":2}}}");
  kresp r = kpatch(PFX "/w1", "application/merge-patch+json",
                   "{\"metadata\":{\"labels\":{\"a\":null},\"finalizers\":[\"f/a\",\"f/b\"]}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/metadata/labels/a"));
  ck_assert_str_eq(kjs(r.json, "/metadata/labels/b"), "2");
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/merge-patch+json",
             "{\"metadata\":{\"finalizers\":[\"f/c\"]},\"spec\":{\"extra\":{\"m\":{\"y\":3}}}}");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/metadata/finalizers")), 1);
  ck_assert_str_eq(kjs(r.json, "/metadata/finalizers/0"), "f/c");
  ck_assert(kjn(r.json, "/spec/extra/m/x") == 1);
  ck_assert(kjn(r.json, "/spec/extra/m/y") == 3);
  kresp_free(&r);
}
END_TEST

/* 11 */
START_TEST(strategic_merge_patch) {
  mkw("w1", NULL, NULL);
  kresp r = kpatch(PFX "/w1", "application/strategic-merge-patch+json", "{\"spec\":{\"size\":2}}");
  ck_assert_int_eq(r.code, 415);
  ck_assert_str_eq(kjs(r.json, "/reason"), "UnsupportedMediaType");
  ck_assert_str_eq(kjs(r.json, "/message"),
                   "the body of the request was in an unknown format - accepted media types include: "
                   "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  kresp_free(&r);
  r = kpost("/api/v1/namespaces/default/configmaps",
            "{\"metadata\":{\"name\":\"c1\",\"finalizers\":[\"a\"]},\"data\":{\"x\":\"1\"}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/configmaps/c1", "application/strategic-merge-patch+json",
             "{\"data\":{\"k\":\"v\"}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/data/k"), "v");
  ck_assert_str_eq(kjs(r.json, "/data/x"), "1");
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/configmaps/c1", "application/strategic-merge-patch+json",
             "{\"metadata\":{\"finalizers\":[\"b\"]}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/metadata/finalizers")), 2);
  ck_assert_str_eq(kjs(r.json, "/metadata/finalizers/0"), "a");
  ck_assert_str_eq(kjs(r.json, "/metadata/finalizers/1"), "b");
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/configmaps/c1", "application/strategic-merge-patch+json",
             "{\"$deleteFromPrimitiveList/metadata\":1,\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}");
  ck_assert_int_eq(r.code, 400); /* unknown top-level directive */
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/configmaps/c1", "application/strategic-merge-patch+json",
             "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\",\"b\"]}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/metadata/finalizers")), 0);
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/configmaps/c1", "text/plain", "{}");
  ck_assert_int_eq(r.code, 415);
  kresp_free(&r);
}
END_TEST

/* 12 */
START_TEST(json_patch) {
  mkw("w1", NULL, NULL);
  char *rv = rv_of(PFX "/w1");
  kresp r = kpatch(PFX "/w1", "application/json-patch+json", "[{\"op\":\"test\",\"path\":\"/spec/size\",\"value\":42}]");
  ck_assert_int_eq(r.code, 422);
  ck_assert_str_eq(kjs(r.json, "/reason"), "Invalid");
  kresp_free(&r);
  char *rv2 = rv_of(PFX "/w1");
  ck_assert_str_eq(rv, rv2);
  free(rv2);
  r = kpatch(PFX "/w1", "application/json-patch+json", "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{}},"
                                                       "{\"op\":\"add\",\"path\":\"/metadata/labels/x\",\"value\":\"y\"}]");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/labels/x"), "y");
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/json-patch+json", "not json");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
  char body[256];
  snprintf(body, sizeof body, "{\"metadata\":{\"resourceVersion\":\"%s\"},\"spec\":{\"size\":8}}", rv);
  r = kpatch(PFX "/w1", "application/merge-patch+json", body);
  ck_assert_int_eq(r.code, 409);
  kresp_free(&r);
  free(rv);
}
END_TEST

/* 13 */
START_TEST(list_shape) {
  mkw("wb", NULL, NULL);
  mkw("wa", NULL, NULL);
  kresp r = kpost("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"c1\"}}");
  kresp_free(&r);
  r = kget(PFX);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/kind"), "WidgetList");
  ck_assert_str_eq(kjs(r.json, "/apiVersion"), "example.com/v1");
  ck_assert_str_eq(kjs(r.json, "/items/0/metadata/name"), "wa");
  ck_assert_str_eq(kjs(r.json, "/items/1/metadata/name"), "wb");
  ck_assert_str_eq(kjs(r.json, "/items/0/kind"), "Widget");
  ck_assert_str_eq(kjs(r.json, "/items/0/apiVersion"), "example.com/v1");
  unsigned long long lrv = strtoull(kjs(r.json, "/metadata/resourceVersion"), NULL, 10);
  unsigned long long irv = strtoull(kjs(r.json, "/items/1/metadata/resourceVersion"), NULL, 10);
  ck_assert(lrv > irv); /* the ConfigMap write came later: list RV is the global RV */
  kresp_free(&r);
  r = kget("/api/v1/namespaces/default/configmaps");
  ck_assert_str_eq(kjs(r.json, "/kind"), "ConfigMapList");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/items/0/kind"));
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/items/0/apiVersion"));
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), kjs(r.json, "/items/0/metadata/resourceVersion"));
  kresp_free(&r);
  r = kget("/apis/example.com/v1/widgets"); /* all namespaces */
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 2);
  kresp_free(&r);
}
END_TEST

static int count_items(const char *path) {
  kresp r = kget(path);
  ck_assert_msg(r.code == 200, "%s -> %ld %s", path, r.code, r.body);
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items"));
  kresp_free(&r);
  return n;
}

/* 14 */
START_TEST(selectors) {
  mkw("w1", "\"app\":\"a\",\"tier\":\"x\"", NULL);
  mkw("w2", "\"app\":\"b\"", NULL);
  mkw("w3", "\"app\":\"c\",\"gone\":\"1\"", NULL);
  mkw("w4", "\"app\":\"a\",\"gone\":\"1\"", NULL);
  ck_assert_int_eq(count_items(PFX "?labelSelector=app+in+%28a%2Cb%29%2C%21gone"), 2);
  ck_assert_int_eq(count_items(PFX "?labelSelector=tier%21%3Dx"), 3);
  ck_assert_int_eq(count_items(PFX "?labelSelector=tier"), 1);
  ck_assert_int_eq(count_items(PFX "?labelSelector=app%3D%3Da,gone"), 1);
  ck_assert_int_eq(count_items(PFX "?labelSelector=app+notin+%28a%29"), 2);
  ck_assert_int_eq(count_items(PFX "?fieldSelector=metadata.name%3Dw1"), 1);
  ck_assert_int_eq(count_items(PFX "?fieldSelector=metadata.name%21%3Dw1,metadata.namespace%3Ddefault"), 3);
  kresp r = kget(PFX "?fieldSelector=spec.color%3Dred");
  ck_assert_int_eq(r.code, 400);
  ck_assert_str_eq(kjs(r.json, "/reason"), "BadRequest");
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "field label not supported: spec.color"));
  kresp_free(&r);
  r = kget(PFX "?labelSelector=app+in+%28a");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
}
END_TEST

/* 15 */
START_TEST(pagination) {
  mkw("w1", NULL, NULL);
  mkw("w2", NULL, NULL);
  mkw("w3", NULL, NULL);
  kresp r = kget(PFX "?limit=1");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 1);
  ck_assert_str_eq(kjs(r.json, "/items/0/metadata/name"), "w1");
  char *rv = strdup(kjs(r.json, "/metadata/resourceVersion"));
  char *cont = strdup(kjs(r.json, "/metadata/continue"));
  ck_assert_str_ne(cont, "");
  kresp_free(&r);
  mkw("w0", NULL, NULL); /* a later write does not change the page's RV */
  char path[1024];
  snprintf(path, sizeof path, PFX "?limit=1&continue=%s", cont);
  r = kget(path);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/items/0/metadata/name"), "w2");
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), rv);
  char *cont2 = strdup(kjs(r.json, "/metadata/continue"));
  kresp_free(&r);
  snprintf(path, sizeof path, PFX "?limit=1&continue=%s", cont2);
  r = kget(path);
  ck_assert_str_eq(kjs(r.json, "/items/0/metadata/name"), "w3");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/metadata/continue"));
  kresp_free(&r);
  r = kget(PFX "?limit=1&continue=garbage!!");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
  r = kreq("POST", "/_sim/compact", NULL, "");
  kresp_free(&r);
  r = kget(path);
  ck_assert_int_eq(r.code, 410);
  ck_assert_str_eq(kjs(r.json, "/reason"), "Expired");
  kresp_free(&r);
  /* resourceVersionMatch rules */
  r = kget(PFX "?resourceVersionMatch=NotOlderThan");
  ck_assert_int_eq(r.code, 422);
  kresp_free(&r);
  r = kget(PFX "?resourceVersion=0&resourceVersionMatch=Exact");
  ck_assert_int_eq(r.code, 422);
  kresp_free(&r);
  r = kget(PFX "?resourceVersion=99999999&resourceVersionMatch=NotOlderThan");
  ck_assert_int_eq(r.code, 504);
  kresp_free(&r);
  free(rv);
  free(cont);
  free(cont2);
}
END_TEST

/* 16 */
START_TEST(watch_from_list_rv) {
  mkw("w1", NULL, NULL);
  mkw("w2", NULL, NULL);
  char *rv = rv_of(PFX);
  kresp r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":5}}");
  char *nrv = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  char path[256];
  snprintf(path, sizeof path, PFX "?watch=true&resourceVersion=%s", rv);
  kwatch_t *w = kw_open(path, 10);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  cJSON *e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/type"), "MODIFIED");
  ck_assert_str_eq(kjs(e, "/object/metadata/name"), "w1");
  ck_assert_str_eq(kjs(e, "/object/metadata/resourceVersion"), nrv);
  ck_assert_str_eq(kjs(e, "/object/kind"), "Widget");
  cJSON_Delete(e);
  mkw("w3", NULL, NULL);
  r = kdel(PFX "/w2", NULL);
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 3, 5), 3);
  unsigned long long last = 0;
  for (int i = 0; i < 3; i++) {
    e = kw_line(w, i);
    ck_assert_ptr_nonnull(e); /* each line is one JSON document */
    unsigned long long v = strtoull(kjs(e, "/object/metadata/resourceVersion"), NULL, 10);
    ck_assert(v > last);
    last = v;
    if (i == 1) ck_assert_str_eq(kjs(e, "/type"), "ADDED");
    if (i == 2) ck_assert_str_eq(kjs(e, "/type"), "DELETED");
    cJSON_Delete(e);
  }
  kw_close(w);
  free(rv);
  free(nrv);
}
END_TEST

/* 17 */
START_TEST(watch_rv_empty_and_zero) {
  mkw("gone", NULL, NULL);
  kresp r = kdel(PFX "/gone", NULL);
  kresp_free(&r);
  mkw("w1", NULL, NULL);
  mkw("w2", NULL, NULL);
  const char *paths[] = {PFX "?watch=true", PFX "?watch=true&resourceVersion=0"};
  for (int k = 0; k < 2; k++) {
    kwatch_t *w = kw_open(paths[k], 10);
    ck_assert_int_eq(kw_wait_lines(w, 2 + k, 5), 2 + k); /* w1, w2 (+ live0 on the second round) */
    for (int i = 0; i < 2 + k; i++) {
      cJSON *e = kw_line(w, i);
      ck_assert_str_eq(kjs(e, "/type"), "ADDED");
      ck_assert_str_ne(kjs(e, "/object/metadata/name"), "gone");
      cJSON_Delete(e);
    }
    char nm[16];
    snprintf(nm, sizeof nm, "live%d", k);
    mkw(nm, NULL, NULL);
    ck_assert_int_eq(kw_wait_lines(w, 3 + k, 5), 3 + k);
    cJSON *e = kw_line(w, 2 + k);
    ck_assert_str_eq(kjs(e, "/object/metadata/name"), nm);
    cJSON_Delete(e);
    kw_close(w);
  }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kube_sim_api");
  TCase *tc = tcase_create("api");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, discovery_after_crd);
  tcase_add_test(tc, version_and_openapi);
  tcase_add_test(tc, crd_established);
  tcase_add_test(tc, create_cr);
  tcase_add_test(tc, get_missing);
  tcase_add_test(tc, optimistic_concurrency);
  tcase_add_test(tc, generation_rules);
  tcase_add_test(tc, noop_writes);
  tcase_add_test(tc, status_isolation);
  tcase_add_test(tc, merge_patch_semantics);
  tcase_add_test(tc, strategic_merge_patch);
  tcase_add_test(tc, json_patch);
  tcase_add_test(tc, list_shape);
  tcase_add_test(tc, selectors);
  tcase_add_test(tc, pagination);
  tcase_add_test(tc, watch_from_list_rv);
  tcase_add_test(tc, watch_rv_empty_and_zero);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
