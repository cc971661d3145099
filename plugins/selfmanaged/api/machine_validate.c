/* machine_validate.c — AzureMachineSpec validation (CAPZ validateAzureMachineSpec) and AzureMachine
 * create/update admission. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "sm_internal.h"

static bool is_guid(const char *s) {
  /* uuid.Validate: 8-4-4-4-12 hex, optionally braced or urn:uuid: prefixed. */
  if (strncasecmp(s, "urn:uuid:", 9) == 0) s += 9;
  size_t len = strlen(s);
  if (len == 38 && s[0] == '{' && s[37] == '}') s++, len = 36;
  if (len == 32) {
    for (size_t i = 0; i < 32; i++)
      if (!isxdigit((unsigned char)s[i])) return false;
    return true;
  }
  if (len != 36) return false;
  for (size_t i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i])) return false;
  }
  return true;
}

static void network_validate(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const cJSON *nics = sm_child(spec, "networkInterfaces");
  sm_path(p, "%s.networkInterfaces", prefix);
  if (sm_len(spec, "networkInterfaces") > 0 && !sm_str_empty(spec, "subnetName")) {
    sm_err_invalid_j(errs, p, nics, "cannot set both networkInterfaces and machine subnetName");
    return;
  }
  if (sm_len(spec, "networkInterfaces") > 0 && sm_present(spec, "acceleratedNetworking")) {
    sm_err_invalid_j(errs, p, nics, "cannot set both networkInterfaces and machine acceleratedNetworking");
    return;
  }
  int i = 0;
  const cJSON *nic;
  cJSON_ArrayForEach(nic, nics) {
    double n = 0;
    sm_num(nic, "privateIPConfigs", &n);
    if (n < 1) {
      sm_path(p, "%s.networkInterfaces[%d].privateIPConfigs", prefix, i);
      sm_err_invalid_n(errs, p, n, "number of privateIPConfigs per interface must be at least 1");
    }
    i++;
  }
}

static void identity_validate(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const char *type = sm_str0(spec, "identity");
  const cJSON *uais = sm_child(spec, "userAssignedIdentities");
  sm_path(p, "%s.userAssignedIdentities", prefix);
  if (sm_len(spec, "userAssignedIdentities") > 0 && strcmp(type, "UserAssigned") != 0)
    sm_err_invalid_s(errs, p, type, "must be set to 'UserAssigned' when assigning any user identity to the machine");
  if (strcmp(type, "UserAssigned") == 0) {
    if (sm_len(spec, "userAssignedIdentities") == 0)
      sm_err_required(errs, p, "must be specified for the 'UserAssigned' identity type");
    int i = 0;
    const cJSON *u;
    cJSON_ArrayForEach(u, uais) {
      const char *id = sm_str0(u, "providerID");
      if (*id && !sm_resource_id_parse(id, NULL, 0)) {
        sm_path(p, "%s.userAssignedIdentities[%d].providerID", prefix, i);
        sm_err_invalid_s(errs, p, id, "must be a valid Azure resource ID");
      }
      i++;
    }
  }
  const cJSON *role = sm_child(spec, "systemAssignedIdentityRole");
  bool has_role = cJSON_IsObject(role);
  if (!sm_str_empty(spec, "roleAssignmentName") && !sm_str_empty(role, "name")) {
    sm_path(p, "%s.systemAssignedIdentityRole.name", prefix);
    sm_err_invalid_s(errs, p, sm_str(role, "name"), "cannot set both roleAssignmentName and systemAssignedIdentityRole.name");
  }
  if (strcmp(type, "SystemAssigned") == 0 && has_role) {
    if (sm_str_empty(role, "definitionID")) {
      sm_path(p, "%s.systemAssignedIdentityRole.definitionID", prefix);
      sm_err_invalid_s(errs, p, "", "the definitionID field cannot be empty");
    }
    if (sm_str_empty(role, "scope")) {
      sm_path(p, "%s.systemAssignedIdentityRole.scope", prefix);
      sm_err_invalid_s(errs, p, "", "the scope field cannot be empty");
    }
  }
  if (strcmp(type, "SystemAssigned") != 0 && has_role) {
    sm_path(p, "%s.systemAssignedIdentityRole", prefix);
    sm_err_forbidden(errs, p, "systemAssignedIdentityRole can only be set when identity is set to SystemAssigned");
  }
}

