/* rt_vm.c — virtualMachines (managed OS/data disks created and attached, NICs, write-only customData,
 * userData with $expand, instance view and power actions, deleteOption cascades) and VM extensions. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const vm_immutable[] = {"/zones", "/properties/availabilitySet/id", "/properties/virtualMachineScaleSet/id",
                                           "/properties/osProfile/adminUsername", "/properties/osProfile/computerName",
                                           "/properties/storageProfile/osDisk/name", NULL};

static int vm_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  if (rt_check_vm_size(c, capz_json_ptr_str(doc, "/properties/hardwareProfile/vmSize", NULL), e)) return -1;
  if (rt_check_zones(c, doc, cJSON_GetObjectItemCaseSensitive(doc, "zones"), e)) return -1;
  const cJSON *os = capz_json_ptr_get(doc, "/properties/osProfile");
  if (rt_check_custom_data(os, e)) return -1;
  const char *co = capz_json_ptr_str(doc, "/properties/storageProfile/osDisk/createOption", "FromImage");
  if (!old && strcasecmp(co, "FromImage") == 0) {
    const cJSON *img = capz_json_ptr_get(doc, "/properties/storageProfile/imageReference");
    if (!cJSON_IsObject(img))
      return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'imageReference' is missing (null).");
    if (!arm_jstr(os, "adminUsername"))
      return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'osProfile.adminUsername' is missing (null).");
  }
  const cJSON *nics = capz_json_ptr_get(doc, "/properties/networkProfile/networkInterfaces");
  const cJSON *nicc = capz_json_ptr_get(doc, "/properties/networkProfile/networkInterfaceConfigurations");
  if (cJSON_GetArraySize(nics) == 0 && cJSON_GetArraySize(nicc) == 0)
    return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'networkProfile' is missing (null).");
  const cJSON *n;
  cJSON_ArrayForEach(n, nics) {
    const char *nid = arm_jstr(n, "id");
    if (!nid || arm_check_ref_id(c, nid, "Microsoft.Network/networkInterfaces", "virtualMachine", e)) {
      if (!nid) arm_err_set(e, 400, "InvalidParameter", "networkInterfaces[].id is required.");
      return -1;
    }
    const arm_rtype *vmt = arm_rtype_find("Microsoft.Compute/virtualMachines");
    for (arm_res *x = arm_store_first_of(c->store, vmt); x; x = x->tnext) {
      if (strcasecmp(x->id, id) == 0) continue;
      const cJSON *xn;
      cJSON_ArrayForEach(xn, capz_json_ptr_get(x->doc, "/properties/networkProfile/networkInterfaces"))
        if (arm_ieq(arm_jstr(xn, "id"), nid))
          return arm_err_set(e, 400, "NicInUse", "Network interface %s is already used by virtual machine %s.", nid, x->id);
    }
  }
  cJSON_ArrayForEach(n, nicc) {
    const cJSON *ipc;
    cJSON_ArrayForEach(ipc, capz_json_ptr_get(n, "/properties/ipConfigurations"))
      if (arm_check_ref(c, ipc, "/properties/subnet/id", "Microsoft.Network/virtualNetworks/subnets", e)) return -1;
  }
  if (arm_check_ref(c, doc, "/properties/availabilitySet/id", "Microsoft.Compute/availabilitySets", e) ||
      arm_check_ref(c, doc, "/properties/virtualMachineScaleSet/id", "Microsoft.Compute/virtualMachineScaleSets", e))
    return -1;
  if (capz_json_ptr_get(doc, "/properties/availabilitySet/id") && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "zones")) > 0)
    return arm_err_set(e, 400, "InvalidParameter", "A virtual machine cannot be in an availability set and an availability zone.");
  const cJSON *dd;
  cJSON_ArrayForEach(dd, capz_json_ptr_get(doc, "/properties/storageProfile/dataDisks")) {
    int64_t lun = capz_json_ptr_int(dd, "/lun", -1);
    if (lun < 0 || lun > 63) return arm_err_set(e, 400, "InvalidParameter", "dataDisks[].lun must be between 0 and 63.");
    const char *dco = capz_json_ptr_str(dd, "/createOption", "Empty");
    if (strcasecmp(dco, "Attach") == 0 &&
        arm_check_ref(c, dd, "/managedDisk/id", "Microsoft.Compute/disks", e))
      return -1;
  }
  return 0;
}

static void disk_id(const arm_res *vm, const char *name, char *out, size_t n) {
  char rg[128], sub[64];
  arm_id_rg(vm->id, rg, sizeof rg);
  arm_id_sub(vm->id, sub, sizeof sub);
  snprintf(out, n, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/disks/%s", sub, rg, name);
}

static int attach_disk(arm_ctx *c, arm_res *vm, cJSON *dspec, const char *name, int64_t size, const char *os_type,
                       arm_err *e) {
  cJSON *md = cJSON_GetObjectItemCaseSensitive(dspec, "managedDisk");
  if (!md) md = cJSON_AddObjectToObject(dspec, "managedDisk");
  const char *existing = arm_jstr(md, "id");
  char did[ARM_ID_MAX];
  if (existing) snprintf(did, sizeof did, "%s", existing);
  else disk_id(vm, name, did, sizeof did);
  arm_res *d = arm_store_get(c->store, did);
  if (!d) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "location", arm_jstr(vm->doc, "location"));
    cJSON *z = cJSON_GetObjectItemCaseSensitive(vm->doc, "zones");
    if (z) cJSON_AddItemToObject(doc, "zones", cJSON_Duplicate(z, 1));
    cJSON *sku = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(sku, "name", arm_jstr(md, "storageAccountType") ? arm_jstr(md, "storageAccountType") : "Premium_LRS");
    cJSON *p = cJSON_AddObjectToObject(doc, "properties");
    cJSON *cd = cJSON_AddObjectToObject(p, "creationData");
    cJSON_AddStringToObject(cd, "createOption", os_type ? "FromImage" : "Empty");
    cJSON_AddNumberToObject(p, "diskSizeGB", (double)(size > 0 ? size : 30));
    if (os_type) cJSON_AddStringToObject(p, "osType", os_type);
    d = arm_engine_create(c, did, "Microsoft.Compute/disks", doc, e);
    if (!d) return -1;
  } else if (strcmp(rt_pstr(d->doc, "diskState", ""), "Attached") == 0 &&
             !arm_ieq(arm_jstr(d->doc, "managedBy"), vm->id)) {
    return arm_err_set(e, 409, "Conflict", "Disk %s is already attached to %s.", arm_id_name(did), arm_jstr(d->doc, "managedBy"));
  }
  arm_jset(arm_props(d->doc), "diskState", cJSON_CreateString("Attached"));
  arm_jset(d->doc, "managedBy", cJSON_CreateString(vm->id));
  arm_jset(md, "id", cJSON_CreateString(d->id));
  if (!arm_jstr(md, "storageAccountType"))
    arm_jset(md, "storageAccountType", cJSON_CreateString(capz_json_ptr_str(d->doc, "/sku/name", "Premium_LRS")));
  return 0;
}

static int vm_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  cJSON *props = arm_props(r->doc);
  cJSON *os = cJSON_GetObjectItemCaseSensitive(props, "osProfile");
  if (os) {
    /* write-only fields */
    const char *cd = arm_jstr(os, "customData");
    if (cd) arm_jset(r->priv, "customDataHash", cJSON_CreateNumber(arm_hash32(cd)));
    cJSON_DeleteItemFromObjectCaseSensitive(os, "customData");
    cJSON_DeleteItemFromObjectCaseSensitive(os, "adminPassword");
    if (!arm_jstr(os, "computerName")) cJSON_AddStringToObject(os, "computerName", arm_id_name(r->id));
    if (!cJSON_GetObjectItemCaseSensitive(os, "secrets")) cJSON_AddArrayToObject(os, "secrets");
    if (!cJSON_GetObjectItemCaseSensitive(os, "allowExtensionOperations")) cJSON_AddTrueToObject(os, "allowExtensionOperations");
    if (!cJSON_GetObjectItemCaseSensitive(os, "requireGuestProvisionSignal")) cJSON_AddTrueToObject(os, "requireGuestProvisionSignal");
  } else if (old) {
    rt_keep(r->doc, old, "/properties/osProfile");
  }
  cJSON *ud = cJSON_DetachItemFromObjectCaseSensitive(props, "userData");
  if (ud) arm_jset(r->priv, "userData", ud);
  char u[37], ts[48];
  arm_uuid(u);
  arm_now_iso(ts, sizeof ts, arm_now());
  rt_default(r->doc, "vmId", cJSON_CreateString(u));
  rt_default(r->doc, "timeCreated", cJSON_CreateString(ts));
  rt_keep(r->doc, old, "/properties/vmId");
  rt_keep(r->doc, old, "/properties/timeCreated");
  /* disks: created and attached on create; kept on update */
  if (!old) {
    cJSON *osd = capz_json_ptr_get(r->doc, "/properties/storageProfile/osDisk");
    if (!osd) {
      cJSON *sp = cJSON_GetObjectItemCaseSensitive(props, "storageProfile");
      if (!sp) sp = cJSON_AddObjectToObject(props, "storageProfile");
      osd = cJSON_AddObjectToObject(sp, "osDisk");
    }
    const char *offer = capz_json_ptr_str(r->doc, "/properties/storageProfile/imageReference/offer", "");
    if (!arm_jstr(osd, "osType")) cJSON_AddStringToObject(osd, "osType", strcasestr(offer, "windows") ? "Windows" : "Linux");
    if (!arm_jstr(osd, "createOption")) cJSON_AddStringToObject(osd, "createOption", "FromImage");
    if (!arm_jstr(osd, "name")) {
      char n[256], hex[9];
      rt_hex8(u, hex);
      snprintf(n, sizeof n, "%s_OsDisk_1_%s", arm_id_name(r->id), hex);
      cJSON_AddStringToObject(osd, "name", n);
    }
    if (!cJSON_GetObjectItemCaseSensitive(osd, "diskSizeGB")) cJSON_AddNumberToObject(osd, "diskSizeGB", 30);
    if (attach_disk(c, r, osd, arm_jstr(osd, "name"), capz_json_ptr_int(osd, "/diskSizeGB", 30), arm_jstr(osd, "osType"), e))
      return -1;
    cJSON *dd;
    cJSON_ArrayForEach(dd, capz_json_ptr_get(r->doc, "/properties/storageProfile/dataDisks")) {
      char n[256];
      if (!arm_jstr(dd, "name")) {
        snprintf(n, sizeof n, "%s_lun%d", arm_id_name(r->id), (int)capz_json_ptr_int(dd, "/lun", 0));
        cJSON_AddStringToObject(dd, "name", n);
      }
      if (attach_disk(c, r, dd, arm_jstr(dd, "name"), capz_json_ptr_int(dd, "/diskSizeGB", 0), NULL, e)) return -1;
    }
    if (!capz_json_ptr_get(r->doc, "/properties/storageProfile/dataDisks"))
      capz_json_ptr_set(r->doc, "/properties/storageProfile/dataDisks", cJSON_CreateArray(), NULL);
  } else {
    rt_keep(r->doc, old, "/properties/storageProfile/osDisk");
  }
  /* Flexible VMSS members describe their NICs inline: allocate their addresses */
  cJSON *nc;
  cJSON_ArrayForEach(nc, capz_json_ptr_get(r->doc, "/properties/networkProfile/networkInterfaceConfigurations")) {
    cJSON *ipc;
    cJSON_ArrayForEach(ipc, capz_json_ptr_get(nc, "/properties/ipConfigurations")) {
      const char *sub = capz_json_ptr_str(ipc, "/properties/subnet/id", NULL);
      arm_res *s = sub ? arm_store_get(c->store, sub) : NULL;
      if (!s) continue;
      char owner[ARM_ID_MAX], ip[64];
      snprintf(owner, sizeof owner, "%.700s/networkInterfaces/%.100s/ipConfigurations/%.100s", r->id,
               arm_jstr(nc, "name") ? arm_jstr(nc, "name") : "nic", arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "ipc");
      if (rt_subnet_alloc(c, sub, rt_ipc_family(ipc), owner, NULL, ip, sizeof ip, e)) return -1;
      capz_json_ptr_set(ipc, "/properties/privateIPAddress", cJSON_CreateString(ip), NULL);
    }
  }
  rt_fill_identity(c, r, old);
  if (!arm_jstr(r->priv, "power")) arm_jset(r->priv, "power", cJSON_CreateString("starting"));
  return 0;
}

