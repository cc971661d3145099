/* machine_defaults.c — AzureMachine / AzureMachineTemplate defaulting (CAPZ SetDefaultsAzureMachine). */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sm_internal.h"

#define CONTRIBUTOR_ROLE_ID "b24988ac-6180-42a0-ab88-20f7382dd24c"

void sm_machinespec_schema_defaults(cJSON *spec, bool *oom) {
  bool good = true;
  if (!sm_present(spec, "identity")) good &= sm_set_str(spec, "identity", "None");
  cJSON *os = sm_child(spec, "osDisk");
  if (cJSON_IsObject(os)) {
    if (!sm_present(os, "cachingType")) good &= sm_set_str(os, "cachingType", "None");
    if (!sm_present(os, "osType")) good &= sm_set_str(os, "osType", "Linux");
  }
  cJSON *mp = sm_at(spec, "image.marketplace");
  if (cJSON_IsObject(mp) && !sm_present(mp, "thirdPartyImage")) good &= sm_set_bool(mp, "thirdPartyImage", false);
  if (!good) *oom = true;
}

bool sm_machinespec_default_sshkey(cJSON *spec, capz_err *err) {
  if (!sm_str_empty(spec, "sshPublicKey")) return true;
  char *key = sm_ssh_generate_public_key_b64(err);
  if (!key) return false;
  bool good = sm_set_str(spec, "sshPublicKey", key);
  free(key);
  if (!good) capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  return good;
}

void sm_machinespec_default_datadisks(cJSON *spec, bool *oom) {
  cJSON *disks = sm_child(spec, "dataDisks");
  int n = cJSON_IsArray(disks) ? cJSON_GetArraySize(disks) : 0;
  if (n == 0) return;
  bool used[64] = {false};
  cJSON *d;
  cJSON_ArrayForEach(d, disks) {
    double lun;
    if (sm_num(d, "lun", &lun) && lun >= 0 && lun < 64) used[(int)lun] = true;
  }
  cJSON_ArrayForEach(d, disks) {
    if (!cJSON_IsObject(d)) continue;
    /* Unassigned LUNs take the lowest free value below the number of disks (CAPZ). */
    if (!sm_present(d, "lun")) {
      for (int l = 0; l < n && l < 64; l++) {
        if (!used[l]) {
          used[l] = true;
          if (!sm_set_num(d, "lun", l)) *oom = true;
          break;
        }
      }
    }
    if (sm_str_empty(d, "cachingType")) {
      bool ultra = sm_str_eq(sm_child(d, "managedDisk"), "storageAccountType", "UltraSSD_LRS");
      if (!sm_set_str(d, "cachingType", ultra ? "None" : "ReadWrite")) *oom = true;
    }
  }
}

void sm_machinespec_default_nics(cJSON *spec, bool *oom) {
  bool legacy = !sm_str_empty(spec, "subnetName") || sm_present(spec, "acceleratedNetworking");
  int nics = sm_len(spec, "networkInterfaces");
  if (legacy && nics > 0) return; /* both set: left for validation to reject */
  if (nics == 0) {
    cJSON *nic = cJSON_CreateObject();
    bool good = nic != NULL;
    if (good && !sm_str_empty(spec, "subnetName")) good = sm_set_str(nic, "subnetName", sm_str(spec, "subnetName"));
    cJSON *an = sm_child(spec, "acceleratedNetworking");
    if (good && an && !cJSON_IsNull(an)) good = sm_set_item(nic, "acceleratedNetworking", cJSON_Duplicate(an, true));
    cJSON *arr = good ? cJSON_CreateArray() : NULL;
    if (!arr || !cJSON_AddItemToArray(arr, nic)) {
      cJSON_Delete(arr);
      cJSON_Delete(nic);
      *oom = true;
      return;
    }
    if (!sm_set_item(spec, "networkInterfaces", arr)) *oom = true;
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "subnetName");
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "acceleratedNetworking");
  }
  cJSON *nic;
  cJSON_ArrayForEach(nic, sm_child(spec, "networkInterfaces")) {
    double v = 0;
    if (cJSON_IsObject(nic) && (!sm_num(nic, "privateIPConfigs", &v) || v == 0) &&
        !sm_set_num(nic, "privateIPConfigs", 1))
      *oom = true;
  }
}

