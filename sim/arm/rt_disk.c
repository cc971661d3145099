/* rt_disk.c — managed disks (PUT answers 202 + Location, attach state follows VMs) and availability sets
 * (synchronous). */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const disk_immutable[] = {"/zones", "/properties/creationData/createOption", NULL};

static int disk_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)id;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "sku")) {
    cJSON *s = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(s, "name", "Standard_LRS");
  }
  const char *co = capz_json_ptr_str(doc, "/properties/creationData/createOption", NULL);
  if (!co) return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'creationData.createOption' is missing (null).");
  int64_t size = capz_json_ptr_int(doc, "/properties/diskSizeGB", 0);
  if (strcasecmp(co, "Empty") == 0 && size <= 0)
    return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'diskSizeGB' is missing (null).");
  if (size < 0 || size > 65536) return arm_err_set(e, 400, "InvalidParameter", "diskSizeGB must be between 1 and 65536.");
  if (rt_check_zones(c, doc, cJSON_GetObjectItemCaseSensitive(doc, "zones"), e)) return -1;
  if (old) {
    int64_t osz = capz_json_ptr_int(old->doc, "/properties/diskSizeGB", 0);
    if (size && size < osz)
      return arm_err_set(e, 400, "BadRequest", "Disk size reduction is not supported (%lld GB to %lld GB).", (long long)osz, (long long)size);
    arm_res *vm = arm_jstr(old->doc, "managedBy") ? arm_store_get(c->store, arm_jstr(old->doc, "managedBy")) : NULL;
    bool deallocated = vm && arm_ieq(arm_jstr(vm->priv, "power"), "deallocated");
    if (size && size != osz && strcmp(rt_pstr(old->doc, "diskState", ""), "Attached") == 0 && !deallocated)
      return arm_err_set(e, 409, "Conflict",
                         "Disk resizing is allowed only when creating a VM or when the VM is deallocated.");
  }
  return 0;
}

static int disk_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  char u[37], ts[48];
  arm_uuid(u);
  arm_now_iso(ts, sizeof ts, arm_now());
  rt_default(r->doc, "uniqueId", cJSON_CreateString(u));
  rt_default(r->doc, "timeCreated", cJSON_CreateString(ts));
  rt_keep(r->doc, old, "/properties/uniqueId");
  rt_keep(r->doc, old, "/properties/timeCreated");
  rt_keep(r->doc, old, "/properties/diskState");
  rt_keep(r->doc, old, "/managedBy");
  rt_default(r->doc, "diskState", cJSON_CreateString("Unattached"));
  int64_t gb = capz_json_ptr_int(r->doc, "/properties/diskSizeGB", 30);
  rt_default(r->doc, "diskSizeGB", cJSON_CreateNumber((double)gb));
  arm_jset(arm_props(r->doc), "diskSizeBytes", cJSON_CreateNumber((double)gb * 1073741824.0));
  rt_default(r->doc, "diskIOPSReadWrite", cJSON_CreateNumber(500));
  rt_default(r->doc, "diskMBpsReadWrite", cJSON_CreateNumber(60));
  cJSON *enc = cJSON_CreateObject();
  cJSON_AddStringToObject(enc, "type", "EncryptionAtRestWithPlatformKey");
  rt_default(r->doc, "encryption", enc);
  rt_default(r->doc, "networkAccessPolicy", cJSON_CreateString("AllowAll"));
  rt_default(r->doc, "publicNetworkAccess", cJSON_CreateString("Enabled"));
  return 0;
}

static int disk_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  (void)c;
  if (strcmp(rt_pstr(r->doc, "diskState", ""), "Attached") == 0)
    return arm_err_set(e, 409, "OperationNotAllowed", "Disk %s is attached to VM %s.", arm_id_name(r->id),
                       arm_jstr(r->doc, "managedBy") ? arm_jstr(r->doc, "managedBy") : "?");
  return 0;
}

const arm_rtype rt_disk = {
    .type = "Microsoft.Compute/disks",
    .lro = ARM_LRO_DISK,
    .flags = ARM_RT_TRACKED,
    .immutable = disk_immutable,
    .create_state = "Updating",
    .validate = disk_validate,
    .fill = disk_fill,
    .can_delete = disk_can_delete,
};

/* ---------------------------------------------------------------- availability sets */

static int avset_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)id;
  (void)old;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "sku")) {
    cJSON *s = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(s, "name", "Classic");
  }
  int64_t fd = capz_json_ptr_int(doc, "/properties/platformFaultDomainCount", 2);
  int64_t ud = capz_json_ptr_int(doc, "/properties/platformUpdateDomainCount", 5);
  if (fd < 1 || fd > 3) return arm_err_set(e, 400, "InvalidParameter", "platformFaultDomainCount must be between 1 and 3.");
  if (ud < 1 || ud > 20) return arm_err_set(e, 400, "InvalidParameter", "platformUpdateDomainCount must be between 1 and 20.");
  rt_default(doc, "platformFaultDomainCount", cJSON_CreateNumber((double)fd));
  rt_default(doc, "platformUpdateDomainCount", cJSON_CreateNumber((double)ud));
  return 0;
}

static void avset_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)q;
  cJSON *vms = cJSON_CreateArray();
  rt_refs_from(c, "Microsoft.Compute/virtualMachines", "/properties/availabilitySet/id", r->id, vms);
  arm_jset(arm_props(out), "virtualMachines", vms);
  arm_jset(arm_props(out), "statuses", cJSON_CreateArray());
}

static int avset_can_delete(arm_ctx *c, arm_res *r, arm_err *e) {
  char who[ARM_ID_MAX];
  static const char *const from[] = {"Microsoft.Compute/virtualMachines", NULL};
  if (arm_referenced(c, r->id, from, who, sizeof who))
    return arm_err_set(e, 409, "OperationNotAllowed",
                       "Availability set %s cannot be deleted. Before deleting an availability set please ensure that it "
                       "does not contain any VM (%s).", arm_id_name(r->id), who);
  return 0;
}

const arm_rtype rt_availability_set = {
    .type = "Microsoft.Compute/availabilitySets",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_TRACKED,
    .validate = avset_validate,
    .render = avset_render,
    .can_delete = avset_can_delete,
};
