/* test_plugin_unit.c — selfmanaged.so without emulators: the descriptor as the real loader sees it, config
 * validation in init, the admission hooks (the api library's defaults and validation) through the testkit, and the
 * AzureCluster resource table (order, ownership rules, malformed input) built from defaulted objects. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "capz/testkit.h"
#include "cluster_resources.h"
#include "selfmanaged_api.h"

static char g_so[1024];

static void paths(void) {
  snprintf(g_so, sizeof g_so, "%s/plugins/selfmanaged.so", getenv("CAPZ_BUILD_DIR") ? getenv("CAPZ_BUILD_DIR") : ".");
}

static const char *AC =
    "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\",\"metadata\":{\"name\":\"u1\","
    "\"namespace\":\"default\"},\"spec\":{\"location\":\"westus\",\"subscriptionID\":\"sub-1\",\"resourceGroup\":\"u1-rg\","
    "\"identityRef\":{\"kind\":\"AzureClusterIdentity\",\"name\":\"id\"},\"networkSpec\":{\"vnet\":{\"name\":\"u1-vnet\"}}}}";

START_TEST(descriptor_and_config) {
  paths();
  capz_err e;
  const char *kv[] = {"armEndpoint", "http://127.0.0.1:1", "authorityHost", "http://127.0.0.1:1", NULL};
  capz_testkit *tk = capz_testkit_open(g_so, kv, &e);
  ck_assert_msg(tk != NULL, "%s", e.msg);
  const capz_loaded_plugin *p = capz_testkit_plugin(tk);
  ck_assert_str_eq(p->desc.name, "selfmanaged");
  ck_assert_int_eq(p->n_controllers, 4);
  ck_assert_ptr_nonnull(capz_testkit_controller(tk, "AzureCluster.infrastructure.cluster.x-k8s.io"));
  ck_assert_ptr_nonnull(capz_testkit_controller(tk, "AzureMachine.infrastructure.cluster.x-k8s.io"));
  ck_assert_ptr_nonnull(capz_testkit_controller(tk, "AzureClusterIdentity.infrastructure.cluster.x-k8s.io"));
  const capz_loaded_controller *amt = capz_testkit_controller(tk, "AzureMachineTemplate.infrastructure.cluster.x-k8s.io");
  ck_assert_ptr_nonnull(amt);
  ck_assert_int_eq(amt->n_watches, 1);
  const capz_loaded_controller *am = capz_testkit_controller(tk, "AzureMachine.infrastructure.cluster.x-k8s.io");
  bool secret_selected = false;
  for (size_t i = 0; i < am->n_watches; i++)
    if (!strcmp(am->watches[i].gvk.kind, "Secret"))
      secret_selected = am->watches[i].label_selector && !strcmp(am->watches[i].label_selector, "cluster.x-k8s.io/cluster-name");
  ck_assert(secret_selected);
  capz_testkit_close(tk);

  /* an unknown cloud or a plain-http non-loopback endpoint refuses init, naming the problem */
  const char *bad[] = {"azureEnvironment", "MarsCloud", NULL};
  ck_assert_ptr_null(capz_testkit_open(g_so, bad, &e));
  ck_assert_msg(strstr(e.msg, "selfmanaged config") != NULL, "%s", e.msg);
  const char *bad2[] = {"armEndpoint", "http://example.com", NULL};
  ck_assert_ptr_null(capz_testkit_open(g_so, bad2, &e));
  ck_assert_msg(strstr(e.msg, "armEndpoint") != NULL, "%s", e.msg);
  const char *bad3[] = {"driftInterval", "often", NULL};
  ck_assert_ptr_null(capz_testkit_open(g_so, bad3, &e));
}
END_TEST

START_TEST(admission_hooks) {
  paths();
  capz_err e;
  capz_testkit *tk = capz_testkit_open(g_so, NULL, &e);
  ck_assert_msg(tk != NULL, "%s", e.msg);
  cJSON *ac = cJSON_Parse(AC);
  ck_assert_int_eq(capz_testkit_default(tk, NULL, ac, &e), 0);
  ck_assert_str_eq(capz_json_ptr_str(ac, "/spec/networkSpec/subnets/0/name", ""), "u1-controlplane-subnet");
  ck_assert_str_eq(capz_json_ptr_str(ac, "/spec/networkSpec/apiServerLB/name", ""), "u1-public-lb");
  ck_assert_int_eq(capz_testkit_validate(tk, NULL, ac, NULL, &e), 0);
  /* a subnet outside the VNet is refused with the API server's message naming the field */
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(capz_json_ptr_get(ac, "/spec/networkSpec"), "vnet"),
                            "cidrBlocks", cJSON_Parse("[\"172.16.0.0/16\"]"));
  ck_assert_int_ne(capz_testkit_validate(tk, NULL, ac, NULL, &e), 0);
  ck_assert_msg(strstr(e.msg, "spec.networkSpec.subnets[0].cidrBlocks"), "%s", e.msg);
  cJSON_Delete(ac);
  /* an identity without allowedNamespaces is valid; one with a bad type is not */
  cJSON *id = cJSON_Parse("{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                          "\"metadata\":{\"name\":\"i\",\"namespace\":\"default\"},\"spec\":{\"type\":\"Nope\","
                          "\"tenantID\":\"t\",\"clientID\":\"c\"}}");
  ck_assert_int_ne(capz_testkit_validate(tk, NULL, id, NULL, &e), 0);
  cJSON_Delete(id);
  capz_testkit_close(tk);
}
END_TEST