static void diagnostics_validate(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const cJSON *boot = sm_at(spec, "diagnostics.boot");
  if (!cJSON_IsObject(boot)) return;
  const char *t = sm_str0(boot, "storageAccountType");
  const cJSON *um = sm_child(boot, "userManaged");
  if (strcmp(t, "UserManaged") == 0) {
    if (!cJSON_IsObject(um)) {
      sm_path(p, "%s.diagnostics.boot.userManaged", prefix);
      sm_err_required(errs, p, "userManaged must be specified when storageAccountType is 'UserManaged'");
    } else if (sm_str_empty(um, "storageAccountURI")) {
      sm_path(p, "%s.diagnostics.boot.userManaged.storageAccountURI", prefix);
      sm_err_required(errs, p, "StorageAccountURI cannot be empty when storageAccountType is 'UserManaged'");
    }
  } else if ((strcmp(t, "Managed") == 0 || strcmp(t, "Disabled") == 0) && !sm_str_empty(um, "storageAccountURI")) {
    sm_path(p, "%s.diagnostics.boot.userManaged.storageAccountURI", prefix);
    sm_err_invalid_s(errs, p, sm_str(um, "storageAccountURI"),
                     "StorageAccountURI cannot be set when storageAccountType is '%s'", t);
  }
}

static void confidential_validate(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const char *enc = sm_str0(sm_at(spec, "osDisk.managedDisk.securityProfile"), "securityEncryptionType");
  const cJSON *prof = sm_child(spec, "securityProfile");
  if (!cJSON_IsObject(prof) || !*enc) return;
  if (!sm_str_eq(prof, "securityType", "ConfidentialVM")) {
    sm_path(p, "%s.securityProfile.securityType", prefix);
    sm_err_invalid_s(errs, p, sm_str0(prof, "securityType"),
                     "SecurityType should be set to 'ConfidentialVM' when securityEncryptionType is defined");
  }
  const cJSON *uefi = sm_child(prof, "uefiSettings");
  if (!cJSON_IsObject(uefi)) {
    sm_path(p, "%s.securityProfile.uefiSettings", prefix);
    sm_err_invalid_j(errs, p, NULL, "UefiSettings should be set when securityEncryptionType is defined");
  } else if (!sm_true(uefi, "vTpmEnabled")) {
    sm_path(p, "%s.securityProfile.uefiSettings.vTpmEnabled", prefix);
    sm_err_invalid_j(errs, p, sm_child(uefi, "vTpmEnabled"), "VTpmEnabled should be set to true when securityEncryptionType is defined");
  }
  if (strcmp(enc, "DiskWithVMGuestState") == 0) {
    if (sm_true(prof, "encryptionAtHost")) {
      sm_path(p, "%s.securityProfile.encryptionAtHost", prefix);
      sm_err_invalid_j(errs, p, sm_child(prof, "encryptionAtHost"),
                       "EncryptionAtHost cannot be set to 'true' when securityEncryptionType is set to 'DiskWithVMGuestState'");
    }
    if (cJSON_IsObject(uefi) && !sm_true(uefi, "secureBootEnabled")) {
      sm_path(p, "%s.securityProfile.uefiSettings.secureBootEnabled", prefix);
      sm_err_invalid_j(errs, p, sm_child(uefi, "secureBootEnabled"),
                       "SecureBootEnabled should be set to true when securityEncryptionType is set to 'DiskWithVMGuestState'");
    }
  }
}

