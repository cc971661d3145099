/* test_kube_sim_lifecycle.c — acceptance checklist cases 18-29 and 37-40: watch expiry,
 * bookmarks and lifetime, deletion and finalizers, selector transitions, garbage collection,
 * leases, events, secrets, namespaces, deletecollection, dryRun, CRD cascade, protobuf bodies. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capz/json.h"
#include "ksim_client.h"
#include "ckrun.h"

static void setup(void) {
  ksim_start();
  install_widget_crd();
}
static void teardown(void) { ksim_stop(); }

static void mkw(const char *name, const char *meta_extra, const char *labels) {
  char b[2048];
  snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}%s%s},\"spec\":{\"size\":1}}", name,
           labels ? labels : "", meta_extra ? "," : "", meta_extra ? meta_extra : "");
  kresp r = kpost(PFX, b);
  ck_assert_msg(r.code == 201, "create %s: %ld %s", name, r.code, r.body);
  kresp_free(&r);
}

static char *get_rv(const char *path) {
  kresp r = kget(path);
  char *s = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  return s;
}

static long code_of(const char *method, const char *path, const char *body) {
  kresp r = kreq(method, path, NULL, body);
  long c = r.code;
  kresp_free(&r);
  return c;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 18 */
START_TEST(watch_410) {
  mkw("w1", NULL, NULL);
  char *rv = get_rv(PFX);
  mkw("w2", NULL, NULL);
  ck_assert_int_eq(code_of("POST", "/_sim/compact", ""), 200);
  char path[256];
  snprintf(path, sizeof path, PFX "?watch=true&resourceVersion=%s", rv);
  kwatch_t *w = kw_open(path, 10);
  ck_assert(kw_wait_finished(w, 5));
  ck_assert_int_eq((int)w->code, 200);
  ck_assert_int_eq(kw_count(w), 1);
  cJSON *e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/type"), "ERROR");
  ck_assert(kjn(e, "/object/code") == 410);
  ck_assert_str_eq(kjs(e, "/object/reason"), "Expired");
  ck_assert_ptr_nonnull(strstr(kjs(e, "/object/message"), "too old resource version"));
  cJSON_Delete(e);
  kw_close(w);
  /* the current RV still works after compaction */
  char *cur = get_rv(PFX);
  snprintf(path, sizeof path, PFX "?watch=true&resourceVersion=%s", cur);
  w = kw_open(path, 10);
  mkw("w3", NULL, NULL);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/type"), "ADDED");
  cJSON_Delete(e);
  kw_close(w);
  free(cur);
  free(rv);
}
END_TEST

/* 19 */
START_TEST(bookmarks) {
  mkw("w1", NULL, NULL);
  char *rv = get_rv(PFX);
  kwatch_t *w = kw_open_from(rv, "allowWatchBookmarks=true&timeoutSeconds=2", 10);
  ck_assert(kw_wait_finished(w, 6));
  ck_assert_int_eq(kw_count(w), 1);
  cJSON *e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/type"), "BOOKMARK");
  cJSON *obj = cJSON_GetObjectItem(e, "object");
  ck_assert_int_eq(cJSON_GetArraySize(obj), 3);
  ck_assert_str_eq(kjs(obj, "/kind"), "Widget");
  ck_assert_str_eq(kjs(obj, "/apiVersion"), "example.com/v1");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj, "metadata")), 1);
  ck_assert(strtoull(kjs(obj, "/metadata/resourceVersion"), NULL, 10) >= strtoull(rv, NULL, 10));
  cJSON_Delete(e);
  kw_close(w);
  w = kw_open_from(rv, "timeoutSeconds=1", 10);
  ck_assert(kw_wait_finished(w, 5));
  ck_assert_int_eq(kw_count(w), 0);
  kw_close(w);
  free(rv);
}
END_TEST

