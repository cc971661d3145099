/* test_names.c — Azure names, FNV/FQDN, naming rules, CIDR parsing, field error formatting. */
#include <stdio.h>
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

START_TEST(cluster_names) {
  static const struct {
    sm_name_kind kind;
    const char *base, *want;
  } cases[] = {
      {SM_NAME_VNET, "c1", "c1-vnet"},
      {SM_NAME_CONTROLPLANE_SUBNET, "c1", "c1-controlplane-subnet"},
      {SM_NAME_NODE_SUBNET, "c1", "c1-node-subnet"},
      {SM_NAME_CLUSTER_SUBNET, "c1", "c1-subnet"},
      {SM_NAME_POD_SUBNET, "c1", "c1-pod-subnet"},
      {SM_NAME_CONTROLPLANE_NSG, "c1", "c1-controlplane-nsg"},
      {SM_NAME_NODE_NSG, "c1", "c1-node-nsg"},
      {SM_NAME_CLUSTER_NSG, "c1", "c1-nsg"},
      {SM_NAME_NODE_ROUTETABLE, "c1", "c1-node-routetable"},
      {SM_NAME_CLUSTER_ROUTETABLE, "c1", "c1-routetable"},
      {SM_NAME_NODE_NATGW, "c1", "c1-node-natgw"},
      {SM_NAME_CLUSTER_NATGW, "c1", "c1-natgw"},
      {SM_NAME_PUBLIC_LB, "c1", "c1-public-lb"},
      {SM_NAME_INTERNAL_LB, "c1", "c1-internal-lb"},
      {SM_NAME_NODE_OUTBOUND_LB, "c1", "c1"},
      {SM_NAME_CONTROLPLANE_OUTBOUND_LB, "c1", "c1-outbound-lb"},
      {SM_NAME_APISERVER_PIP, "c1", "pip-c1-apiserver"},
      {SM_NAME_NODE_OUTBOUND_PIP, "c1", "pip-c1-node-outbound"},
      {SM_NAME_CONTROLPLANE_OUTBOUND_PIP, "c1", "pip-c1-controlplane-outbound"},
      {SM_NAME_BASTION, "c1", "c1-azure-bastion"},
      {SM_NAME_BASTION_PIP, "c1", "c1-azure-bastion-pip"},
      {SM_NAME_PRIVATE_DNS_ZONE, "c1", "c1.capz.io"},
      {SM_NAME_OWNED_TAG_KEY, "c1", "sigs.k8s.io_cluster-api-provider-azure_cluster_c1"},
      {SM_NAME_CLOUD_PROVIDER_TAG_KEY, "c1", "kubernetes.io_cluster_c1"},
      {SM_NAME_LB_FRONTEND, "lb", "lb-frontEnd"},
      {SM_NAME_LB_FRONTEND_INTERNAL, "lb", "lb-frontEnd-internal-ip"},
      {SM_NAME_LB_BACKEND_POOL, "lb", "lb-backendPool"},
      {SM_NAME_LB_OUTBOUND_POOL, "lb", "lb-outboundBackendPool"},
      {SM_NAME_LB_INTERNAL_API, "lb", "lb-internal"},
      {SM_NAME_NATGW_PIP, "gw", "pip-gw"},
      {SM_NAME_VM_PUBLIC_IP, "vm", "pip-vm"},
      {SM_NAME_VM_OS_DISK, "vm", "vm_OSDisk"},
      {SM_NAME_VNET_LINK, "v", "v-link"},
      {SM_NAME_PRIVATE_FQDN, "c1.capz.io", "apiserver.c1.capz.io"},
  };
  char buf[128];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_assert_int_eq(sm_name(cases[i].kind, cases[i].base, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, cases[i].want);
  }
  ck_assert_int_ne(sm_name(SM_NAME_VNET, "", buf, sizeof buf), 0);
  ck_assert_int_ne(sm_name(SM_NAME_VNET, "abcdef", buf, 5), 0);
  ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(machine_names) {
  char buf[128];
  ck_assert_int_eq(sm_name_nic("vm", false, 0, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "vm-nic");
  ck_assert_int_eq(sm_name_nic("vm", true, 2, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "vm-nic-2");
  ck_assert_int_eq(sm_name_data_disk("vm", "etcddisk", buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "vm_etcddisk");
  ck_assert_int_eq(sm_name_vnet_peering("a", "b", buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "a-To-b");
  ck_assert_int_eq(sm_name_availability_set("c", "control-plane", buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "c_control-plane-as");
  ck_assert_int_eq(sm_name_indexed("c-node-natgw", 3, buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "c-node-natgw-3");
}
END_TEST

START_TEST(fnv_and_fqdn) {
  /* FNV-1a reference vectors. */
  ck_assert_uint_eq(sm_fnv32a(""), 0x811c9dc5u);
  ck_assert_uint_eq(sm_fnv32a("a"), 0xe40c292cu);
  ck_assert_uint_eq(sm_fnv32a("foobar"), 0xbf9cf968u);
  char buf[256], want[256];
  ck_assert_int_eq(sm_apiserver_fqdn("My-C", "sub", "rg", "pip-x", "WestEurope", NULL, buf, sizeof buf), 0);
  snprintf(want, sizeof want, "my-c-%x.westeurope.cloudapp.azure.com", sm_fnv32a("sub/rg/pip-x"));
  ck_assert_str_eq(buf, want);
  ck_assert_int_eq(sm_apiserver_fqdn("c", "s", "r", "p", "chinaeast", "AzureChinaCloud", buf, sizeof buf), 0);
  ck_assert_ptr_nonnull(strstr(buf, ".chinaeast.cloudapp.chinacloudapi.cn"));
  ck_assert_int_ne(sm_apiserver_fqdn("c", "s", "r", "p", "x", "MarsCloud", buf, sizeof buf), 0);
}
END_TEST

START_TEST(azure_name_rules) {
  ck_assert_ptr_null(sm_azure_name_problem(SM_RES_SUBNET, "node-subnet_1"));
  ck_assert_ptr_nonnull(sm_azure_name_problem(SM_RES_SUBNET, "-node"));
  ck_assert_ptr_nonnull(sm_azure_name_problem(SM_RES_SUBNET, "node."));
  ck_assert_ptr_nonnull(sm_azure_name_problem(SM_RES_SUBNET, "a b"));
  ck_assert_ptr_nonnull(sm_azure_name_problem(SM_RES_VNET, "a"));
  char long81[82];
  memset(long81, 'a', 81);
  long81[81] = '\0';
  ck_assert_ptr_nonnull(sm_azure_name_problem(SM_RES_NSG, long81));
  long81[80] = '\0';
  ck_assert_ptr_null(sm_azure_name_problem(SM_RES_NSG, long81));
  ck_assert_ptr_null(sm_azure_name_problem(SM_RES_RESOURCE_GROUP, "my_rg(1)"));
  ck_assert_ptr_nonnull(sm_azure_name_problem(SM_RES_RESOURCE_GROUP, "rg."));
}
END_TEST

START_TEST(cidr_parse) {
  sm_cidr a, b, ip;
  ck_assert(sm_cidr_parse("10.0.0.0/8", &a));
  ck_assert_int_eq(a.family, 4);
  ck_assert_int_eq(a.prefix, 8);
  ck_assert(sm_cidr_parse("10.1.2.3/16", &b)); /* host bits are masked like Go */
  ck_assert_int_eq(b.addr[2], 0);
  ck_assert(sm_cidr_contains(&a, &b));
  ck_assert(!sm_cidr_parse("10.0.0.0", NULL));
  ck_assert(!sm_cidr_parse("10.0.0.0/33", NULL));
  ck_assert(!sm_cidr_parse("10.0.0/8", NULL));
  ck_assert(!sm_cidr_parse("010.0.0.0/8", NULL));
  ck_assert(!sm_cidr_parse("10.0.0.0/-1", NULL));
  ck_assert(sm_cidr_parse("2001:1234:5678:9a00::/56", &a));
  ck_assert_int_eq(a.family, 6);
  ck_assert(sm_cidr_parse("2001:1234:5678:9a40::/64", &b));
  ck_assert(sm_cidr_overlaps(&a, &b));
  ck_assert(sm_ip_parse("2001:1234:5678:9a01::1", &ip));
  ck_assert(sm_cidr_contains(&a, &ip));
  ck_assert(sm_cidr_parse("10.0.0.0/16", &a) && sm_cidr_parse("10.1.0.0/16", &b));
  ck_assert(!sm_cidr_overlaps(&a, &b));
  ck_assert(sm_ip_parse("10.0.0.100", &ip));
  ck_assert(sm_cidr_contains(&a, &ip) && !sm_cidr_contains(&b, &ip));
  ck_assert(!sm_ip_parse("10.0.0.256", NULL));
}
END_TEST

START_TEST(error_format) {
  sm_errors errs;
  sm_errors_init(&errs);
  /* Formatting follows k8s field.Error: value quoted, detail appended. */
  cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"c\"},\"spec\":{\"location\":\"x\"}}");
  ck_assert_int_gt(sm_azurecluster_validate_errs(obj, NULL, NULL, &errs), 0);
  const sm_field_error *fe = sm_errors_find(&errs, "spec.identityRef");
  ck_assert_ptr_nonnull(fe);
  char buf[512];
  sm_field_error_format(fe, buf, sizeof buf);
  ck_assert_str_eq(buf, "spec.identityRef: Required value: identityRef is required");
  ck_assert_str_eq(sm_errtype_reason(fe->type), "FieldValueRequired");
  fe = sm_errors_find(&errs, "metadata.name");
  ck_assert_ptr_nonnull(fe);
  sm_field_error_format(fe, buf, sizeof buf);
  ck_assert(strncmp(buf, "metadata.name: Invalid value: \"c\": Cluster Name doesn't match regex", 65) == 0);
  size_t need = sm_errors_format(&errs, "AzureCluster", "c", buf, sizeof buf);
  ck_assert_uint_gt(need, 0);
  ck_assert(strncmp(buf, "AzureCluster.infrastructure.cluster.x-k8s.io \"c\" is invalid: [", 62) == 0);
  /* Truncation is safe and reports the needed length. */
  char small[16];
  ck_assert_uint_eq(sm_errors_format(&errs, "AzureCluster", "c", small, sizeof small), need);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);
  sm_errors_free(&errs);
  cJSON_Delete(obj);
}
END_TEST

Suite *smt_names_suite(void) {
  Suite *s = suite_create("names");
  TCase *tc = tcase_create("names");
  tcase_add_test(tc, cluster_names);
  tcase_add_test(tc, machine_names);
  tcase_add_test(tc, fnv_and_fqdn);
  tcase_add_test(tc, azure_name_rules);
  tcase_add_test(tc, cidr_parse);
  tcase_add_test(tc, error_format);
  suite_add_tcase(s, tc);
  return s;
}
