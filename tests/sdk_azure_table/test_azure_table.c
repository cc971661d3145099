/* test_azure_table.c — capz/azure_table.h against capz-arm-sim: walk order, stopping at a row in progress,
 * the ownership rule (a bring-your-own VNet and its subnet are left alone), reverse delete, deletes sent with the
 * row's api-version (asserted in the emulator's request log), and keep_live (fields others own carried into an
 * update's body). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/azure_table.h"
#include "capz/json.h"
#include "tenv.h"

#define RG "/subscriptions/" T_SUB "/resourceGroups/"
#define VNET_T "Microsoft.Network/virtualNetworks"

typedef struct fx {
  capz_az_credential *cred;
  capz_arm_client *arm;
  capz_arm_ensurer *ens;
} fx;

static fx fx_new(void) {
  fx f;
  f.arm = t_client(T_SECRET1, &f.cred);
  f.ens = capz_arm_ensurer_new(NULL);
  ck_assert_ptr_nonnull(f.ens);
  return f;
}

static void fx_free(fx *f) {
  capz_arm_ensurer_free(f->ens);
  capz_arm_client_free(f->arm);
  capz_az_credential_free(f->cred);
}

static cJSON *J(const char *s) {
  cJSON *j = cJSON_Parse(s);
  ck_assert_msg(j != NULL, "bad JSON %s", s);
  return j;
}

/* RG → VNet → subnet, all ours. */
static void build_net(capz_arm_table *t, const char *rg) {
  char rgid[256], vnet[300], sn[360];
  ck_assert_int_eq(capz_arm_rg_id(rgid, sizeof rgid, T_SUB, rg), 0);
  ck_assert_int_eq(capz_arm_res_id(vnet, sizeof vnet, T_SUB, rg, VNET_T, "vnet1"), 0);
  snprintf(sn, sizeof sn, "%s/subnets/sn1", vnet);
  static const char *const vnet_owned[] = {"/location", "/properties/addressSpace", NULL};
  ck_assert_ptr_nonnull(capz_arm_table_add(t, "groups", "ResourceGroupReady", rgid, J("{\"location\":\"eastus\"}"),
                                           NULL, NULL));
  ck_assert_ptr_nonnull(capz_arm_table_add(
      t, "virtualnetworks", "VNetReady", vnet,
      J("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]}}}"),
      vnet_owned, J("{\"team\":\"capz\"}")));
  capz_arm_row *s = capz_arm_table_add(t, "subnets", "SubnetsReady", sn,
                                       J("{\"properties\":{\"addressPrefix\":\"10.0.1.0/24\"}}"), NULL, NULL);
  ck_assert_ptr_nonnull(s);
  s->parent = 1;
}

/* Walk until every row is done (bounded); returns how many walks stopped in progress. */
static int ensure_all(capz_arm_table *t, fx *f) {
  int stops = 0;
  for (int i = 0; i < 60; i++) {
    capz_arm_walk w;
    capz_arm_table_ensure(t, f->ens, f->arm, NULL, NULL, &w);
    ck_assert_msg(w.rc == 0, "walk failed at row %zu: %s", w.at, w.err.msg);
    bool done = w.at == t->n;
    if (w.in_progress) {
      stops++;
      ck_assert_uint_eq(w.done, w.at);
      /* rows after the one in progress were not touched */
      for (size_t k = w.at + 1; k < t->n; k++) ck_assert_int_eq(t->rows[k].arm_requests, 0);
      usleep((useconds_t)(w.requeue_after_s > 0 && w.requeue_after_s < 1 ? w.requeue_after_s * 1e6 : 200000));
    }
    capz_arm_walk_free(&w);
    if (done) return stops;
  }
  ck_abort_msg("table never converged");
  return stops;
}

static int delete_all(capz_arm_table *t, fx *f) {
  int stops = 0;
  for (int i = 0; i < 60; i++) {
    capz_arm_walk w;
    capz_arm_table_delete(t, f->ens, f->arm, NULL, NULL, &w);
    ck_assert_msg(w.rc == 0, "delete walk failed at row %zu: %s", w.at, w.err.msg);
    bool done = w.at == t->n;
    if (w.in_progress) {
      stops++;
      ck_assert_uint_eq(w.done, t->n - 1 - w.at);
      usleep(200000);
    }
    capz_arm_walk_free(&w);
    if (done) return stops;
  }
  ck_abort_msg("delete never finished");
  return stops;
}

