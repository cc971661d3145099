/* test_cluster_validate.c — AzureCluster create/update validation: each rule yields its field path. */
#include <stdio.h>
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

#define C SM_T_CLUSTER
#define NET "spec.networkSpec."

/* The reference template's AzureCluster, defaulted: valid. */
static cJSON *base(void) {
  cJSON *c = smt_template_obj("cluster-template.yaml", "AzureCluster", NULL);
  capz_err err;
  ck_assert_int_eq(sm_azurecluster_default(c, NULL, &err), 0);
  return c;
}

static cJSON *redefault(cJSON *c) {
  capz_err err;
  ck_assert_int_eq(sm_azurecluster_default(c, NULL, &err), 0);
  return c;
}

/* Asserts validation reports an error at field whose text contains want; frees obj/old. */
static void expect_err(cJSON *obj, cJSON *old, const sm_feature_gates *g, const char *field, const char *want) {
  sm_errors errs;
  sm_errors_init(&errs);
  smt_check_err(&errs, sm_azurecluster_validate_errs(obj, old, g, &errs), "AzureCluster", C, field, want);
  cJSON_Delete(obj);
  cJSON_Delete(old);
}

static void expect_ok(cJSON *obj, cJSON *old, const sm_feature_gates *g) {
  sm_errors errs;
  sm_errors_init(&errs);
  smt_check_ok(&errs, sm_azurecluster_validate_errs(obj, old, g, &errs), "AzureCluster", C);
  cJSON_Delete(obj);
  cJSON_Delete(old);
}

START_TEST(valid_template) { expect_ok(base(), NULL, NULL); }
END_TEST

START_TEST(cluster_name) {
  cJSON *c = base();
  smt_set_str(c, "metadata.name", "Bad_Name");
  expect_err(c, NULL, NULL, "metadata.name", "Invalid value: \"Bad_Name\": Cluster Name doesn't match regex");
  c = base();
  smt_set_str(c, "metadata.name", "a234567890123456789012345678901234567890123456");
  expect_err(c, NULL, NULL, "metadata.name", "longer than allowed length of 44");
}
END_TEST

START_TEST(identity_ref_and_location) {
  cJSON *c = base();
  smt_del(c, "spec.identityRef");
  expect_err(c, NULL, NULL, "spec.identityRef", "Required value: identityRef is required");
  c = base();
  smt_set_str(c, "spec.identityRef.kind", "Secret");
  expect_err(c, NULL, NULL, "spec.identityRef.kind", "Unsupported value: \"Secret\": supported values: \"AzureClusterIdentity\"");
  c = base();
  smt_del(c, "spec.location");
  expect_err(c, NULL, NULL, "spec.location", "Required value");
}
END_TEST

START_TEST(subnet_cidrs) {
  cJSON *c = base();
  smt_set_json(c, NET "subnets[1].cidrBlocks", "[\"11.0.0.0/16\"]");
  expect_err(c, NULL, NULL, NET "subnets[1].cidrBlocks",
             "spec.networkSpec.subnets[1].cidrBlocks: Invalid value: \"11.0.0.0/16\": subnet CIDR not in vnet address space: [10.0.0.0/8]");
  c = base();
  smt_set_json(c, NET "subnets[1].cidrBlocks", "[\"10.1.0.0/33\"]");
  expect_err(c, NULL, NULL, NET "subnets[1].cidrBlocks", "invalid CIDR format");
  c = base();
  smt_set_json(c, NET "vnet.cidrBlocks", "[\"10.0.0.0\"]");
  expect_err(c, NULL, NULL, NET "vnet.cidrBlocks", "Invalid value: \"10.0.0.0\": invalid CIDR format");
  c = base();
  smt_set_json(c, NET "subnets[1].cidrBlocks", "[\"10.0.128.0/24\"]");
  expect_err(c, NULL, NULL, NET "subnets[1].cidrBlocks", "overlaps 10.0.0.0/16 of subnet control-plane-subnet");
}
END_TEST

