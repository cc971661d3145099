/* machine_rows_vm.c — the AzureMachine's compute rows: availability set (region without zones), the disks (delete
 * only: created inline by the VM), and the VM itself (image, OS/data disks, SSH key, customData, identity, spot,
 * security profile, boot diagnostics, zone). customData (the bootstrap data) is never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/json.h"
#include "machine_run.h"
#include "selfmanaged_api.h"

static const char *const OWN_AS[] = {"/location", NULL};
static const char *const OWN_VM[] = {"/location", "/properties/hardwareProfile", NULL};

static cJSON *image_ref(m_run *r, capz_err *err) {
  const cJSON *img = capz_json_ptr_get(r->d, "/spec/image");
  cJSON *def = NULL;
  if (!img) {
    def = sm_default_image(m_str(r->d, "/spec/osDisk/osType"), m_str(r->machine, "/spec/version"), err);
    if (!def) return NULL;
    img = def;
  }
  cJSON *ref = cJSON_CreateObject();
  if (*m_str(img, "/id")) {
    cJSON_AddStringToObject(ref, "id", m_str(img, "/id"));
  } else if (capz_json_ptr_get(img, "/computeGallery")) {
    const cJSON *g = capz_json_ptr_get(img, "/computeGallery");
    char id[600];
    if (*m_str(g, "/subscriptionID"))
      snprintf(id, sizeof id,
               "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/%s/images/%s/versions/%s",
               m_str(g, "/subscriptionID"), m_str(g, "/resourceGroup"), m_str(g, "/gallery"), m_str(g, "/name"), m_str(g, "/version"));
    else
      snprintf(id, sizeof id, "/CommunityGalleries/%s/Images/%s/Versions/%s", m_str(g, "/gallery"), m_str(g, "/name"),
               m_str(g, "/version"));
    cJSON_AddStringToObject(ref, *m_str(g, "/subscriptionID") ? "id" : "communityGalleryImageId", id);
  } else if (capz_json_ptr_get(img, "/marketplace")) {
    const cJSON *m = capz_json_ptr_get(img, "/marketplace");
    cJSON_AddStringToObject(ref, "publisher", m_str(m, "/publisher"));
    cJSON_AddStringToObject(ref, "offer", m_str(m, "/offer"));
    cJSON_AddStringToObject(ref, "sku", m_str(m, "/sku"));
    cJSON_AddStringToObject(ref, "version", m_str(m, "/version"));
  } else if (capz_json_ptr_get(img, "/sharedGallery")) {
    const cJSON *g = capz_json_ptr_get(img, "/sharedGallery");
    char id[600];
    snprintf(id, sizeof id,
             "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/%s/images/%s/versions/%s",
             m_str(g, "/subscriptionID"), m_str(g, "/resourceGroup"), m_str(g, "/gallery"), m_str(g, "/name"), m_str(g, "/version"));
    cJSON_AddStringToObject(ref, "id", id);
  }
  cJSON_Delete(def);
  return ref;
}

/* The VM size's capability (from its resource SKU), or "" on the delete path where no SKU is loaded. */
static const char *sku_cap(const m_run *r, const char *name) {
  const char *v = r->sku ? sm_sku_capability(r->sku, name) : NULL;
  return v ? v : "";
}

/* OS disk: managed disk type, disk encryption set, confidential-VM disk security, ephemeral placement — as CAPZ
 * builds them, refusing what the VM size cannot do (terminal InvalidConfiguration, like CAPZ's terminal errors). */