START_TEST(ensure_in_order_and_stops_in_progress) {
  fx f = fx_new();
  capz_arm_table t;
  capz_arm_table_init(&t, "tc1");
  build_net(&t, "rg-order");
  /* first walk: stops at the first row whose PUT is still running, rows after it untouched */
  capz_arm_walk w;
  capz_arm_table_ensure(&t, f.ens, f.arm, NULL, NULL, &w);
  ck_assert_int_eq(w.rc, 0);
  ck_assert_msg(w.in_progress, "first walk should stop at an operation in progress (stopped at %zu)", w.at);
  ck_assert_ptr_nonnull(w.resume_token);
  ck_assert_int_eq(t.rows[w.at].outcome, CAPZ_ENSURE_IN_PROGRESS);
  ck_assert_int_gt(w.arm_requests, 0);
  cJSON *log = t_requests();
  ck_assert_int_eq(t_count(log, "PUT", "/subnets/sn1"), 0);
  cJSON_Delete(log);
  capz_arm_walk_free(&w);
  ck_assert_ptr_null(w.resume_token);

  ensure_all(&t, &f);
  for (size_t i = 0; i < t.n; i++) {
    ck_assert_ptr_nonnull(t.rows[i].live);
    ck_assert_msg(capz_arm_is_owned(t.rows[i].live, "tc1") || i == 2, "row %zu not tagged", i);
  }
  log = t_requests();
  int rg = t_first(log, "PUT", "/resourceGroups/rg-order?"), vn = t_first(log, "PUT", "/virtualNetworks/vnet1?"),
      sn = t_first(log, "PUT", "/subnets/sn1?");
  ck_assert_msg(rg >= 0 && vn > rg && sn > vn, "PUT order rg=%d vnet=%d subnet=%d", rg, vn, sn);
  /* the row's extra tags went into the VNet */
  ck_assert_str_eq(capz_json_ptr_str(t.rows[1].live, "/tags/team", ""), "capz");
  cJSON_Delete(log);

  /* steady state: a second full walk writes nothing and (inside the drift interval) reads nothing */
  capz_arm_table_ensure(&t, f.ens, f.arm, NULL, NULL, &w);
  ck_assert_uint_eq(w.at, t.n);
  ck_assert_int_eq(w.writes, 0);
  ck_assert_int_eq(w.arm_requests, 0);
  /* and says when the soonest of its rows is due for a drift read (the default drift interval: 600 s ± 10 %) */
  ck_assert_msg(w.next_drift_s > 0 && w.next_drift_s <= 600 * 1.11, "next_drift_s %.1f", w.next_drift_s);
  capz_arm_walk_free(&w);
  capz_arm_table_free(&t);
  fx_free(&f);
}
END_TEST

START_TEST(ownership_leaves_byo_vnet_and_subnet_alone) {
  fx f = fx_new();
  t_put(RG "rg-byo", "{\"location\":\"eastus\",\"tags\":{\"" CAPZ_ARM_OWNED_TAG_PREFIX "tc2\":\"owned\"}}");
  t_put(RG "rg-byo/providers/" VNET_T "/byo",
        "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.9.0.0/16\"]},"
        "\"subnets\":[{\"name\":\"s1\",\"properties\":{\"addressPrefix\":\"10.9.1.0/24\"}}]}}");
  capz_arm_table t;
  capz_arm_table_init(&t, "tc2");
  ck_assert_ptr_nonnull(capz_arm_table_add(&t, "groups", NULL, RG "rg-byo", J("{\"location\":\"eastus\"}"), NULL,
                                           NULL));
  ck_assert_ptr_nonnull(capz_arm_table_add(
      &t, "virtualnetworks", NULL, RG "rg-byo/providers/" VNET_T "/byo",
      J("{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.1.0.0/16\"]}}}"), NULL,
      NULL));
  capz_arm_row *s = capz_arm_table_add(&t, "subnets", NULL, RG "rg-byo/providers/" VNET_T "/byo/subnets/s1",
                                       J("{\"properties\":{\"addressPrefix\":\"10.1.5.0/24\"}}"), NULL, NULL);
  s->parent = 1;
  ensure_all(&t, &f);
  ck_assert_int_eq(t.rows[1].outcome, CAPZ_ENSURE_NOT_OWNED);
  ck_assert_int_eq(t.rows[2].outcome, CAPZ_ENSURE_NOT_OWNED);
  ck_assert_int_eq(t.rows[2].arm_requests, 0);
  cJSON *log = t_requests();
  ck_assert_int_eq(t_count(log, "PUT", "/virtualNetworks/byo?"), 1); /* only the test's own */
  ck_assert_int_eq(t_count(log, "GET", "/subnets/s1"), 0);
  ck_assert_int_eq(t_count(log, "PUT", "/subnets/s1"), 0);
  cJSON_Delete(log);

  /* delete: the untagged VNet and subnet stay; only the tagged group would go, so leave it out */
  t.rows[0].no_delete = true;
  delete_all(&t, &f);
  ck_assert_int_eq(t.rows[1].outcome, CAPZ_ENSURE_NOT_OWNED);
  ck_assert_int_eq(t.rows[2].outcome, CAPZ_ENSURE_NOT_OWNED);
  log = t_requests();
  ck_assert_int_eq(t_count(log, "DELETE", "/byo"), 0);
  ck_assert_int_eq(t_count(log, "DELETE", "rg-byo"), 0);
  cJSON_Delete(log);
  ck_assert_int_eq(t_get_status(RG "rg-byo/providers/" VNET_T "/byo/subnets/s1"), 200);
  capz_arm_table_free(&t);
  fx_free(&f);
}
END_TEST