static void ids_validate(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX], type[256];
  if (sm_present(spec, "capacityReservationGroupID")) {
    const char *id = sm_str0(spec, "capacityReservationGroupID");
    if (!sm_resource_id_parse(id, NULL, 0)) {
      sm_path(p, "%s.capacityReservationGroupID", prefix);
      sm_err_invalid_s(errs, p, id, "must be a valid Azure resource ID");
    }
  }
  if (sm_present(spec, "virtualMachineScaleSetID")) {
    const char *id = sm_str0(spec, "virtualMachineScaleSetID");
    sm_path(p, "%s.virtualMachineScaleSetID", prefix);
    if (!sm_resource_id_parse(id, type, sizeof type))
      sm_err_invalid_s(errs, p, id, "must be a valid Azure resource ID");
    else if (strcasecmp(type, "Microsoft.Compute/virtualMachineScaleSets") != 0)
      sm_err_invalid_s(errs, p, id, "must be a valid Azure Virtual Machine Scale Set resource ID");
  }
  if (sm_true(spec, "disableExtensionOperations") && sm_len(spec, "vmExtensions") > 0) {
    sm_path(p, "%s.vmExtensions", prefix);
    sm_err_forbidden(errs, p, "VMExtensions must be empty when DisableExtensionOperations is true");
  }
}

/* Fields the CRD schema marks required (the API server rejects these before any webhook). */
static void schema_required(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  if (sm_str_empty(spec, "vmSize")) {
    sm_path(p, "%s.vmSize", prefix);
    sm_err_required(errs, p, "%s", "");
  }
  if (!cJSON_IsObject(sm_child(spec, "osDisk"))) {
    sm_path(p, "%s.osDisk", prefix);
    sm_err_required(errs, p, "%s", "");
  }
}

void sm_machinespec_validate(const cJSON *spec, const char *prefix, sm_errors *errs) {
  char p[SM_PATH_MAX];
  schema_required(spec, prefix, errs);
  sm_path(p, "%s.image", prefix);
  sm_image_validate(sm_child(spec, "image"), p, errs);
  if (cJSON_IsObject(sm_child(spec, "osDisk"))) {
    sm_path(p, "%s.osDisk", prefix);
    sm_osdisk_validate(sm_child(spec, "osDisk"), p, errs);
  }
  confidential_validate(spec, prefix, errs);
  const char *why = sm_ssh_public_key_problem(sm_str0(spec, "sshPublicKey"));
  if (why) {
    sm_path(p, "%s.sshPublicKey", prefix);
    sm_err_invalid_s(errs, p, sm_str0(spec, "sshPublicKey"), "%s", why);
  }
  identity_validate(spec, prefix, errs);
  sm_path(p, "%s.dataDisks", prefix);
  sm_datadisks_validate(sm_child(spec, "dataDisks"), p, errs);
  diagnostics_validate(spec, prefix, errs);
  network_validate(spec, prefix, errs);
  ids_validate(spec, prefix, errs);
  sm_path(p, "%s.additionalTags", prefix);
  sm_tags_validate(sm_child(spec, "additionalTags"), p, errs);
}

/* Role assignment name: a GUID for SystemAssigned, immutable, forbidden otherwise (CAPZ
 * ValidateSystemAssignedIdentity, run on create with no old value). */
static void role_name_validate(const cJSON *spec, sm_errors *errs) {
  const char *name = sm_str0(sm_child(spec, "systemAssignedIdentityRole"), "name");
  if (sm_str_eq(spec, "identity", "SystemAssigned")) {
    if (!is_guid(name))
      sm_err_invalid_s(errs, "spec.systemAssignedIdentityRole.name", name,
                       "Role assignment name must be a valid GUID. It is optional and will be auto-generated when not "
                       "specified.");
  } else if (*name) {
    sm_err_forbidden(errs, "spec.systemAssignedIdentityRole.name",
                     "Role assignment name should only be set when using system assigned identity.");
  }
}