static void vm_ready(arm_ctx *c, arm_res *r) {
  (void)c;
  const char *p = arm_jstr(r->priv, "power");
  if (!p || strcmp(p, "starting") == 0) arm_jset(r->priv, "power", cJSON_CreateString("running"));
}

static cJSON *vm_iv(arm_res *r) {
  cJSON *iv = rt_instance_view(arm_get_state(r), arm_jstr(r->priv, "power"),
                               capz_json_ptr_str(r->doc, "/properties/osProfile/computerName", NULL));
  cJSON *disks = cJSON_AddArrayToObject(iv, "disks");
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", capz_json_ptr_str(r->doc, "/properties/storageProfile/osDisk/name", ""));
  cJSON_AddItemToArray(disks, d);
  return iv;
}

static void vm_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  if (arm_expand(q, "instanceView")) arm_jset(arm_props(out), "instanceView", vm_iv(r));
  if (arm_expand(q, "userData") && cJSON_GetObjectItemCaseSensitive(r->priv, "userData"))
    arm_jset(arm_props(out), "userData", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r->priv, "userData"), 1));
  /* extensions appear as "resources" */
  cJSON *res = cJSON_CreateArray();
  size_t kl = strlen(r->key);
  const arm_rtype *ext = arm_rtype_find("Microsoft.Compute/virtualMachines/extensions");
  for (arm_res *x = arm_store_first_of(c->store, ext); x; x = x->tnext)
    if (strncmp(x->key, r->key, kl) == 0 && x->key[kl] == '/') cJSON_AddItemToArray(res, arm_ref(x->id));
  if (cJSON_GetArraySize(res)) arm_jset(out, "resources", res);
  else cJSON_Delete(res);
}