START_TEST(delete_reverse_with_row_api_version) {
  fx f = fx_new();
  capz_arm_table t;
  capz_arm_table_init(&t, "tc3");
  build_net(&t, "rg-del");
  snprintf(t.rows[0].api_version, sizeof t.rows[0].api_version, "2021-04-01");
  snprintf(t.rows[1].api_version, sizeof t.rows[1].api_version, "2024-05-01");
  ensure_all(&t, &f);
  t.rows[2].no_delete = true; /* goes with its VNet */
  delete_all(&t, &f);
  for (size_t i = 0; i < 2; i++) ck_assert_int_eq(t.rows[i].outcome, CAPZ_ENSURE_DELETED);
  cJSON *log = t_requests();
  int vn = t_first(log, "DELETE", "/virtualNetworks/vnet1?"), rg = t_first(log, "DELETE", "/resourceGroups/rg-del?");
  ck_assert_msg(vn >= 0 && rg > vn, "DELETE order vnet=%d rg=%d", vn, rg);
  ck_assert_int_eq(t_count(log, "DELETE", "/subnets/sn1"), 0);
  /* every DELETE (and the ownership GET before it) carried the row's api-version, never the default */
  ck_assert_int_eq(t_count(log, "DELETE", "/resourceGroups/rg-del?api-version=2021-04-01"), 1);
  ck_assert_int_eq(t_count(log, "DELETE", "/virtualNetworks/vnet1?api-version=2024-05-01"), 1);
  ck_assert_int_eq(t_count(log, "DELETE", "/resourceGroups/rg-del?"), 1);
  ck_assert_int_eq(t_count(log, "DELETE", "/virtualNetworks/vnet1?"), 1);
  ck_assert_int_ge(t_count(log, "PUT", "/resourceGroups/rg-del?api-version=2021-04-01"), 1);
  cJSON_Delete(log);
  ck_assert_int_eq(t_get_status(RG "rg-del"), 404);
  capz_arm_table_free(&t);
  fx_free(&f);
}
END_TEST

/* The last request of the log with method whose path (query left out) ends with suffix, or NULL. */
static const cJSON *last_req(const cJSON *log, const char *method, const char *suffix) {
  const cJSON *e, *found = NULL;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "method"));
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    if (!m || !p || strcmp(m, method)) continue;
    size_t l = strcspn(p, "?"), sl = strlen(suffix);
    if (l >= sl && !strncasecmp(p + l - sl, suffix, sl)) found = e;
  }
  return found;
}

#define KL_TAG "\"tags\":{\"sigs.k8s.io_cluster-api-provider-azure_cluster_kl\":\"owned\"}"

/* An LB whose backend pools drifted, PUT back by ensure: with keep_live the body carries the NAT rules another
 * controller added as child resources (ARM would drop them otherwise); without it they are gone. */
