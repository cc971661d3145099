/* test_kube_sim_robust.c — abusive input must be answered with proper Status errors and the
 * server must keep serving: malformed JSON/YAML, oversized bodies (413), deep nesting, unknown
 * paths and methods, thousands of dropped watch connections, injected failures and latency,
 * reset, and a clean SIGTERM shutdown (checked by the fixture's exit status). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
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

static void assert_status(kresp *r, long code) {
  ck_assert_msg(r->code == code, "want %ld got %ld: %s", code, r->code, r->body);
  ck_assert_str_eq(kjs(r->json, "/kind"), "Status");
  ck_assert_str_eq(kjs(r->json, "/status"), "Failure");
  ck_assert(kjn(r->json, "/code") == code);
  kresp_free(r);
}

static void still_serving(void) {
  kresp r = kget("/version");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  r = kget(PFX);
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
}

START_TEST(malformed_bodies) {
  kresp r = kpost(PFX, "{\"metadata\":");
  assert_status(&r, 400);
  r = kpost(PFX, "{} trailing");
  assert_status(&r, 400);
  r = kpost(PFX, "[1,2,3]");
  assert_status(&r, 400);
  r = kpost(PFX, "\"just a string\"");
  assert_status(&r, 400);
  r = kpost(PFX, "");
  assert_status(&r, 400);
  r = kreq("POST", PFX, "application/yaml", "metadata: [unclosed\n  - : :\n\t\tbad");
  assert_status(&r, 400);
  r = kreq("POST", PFX, "application/yaml", "a: 1\n---\nb: 2\n");
  assert_status(&r, 400);
  r = kreq("POST", PFX, "application/yaml", "metadata:\n  name: y1\nspec:\n  size: 2\n");
  ck_assert_int_eq(r.code, 201); /* YAML bodies are accepted */
  kresp_free(&r);
  r = kpatch(PFX "/y1", "application/merge-patch+json", "{bad");
  assert_status(&r, 400);
  r = kpatch(PFX "/y1", "application/merge-patch+json", "[1]");
  assert_status(&r, 400);
  r = kpatch(PFX "/y1", "application/json-patch+json", "{\"op\":\"add\"}");
  assert_status(&r, 400);
  r = kpatch(PFX "/y1", "application/strategic-merge-patch+json", "{}");
  assert_status(&r, 415);
  r = kdel(PFX "/y1", "{not json");
  assert_status(&r, 400);
  r = kpost("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":1}}");
  assert_status(&r, 400);
  /* random bytes */
  char junk[4096];
  unsigned s = 12345;
  for (size_t i = 0; i < sizeof junk - 1; i++) junk[i] = (char)(1 + rand_r(&s) % 255);
  junk[sizeof junk - 1] = '\0';
  r = kpost(PFX, junk);
  assert_status(&r, 400);
  still_serving();
}
END_TEST

START_TEST(huge_and_deep_bodies) {
  size_t n = 10u << 20;
  char *big = malloc(n + 64);
  strcpy(big, "{\"metadata\":{\"name\":\"big\"},\"spec\":{\"extra\":{\"x\":\"");
  size_t l = strlen(big);
  memset(big + l, 'a', n);
  strcpy(big + l + n, "\"}}}");
  kresp r = kpost(PFX, big);
  ck_assert_int_eq(r.code, 413);
  ck_assert_str_eq(kjs(r.json, "/reason"), "RequestEntityTooLarge");
  kresp_free(&r);
  free(big);
  /* nesting deeper than the limit */
  size_t depth = 5000;
  char *deep = malloc(depth * 6 + 128);
  strcpy(deep, "{\"metadata\":{\"name\":\"deep\"},\"spec\":{\"extra\":");
  for (size_t i = 0; i < depth; i++) strcat(deep + strlen(deep) - 0, "{\"a\":");
  strcat(deep, "1");
  for (size_t i = 0; i < depth; i++) strcat(deep, "}");
  strcat(deep, "}}");
  r = kpost(PFX, deep);
  assert_status(&r, 400);
  free(deep);
  still_serving();
}
END_TEST

