/* test_cluster_defaults.c — AzureCluster / AzureClusterTemplate defaulting. */
#include <stdio.h>
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

#define C SM_T_CLUSTER

static cJSON *defaulted(cJSON *obj, const sm_feature_gates *g) {
  capz_err err;
  capz_err_clear(&err);
  ck_assert_msg(sm_azurecluster_default(obj, g, &err) == 0, "%s", err.msg);
  return obj;
}

static cJSON *minimal(const char *extra_spec_json) {
  char buf[4096];
  snprintf(buf, sizeof buf,
           "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureCluster\","
           "\"metadata\":{\"name\":\"" C "\",\"namespace\":\"default\"},"
           "\"spec\":{\"location\":\"westeurope\",\"subscriptionID\":\"" SM_T_SUB "\","
           "\"identityRef\":{\"kind\":\"AzureClusterIdentity\",\"name\":\"id\"}%s%s}}",
           extra_spec_json ? "," : "", extra_spec_json ? extra_spec_json : "");
  cJSON *o = cJSON_Parse(buf);
  ck_assert_ptr_nonnull(o);
  return o;
}

START_TEST(default_template_cluster) {
  cJSON *c = defaulted(smt_template_obj("cluster-template.yaml", "AzureCluster", NULL), NULL);
  ck_assert_str_eq(smt_str(c, "spec.resourceGroup"), C);
  ck_assert_str_eq(smt_str(c, "spec.azureEnvironment"), "AzurePublicCloud");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.vnet.name"), C "-vnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.vnet.resourceGroup"), C);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.vnet.cidrBlocks[0]"), "10.0.0.0/8");
  /* user-named subnets keep their names, get CIDRs, NSGs, route tables, NAT gateway */
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.subnets")), 2);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].name"), "control-plane-subnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].cidrBlocks[0]"), "10.0.0.0/16");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].securityGroup.name"), C "-controlplane-nsg");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].routeTable.name"), C "-node-routetable");
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.subnets[0].natGateway"));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].name"), "node-subnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].cidrBlocks[0]"), "10.1.0.0/16");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].securityGroup.name"), C "-node-nsg");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].routeTable.name"), C "-node-routetable");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].natGateway.name"), C "-node-natgw-1");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].natGateway.ip.name"), "pip-" C "-node-natgw-1");
  /* API server LB */
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.type"), "Public");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.sku"), "Standard");
  ck_assert_int_eq((int)smt_num(c, "spec.networkSpec.apiServerLB.idleTimeoutInMinutes"), 4);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.name"), C "-public-lb");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].name"), C "-public-lb-frontEnd");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].publicIP.name"), "pip-" C "-apiserver");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.backendPool.name"), C "-public-lb-backendPool");
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.nodeOutboundLB"));
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.controlPlaneOutboundLB"));
  ck_assert(cJSON_IsTrue(smt_at(c, "spec.controlPlaneEnabled")));
  /* the defaulted template passes validation */
  char msg[2048];
  ck_assert_msg(sm_azurecluster_validate(c, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_minimal_adds_subnets_fixed_point) {
  cJSON *c = defaulted(minimal(NULL), NULL);
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.subnets")), 2);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].role"), "control-plane");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].name"), C "-controlplane-subnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].routeTable.name"), C "-node-routetable");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].role"), "node");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].name"), C "-node-subnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].cidrBlocks[0]"), "10.1.0.0/16");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].natGateway.name"), C "-node-natgw");
  /* reached only on CAPZ's second admission pass */
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].natGateway.ip.name"), "pip-" C "-node-natgw");
  cJSON *again = cJSON_Duplicate(c, true);
  defaulted(again, NULL);
  ck_assert(cJSON_Compare(c, again, true));
  cJSON_Delete(again);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_user_node_subnets_indexed) {
  cJSON *c = defaulted(minimal("\"networkSpec\":{\"subnets\":[{\"role\":\"node\"},{\"role\":\"node\"},"
                               "{\"role\":\"node\",\"id\":\"/subscriptions/x/y\"}]}"), NULL);
  /* CP subnet appended after the user's node subnets */
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].name"), C "-node-subnet-1");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].name"), C "-node-subnet-2");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].cidrBlocks[0]"), "10.2.0.0/16");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].natGateway.name"), C "-node-natgw-2");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[1].natGateway.ip.name"), "pip-" C "-node-natgw-2");
  /* a subnet with an id exists already: no NAT gateway */
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.subnets[2].natGateway"));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[2].cidrBlocks[0]"), "10.3.0.0/16");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[3].role"), "control-plane");
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_cluster_subnet) {
  cJSON *c = defaulted(minimal("\"networkSpec\":{\"subnets\":[{\"role\":\"cluster\"}]}"), NULL);
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.subnets")), 1);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].name"), C "-subnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].securityGroup.name"), C "-nsg");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].routeTable.name"), C "-routetable");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].natGateway.name"), C "-natgw");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].natGateway.ip.name"), "pip-" C "-natgw");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].cidrBlocks[0]"), "10.0.0.0/16");
  cJSON_Delete(c);
  /* IPv6 cluster subnet: no NAT gateway (CAPZ would name one it cannot create) */
  c = defaulted(minimal("\"networkSpec\":{\"subnets\":[{\"role\":\"cluster\",\"cidrBlocks\":"
                        "[\"10.0.0.0/16\",\"2001:1234:5678:9abd::/64\"]}]}"), NULL);
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.subnets[0].natGateway"));
  /* and a public cluster with an IPv6 cluster subnet gets a node outbound LB */
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.name"), C);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_internal_lb_and_cp_outbound) {
  cJSON *c = defaulted(minimal("\"networkSpec\":{\"apiServerLB\":{\"type\":\"Internal\"},"
                               "\"controlPlaneOutboundLB\":{\"frontendIPsCount\":2}}"), NULL);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.name"), C "-internal-lb");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].name"), C "-internal-lb-frontEnd");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].privateIP"), "10.0.0.100");
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.apiServerLB.frontendIPs[0].publicIP"));
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.nodeOutboundLB"));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.controlPlaneOutboundLB.name"), C "-outbound-lb");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.controlPlaneOutboundLB.type"), "Public");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.controlPlaneOutboundLB.sku"), "Standard");
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.controlPlaneOutboundLB.frontendIPs")), 2);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.controlPlaneOutboundLB.frontendIPs[1].name"), C "-outbound-lb-frontEnd-2");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.controlPlaneOutboundLB.frontendIPs[1].publicIP.name"),
                   "pip-" C "-controlplane-outbound-2");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.controlPlaneOutboundLB.backendPool.name"),
                   C "-outbound-lb-outboundBackendPool");
  char msg[2048];
  ck_assert_msg(sm_azurecluster_validate(c, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_ipv6_node_outbound) {
  cJSON *c = defaulted(minimal("\"networkSpec\":{\"vnet\":{\"cidrBlocks\":[\"10.0.0.0/8\",\"2001:1234:5678:9a00::/56\"]},"
                               "\"subnets\":[{\"role\":\"control-plane\",\"cidrBlocks\":[\"10.0.0.0/16\",\"2001:1234:5678:9abc::/64\"]},"
                               "{\"role\":\"node\",\"cidrBlocks\":[\"10.1.0.0/16\",\"2001:1234:5678:9abd::/64\"]}],"
                               "\"nodeOutboundLB\":null}"), NULL);
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.subnets[1].natGateway"));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.name"), C);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.type"), "Public");
  ck_assert_int_eq((int)smt_num(c, "spec.networkSpec.nodeOutboundLB.frontendIPsCount"), 1);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.frontendIPs[0].name"), C "-frontEnd");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.frontendIPs[0].publicIP.name"), "pip-" C "-node-outbound");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.backendPool.name"), C "-outboundBackendPool");
  char msg[2048];
  ck_assert_msg(sm_azurecluster_validate(c, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_node_outbound_count) {
  cJSON *c = defaulted(minimal("\"networkSpec\":{\"nodeOutboundLB\":{\"frontendIPsCount\":3,\"sku\":\"Basic\"}}"), NULL);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.sku"), "Standard"); /* forced */
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.nodeOutboundLB.frontendIPs")), 3);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.frontendIPs[2].name"), C "-frontEnd-3");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.nodeOutboundLB.frontendIPs[2].publicIP.name"), "pip-" C "-node-outbound-3");
  cJSON_Delete(c);
  c = defaulted(minimal("\"networkSpec\":{\"nodeOutboundLB\":{\"frontendIPsCount\":0}}"), NULL);
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.nodeOutboundLB.frontendIPs")), 0);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_apiserver_ilb_gate) {
  sm_feature_gates g = {.apiserver_ilb = true};
  cJSON *c = defaulted(minimal(NULL), &g);
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.apiServerLB.frontendIPs")), 2);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[1].name"), C "-public-lb-frontEnd-internal-ip");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[1].privateIP"), "10.0.0.100");
  sm_errors errs;
  sm_errors_init(&errs);
  ck_assert_int_eq(sm_azurecluster_validate_errs(c, NULL, &g, &errs), 0);
  /* without the gate the private frontend is forbidden */
  ck_assert_int_gt(sm_azurecluster_validate_errs(c, NULL, NULL, &errs), 0);
  ck_assert_ptr_nonnull(sm_errors_find(&errs, "spec.networkSpec.apiServerLB.frontendIPs[0].privateIP"));
  sm_errors_free(&errs);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_bastion_peerings_rules) {
  cJSON *c = defaulted(minimal("\"bastionSpec\":{\"azureBastion\":{}},"
                               "\"networkSpec\":{\"vnet\":{\"peerings\":[{\"remoteVnetName\":\"hub\"}]},"
                               "\"subnets\":[{\"role\":\"control-plane\",\"securityGroup\":{\"securityRules\":"
                               "[{\"name\":\"r\",\"priority\":300,\"protocol\":\"Tcp\"}]}}]}"), NULL);
  ck_assert_str_eq(smt_str(c, "spec.bastionSpec.azureBastion.name"), C "-azure-bastion");
  ck_assert_str_eq(smt_str(c, "spec.bastionSpec.azureBastion.subnet.name"), "AzureBastionSubnet");
  ck_assert_str_eq(smt_str(c, "spec.bastionSpec.azureBastion.subnet.cidrBlocks[0]"), "10.255.255.224/27");
  ck_assert_str_eq(smt_str(c, "spec.bastionSpec.azureBastion.subnet.role"), "bastion");
  ck_assert_str_eq(smt_str(c, "spec.bastionSpec.azureBastion.publicIP.name"), C "-azure-bastion-pip");
  ck_assert_str_eq(smt_str(c, "spec.bastionSpec.azureBastion.sku"), "Basic");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.vnet.peerings[0].resourceGroup"), C);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].securityGroup.securityRules[0].direction"), "Inbound");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].securityGroup.securityRules[0].action"), "Allow");
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_controlplane_disabled) {
  cJSON *c = defaulted(minimal("\"controlPlaneEnabled\":false,\"networkSpec\":{\"apiServerLB\":{\"type\":\"Public\"}}"), NULL);
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.apiServerLB"));
  ck_assert_int_eq(cJSON_GetArraySize(smt_at(c, "spec.networkSpec.subnets")), 1);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[0].role"), "node");
  char msg[2048];
  ck_assert_msg(sm_azurecluster_validate(c, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(c);
}
END_TEST

START_TEST(default_pod_subnet) {
  cJSON *c = defaulted(minimal("\"networkSpec\":{\"subnets\":[{\"role\":\"control-plane\"},{\"role\":\"node\"},"
                               "{\"role\":\"pod\"},{\"role\":\"pod\"}]}"), NULL);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[2].name"), C "-pod-subnet");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[2].cidrBlocks[0]"), "10.128.0.0/12");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[2].securityGroup.name"), C "-node-nsg");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[2].natGateway.name"), C "-node-natgw-1");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[2].natGateway.ip.name"), "pip-" C "-node-natgw-1");
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.subnets[2].routeTable"));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[3].name"), C "-pod-subnet-2");
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.subnets[3].cidrBlocks[0]"), "10.144.0.0/12");
  char msg[2048];
  ck_assert_msg(sm_azurecluster_validate(c, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(c);
}
END_TEST

START_TEST(reconcile_cp_rules_and_dns) {
  cJSON *c = defaulted(smt_template_obj("cluster-template.yaml", "AzureCluster", NULL), NULL);
  capz_err err;
  ck_assert_int_eq(sm_azurecluster_default_controlplane_rules(c, 6443, &err), 0);
  cJSON *rules = smt_at(c, "spec.networkSpec.subnets[0].securityGroup.securityRules");
  ck_assert_int_eq(cJSON_GetArraySize(rules), 2);
  ck_assert_str_eq(smt_str(rules, "[0].name"), "allow_ssh");
  ck_assert_str_eq(smt_str(rules, "[0].destinationPorts"), "22");
  ck_assert_int_eq((int)smt_num(rules, "[0].priority"), 2200);
  ck_assert_str_eq(smt_str(rules, "[1].name"), "allow_apiserver");
  ck_assert_str_eq(smt_str(rules, "[1].destinationPorts"), "6443");
  ck_assert_int_eq((int)smt_num(rules, "[1].priority"), 2201);
  ck_assert_str_eq(smt_str(rules, "[1].protocol"), "Tcp");
  /* idempotent; a different API port adds only the missing rule */
  ck_assert_int_eq(sm_azurecluster_default_controlplane_rules(c, 6443, &err), 0);
  ck_assert_int_eq(cJSON_GetArraySize(rules), 2);
  ck_assert_int_eq(sm_azurecluster_default_controlplane_rules(c, 8443, &err), 0);
  ck_assert_int_eq(cJSON_GetArraySize(rules), 3);
  ck_assert_str_eq(smt_str(rules, "[2].destinationPorts"), "8443");
  /* node NSG gets no default rules */
  ck_assert_ptr_null(smt_at(c, "spec.networkSpec.subnets[1].securityGroup.securityRules"));

  ck_assert_int_eq(sm_azurecluster_default_apiserver_dns(c, &err), 0);
  char want[256], key[256];
  snprintf(key, sizeof key, "%s/%s/pip-%s-apiserver", SM_T_SUB, C, C);
  snprintf(want, sizeof want, C "-%x." SM_T_LOCATION ".cloudapp.azure.com", sm_fnv32a(key));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].publicIP.dnsName"), want);
  /* an AzureCluster named otherwise than its Cluster (ClusterClass topologies): the label is the Cluster's name */
  cJSON_DeleteItemFromObject(smt_at(c, "spec.networkSpec.apiServerLB.frontendIPs[0].publicIP"), "dnsName");
  ck_assert_int_eq(sm_azurecluster_default_apiserver_dns_for(c, "owner-cluster", &err), 0);
  snprintf(want, sizeof want, "owner-cluster-%x." SM_T_LOCATION ".cloudapp.azure.com", sm_fnv32a(key));
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].publicIP.dnsName"), want);
  /* set already: left alone */
  ck_assert_int_eq(sm_azurecluster_default_apiserver_dns_for(c, "another", &err), 0);
  ck_assert_str_eq(smt_str(c, "spec.networkSpec.apiServerLB.frontendIPs[0].publicIP.dnsName"), want);
  cJSON_Delete(c);
}
END_TEST