START_TEST(keep_live_carries_fields_others_own) {
  fx f = fx_new();
  capz_arm_table t;
  capz_arm_table_init(&t, "kl");
  char rgid[256], pip[300], lb[300], rule[360];
  ck_assert_int_eq(capz_arm_rg_id(rgid, sizeof rgid, T_SUB, "rg-keep"), 0);
  ck_assert_int_eq(capz_arm_res_id(pip, sizeof pip, T_SUB, "rg-keep", "Microsoft.Network/publicIPAddresses", "pip"), 0);
  ck_assert_int_eq(capz_arm_res_id(lb, sizeof lb, T_SUB, "rg-keep", "Microsoft.Network/loadBalancers", "lb"), 0);
  snprintf(rule, sizeof rule, "%s/inboundNatRules/r1", lb);
  ck_assert_ptr_nonnull(capz_arm_table_add(&t, "groups", NULL, rgid, J("{\"location\":\"eastus\"}"), NULL, NULL));
  ck_assert_ptr_nonnull(capz_arm_table_add(&t, "publicips", NULL, pip,
                                           J("{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},"
                                             "\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}"), NULL, NULL));
  char body[1024];
  snprintf(body, sizeof body,
           "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":"
           "[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"%s\"}}}],\"backendAddressPools\":"
           "[{\"name\":\"be\"}]}}", pip);
  static const char *const own_lb[] = {"/location", "/sku", "/properties/frontendIPConfigurations",
                                       "/properties/backendAddressPools", NULL};
  capz_arm_row *row = capz_arm_table_add(&t, "loadbalancers", NULL, lb, J(body), own_lb, NULL);
  ck_assert_ptr_nonnull(row);
  static const char *const keep[] = {"/properties/inboundNatRules", NULL};
  ck_assert_int_eq(capz_arm_row_set_keep_live(row, keep), 0);
  ck_assert_str_eq(row->keep_live[0], "/properties/inboundNatRules");
  ck_assert_ptr_null(row->keep_live[1]);
  ck_assert_int_eq(capz_arm_row_set_keep_live(NULL, keep), CAPZ_EINVAL);
  ensure_all(&t, &f);
  /* someone else's NAT rule, then drift in a field we own (the rule kept by that writer) */
  char rb[1024];
  snprintf(rb, sizeof rb, "{\"properties\":{\"frontendIPConfiguration\":{\"id\":\"%s/frontendIPConfigurations/fe\"},"
           "\"protocol\":\"Tcp\",\"frontendPort\":2201,\"backendPort\":22}}", lb);
  t_put(rule, rb);
  char drift[2048];
  snprintf(drift, sizeof drift,
           "{\"location\":\"eastus\"," KL_TAG ",\"sku\":{\"name\":\"Standard\"},\"properties\":{\"frontendIPConfigurations\":"
           "[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"%s\"}}}],\"backendAddressPools\":"
           "[{\"name\":\"be\"},{\"name\":\"extra\"}],\"inboundNatRules\":[{\"name\":\"r1\",\"properties\":"
           "{\"frontendIPConfiguration\":{\"id\":\"%s/frontendIPConfigurations/fe\"},\"protocol\":\"Tcp\","
           "\"frontendPort\":2201,\"backendPort\":22}}]}}", pip, lb);
  t_put(lb, drift);
  capz_arm_ensurer_forget(f.ens, lb);
  ensure_all(&t, &f);
  ck_assert_int_eq(row->outcome, CAPZ_ENSURE_UPDATED);
  cJSON *log = t_requests();
  const cJSON *put = last_req(log, "PUT", "/loadBalancers/lb");
  ck_assert_ptr_nonnull(put);
  const cJSON *sent = cJSON_GetObjectItem(put, "body");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(sent, "/properties/backendAddressPools")), 1);
  ck_assert_str_eq(capz_json_ptr_str(sent, "/properties/inboundNatRules/0/name", ""), "r1");
  ck_assert_int_eq(capz_json_ptr_int(sent, "/properties/inboundNatRules/0/properties/frontendPort", 0), 2201);
  int lb_puts = t_count(log, "PUT", "/loadBalancers/lb?");
  ck_assert_int_ge(lb_puts, 3); /* create, the drift, the correction */
  cJSON_Delete(log);
  ck_assert_int_eq(t_get_status(rule), 200);
  /* never compared: a fresh read of the LB (its rules not in desired) writes nothing */
  capz_arm_ensurer_forget(f.ens, lb);
  ensure_all(&t, &f);
  ck_assert_int_eq(row->outcome, CAPZ_ENSURE_UNCHANGED);
  log = t_requests();
  ck_assert_int_eq(t_count(log, "PUT", "/loadBalancers/lb?"), lb_puts);
  cJSON_Delete(log);
  /* without keep_live the same drift correction drops the rule, as ARM's full replacement does */
  ck_assert_int_eq(capz_arm_row_set_keep_live(row, NULL), 0);
  ck_assert_ptr_null(row->keep_live);
  t_put(lb, drift);
  capz_arm_ensurer_forget(f.ens, lb);
  ensure_all(&t, &f);
  log = t_requests();
  put = last_req(log, "PUT", "/loadBalancers/lb");
  ck_assert_ptr_null(capz_json_ptr_get(cJSON_GetObjectItem(put, "body"), "/properties/inboundNatRules"));
  cJSON_Delete(log);
  ck_assert_int_eq(t_get_status(rule), 404);
  capz_arm_table_free(&t);
  fx_free(&f);
}
END_TEST