static int raw_connect(void) {
  int port = 0;
  sscanf(strrchr(KSIM.url, ':') + 1, "%d", &port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

/* 20 */
START_TEST(watch_lifetime) {
  double t0 = now_s();
  kwatch_t *w = kw_open(PFX "?watch=true&timeoutSeconds=2", 10);
  ck_assert(kw_wait_finished(w, 6));
  double dt = now_s() - t0;
  ck_assert_msg(dt > 1.5 && dt < 4.0, "watch lasted %.2fs", dt);
  ck_assert_int_eq((int)w->code, 200);
  kw_close(w);
  /* 50 watches opened and abruptly dropped, half of them after reading the headers */
  int fds[50];
  const char *req = "GET " PFX "?watch=true HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 50; i++) {
    fds[i] = raw_connect();
    ck_assert(write(fds[i], req, strlen(req)) == (ssize_t)strlen(req));
  }
  for (int i = 0; i < 50; i += 2) {
    char buf[512];
    ck_assert(read(fds[i], buf, sizeof buf) > 0);
  }
  for (int i = 0; i < 50; i++) close(fds[i]);
  mkw("w1", NULL, NULL); /* writes wake the watchers, which must notice the dead sockets */
  ck_assert_int_eq(code_of("GET", "/version", NULL), 200);
  ck_assert_int_eq(ksim_wait_watches(0, 100), 0);
}
END_TEST

/* 21 */
START_TEST(plain_delete) {
  mkw("w1", NULL, NULL);
  kresp g = kget(PFX "/w1");
  char *uid = strdup(kjs(g.json, "/metadata/uid"));
  unsigned long long prv = strtoull(kjs(g.json, "/metadata/resourceVersion"), NULL, 10);
  kresp_free(&g);
  char path[256];
  snprintf(path, sizeof path, PFX "?watch=1&resourceVersion=%llu", prv);
  kwatch_t *w = kw_open(path, 10);
  kresp r = kdel(PFX "/w1", "{\"propagationPolicy\":\"Background\"}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/kind"), "Status");
  ck_assert_str_eq(kjs(r.json, "/status"), "Success");
  ck_assert_str_eq(kjs(r.json, "/details/uid"), uid);
  ck_assert_str_eq(kjs(r.json, "/details/name"), "w1");
  ck_assert_str_eq(kjs(r.json, "/details/kind"), "widgets");
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  cJSON *e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/type"), "DELETED");
  ck_assert(strtoull(kjs(e, "/object/metadata/resourceVersion"), NULL, 10) > prv);
  cJSON_Delete(e);
  kw_close(w);
  ck_assert_int_eq(code_of("GET", PFX "/w1", NULL), 404);
  ck_assert_int_eq(code_of("DELETE", PFX "/w1", NULL), 404);
  mkw("w1", NULL, NULL);
  g = kget(PFX "/w1");
  ck_assert_str_ne(kjs(g.json, "/metadata/uid"), uid);
  kresp_free(&g);
  free(uid);
}
END_TEST

/* 22 */
START_TEST(finalizer_delete) {
  mkw("w1", "\"finalizers\":[\"f/x\"]", NULL);
  char *rv = get_rv(PFX "/w1");
  kwatch_t *w = kw_open_from(rv, NULL, 10);
  kresp r = kdel(PFX "/w1", NULL);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/kind"), "Widget");
  ck_assert_str_ne(kjs(r.json, "/metadata/deletionTimestamp"), "");
  ck_assert(kjn(r.json, "/metadata/deletionGracePeriodSeconds") == 0);
  ck_assert(kjn(r.json, "/metadata/generation") == 2);
  char *drv = strdup(kjs(r.json, "/metadata/resourceVersion"));
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  cJSON *e = kw_line(w, 0);
  ck_assert_str_eq(kjs(e, "/type"), "MODIFIED");
  cJSON_Delete(e);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"metadata\":{\"finalizers\":[\"f/x\",\"f/y\"]}}");
  ck_assert_int_eq(r.code, 422);
  ck_assert_str_eq(kjs(r.json, "/details/causes/0/field"), "metadata.finalizers");
  kresp_free(&r);
  r = kdel(PFX "/w1", NULL);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/resourceVersion"), drv);
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"metadata\":{\"deletionTimestamp\":null}}");
  ck_assert_str_ne(kjs(r.json, "/metadata/deletionTimestamp"), ""); /* cannot be cleared */
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/json-patch+json", "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 2, 5), 2);
  e = kw_line(w, 1);
  ck_assert_str_eq(kjs(e, "/type"), "DELETED");
  cJSON_Delete(e);
  ck_assert_int_eq(code_of("GET", PFX "/w1", NULL), 404);
  kw_close(w);
  free(rv);
  free(drv);
}
END_TEST