static const char *services(const capz_arm_table *t, char *buf, size_t n) {
  buf[0] = '\0';
  const char *last = "";
  for (size_t i = 0; i < t->n; i++) {
    if (!strcmp(last, t->rows[i].service)) continue;
    last = t->rows[i].service;
    strncat(buf, last, n - strlen(buf) - 1);
    strncat(buf, ",", n - strlen(buf) - 1);
  }
  return buf;
}

START_TEST(cluster_table_order) {
  cJSON *ac = cJSON_Parse(AC);
  capz_err e;
  ck_assert_int_eq(sm_azurecluster_default(ac, NULL, &e), 0);
  ck_assert_int_eq(sm_azurecluster_default_controlplane_rules(ac, 6443, &e), 0);
  ck_assert_int_eq(sm_azurecluster_default_apiserver_dns(ac, &e), 0);
  cJSON *zones = cJSON_Parse("[]");
  sm_cluster_info ci = {.name = "u1", .sub = "sub-1", .rg = "u1-rg", .location = "westus", .zones = zones, .api_port = 6443};
  capz_arm_table t;
  capz_arm_table_init(&t, "u1");
  ck_assert_int_eq(sm_cluster_table(ac, &ci, &t, &e), 0);
  char buf[512];
  ck_assert_str_eq(services(&t, buf, sizeof buf),
                   "group,virtualnetworks,securitygroups,routetables,publicips,natgateways,subnets,loadbalancers,");
  /* dependencies come first: every subnet row after the NSG/route table/NAT gateway rows it references */
  ck_assert_str_eq(t.rows[0].id, "/subscriptions/sub-1/resourceGroups/u1-rg");
  const capz_arm_row *sn = capz_arm_table_find(&t, "subnets", "u1-node-subnet");
  ck_assert_ptr_nonnull(sn);
  ck_assert(!sn->ownership);
  ck_assert_int_eq(sn->parent, 1); /* the VNet row: a VNet we don't own leaves its subnets alone */
  const capz_arm_row *pip = capz_arm_table_find(&t, "publicips", "pip-u1-apiserver");
  ck_assert_ptr_nonnull(pip);
  ck_assert_ptr_null(capz_json_ptr_get(pip->desired, "/zones")); /* region without zones */
  ck_assert_str_eq(capz_json_ptr_str(t.rows[0].tags, "/sigs.k8s.io_cluster-api-provider-azure_role", ""), "common");
  capz_arm_table_free(&t);
  cJSON_Delete(zones);
  cJSON_Delete(ac);
}
END_TEST

/* Every kind of row CAPZ's AzureCluster reconcile has, in its service order (capz-reference §2.3): a private
 * dual-stack cluster with a pod subnet, a private endpoint (manual approval), a peering and a bastion. */
