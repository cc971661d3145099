/* test_machine_e2e.c — AzureMachine / AzureMachineTemplate on the real path (CR → controller runtime →
 * selfmanaged.so → SDK → HTTP → capz-kube-sim + capz-arm-sim): control planes' SSH inbound NAT rules, the
 * system-assigned identity's role assignment, VM extensions and the bootstrap check, user-assigned identities,
 * spot VMs, the exact bootstrap data a VM got, the <name>-azure-json Secrets, template capacity, steady state and
 * deletion. Each case asserts the ARM inventory and request bodies, CR status, conditions and events. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "capz/conditions.h"
#include "capz/controller_util.h"
#include "capz/json.h"
#include "machine_fixtures.h"

static void setup(void) { env_start(); }
static void teardown(void) { env_stop(); }

#define CONTRIBUTOR "b24988ac-6180-42a0-ab88-20f7382dd24c"

static const cJSON *nat_rule(const cJSON *lb, const char *name) {
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(lb, "/properties/inboundNatRules"))
    if (!strcasecmp(capz_json_ptr_str(r, "/name", ""), name)) return r;
  return NULL;
}

/* Index in the request log of the first request with method whose path contains fragment, or INT32_MAX. */
static int req_index(const cJSON *log, const char *method, const char *fragment) {
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    if (!strcmp(capz_json_ptr_str(e, "/method", ""), method) && strcasestr(capz_json_ptr_str(e, "/path", ""), fragment))
      return i;
    i++;
  }
  return INT32_MAX;
}

static bool is_guid(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i])) return false;
  }
  return true;
}

/* The role assignments whose principal is principal (a new array of borrowed items is not needed: count + last). */
static int role_assignments_of(const char *principal, cJSON **last_copy) {
  cJSON *all = arm_resources("Microsoft.Authorization/roleAssignments");
  int n = 0;
  const cJSON *ra;
  cJSON_ArrayForEach(ra, all)
    if (!strcmp(capz_json_ptr_str(ra, "/properties/principalId", ""), principal)) {
      n++;
      if (last_copy) {
        cJSON_Delete(*last_copy);
        *last_copy = cJSON_Duplicate(ra, 1);
      }
    }
  cJSON_Delete(all);
  return n;
}