START_TEST(unknown_paths_and_methods) {
  const char *paths[] = {"/", "/nope", "/api", "/apis/nope/v1/things", "/api/v2/pods", "/api/v1/nonexistent",
                         "/api/v1/namespaces/default/nonexistent", "/apis/example.com/v1/widgets/w1",
                         "/apis/example.com/v1/namespaces/default/widgets/w1/scale",
                         "/api/v1/namespaces/default/configmaps/a/b/c/d/e/f", "/apis/example.com/v1/namespaces/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    kresp r = kget(paths[i]);
    if (i == 2) {
      ck_assert_int_eq(r.code, 200); /* /api is discovery */
      kresp_free(&r);
      continue;
    }
    assert_status(&r, 404);
  }
  kresp r = kreq("POST", PFX "/w1", NULL, "{}");
  assert_status(&r, 405);
  r = kreq("BREW", PFX, NULL, NULL);
  ck_assert(r.code == 405 || r.code == 400 || r.code == 501);
  kresp_free(&r);
  r = kreq("POST", "/_sim/bogus", NULL, "{}");
  assert_status(&r, 404);
  r = kreq("POST", "/_sim/fail", NULL, "{\"nonsense\":1}");
  assert_status(&r, 400);
  still_serving();
}
END_TEST

static int raw_connect(void) {
  int port = 0;
  sscanf(strrchr(KSIM.url, ':') + 1, "%d", &port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

START_TEST(thousands_of_dropped_watches) {
  const char *req = "GET " PFX "?watch=true&allowWatchBookmarks=true HTTP/1.1\r\nHost: x\r\n\r\n";
  int total = 0;
  for (int round = 0; round < 10; round++) {
    int fds[200];
    int n = 0;
    for (int i = 0; i < 200; i++) {
      int fd = raw_connect();
      if (fd < 0) continue;
      if (write(fd, req, strlen(req)) < 0) {
        close(fd);
        continue;
      }
      fds[n++] = fd;
    }
    for (int i = 0; i < n; i++) {
      if (i % 2 == 0) { /* half read the headers first */
        char buf[256];
        if (read(fds[i], buf, sizeof buf) <= 0) continue;
      }
    }
    for (int i = 0; i < n; i++) close(fds[i]);
    total += n;
    kresp r = kpatch("/api/v1/namespaces/default", "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"r\":\"1\"}}}");
    kresp_free(&r);
  }
  ck_assert_int_ge(total, 1900);
  still_serving();
  /* every dropped watch is reaped */
  ck_assert_int_eq(ksim_wait_watches(0, 200), 0);
  /* and /_sim/drop-watches cuts live ones */
  kwatch_t *kw = kw_open(PFX "?watch=1", 20);
  kresp r = kreq("POST", "/_sim/drop-watches", NULL, "");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  ck_assert(kw_wait_finished(kw, 5));
  kw_close(kw);
  still_serving();
}
END_TEST

START_TEST(injected_failures_and_reset) {
  kresp r = kreq("POST", "/_sim/fail", NULL,
                 "{\"method\":\"GET\",\"path\":\"/apis/example.com/*\",\"code\":500,\"reason\":\"InternalError\","
                 "\"message\":\"boom\",\"count\":2}");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  r = kget(PFX);
  ck_assert_int_eq(r.code, 500);
  ck_assert_str_eq(kjs(r.json, "/message"), "boom");
  ck_assert_str_eq(kjs(r.json, "/reason"), "InternalError");
  kresp_free(&r);
  r = kget(PFX);
  assert_status(&r, 500);
  r = kget(PFX);
  ck_assert_int_eq(r.code, 200); /* count exhausted */
  kresp_free(&r);
  r = kreq("POST", "/_sim/fail", NULL, "{\"method\":\"*\",\"path\":\"/api/v1/namespaces/*/configmaps\",\"code\":429,\"count\":1}");
  kresp_free(&r);
  r = kpost("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"x\"}}");
  ck_assert_int_eq(r.code, 429);
  ck_assert_ptr_nonnull(strstr(r.headers, "Retry-After: 1"));
  kresp_free(&r);
  r = kreq("POST", "/_sim/fail", NULL, "{\"path\":\"/version\",\"latencyMs\":400,\"count\":1}");
  kresp_free(&r);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  r = kget("/version");
  clock_gettime(CLOCK_MONOTONIC, &b);
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  ck_assert_msg(dt >= 0.35, "latency %.3f", dt);
  /* reset: everything gone except the built-in namespaces; RVs keep growing */
  r = kget(PFX);
  unsigned long long before = strtoull(kjs(r.json, "/metadata/resourceVersion"), NULL, 10);
  kresp_free(&r);
  r = kreq("POST", "/_sim/reset", NULL, "");
  ck_assert_int_eq(r.code, 200);
  kresp_free(&r);
  r = kget(PFX);
  ck_assert_int_eq(r.code, 404);
  kresp_free(&r);
  r = kget("/api/v1/namespaces/default");
  ck_assert_int_eq(r.code, 200);
  ck_assert(strtoull(kjs(r.json, "/metadata/resourceVersion"), NULL, 10) > before);
  kresp_free(&r);
  install_widget_crd();
  still_serving();
}
END_TEST

START_TEST(concurrent_writers) {
  /* many clients hammering one object: every successful PUT is a distinct RV, losers get 409 */
  kresp r = kpost("/api/v1/namespaces/default/configmaps", "{\"metadata\":{\"name\":\"ctr\"},\"data\":{\"n\":\"0\"}}");
  kresp_free(&r);
  int ok = 0, conflict = 0;
  for (int i = 0; i < 40; i++) {
    kresp g = kget("/api/v1/namespaces/default/configmaps/ctr");
    char body[512];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"ctr\",\"resourceVersion\":\"%s\"},\"data\":{\"n\":\"%d\"}}",
             kjs(g.json, "/metadata/resourceVersion"), i + 1);
    kresp_free(&g);
    kresp a = kput("/api/v1/namespaces/default/configmaps/ctr", body);
    kresp b = kput("/api/v1/namespaces/default/configmaps/ctr", body);
    ok += (a.code == 200) + (b.code == 200);
    conflict += (a.code == 409) + (b.code == 409);
    kresp_free(&a);
    kresp_free(&b);
  }
  ck_assert_int_eq(ok, 40);
  ck_assert_int_eq(conflict, 40);
}
END_TEST

START_TEST(refuses_remote_listen) {
  simproc p;
  const char *extra[] = {"--listen", "0.0.0.0:0", NULL};
  /* the later --listen wins; without --allow-remote the emulator must refuse and exit 2 */
  ck_assert_int_ne(simproc_start(&p, simproc_bin("capz-kube-sim"), extra), 0);
}
END_TEST

START_TEST(hostile_objects) {
  /* a CRD update that breaks its names is refused, not applied */
  kresp r = kpatch("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
                   "application/merge-patch+json", "{\"spec\":{\"group\":null,\"names\":{\"singular\":null}}}");
  assert_status(&r, 422);
  r = kpatch("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
             "application/merge-patch+json", "{\"spec\":{\"scope\":\"Cluster\"}}");
  assert_status(&r, 422);
  r = kpatch("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
             "application/merge-patch+json", "{\"spec\":{\"names\":{\"shortNames\":[\"wdg\"]}}}");
  ck_assert_int_eq(r.code, 200); /* a legal update */
  kresp_free(&r);
  r = kget("/apis/example.com/v1");
  ck_assert_ptr_nonnull(strstr(r.body, "\"wdg\""));
  kresp_free(&r);
  /* metadata fields of the wrong type */
  r = kpost(PFX, "{\"metadata\":{\"name\":\"m1\",\"finalizers\":\"x\",\"labels\":[1],\"ownerReferences\":{}},\"spec\":{}}");
  assert_status(&r, 422);
  r = kpost(PFX, "{\"metadata\":{\"name\":7},\"spec\":{}}");
  ck_assert(r.code == 422 || r.code == 400);
  kresp_free(&r);
  /* a 10 kB name */
  char *body = malloc(11000);
  strcpy(body, "{\"metadata\":{\"name\":\"");
  size_t pl = strlen(body);
  memset(body + pl, 'a', 10000);
  strcpy(body + pl + 10000, "\"}}");
  r = kpost("/api/v1/namespaces/default/events", body);
  assert_status(&r, 422);
  free(body);
  /* a YAML alias bomb */
  const char *bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                     "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
                     "metadata:\n  name: bomb\nspec:\n  extra: *g\n";
  r = kreq("POST", PFX, "application/yaml", bomb);
  assert_status(&r, 400);
  still_serving();
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kube_sim_robust");
  TCase *tc = tcase_create("robust");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 90);
  tcase_add_test(tc, malformed_bodies);
  tcase_add_test(tc, huge_and_deep_bodies);
  tcase_add_test(tc, unknown_paths_and_methods);
  tcase_add_test(tc, thousands_of_dropped_watches);
  tcase_add_test(tc, injected_failures_and_reset);
  tcase_add_test(tc, concurrent_writers);
  tcase_add_test(tc, refuses_remote_listen);
  tcase_add_test(tc, hostile_objects);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