/* 23 */
START_TEST(selector_transitions) {
  mkw("w1", NULL, "\"app\":\"a\"");
  kwatch_t *w = kw_open(PFX "?watch=1&labelSelector=app%3Da", 10);
  ck_assert_int_eq(kw_wait_lines(w, 1, 5), 1);
  kresp r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"app\":\"b\"}}}");
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 2, 5), 2);
  cJSON *e = kw_line(w, 1);
  ck_assert_str_eq(kjs(e, "/type"), "DELETED");
  cJSON_Delete(e);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":4}}"); /* invisible to this watch */
  kresp_free(&r);
  r = kpatch(PFX "/w1", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"app\":\"a\"}}}");
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 3, 5), 3);
  e = kw_line(w, 2);
  ck_assert_str_eq(kjs(e, "/type"), "ADDED");
  ck_assert(kjn(e, "/object/spec/size") == 4);
  cJSON_Delete(e);
  sleep_ms(200);
  ck_assert_int_eq(kw_count(w), 3);
  kw_close(w);
}
END_TEST

static char *mk_parent(const char *name) {
  mkw(name, NULL, NULL);
  kresp g = kget(PFX "/p");
  char *uid = strdup(kjs(g.json, "/metadata/uid"));
  kresp_free(&g);
  return uid;
}

static void mk_child(const char *name, const char *uid) {
  char b[1024];
  snprintf(b, sizeof b,
           "{\"metadata\":{\"name\":\"%s\",\"ownerReferences\":[{\"apiVersion\":\"example.com/v1\",\"kind\":"
           "\"Widget\",\"name\":\"p\",\"uid\":\"%s\",\"controller\":true,\"blockOwnerDeletion\":true}]}}",
           name, uid);
  kresp r = kpost("/api/v1/namespaces/default/configmaps", b);
  ck_assert_msg(r.code == 201, "%ld %s", r.code, r.body);
  kresp_free(&r);
}

static bool wait_code(const char *path, long code, double secs) {
  for (int i = 0; i < (int)(secs * 20); i++) {
    if (code_of("GET", path, NULL) == code) return true;
    sleep_ms(50);
  }
  return false;
}

/* 24 */
START_TEST(gc_policies) {
  char *uid = mk_parent("p");
  mk_child("c1", uid);
  ck_assert_int_eq(code_of("DELETE", PFX "/p", "{\"propagationPolicy\":\"Background\"}"), 200);
  ck_assert(wait_code("/api/v1/namespaces/default/configmaps/c1", 404, 2));
  free(uid);
  /* orphan */
  uid = mk_parent("p");
  mk_child("c2", uid);
  kresp r = kdel(PFX "/p", "{\"propagationPolicy\":\"Orphan\"}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/finalizers/0"), "orphan");
  kresp_free(&r);
  ck_assert(wait_code(PFX "/p", 404, 2));
  r = kget("/api/v1/namespaces/default/configmaps/c2");
  ck_assert_int_eq(r.code, 200);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/metadata/ownerReferences")), 0);
  kresp_free(&r);
  free(uid);
  /* foreground: the owner waits for its blocking dependent */
  uid = mk_parent("p");
  char b[1024];
  snprintf(b, sizeof b,
           "{\"metadata\":{\"name\":\"c3\",\"finalizers\":[\"hold/it\"],\"ownerReferences\":[{\"apiVersion\":"
           "\"example.com/v1\",\"kind\":\"Widget\",\"name\":\"p\",\"uid\":\"%s\",\"blockOwnerDeletion\":true}]}}",
           uid);
  r = kpost("/api/v1/namespaces/default/configmaps", b);
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kdel(PFX "/p", "{\"propagationPolicy\":\"Foreground\"}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/metadata/finalizers/0"), "foregroundDeletion");
  kresp_free(&r);
  sleep_ms(300);
  ck_assert_int_eq(code_of("GET", PFX "/p", NULL), 200); /* still there: c3 is held by its finalizer */
  r = kget("/api/v1/namespaces/default/configmaps/c3");
  ck_assert_str_ne(kjs(r.json, "/metadata/deletionTimestamp"), "");
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/configmaps/c3", "application/merge-patch+json",
             "{\"metadata\":{\"finalizers\":null}}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert(wait_code("/api/v1/namespaces/default/configmaps/c3", 404, 2));
  ck_assert(wait_code(PFX "/p", 404, 2));
  free(uid);
}
END_TEST