START_TEST(subnet_names_roles) {
  cJSON *c = base();
  smt_set_str(c, NET "subnets[1].name", "node subnet");
  expect_err(c, NULL, NULL, NET "subnets[1].name", "name of subnet doesn't match regex");
  c = base();
  smt_set_str(c, NET "subnets[1].name", "-node");
  expect_err(c, NULL, NULL, NET "subnets[1].name", "must start with an alphanumeric character");
  c = base();
  smt_set_str(c, NET "subnets[1].name", "control-plane-subnet");
  expect_err(c, NULL, NULL, NET "subnets", "Duplicate value: \"control-plane-subnet\"");
  c = base();
  smt_set_str(c, NET "subnets[1].role", "bastion");
  expect_err(c, NULL, NULL, NET "subnets", "required role node not included in provided subnets");
  c = base();
  smt_set_str(c, NET "subnets[1].role", "pods");
  expect_err(c, NULL, NULL, NET "subnets[1].role", "Unsupported value: \"pods\"");
  c = base();
  smt_set_str(c, NET "subnets[0].securityGroup.name", "nsg/1");
  expect_err(c, NULL, NULL, NET "subnets[0].securityGroup.name", "can contain only alphanumerics");
  c = base();
  smt_set_str(c, NET "vnet.resourceGroup", "rg with space");
  expect_err(c, NULL, NULL, NET "vnet.resourceGroup", "resourceGroup doesn't match regex");
}
END_TEST

START_TEST(security_rules) {
  cJSON *c = base();
  smt_set_json(c, NET "subnets[0].securityGroup.securityRules",
               "[{\"name\":\"a\",\"priority\":50,\"protocol\":\"Tcp\"},"
               "{\"name\":\"b\",\"priority\":200,\"protocol\":\"Tcp\",\"source\":\"*\",\"sources\":[\"1.2.3.4\"]}]");
  cJSON *c2 = cJSON_Duplicate(c, true);
  expect_err(c, NULL, NULL, NET "subnets[0].securityGroup.securityRules[0]",
             "Invalid value: 50: security rule priorities should be between 100 and 4096");
  expect_err(c2, NULL, NULL, NET "subnets[0].securityGroup.securityRules[1]",
             "security rule cannot have both source and sources");
}
END_TEST

START_TEST(service_and_private_endpoints) {
  cJSON *c = base();
  smt_set_json(c, NET "subnets[1].serviceEndpoints",
               "[{\"service\":\"Storage\",\"locations\":[\"westeurope\"]},{\"service\":\"Microsoft.Sql\"}]");
  cJSON *c2 = cJSON_Duplicate(c, true);
  expect_err(c, NULL, NULL, NET "subnets[1].serviceEndpoints[0].service", "doesn't match regex");
  expect_err(c2, NULL, NULL, NET "subnets[1].serviceEndpoints[1].locations", "locations are required");
  c = base();
  smt_set_json(c, NET "subnets[1].privateEndpoints",
               "[{\"name\":\"pe1\",\"privateIPAddresses\":[\"10.2.0.5\"],\"privateLinkServiceConnections\":"
               "[{\"privateLinkServiceID\":\"/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a\"}]}]");
  expect_err(c, NULL, NULL, NET "subnets[1].privateEndpoints[0].privateIPAddresses",
             "Private Endpoint IP address needs to be in subnet range ([10.1.0.0/16])");
  c = base();
  smt_set_json(c, NET "subnets[1].privateEndpoints",
               "[{\"name\":\"pe1\",\"privateLinkServiceConnections\":[{\"privateLinkServiceID\":\"not-an-id\"}]}]");
  expect_err(c, NULL, NULL, NET "subnets[1].privateEndpoints[0].privateLinkServiceConnections[0]", "doesn't match regex");
}
END_TEST

