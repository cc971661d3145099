/* test_kube_live.c — the Kubernetes client, shared informers and controller helpers against capz-kube-sim:
 * verbs and patch types, status subresource, discovery, Status errors, informer sharing, indexes, selector-limited
 * informers, relist after 410, finalizers, status patches with conflict retry, aggregated Events. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capz/controller.h"
#include "capz/events.h"
#include "capz/informer.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "capz/sdk.h"
#include "kubetest.h"
#include "ckrun.h"

static kubetest g_k;
static capz_kube_client *g_c; /* g_k.client */
static const capz_gvk CM = {"", "v1", "ConfigMap", "configmaps", true};
static const capz_gvk SECRET = {"", "v1", "Secret", "secrets", true};
static const capz_gvk GADGET = {"test.capz.io", "v1", "Gadget", "gadgets", true};

static void setup(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  const char *args[] = {"--no-gc", NULL};
  kubetest_start(&g_k, args);
  g_c = g_k.client;
  char *crd = kubetest_open_crd("test.capz.io", "Gadget", "gadgets");
  capz_gvk crd_gvk = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", NULL, false}; /* by discovery */
  kubetest_create(&g_k, &crd_gvk, NULL, crd);
  free(crd);
}

static void teardown(void) {
  kubetest_stop(&g_k);
  capz_sdk_global_cleanup();
}

static cJSON *J(const char *s) {
  cJSON *j = cJSON_Parse(s);
  ck_assert_ptr_nonnull(j);
  return j;
}

static void mk(const capz_gvk *g, const char *json) { kubetest_create(&g_k, g, "default", json); }