/* 25 */
START_TEST(dangling_owner) {
  mk_child("orphaned", "00000000-0000-4000-8000-000000000000");
  ck_assert(wait_code("/api/v1/namespaces/default/configmaps/orphaned", 404, 3));
  /* an owner in another namespace does not count */
  ck_assert_int_eq(code_of("POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"other\"}}"), 201);
  char *uid = mk_parent("p");
  char b[1024];
  snprintf(b, sizeof b,
           "{\"metadata\":{\"name\":\"x\",\"ownerReferences\":[{\"apiVersion\":\"example.com/v1\",\"kind\":"
           "\"Widget\",\"name\":\"p\",\"uid\":\"%s\"}]}}",
           uid);
  ck_assert_int_eq(code_of("POST", "/api/v1/namespaces/other/configmaps", b), 201);
  ck_assert(wait_code("/api/v1/namespaces/other/configmaps/x", 404, 3));
  /* with GC switched off nothing is collected */
  ck_assert_int_eq(code_of("POST", "/_sim/gc", "{\"enabled\":false}"), 200);
  mk_child("kept", "00000000-0000-4000-8000-000000000001");
  sleep_ms(500);
  ck_assert_int_eq(code_of("GET", "/api/v1/namespaces/default/configmaps/kept", NULL), 200);
  free(uid);
}
END_TEST

/* 26 */
START_TEST(lease_race) {
  const char *L = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
  kresp r = kpost(L, "{\"metadata\":{\"name\":\"lead\"},\"spec\":{\"holderIdentity\":\"a\",\"leaseDurationSeconds\":15,"
                     "\"renewTime\":\"2025-01-02T03:04:05.123456Z\",\"acquireTime\":\"2025-01-02T03:04:05.1Z\"}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert_str_eq(kjs(r.json, "/spec/renewTime"), "2025-01-02T03:04:05.123456Z");
  ck_assert_str_eq(kjs(r.json, "/spec/acquireTime"), "2025-01-02T03:04:05.100000Z");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/metadata/generation"));
  kresp_free(&r);
  kresp a = kget("/apis/coordination.k8s.io/v1/namespaces/default/leases/lead");
  kresp b = kget("/apis/coordination.k8s.io/v1/namespaces/default/leases/lead");
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(a.json, "spec"), "holderIdentity", cJSON_CreateString("x"));
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(b.json, "spec"), "holderIdentity", cJSON_CreateString("y"));
  char *ba = cJSON_PrintUnformatted(a.json), *bb = cJSON_PrintUnformatted(b.json);
  long c1 = code_of("PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/lead", ba);
  long c2 = code_of("PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/lead", bb);
  ck_assert_int_eq(c1, 200);
  ck_assert_int_eq(c2, 409);
  r = kget("/apis/coordination.k8s.io/v1/namespaces/default/leases/lead");
  ck_assert_str_eq(kjs(r.json, "/spec/holderIdentity"), "x");
  ck_assert_str_eq(kjs(r.json, "/spec/renewTime"), "2025-01-02T03:04:05.123456Z");
  kresp_free(&r);
  ck_assert_int_eq(code_of("POST", L, "{\"metadata\":{\"name\":\"lead\"},\"spec\":{}}"), 409);
  free(ba);
  free(bb);
  kresp_free(&a);
  kresp_free(&b);
}
END_TEST