START_TEST(cluster_table_full_order) {
  cJSON *ac = cJSON_Parse(
      "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\",\"metadata\":{\"name\":\"f1\","
      "\"namespace\":\"default\"},\"spec\":{\"location\":\"westus\",\"subscriptionID\":\"sub-1\",\"resourceGroup\":\"f1-rg\","
      "\"identityRef\":{\"kind\":\"AzureClusterIdentity\",\"name\":\"id\"},\"bastionSpec\":{\"azureBastion\":{}},"
      "\"networkSpec\":{\"apiServerLB\":{\"type\":\"Internal\"},\"vnet\":{\"cidrBlocks\":[\"10.0.0.0/8\","
      "\"2001:1234:5678:9a00::/56\"],\"peerings\":[{\"remoteVnetName\":\"hub\",\"resourceGroup\":\"hub-rg\"}]},"
      "\"subnets\":[{\"name\":\"cp\",\"role\":\"control-plane\",\"cidrBlocks\":[\"10.0.0.0/16\",\"2001:1234:5678:9abc::/64\"]},"
      "{\"name\":\"node\",\"role\":\"node\",\"cidrBlocks\":[\"10.1.0.0/16\"],\"privateEndpoints\":[{\"name\":\"pe1\","
      "\"manualApproval\":true,\"privateIPAddresses\":[\"10.1.0.10\"],\"privateLinkServiceConnections\":[{\"name\":\"c\","
      "\"privateLinkServiceID\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a\","
      "\"groupIDs\":[\"blob\"]}]}]},{\"name\":\"pods\",\"role\":\"pod\"}]}}}");
  capz_err e;
  ck_assert_int_eq(sm_azurecluster_default(ac, NULL, &e), 0);
  ck_assert_int_eq(sm_azurecluster_default_controlplane_rules(ac, 6443, &e), 0);
  char msg[2048];
  ck_assert_msg(sm_azurecluster_validate(ac, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON *zones = cJSON_Parse("[\"1\",\"2\"]");
  sm_cluster_info ci = {.name = "f1", .sub = "sub-1", .rg = "f1-rg", .location = "westus", .zones = zones, .api_port = 6443};
  capz_arm_table t;
  capz_arm_table_init(&t, "f1");
  ck_assert_int_eq(sm_cluster_table(ac, &ci, &t, &e), 0);
  char buf[512];
  ck_assert_str_eq(services(&t, buf, sizeof buf),
                   "group,virtualnetworks,securitygroups,routetables,publicips,natgateways,subnets,vnetpeerings,"
                   "loadbalancers,privatedns,privateendpoints,bastionhosts,");
  const capz_arm_row *vnet = capz_arm_table_find(&t, "virtualnetworks", NULL);
  ck_assert_str_eq(capz_json_ptr_str(vnet->desired, "/properties/addressSpace/addressPrefixes/1", ""),
                   "2001:1234:5678:9a00::/56");
  const capz_arm_row *cp = capz_arm_table_find(&t, "subnets", "cp");
  ck_assert_str_eq(capz_json_ptr_str(cp->desired, "/properties/addressPrefixes/1", ""), "2001:1234:5678:9abc::/64");
  const capz_arm_row *pods = capz_arm_table_find(&t, "subnets", "pods");
  ck_assert_ptr_nonnull(pods);
  ck_assert_str_eq(capz_json_ptr_str(pods->desired, "/properties/delegations/0/properties/serviceName", ""),
                   "Microsoft.DelegatedNetwork/controller");
  ck_assert_str_eq(capz_json_ptr_str(pods->desired, "/properties/addressPrefix", ""), "10.128.0.0/12");
  const capz_arm_row *pe = capz_arm_table_find(&t, "privateendpoints", "pe1");
  ck_assert_ptr_nonnull(pe);
  ck_assert_str_eq(capz_json_ptr_str(pe->desired, "/location", ""), "westus");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(pe->desired, "/properties/privateLinkServiceConnections")), 0);
  ck_assert_str_eq(capz_json_ptr_str(pe->desired, "/properties/manualPrivateLinkServiceConnections/0/properties/groupIds/0", ""),
                   "blob");
  ck_assert_str_eq(capz_json_ptr_str(pe->desired, "/properties/ipConfigurations/0/properties/privateIPAddress", ""),
                   "10.1.0.10");
  ck_assert_ptr_nonnull(strstr(capz_json_ptr_str(pe->desired, "/properties/subnet/id", ""), "/subnets/node"));
  capz_arm_table_free(&t);
  cJSON_Delete(zones);
  cJSON_Delete(ac);
}
END_TEST

/* Malformed objects (wrong types everywhere) build a table or fail with EINVAL — never crash. */
START_TEST(cluster_table_malformed) {
  static const char *const bad[] = {
      "{\"spec\":{\"networkSpec\":{\"subnets\":\"x\",\"vnet\":7}}}",
      "{\"spec\":{\"networkSpec\":{\"subnets\":[{\"name\":5,\"cidrBlocks\":\"10.0.0.0/8\"},{\"securityGroup\":[]}]}}}",
      "{\"spec\":{\"networkSpec\":{\"subnets\":[{\"name\":\"a\",\"securityGroup\":{\"name\":\"n\",\"securityRules\":[1,null,{}]}}],"
      "\"apiServerLB\":{\"frontendIPs\":[null,{\"publicIP\":3}],\"backendPool\":1},\"vnet\":{\"peerings\":[{}]}}}}",
      "{\"spec\":{\"bastionSpec\":{\"azureBastion\":{\"subnet\":{\"name\":\"b\",\"cidrBlocks\":[1,2]}}},\"additionalTags\":[1]}}",
      "{\"spec\":{\"networkSpec\":{\"subnets\":[{\"name\":\"n\",\"privateEndpoints\":[null,{\"name\":\"p\","
      "\"privateIPAddresses\":[1],\"applicationSecurityGroups\":{},\"privateLinkServiceConnections\":[2,{\"groupIDs\":7}]}]}]}}}",
      "[]", "null"};
  cJSON *zones = cJSON_Parse("[\"1\"]");
  sm_cluster_info ci = {.name = "m", .sub = "s", .rg = "r", .location = "l", .zones = zones, .api_port = 6443};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cJSON *o = cJSON_Parse(bad[i]);
    capz_arm_table t;
    capz_arm_table_init(&t, "m");
    capz_err e;
    int rc = sm_cluster_table(o, &ci, &t, &e);
    ck_assert_msg(rc == 0 || rc == CAPZ_EINVAL, "case %zu: rc %d", i, rc);
    capz_arm_table_free(&t);
    cJSON_Delete(o);
  }
  cJSON_Delete(zones);
}
END_TEST

int main(void) {
  Suite *s = suite_create("selfmanaged_plugin");
  TCase *tc = tcase_create("unit");
  tcase_add_test(tc, descriptor_and_config);
  tcase_add_test(tc, admission_hooks);
  tcase_add_test(tc, cluster_table_order);
  tcase_add_test(tc, cluster_table_full_order);
  tcase_add_test(tc, cluster_table_malformed);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