/* ---------------------------------------------------------------- control planes */
START_TEST(control_planes_nat_role_extensions) {
  mk_identity_sp();
  mk_cluster_ready("c1");
  /* cp-a: SystemAssigned identity, a user extension with protected settings, the bootstrap check enabled */
  mk_bootstrap("cp-a", "c1", "#cloud-config\nruncmd: [echo, cp-a]\n");
  arm_clear_requests();
  int64_t t0 = now_ms();
  mk_machine("cp-a", "c1", true, "",
             "{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"identity\":\"SystemAssigned\",\"disableVMBootstrapExtension\":false,"
             "\"vmExtensions\":[{\"name\":\"CustomScript\",\"publisher\":\"Microsoft.Azure.Extensions\","
             "\"version\":\"2.1\",\"settings\":{\"fileUris\":\"https://example.invalid/x.sh\"},"
             "\"protectedSettings\":{\"commandToExecute\":\"echo pr0tected-v4lue\"}}]}");
  expect_machine_ready("cp-a", 60000);
  cJSON *log = arm_requests();
  int create_total = arm_count(log, NULL), create_puts = arm_count(log, "PUT");
  fprintf(stderr, "control plane cp-a ready after %.1fs: %d ARM requests (%d PUT, %d GET, %d DELETE)\n",
          (double)(now_ms() - t0) / 1000.0, create_total, create_puts, arm_count(log, "GET"), arm_count(log, "DELETE"));
  /* PUTs: the SSH NAT rule (a child resource of the LB: the LB itself is not written), NIC, VM, role assignment,
   * 2 extensions */
  ck_assert_int_eq(create_puts, 6);
  ck_assert_ptr_nonnull(req_find(log, "PUT", "/loadBalancers/c1-public-lb/inboundNatRules/cp-a"));
  ck_assert_int_eq(req_count(log, "PUT", "/loadBalancers/c1-public-lb?"), 0);
  /* CAPZ's order: the rule exists before the NIC refers to it */
  ck_assert_int_lt(req_index(log, "PUT", "/inboundNatRules/cp-a"), req_index(log, "PUT", "/networkInterfaces/cp-a-nic"));
  const cJSON *ext_put = req_find(log, "PUT", "/virtualMachines/cp-a/extensions/CustomScript");
  ck_assert_ptr_nonnull(ext_put);
  char *ext_body = cJSON_PrintUnformatted(cJSON_GetObjectItem(ext_put, "body"));
  ck_assert_msg(strstr(ext_body, "pr0tected-v4lue") == NULL, "protected settings in the request log: %s", ext_body);
  free(ext_body);
  cJSON_Delete(log);

  /* a second control plane on Arm64: the next free SSH port, bootstrap extension 1.1 */
  mk_bootstrap("cp-b", "c1", "#cloud-config\nruncmd: [echo, cp-b]\n");
  mk_machine("cp-b", "c1", true, "",
             "{\"vmSize\":\"Standard_D2ps_v5\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"disableVMBootstrapExtension\":false}");
  expect_machine_ready("cp-b", 60000);

  /* --- the API server LB: one SSH rule per control plane, 22 then 2201, on the first frontend */
  cJSON *all = arm_resources(NULL);
  cJSON *lb = arm_find(all, "/loadBalancers/c1-public-lb");
  ck_assert_ptr_nonnull(lb);
  const cJSON *ra_ = nat_rule(lb, "cp-a"), *rb = nat_rule(lb, "cp-b");
  ck_assert_msg(ra_ && rb, "NAT rules missing: %s", cJSON_PrintUnformatted(capz_json_ptr_get(lb, "/properties/inboundNatRules")));
  ck_assert_int_eq(capz_json_ptr_int(ra_, "/properties/frontendPort", 0), 22);
  ck_assert_int_eq(capz_json_ptr_int(rb, "/properties/frontendPort", 0), 2201);
  ck_assert_int_eq(capz_json_ptr_int(ra_, "/properties/backendPort", 0), 22);
  ck_assert_str_eq(capz_json_ptr_str(ra_, "/properties/protocol", ""), "Tcp");
  ck_assert_int_eq(capz_json_ptr_int(ra_, "/properties/idleTimeoutInMinutes", 0), 4);
  ck_assert_str_eq(capz_json_ptr_str(ra_, "/properties/frontendIPConfiguration/id", "a"),
                   capz_json_ptr_str(lb, "/properties/frontendIPConfigurations/0/id", "b"));
  /* the cluster's own LB rules are still there */
  ck_assert_str_eq(capz_json_ptr_str(lb, "/properties/loadBalancingRules/0/name", ""), "LBRuleHTTPS");
  cJSON *nic = arm_find(all, "/networkInterfaces/cp-a-nic");
  ck_assert_ptr_nonnull(nic);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(nic, "/properties/ipConfigurations/0/properties/loadBalancerInboundNatRules/0/id", ""),
                                   "/loadBalancers/c1-public-lb/inboundNatRules/cp-a"));

  /* --- role assignment: the VM's principal, Contributor, on the subscription */
  cJSON *vm = arm_find(all, "/virtualMachines/cp-a");
  ck_assert_ptr_nonnull(vm);
  ck_assert_str_eq(capz_json_ptr_str(vm, "/identity/type", ""), "SystemAssigned");
  char principal[64];
  snprintf(principal, sizeof principal, "%s", capz_json_ptr_str(vm, "/identity/principalId", ""));
  ck_assert(*principal);
  cJSON *ra = NULL;
  ck_assert_int_eq(role_assignments_of(principal, &ra), 1);
  ck_assert_ptr_nonnull(strstr(capz_json_ptr_str(ra, "/properties/roleDefinitionId", ""), "/roleDefinitions/" CONTRIBUTOR));
  ck_assert_str_eq(capz_json_ptr_str(ra, "/properties/scope", ""), "/subscriptions/" E2E_SUB);
  ck_assert(is_guid(capz_json_ptr_str(ra, "/name", "")));
  char ra_name[64];
  snprintf(ra_name, sizeof ra_name, "%s", capz_json_ptr_str(ra, "/name", ""));
  cJSON_Delete(ra);

  /* --- extensions: the user's one (settings as given) and the bootstrap check */
  cJSON *cs = arm_find(all, "/virtualMachines/cp-a/extensions/CustomScript");
  ck_assert_ptr_nonnull(cs);
  ck_assert_str_eq(capz_json_ptr_str(cs, "/properties/publisher", ""), "Microsoft.Azure.Extensions");
  ck_assert_str_eq(capz_json_ptr_str(cs, "/properties/typeHandlerVersion", ""), "2.1");
  ck_assert_str_eq(capz_json_ptr_str(cs, "/properties/settings/fileUris", ""), "https://example.invalid/x.sh");
  ck_assert_ptr_null(capz_json_ptr_get(cs, "/properties/protectedSettings")); /* write-only */
  cJSON *boot = arm_find(all, "/virtualMachines/cp-a/extensions/CAPZ.Linux.Bootstrapping");
  ck_assert_ptr_nonnull(boot);
  ck_assert_str_eq(capz_json_ptr_str(boot, "/properties/publisher", ""), "Microsoft.Azure.ContainerUpstream");
  ck_assert_str_eq(capz_json_ptr_str(boot, "/properties/typeHandlerVersion", ""), "1.0");
  cJSON *bootb = arm_find(all, "/virtualMachines/cp-b/extensions/CAPZ.Linux.Bootstrapping");
  ck_assert_ptr_nonnull(bootb);
  ck_assert_str_eq(capz_json_ptr_str(bootb, "/properties/typeHandlerVersion", ""), "1.1");
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/cp-b/extensions/CustomScript"));
  cJSON_Delete(all);

  /* --- conditions and the azure-json Secret */
  cJSON *am = k_get(&GVK_AM, "cp-a");
  ck_assert(capz_cond_is_true(am, "BootstrapSucceeded"));
  ck_assert(capz_cond_is_true(am, "InboundNATRulesReady"));
  ck_assert(capz_cond_is_true(am, "RoleAssignmentReady"));
  ck_assert(capz_cond_is_true(am, "NetworkInterfacesReady"));
  ck_assert(capz_cond_is_true(am, "Ready"));
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/vmState", ""), "Succeeded");
  const char *am_uid = capz_json_ptr_str(am, "/metadata/uid", "");
  cJSON *sec = k_get(&GVK_SECRET, "cp-a-azure-json");
  ck_assert_ptr_nonnull(sec);
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/labels/c1", ""), "owned");
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/ownerReferences/0/kind", ""), "AzureMachine");
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/ownerReferences/0/uid", ""), am_uid);
  ck_assert(capz_json_ptr_bool(sec, "/metadata/ownerReferences/0/controller", false));
  char *cp = secret_data(sec, "control-plane-azure.json"), *wk = secret_data(sec, "worker-node-azure.json"),
       *aj = secret_data(sec, "azure.json");
  ck_assert(cp && wk && aj);
  ck_assert_str_eq(cp, aj);
  cJSON *cfg = cJSON_Parse(cp);
  ck_assert_ptr_nonnull(cfg);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/cloud", ""), "AzurePublicCloud");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/tenantId", ""), E2E_TENANT);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/subscriptionId", ""), E2E_SUB);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/resourceGroup", ""), "c1-rg");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/vnetName", ""), "c1-vnet");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/subnetName", ""), "c1-node-subnet");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/securityGroupName", ""), "c1-node-nsg");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/routeTableName", ""), "c1-node-routetable");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/vmType", ""), "vmss");
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/loadBalancerSku", ""), "Standard");
  ck_assert_int_eq(capz_json_ptr_int(cfg, "/maximumLoadBalancerRuleCount", 0), 250);
  ck_assert(capz_json_ptr_bool(cfg, "/useManagedIdentityExtension", false)); /* SystemAssigned VM identity */
  ck_assert(capz_json_ptr_bool(cfg, "/useInstanceMetadata", false));
  ck_assert_ptr_null(capz_json_ptr_get(cfg, "/aadClientSecret"));
  ck_assert_ptr_null(capz_json_ptr_get(cfg, "/aadClientId"));
  cJSON_Delete(cfg);
  free(cp);
  free(wk);
  free(aj);
  char rv[64];
  snprintf(rv, sizeof rv, "%s", capz_json_ptr_str(sec, "/metadata/resourceVersion", ""));
  cJSON_Delete(sec);
  cJSON_Delete(am);

  /* --- steady state: a poke costs no ARM request at all (the VM is read once per drift interval, not per
   * reconcile), the Secret is not rewritten */
  arm_clear_requests();
  k_patch(&GVK_AM, "cp-a", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"1\"}}}");
  sleep(2);
  log = arm_requests();
  /* (cp-b may still be settling: count cp-a's requests; no write at all by anyone) */
  int steady = req_count(log, NULL, "/cp-a"), steady_writes = arm_count(log, NULL) - arm_count(log, "GET");
  fprintf(stderr, "cp-a steady state: %d ARM requests, %d writes\n", steady, steady_writes);
  ck_assert_int_eq(steady_writes, 0);
  ck_assert_int_eq(steady, 0);
  cJSON_Delete(log);
  sec = k_get(&GVK_SECRET, "cp-a-azure-json");
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/resourceVersion", ""), rv);
  cJSON_Delete(sec);

  /* --- a restarted controller names the same role assignment (no second one, no write) */
  int64_t until;
  arm_clear_requests();
  env_restart_controllers();
  k_patch(&GVK_AM, "cp-a", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"2\"}}}");
  sleep(3);
  log = arm_requests();
  fprintf(stderr, "cp-a after a restart: %d ARM requests, %d writes\n", arm_count(log, NULL),
          arm_count(log, NULL) - arm_count(log, "GET"));
  ck_assert_int_eq(arm_count(log, NULL) - arm_count(log, "GET"), 0);
  cJSON_Delete(log);
  ra = NULL;
  ck_assert_int_eq(role_assignments_of(principal, &ra), 1);
  ck_assert_str_eq(capz_json_ptr_str(ra, "/name", ""), ra_name);
  cJSON_Delete(ra);

  /* --- a NAT rule removed behind our back (ARM wants it off the NIC first) comes back before the NIC refers to it
   * again, on the next pass that reads them (here: a restart) */
  all = arm_resources(NULL);
  cJSON *nicb = cJSON_Duplicate(arm_find(all, "/networkInterfaces/cp-b-nic"), 1);
  const cJSON *rcb = nat_rule(arm_find(all, "/loadBalancers/c1-public-lb"), "cp-b");
  ck_assert_ptr_nonnull(rcb);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(rcb, "/properties/backendIPConfiguration/id", ""),
                                   "/networkInterfaces/cp-b-nic/ipConfigurations/"));
  char rule_id[600];
  snprintf(rule_id, sizeof rule_id, "%s", capz_json_ptr_str(rcb, "/id", ""));
  cJSON_Delete(all);
  ck_assert_ptr_nonnull(nicb);
  capz_json_ptr_del(nicb, "/properties/ipConfigurations/0/properties/loadBalancerInboundNatRules");
  char nic_id[512];
  snprintf(nic_id, sizeof nic_id, "%s", capz_json_ptr_str(nicb, "/id", ""));
  char *nicjs = cJSON_PrintUnformatted(nicb);
  cJSON_Delete(nicb);
  arm_direct("PUT", nic_id, nicjs);
  free(nicjs);
  arm_direct("DELETE", rule_id, NULL);
  arm_clear_requests();
  env_restart_controllers();
  until = now_ms() + 15000;
  const cJSON *back = NULL;
  while (now_ms() < until) {
    all = arm_resources(NULL);
    back = nat_rule(arm_find(all, "/loadBalancers/c1-public-lb"), "cp-b");
    long port = back ? (long)capz_json_ptr_int(back, "/properties/frontendPort", 0) : 0;
    bool on_nic = back && strcasestr(capz_json_ptr_str(back, "/properties/backendIPConfiguration/id", ""), "/cp-b-nic/");
    cJSON_Delete(all);
    if (on_nic) {
      ck_assert_int_eq(port, 2201);
      break;
    }
    back = NULL;
    usleep(200000);
  }
  ck_assert_msg(back != NULL, "cp-b's NAT rule was not restored (or not referenced by its NIC again)");
  log = arm_requests();
  ck_assert_int_lt(req_index(log, "PUT", "/inboundNatRules/cp-b"), req_index(log, "PUT", "/networkInterfaces/cp-b-nic"));
  ck_assert_int_eq(req_count(log, "PUT", "/loadBalancers/c1-public-lb?"), 0);
  cJSON_Delete(log);

  /* --- deleting cp-a: its NAT rule, role assignment and extensions go; cp-b's rule stays */
  k_delete(&GVK_AM, "cp-a");
  until = now_ms() + 30000;
  cJSON *gone = NULL;
  while ((gone = k_get(&GVK_AM, "cp-a")) && now_ms() < until) {
    cJSON_Delete(gone);
    usleep(100000);
  }
  ck_assert_msg(gone == NULL, "cp-a not deleted: %s", gone ? cJSON_PrintUnformatted(cJSON_GetObjectItem(gone, "status")) : "");
  /* the rule's DELETE was accepted once the NIC had gone (the machine does not wait for the operation) */
  bool rule_gone = false;
  for (until = now_ms() + 5000; !rule_gone && now_ms() < until; usleep(100000)) {
    all = arm_resources(NULL);
    rule_gone = nat_rule(arm_find(all, "/loadBalancers/c1-public-lb"), "cp-a") == NULL;
    cJSON_Delete(all);
  }
  ck_assert_msg(rule_gone, "cp-a's NAT rule is still there");
  all = arm_resources(NULL);
  lb = arm_find(all, "/loadBalancers/c1-public-lb");
  ck_assert_ptr_nonnull(nat_rule(lb, "cp-b"));
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/cp-a"));
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/cp-a/extensions/CustomScript"));
  ck_assert_ptr_null(arm_find(all, "/networkInterfaces/cp-a-nic"));
  cJSON_Delete(all);
  ck_assert_int_eq(role_assignments_of(principal, NULL), 0);

  /* --- two control planes at once (no in-process lock): both may pick the same free port; ARM refuses the loser's
   * rule (same frontend and port, or the LB busy with the winner's) and its retry reads the LB again. Free now:
   * 22 (cp-a's) and 2202 */
  mk_bootstrap("cp-c", "c1", "#cloud-config\n");
  mk_bootstrap("cp-d", "c1", "#cloud-config\n");
  mk_machine("cp-c", "c1", true, "", "{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64}}");
  mk_machine("cp-d", "c1", true, "", "{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64}}");
  expect_machine_ready("cp-c", 60000);
  expect_machine_ready("cp-d", 60000);
  all = arm_resources(NULL);
  lb = arm_find(all, "/loadBalancers/c1-public-lb");
  const cJSON *rc_ = nat_rule(lb, "cp-c"), *rd = nat_rule(lb, "cp-d");
  ck_assert_msg(rc_ && rd, "NAT rules missing: %s", cJSON_PrintUnformatted(capz_json_ptr_get(lb, "/properties/inboundNatRules")));
  long pc = (long)capz_json_ptr_int(rc_, "/properties/frontendPort", 0), pd = (long)capz_json_ptr_int(rd, "/properties/frontendPort", 0);
  ck_assert_msg((pc == 22 && pd == 2202) || (pc == 2202 && pd == 22), "ports %ld and %ld", pc, pd);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(lb, "/properties/inboundNatRules")), 3);
  cJSON_Delete(all);
  log = arm_requests();
  int refused = 0;
  const cJSON *q;
  cJSON_ArrayForEach(q, cJSON_GetObjectItem(log, "requests"))
    refused += !strcmp(capz_json_ptr_str(q, "/method", ""), "PUT") && capz_json_ptr_int(q, "/status", 0) >= 400 &&
               strcasestr(capz_json_ptr_str(q, "/path", ""), "/inboundNatRules/cp-");
  fprintf(stderr, "two control planes at once: ports %ld and %ld, %d NAT rule PUTs refused on the way\n", pc, pd, refused);
  cJSON_Delete(log);

  /* --- the API server LB drifts (a probe changed behind our back): the cluster's correcting PUT carries the
   * machines' NAT rules (keep_live), which ARM would otherwise refuse as in use by the NICs */
  all = arm_resources(NULL);
  cJSON *lbd = cJSON_Duplicate(arm_find(all, "/loadBalancers/c1-public-lb"), 1);
  cJSON_Delete(all);
  ck_assert_ptr_nonnull(lbd);
  ck_assert_ptr_nonnull(capz_json_ptr_get(lbd, "/properties/probes/0/properties"));
  cJSON *probe = (cJSON *)capz_json_ptr_get(lbd, "/properties/probes/0/properties");
  cJSON_DeleteItemFromObject(probe, "intervalInSeconds");
  cJSON_AddNumberToObject(probe, "intervalInSeconds", 99);
  char lb_id[512];
  snprintf(lb_id, sizeof lb_id, "%s", capz_json_ptr_str(lbd, "/id", ""));
  char *lbjs = cJSON_PrintUnformatted(lbd);
  cJSON_Delete(lbd);
  arm_direct("PUT", lb_id, lbjs);
  free(lbjs);
  arm_clear_requests();
  env_restart_controllers_with_drift("1s");
  long interval = 99;
  for (until = now_ms() + 15000; interval == 99 && now_ms() < until; usleep(200000)) {
    all = arm_resources(NULL);
    interval = (long)capz_json_ptr_int(arm_find(all, "/loadBalancers/c1-public-lb"), "/properties/probes/0/properties/intervalInSeconds", 99);
    cJSON_Delete(all);
  }
  ck_assert_msg(interval != 99, "the API server LB's probe was not corrected");
  log = arm_requests();
  const cJSON *lbput = req_find(log, "PUT", "/loadBalancers/c1-public-lb");
  ck_assert_ptr_nonnull(lbput);
  ck_assert_int_lt(capz_json_ptr_int(lbput, "/status", 0), 300);
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(lbput, "/body/properties/inboundNatRules")), 3);
  cJSON_Delete(log);
  all = arm_resources(NULL);
  lb = arm_find(all, "/loadBalancers/c1-public-lb");
  ck_assert_int_eq(cJSON_GetArraySize(capz_json_ptr_get(lb, "/properties/inboundNatRules")), 3);
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(nat_rule(lb, "cp-b"), "/properties/backendIPConfiguration/id", ""), "/cp-b-nic/"));
  cJSON_Delete(all);
}
END_TEST