/* 27 */
START_TEST(events) {
  mkw("w1", NULL, NULL);
  kresp g = kget(PFX "/w1");
  char *uid = strdup(kjs(g.json, "/metadata/uid"));
  kresp_free(&g);
  char b[2048];
  snprintf(b, sizeof b,
           "{\"metadata\":{\"generateName\":\"w1.\"},\"involvedObject\":{\"apiVersion\":\"example.com/v1\",\"kind\":"
           "\"Widget\",\"name\":\"w1\",\"namespace\":\"default\",\"uid\":\"%s\"},\"reason\":\"Made\",\"message\":"
           "\"made it\",\"type\":\"Normal\",\"count\":1,\"source\":{\"component\":\"test\"}}",
           uid);
  kresp r = kpost("/api/v1/namespaces/default/events", b);
  ck_assert_int_eq(r.code, 201);
  char *name = strdup(kjs(r.json, "/metadata/name"));
  ck_assert_int_eq((int)strlen(name), 8);
  kresp_free(&r);
  snprintf(b, sizeof b,
           "{\"metadata\":{\"name\":\"ev2\"},\"regarding\":{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
           "\"name\":\"w1\",\"namespace\":\"default\",\"uid\":\"%s\"},\"reason\":\"Again\",\"note\":\"v1 event\","
           "\"type\":\"Normal\",\"eventTime\":\"2025-01-01T00:00:00.5Z\",\"reportingController\":\"t/c\","
           "\"reportingInstance\":\"i\",\"action\":\"Do\"}",
           uid);
  r = kpost("/apis/events.k8s.io/v1/namespaces/default/events", b);
  ck_assert_msg(r.code == 201, "%s", r.body);
  ck_assert_str_eq(kjs(r.json, "/note"), "v1 event");
  ck_assert_str_eq(kjs(r.json, "/eventTime"), "2025-01-01T00:00:00.500000Z");
  kresp_free(&r);
  r = kpost("/apis/events.k8s.io/v1/namespaces/default/events", "{\"metadata\":{\"name\":\"bad\"},\"type\":\"Odd\"}");
  ck_assert_int_eq(r.code, 422);
  kresp_free(&r);
  /* kubectl describe's query (1.32 order) finds both through core/v1 */
  char q[1024];
  snprintf(q, sizeof q,
           "/api/v1/namespaces/default/events?fieldSelector=involvedObject.namespace%%3Ddefault%%2CinvolvedObject."
           "kind%%3DWidget%%2CinvolvedObject.uid%%3D%s%%2CinvolvedObject.name%%3Dw1&limit=500",
           uid);
  r = kget(q);
  ck_assert_int_eq(r.code, 200);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 2);
  ck_assert_ptr_nonnull(strstr(r.body, "\"message\":\"v1 event\""));
  kresp_free(&r);
  r = kget("/apis/events.k8s.io/v1/namespaces/default/events");
  ck_assert_str_eq(kjs(r.json, "/kind"), "EventList");
  ck_assert_ptr_nonnull(strstr(r.body, "\"note\":\"made it\""));
  ck_assert_ptr_nonnull(strstr(r.body, "\"eventTime\":null"));
  kresp_free(&r);
  snprintf(q, sizeof q, "/api/v1/namespaces/default/events/%s", name);
  r = kpatch(q, "application/strategic-merge-patch+json", "{\"count\":2,\"lastTimestamp\":\"2025-01-01T00:00:01Z\"}");
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/count") == 2);
  ck_assert_str_eq(kjs(r.json, "/reason"), "Made");
  kresp_free(&r);
  free(uid);
  free(name);
}
END_TEST