static int os_disk_extras(const m_run *r, cJSON *os, capz_err *err) {
  const cJSON *md = capz_json_ptr_get(r->d, "/spec/osDisk/managedDisk");
  if (cJSON_IsObject(md)) {
    cJSON *m = cJSON_AddObjectToObject(os, "managedDisk");
    if (*m_str(md, "/storageAccountType")) cJSON_AddStringToObject(m, "storageAccountType", m_str(md, "/storageAccountType"));
    if (*m_str(md, "/diskEncryptionSet/id"))
      cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "diskEncryptionSet"), "id", m_str(md, "/diskEncryptionSet/id"));
    const cJSON *sp = capz_json_ptr_get(md, "/securityProfile");
    if (cJSON_IsObject(sp)) {
      if (r->sku && !*sku_cap(r, "ConfidentialComputingType"))
        return capz_err_set(err, CAPZ_EINVAL, "VM size %s does not support confidential computing: select a size "
                            "with a ConfidentialComputingType capability or remove osDisk.managedDisk.securityProfile",
                            m_str(r->d, "/spec/vmSize"));
      cJSON *x = cJSON_AddObjectToObject(m, "securityProfile");
      if (*m_str(sp, "/securityEncryptionType"))
        cJSON_AddStringToObject(x, "securityEncryptionType", m_str(sp, "/securityEncryptionType"));
      if (*m_str(sp, "/diskEncryptionSet/id"))
        cJSON_AddStringToObject(cJSON_AddObjectToObject(x, "diskEncryptionSet"), "id", m_str(sp, "/diskEncryptionSet/id"));
    }
  }
  const cJSON *diff = capz_json_ptr_get(r->d, "/spec/osDisk/diffDiskSettings");
  if (cJSON_IsObject(diff) && *m_str(diff, "/option")) {
    if (r->sku && strcasecmp(sku_cap(r, "EphemeralOSDiskSupported"), "True") != 0)
      return capz_err_set(err, CAPZ_EINVAL, "VM size %s does not support ephemeral OS disks",
                          m_str(r->d, "/spec/vmSize"));
    cJSON *x = cJSON_AddObjectToObject(os, "diffDiskSettings");
    cJSON_AddStringToObject(x, "option", m_str(diff, "/option"));
    if (*m_str(diff, "/placement")) cJSON_AddStringToObject(x, "placement", m_str(diff, "/placement"));
  }
  return 0;
}

/* VM securityProfile: encryption at host, Trusted Launch or confidential VM with their UEFI settings. */
static int security_profile(const m_run *r, cJSON *props, capz_err *err) {
  const cJSON *sp = capz_json_ptr_get(r->d, "/spec/securityProfile");
  if (!cJSON_IsObject(sp)) return 0;
  const char *size = m_str(r->d, "/spec/vmSize"), *type = m_str(sp, "/securityType");
  cJSON *x = cJSON_AddObjectToObject(props, "securityProfile");
  const cJSON *eah = cJSON_GetObjectItem(sp, "encryptionAtHost");
  if (cJSON_IsBool(eah)) {
    if (cJSON_IsTrue(eah) && r->sku && strcasecmp(sku_cap(r, "EncryptionAtHostSupported"), "True") != 0)
      return capz_err_set(err, CAPZ_EINVAL, "encryption at host is not supported for VM size %s", size);
    cJSON_AddBoolToObject(x, "encryptionAtHost", cJSON_IsTrue(eah));
  }
  if (strcmp(type, "ConfidentialVM") && strcmp(type, "TrustedLaunch")) return 0;
  if (r->sku && !strcmp(type, "ConfidentialVM") && !*sku_cap(r, "ConfidentialComputingType"))
    return capz_err_set(err, CAPZ_EINVAL, "VM size %s does not support confidential computing", size);
  if (r->sku && !strcmp(type, "TrustedLaunch") && !strcasecmp(sku_cap(r, "TrustedLaunchDisabled"), "True"))
    return capz_err_set(err, CAPZ_EINVAL, "VM size %s does not support Trusted Launch", size);
  cJSON_AddStringToObject(x, "securityType", type);
  const cJSON *uefi = cJSON_GetObjectItem(sp, "uefiSettings");
  if (cJSON_IsObject(uefi)) {
    cJSON *u = cJSON_AddObjectToObject(x, "uefiSettings");
    const cJSON *sb = cJSON_GetObjectItem(uefi, "secureBootEnabled"), *vt = cJSON_GetObjectItem(uefi, "vTpmEnabled");
    if (cJSON_IsBool(sb)) cJSON_AddBoolToObject(u, "secureBootEnabled", cJSON_IsTrue(sb));
    if (cJSON_IsBool(vt)) cJSON_AddBoolToObject(u, "vTpmEnabled", cJSON_IsTrue(vt));
  }
  return 0;
}