START_TEST(apiserver_lb_rules) {
  cJSON *c = base();
  smt_set_str(c, NET "apiServerLB.sku", "Basic");
  expect_err(c, NULL, NULL, NET "apiServerLB.sku", "Unsupported value: \"Basic\": supported values: \"Standard\"");
  c = base();
  smt_set_json(c, NET "apiServerLB.idleTimeoutInMinutes", "31");
  expect_err(c, NULL, NULL, NET "apiServerLB.idleTimeoutInMinutes", "should be between 4 and 30 minutes");
  c = base();
  smt_set_json(c, NET "apiServerLB.frontendIPs[0].privateIP", "\"10.0.0.100\"");
  expect_err(c, NULL, NULL, NET "apiServerLB.frontendIPs[0].privateIP", "Public Load Balancers cannot have a Private IP");
  c = base();
  smt_set_json(c, NET "apiServerLB.frontendIPs", "[]");
  expect_err(c, NULL, NULL, NET "apiServerLB.frontendIPs", "should have 1 Frontend IP");
  c = base();
  smt_set_str(c, NET "apiServerLB.name", "lb!");
  expect_err(c, NULL, NULL, NET "apiServerLB.name", "name of load balancer doesn't match regex");
  /* internal LB IP outside the control-plane subnet */
  c = smt_template_obj("cluster-template.yaml", "AzureCluster", NULL);
  smt_set_json(c, NET "apiServerLB", "{\"type\":\"Internal\",\"frontendIPs\":[{\"name\":\"f\",\"privateIP\":\"10.1.0.9\"}]}");
  expect_err(redefault(c), NULL, NULL, NET "apiServerLB.frontendIPs[0].privateIP",
             "needs to be in control plane subnet range ([10.0.0.0/16])");
  c = smt_template_obj("cluster-template.yaml", "AzureCluster", NULL);
  smt_set_json(c, NET "apiServerLB", "{\"type\":\"Internal\",\"frontendIPs\":[{\"name\":\"f\",\"publicIP\":{\"name\":\"p\"}}]}");
  expect_err(redefault(c), NULL, NULL, NET "apiServerLB.frontendIPs[0].publicIP", "Internal Load Balancers cannot have a Public IP");
}
END_TEST

START_TEST(outbound_lb_rules) {
  cJSON *c = base();
  smt_set_json(c, NET "controlPlaneOutboundLB", "{\"name\":\"x\"}");
  expect_err(c, NULL, NULL, NET "controlPlaneOutboundLB", "cannot be set for public clusters");
  /* IPv6 public cluster: node outbound LB required, at most 16 frontends */
  c = base();
  smt_set_json(c, NET "vnet.cidrBlocks", "[\"10.0.0.0/8\",\"2001:1234:5678:9a00::/56\"]");
  smt_set_json(c, NET "subnets[1].cidrBlocks", "[\"10.1.0.0/16\",\"2001:1234:5678:9abd::/64\"]");
  cJSON *c2 = cJSON_Duplicate(c, true);
  expect_err(c, NULL, NULL, NET "nodeOutboundLB", "Node outbound load balancer cannot be nil for public clusters.");
  smt_set_json(c2, NET "nodeOutboundLB", "{\"frontendIPsCount\":17}");
  expect_err(redefault(c2), NULL, NULL, NET "nodeOutboundLB.frontendIPsCount", "Max front end ips allowed is 16");
  c = base();
  smt_set_json(c, NET "apiServerLB", "{\"type\":\"Internal\"}");
  smt_set_json(c, NET "controlPlaneOutboundLB", "{\"idleTimeoutInMinutes\":2}");
  expect_err(redefault(c), NULL, NULL, NET "controlPlaneOutboundLB.idleTimeoutInMinutes", "between 4 and 30");
}
END_TEST