/* 28 */
START_TEST(secrets) {
  kresp r = kpost("/api/v1/namespaces/default/secrets", "{\"metadata\":{\"name\":\"s1\"},\"stringData\":{\"a\":\"b\"}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert_str_eq(kjs(r.json, "/data/a"), "Yg==");
  ck_assert_ptr_null(capz_json_ptr_get(r.json, "/stringData"));
  ck_assert_str_eq(kjs(r.json, "/type"), "Opaque");
  kresp_free(&r);
  r = kget("/api/v1/namespaces/default/secrets/s1");
  ck_assert_str_eq(kjs(r.json, "/data/a"), "Yg==");
  kresp_free(&r);
  r = kpost("/api/v1/namespaces/default/secrets", "{\"metadata\":{\"name\":\"s2\"},\"data\":{\"a\":\"not base64!\"}}");
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
  r = kpost("/api/v1/namespaces/default/secrets",
            "{\"metadata\":{\"name\":\"s3\"},\"immutable\":true,\"data\":{\"a\":\"Yg==\"}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  r = kpatch("/api/v1/namespaces/default/secrets/s3", "application/merge-patch+json", "{\"data\":{\"a\":\"Yw==\"}}");
  ck_assert_int_eq(r.code, 422);
  kresp_free(&r);
  r = kget("/api/v1/namespaces/default/secrets?fieldSelector=type%3DOpaque");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 2);
  kresp_free(&r);
}
END_TEST

/* 29 */
START_TEST(namespaces) {
  kresp r = kpost("/apis/example.com/v1/namespaces/nope/widgets", "{\"metadata\":{\"name\":\"w\"},\"spec\":{}}");
  ck_assert_int_eq(r.code, 404);
  ck_assert_str_eq(kjs(r.json, "/message"), "namespaces \"nope\" not found");
  kresp_free(&r);
  r = kpost("/api/v1/namespaces", "{\"metadata\":{\"name\":\"t\"}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert_str_eq(kjs(r.json, "/status/phase"), "Active");
  ck_assert_str_eq(kjs(r.json, "/metadata/labels/kubernetes.io~1metadata.name"), "t");
  kresp_free(&r);
  ck_assert_int_eq(code_of("POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"Bad_Name\"}}"), 422);
  r = kpost("/apis/example.com/v1/namespaces/t/widgets",
            "{\"metadata\":{\"name\":\"w\",\"finalizers\":[\"hold/on\"]},\"spec\":{}}");
  ck_assert_int_eq(r.code, 201);
  kresp_free(&r);
  kwatch_t *w = kw_open("/apis/example.com/v1/namespaces/t/widgets?watch=1&resourceVersion=0", 10);
  r = kdel("/api/v1/namespaces/t", NULL);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/status/phase"), "Terminating");
  kresp_free(&r);
  r = kpost("/api/v1/namespaces/t/configmaps", "{\"metadata\":{\"name\":\"late\"}}");
  ck_assert_int_eq(r.code, 403);
  ck_assert_str_eq(kjs(r.json, "/reason"), "Forbidden");
  ck_assert_ptr_nonnull(strstr(kjs(r.json, "/message"), "because it is being terminated"));
  kresp_free(&r);
  sleep_ms(300);
  ck_assert_int_eq(code_of("GET", "/api/v1/namespaces/t", NULL), 200); /* held by the widget's finalizer */
  r = kpatch("/apis/example.com/v1/namespaces/t/widgets/w", "application/merge-patch+json",
             "{\"metadata\":{\"finalizers\":null}}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert(wait_code("/api/v1/namespaces/t", 404, 3));
  ck_assert_int_ge(kw_wait_lines(w, 3, 5), 3); /* ADDED, MODIFIED (marked), DELETED */
  cJSON *e = kw_line(w, kw_count(w) - 1);
  ck_assert_str_eq(kjs(e, "/type"), "DELETED");
  cJSON_Delete(e);
  kw_close(w);
}
END_TEST

/* 37 */
START_TEST(deletecollection) {
  mkw("w1", NULL, "\"app\":\"a\"");
  mkw("w2", NULL, "\"app\":\"a\"");
  mkw("w3", NULL, "\"app\":\"b\"");
  char *rv = get_rv(PFX);
  kwatch_t *w = kw_open_from(rv, NULL, 10);
  kresp r = kdel(PFX "?labelSelector=app%3Da", NULL);
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/kind"), "WidgetList");
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 2);
  kresp_free(&r);
  ck_assert_int_eq(kw_wait_lines(w, 2, 5), 2);
  for (int i = 0; i < 2; i++) {
    cJSON *e = kw_line(w, i);
    ck_assert_str_eq(kjs(e, "/type"), "DELETED");
    cJSON_Delete(e);
  }
  kw_close(w);
  r = kget(PFX);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "items")), 1);
  kresp_free(&r);
  free(rv);
}
END_TEST