START_TEST(verbs_and_errors) {
  capz_err e;
  cJSON *out = NULL;
  /* discovery fills the plural */
  capz_gvk g = {"test.capz.io", "v1", "Gadget", NULL, false};
  ck_assert_int_eq(capz_kube_resolve(g_c, &g, &e), 0);
  ck_assert_str_eq(g.plural, "gadgets");
  ck_assert(g.namespaced);
  capz_gvk nope = {"test.capz.io", "v1", "Nope", NULL, false};
  ck_assert_int_eq(capz_kube_resolve(g_c, &nope, &e), CAPZ_ENOTFOUND);

  mk(&GADGET, "{\"apiVersion\":\"test.capz.io/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"},\"spec\":{\"a\":1}}");
  cJSON *dup = J("{\"apiVersion\":\"test.capz.io/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"}}");
  ck_assert_int_eq(capz_kube_create(g_c, &GADGET, "default", dup, NULL, &e), CAPZ_EEXIST);
  ck_assert_str_eq(e.reason, "AlreadyExists");
  ck_assert_int_eq(e.http_status, 409);
  cJSON_Delete(dup);
  ck_assert_int_eq(capz_kube_get(g_c, &GADGET, "default", "g0", &out, &e), CAPZ_ENOTFOUND);
  ck_assert_str_eq(e.reason, "NotFound");

  /* merge, JSON and apply patches */
  cJSON *mp = J("{\"spec\":{\"b\":2}}");
  ck_assert_int_eq(capz_kube_patch(g_c, &GADGET, "default", "g1", CAPZ_PATCH_MERGE, mp, NULL, &out, &e), 0);
  ck_assert_int_eq(capz_json_ptr_int(out, "/spec/b", 0), 2);
  ck_assert_int_eq(capz_json_ptr_int(out, "/spec/a", 0), 1);
  cJSON_Delete(out);
  cJSON_Delete(mp);
  cJSON *jp = J("[{\"op\":\"replace\",\"path\":\"/spec/a\",\"value\":5}]");
  ck_assert_int_eq(capz_kube_patch(g_c, &GADGET, "default", "g1", CAPZ_PATCH_JSON, jp, NULL, &out, &e), 0);
  ck_assert_int_eq(capz_json_ptr_int(out, "/spec/a", 0), 5);
  cJSON_Delete(out);
  cJSON_Delete(jp);
  cJSON *ap = J("{\"apiVersion\":\"test.capz.io/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g2\"},\"spec\":{\"c\":3}}");
  capz_patch_opts po = {.field_manager = "capz-test"};
  ck_assert_msg(capz_kube_patch(g_c, &GADGET, "default", "g2", CAPZ_PATCH_APPLY, ap, &po, &out, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(capz_json_ptr_int(out, "/spec/c", 0), 3);
  cJSON_Delete(out);
  cJSON_Delete(ap);

  /* update with a stale resourceVersion conflicts; status goes through the subresource */
  ck_assert_int_eq(capz_kube_get(g_c, &GADGET, "default", "g1", &out, &e), 0);
  cJSON *stale = cJSON_Duplicate(out, 1);
  capz_json_ptr_set(out, "/status", J("{\"phase\":\"Ready\"}"), NULL);
  cJSON *st = NULL;
  ck_assert_int_eq(capz_kube_update_status(g_c, &GADGET, out, &st, &e), 0);
  ck_assert_str_eq(capz_json_ptr_str(st, "/status/phase", ""), "Ready");
  cJSON_Delete(st);
  capz_json_ptr_set(stale, "/spec/a", cJSON_CreateNumber(9), NULL);
  ck_assert_int_eq(capz_kube_update(g_c, &GADGET, stale, NULL, &e), CAPZ_ECONFLICT);
  ck_assert_str_eq(e.reason, "Conflict");
  cJSON_Delete(stale);
  cJSON_Delete(out);

  /* list with a label selector, paging */
  for (int i = 0; i < 5; i++) {
    char b[200];
    snprintf(b, sizeof b, "{\"metadata\":{\"name\":\"cm%d\",\"labels\":{\"tier\":\"%s\"}},\"data\":{}}", i,
             i % 2 ? "odd" : "even");
    mk(&CM, b);
  }
  capz_list_opts lo = {.label_selector = "tier=odd"};
  ck_assert_int_eq(capz_kube_list(g_c, &CM, "default", &lo, &out, &e), 0);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(out, "items")), 2);
  cJSON_Delete(out);
  capz_list_opts page = {.limit = 2};
  ck_assert_int_eq(capz_kube_list(g_c, &CM, "default", &page, &out, &e), 0);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(out, "items")), 2);
  ck_assert_str_ne(capz_json_ptr_str(out, "/metadata/continue", ""), "");
  cJSON_Delete(out);

  ck_assert_int_eq(capz_kube_delete(g_c, &CM, "default", "cm0", NULL, &e), 0);
  ck_assert_int_eq(capz_kube_delete(g_c, &CM, "default", "cm0", NULL, &e), CAPZ_ENOTFOUND);
}
END_TEST

static void owner_uid_index(void *ud, const capz_obj *o, const cJSON *j, capz_index_values *v) {
  (void)ud, (void)o;
  const char *t = capz_json_ptr_str(j, "/data/target", NULL);
  if (t) capz_index_add(v, t);
}

typedef struct counts {
  int adds, updates, deletes;
} counts;
static void h_add(void *ud, const capz_obj *o) {
  (void)o;
  __atomic_add_fetch(&((counts *)ud)->adds, 1, __ATOMIC_SEQ_CST);
}
static void h_upd(void *ud, const capz_obj *a, const capz_obj *b) {
  (void)a, (void)b;
  __atomic_add_fetch(&((counts *)ud)->updates, 1, __ATOMIC_SEQ_CST);
}
static void h_del(void *ud, const capz_obj *o) {
  (void)o;
  __atomic_add_fetch(&((counts *)ud)->deletes, 1, __ATOMIC_SEQ_CST);
}

