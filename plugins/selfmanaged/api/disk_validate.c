/* disk_validate.c — OS/data disk validation (CAPZ ValidateOSDisk, ValidateDataDisks). */
#include <string.h>
#include "sm_internal.h"

static const char *const storage_types[] = {"PremiumV2_LRS", "Premium_LRS",  "Premium_ZRS", "StandardSSD_LRS",
                                            "StandardSSD_ZRS", "Standard_LRS", "UltraSSD_LRS", NULL};
static const char *const caching_types[] = {"None", "ReadOnly", "ReadWrite", NULL};

static bool in_list(const char *v, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (strcmp(v, list[i]) == 0) return true;
  return false;
}

static void caching_validate(const cJSON *disk, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const char *ct = sm_str0(disk, "cachingType");
  sm_path(p, "%s.cachingType", path);
  if (sm_str_eq(sm_child(disk, "managedDisk"), "storageAccountType", "UltraSSD_LRS") && strcmp(ct, "None") != 0)
    sm_err_invalid_s(errs, p, ct,
                     "cachingType '%s' is not supported when storageAccountType is 'UltraSSD_LRS'. Allowed values "
                     "are: 'None'", ct);
  if (!in_list(ct, caching_types)) sm_err_invalid_s(errs, p, ct, "allowed values are [None ReadOnly ReadWrite]");
}

static void managed_disk_validate(const cJSON *md, const char *path, bool os_disk, sm_errors *errs) {
  char p[SM_PATH_MAX];
  const char *sat = sm_str0(md, "storageAccountType");
  sm_path(p, "%s.storageAccountType", path);
  if (os_disk && strcmp(sat, "UltraSSD_LRS") == 0)
    sm_err_invalid_s(errs, p, sat, "UltraSSD_LRS can only be used with data disks, it cannot be used with OS Disks");
  if (!*sat) sm_err_required(errs, p, "the Storage Account Type for Managed Disk cannot be empty");
  else if (!in_list(sat, storage_types))
    sm_err_invalid_s(errs, p, sat,
                     "allowed values are [PremiumV2_LRS Premium_LRS Premium_ZRS StandardSSD_LRS StandardSSD_ZRS "
                     "Standard_LRS UltraSSD_LRS]");
  const cJSON *sp = sm_child(md, "securityProfile");
  if (os_disk && sm_present(sp, "diskEncryptionSet") && !sm_str_eq(sp, "securityEncryptionType", "DiskWithVMGuestState")) {
    sm_path(p, "%s.securityProfile.diskEncryptionSet", path);
    sm_err_invalid_s(errs, p, sm_str0(sm_child(sp, "diskEncryptionSet"), "id"),
                     "diskEncryptionSet is only supported when securityEncryptionType is set to DiskWithVMGuestState");
  }
}

void sm_osdisk_validate(const cJSON *os, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  double size;
  if (sm_num(os, "diskSizeGB", &size) && (size <= 0 || size > 2048)) {
    sm_path(p, "%s.diskSizeGB", path);
    sm_err_invalid_n(errs, p, size, "the Disk size should be a value between 1 and 2048");
  }
  if (sm_str_empty(os, "osType")) {
    sm_path(p, "%s.osType", path);
    sm_err_required(errs, p, "the OS type cannot be empty");
  }
  caching_validate(os, path, errs);
  const cJSON *md = sm_child(os, "managedDisk");
  if (cJSON_IsObject(md)) {
    sm_path(p, "%s.managedDisk", path);
    managed_disk_validate(md, p, true, errs);
  }
  const cJSON *diff = sm_child(os, "diffDiskSettings");
  if (cJSON_IsObject(diff) && sm_present(md, "diskEncryptionSet")) {
    sm_path(p, "%s.managedDisk.diskEncryptionSet", path);
    sm_err_invalid_s(errs, p, sm_str0(sm_child(md, "diskEncryptionSet"), "id"),
                     "diskEncryptionSet is not supported when diffDiskSettings.option is 'Local'");
  }
  if (cJSON_IsObject(diff) && sm_present(diff, "placement") && !sm_str_eq(diff, "option", "Local")) {
    sm_path(p, "%s.diffDiskSettings", path);
    sm_err_invalid_j(errs, p, diff, "placement is only supported when diffDiskSettings.option is 'Local'");
  }
}

void sm_datadisks_validate(const cJSON *disks, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  int i = 0;
  const cJSON *d;
  cJSON_ArrayForEach(d, disks) {
    double size = 0, lun;
    sm_num(d, "diskSizeGB", &size);
    if (size < 4 || size > 32767) {
      sm_path(p, "%s[%d].diskSizeGB", path, i);
      sm_err_invalid_n(errs, p, size, "the disk size should be a value between 4 and 32767");
    }
    const char *suffix = sm_str0(d, "nameSuffix");
    if (!*suffix) {
      sm_path(p, "%s[%d].nameSuffix", path, i);
      sm_err_required(errs, p, "the name suffix cannot be empty");
    }
    for (const cJSON *e = disks->child; e != d; e = e->next) {
      if (strcmp(sm_str0(e, "nameSuffix"), suffix) == 0) {
        sm_path(p, "%s[%d].nameSuffix", path, i);
        sm_err_duplicate_s(errs, p, suffix);
        break;
      }
    }
    const cJSON *md = sm_child(d, "managedDisk");
    if (cJSON_IsObject(md)) {
      sm_path(p, "%s[%d].managedDisk", path, i);
      managed_disk_validate(md, p, false, errs);
    }
    sm_path(p, "%s[%d].lun", path, i);
    if (!sm_num(d, "lun", &lun)) {
      sm_err_required(errs, p, "LUN should not be nil");
    } else if (lun < 0 || lun > 63) {
      sm_err_invalid_n(errs, p, lun, "logical unit number must be between 0 and 63");
    } else {
      for (const cJSON *e = disks->child; e != d; e = e->next) {
        double other;
        if (sm_num(e, "lun", &other) && other == lun) {
          sm_err_duplicate_n(errs, p, lun);
          break;
        }
      }
    }
    sm_path(p, "%s[%d]", path, i);
    caching_validate(d, p, errs);
    i++;
  }
}