/* 38 */
START_TEST(dry_run) {
  mkw("w1", NULL, NULL);
  char *rv = get_rv(PFX);
  kwatch_t *w = kw_open_from(rv, NULL, 10);
  kresp r = kpost(PFX "?dryRun=All", "{\"metadata\":{\"name\":\"dry\"},\"spec\":{\"size\":1}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert_str_eq(kjs(r.json, "/metadata/name"), "dry");
  ck_assert_str_eq(kjs(r.json, "/spec/shape"), "round");
  kresp_free(&r);
  r = kpatch(PFX "/w1?dryRun=All", "application/merge-patch+json", "{\"spec\":{\"size\":77}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert(kjn(r.json, "/spec/size") == 77);
  kresp_free(&r);
  ck_assert_int_eq(code_of("DELETE", PFX "/w1?dryRun=All", NULL), 200);
  ck_assert_int_eq(code_of("GET", PFX "/dry", NULL), 404);
  r = kget(PFX "/w1");
  ck_assert(kjn(r.json, "/spec/size") == 1);
  kresp_free(&r);
  char *rv2 = get_rv(PFX);
  ck_assert_str_eq(rv, rv2);
  sleep_ms(300);
  ck_assert_int_eq(kw_count(w), 0);
  kw_close(w);
  free(rv);
  free(rv2);
}
END_TEST

/* 39 */
START_TEST(crd_cascade) {
  mkw("w1", NULL, NULL);
  mkw("w2", NULL, NULL);
  kwatch_t *w = kw_open(PFX "?watch=1", 20);
  ck_assert_int_eq(kw_wait_lines(w, 2, 5), 2);
  kresp r = kdel("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", NULL);
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert(wait_code("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", 404, 3));
  ck_assert(kw_wait_finished(w, 5)); /* the CR watch ended */
  ck_assert_int_eq(kw_count(w), 4);
  for (int i = 2; i < 4; i++) {
    cJSON *e = kw_line(w, i);
    ck_assert_str_eq(kjs(e, "/type"), "DELETED");
    cJSON_Delete(e);
  }
  kw_close(w);
  ck_assert_int_eq(code_of("GET", "/apis/example.com/v1", NULL), 404);
  ck_assert_int_eq(code_of("GET", PFX, NULL), 404);
  r = kget("/apis");
  ck_assert_ptr_null(strstr(r.body, "example.com"));
  kresp_free(&r);
  /* and it can be installed again */
  install_widget_crd();
  ck_assert_int_eq(code_of("GET", PFX, NULL), 200);
}
END_TEST

/* 40 */
START_TEST(protobuf_rejected) {
  kresp r = kreq("POST", "/api/v1/namespaces/default/configmaps", "application/vnd.kubernetes.protobuf",
                 "k8s\x01\x02garbage");
  ck_assert_int_eq(r.code, 415);
  ck_assert_str_eq(kjs(r.json, "/reason"), "UnsupportedMediaType");
  kresp_free(&r);
  /* the envelope kubectl 1.32's typed commands send: a v1 ConfigMap {name pb1, data {a: b}} */
  static const char cm[] = /* k8s\0 + Unknown{TypeMeta{v1, ConfigMap}, raw: name pb1, data {a: b}} */
      "\x6b\x38\x73\x00\x0a\x0f\x0a\x02\x76\x31\x12\x09\x43\x6f\x6e\x66\x69\x67\x4d\x61\x70\x12\x0f\x0a\x05\x0a\x03\x70\x62\x31\x12\x06\x0a\x01\x61\x12\x01\x62";
  r = kreq_n("POST", "/api/v1/namespaces/default/configmaps", "application/vnd.kubernetes.protobuf", cm, sizeof cm - 1);
  ck_assert_msg(r.code == 201, "%ld %s", r.code, r.body);
  ck_assert_str_eq(kjs(r.json, "/metadata/name"), "pb1");
  ck_assert_str_eq(kjs(r.json, "/data/a"), "b");
  kresp_free(&r);
  /* truncated after a valid magic: 400, not a crash */
  r = kreq_n("POST", "/api/v1/namespaces/default/configmaps", "application/vnd.kubernetes.protobuf", cm, 20);
  ck_assert_int_eq(r.code, 400);
  kresp_free(&r);
  /* a kind it cannot decode: 415 */
  static const char lease[] = /* k8s\0 + Unknown{TypeMeta{coordination.k8s.io/v1, Lease}, raw ""} */
      "\x6b\x38\x73\x00\x0a\x1f\x0a\x16\x63\x6f\x6f\x72\x64\x69\x6e\x61\x74\x69\x6f\x6e\x2e\x6b\x38\x73\x2e\x69\x6f\x2f\x76\x31\x12\x05\x4c\x65\x61\x73\x65\x12\x00";
  r = kreq_n("POST", "/api/v1/namespaces/default/configmaps", "application/vnd.kubernetes.protobuf", lease,
             sizeof lease - 1);
  ck_assert_int_eq(r.code, 415);
  kresp_free(&r);
  ck_assert_int_eq(code_of("GET", "/version", NULL), 200);
}
END_TEST

static void *writer_main(void *arg) {
  int id = (int)(intptr_t)arg;
  char path[128], body[256];
  snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps");
  for (int i = 0; i < 50; i++) {
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"t%d-%d\"},\"data\":{\"i\":\"%d\"}}", id, i, i);
    kresp r = kpost(path, body);
    kresp_free(&r);
  }
  return NULL;
}

/* Global order under concurrency: a watch from a list RV sees every write exactly once, in RV order. */
START_TEST(watch_order_under_load) {
  kresp l = kget("/api/v1/namespaces/default/configmaps");
  char path[256];
  snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=%s",
           kjs(l.json, "/metadata/resourceVersion"));
  kresp_free(&l);
  kwatch_t *w = kw_open(path, 30);
  pthread_t th[4];
  for (intptr_t i = 0; i < 4; i++) pthread_create(&th[i], NULL, writer_main, (void *)i);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  ck_assert_int_eq(kw_wait_lines(w, 200, 10), 200);
  sleep_ms(200);
  ck_assert_int_eq(kw_count(w), 200);
  unsigned long long last = 0;
  for (int i = 0; i < 200; i++) {
    cJSON *e = kw_line(w, i);
    ck_assert_str_eq(kjs(e, "/type"), "ADDED");
    ck_assert_str_eq(kjs(e, "/object/kind"), "ConfigMap"); /* watch objects carry kind, unlike list items */
    unsigned long long rv = strtoull(kjs(e, "/object/metadata/resourceVersion"), NULL, 10);
    ck_assert(rv == last + 1 || last == 0); /* no gaps: nothing else was written */
    last = rv;
    cJSON_Delete(e);
  }
  kw_close(w);
}
END_TEST