/* ---------------------------------------------------------------- workers, identities, templates */
START_TEST(workers_spot_identities_azure_json_template) {
  mk_identity_sp();
  mk_cluster_ready("c2");
  /* a user-assigned identity in Azure (made by the user, outside capz) */
  const char *uai_id = RGP "c2-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai1";
  arm_direct("PUT", uai_id, "{\"location\":\"eastus\"}");
  cJSON *all = arm_resources("Microsoft.ManagedIdentity/userAssignedIdentities");
  char uai_client[64];
  snprintf(uai_client, sizeof uai_client, "%s", capz_json_ptr_str(arm_find(all, "/userAssignedIdentities/uai1"), "/properties/clientId", ""));
  ck_assert(*uai_client);
  cJSON_Delete(all);

  /* w-spot: spot (Delete, max price), the user-assigned identity */
  const char *boot = "#cloud-config\nruncmd: [echo, w-spot, \"exact bytes\"]\n";
  mk_bootstrap("w-spot", "c2", boot);
  arm_clear_requests();
  int64_t t0 = now_ms();
  mk_machine("w-spot", "c2", false, "\"cluster.x-k8s.io/deployment-name\":\"md-0\"",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"identity\":\"UserAssigned\",\"userAssignedIdentities\":[{\"providerID\":\"azure://" RGP
             "c2-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai1\"}],"
             "\"spotVMOptions\":{\"maxPrice\":\"0.05\",\"evictionPolicy\":\"Delete\"}}");
  /* w-none: no VM identity — the cloud provider gets the service principal's secret; extension operations off,
   * so not even the requested bootstrap check is installed */
  mk_bootstrap("w-none", "c2", "#cloud-config\nruncmd: [echo, w-none]\n");
  mk_machine("w-none", "c2", false, "\"cluster.x-k8s.io/deployment-name\":\"md-0\"",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"disableExtensionOperations\":true,\"disableVMBootstrapExtension\":false}");
  /* w-missing: an identity that does not exist; its azure-json Secret name is taken by the user's own Secret */
  cJSON_Delete(k_create(&GVK_SECRET, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
                                     "\"w-missing-azure-json\"},\"data\":{\"azure.json\":\"e30=\"}}"));
  mk_bootstrap("w-missing", "c2", "#cloud-config\n");
  mk_machine("w-missing", "c2", false, "\"cluster.x-k8s.io/deployment-name\":\"md-0\"",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"identity\":\"UserAssigned\",\"userAssignedIdentities\":[{\"providerID\":\"azure://" RGP
             "c2-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope\"}]}");
  /* w-bootfail: the bootstrap check extension ends Failed, every time (cloud-init never wrote the sentinel) */
  arm_post("/_sim/faults", "{\"method\":\"PUT\",\"path\":\"*/virtualMachines/w-bootfail/extensions/*\",\"kind\":"
                           "\"lroFail\",\"code\":\"VMExtensionProvisioningError\",\"message\":\"bootstrap sentinel not "
                           "found\"}");
  mk_bootstrap("w-bootfail", "c2", "#cloud-config\n");
  mk_machine("w-bootfail", "c2", false, "\"cluster.x-k8s.io/deployment-name\":\"md-0\"",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"disableVMBootstrapExtension\":false}");
  /* the MachineDeployment's template, owned by the Cluster (as clusterctl sets it) */
  cJSON *cl = k_get(&GVK_CLUSTER, "c2");
  cJSON_Delete(k_create(&GVK_AMT,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachineTemplate\","
                        "\"metadata\":{\"name\":\"md-0\",\"ownerReferences\":[{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\","
                        "\"kind\":\"Cluster\",\"name\":\"c2\",\"uid\":\"%s\"}]},\"spec\":{\"template\":{\"spec\":{"
                        "\"vmSize\":\"Standard_D4s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
                        "\"identity\":\"SystemAssigned\"}}}}",
                        capz_json_ptr_str(cl, "/metadata/uid", "")));
  cJSON_Delete(cl);

  expect_machine_ready("w-spot", 60000);
  fprintf(stderr, "worker w-spot ready after %.1fs\n", (double)(now_ms() - t0) / 1000.0);
  ck_assert_msg(wait_ready(&GVK_AM, "w-none", 30000), "w-none not ready");

  /* --- the spot VM as Azure has it */
  all = arm_resources(NULL);
  cJSON *vm = arm_find(all, "/virtualMachines/w-spot");
  ck_assert_ptr_nonnull(vm);
  ck_assert_str_eq(capz_json_ptr_str(vm, "/properties/priority", ""), "Spot");
  ck_assert_str_eq(capz_json_ptr_str(vm, "/properties/evictionPolicy", ""), "Delete");
  const cJSON *mp = capz_json_ptr_get(vm, "/properties/billingProfile/maxPrice");
  ck_assert_msg(cJSON_IsNumber(mp) && mp->valuedouble > 0.0499 && mp->valuedouble < 0.0501, "maxPrice");
  ck_assert_str_eq(capz_json_ptr_str(vm, "/identity/type", ""), "UserAssigned");
  bool has_uai = false;
  const cJSON *k;
  cJSON_ArrayForEach(k, capz_json_ptr_get(vm, "/identity/userAssignedIdentities"))
    if (!strcasecmp(k->string, uai_id)) has_uai = true;
  ck_assert(has_uai);
  ck_assert_ptr_null(capz_json_ptr_get(vm, "/properties/availabilitySet"));
  /* no bootstrap extension unless asked for (CAPZ treats an unset disableVMBootstrapExtension as true) */
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/w-spot/extensions/CAPZ.Linux.Bootstrapping"));
  /* w-missing never got a NIC or a VM */
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/w-missing"));
  cJSON_Delete(all);

  /* --- the VM got exactly the bootstrap Secret's bytes (the emulator logs their SHA-256, never the data) */
  cJSON *log = arm_requests();
  const cJSON *put = req_find(log, "PUT", "/virtualMachines/w-spot");
  ck_assert_ptr_nonnull(put);
  char want[65];
  sha256_hex(boot, strlen(boot), want);
  ck_assert_str_eq(capz_json_ptr_str(put, "/body/properties/osProfile/customDataSha256", ""), want);
  ck_assert_str_eq(capz_json_ptr_str(put, "/body/properties/osProfile/customData", ""), "[REDACTED]");
  ck_assert_int_eq(req_count(log, "PUT", "/virtualMachines/w-missing"), 0);
  const cJSON *put_none = req_find(log, "PUT", "/virtualMachines/w-none");
  ck_assert_ptr_nonnull(put_none);
  ck_assert(cJSON_IsFalse(capz_json_ptr_get(put_none, "/body/properties/osProfile/allowExtensionOperations")));
  ck_assert_int_eq(req_count(log, "PUT", "/virtualMachines/w-none/extensions/"), 0);
  int total = arm_count(log, NULL);
  fprintf(stderr, "workers w-spot + w-none (+ w-missing waiting): %d ARM requests (%d PUT)\n", total, arm_count(log, "PUT"));
  cJSON_Delete(log);

  /* --- identities: ready for w-spot, missing for w-missing (condition, event, no failure) */
  cJSON *am = k_get(&GVK_AM, "w-spot");
  ck_assert(capz_cond_is_true(am, "VMIdentitiesReady"));
  cJSON_Delete(am);
  ck_assert_msg(wait_cond(&GVK_AM, "w-missing", "VMIdentitiesReady", "False", "UserAssignedIdentityMissing", 15000),
                "w-missing: %s", status_text("w-missing"));
  k_expect_event("w-missing", "UserAssignedIdentityMissing");
  am = k_get(&GVK_AM, "w-missing");
  ck_assert_ptr_null(capz_json_ptr_get(am, "/status/failureReason"));
  ck_assert(!capz_json_ptr_bool(am, "/status/ready", false));
  cJSON_Delete(am);

  /* --- the failed bootstrap: condition, event, not ready, no terminal failure (retried, as CAPZ) */
  ck_assert_msg(wait_cond(&GVK_AM, "w-bootfail", "BootstrapSucceeded", "False", "BootstrapFailed", 20000),
                "w-bootfail: %s", status_text("w-bootfail"));
  k_expect_event("w-bootfail", "BootstrapFailed");
  am = k_get(&GVK_AM, "w-bootfail");
  ck_assert(!capz_json_ptr_bool(am, "/status/ready", false));
  ck_assert_ptr_null(capz_json_ptr_get(am, "/status/failureReason"));
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/vmState", ""), "Succeeded");
  cJSON_Delete(am);

  /* --- azure-json Secrets: user-assigned client ID; service principal secret only without a VM identity */
  cJSON *sec = k_get(&GVK_SECRET, "w-spot-azure-json");
  ck_assert_ptr_nonnull(sec);
  char *txt = secret_data(sec, "worker-node-azure.json");
  cJSON *cfg = cJSON_Parse(txt);
  ck_assert_ptr_nonnull(cfg);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/userAssignedIdentityID", ""), uai_client);
  ck_assert(capz_json_ptr_bool(cfg, "/useManagedIdentityExtension", false));
  ck_assert_ptr_null(capz_json_ptr_get(cfg, "/aadClientSecret"));
  cJSON_Delete(cfg);
  free(txt);
  cJSON_Delete(sec);
  /* the client ID is remembered on the Secret: a poke reads neither the identity nor rewrites the Secret */
  char sec_rv[32];
  sec = k_get(&GVK_SECRET, "w-spot-azure-json");
  snprintf(sec_rv, sizeof sec_rv, "%s", capz_json_ptr_str(sec, "/metadata/resourceVersion", ""));
  cJSON_Delete(sec);
  arm_clear_requests();
  k_patch(&GVK_AM, "w-spot", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"uai\"}}}");
  sleep(2);
  cJSON *plog = arm_requests();
  ck_assert_int_eq(req_count(plog, "GET", "/userAssignedIdentities/uai1"), 0);
  cJSON_Delete(plog);
  sec = k_get(&GVK_SECRET, "w-spot-azure-json");
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/resourceVersion", ""), sec_rv);
  cJSON_Delete(sec);
  sec = k_get(&GVK_SECRET, "w-none-azure-json");
  ck_assert_ptr_nonnull(sec);
  txt = secret_data(sec, "worker-node-azure.json");
  cfg = cJSON_Parse(txt);
  ck_assert_ptr_nonnull(cfg);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/aadClientId", ""), E2E_CLIENT);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/aadClientSecret", ""), E2E_SECRET);
  ck_assert(!capz_json_ptr_bool(cfg, "/useManagedIdentityExtension", true));
  cJSON_Delete(cfg);
  free(txt);
  cJSON_Delete(sec);
  k_expect_event("w-none", "VMIdentityNone");
  sec = k_get(&GVK_SECRET, "w-missing-azure-json"); /* the user's: untouched */
  ck_assert_str_eq(capz_json_ptr_str(sec, "/data/azure.json", ""), "e30=");
  ck_assert_ptr_null(capz_json_ptr_get(sec, "/data/worker-node-azure.json"));
  ck_assert_ptr_null(capz_json_ptr_get(sec, "/metadata/ownerReferences"));
  cJSON_Delete(sec);

  /* --- the template: capacity / nodeInfo from the VM size's SKU, and its own azure-json Secret */
  cJSON *amt = NULL;
  int64_t until = now_ms() + 15000;
  while (now_ms() < until) {
    cJSON_Delete(amt);
    amt = k_get(&GVK_AMT, "md-0");
    if (capz_json_ptr_get(amt, "/status/capacity/cpu")) break;
    usleep(100000);
  }
  ck_assert_str_eq(capz_json_ptr_str(amt, "/status/capacity/cpu", ""), "4");
  ck_assert_str_eq(capz_json_ptr_str(amt, "/status/capacity/memory", ""), "16G");
  ck_assert_str_eq(capz_json_ptr_str(amt, "/status/nodeInfo/architecture", ""), "amd64");
  ck_assert_str_eq(capz_json_ptr_str(amt, "/status/nodeInfo/operatingSystem", ""), "linux");
  sec = k_get(&GVK_SECRET, "md-0-azure-json");
  ck_assert_ptr_nonnull(sec);
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/ownerReferences/0/kind", ""), "AzureMachineTemplate");
  ck_assert_str_eq(capz_json_ptr_str(sec, "/metadata/ownerReferences/0/uid", ""), capz_json_ptr_str(amt, "/metadata/uid", "?"));
  txt = secret_data(sec, "control-plane-azure.json");
  cfg = cJSON_Parse(txt);
  ck_assert(capz_json_ptr_bool(cfg, "/useManagedIdentityExtension", false));
  cJSON_Delete(cfg);
  free(txt);
  cJSON_Delete(sec);
  cJSON_Delete(amt);

  /* --- a changed input (rate-limit override on the AzureCluster) rewrites the Secret */
  k_patch(&GVK_AC, "c2", NULL,
          "{\"spec\":{\"cloudProviderConfigOverrides\":{\"rateLimits\":[{\"name\":\"defaultRateLimit\",\"config\":"
          "{\"cloudProviderRateLimit\":true,\"cloudProviderRateLimitQPS\":\"2.5\",\"cloudProviderRateLimitBucket\":7}}]}}}");
  /* no poke: the AzureCluster change itself wakes the cluster's machines (labelled with the cluster name, as CAPI) */
  until = now_ms() + 20000;
  bool updated = false;
  while (!updated && now_ms() < until) {
    sec = k_get(&GVK_SECRET, "w-none-azure-json");
    txt = secret_data(sec, "azure.json");
    cfg = txt ? cJSON_Parse(txt) : NULL;
    updated = capz_json_ptr_int(cfg, "/cloudProviderRateLimitBucket", 0) == 7 &&
              capz_json_ptr_bool(cfg, "/cloudProviderRateLimit", false);
    cJSON_Delete(cfg);
    free(txt);
    cJSON_Delete(sec);
    if (!updated) usleep(100000);
  }
  ck_assert_msg(updated, "azure-json not updated after the AzureCluster's overrides changed");
  /* steady state of a worker: no ARM request (its VM is read once per drift interval, not per poke) */
  sleep(1);
  arm_clear_requests();
  k_patch(&GVK_AM, "w-none", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"2\"}}}");
  sleep(2);
  log = arm_requests();
  /* (w-bootfail keeps retrying its failed extension meanwhile: count w-none's requests only) */
  int mine = req_count(log, NULL, "/w-none"), mine_writes = mine - req_count(log, "GET", "/w-none");
  fprintf(stderr, "w-none steady state: %d ARM requests, %d writes\n", mine, mine_writes);
  ck_assert_int_eq(mine_writes, 0);
  ck_assert_int_eq(mine, 0);
  ck_assert_int_eq(req_count(log, "PUT", "/c2-rg/providers/Microsoft.Network/"), 0);
  cJSON_Delete(log);

  /* --- the user-assigned identity taken off the VM behind our back: an unsupported change (terminal, as CAPZ) */
  all = arm_resources(NULL);
  cJSON *vmc = cJSON_Duplicate(arm_find(all, "/virtualMachines/w-spot"), 1);
  cJSON_Delete(all);
  ck_assert_ptr_nonnull(vmc);
  cJSON_DeleteItemFromObject(vmc, "identity");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(vmc, "identity"), "type", "None");
  char vm_id[512];
  snprintf(vm_id, sizeof vm_id, "%s", capz_json_ptr_str(vmc, "/id", ""));
  char *vmjs = cJSON_PrintUnformatted(vmc);
  cJSON_Delete(vmc);
  arm_direct("PUT", vm_id, vmjs);
  free(vmjs);
  /* found at the VM's next read: a drift interval of 1 s (a poke alone reads nothing) */
  env_restart_controllers_with_drift("1s");
  ck_assert_msg(wait_cond(&GVK_AM, "w-spot", "VMIdentitiesReady", "False", "UserAssignedIdentityMissing", 15000),
                "w-spot: %s", status_text("w-spot"));
  am = k_get(&GVK_AM, "w-spot");
  ck_assert_str_eq(capz_json_ptr_str(am, "/status/failureReason", ""), "UnsupportedChange");
  cJSON_Delete(am);
}
END_TEST

