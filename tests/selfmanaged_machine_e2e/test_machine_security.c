/* test_machine_security.c — AzureMachine security settings on the real path (CR → controller runtime →
 * selfmanaged.so → SDK → HTTP → capz-kube-sim + capz-arm-sim): Trusted Launch with encryption at host and an
 * ephemeral OS disk, a confidential VM with its OS-disk security profile, and a size that cannot do Trusted Launch
 * refused as CAPZ refuses it (terminal, no VM written). Asserts the VM bodies the emulator received. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capz/json.h"
#include "machine_fixtures.h"

static void setup(void) { env_start(); }
static void teardown(void) { env_stop(); }

/* The body of the VM's first PUT (borrowed from log), or NULL. */
static const cJSON *vm_put_body(const cJSON *log, const char *vm) {
  char suffix[128];
  snprintf(suffix, sizeof suffix, "/virtualMachines/%s", vm);
  const cJSON *put = req_find(log, "PUT", suffix);
  return put ? capz_json_ptr_get(put, "/body") : NULL;
}

START_TEST(trusted_launch_confidential_and_refusal) {
  mk_identity_sp();
  mk_cluster_ready("sec");
  arm_clear_requests();
  mk_bootstrap("tl", "sec", "#cloud-config\n");
  mk_machine("tl", "sec", false, "",
             "{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64,\"cachingType\":"
             "\"ReadOnly\",\"diffDiskSettings\":{\"option\":\"Local\",\"placement\":\"ResourceDisk\"}},"
             "\"securityProfile\":{\"securityType\":\"TrustedLaunch\",\"encryptionAtHost\":true,\"uefiSettings\":"
             "{\"secureBootEnabled\":true,\"vTpmEnabled\":true}}}");
  mk_bootstrap("cvm", "sec", "#cloud-config\n");
  mk_machine("cvm", "sec", false, "",
             "{\"vmSize\":\"Standard_DC2as_v5\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64,\"managedDisk\":"
             "{\"storageAccountType\":\"Premium_LRS\",\"securityProfile\":{\"securityEncryptionType\":"
             "\"VMGuestStateOnly\"}}},\"securityProfile\":{\"securityType\":\"ConfidentialVM\",\"uefiSettings\":"
             "{\"secureBootEnabled\":true,\"vTpmEnabled\":true}}}");
  mk_bootstrap("gen1", "sec", "#cloud-config\n");
  mk_machine("gen1", "sec", false, "",
             "{\"vmSize\":\"Standard_A2_v2\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":64},"
             "\"securityProfile\":{\"securityType\":\"TrustedLaunch\",\"uefiSettings\":{\"secureBootEnabled\":true}}}");
  expect_machine_ready("tl", 60000);
  expect_machine_ready("cvm", 60000);
  ck_assert_msg(wait_cond(&GVK_AM, "gen1", "VMRunning", "False", NULL, 20000), "gen1: %s", status_text("gen1"));

  cJSON *log = arm_requests();
  const cJSON *tl = vm_put_body(log, "tl");
  ck_assert_ptr_nonnull(tl);
  ck_assert_str_eq(capz_json_ptr_str(tl, "/properties/securityProfile/securityType", ""), "TrustedLaunch");
  ck_assert(capz_json_ptr_bool(tl, "/properties/securityProfile/encryptionAtHost", false));
  ck_assert(capz_json_ptr_bool(tl, "/properties/securityProfile/uefiSettings/secureBootEnabled", false));
  ck_assert(capz_json_ptr_bool(tl, "/properties/securityProfile/uefiSettings/vTpmEnabled", false));
  ck_assert_str_eq(capz_json_ptr_str(tl, "/properties/storageProfile/osDisk/diffDiskSettings/option", ""), "Local");
  ck_assert_str_eq(capz_json_ptr_str(tl, "/properties/storageProfile/osDisk/diffDiskSettings/placement", ""),
                   "ResourceDisk");
  const cJSON *cvm = vm_put_body(log, "cvm");
  ck_assert_ptr_nonnull(cvm);
  ck_assert_str_eq(capz_json_ptr_str(cvm, "/properties/securityProfile/securityType", ""), "ConfidentialVM");
  ck_assert_str_eq(
      capz_json_ptr_str(cvm, "/properties/storageProfile/osDisk/managedDisk/securityProfile/securityEncryptionType", ""),
      "VMGuestStateOnly");
  ck_assert_str_eq(capz_json_ptr_str(cvm, "/properties/storageProfile/osDisk/managedDisk/storageAccountType", ""),
                   "Premium_LRS");
  /* the size without Trusted Launch: refused before any VM write, terminal, with a message naming why */
  ck_assert_ptr_null(vm_put_body(log, "gen1"));
  cJSON_Delete(log);
  cJSON *am = k_get(&GVK_AM, "gen1");
  ck_assert_ptr_nonnull(strcasestr(capz_json_ptr_str(am, "/status/failureMessage", ""), "Trusted Launch"));
  ck_assert_str_ne(capz_json_ptr_str(am, "/status/failureReason", ""), "");
  cJSON_Delete(am);
  k_expect_event("gen1", "InvalidConfiguration");
  /* what Azure stored */
  cJSON *all = arm_resources("Microsoft.Compute/virtualMachines");
  ck_assert_str_eq(capz_json_ptr_str(arm_find(all, "/virtualMachines/cvm"), "/properties/securityProfile/securityType", ""),
                   "ConfidentialVM");
  ck_assert_ptr_null(arm_find(all, "/virtualMachines/gen1"));
  cJSON_Delete(all);
}
END_TEST

int main(void) {
  Suite *s = suite_create("selfmanaged_machine_security");
  const ckrun_case cases[] = {{"security", trusted_launch_confidential_and_refusal}};
  ckrun_add_cases(s, cases, 1, setup, teardown, 100);
  return ckrun(s);
}
