/* test_kube_sim_gc.c — garbage collection stays proportional to the change (docs/kube-sim.md,
 * "Garbage collection"): with 5,000 owned objects in the store, the objects the GC examines
 * (/_sim/stats gcVisited) for one update of an owned object, or for deleting an owner, depend on
 * that object's references and dependents only; semantics (background collection, dangling
 * owners, changed references, GC switched back on) still hold. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckrun.h"
#include "ksim_client.h"

#define CM "/api/v1/namespaces/default/configmaps"
#define OWNERS 50
#define PER_OWNER 100 /* 5,000 dependents */

static void setup(void) { ksim_start(); }
static void teardown(void) { ksim_stop(); }

static size_t discard(char *p, size_t s, size_t n, void *u) {
  (void)p;
  (void)u;
  return s * n;
}

/* Bulk creates over one keep-alive connection (the shared helpers open one per request). */
static void bulk_post(CURL *c, const char *path, const char *body) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", KSIM.url, path);
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  long code = 0;
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  ck_assert_msg(code == 201, "create %s: rc %d code %ld", body, (int)rc, code);
}

static char *uid_of(const char *path) {
  kresp r = kget(path);
  ck_assert_int_eq(r.code, 200);
  char *s = strdup(kjs(r.json, "/metadata/uid"));
  kresp_free(&r);
  return s;
}

/* Wait until the GC queue is drained; returns gcVisited. The queue is filled inside each write, so
 * once a write has been answered, "gcPending":false means its checks have run. */
static double gc_idle(void) {
  for (int i = 0; i < 400; i++) {
    kresp r = kget("/_sim/stats");
    ck_assert_int_eq(r.code, 200);
    cJSON *p = cJSON_GetObjectItem(r.json, "gcPending");
    ck_assert_msg(cJSON_IsBool(p), "stats without gcPending: %s", r.body);
    double v = kjn(r.json, "/gcVisited");
    bool pending = cJSON_IsTrue(p);
    kresp_free(&r);
    if (!pending) return v;
    sleep_ms(25);
  }
  ck_abort_msg("GC queue never drained");
  return -1;
}

static double objects(void) {
  kresp r = kget("/_sim/stats");
  double n = kjn(r.json, "/objects");
  kresp_free(&r);
  return n;
}

static long code_of(const char *method, const char *path, const char *body) {
  kresp r = kreq(method, path, NULL, body);
  long c = r.code;
  kresp_free(&r);
  return c;
}

static void child_body(char *b, size_t n, const char *name, int owner, const char *uid) {
  snprintf(b, n,
           "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"owner\":\"o%d\"},\"ownerReferences\":[{\"apiVersion\":"
           "\"v1\",\"kind\":\"ConfigMap\",\"name\":\"o%d\",\"uid\":\"%s\",\"blockOwnerDeletion\":true}]},"
           "\"data\":{\"k\":\"v\"}}",
           name, owner, owner, uid);
}