static bool wait_for(int *v, int want, int ms) {
  for (int i = 0; i < ms / 10; i++) {
    if (__atomic_load_n(v, __ATOMIC_SEQ_CST) >= want) return true;
    usleep(10000);
  }
  return false;
}

START_TEST(informer_cache_indexes_and_relist) {
  mk(&CM, "{\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":\"x\"},\"managedFields\":[{\"manager\":\"m\"}],"
          "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Thing\",\"name\":\"t\",\"uid\":\"owner-1\"}]},"
          "\"data\":{\"target\":\"alpha\"}}");
  mk(&CM, "{\"metadata\":{\"name\":\"b\",\"labels\":{\"app\":\"y\"}},\"data\":{\"target\":\"alpha\"}}");
  capz_informer *inf, *inf2;
  capz_err e;
  ck_assert_int_eq(capz_informer_get(g_c, &CM, NULL, &inf, &e), 0);
  ck_assert_int_eq(capz_informer_get(g_c, &CM, NULL, &inf2, &e), 0);
  ck_assert_ptr_eq(inf, inf2); /* shared: one list+watch per resource */
  capz_informer_release(inf2);
  ck_assert_int_eq(capz_informer_add_index(inf, "target", owner_uid_index, NULL, &e), 0);
  counts c = {0};
  capz_informer_handler h = {sizeof h, h_add, h_upd, h_del, &c};
  capz_informer_add_handler(inf, &h);
  ck_assert_int_eq(capz_informer_start(inf, &e), 0);
  ck_assert(capz_informer_wait_synced(inf, 10000));
  ck_assert(wait_for(&c.adds, 2, 2000));

  const capz_obj *o = NULL;
  ck_assert_int_eq(capz_informer_get_obj(inf, "default", "a", &o), 0);
  size_t len;
  ck_assert_ptr_null(strstr(capz_obj_text(o, &len), "managedFields"));
  capz_obj_unref(o);
  capz_obj_list l;
  ck_assert_int_eq(capz_informer_by_index(inf, "owner", "owner-1", &l, &e), 0);
  ck_assert_uint_eq(l.n, 1);
  ck_assert_str_eq(capz_obj_name(l.items[0]), "a");
  capz_obj_list_free(&l);
  ck_assert_int_eq(capz_informer_by_index(inf, "label", "app=y", &l, &e), 0);
  ck_assert_uint_eq(l.n, 1);
  capz_obj_list_free(&l);
  ck_assert_int_eq(capz_informer_by_index(inf, "target", "alpha", &l, &e), 0);
  ck_assert_uint_eq(l.n, 2);
  capz_obj_list_free(&l);
  ck_assert_int_eq(capz_informer_by_index(inf, "nope", "x", &l, &e), CAPZ_ENOTFOUND);
  ck_assert_int_eq(capz_informer_list(inf, "default", "app in (x,y)", &l, &e), 0);
  ck_assert_uint_eq(l.n, 2);
  ck_assert_str_eq(capz_obj_name(l.items[0]), "a"); /* sorted */
  capz_obj_list_free(&l);

  /* a snapshot held by a reader is not changed by later updates */
  ck_assert_int_eq(capz_informer_get_obj(inf, "default", "b", &o), 0);
  cJSON *p = J("{\"data\":{\"target\":\"beta\"}}");
  ck_assert_int_eq(capz_kube_patch(g_c, &CM, "default", "b", CAPZ_PATCH_MERGE, p, NULL, NULL, &e), 0);
  cJSON_Delete(p);
  ck_assert(wait_for(&c.updates, 1, 3000));
  ck_assert_str_eq(capz_json_ptr_str(capz_obj_json(o), "/data/target", ""), "alpha");
  capz_obj_unref(o);
  ck_assert_int_eq(capz_informer_by_index(inf, "target", "beta", &l, &e), 0);
  ck_assert_uint_eq(l.n, 1); /* index follows the update */
  capz_obj_list_free(&l);

  /* history compacted and watches dropped while a deletion and a creation happen: 410 → relist */
  capz_kube_request(g_c, "POST", "/_sim/compact", NULL, NULL, NULL, NULL);
  capz_kube_request(g_c, "POST", "/_sim/drop-watches", NULL, NULL, NULL, NULL);
  ck_assert_int_eq(capz_kube_delete(g_c, &CM, "default", "a", NULL, &e), 0);
  mk(&CM, "{\"metadata\":{\"name\":\"c\"},\"data\":{}}");
  ck_assert(wait_for(&c.deletes, 1, 8000));
  ck_assert(wait_for(&c.adds, 3, 8000));
  ck_assert_int_eq(capz_informer_get_obj(inf, "default", "a", &o), CAPZ_ENOTFOUND);
  capz_informer_stats st;
  capz_informer_get_stats(inf, &st);
  ck_assert_uint_eq(st.objects, 2);
  ck_assert_uint_ge(st.watches, 2);
  ck_assert_uint_gt(st.bytes, 0);
  capz_informer_release(inf);
}
END_TEST

