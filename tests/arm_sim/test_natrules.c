/* test_natrules.c — loadBalancers/inboundNatRules in capz-arm-sim: the child resource and the LB's embedded list
 * kept consistent (PUT/GET/list/DELETE of the child, an LB PUT with and without the list), frontend and port
 * checks, the NIC reference rendered as the rule's backendIPConfiguration, InUse refusals, NRP LRO behaviour. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "armtest.h"

#define RG AT_S "/resourceGroups/nat-rg"
#define NET RG "/providers/Microsoft.Network"
#define LB NET "/loadBalancers/lb"
#define V "?api-version=2024-05-01"
#define FE "\"frontendIPConfiguration\":{\"id\":\"" LB "/frontendIPConfigurations/fe\"}"

static simproc sim;

static const char *LB_BODY =
    "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{"
    "\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET
    "/publicIPAddresses/pip\"}}}],\"backendAddressPools\":[{\"name\":\"be\"}]}}";

static void setup(void) {
  ck_assert_int_eq(at_start(&sim, "lro: {defaultSeconds: 0}\nthrottling: {enabled: false}\n"), 0);
  ck_assert_int_eq(at_put_wait(&sim, RG "?api-version=2021-04-01", "{\"location\":\"eastus\"}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/publicIPAddresses/pip" V,
                               "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},"
                               "\"properties\":{\"publicIPAllocationMethod\":\"Static\"}}"), 200);
  ck_assert_int_eq(at_put_wait(&sim, LB V, LB_BODY), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/virtualNetworks/v" V,
                               "{\"location\":\"eastus\",\"properties\":{\"addressSpace\":{\"addressPrefixes\":[\"10.0.0.0/16\"]},"
                               "\"subnets\":[{\"name\":\"cp\",\"properties\":{\"addressPrefix\":\"10.0.0.0/24\"}}]}}"), 200);
}
static void teardown(void) { ck_assert(at_stop(&sim)); }

static char *rule_body(int port) {
  static char b[512];
  snprintf(b, sizeof b, "{\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":%d,\"backendPort\":22}}", port);
  return b;
}

static int array_len(const at_resp *r, const char *member) {
  return cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r->json, "properties"), member));
}

START_TEST(child_put_get_list_and_embedded) {
  /* an NRP child PUT: 201 + Azure-AsyncOperation, the LB busy (Updating) until the operation ends */
  at_resp r = at_put(&sim, LB "/inboundNatRules/ssh0" V, rule_body(22));
  ck_assert_int_eq(r.status, 201);
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Updating");
  ck_assert_str_eq(at_str(&r, "/type"), "Microsoft.Network/loadBalancers/inboundNatRules");
  char aao[2048];
  ck_assert(at_header(&r, "Azure-AsyncOperation", aao, sizeof aao));
  at_free(&r);
  ck_assert_str_eq(at_wait_async(&sim, aao), "Succeeded");
  r = at_get(&sim, LB "/inboundNatRules/ssh0" V);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/id"), LB "/inboundNatRules/ssh0");
  ck_assert_str_eq(at_str(&r, "/properties/provisioningState"), "Succeeded");
  ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "idleTimeoutInMinutes")->valuedouble, 4);
  ck_assert(strncmp(at_str(&r, "/etag"), "W/\"", 3) == 0);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, LB "/inboundNatRules/ssh1" V, rule_body(2201)), 200);
  /* the LB embeds both, and its frontend lists them */
  r = at_get(&sim, LB V);
  ck_assert_int_eq(array_len(&r, "inboundNatRules"), 2);
  ck_assert_str_eq(at_str(&r, "/properties/inboundNatRules/1/name"), "ssh1");
  const cJSON *emb = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "inboundNatRules"), 1);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(emb, "properties"), "frontendPort")->valueint, 2201);
  ck_assert_str_eq(at_str(&r, "/properties/inboundNatRules/1/type"), "Microsoft.Network/loadBalancers/inboundNatRules");
  ck_assert_str_eq(at_str(&r, "/properties/frontendIPConfigurations/0/properties/inboundNatRules/0/id"),
                   LB "/inboundNatRules/ssh0");
  at_free(&r);
  r = at_get(&sim, LB "/inboundNatRules" V);
  ck_assert_int_eq(r.status, 200);
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "value")), 2);
  at_free(&r);
  /* an LB PUT with an embedded rule creates the child; a PUT without the list removes unreferenced ones */
  char body[2048];
  snprintf(body, sizeof body,
           "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{"
           "\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET
           "/publicIPAddresses/pip\"}}}],\"backendAddressPools\":[{\"name\":\"be\"}],"
           "\"inboundNatRules\":[{\"name\":\"ssh0\",\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":22,"
           "\"backendPort\":22}},{\"name\":\"rdp\",\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":3389,"
           "\"backendPort\":3389}}]}}");
  ck_assert_int_eq(at_put_wait(&sim, LB V, body), 200);
  ck_assert_int_eq(at_get_status(&sim, LB "/inboundNatRules/rdp" V), 200);
  r = at_get(&sim, LB "/inboundNatRules/ssh1" V);
  ck_assert_int_eq(r.status, 404); /* left out of the LB body: gone */
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, LB V, LB_BODY), 200);
  r = at_get(&sim, LB V);
  ck_assert_int_eq(array_len(&r, "inboundNatRules"), 0);
  at_free(&r);
  /* DELETE of a child: 202 NRP style; a missing one 204 */
  ck_assert_int_eq(at_put_wait(&sim, LB "/inboundNatRules/x" V, rule_body(50000)), 200);
  ck_assert_int_eq(at_del_status(&sim, LB "/inboundNatRules/x" V), 202);
  ck_assert_int_eq(at_get_status(&sim, LB "/inboundNatRules/x" V), 404);
  ck_assert_int_eq(at_del_status(&sim, LB "/inboundNatRules/x" V), 204);
}
END_TEST