static bool uuid4(char out[37]) {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) return false;
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return true;
}

static int identity_defaults(cJSON *spec, const char *sub, bool *oom) {
  cJSON *role = sm_child(spec, "systemAssignedIdentityRole");
  if (!sm_str_empty(spec, "roleAssignmentName") && !sm_str_empty(role, "name")) return 0; /* rejected later */
  if (!sm_str_eq(spec, "identity", "SystemAssigned")) return 0;
  role = sm_obj(spec, "systemAssignedIdentityRole");
  if (!role) return *oom = true, 0;
  if (!sm_str_empty(spec, "roleAssignmentName")) {
    if (!sm_set_str(role, "name", sm_str(spec, "roleAssignmentName"))) *oom = true;
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "roleAssignmentName");
  } else if (sm_str_empty(role, "name")) {
    char id[37];
    if (!uuid4(id)) return CAPZ_EINTERNAL;
    if (!sm_set_str(role, "name", id)) *oom = true;
  }
  if (sub && *sub) {
    char buf[512];
    snprintf(buf, sizeof buf, "/subscriptions/%s/", sub);
    if (!sm_default_str(role, "scope", buf)) *oom = true;
    snprintf(buf, sizeof buf, "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s", sub,
             CONTRIBUTOR_ROLE_ID);
    if (!sm_default_str(role, "definitionID", buf)) *oom = true;
  }
  return 0;
}

static void spot_defaults(cJSON *spec, bool *oom) {
  cJSON *spot = sm_child(spec, "spotVMOptions");
  if (!cJSON_IsObject(spot) || sm_present(spot, "evictionPolicy")) return;
  bool ephemeral = sm_str_eq(sm_at(spec, "osDisk.diffDiskSettings"), "option", "Local");
  if (!sm_set_str(spot, "evictionPolicy", ephemeral ? "Delete" : "Deallocate")) *oom = true;
}

static void diagnostics_defaults(cJSON *spec, bool *oom) {
  cJSON *diag = sm_obj(spec, "diagnostics");
  if (!diag) return (void)(*oom = true);
  if (cJSON_IsObject(sm_child(diag, "boot"))) return;
  cJSON *boot = sm_obj(diag, "boot");
  if (!boot || !sm_set_str(boot, "storageAccountType", "Managed")) *oom = true;
}

int sm_azuremachine_default(cJSON *obj, const char *subscription_id, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "AzureMachine: not a JSON object");
  cJSON *spec = sm_obj(obj, "spec");
  if (!spec) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  bool oom = false;
  sm_machinespec_schema_defaults(spec, &oom);
  if (!sm_machinespec_default_sshkey(spec, err)) return err ? err->code : CAPZ_EINTERNAL;
  sm_machinespec_default_datadisks(spec, &oom);
  int rc = identity_defaults(spec, subscription_id, &oom);
  if (rc) return capz_err_set(err, rc, "generating a role assignment name failed");
  spot_defaults(spec, &oom);
  diagnostics_defaults(spec, &oom);
  sm_machinespec_default_nics(spec, &oom);
  if (oom) return capz_err_set(err, CAPZ_ENOMEM, "AzureMachine defaults: out of memory");
  return 0;
}

int sm_azuremachinetemplate_default(cJSON *obj, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "AzureMachineTemplate: not a JSON object");
  cJSON *spec = sm_obj(sm_obj(sm_obj(obj, "spec"), "template"), "spec");
  if (!spec) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  bool oom = false;
  sm_machinespec_schema_defaults(spec, &oom);
  if (!sm_machinespec_default_sshkey(spec, err)) return err ? err->code : CAPZ_EINTERNAL;
  sm_machinespec_default_datadisks(spec, &oom);
  sm_machinespec_default_nics(spec, &oom);
  if (oom) return capz_err_set(err, CAPZ_ENOMEM, "AzureMachineTemplate defaults: out of memory");
  return 0;
}