/* ---------------------------------------------------------------- dual stack */
START_TEST(dual_stack_worker_nic) {
  mk_identity_sp();
  mk_cluster_ready_net("c3", "{\"vnet\":{\"name\":\"c3-vnet\",\"cidrBlocks\":[\"10.0.0.0/8\",\"2001:1234:5678:9a00::/56\"]},"
                             "\"subnets\":[{\"name\":\"c3-cp\",\"role\":\"control-plane\",\"cidrBlocks\":[\"10.0.0.0/16\","
                             "\"2001:1234:5678:9abc::/64\"]},{\"name\":\"c3-nodes\",\"role\":\"node\",\"cidrBlocks\":"
                             "[\"10.1.0.0/16\",\"2001:1234:5678:9abd::/64\"]}]}");
  mk_bootstrap("w6", "c3", "#cloud-config\n");
  mk_machine("w6", "c3", false, "",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"dnsServers\":[\"10.1.0.53\"],\"networkInterfaces\":[{\"privateIPConfigs\":3}]}");
  expect_machine_ready("w6", 60000);
  cJSON *all = arm_resources(NULL);
  cJSON *nic = arm_find(all, "/networkInterfaces/w6-nic");
  ck_assert_ptr_nonnull(nic);
  const cJSON *ipcs = capz_json_ptr_get(nic, "/properties/ipConfigurations");
  ck_assert_int_eq(cJSON_GetArraySize(ipcs), 4); /* pipConfig + 2 more IPv4 + ipConfigv6 */
  const cJSON *v6 = cJSON_GetArrayItem(ipcs, 3);
  ck_assert_str_eq(capz_json_ptr_str(v6, "/name", ""), "ipConfigv6");
  ck_assert_str_eq(capz_json_ptr_str(v6, "/properties/privateIPAddressVersion", ""), "IPv6");
  ck_assert(!capz_json_ptr_bool(v6, "/properties/primary", true));
  ck_assert_msg(!strncmp(capz_json_ptr_str(v6, "/properties/privateIPAddress", ""), "2001:1234:5678:9abd::", 21),
                "IPv6 address %s", capz_json_ptr_str(v6, "/properties/privateIPAddress", ""));
  ck_assert(capz_json_ptr_bool(cJSON_GetArrayItem(ipcs, 0), "/properties/primary", false));
  ck_assert_str_eq(capz_json_ptr_str(nic, "/properties/dnsSettings/dnsServers/0", ""), "10.1.0.53");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(v6, "/properties/subnet/id", ""), "/subnets/c3-nodes"));
  cJSON_Delete(all);
  /* status.addresses: InternalDNS, then every private address (IPv4 and IPv6) */
  cJSON *am = k_get(&GVK_AM, "w6");
  int v4 = 0, v6n = 0;
  const cJSON *a;
  cJSON_ArrayForEach(a, capz_json_ptr_get(am, "/status/addresses")) {
    if (strcmp(capz_json_ptr_str(a, "/type", ""), "InternalIP")) continue;
    if (strchr(capz_json_ptr_str(a, "/address", ""), ':')) v6n++;
    else v4++;
  }
  ck_assert_int_eq(v4, 3);
  ck_assert_int_eq(v6n, 1);
  cJSON_Delete(am);
  cJSON *sec = k_get(&GVK_SECRET, "w6-azure-json");
  char *txt = secret_data(sec, "azure.json");
  cJSON *cfg = cJSON_Parse(txt);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/subnetName", ""), "c3-nodes");
  cJSON_Delete(cfg);
  free(txt);
  cJSON_Delete(sec);
}
END_TEST

