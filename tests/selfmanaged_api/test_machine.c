/* test_machine.c — AzureMachine / AzureMachineTemplate defaulting, SSH keys, default image. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include "selfmanaged_api.h"
#include "sm_test_util.h"

#define TPL "spec.template.spec."

static cJSON *machine(const char *spec_json) {
  char buf[4096];
  snprintf(buf, sizeof buf,
           "{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureMachine\","
           "\"metadata\":{\"name\":\"m1\",\"namespace\":\"default\"},\"spec\":%s}", spec_json);
  cJSON *o = cJSON_Parse(buf);
  ck_assert_ptr_nonnull(o);
  return o;
}

/* Decodes the stored key and returns the authorized_keys line (malloc'ed). */
static char *decoded_key(const char *b64) {
  size_t n = strlen(b64);
  unsigned char *out = calloc(1, n + 1);
  ck_assert_ptr_nonnull(out);
  int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
  ck_assert_int_gt(len, 0);
  return (char *)out;
}

START_TEST(template_defaults_generate_key) {
  cJSON *t = smt_template_obj("cluster-template.yaml", "AzureMachineTemplate", SM_T_CLUSTER "-control-plane");
  ck_assert_str_eq(smt_str(t, TPL "sshPublicKey"), ""); /* ${AZURE_SSH_PUBLIC_KEY_B64:=""} */
  capz_err err;
  ck_assert_int_eq(sm_azuremachinetemplate_default(t, &err), 0);
  const char *key = smt_str(t, TPL "sshPublicKey");
  ck_assert_ptr_nonnull(key);
  ck_assert_ptr_null(sm_ssh_public_key_problem(key));
  char *line = decoded_key(key);
  ck_assert(strncmp(line, "ssh-rsa AAAAB3NzaC1yc2E", 23) == 0);
  ck_assert(line[strlen(line) - 1] == '\n');
  /* RSA-2048: the blob is 279 bytes (372 base64 chars) */
  ck_assert_uint_eq(strlen(line), strlen("ssh-rsa \n") + 372);
  free(line);
  ck_assert_int_eq((int)smt_num(t, TPL "dataDisks[0].lun"), 0);
  ck_assert_str_eq(smt_str(t, TPL "dataDisks[0].cachingType"), "ReadWrite");
  ck_assert_int_eq((int)smt_num(t, TPL "networkInterfaces[0].privateIPConfigs"), 1);
  ck_assert_str_eq(smt_str(t, TPL "osDisk.cachingType"), "None");
  /* a second defaulting keeps the key: keys are only generated when absent */
  char *first = strdup(key);
  ck_assert_int_eq(sm_azuremachinetemplate_default(t, &err), 0);
  ck_assert_str_eq(smt_str(t, TPL "sshPublicKey"), first);
  free(first);
  char msg[2048];
  ck_assert_msg(sm_azuremachinetemplate_validate(t, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(t);
}
END_TEST

START_TEST(two_keys_differ) {
  capz_err err;
  char *a = sm_ssh_generate_public_key_b64(&err), *b = sm_ssh_generate_public_key_b64(&err);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_str_ne(a, b);
  free(a);
  free(b);
}
END_TEST

START_TEST(ssh_key_validation) {
  /* ed25519 and ecdsa keys are accepted too (with options and a comment) */
  const char *ed = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUdGaVkyUmxabWRvYVdwcmJHMXViM0J4Y25OMGRYWjNlSGw2TURFeU16UTEgdXNlckBob3N0Cg==";
  ck_assert_ptr_null(sm_ssh_public_key_problem(ed));
  ck_assert_str_eq(sm_ssh_public_key_problem("not base64!"), "the SSH public key is not properly base64 encoded");
  ck_assert_str_eq(sm_ssh_public_key_problem("aGVsbG8gd29ybGQ="), "the SSH public key is not valid"); /* "hello world" */
  ck_assert_str_eq(sm_ssh_public_key_problem(""), "the SSH public key is not valid");
}
END_TEST

START_TEST(machine_identity_defaults) {
  cJSON *m = machine("{\"vmSize\":\"Standard_D2s_v3\",\"osDisk\":{\"osType\":\"Linux\",\"diskSizeGB\":30},"
                     "\"identity\":\"SystemAssigned\"}");
  capz_err err;
  ck_assert_int_eq(sm_azuremachine_default(m, SM_T_SUB, &err), 0);
  const char *name = smt_str(m, "spec.systemAssignedIdentityRole.name");
  ck_assert_ptr_nonnull(name);
  ck_assert_uint_eq(strlen(name), 36);
  ck_assert_int_eq(name[14], '4'); /* random UUID */
  ck_assert_str_eq(smt_str(m, "spec.systemAssignedIdentityRole.scope"), "/subscriptions/" SM_T_SUB "/");
  ck_assert_str_eq(smt_str(m, "spec.systemAssignedIdentityRole.definitionID"),
                   "/subscriptions/" SM_T_SUB "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c");
  ck_assert_str_eq(smt_str(m, "spec.diagnostics.boot.storageAccountType"), "Managed");
  char msg[2048];
  ck_assert_msg(sm_azuremachine_validate(m, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(m);
  /* deprecated roleAssignmentName moves into the role; without a subscription scope stays empty */
  m = machine("{\"vmSize\":\"x\",\"osDisk\":{\"osType\":\"Linux\"},\"identity\":\"SystemAssigned\","
              "\"roleAssignmentName\":\"8f6a1c1e-1111-4222-8333-444455556666\"}");
  ck_assert_int_eq(sm_azuremachine_default(m, NULL, &err), 0);
  ck_assert_str_eq(smt_str(m, "spec.systemAssignedIdentityRole.name"), "8f6a1c1e-1111-4222-8333-444455556666");
  ck_assert_ptr_null(smt_at(m, "spec.roleAssignmentName"));
  ck_assert_ptr_null(smt_at(m, "spec.systemAssignedIdentityRole.scope"));
  sm_errors errs;
  sm_errors_init(&errs);
  ck_assert_int_gt(sm_azuremachine_validate_errs(m, NULL, &errs), 0);
  ck_assert_ptr_nonnull(sm_errors_find(&errs, "spec.systemAssignedIdentityRole.definitionID"));
  ck_assert_ptr_nonnull(sm_errors_find(&errs, "spec.systemAssignedIdentityRole.scope"));
  sm_errors_free(&errs);
  cJSON_Delete(m);
}
END_TEST

START_TEST(machine_disk_spot_nic_defaults) {
  cJSON *m = machine("{\"vmSize\":\"x\",\"osDisk\":{\"osType\":\"Linux\",\"diffDiskSettings\":{\"option\":\"Local\"},"
                     "\"cachingType\":\"ReadOnly\"},\"spotVMOptions\":{},"
                     "\"dataDisks\":[{\"nameSuffix\":\"a\",\"diskSizeGB\":10,\"lun\":1},{\"nameSuffix\":\"b\",\"diskSizeGB\":10},"
                     "{\"nameSuffix\":\"c\",\"diskSizeGB\":10,\"managedDisk\":{\"storageAccountType\":\"UltraSSD_LRS\"}}],"
                     "\"subnetName\":\"node-subnet\",\"acceleratedNetworking\":true,\"diagnostics\":{}}");
  capz_err err;
  ck_assert_int_eq(sm_azuremachine_default(m, SM_T_SUB, &err), 0);
  ck_assert_int_eq((int)smt_num(m, "spec.dataDisks[1].lun"), 0);
  ck_assert_int_eq((int)smt_num(m, "spec.dataDisks[2].lun"), 2);
  ck_assert_str_eq(smt_str(m, "spec.dataDisks[1].cachingType"), "ReadWrite");
  ck_assert_str_eq(smt_str(m, "spec.dataDisks[2].cachingType"), "None");
  ck_assert_str_eq(smt_str(m, "spec.spotVMOptions.evictionPolicy"), "Delete"); /* ephemeral OS disk */
  ck_assert_str_eq(smt_str(m, "spec.networkInterfaces[0].subnetName"), "node-subnet");
  ck_assert(cJSON_IsTrue(smt_at(m, "spec.networkInterfaces[0].acceleratedNetworking")));
  ck_assert_ptr_null(smt_at(m, "spec.subnetName"));
  ck_assert_ptr_null(smt_at(m, "spec.acceleratedNetworking"));
  ck_assert_str_eq(smt_str(m, "spec.diagnostics.boot.storageAccountType"), "Managed");
  ck_assert_str_eq(smt_str(m, "spec.identity"), "None");
  char msg[2048];
  ck_assert_msg(sm_azuremachine_validate(m, NULL, msg, sizeof msg) == 0, "%s", msg);
  cJSON_Delete(m);
  m = machine("{\"vmSize\":\"x\",\"osDisk\":{\"osType\":\"Linux\"},\"spotVMOptions\":{}}");
  ck_assert_int_eq(sm_azuremachine_default(m, NULL, &err), 0);
  ck_assert_str_eq(smt_str(m, "spec.spotVMOptions.evictionPolicy"), "Deallocate");
  cJSON_Delete(m);
}
END_TEST

START_TEST(default_images) {
  capz_err err;
  cJSON *img = sm_default_image("Linux", "v1.31.1", &err);
  ck_assert_ptr_nonnull(img);
  ck_assert_str_eq(smt_str(img, "computeGallery.gallery"), "ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019");
  ck_assert_str_eq(smt_str(img, "computeGallery.name"), "capi-ubun2-2404");
  ck_assert_str_eq(smt_str(img, "computeGallery.version"), "1.31.1");
  cJSON_Delete(img);
  img = sm_default_image(NULL, "1.28.5", &err);
  ck_assert_str_eq(smt_str(img, "marketplace.publisher"), "cncf-upstream");
  ck_assert_str_eq(smt_str(img, "marketplace.offer"), "capi");
  ck_assert_str_eq(smt_str(img, "marketplace.sku"), "ubuntu-2204-gen1");
  ck_assert_str_eq(smt_str(img, "marketplace.version"), "128.5.20240102");
  cJSON_Delete(img);
  img = sm_default_image("Windows", "v1.29.3", &err);
  ck_assert_str_eq(smt_str(img, "marketplace.offer"), "capi-windows");
  ck_assert_str_eq(smt_str(img, "marketplace.version"), "129.3.20240327");
  cJSON_Delete(img);
  img = sm_default_image("Windows", "v1.32.0", &err);
  ck_assert_str_eq(smt_str(img, "computeGallery.name"), "capi-win-2022-containerd");
  cJSON_Delete(img);
  img = sm_default_image("Linux", "v1.30", &err); /* tolerant: 1.30.0 is a marketplace version */
  ck_assert_str_eq(smt_str(img, "marketplace.version"), "130.0.20240506");
  cJSON_Delete(img);
  ck_assert_ptr_null(sm_default_image("Linux", "latest", &err));
  ck_assert_int_eq(err.code, CAPZ_EINVAL);
}
END_TEST

Suite *smt_machine_suite(void) {
  Suite *s = suite_create("machine_defaults");
  TCase *tc = tcase_create("defaults");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, template_defaults_generate_key);
  tcase_add_test(tc, two_keys_differ);
  tcase_add_test(tc, ssh_key_validation);
  tcase_add_test(tc, machine_identity_defaults);
  tcase_add_test(tc, machine_disk_spot_nic_defaults);
  tcase_add_test(tc, default_images);
  suite_add_tcase(s, tc);
  return s;
}