/* Fields that are Go pointers in CAPZ's types: `{}` differs from absent. */
static bool pointer_field(const char *key) {
  static const char *const keys[] = {"image", "systemAssignedIdentityRole", "spotVMOptions", "securityProfile",
                                     "diagnostics", "capacityReservationGroupID", "virtualMachineScaleSetID",
                                     "disableExtensionOperations", "disableVMBootstrapExtension",
                                     "acceleratedNetworking", NULL};
  for (int i = 0; keys[i]; i++)
    if (strcmp(keys[i], key) == 0) return true;
  return false;
}

static void immutable(const cJSON *spec, const cJSON *old, const char *key, sm_errors *errs) {
  char p[SM_PATH_MAX];
  bool same = sm_field_equal(spec, old, key, true) &&
              !(pointer_field(key) && sm_present(spec, key) != sm_present(old, key));
  if (same) return;
  sm_path(p, "spec.%s", key);
  sm_err_invalid_j(errs, p, sm_child(spec, key), "field is immutable");
}

static void update_validate(const cJSON *spec, const cJSON *old, sm_errors *errs) {
  static const char *const keys[] = {"image", "identity", "systemAssignedIdentityRole", "userAssignedIdentities",
                                     "roleAssignmentName", "osDisk", "dataDisks", "sshPublicKey", "allocatePublicIP",
                                     "enableIPForwarding", "spotVMOptions", "securityProfile",
                                     "capacityReservationGroupID", "virtualMachineScaleSetID",
                                     "disableExtensionOperations", NULL};
  for (int i = 0; keys[i]; i++) immutable(spec, old, keys[i], errs);
  /* Unsetting the deprecated field is allowed (defaulting moves it into networkInterfaces). */
  if (sm_present(spec, "acceleratedNetworking")) immutable(spec, old, "acceleratedNetworking", errs);
  if (sm_present(old, "diagnostics")) immutable(spec, old, "diagnostics", errs);
  if (sm_present(old, "disableVMBootstrapExtension")) immutable(spec, old, "disableVMBootstrapExtension", errs);
  if (!sm_field_equal(spec, old, "networkInterfaces", true)) {
    /* Compare against old as defaulting would have rewritten it; the first NIC's subnetName
     * may be filled in later. */
    cJSON *o = cJSON_Duplicate(old, true);
    bool oom = !o;
    if (o) sm_machinespec_default_nics(o, &oom);
    cJSON *on = cJSON_GetArrayItem(sm_child(o, "networkInterfaces"), 0);
    cJSON *nn = cJSON_GetArrayItem(sm_child(spec, "networkInterfaces"), 0);
    if (on && nn && sm_str_empty(on, "subnetName") && !sm_str_empty(nn, "subnetName") &&
        !sm_set_str(on, "subnetName", sm_str(nn, "subnetName")))
      oom = true;
    if (oom) errs->oom = true;
    else if (!sm_field_equal(spec, o, "networkInterfaces", true))
      sm_err_invalid_j(errs, "spec.networkInterfaces", sm_child(spec, "networkInterfaces"), "field is immutable");
    cJSON_Delete(o);
  }
}

int sm_azuremachine_validate_errs(const cJSON *obj, const cJSON *old, sm_errors *errs) {
  size_t before = errs->count;
  const cJSON *spec = sm_child(obj, "spec");
  if (old) {
    update_validate(spec, sm_child(old, "spec"), errs);
  } else {
    sm_machinespec_validate(spec, "spec", errs);
    role_name_validate(spec, errs);
  }
  return sm_errors_result(errs, before);
}

int sm_azuremachine_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  sm_errors errs;
  sm_errors_init(&errs);
  sm_azuremachine_validate_errs(obj, old, &errs);
  return sm_validate_finish(&errs, "AzureMachine", obj, msg, n);
}