START_TEST(private_dns_bastion_edgezone_tags) {
  cJSON *c = base();
  smt_set_str(c, NET "privateDNSZoneName", "example.com");
  expect_err(c, NULL, NULL, NET "privateDNSZoneName", "available only if APIServerLB.Type is Internal");
  c = base();
  smt_set_str(c, NET "privateDNSZoneResourceGroup", "dns-rg");
  expect_err(c, NULL, NULL, NET "privateDNSZoneResourceGroup", "can only be used when PrivateDNSZoneName is provided");
  c = smt_template_obj("cluster-template.yaml", "AzureCluster", NULL);
  smt_set_json(c, NET "apiServerLB", "{\"type\":\"Internal\"}");
  smt_set_str(c, NET "privateDNSZoneName", "bad..zone");
  expect_err(redefault(c), NULL, NULL, NET "privateDNSZoneName", "can only contain alphanumeric characters");
  c = smt_template_obj("cluster-template.yaml", "AzureCluster", NULL);
  smt_set_json(c, NET "apiServerLB", "{\"type\":\"Internal\"}");
  smt_set_str(c, NET "privateDNSZoneName", "capz.example.com");
  expect_ok(redefault(c), NULL, NULL);

  c = base();
  smt_set_json(c, "spec.bastionSpec", "{\"azureBastion\":{\"enableTunneling\":true}}");
  expect_err(redefault(c), NULL, NULL, "spec.bastionSpec.azureBastion.sku", "sku must be Standard if tunneling is enabled");

  c = base();
  smt_set_json(c, "spec.extendedLocation", "{\"name\":\"losangeles\",\"type\":\"EdgeZone\"}");
  cJSON *c2 = cJSON_Duplicate(c, true);
  expect_err(c, NULL, NULL, "spec.extendedLocation", "can be set only if the EdgeZone feature flag is enabled");
  sm_feature_gates g = {.edge_zone = true};
  expect_ok(c2, NULL, &g);

  c = base();
  smt_set_json(c, "spec.additionalTags", "{\"bad/key\":\"v\"}");
  expect_err(c, NULL, NULL, "spec.additionalTags[bad/key]", "tag names cannot contain");
}
END_TEST

START_TEST(pod_subnet_rules) {
  cJSON *c = base();
  cJSON *arr = smt_at(c, NET "subnets");
  cJSON_AddItemToArray(arr, cJSON_Parse("{\"role\":\"pod\",\"cidrBlocks\":[\"2001:1234:5678:9abe::/64\"]}"));
  smt_set_json(c, NET "vnet.cidrBlocks", "[\"10.0.0.0/8\",\"2001:1234:5678:9a00::/56\"]");
  expect_err(redefault(c), NULL, NULL, NET "subnets[2].cidrBlocks", "pod subnets support IPv4 only");
  c = base();
  arr = smt_at(c, NET "subnets");
  cJSON_AddItemToArray(arr, cJSON_Parse("{\"role\":\"pod\",\"privateEndpoints\":[{\"name\":\"pe\",\"privateLinkServiceConnections\":"
                                        "[{\"privateLinkServiceID\":\"/subscriptions/s/resourceGroups/r/providers/A.B/c/d\"}]}]}"));
  expect_err(redefault(c), NULL, NULL, NET "subnets[2].privateEndpoints", "delegated to Microsoft.DelegatedNetwork/controller");
}
END_TEST