/* Detach or delete the disks and NICs per their deleteOption; release inline NIC addresses. */
static void vm_on_delete(arm_ctx *c, arm_res *r) {
  arm_ipam_release_owner(c->ipam, r->id);
  cJSON *disks = cJSON_CreateArray();
  const cJSON *osd = capz_json_ptr_get(r->doc, "/properties/storageProfile/osDisk");
  if (osd) cJSON_AddItemToArray(disks, cJSON_Duplicate(osd, 1));
  const cJSON *dd;
  cJSON_ArrayForEach(dd, capz_json_ptr_get(r->doc, "/properties/storageProfile/dataDisks"))
    cJSON_AddItemToArray(disks, cJSON_Duplicate(dd, 1));
  cJSON *nics = cJSON_Duplicate(capz_json_ptr_get(r->doc, "/properties/networkProfile/networkInterfaces"), 1);
  char vmid[ARM_ID_MAX];
  snprintf(vmid, sizeof vmid, "%s", r->id);
  const char *ss = capz_json_ptr_str(r->doc, "/properties/virtualMachineScaleSet/id", NULL);
  char ssid[ARM_ID_MAX] = "";
  if (ss) snprintf(ssid, sizeof ssid, "%s", ss);
  const cJSON *d;
  cJSON_ArrayForEach(d, disks) {
    arm_res *x = arm_store_get(c->store, capz_json_ptr_str(d, "/managedDisk/id", ""));
    if (!x) continue;
    if (arm_ieq(arm_jstr(d, "deleteOption"), "Delete")) arm_engine_delete_tree(c, x);
    else {
      arm_jset(arm_props(x->doc), "diskState", cJSON_CreateString("Unattached"));
      cJSON_DeleteItemFromObjectCaseSensitive(x->doc, "managedBy");
    }
  }
  const cJSON *n;
  cJSON_ArrayForEach(n, nics) {
    if (!arm_ieq(capz_json_ptr_str(n, "/properties/deleteOption", "Detach"), "Delete")) continue;
    arm_res *x = arm_store_get(c->store, arm_jstr(n, "id") ? arm_jstr(n, "id") : "");
    if (x) arm_engine_delete_tree(c, x);
  }
  cJSON_Delete(disks);
  cJSON_Delete(nics);
  /* a Flexible scale set loses a member */
  arm_res *vmss = ssid[0] ? arm_store_get(c->store, ssid) : NULL;
  if (vmss && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(vmss->priv, "reconciling")) &&
      !arm_ieq(arm_get_state(vmss), "Deleting")) {
    cJSON *cap = capz_json_ptr_get(vmss->doc, "/sku/capacity");
    if (cJSON_IsNumber(cap) && cap->valuedouble > 0) cJSON_SetNumberValue(cap, cap->valuedouble - 1);
  }
}