START_TEST(secret_informer_is_label_limited) {
  mk(&SECRET, "{\"metadata\":{\"name\":\"s1\",\"labels\":{\"cluster.x-k8s.io/cluster-name\":\"c1\"}},"
              "\"stringData\":{\"value\":\"top\"}}");
  mk(&SECRET, "{\"metadata\":{\"name\":\"s2\"},\"stringData\":{\"value\":\"other\"}}");
  capz_informer *inf;
  capz_informer_opts o = {.struct_size = sizeof o, .label_selector = "cluster.x-k8s.io/cluster-name"};
  capz_err e;
  ck_assert_int_eq(capz_informer_get(g_c, &SECRET, &o, &inf, &e), 0);
  ck_assert_int_eq(capz_informer_start(inf, &e), 0);
  ck_assert(capz_informer_wait_synced(inf, 10000));
  capz_obj_list l;
  ck_assert_int_eq(capz_informer_list(inf, NULL, NULL, &l, &e), 0);
  ck_assert_uint_eq(l.n, 1);
  ck_assert_str_eq(capz_obj_name(l.items[0]), "s1");
  capz_obj_list_free(&l);
  capz_informer_release(inf);
  capz_informer_opts bad = {.struct_size = sizeof bad, .label_selector = "a in (b"};
  ck_assert_int_eq(capz_informer_get(g_c, &SECRET, &bad, &inf, &e), CAPZ_EINVAL);
}
END_TEST

static int bump(void *ud, cJSON *obj) {
  int *n = ud;
  (*n)++;
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!st) st = cJSON_AddObjectToObject(obj, "status");
  cJSON_DeleteItemFromObject(st, "phase");
  cJSON_AddStringToObject(st, "phase", "Provisioned");
  return 0;
}

