/* test_machine_validate.c — AzureMachine / AzureMachineTemplate validation, field by field. */
#include <stdio.h>
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

#define TPL "spec.template.spec."

/* One generated key for all cases: RSA generation dominates the test time otherwise. */
static const char *shared_key(void) {
  static char *key;
  if (!key) {
    capz_err err;
    key = sm_ssh_generate_public_key_b64(&err);
    ck_assert_ptr_nonnull(key);
  }
  return key;
}

/* A valid AzureMachine derived from the reference template's control-plane spec. */
static cJSON *base(void) {
  cJSON *t = smt_template_obj("cluster-template.yaml", "AzureMachineTemplate", SM_T_CLUSTER "-control-plane");
  smt_set_str(t, "spec.template.spec.sshPublicKey", shared_key());
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "kind", "AzureMachine");
  cJSON_AddItemToObject(m, "metadata", cJSON_Parse("{\"name\":\"m1\"}"));
  cJSON_AddItemToObject(m, "spec", cJSON_Duplicate(smt_at(t, "spec.template.spec"), true));
  cJSON_Delete(t);
  capz_err err;
  ck_assert_int_eq(sm_azuremachine_default(m, SM_T_SUB, &err), 0);
  return m;
}

static void expect_err(cJSON *obj, cJSON *old, const char *field, const char *want) {
  smt_expect_err(sm_azuremachine_validate_errs, "AzureMachine", "m1", obj, old, field, want);
}