/* ---------------------------------------------------------------- Azure CNI v2 pod subnet */
/* Also: the internal API server LB's SSH NAT rule (CAPZ makes it, the NIC does not reference it). */
START_TEST(pod_subnet_nic_keeps_pod_ip_configs) {
  mk_identity_sp();
  /* a private cluster (internal API server LB) with a pod subnet */
  mk_cluster_ready_net("c5", "{\"vnet\":{\"name\":\"c5-vnet\"},\"apiServerLB\":{\"type\":\"Internal\"},"
                             "\"subnets\":[{\"name\":\"c5-cp\",\"role\":\"control-plane\"},"
                             "{\"name\":\"c5-nodes\",\"role\":\"node\"},{\"name\":\"c5-pods\",\"role\":\"pod\"}]}");
  /* a control plane behind the internal LB: as CAPZ, its SSH NAT rule is made on that LB, but the NIC does not use it */
  mk_bootstrap("cp5", "c5", "#cloud-config\n");
  mk_machine("cp5", "c5", true, "", "{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64}}");
  mk_bootstrap("wp", "c5", "#cloud-config\n");
  mk_machine("wp", "c5", false, "",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},\"allocatePublicIP\":true}");
  expect_machine_ready("wp", 60000);
  expect_machine_ready("cp5", 30000);
  {
    cJSON *res = arm_resources(NULL);
    cJSON *ilb = arm_find(res, "/loadBalancers/c5-internal-lb");
    ck_assert_ptr_nonnull(ilb);
    const cJSON *rule = nat_rule(ilb, "cp5");
    ck_assert_ptr_nonnull(rule);
    ck_assert_int_eq(capz_json_ptr_int(rule, "/properties/frontendPort", 0), 22);
    cJSON *cpnic = arm_find(res, "/networkInterfaces/cp5-nic");
    ck_assert_ptr_nonnull(cpnic);
    ck_assert_ptr_null(capz_json_ptr_get(cpnic, "/properties/ipConfigurations/0/properties/loadBalancerInboundNatRules/0"));
    ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(cpnic, "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools/0/id", ""),
                                     "/loadBalancers/c5-internal-lb/backendAddressPools/"));
    cJSON_Delete(res);
  }
  /* Azure's dynamic pod IP allocation adds configurations from the pod subnet to the node's NIC (here written
   * directly; the primary configuration loses its public IP too, a drift we would otherwise correct with a PUT) */
  cJSON *all = arm_resources(NULL);
  cJSON *nic = arm_find(all, "/networkInterfaces/wp-nic");
  ck_assert_ptr_nonnull(nic);
  ck_assert_ptr_nonnull(capz_json_ptr_get(nic, "/properties/ipConfigurations/0/properties/publicIPAddress"));
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "location", "eastus");
  cJSON_AddItemToObject(body, "tags", cJSON_Duplicate(cJSON_GetObjectItem(nic, "tags"), 1));
  cJSON *ipcs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(body, "properties"), "ipConfigurations");
  const char *nodes = capz_json_ptr_str(nic, "/properties/ipConfigurations/0/properties/subnet/id", "");
  char pods[512];
  snprintf(pods, sizeof pods, "%.*s/c5-pods", (int)(strrchr(nodes, '/') - nodes), nodes);
  char ipc[1200];
  snprintf(ipc, sizeof ipc, "{\"name\":\"pipConfig\",\"properties\":{\"primary\":true,\"privateIPAllocationMethod\":"
                            "\"Dynamic\",\"subnet\":{\"id\":\"%s\"}}}", nodes);
  cJSON_AddItemToArray(ipcs, cJSON_Parse(ipc));
  snprintf(ipc, sizeof ipc, "{\"name\":\"pod-ips-1\",\"properties\":{\"privateIPAllocationMethod\":\"Dynamic\","
                            "\"subnet\":{\"id\":\"%s\"}}}", pods);
  cJSON_AddItemToArray(ipcs, cJSON_Parse(ipc));
  char *js = cJSON_PrintUnformatted(body);
  char id[512];
  snprintf(id, sizeof id, "%s", capz_json_ptr_str(nic, "/id", ""));
  cJSON_Delete(body);
  cJSON_Delete(all);
  arm_direct("PUT", id, js);
  free(js);
  /* a restarted controller re-reads everything (drift 1 s): the NIC is not rewritten, the pod IPs stay */
  arm_clear_requests();
  env_restart_controllers_with_drift("1s");
  k_patch(&GVK_AM, "wp", NULL, "{\"metadata\":{\"annotations\":{\"e2e/poke\":\"1\"}}}");
  sleep(3);
  cJSON *log = arm_requests();
  ck_assert_int_eq(req_count(log, "PUT", "/networkInterfaces/"), 0);
  ck_assert_int_gt(req_count(log, "GET", "/virtualMachines/wp"), 0); /* the machine did reconcile */
  cJSON_Delete(log);
  all = arm_resources(NULL);
  nic = arm_find(all, "/networkInterfaces/wp-nic");
  ck_assert_str_eq(capz_json_ptr_str(nic, "/properties/ipConfigurations/1/name", ""), "pod-ips-1");
  ck_assert_msg(!strncmp(capz_json_ptr_str(nic, "/properties/ipConfigurations/1/properties/privateIPAddress", ""), "10.128.", 7),
                "pod IP %s", capz_json_ptr_str(nic, "/properties/ipConfigurations/1/properties/privateIPAddress", ""));
  cJSON_Delete(all);
  cJSON *am = k_get(&GVK_AM, "wp");
  ck_assert(capz_json_ptr_bool(am, "/status/ready", false));
  cJSON_Delete(am);
}
END_TEST