START_TEST(gc_proportional) {
  CURL *c = curl_easy_init();
  char *uids[OWNERS];
  char b[1024], name[64];
  for (int o = 0; o < OWNERS; o++) {
    snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"o%d\"}}", o);
    bulk_post(c, CM, b);
    snprintf(name, sizeof name, CM "/o%d", o);
    uids[o] = uid_of(name);
  }
  for (int o = 0; o < OWNERS; o++) {
    for (int k = 0; k < PER_OWNER; k++) {
      snprintf(name, sizeof name, "c%d-%d", o, k);
      child_body(b, sizeof b, name, o, uids[o]);
      bulk_post(c, CM, b);
    }
  }
  curl_easy_cleanup(c);
  double base = objects();
  ck_assert(base >= OWNERS * (PER_OWNER + 1));

  /* an update of one owned object examines that object only, not the 5,000 others */
  double v0 = gc_idle();
  kresp r = kpatch(CM "/c7-3", "application/merge-patch+json", "{\"data\":{\"k\":\"changed\"}}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  double v1 = gc_idle();
  ck_assert_msg(v1 - v0 >= 1 && v1 - v0 <= 3, "update visited %.0f objects", v1 - v0);
  ck_assert(objects() == base);

  /* an unowned write examines nothing */
  r = kpatch(CM "/o9", "application/merge-patch+json", "{\"data\":{\"x\":\"y\"}}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert(gc_idle() == v1);

  /* deleting one owner visits its dependents (each a few times), not the store */
  ck_assert_int_eq(code_of("DELETE", CM "/o3", "{\"propagationPolicy\":\"Background\"}"), 200);
  double v2 = gc_idle();
  ck_assert_msg(v2 - v1 >= PER_OWNER && v2 - v1 <= 4 * PER_OWNER, "owner delete visited %.0f", v2 - v1);
  r = kget(CM "?labelSelector=owner%3Do3");
  ck_assert_int_eq(r.code, 200);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 0);
  kresp_free(&r);
  ck_assert(objects() == base - PER_OWNER - 1);
  r = kget(CM "?labelSelector=owner%3Do4");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), PER_OWNER);
  kresp_free(&r);

  /* re-pointing a dependent at a missing owner gets it collected */
  snprintf(b, sizeof b,
           "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"gone\","
           "\"uid\":\"00000000-0000-4000-8000-0000000000aa\"}]}}");
  r = kpatch(CM "/c5-5", "application/merge-patch+json", b);
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  gc_idle();
  ck_assert_int_eq(code_of("GET", CM "/c5-5", NULL), 404);

  /* a dependent keeps its live owner and loses a dangling second reference */
  snprintf(b, sizeof b,
           "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"o6\","
           "\"uid\":\"%s\"},{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"gone\",\"uid\":"
           "\"00000000-0000-4000-8000-0000000000ab\"}]}}",
           uids[6]);
  r = kpatch(CM "/c6-1", "application/merge-patch+json", b);
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  gc_idle();
  r = kget(CM "/c6-1");
  ck_assert_int_eq(r.code, 200);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "metadata"),
                                                          "ownerReferences")),
                   1);
  ck_assert_str_eq(kjs(r.json, "/metadata/ownerReferences/0/uid"), uids[6]);
  kresp_free(&r);
  for (int o = 0; o < OWNERS; o++) free(uids[o]);
}
END_TEST

/* Writes made while GC is off queue nothing; switching it on re-checks every dependent. */
START_TEST(gc_reenabled) {
  ck_assert_int_eq(code_of("POST", "/_sim/gc", "{\"enabled\":false}"), 200);
  char b[1024];
  child_body(b, sizeof b, "kept", 1, "00000000-0000-4000-8000-000000000001");
  ck_assert_int_eq(code_of("POST", CM, b), 201);
  ck_assert_int_eq(code_of("POST", CM, "{\"metadata\":{\"name\":\"own\"}}"), 201);
  char *uid = uid_of(CM "/own");
  snprintf(b, sizeof b,
           "{\"metadata\":{\"name\":\"live\",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
           "\"name\":\"own\",\"uid\":\"%s\"}]}}",
           uid);
  ck_assert_int_eq(code_of("POST", CM, b), 201);
  sleep_ms(300);
  ck_assert_int_eq(code_of("GET", CM "/kept", NULL), 200);
  ck_assert_int_eq(code_of("POST", "/_sim/gc", "{\"enabled\":true}"), 200);
  gc_idle();
  ck_assert_int_eq(code_of("GET", CM "/kept", NULL), 404);
  ck_assert_int_eq(code_of("GET", CM "/live", NULL), 200);
  /* foreground deletion of the owner waits for, then releases on, its dependent */
  ck_assert_int_eq(code_of("DELETE", CM "/own", "{\"propagationPolicy\":\"Foreground\"}"), 200);
  gc_idle();
  ck_assert_int_eq(code_of("GET", CM "/live", NULL), 404);
  ck_assert_int_eq(code_of("GET", CM "/own", NULL), 404);
  free(uid);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kube_sim_gc");
  TCase *tc = tcase_create("gc");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 100);
  tcase_add_test(tc, gc_proportional);
  tcase_add_test(tc, gc_reenabled);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