static void power_done(arm_ctx *c, arm_op *op, int final) {
  arm_res *r = arm_store_get(c->store, op->res_key);
  if (!r || final != ARM_OP_SUCCEEDED) return;
  arm_jset(r->priv, "power", cJSON_CreateString(op->arg));
}

static int vm_action(arm_ctx *c, const arm_req *q, arm_res *r, const char *action, arm_resp *out) {
  bool get = strcmp(q->method, "GET") == 0;
  if (get && strcasecmp(action, "instanceView") == 0) {
    arm_resp_json(out, 200, vm_iv(r));
    return 0;
  }
  if (get) return -1;
  static const struct { const char *action, *final, *what; } acts[] = {
      {"start", "running", "Starting"},         {"powerOff", "stopped", "Stopping"},
      {"restart", "running", "Restarting"},     {"deallocate", "deallocated", "Deallocating"},
      {"redeploy", "running", "Redeploying"},   {"reimage", "running", "Reimaging"},
      {"simulateEviction", "deallocated", "Evicting"}};
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    if (strcasecmp(action, acts[i].action) != 0) continue;
    if (r->busy_op[0]) {
      arm_resp_error(out, 409, "Conflict", "Operation '%s' is not allowed on VM '%s' since the VM is %s.", action,
                     arm_id_name(r->id), r->busy_what);
      return 0;
    }
    const char *power = arm_jstr(r->priv, "power");
    if (power && strcmp(power, "deallocated") == 0 && (strcasecmp(action, "restart") == 0 || strcasecmp(action, "powerOff") == 0)) {
      arm_resp_error(out, 409, "OperationNotAllowed", "Operation '%s' is not allowed on VM '%s' since the VM is deallocated.",
                     action, arm_id_name(r->id));
      return 0;
    }
    arm_op *op = rt_action_op(c, q, r, acts[i].what, power_done, true, out);
    if (op) snprintf(op->arg, sizeof op->arg, "%s", acts[i].final);
    return 0;
  }
  return -1;
}

