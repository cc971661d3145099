/* test_objcache.c — object snapshots (fields, labels, owners, managedFields dropped, footprint) and label
 * selectors, without a server. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/informer.h"
#include "ckrun.h"

static const char *OBJ =
    "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachine\",\"metadata\":{"
    "\"name\":\"m1\",\"namespace\":\"default\",\"uid\":\"u-1\",\"resourceVersion\":\"1042\",\"generation\":3,"
    "\"labels\":{\"tier\":\"gold\",\"cluster.x-k8s.io/cluster-name\":\"c1\",\"app\":\"web\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta1\",\"kind\":\"Machine\",\"name\":\"mach\","
    "\"uid\":\"owner-uid\",\"controller\":true}],"
    "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"fieldsV1\":{\"f:spec\":{}}}]},"
    "\"spec\":{\"vmSize\":\"Standard_D2s_v3\"}}";

static capz_obj *mk(const char *text) {
  cJSON *j = cJSON_Parse(text);
  ck_assert_ptr_nonnull(j);
  capz_obj *o = capz_obj_from_json(j);
  cJSON_Delete(j);
  return o;
}

START_TEST(fields_and_labels) {
  capz_obj *o = mk(OBJ);
  ck_assert_ptr_nonnull(o);
  ck_assert_str_eq(capz_obj_name(o), "m1");
  ck_assert_str_eq(capz_obj_namespace(o), "default");
  ck_assert_str_eq(capz_obj_uid(o), "u-1");
  ck_assert_str_eq(capz_obj_resource_version(o), "1042");
  ck_assert_int_eq(capz_obj_generation(o), 3);
  ck_assert(!capz_obj_deleting(o));
  ck_assert_str_eq(capz_obj_label(o, "tier"), "gold");
  ck_assert_str_eq(capz_obj_label(o, "app"), "web");
  ck_assert_str_eq(capz_obj_label(o, "cluster.x-k8s.io/cluster-name"), "c1");
  ck_assert_ptr_null(capz_obj_label(o, "nope"));
  ck_assert_uint_eq(capz_obj_owner_count(o), 1);
  const char *kind, *name, *uid;
  bool ctl;
  capz_obj_owner(o, 0, NULL, &kind, &name, &uid, &ctl);
  ck_assert_str_eq(kind, "Machine");
  ck_assert_str_eq(name, "mach");
  ck_assert_str_eq(uid, "owner-uid");
  ck_assert(ctl);
  size_t len;
  const char *t = capz_obj_text(o, &len);
  ck_assert_ptr_null(strstr(t, "managedFields"));
  ck_assert_uint_eq(len, strlen(t));
  const cJSON *j = capz_obj_json(o);
  ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "spec"), "vmSize")->valuestring, "Standard_D2s_v3");
  /* overhead beyond the JSON text stays small */
  ck_assert_uint_lt(capz_obj_footprint(o) - len, 600);
  capz_obj_unref(o);
}
END_TEST

START_TEST(refs_keep_snapshot_alive) {
  capz_obj *o = mk(OBJ);
  const capz_obj *r = capz_obj_ref(o);
  capz_obj_unref(o);
  ck_assert_str_eq(capz_obj_name(r), "m1"); /* still valid through the second reference */
  ck_assert_ptr_nonnull(capz_obj_json(r));
  capz_obj_unref(r);
}
END_TEST

START_TEST(no_name_is_rejected) {
  cJSON *j = cJSON_Parse("{\"metadata\":{\"namespace\":\"x\"}}");
  ck_assert_ptr_null(capz_obj_from_json(j));
  cJSON_Delete(j);
  ck_assert_ptr_null(capz_obj_from_json(NULL));
}
END_TEST

START_TEST(selectors) {
  capz_obj *o = mk(OBJ);
  ck_assert(capz_label_selector_matches("tier=gold", o));
  ck_assert(capz_label_selector_matches("tier==gold,app=web", o));
  ck_assert(!capz_label_selector_matches("tier=silver", o));
  ck_assert(capz_label_selector_matches("tier!=silver", o));
  ck_assert(capz_label_selector_matches("missing!=x", o));
  ck_assert(capz_label_selector_matches("tier in (silver, gold)", o));
  ck_assert(!capz_label_selector_matches("tier notin (gold)", o));
  ck_assert(capz_label_selector_matches("app", o));
  ck_assert(!capz_label_selector_matches("!app", o));
  ck_assert(capz_label_selector_matches("!missing", o));
  ck_assert(capz_label_selector_matches("cluster.x-k8s.io/cluster-name=c1", o));
  ck_assert(capz_label_selector_matches("", o));
  ck_assert(!capz_label_selector_matches("tier in (gold", o));
  capz_err e;
  ck_assert_int_eq(capz_label_selector_check("a in (b", &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_label_selector_check("=x", &e), CAPZ_EINVAL);
  ck_assert_int_eq(capz_label_selector_check("a=b,c notin (d,e),!f", &e), 0);
  capz_obj_unref(o);
}
END_TEST

int main(void) {
  Suite *s = suite_create("objcache");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, fields_and_labels);
  tcase_add_test(tc, refs_keep_snapshot_alive);
  tcase_add_test(tc, no_name_is_rejected);
  tcase_add_test(tc, selectors);
  suite_add_tcase(s, tc);
  return ckrun(s);
}