START_TEST(update_immutables) {
  static const struct {
    const char *path, *json, *field, *want;
  } cases[] = {
      {"spec.location", "\"northeurope\"", "spec.location", "field is immutable"},
      {"spec.resourceGroup", "\"other\"", "spec.resourceGroup", "field is immutable"},
      {"spec.subscriptionID", "\"00000000-0000-0000-0000-000000000002\"", "spec.subscriptionID", "field is immutable"},
      {"spec.azureEnvironment", "\"AzureChinaCloud\"", "spec.azureEnvironment", "field is immutable"},
      {NET "privateDNSZone", "\"None\"", NET "privateDNSZone", "field is immutable"},
      {NET "subnets[1].securityGroup.name", "\"other-nsg\"", NET "subnets[1].securityGroup.name", "field is immutable"},
      {NET "subnets[1].natGateway.name", "\"other-gw\"", NET "subnets[1].natGateway.name", "field is immutable"},
      {NET "apiServerLB.availabilityZones", "[\"1\"]", NET "apiServerLB.availabilityZones", "field is immutable"},
      {NET "apiServerLB.name", "\"new-lb\"", NET "apiServerLB.name", "should not be modified"},
      {NET "apiServerLB.idleTimeoutInMinutes", "10", NET "apiServerLB.idleTimeoutInMinutes", "cannot be modified"},
      {"spec.cloudProviderConfigOverrides", "{\"rateLimits\":[{\"name\":\"defaultRateLimit\",\"config\":{}}]}",
       "spec.cloudProviderConfigOverrides", "cannot change cloudProviderConfigOverrides"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *old = base(), *c = base();
    smt_set_json(c, cases[i].path, cases[i].json);
    expect_err(c, old, NULL, cases[i].field, cases[i].want);
  }
  /* controlPlaneEndpoint host/port only once set */
  cJSON *old = base(), *c = base();
  smt_set_json(c, "spec.controlPlaneEndpoint", "{\"host\":\"x.example.com\",\"port\":6443}");
  cJSON *old2 = cJSON_Duplicate(c, true), *c2 = cJSON_Duplicate(c, true);
  expect_ok(c, old, NULL);
  smt_set_json(c2, "spec.controlPlaneEndpoint", "{\"host\":\"y.example.com\",\"port\":443}");
  cJSON *old3 = cJSON_Duplicate(old2, true), *c3 = cJSON_Duplicate(c2, true);
  expect_err(c2, old2, NULL, "spec.controlPlaneEndpoint.host", "field is immutable");
  expect_err(c3, old3, NULL, "spec.controlPlaneEndpoint.port", "Invalid value: 443: field is immutable");
  /* bastion cannot be removed */
  old = base();
  smt_set_json(old, "spec.bastionSpec", "{\"azureBastion\":{}}");
  redefault(old);
  c = base();
  expect_err(c, old, NULL, "spec.bastionSpec.azureBastion", "azure bastion cannot be removed");
}
END_TEST

START_TEST(update_subnet_cidrs_owned_vnet) {
  cJSON *old = base(), *c = base();
  smt_set_json(c, NET "subnets[1].cidrBlocks", "[\"10.2.0.0/16\"]");
  cJSON *old2 = cJSON_Duplicate(old, true), *c2 = cJSON_Duplicate(c, true);
  /* VNet not owned by the cluster: CIDRs may follow Azure */
  expect_ok(c, old, NULL);
  smt_set_json(old2, NET "vnet.tags", "{\"sigs.k8s.io_cluster-api-provider-azure_cluster_" C "\":\"owned\"}");
  smt_set_json(c2, NET "vnet.tags", "{\"sigs.k8s.io_cluster-api-provider-azure_cluster_" C "\":\"owned\"}");
  expect_err(c2, old2, NULL, NET "subnets[1].cidrBlocks", "field is immutable");
  /* route table name may be filled in once */
  old = base();
  smt_del(old, NET "subnets[0].routeTable");
  expect_ok(base(), old, NULL);
  /* unchanged update is valid; the convenience form formats nothing */
  char msg[64] = "x";
  old = base();
  c = base();
  ck_assert_int_eq(sm_azurecluster_validate(c, old, msg, sizeof msg), 0);
  ck_assert_str_eq(msg, "");
  cJSON_Delete(old);
  cJSON_Delete(c);
}
END_TEST

Suite *smt_cluster_validate_suite(void) {
  Suite *s = suite_create("cluster_validate");
  TCase *tc = tcase_create("validate");
  tcase_add_test(tc, valid_template);
  tcase_add_test(tc, cluster_name);
  tcase_add_test(tc, identity_ref_and_location);
  tcase_add_test(tc, subnet_cidrs);
  tcase_add_test(tc, subnet_names_roles);
  tcase_add_test(tc, security_rules);
  tcase_add_test(tc, service_and_private_endpoints);
  tcase_add_test(tc, apiserver_lb_rules);
  tcase_add_test(tc, outbound_lb_rules);
  tcase_add_test(tc, private_dns_bastion_edgezone_tags);
  tcase_add_test(tc, pod_subnet_rules);
  tcase_add_test(tc, update_immutables);
  tcase_add_test(tc, update_subnet_cidrs_owned_vnet);
  suite_add_tcase(s, tc);
  return s;
}