static void expect_ok(cJSON *obj, cJSON *old) {
  char msg[4096];
  ck_assert_msg(sm_azuremachine_validate(obj, old, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(obj);
  cJSON_Delete(old);
}

static void run_cases(const smt_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    cJSON *m = base();
    smt_apply(m, &cases[i]);
    expect_err(m, NULL, cases[i].field, cases[i].want);
  }
}

START_TEST(valid_base) { expect_ok(base(), NULL); }
END_TEST

START_TEST(spec_rules) {
  static const smt_case cases[] = {
      {"spec.vmSize", NULL, "spec.vmSize", "Required value"},
      {"spec.sshPublicKey", "\"%%%\"", "spec.sshPublicKey", "the SSH public key is not properly base64 encoded"},
      {"spec.sshPublicKey", "\"aGVsbG8=\"", "spec.sshPublicKey", "Invalid value: \"aGVsbG8=\": the SSH public key is not valid"},
      {"spec.image", "{\"id\":\"/x\",\"marketplace\":{\"publisher\":\"p\",\"offer\":\"o\",\"sku\":\"s\",\"version\":\"1\"}}",
       "spec.image.marketplace", "Forbidden: Marketplace cannot be used as an image ID has been specified"},
      {"spec.image", "{\"marketplace\":{\"publisher\":\"p\",\"offer\":\"o\",\"sku\":\"s\"}}", "spec.image.marketplace.version",
       "Version cannot be empty"},
      {"spec.image", "{}", "spec.image", "You must supply an ID, Marketplace or ComputeGallery image details"},
      {"spec.image", "{\"computeGallery\":{\"gallery\":\"g\",\"name\":\"n\",\"version\":\"1\",\"subscriptionID\":\"s\"}}",
       "spec.image.computeGallery.resourceGroup", "ResourceGroup cannot be empty when SubscriptionID is specified"},
      {"spec.image", "{\"sharedGallery\":{\"gallery\":\"g\",\"name\":\"n\",\"version\":\"1\",\"resourceGroup\":\"r\"}}",
       "spec.image.sharedGallery.subscriptionID", "SubscriptionID cannot be empty"},
      {"spec.osDisk.diskSizeGB", "4096", "spec.osDisk.diskSizeGB", "Invalid value: 4096: the Disk size should be a value between 1 and 2048"},
      {"spec.osDisk.osType", "\"\"", "spec.osDisk.osType", "Required value: the OS type cannot be empty"},
      {"spec.osDisk.cachingType", "\"Sometimes\"", "spec.osDisk.cachingType", "allowed values are [None ReadOnly ReadWrite]"},
      {"spec.osDisk.managedDisk", "{\"storageAccountType\":\"UltraSSD_LRS\"}", "spec.osDisk.managedDisk.storageAccountType",
       "UltraSSD_LRS can only be used with data disks"},
      {"spec.osDisk.managedDisk", "{\"storageAccountType\":\"Fast_LRS\"}", "spec.osDisk.managedDisk.storageAccountType",
       "allowed values are"},
      {"spec.osDisk.diffDiskSettings", "{\"option\":\"Remote\",\"placement\":\"ResourceDisk\"}", "spec.osDisk.diffDiskSettings",
       "placement is only supported when diffDiskSettings.option is 'Local'"},
      {"spec.dataDisks[0].diskSizeGB", "2", "spec.dataDisks[0].diskSizeGB", "Invalid value: 2: the disk size should be a value between 4 and 32767"},
      {"spec.dataDisks[0].lun", "64", "spec.dataDisks[0].lun", "logical unit number must be between 0 and 63"},
      {"spec.dataDisks[0].nameSuffix", "\"\"", "spec.dataDisks[0].nameSuffix", "the name suffix cannot be empty"},
      {"spec.dataDisks", "[{\"nameSuffix\":\"a\",\"diskSizeGB\":8,\"lun\":0,\"cachingType\":\"None\"},"
                         "{\"nameSuffix\":\"a\",\"diskSizeGB\":8,\"lun\":0,\"cachingType\":\"None\"}]",
       "spec.dataDisks[1].lun", "Duplicate value: 0"},
      {"spec.dataDisks", "[{\"nameSuffix\":\"a\",\"diskSizeGB\":8,\"lun\":0,\"cachingType\":\"ReadOnly\","
                         "\"managedDisk\":{\"storageAccountType\":\"UltraSSD_LRS\"}}]",
       "spec.dataDisks[0].cachingType", "is not supported when storageAccountType is 'UltraSSD_LRS'"},
      {"spec.identity", "\"None\"", "spec.userAssignedIdentities", "must be set to 'UserAssigned' when assigning any user identity"},
      {"spec.userAssignedIdentities", "[]", "spec.userAssignedIdentities", "Required value: must be specified for the 'UserAssigned' identity type"},
      {"spec.userAssignedIdentities", "[{\"providerID\":\"azure://not/an/id\"}]", "spec.userAssignedIdentities[0].providerID",
       "must be a valid Azure resource ID"},
      {"spec.systemAssignedIdentityRole", "{\"name\":\"x\"}", "spec.systemAssignedIdentityRole",
       "systemAssignedIdentityRole can only be set when identity is set to SystemAssigned"},
      {"spec.diagnostics", "{\"boot\":{\"storageAccountType\":\"UserManaged\"}}", "spec.diagnostics.boot.userManaged",
       "userManaged must be specified"},
      {"spec.diagnostics", "{\"boot\":{\"storageAccountType\":\"Managed\",\"userManaged\":{\"storageAccountURI\":\"https://a\"}}}",
       "spec.diagnostics.boot.userManaged.storageAccountURI", "cannot be set when storageAccountType is 'Managed'"},
      {"spec.capacityReservationGroupID", "\"crg\"", "spec.capacityReservationGroupID", "must be a valid Azure resource ID"},
      {"spec.virtualMachineScaleSetID", "\"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v\"",
       "spec.virtualMachineScaleSetID", "must be a valid Azure Virtual Machine Scale Set resource ID"},
      {"spec.subnetName", "\"legacy\"", "spec.networkInterfaces", "cannot set both networkInterfaces and machine subnetName"},
      {"spec.networkInterfaces", "[{\"privateIPConfigs\":-1}]", "spec.networkInterfaces[0].privateIPConfigs",
       "number of privateIPConfigs per interface must be at least 1"},
        };
  run_cases(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

START_TEST(tag_limits) {
  char value[300], json[400];
  memset(value, 'v', 257);
  value[257] = '\0';
  snprintf(json, sizeof json, "{\"k\":\"%s\"}", value);
  cJSON *m = base();
  smt_set_json(m, "spec.additionalTags", json);
  expect_err(m, NULL, "spec.additionalTags[k]", "tag values must be at most 256 characters long");
  value[256] = '\0';
  snprintf(json, sizeof json, "{\"k\":\"%s\"}", value);
  m = base();
  smt_set_json(m, "spec.additionalTags", json);
  expect_ok(m, NULL);
}
END_TEST

START_TEST(extension_and_confidential_rules) {
  cJSON *m = base();
  smt_set_json(m, "spec.disableExtensionOperations", "true");
  smt_set_json(m, "spec.vmExtensions", "[{\"name\":\"e\",\"publisher\":\"p\",\"version\":\"1\"}]");
  expect_err(m, NULL, "spec.vmExtensions", "VMExtensions must be empty when DisableExtensionOperations is true");
  m = base();
  smt_set_json(m, "spec.osDisk.managedDisk", "{\"storageAccountType\":\"Premium_LRS\",\"securityProfile\":"
                                             "{\"securityEncryptionType\":\"DiskWithVMGuestState\"}}");
  smt_set_json(m, "spec.securityProfile", "{\"securityType\":\"TrustedLaunch\",\"encryptionAtHost\":true,"
                                          "\"uefiSettings\":{\"vTpmEnabled\":true}}");
  cJSON *m2 = cJSON_Duplicate(m, true), *m3 = cJSON_Duplicate(m, true);
  expect_err(m, NULL, "spec.securityProfile.securityType", "SecurityType should be set to 'ConfidentialVM'");
  expect_err(m2, NULL, "spec.securityProfile.encryptionAtHost", "EncryptionAtHost cannot be set to 'true'");
  expect_err(m3, NULL, "spec.securityProfile.uefiSettings.secureBootEnabled", "SecureBootEnabled should be set to true");
  /* the systemAssigned role name must be a GUID */
  m = base();
  smt_set_str(m, "spec.identity", "SystemAssigned");
  smt_del(m, "spec.userAssignedIdentities");
  smt_set_json(m, "spec.systemAssignedIdentityRole", "{\"name\":\"not-a-guid\",\"scope\":\"/s\",\"definitionID\":\"/d\"}");
  expect_err(m, NULL, "spec.systemAssignedIdentityRole.name", "Role assignment name must be a valid GUID");
}
END_TEST

START_TEST(update_rules) {
  static const smt_case cases[] = {
      {"spec.image", "{\"id\":\"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/images/i\"}", "spec.image", "field is immutable"},
      {"spec.osDisk.diskSizeGB", "256", "spec.osDisk", "field is immutable"},
      {"spec.dataDisks", "[]", "spec.dataDisks", "field is immutable"},
      {"spec.sshPublicKey", "\"c3NoLXJzYQ==\"", "spec.sshPublicKey", "field is immutable"},
      {"spec.identity", "\"None\"", "spec.identity", "field is immutable"},
      {"spec.allocatePublicIP", "true", "spec.allocatePublicIP", "field is immutable"},
      {"spec.spotVMOptions", "{}", "spec.spotVMOptions", "field is immutable"},
      {"spec.diagnostics", "{\"boot\":{\"storageAccountType\":\"Disabled\"}}", "spec.diagnostics", "field is immutable"},
      {"spec.networkInterfaces", "[{\"subnetName\":\"a\",\"privateIPConfigs\":2}]", "spec.networkInterfaces", "field is immutable"},
      {"spec.disableVMBootstrapExtension", "false", "spec.disableVMBootstrapExtension", "field is immutable"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *old = base(), *m = cJSON_Duplicate(old, true);
    if (strcmp(cases[i].path, "spec.disableVMBootstrapExtension") == 0) smt_set_json(old, cases[i].path, "true");
    smt_set_json(m, cases[i].path, cases[i].json);
    expect_err(m, old, cases[i].field, cases[i].want);
  }
  /* vmSize may change; the first NIC's subnetName may be filled in; the legacy field may be unset */
  cJSON *old = base(), *m = cJSON_Duplicate(old, true);
  smt_set_str(m, "spec.vmSize", "Standard_D8s_v3");
  smt_set_str(m, "spec.networkInterfaces[0].subnetName", "node-subnet");
  expect_ok(m, old);
  old = base();
  smt_set_json(old, "spec.acceleratedNetworking", "true");
  smt_del(old, "spec.networkInterfaces");
  m = base();
  smt_set_json(m, "spec.networkInterfaces", "[{\"acceleratedNetworking\":true,\"privateIPConfigs\":1}]");
  expect_ok(m, old);
}
END_TEST

START_TEST(template_rules) {
  cJSON *t = smt_template_obj("cluster-template.yaml", "AzureMachineTemplate", SM_T_CLUSTER "-md-0");
  capz_err err;
  ck_assert_int_eq(sm_azuremachinetemplate_default(t, &err), 0);
  cJSON *bad = cJSON_Duplicate(t, true);
  smt_set_str(bad, TPL "roleAssignmentName", "8f6a1c1e-1111-4222-8333-444455556666");
  sm_errors errs;
  sm_errors_init(&errs);
  ck_assert_int_gt(sm_azuremachinetemplate_validate_errs(bad, NULL, false, &errs), 0);
  ck_assert_ptr_nonnull(sm_errors_find(&errs, TPL "roleAssignmentName"));
  sm_errors_free(&errs);
  cJSON_Delete(bad);
  /* update: any spec change is rejected unless it is a topology dry-run */
  cJSON *changed = cJSON_Duplicate(t, true);
  smt_set_str(changed, TPL "vmSize", "Standard_D8s_v3");
  ck_assert_int_eq(sm_azuremachinetemplate_validate_errs(changed, t, false, &errs), 1);
  ck_assert_ptr_nonnull(sm_errors_find(&errs, "spec.template.spec"));
  sm_errors_free(&errs);
  ck_assert_int_eq(sm_azuremachinetemplate_validate_errs(changed, t, true, &errs), 0);
  cJSON_Delete(changed);
  /* an old template stored before defaulting (no key, no NICs) equals its defaulted update */
  cJSON *old = smt_template_obj("cluster-template.yaml", "AzureMachineTemplate", SM_T_CLUSTER "-md-0");
  char msg[2048];
  ck_assert_msg(sm_azuremachinetemplate_validate(t, old, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(old);
  cJSON_Delete(t);
}
END_TEST

Suite *smt_machine_validate_suite(void) {
  Suite *s = suite_create("machine_validate");
  TCase *tc = tcase_create("validate");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, valid_base);
  tcase_add_test(tc, spec_rules);
  tcase_add_test(tc, tag_limits);
  tcase_add_test(tc, extension_and_confidential_rules);
  tcase_add_test(tc, update_rules);
  tcase_add_test(tc, template_rules);
  suite_add_tcase(s, tc);
  return s;
}