START_TEST(template_defaults) {
  cJSON *t = smt_template_obj("cluster-template-clusterclass.yaml", "AzureClusterTemplate", NULL);
  capz_err err;
  ck_assert_int_eq(sm_azureclustertemplate_default(t, &err), 0);
  const char *P = "spec.template.spec.";
  char p[256];
  snprintf(p, sizeof p, "%snetworkSpec.vnet.cidrBlocks[0]", P);
  ck_assert_str_eq(smt_str(t, p), "10.0.0.0/8");
  snprintf(p, sizeof p, "%snetworkSpec.subnets[0].cidrBlocks[0]", P);
  ck_assert_str_eq(smt_str(t, p), "10.0.0.0/16");
  snprintf(p, sizeof p, "%snetworkSpec.subnets[1].cidrBlocks[0]", P);
  ck_assert_str_eq(smt_str(t, p), "10.1.0.0/16");
  /* class defaults only: no instance names */
  snprintf(p, sizeof p, "%snetworkSpec.subnets[1].securityGroup", P);
  ck_assert_ptr_null(smt_at(t, p));
  snprintf(p, sizeof p, "%snetworkSpec.apiServerLB.type", P);
  ck_assert_str_eq(smt_str(t, p), "Public");
  snprintf(p, sizeof p, "%snetworkSpec.apiServerLB.name", P);
  ck_assert_ptr_null(smt_at(t, p));
  snprintf(p, sizeof p, "%sazureEnvironment", P);
  ck_assert_str_eq(smt_str(t, p), "AzurePublicCloud");
  char msg[2048];
  ck_assert_msg(sm_azureclustertemplate_validate(t, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(t);
}
END_TEST

Suite *smt_cluster_defaults_suite(void) {
  Suite *s = suite_create("cluster_defaults");
  TCase *tc = tcase_create("defaults");
  tcase_add_test(tc, default_template_cluster);
  tcase_add_test(tc, default_minimal_adds_subnets_fixed_point);
  tcase_add_test(tc, default_user_node_subnets_indexed);
  tcase_add_test(tc, default_cluster_subnet);
  tcase_add_test(tc, default_internal_lb_and_cp_outbound);
  tcase_add_test(tc, default_ipv6_node_outbound);
  tcase_add_test(tc, default_node_outbound_count);
  tcase_add_test(tc, default_apiserver_ilb_gate);
  tcase_add_test(tc, default_bastion_peerings_rules);
  tcase_add_test(tc, default_controlplane_disabled);
  tcase_add_test(tc, default_pod_subnet);
  tcase_add_test(tc, reconcile_cp_rules_and_dns);
  tcase_add_test(tc, template_defaults);
  suite_add_tcase(s, tc);
  return s;
}