const arm_rtype rt_virtual_machine = {
    .type = "Microsoft.Compute/virtualMachines",
    .lro = ARM_LRO_COMPUTE,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS,
    .immutable = vm_immutable,
    .create_state = "Creating",
    .validate = vm_validate,
    .fill = vm_fill,
    .on_ready = vm_ready,
    .render = vm_render,
    .on_delete = vm_on_delete,
    .action = vm_action,
};

/* ---------------------------------------------------------------- extensions */

static const char *const ext_immutable[] = {"/properties/publisher", "/properties/type", NULL};

static int ext_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)id;
  (void)old;
  static const char *const req[] = {"publisher", "type", "typeHandlerVersion", NULL};
  for (int i = 0; req[i]; i++)
    if (!rt_pstr(doc, req[i], NULL))
      return arm_err_set(e, 400, "InvalidParameter", "Required parameter '%s' is missing (null).", req[i]);
  return 0;
}

static int ext_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  cJSON *p = arm_props(r->doc);
  cJSON_DeleteItemFromObjectCaseSensitive(p, "protectedSettings"); /* write-only */
  cJSON_DeleteItemFromObjectCaseSensitive(p, "protectedSettingsFromKeyVault");
  rt_default(r->doc, "autoUpgradeMinorVersion", cJSON_CreateFalse());
  rt_default(r->doc, "suppressFailures", cJSON_CreateFalse());
  return 0;
}

static void ext_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  (void)c;
  if (!arm_expand(q, "instanceView")) return;
  cJSON *iv = cJSON_CreateObject();
  cJSON_AddStringToObject(iv, "name", arm_id_name(r->id));
  cJSON_AddStringToObject(iv, "type", rt_pstr(r->doc, "type", ""));
  cJSON_AddStringToObject(iv, "typeHandlerVersion", rt_pstr(r->doc, "typeHandlerVersion", ""));
  cJSON *st = cJSON_AddArrayToObject(iv, "statuses");
  cJSON *s = cJSON_CreateObject();
  const char *ps = arm_get_state(r) ? arm_get_state(r) : "Succeeded";
  char code[64];
  snprintf(code, sizeof code, "ProvisioningState/%s", strcmp(ps, "Succeeded") == 0 ? "succeeded" : ps);
  cJSON_AddStringToObject(s, "code", code);
  cJSON_AddStringToObject(s, "level", strcmp(ps, "Failed") == 0 ? "Error" : "Info");
  cJSON_AddStringToObject(s, "displayStatus", ps);
  cJSON_AddItemToArray(st, s);
  arm_jset(arm_props(out), "instanceView", iv);
}

const arm_rtype rt_vm_extension = {
    .type = "Microsoft.Compute/virtualMachines/extensions",
    .lro = ARM_LRO_COMPUTE,
    .flags = ARM_RT_TRACKED,
    .immutable = ext_immutable,
    .create_state = "Creating",
    .validate = ext_validate,
    .fill = ext_fill,
    .render = ext_render,
};