START_TEST(rows_and_owned_lists) {
  capz_arm_table t;
  capz_arm_table_init(&t, "u");
  char *owned[] = {strdup("/location"), NULL};
  capz_arm_row *r = capz_arm_table_add(&t, "x", NULL, RG "g/providers/A.B/c/name1",
                                       J("{\"location\":\"l\",\"sku\":{\"name\":\"S\"},\"properties\":{\"a\":1,"
                                         "\"b\":2,\"c/d\":3}}"),
                                       (const char *const *)owned, NULL);
  ck_assert_ptr_nonnull(r);
  free(owned[0]); /* the row holds its own copy */
  ck_assert_str_eq(r->name, "name1");
  ck_assert_str_eq(r->owned[0], "/location");
  ck_assert_ptr_null(r->owned[1]);
  static const char *const skip[] = {"b", NULL};
  ck_assert_int_eq(capz_arm_row_own_properties(r, skip), 0);
  const char *want[] = {"/location", "/sku", "/properties/a", "/properties/c~1d", NULL};
  for (int i = 0; want[i]; i++) {
    ck_assert_ptr_nonnull(r->owned[i]);
    ck_assert_str_eq(r->owned[i], want[i]);
  }
  ck_assert_ptr_null(r->owned[4]);
  ck_assert_ptr_null(capz_arm_table_add(&t, "x", NULL, NULL, J("{}"), NULL, J("{}")));  /* freed, no leak */
  for (int i = 0; i < 40; i++) { /* growth keeps earlier rows */
    char id[64];
    snprintf(id, sizeof id, "/x/r%d", i);
    ck_assert_ptr_nonnull(capz_arm_table_add(&t, "y", NULL, id, J("{}"), NULL, NULL));
  }
  ck_assert_ptr_eq(capz_arm_table_find(&t, "x", NULL), &t.rows[0]);
  ck_assert_str_eq(capz_arm_table_find(&t, "y", "r39")->id, "/x/r39");
  ck_assert_ptr_null(capz_arm_table_find(&t, "y", "r40"));
  cJSON *ref = capz_arm_id_ref("/a/b");
  ck_assert_str_eq(capz_json_ptr_str(ref, "/id", ""), "/a/b");
  cJSON_Delete(ref);
  char small[8];
  ck_assert_int_eq(capz_arm_rg_id(small, sizeof small, T_SUB, "g"), -1);
  capz_arm_table_free(&t);
  ck_assert_uint_eq(t.n, 0);
}
END_TEST

Suite *table_suite(void) {
  Suite *s = suite_create("azure_table");
  TCase *u = tcase_create("rows");
  tcase_add_test(u, rows_and_owned_lists);
  suite_add_tcase(s, u);
  TCase *tc = tcase_create("walk");
  tcase_add_checked_fixture(tc, arm_env_start, arm_env_stop);
  tcase_set_timeout(tc, 40);
  tcase_add_test(tc, ensure_in_order_and_stops_in_progress);
  tcase_add_test(tc, ownership_leaves_byo_vnet_and_subnet_alone);
  tcase_add_test(tc, delete_reverse_with_row_api_version);
  tcase_add_test(tc, keep_live_carries_fields_others_own);
  suite_add_tcase(s, tc);
  return s;
}