START_TEST(frontend_and_port_checks) {
  ck_assert_int_eq(at_put_wait(&sim, LB "/inboundNatRules/a" V, rule_body(22)), 200);
  /* the same port, frontend and protocol as another rule */
  ck_assert_str_eq(at_status_error(&sim, "PUT", LB "/inboundNatRules/b" V, rule_body(22)), "400 RulesUseSameFrontendIpConfigurationAndPort");
  /* UDP on the same port is another listener; "All" overlaps both */
  ck_assert_int_eq(at_put_wait(&sim, LB "/inboundNatRules/u" V,
                               "{\"properties\":{" FE ",\"protocol\":\"Udp\",\"frontendPort\":22,\"backendPort\":22}}"), 200);
  ck_assert_str_eq(at_put_error(&sim, LB "/inboundNatRules/all" V,
             "{\"properties\":{" FE ",\"protocol\":\"All\",\"frontendPort\":22,\"backendPort\":22}}"), "RulesUseSameFrontendIpConfigurationAndPort");
  /* a re-PUT of a rule with its own port is no conflict with itself */
  ck_assert_int_eq(at_put_wait(&sim, LB "/inboundNatRules/a" V, rule_body(22)), 200);
  /* a duplicate inside one LB body */
  char body[2048];
  snprintf(body, sizeof body,
           "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard\"},\"properties\":{"
           "\"frontendIPConfigurations\":[{\"name\":\"fe\",\"properties\":{\"publicIPAddress\":{\"id\":\"" NET
           "/publicIPAddresses/pip\"}}}],\"inboundNatRules\":["
           "{\"name\":\"p\",\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":80,\"backendPort\":80}},"
           "{\"name\":\"q\",\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":80,\"backendPort\":81}}]}}");
  ck_assert_str_eq(at_put_error(&sim, LB V, body), "RulesUseSameFrontendIpConfigurationAndPort");
  /* a frontend the LB does not have; another LB's frontend */
  ck_assert_str_eq(at_status_error(&sim, "PUT", LB "/inboundNatRules/c" V,
             "{\"properties\":{\"frontendIPConfiguration\":{\"id\":\"" LB "/frontendIPConfigurations/nope\"},"
             "\"protocol\":\"Tcp\",\"frontendPort\":2222,\"backendPort\":22}}"), "400 InvalidResourceReference");
  ck_assert_str_eq(at_put_error(&sim, LB "/inboundNatRules/c" V,
             "{\"properties\":{\"frontendIPConfiguration\":{\"id\":\"" NET "/loadBalancers/other/frontendIPConfigurations/fe\"},"
             "\"protocol\":\"Tcp\",\"frontendPort\":2222,\"backendPort\":22}}"), "InvalidResourceReference");
  /* ports and protocol */
  ck_assert_str_eq(at_put_error(&sim, LB "/inboundNatRules/c" V, "{\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":0,\"backendPort\":22}}"), "InvalidParameter");
  ck_assert_str_eq(at_put_error(&sim, LB "/inboundNatRules/c" V, "{\"properties\":{" FE ",\"protocol\":\"Tcp\",\"frontendPort\":2222}}"), "InvalidParameter");
  ck_assert_str_eq(at_put_error(&sim, LB "/inboundNatRules/c" V, "{\"properties\":{" FE ",\"protocol\":\"Icmp\",\"frontendPort\":2222,\"backendPort\":22}}"), "InvalidParameter");
  /* under a missing LB */
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/loadBalancers/none/inboundNatRules/c" V, rule_body(22)), "404 ParentResourceNotFound");
}
END_TEST