/* ---------------------------------------------------------------- service principal with a certificate */
static char *g_pem;
static void setup_cert(void) {
  cert_env_prepare(&g_pem);
  env_start();
}
static void teardown_cert(void) {
  env_stop();
  cert_env_cleanup();
  free(g_pem);
}

START_TEST(certificate_identity_machine) {
  /* the identity Secret holds the PEM (certificate + key); the app has no client secret at all */
  size_t n = strlen(g_pem);
  char *b = malloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)g_pem, (int)n);
  cJSON_Delete(k_create(&GVK_SECRET, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"sp-cert\"},"
                                     "\"data\":{\"certificate\":\"%s\"}}", b));
  free(b);
  cJSON_Delete(k_create(&GVK_ACI,
                        "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                        "\"metadata\":{\"name\":\"id1\"},\"spec\":{\"type\":\"ServicePrincipalCertificate\",\"tenantID\":\""
                        E2E_TENANT "\",\"clientID\":\"" CERT_CLIENT "\",\"clientSecret\":{\"name\":\"sp-cert\","
                        "\"namespace\":\"default\"},\"allowedNamespaces\":{}}}"));
  mk_cluster_ready("c4");
  mk_bootstrap("wc", "c4", "#cloud-config\n");
  mk_machine("wc", "c4", false, "",
             "{\"vmSize\":\"Standard_B2s\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64}}");
  expect_machine_ready("wc", 60000);
  cJSON *all = arm_resources(NULL);
  ck_assert_ptr_nonnull(arm_find(all, "/virtualMachines/wc"));
  cJSON_Delete(all);
  /* every ARM request above carried a token of CERT_CLIENT, an app the emulator knows only by its certificate */
  /* azure-json: the client ID, never a secret (there is none for a certificate identity) */
  cJSON *sec = k_get(&GVK_SECRET, "wc-azure-json");
  ck_assert_ptr_nonnull(sec);
  char *txt = secret_data(sec, "azure.json");
  cJSON *cfg = cJSON_Parse(txt);
  ck_assert_str_eq(capz_json_ptr_str(cfg, "/aadClientId", ""), CERT_CLIENT);
  ck_assert_ptr_null(capz_json_ptr_get(cfg, "/aadClientSecret"));
  ck_assert_ptr_null(strstr(txt, "PRIVATE KEY"));
  cJSON_Delete(cfg);
  free(txt);
  cJSON_Delete(sec);
}
END_TEST

int main(void) {
  Suite *s = suite_create("selfmanaged_machine_e2e");
  const ckrun_case tests[] = {
      {"control_planes", control_planes_nat_role_extensions},
      {"workers", workers_spot_identities_azure_json_template},
      {"dual_stack", dual_stack_worker_nic},
      {"private_pod_subnet", pod_subnet_nic_keeps_pod_ip_configs},
  };
  ckrun_add_cases(s, tests, sizeof tests / sizeof tests[0], setup, teardown, 100);
  const ckrun_case cert[] = {{"certificate", certificate_identity_machine}};
  ckrun_add_cases(s, cert, 1, setup_cert, teardown_cert, 100);
  return ckrun(s);
}