START_TEST(finalizers_status_patch_events) {
  mk(&GADGET, "{\"apiVersion\":\"test.capz.io/v1\",\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g\"},\"spec\":{}}");
  cJSON *cur = NULL;
  capz_err e;
  ck_assert_int_eq(capz_kube_get(g_c, &GADGET, "default", "g", &cur, &e), 0);
  capz_obj *snap = capz_obj_from_json(cur);
  cJSON_Delete(cur);
  /* someone else writes first: our snapshot is stale, the helper re-reads and retries */
  cJSON *p = J("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
  ck_assert_int_eq(capz_kube_patch(g_c, &GADGET, "default", "g", CAPZ_PATCH_MERGE, p, NULL, NULL, &e), 0);
  cJSON_Delete(p);
  bool changed = false;
  ck_assert_msg(capz_finalizer_add(g_c, &GADGET, snap, "test.capz.io/finalizer", &changed, &e) == 0, "%s", e.msg);
  ck_assert(changed);
  int calls = 0;
  cJSON *after = NULL;
  ck_assert_msg(capz_patch_status(g_c, &GADGET, snap, NULL, NULL, bump, &calls, &after, &e) == 0, "%s", e.msg);
  ck_assert_int_eq(calls, 2); /* first attempt conflicted on the stale resourceVersion */
  ck_assert_str_eq(capz_json_ptr_str(after, "/status/phase", ""), "Provisioned");
  capz_obj_unref(snap);
  snap = capz_obj_from_json(after);
  cJSON_Delete(after);
  ck_assert(capz_has_finalizer(capz_obj_json(snap), "test.capz.io/finalizer"));
  /* nothing changes → nothing written */
  calls = 0;
  ck_assert_int_eq(capz_patch_status(g_c, &GADGET, snap, NULL, NULL, bump, &calls, &after, &e), 0);
  ck_assert_int_eq(calls, 1);
  ck_assert_ptr_null(after);
  ck_assert_int_eq(capz_finalizer_add(g_c, &GADGET, snap, "test.capz.io/finalizer", &changed, &e), 0);
  ck_assert(!changed);
  /* another writer adds the same finalizer first: our stale write conflicts, the re-read shows it there — that is
   * success with nothing changed, not a conflict error */
  cJSON *p2 = J("{\"metadata\":{\"finalizers\":[\"test.capz.io/finalizer\",\"test.capz.io/second\"]}}");
  ck_assert_int_eq(capz_kube_patch(g_c, &GADGET, "default", "g", CAPZ_PATCH_MERGE, p2, NULL, NULL, &e), 0);
  cJSON_Delete(p2);
  changed = true;
  ck_assert_msg(capz_finalizer_add(g_c, &GADGET, snap, "test.capz.io/second", &changed, &e) == 0, "%s", e.msg);
  ck_assert(!changed);
  ck_assert_int_eq(capz_kube_get(g_c, &GADGET, "default", "g", &cur, &e), 0);
  capz_obj_unref(snap);
  snap = capz_obj_from_json(cur);
  cJSON_Delete(cur);
  ck_assert_msg(capz_finalizer_remove(g_c, &GADGET, snap, "test.capz.io/second", &changed, &e) == 0, "%s", e.msg);
  ck_assert(changed);
  /* delete: held by the finalizer until we remove it */
  ck_assert_int_eq(capz_kube_delete(g_c, &GADGET, "default", "g", NULL, &e), 0);
  ck_assert_int_eq(capz_kube_get(g_c, &GADGET, "default", "g", &cur, &e), 0);
  ck_assert_str_ne(capz_json_ptr_str(cur, "/metadata/deletionTimestamp", ""), "");
  capz_obj_unref(snap);
  snap = capz_obj_from_json(cur);
  cJSON_Delete(cur);
  ck_assert(capz_obj_deleting(snap));
  ck_assert_int_eq(capz_finalizer_remove(g_c, &GADGET, snap, "test.capz.io/finalizer", &changed, &e), 0);
  ck_assert(changed);
  ck_assert_int_eq(capz_kube_get(g_c, &GADGET, "default", "g", &cur, &e), CAPZ_ENOTFOUND);
  capz_obj_unref(snap);

  /* events: repeats aggregate into one Event with a count; secrets in messages are masked */
  capz_event_recorder *r;
  ck_assert_int_eq(capz_event_recorder_new(g_c, "capz-test", &r, &e), 0);
  capz_object_ref ref = {"test.capz.io/v1", "Gadget", "default", "g", "uid-g"};
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(capz_event_record(r, &ref, "Warning", "Failed", "token=abc123secret failed", &e), 0);
  ck_assert_int_eq(capz_event_record(r, &ref, "Normal", "Created", "created", &e), 0);
  uint64_t created, updated;
  capz_event_recorder_counts(r, &created, &updated);
  ck_assert_uint_eq(created, 2);
  ck_assert_uint_eq(updated, 2);
  capz_gvk ev = {"", "v1", "Event", "events", true};
  capz_list_opts lo = {.field_selector = "reason=Failed"};
  ck_assert_int_eq(capz_kube_list(g_c, &ev, "default", &lo, &cur, &e), 0);
  const cJSON *items = cJSON_GetObjectItem(cur, "items");
  ck_assert_int_eq(cJSON_GetArraySize(items), 1);
  const cJSON *it = cJSON_GetArrayItem(items, 0);
  ck_assert_int_eq(capz_json_ptr_int(it, "/count", 0), 3);
  ck_assert_ptr_null(strstr(capz_json_ptr_str(it, "/message", ""), "abc123secret"));
  ck_assert_str_eq(capz_json_ptr_str(it, "/involvedObject/uid", ""), "uid-g");
  cJSON_Delete(cur);
  capz_event_recorder_free(r);
}
END_TEST

START_TEST(periodic_resync) {
  mk(&CM, "{\"metadata\":{\"name\":\"r1\"},\"data\":{}}");
  mk(&CM, "{\"metadata\":{\"name\":\"r2\"},\"data\":{}}");
  capz_informer *inf;
  capz_informer_opts o = {.struct_size = sizeof o, .resync_ms = 150};
  capz_err e;
  ck_assert_int_eq(capz_informer_get(g_c, &CM, &o, &inf, &e), 0);
  counts c = {0};
  capz_informer_handler h = {sizeof h, h_add, h_upd, h_del, &c};
  capz_informer_add_handler(inf, &h);
  ck_assert_int_eq(capz_informer_start(inf, &e), 0);
  ck_assert(capz_informer_wait_synced(inf, 10000));
  /* no writes at all, yet every object is redelivered each period */
  ck_assert(wait_for(&c.updates, 6, 3000));
  ck_assert_int_eq(c.adds, 2);
  ck_assert_int_eq(c.deletes, 0);
  capz_informer_release(inf);
}
END_TEST

static int on_ev(void *ud, capz_watch_event t, cJSON *o) {
  (void)o;
  if (t == CAPZ_EV_ERROR) *(int *)ud = 1;
  return t == CAPZ_EV_ERROR ? -1 : 0;
}

START_TEST(watch_stream_and_gone) {
  mk(&CM, "{\"metadata\":{\"name\":\"w\"},\"data\":{}}");
  capz_err e;
  cJSON *l = NULL;
  ck_assert_int_eq(capz_kube_list(g_c, &CM, "default", NULL, &l, &e), 0);
  char rv[32];
  snprintf(rv, sizeof rv, "%s", capz_json_ptr_str(l, "/metadata/resourceVersion", ""));
  cJSON_Delete(l);
  capz_kube_request(g_c, "POST", "/_sim/compact", NULL, NULL, NULL, NULL);
  mk(&CM, "{\"metadata\":{\"name\":\"w2\"},\"data\":{}}");
  capz_kube_request(g_c, "POST", "/_sim/compact", NULL, NULL, NULL, NULL);
  /* a watch from a compacted resourceVersion ends with 410 (in-stream ERROR or HTTP status) */
  int saw_error = 0;
  capz_watch_opts wo = {.resource_version = "1", .timeout_seconds = 2};
  int rc = capz_kube_watch(g_c, &CM, "default", &wo, on_ev, &saw_error, &e);
  ck_assert(saw_error || rc == CAPZ_EGONE);
}
END_TEST

int main(void) {
  Suite *s = suite_create("kube_live");
  TCase *tc = tcase_create("sim");
  tcase_set_timeout(tc, 30);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, verbs_and_errors);
  tcase_add_test(tc, informer_cache_indexes_and_relist);
  tcase_add_test(tc, secret_informer_is_label_limited);
  tcase_add_test(tc, finalizers_status_patch_events);
  tcase_add_test(tc, watch_stream_and_gone);
  tcase_add_test(tc, periodic_resync);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