int m_rows_vm(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, const char *nic_id, capz_err *err) {
  const char *sub = r->az.subscription, *vm = r->key->name;
  char id[CAPZ_ARM_ROW_ID_MAX], as_id[CAPZ_ARM_ROW_ID_MAX] = "", name[300];
  capz_arm_row *row = NULL;
  /* availability set: only in a region without zones, for a VM without zone or spot */
  if (cJSON_GetArraySize(zones) == 0 && !*m_zone(r) && !capz_json_ptr_get(r->d, "/spec/spotVMOptions")) {
    const char *group = r->control_plane ? "control-plane" : NULL;
    if (!group) group = capz_json_ptr_str(r->machine, "/metadata/labels/cluster.x-k8s.io~1deployment-name", NULL);
    if (!group) group = capz_json_ptr_str(r->machine, "/metadata/labels/cluster.x-k8s.io~1set-name", NULL);
    if (group) {
      sm_name_availability_set(r->cluster_name, group, name, sizeof name);
      capz_arm_res_id(as_id, sizeof as_id, sub, r->rg, "Microsoft.Compute/availabilitySets", name);
      cJSON *d = cJSON_CreateObject();
      cJSON_AddStringToObject(d, "location", r->location);
      cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", "Aligned");
      cJSON *p = cJSON_AddObjectToObject(d, "properties");
      cJSON_AddNumberToObject(p, "platformFaultDomainCount", 2);
      cJSON_AddNumberToObject(p, "platformUpdateDomainCount", 5);
      if (!(row = capz_arm_table_add(&r->t, "availabilitysets", "AvailabilitySetReady", as_id, d, OWN_AS, m_tags(r, name))))
        goto oom;
      row->no_delete = true; /* shared by the group: deleted by the machine delete path only when empty */
    }
  }
  if (for_delete) {
    sm_name(SM_NAME_VM_OS_DISK, vm, name, sizeof name);
    capz_arm_res_id(id, sizeof id, sub, r->rg, "Microsoft.Compute/disks", name);
    if (!(row = capz_arm_table_add(&r->t, "disks", NULL, id, cJSON_CreateObject(), NULL, NULL))) goto oom;
    row->ownership = false; /* created inline by our VM, named after it; carry no tags of their own */
    const cJSON *dd;
    cJSON_ArrayForEach(dd, capz_json_ptr_get(r->d, "/spec/dataDisks")) {
      sm_name_data_disk(vm, m_str(dd, "/nameSuffix"), name, sizeof name);
      capz_arm_res_id(id, sizeof id, sub, r->rg, "Microsoft.Compute/disks", name);
      if (!(row = capz_arm_table_add(&r->t, "disks", NULL, id, cJSON_CreateObject(), NULL, NULL))) goto oom;
      row->ownership = false;
    }
  }
  /* VM */
  capz_arm_res_id(id, sizeof id, sub, r->rg, "Microsoft.Compute/virtualMachines", vm);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", r->location);
  if (*m_zone(r)) cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "zones"), cJSON_CreateString(m_zone(r)));
  const char *idt = m_str(r->d, "/spec/identity");
  if (!strcmp(idt, "SystemAssigned")) cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "identity"), "type", "SystemAssigned");
  else if (!strcmp(idt, "UserAssigned")) {
    cJSON *i = cJSON_AddObjectToObject(d, "identity");
    cJSON_AddStringToObject(i, "type", "UserAssigned");
    cJSON *ua = cJSON_AddObjectToObject(i, "userAssignedIdentities");
    const cJSON *u;
    cJSON_ArrayForEach(u, capz_json_ptr_get(r->d, "/spec/userAssignedIdentities")) {
      const char *pid = m_str(u, "/providerID");
      if (!strncmp(pid, "azure://", 8)) pid += 8;
      cJSON_AddObjectToObject(ua, pid);
    }
  }
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "hardwareProfile"), "vmSize", m_str(r->d, "/spec/vmSize"));
  cJSON *sp = cJSON_AddObjectToObject(p, "storageProfile");
  if (!for_delete) {
    cJSON *img = image_ref(r, err);
    if (!img) {
      cJSON_Delete(d);
      return err->code ? err->code : CAPZ_EINVAL;
    }
    cJSON_AddItemToObject(sp, "imageReference", img);
  }
  cJSON *os = cJSON_AddObjectToObject(sp, "osDisk");
  sm_name(SM_NAME_VM_OS_DISK, vm, name, sizeof name);
  cJSON_AddStringToObject(os, "name", name);
  cJSON_AddStringToObject(os, "osType", *m_str(r->d, "/spec/osDisk/osType") ? m_str(r->d, "/spec/osDisk/osType") : "Linux");
  cJSON_AddStringToObject(os, "createOption", "FromImage");
  if (*m_str(r->d, "/spec/osDisk/cachingType")) cJSON_AddStringToObject(os, "caching", m_str(r->d, "/spec/osDisk/cachingType"));
  if (capz_json_ptr_int(r->d, "/spec/osDisk/diskSizeGB", 0) > 0)
    cJSON_AddNumberToObject(os, "diskSizeGB", (double)capz_json_ptr_int(r->d, "/spec/osDisk/diskSizeGB", 0));
  int rc = os_disk_extras(r, os, err);
  if (rc) {
    cJSON_Delete(d);
    return rc;
  }
  const cJSON *dd;
  cJSON *dds = cJSON_AddArrayToObject(sp, "dataDisks");
  cJSON_ArrayForEach(dd, capz_json_ptr_get(r->d, "/spec/dataDisks")) {
    cJSON *x = cJSON_CreateObject();
    sm_name_data_disk(vm, m_str(dd, "/nameSuffix"), name, sizeof name);
    cJSON_AddStringToObject(x, "name", name);
    cJSON_AddNumberToObject(x, "lun", (double)capz_json_ptr_int(dd, "/lun", 0));
    cJSON_AddStringToObject(x, "createOption", "Empty");
    cJSON_AddNumberToObject(x, "diskSizeGB", (double)capz_json_ptr_int(dd, "/diskSizeGB", 0));
    if (*m_str(dd, "/cachingType")) cJSON_AddStringToObject(x, "caching", m_str(dd, "/cachingType"));
    if (*m_str(dd, "/managedDisk/storageAccountType"))
      cJSON_AddStringToObject(cJSON_AddObjectToObject(x, "managedDisk"), "storageAccountType",
                              m_str(dd, "/managedDisk/storageAccountType"));
    cJSON_AddItemToArray(dds, x);
  }
  cJSON *osp = cJSON_AddObjectToObject(p, "osProfile");
  cJSON_AddStringToObject(osp, "computerName", vm);
  cJSON_AddStringToObject(osp, "adminUsername", "capi");
  if (capz_json_ptr_bool(r->d, "/spec/disableExtensionOperations", false))
    cJSON_AddBoolToObject(osp, "allowExtensionOperations", false);
  if (custom_data) cJSON_AddStringToObject(osp, "customData", custom_data);
  if (strcasecmp(m_str(r->d, "/spec/osDisk/osType"), "Windows") != 0) {
    cJSON *lc = cJSON_AddObjectToObject(osp, "linuxConfiguration");
    cJSON_AddBoolToObject(lc, "disablePasswordAuthentication", true);
    size_t kl = 0;
    unsigned char *key = capz_b64_decode(m_str(r->d, "/spec/sshPublicKey"), &kl);
    if (key) {
      cJSON *k = cJSON_CreateObject();
      cJSON_AddStringToObject(k, "path", "/home/capi/.ssh/authorized_keys");
      cJSON_AddStringToObject(k, "keyData", (const char *)key);
      cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(lc, "ssh"), "publicKeys"), k);
      free(key);
    }
  }
  cJSON *nif = cJSON_CreateObject();
  cJSON_AddStringToObject(nif, "id", nic_id);
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(nif, "properties"), "primary", true);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "networkProfile"), "networkInterfaces"), nif);
  if (*as_id) cJSON_AddItemToObject(p, "availabilitySet", capz_arm_id_ref(as_id));
  const cJSON *spot = capz_json_ptr_get(r->d, "/spec/spotVMOptions");
  if (spot) {
    cJSON_AddStringToObject(p, "priority", "Spot");
    cJSON_AddStringToObject(p, "evictionPolicy", *m_str(spot, "/evictionPolicy") ? m_str(spot, "/evictionPolicy") : "Deallocate");
    const cJSON *mp = capz_json_ptr_get(spot, "/maxPrice");
    double price = cJSON_IsNumber(mp) ? mp->valuedouble : cJSON_IsString(mp) ? atof(mp->valuestring) : -1;
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(p, "billingProfile"), "maxPrice", price);
  }
  if ((rc = security_profile(r, p, err))) {
    cJSON_Delete(d);
    return rc;
  }
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "diagnosticsProfile"), "bootDiagnostics"),
                        "enabled", strcasecmp(m_str(r->d, "/spec/diagnostics/boot/storageAccountType"), "Disabled") != 0);
  if (!capz_arm_table_add(&r->t, "virtualmachine", M_COND_VM, id, d, OWN_VM, m_tags(r, vm))) goto oom;
  return 0;
oom:
  return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
}