static const char *nic_body(bool with_rule) {
  static char b[2048];
  snprintf(b, sizeof b,
           "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ipc\",\"properties\":{"
           "\"subnet\":{\"id\":\"" NET "/virtualNetworks/v/subnets/cp\"}%s}}]}}",
           with_rule ? ",\"loadBalancerInboundNatRules\":[{\"id\":\"" LB "/inboundNatRules/ssh\"}]" : "");
  return b;
}

START_TEST(nic_reference_and_in_use) {
  /* a NIC cannot reference a rule that does not exist yet */
  at_resp r;
  ck_assert_str_eq(at_status_error(&sim, "PUT", NET "/networkInterfaces/n1" V, nic_body(true)), "400 InvalidResourceReference");
  ck_assert_int_eq(at_put_wait(&sim, LB "/inboundNatRules/ssh" V, rule_body(22)), 200);
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n1" V, nic_body(true)), 200);
  /* the rule shows its backend IP configuration (read-only), in the child and in the LB body */
  ck_assert_str_eq(at_get_str(&sim, LB "/inboundNatRules/ssh" V, "/properties/backendIPConfiguration/id"), NET "/networkInterfaces/n1/ipConfigurations/ipc");
  r = at_get(&sim, LB V);
  ck_assert_str_eq(at_str(&r, "/properties/inboundNatRules/0/properties/backendIPConfiguration/id"),
                   NET "/networkInterfaces/n1/ipConfigurations/ipc");
  /* a client re-sending the LB as read (keeping its rules, read-only fields included) changes nothing */
  char *lb_again = cJSON_PrintUnformatted(r.json);
  at_free(&r);
  ck_assert_int_eq(at_put_wait(&sim, LB V, lb_again), 200);
  cJSON_free(lb_again);
  r = at_get(&sim, LB "/inboundNatRules/ssh" V);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(at_str(&r, "/properties/backendIPConfiguration/id"), NET "/networkInterfaces/n1/ipConfigurations/ipc");
  at_free(&r);
  /* in use: no DELETE, no LB PUT without it, no LB delete */
  ck_assert_str_eq(at_status_error(&sim, "DELETE", LB "/inboundNatRules/ssh" V, NULL), "400 InUseInboundNatRuleCannotBeDeleted");
  ck_assert_str_eq(at_status_error(&sim, "PUT", LB V, LB_BODY), "400 InUseInboundNatRuleCannotBeDeleted");
  ck_assert_int_eq(at_get_status(&sim, LB "/inboundNatRules/ssh" V), 200);
  ck_assert_int_eq(at_del_status(&sim, LB V), 400);
  /* once the NIC lets go, the rule can go */
  ck_assert_int_eq(at_put_wait(&sim, NET "/networkInterfaces/n1" V, nic_body(false)), 200);
  r = at_get(&sim, LB "/inboundNatRules/ssh" V);
  ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "properties"), "backendIPConfiguration"));
  at_free(&r);
  ck_assert_int_eq(at_del_status(&sim, LB "/inboundNatRules/ssh" V), 202);
  ck_assert_int_eq(at_get_status(&sim, LB "/inboundNatRules/ssh" V), 404);
}
END_TEST

START_TEST(nrp_serialises_rule_writes) {
  /* slow LROs: a second child PUT while the first holds the LB is refused, as NRP does */
  ck_assert_int_eq(at_sim_status(&sim, "POST", "/_sim/config", "{\"lro\":{\"defaultSeconds\":5}}"), 204);
  ck_assert_int_eq(at_put_status(&sim, LB "/inboundNatRules/one" V, rule_body(22)), 201);
  ck_assert_str_eq(at_status_error(&sim, "PUT", LB "/inboundNatRules/two" V, rule_body(2201)), "409 AnotherOperationInProgress");
  ck_assert_str_eq(at_get_str(&sim, LB V, "/properties/inboundNatRules/0/properties/provisioningState"), "Updating");
}
END_TEST

Suite *suite(void) {
  Suite *s = suite_create("arm_sim_natrules");
  TCase *tc = tcase_create("natrules");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, child_put_get_list_and_embedded);
  tcase_add_test(tc, frontend_and_port_checks);
  tcase_add_test(tc, nic_reference_and_in_use);
  tcase_add_test(tc, nrp_serialises_rule_writes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return ckrun(suite()); }