START_TEST(namespace_finalize) {
  ck_assert_int_eq(code_of("POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"f\"}}"), 201);
  kresp r = kput("/api/v1/namespaces/f/finalize",
                 "{\"metadata\":{\"name\":\"f\"},\"spec\":{\"finalizers\":[\"kubernetes\",\"example.com/hold\"]}}");
  ck_assert_int_eq(r.code, 200);
  ck_assert_str_eq(kjs(r.json, "/spec/finalizers/1"), "example.com/hold");
  kresp_free(&r);
  ck_assert_int_eq(code_of("GET", "/api/v1/namespaces/f/finalize", NULL), 405);
  ck_assert_int_eq(code_of("DELETE", "/api/v1/namespaces/f", NULL), 200);
  sleep_ms(400);
  r = kget("/api/v1/namespaces/f");
  ck_assert_int_eq(r.code, 200); /* held by example.com/hold; "kubernetes" was removed by the namespace controller */
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(r.json, "/spec/finalizers")), 1);
  ck_assert_str_eq(kjs(r.json, "/status/phase"), "Terminating");
  kresp_free(&r);
  r = kput("/api/v1/namespaces/f/finalize", "{\"metadata\":{\"name\":\"f\"},\"spec\":{\"finalizers\":[]}}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert(wait_code("/api/v1/namespaces/f", 404, 3));
}
END_TEST

START_TEST(auth_reviews) {
  kresp r = kpost("/apis/authentication.k8s.io/v1/tokenreviews",
                  "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"t\"}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/status/authenticated")));
  ck_assert_str_eq(kjs(r.json, "/status/user/groups/0"), "system:masters");
  kresp_free(&r);
  r = kpost("/apis/authentication.k8s.io/v1/tokenreviews", "{\"spec\":{\"token\":\"invalid\"}}");
  ck_assert(cJSON_IsFalse(capz_json_ptr_get(r.json, "/status/authenticated")));
  kresp_free(&r);
  r = kpost("/apis/authorization.k8s.io/v1/subjectaccessreviews",
            "{\"spec\":{\"user\":\"u\",\"nonResourceAttributes\":{\"path\":\"/metrics\",\"verb\":\"get\"}}}");
  ck_assert_int_eq(r.code, 201);
  ck_assert(cJSON_IsTrue(capz_json_ptr_get(r.json, "/status/allowed")));
  kresp_free(&r);
  r = kget("/apis/authorization.k8s.io/v1/subjectaccessreviews");
  ck_assert_int_eq(r.code, 405);
  kresp_free(&r);
  r = kget("/apis/authorization.k8s.io/v1");
  ck_assert_ptr_nonnull(strstr(r.body, "\"selfsubjectaccessreviews\""));
  kresp_free(&r);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kube_sim_lifecycle");
  TCase *tc = tcase_create("lifecycle");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 40);
  tcase_add_test(tc, watch_410);
  tcase_add_test(tc, bookmarks);
  tcase_add_test(tc, watch_lifetime);
  tcase_add_test(tc, plain_delete);
  tcase_add_test(tc, finalizer_delete);
  tcase_add_test(tc, selector_transitions);
  tcase_add_test(tc, gc_policies);
  tcase_add_test(tc, dangling_owner);
  tcase_add_test(tc, lease_race);
  tcase_add_test(tc, events);
  tcase_add_test(tc, secrets);
  tcase_add_test(tc, namespaces);
  tcase_add_test(tc, deletecollection);
  tcase_add_test(tc, dry_run);
  tcase_add_test(tc, crd_cascade);
  tcase_add_test(tc, protobuf_rejected);
  tcase_add_test(tc, auth_reviews);
  tcase_add_test(tc, namespace_finalize);
  tcase_add_test(tc, watch_order_under_load);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
