/* machine_controller.c — AzureMachine reconcile: Machine → Cluster → AzureCluster, waits (no failure) for
 * the cluster infrastructure and the bootstrap data, then the table [public IP, NIC, availability set, VM]
 * walked with ensure. Once the VM exists it is only read (one GET): a VM deleted out of band fails the
 * machine (UpdateError) instead of being recreated. Delete: VM, disks, availability set (when empty), NIC,
 * public IP, in that order. customData (the bootstrap data) is never logged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "capz/conditions.h"
#include "capz/json.h"
#include "selfmanaged_api.h"
#include "sm_plugin.h"

#define COND_VM "VMRunning"
#define LABEL_CP "cluster.x-k8s.io/control-plane"

static const char *const OWN_PIP[] = {"/location", "/sku", "/properties/publicIPAllocationMethod", NULL};
static const char *const OWN_NIC[] = {"/location", "/properties/ipConfigurations/0/properties/subnet",
                                      "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools",
                                      "/properties/ipConfigurations/0/properties/publicIPAddress", NULL};
static const char *const OWN_AS[] = {"/location", NULL};
static const char *const OWN_VM[] = {"/location", "/properties/hardwareProfile", NULL};

typedef struct m_run {
  sm_state *s;
  capz_ctx *ctx;
  const capz_key *key;
  const capz_obj *base;
  cJSON *am, *d, *machine, *cluster, *ac, *acd;
  sm_azure az;
  const char *rg, *location, *cluster_name;
  bool deleting, control_plane;
  capz_arm_table t;
  capz_arm_walk w;
  /* status to write */
  const char *vm_reason;      /* VMRunning False reason, or NULL for True */
  capz_severity vm_sev;
  char vm_msg[512];
  const char *vm_state;       /* status.vmState, or NULL to leave */
  const char *failure_reason; /* status.failureReason (terminal) */
  char failure_msg[512];
  bool ready;
  cJSON *addresses;           /* status.addresses to set (owned), or NULL to leave */
  const char *lro_type;
} m_run;

static const char *S(const cJSON *o, const char *p) { return capz_json_ptr_str(o, p, ""); }
static const char *tok_of(void *ud, const capz_arm_row *r) { return capz_lro_state_get(((m_run *)ud)->am, r->service, r->name); }

static int mutate_status(void *ud, cJSON *obj) {
  m_run *r = ud;
  for (size_t i = 0; i < r->t.n; i++) {
    size_t cur = r->deleting ? r->t.n - 1 - r->w.done : r->w.done;
    bool mine = r->w.in_progress && i == cur;
    capz_lro_state_set(obj, r->t.rows[i].service, r->t.rows[i].name, r->lro_type ? r->lro_type : "PUT",
                     mine ? r->w.resume_token : NULL);
  }
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!cJSON_IsObject(st)) {
    cJSON_DeleteItemFromObject(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON_DeleteItemFromObject(st, "ready");
  cJSON_AddBoolToObject(st, "ready", r->ready);
  if (r->vm_state) {
    cJSON_DeleteItemFromObject(st, "vmState");
    cJSON_AddStringToObject(st, "vmState", r->vm_state);
  }
  if (r->failure_reason) {
    cJSON_DeleteItemFromObject(st, "failureReason");
    cJSON_DeleteItemFromObject(st, "failureMessage");
    cJSON_AddStringToObject(st, "failureReason", r->failure_reason);
    cJSON_AddStringToObject(st, "failureMessage", r->failure_msg);
  }
  if (r->addresses) {
    cJSON_DeleteItemFromObject(st, "addresses");
    cJSON_AddItemToObject(st, "addresses", cJSON_Duplicate(r->addresses, 1));
  }
  if (r->vm_reason) capz_cond_mark_false(obj, COND_VM, r->vm_reason, r->vm_sev, "%s", r->vm_msg);
  else capz_cond_mark_true(obj, COND_VM);
  if (r->t.n && !r->deleting) {
    const capz_arm_row *nic = capz_arm_table_find(&r->t, "networkinterfaces", NULL);
    size_t nic_i = nic ? (size_t)(nic - r->t.rows) : 0;
    if (nic && r->w.done > nic_i) capz_cond_mark_true(obj, "NetworkInterfacesReady");
    const capz_arm_row *as = capz_arm_table_find(&r->t, "availabilitysets", NULL);
    if (as && r->w.done > (size_t)(as - r->t.rows)) capz_cond_mark_true(obj, "AvailabilitySetReady");
  }
  static const char *const summary[] = {COND_VM, "NetworkInterfacesReady", "AvailabilitySetReady", NULL};
  capz_cond_set_summary(obj, summary);
  return 0;
}

static void write_status(m_run *r) {
  capz_err err;
  if (capz_patch_status(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, r->key->ns, r->key->name,
                        mutate_status, r, NULL, &err))
    capz_log(capz_ctx_logger(r->ctx), CAPZ_LOG_WARN, "status patch failed", "error", err.msg, NULL);
}

static void vm_cond(m_run *r, const char *reason, capz_severity sev, const char *msg) {
  r->vm_reason = reason;
  r->vm_sev = sev;
  capz_fmt(r->vm_msg, sizeof r->vm_msg, "%s", msg); /* truncation is fine for a condition message */
}

static capz_outcome requeue(capz_result *res, double s, double floor_s) {
  if (!(s >= floor_s)) s = floor_s;
  if (s > 60) s = 60;
  res->requeue_after_ms = (uint64_t)ceil(s * 1000);
  return CAPZ_REQUEUE_AFTER;
}

static capz_outcome terminal(m_run *r, capz_result *res, const char *failure_reason, const char *cond_reason,
                             const char *msg) {
  r->failure_reason = failure_reason;
  capz_fmt(r->failure_msg, sizeof r->failure_msg, "%s", msg);
  vm_cond(r, cond_reason, CAPZ_SEV_ERROR, msg);
  write_status(r);
  return capz_ctx_fail(r->ctx, res, CAPZ_TERMINAL, failure_reason, "%s", msg);
}

static cJSON *tags_for(m_run *r, const char *name) {
  cJSON *t = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(r->acd, "/spec/additionalTags"))
    if (cJSON_IsString(it)) cJSON_AddStringToObject(t, it->string, it->valuestring);
  cJSON_ArrayForEach(it, capz_json_ptr_get(r->d, "/spec/additionalTags"))
    if (cJSON_IsString(it)) {
      cJSON_DeleteItemFromObject(t, it->string);
      cJSON_AddStringToObject(t, it->string, it->valuestring);
    }
  cJSON_AddStringToObject(t, SM_TAG_NAME, name);
  cJSON_AddStringToObject(t, SM_TAG_ROLE, r->control_plane ? SM_ROLE_CONTROLPLANE : SM_ROLE_NODE);
  return t;
}

static const char *subnet_name(m_run *r) {
  const char *n = S(r->d, "/spec/networkInterfaces/0/subnetName");
  if (*n) return n;
  if (*S(r->d, "/spec/subnetName")) return S(r->d, "/spec/subnetName");
  const char *want = r->control_plane ? SM_SUBNET_ROLE_CONTROLPLANE : SM_SUBNET_ROLE_NODE;
  const cJSON *sn;
  cJSON_ArrayForEach(sn, capz_json_ptr_get(r->acd, "/spec/networkSpec/subnets"))
    if (!strcmp(S(sn, "/role"), want)) return S(sn, "/name");
  cJSON_ArrayForEach(sn, capz_json_ptr_get(r->acd, "/spec/networkSpec/subnets"))
    if (!strcmp(S(sn, "/role"), SM_SUBNET_ROLE_CLUSTER)) return S(sn, "/name");
  return "";
}

static const char *zone_of(m_run *r) {
  const char *fd = S(r->machine, "/spec/failureDomain");
  return *fd ? fd : S(r->d, "/spec/failureDomain");
}

static cJSON *image_ref(m_run *r, capz_err *err) {
  const cJSON *img = capz_json_ptr_get(r->d, "/spec/image");
  cJSON *def = NULL;
  if (!img) {
    def = sm_default_image(S(r->d, "/spec/osDisk/osType"), S(r->machine, "/spec/version"), err);
    if (!def) return NULL;
    img = def;
  }
  cJSON *ref = cJSON_CreateObject();
  if (*S(img, "/id")) {
    cJSON_AddStringToObject(ref, "id", S(img, "/id"));
  } else if (capz_json_ptr_get(img, "/computeGallery")) {
    const cJSON *g = capz_json_ptr_get(img, "/computeGallery");
    char id[600];
    if (*S(g, "/subscriptionID"))
      snprintf(id, sizeof id,
               "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/%s/images/%s/versions/%s",
               S(g, "/subscriptionID"), S(g, "/resourceGroup"), S(g, "/gallery"), S(g, "/name"), S(g, "/version"));
    else
      snprintf(id, sizeof id, "/CommunityGalleries/%s/Images/%s/Versions/%s", S(g, "/gallery"), S(g, "/name"),
               S(g, "/version"));
    cJSON_AddStringToObject(ref, *S(g, "/subscriptionID") ? "id" : "communityGalleryImageId", id);
  } else if (capz_json_ptr_get(img, "/marketplace")) {
    const cJSON *m = capz_json_ptr_get(img, "/marketplace");
    cJSON_AddStringToObject(ref, "publisher", S(m, "/publisher"));
    cJSON_AddStringToObject(ref, "offer", S(m, "/offer"));
    cJSON_AddStringToObject(ref, "sku", S(m, "/sku"));
    cJSON_AddStringToObject(ref, "version", S(m, "/version"));
  } else if (capz_json_ptr_get(img, "/sharedGallery")) {
    const cJSON *g = capz_json_ptr_get(img, "/sharedGallery");
    char id[600];
    snprintf(id, sizeof id,
             "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/%s/images/%s/versions/%s",
             S(g, "/subscriptionID"), S(g, "/resourceGroup"), S(g, "/gallery"), S(g, "/name"), S(g, "/version"));
    cJSON_AddStringToObject(ref, "id", id);
  }
  cJSON_Delete(def);
  return ref;
}

/* Rows in create order: [public IP], NIC, [availability set], (delete only: disks), VM. custom_data NULL when
 * building the delete table. */
static int build_table(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, capz_err *err) {
  const char *sub = r->az.subscription, *vm = r->key->name;
  char id[CAPZ_ARM_ROW_ID_MAX], pip_id[CAPZ_ARM_ROW_ID_MAX] = "", nic_id[CAPZ_ARM_ROW_ID_MAX], as_id[CAPZ_ARM_ROW_ID_MAX] = "", name[300];
  capz_arm_row *row = NULL;
  if (capz_json_ptr_bool(r->d, "/spec/allocatePublicIP", false)) {
    sm_name(SM_NAME_VM_PUBLIC_IP, vm, name, sizeof name);
    capz_arm_res_id(pip_id, sizeof pip_id, sub, r->rg, "Microsoft.Network/publicIPAddresses", name);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", r->location);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "sku"), "name", "Standard");
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    cJSON_AddStringToObject(p, "publicIPAllocationMethod", "Static");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "dnsSettings"), "domainNameLabel", vm);
    if (!capz_arm_table_add(&r->t, "publicips", NULL, pip_id, d, OWN_PIP, tags_for(r, name))) goto oom;
  }
  /* NIC */
  sm_name_nic(vm, false, 0, name, sizeof name);
  capz_arm_res_id(nic_id, sizeof nic_id, sub, r->rg, "Microsoft.Network/networkInterfaces", name);
  {
    const char *vrg = *S(r->acd, "/spec/networkSpec/vnet/resourceGroup") ? S(r->acd, "/spec/networkSpec/vnet/resourceGroup") : r->rg;
    char sid[CAPZ_ARM_ROW_ID_MAX];
    snprintf(sid, sizeof sid, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
             sub, vrg, S(r->acd, "/spec/networkSpec/vnet/name"), subnet_name(r));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", r->location);
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    cJSON *ipc = cJSON_CreateObject();
    cJSON_AddStringToObject(ipc, "name", "pipConfig");
    cJSON *ip = cJSON_AddObjectToObject(ipc, "properties");
    cJSON_AddBoolToObject(ip, "primary", true);
    cJSON_AddStringToObject(ip, "privateIPAllocationMethod", "Dynamic");
    cJSON_AddItemToObject(ip, "subnet", capz_arm_id_ref(sid));
    if (*pip_id) cJSON_AddItemToObject(ip, "publicIPAddress", capz_arm_id_ref(pip_id));
    const char *lbname = NULL, *pool = NULL;
    if (r->control_plane) {
      lbname = S(r->acd, "/spec/networkSpec/apiServerLB/name");
      pool = S(r->acd, "/spec/networkSpec/apiServerLB/backendPool/name");
    } else if (capz_json_ptr_get(r->acd, "/spec/networkSpec/nodeOutboundLB")) {
      lbname = S(r->acd, "/spec/networkSpec/nodeOutboundLB/name");
      pool = S(r->acd, "/spec/networkSpec/nodeOutboundLB/backendPool/name");
    }
    if (lbname && *lbname && pool && *pool) {
      char lb[CAPZ_ARM_ROW_ID_MAX], pid[CAPZ_ARM_ROW_ID_MAX + 200];
      capz_arm_res_id(lb, sizeof lb, sub, r->rg, "Microsoft.Network/loadBalancers", lbname);
      snprintf(pid, sizeof pid, "%s/backendAddressPools/%s", lb, pool);
      cJSON_AddItemToArray(cJSON_AddArrayToObject(ip, "loadBalancerBackendAddressPools"), capz_arm_id_ref(pid));
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "ipConfigurations"), ipc);
    cJSON_AddBoolToObject(p, "enableIPForwarding", capz_json_ptr_bool(r->d, "/spec/enableIPForwarding", false));
    if (!capz_arm_table_add(&r->t, "networkinterfaces", "NetworkInterfacesReady", nic_id, d, OWN_NIC, tags_for(r, name)))
      goto oom;
  }
  /* availability set: only in a region without zones, for a VM without zone or spot */
  if (cJSON_GetArraySize(zones) == 0 && !*zone_of(r) && !capz_json_ptr_get(r->d, "/spec/spotVMOptions")) {
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
      if (!(row = capz_arm_table_add(&r->t, "availabilitysets", "AvailabilitySetReady", as_id, d, OWN_AS, tags_for(r, name))))
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
      sm_name_data_disk(vm, S(dd, "/nameSuffix"), name, sizeof name);
      capz_arm_res_id(id, sizeof id, sub, r->rg, "Microsoft.Compute/disks", name);
      if (!(row = capz_arm_table_add(&r->t, "disks", NULL, id, cJSON_CreateObject(), NULL, NULL))) goto oom;
      row->ownership = false;
    }
  }
  /* VM */
  capz_arm_res_id(id, sizeof id, sub, r->rg, "Microsoft.Compute/virtualMachines", vm);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", r->location);
  if (*zone_of(r)) cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "zones"), cJSON_CreateString(zone_of(r)));
  const char *idt = S(r->d, "/spec/identity");
  if (!strcmp(idt, "SystemAssigned")) cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "identity"), "type", "SystemAssigned");
  else if (!strcmp(idt, "UserAssigned")) {
    cJSON *i = cJSON_AddObjectToObject(d, "identity");
    cJSON_AddStringToObject(i, "type", "UserAssigned");
    cJSON *ua = cJSON_AddObjectToObject(i, "userAssignedIdentities");
    const cJSON *u;
    cJSON_ArrayForEach(u, capz_json_ptr_get(r->d, "/spec/userAssignedIdentities")) {
      const char *pid = S(u, "/providerID");
      if (!strncmp(pid, "azure://", 8)) pid += 8;
      cJSON_AddObjectToObject(ua, pid);
    }
  }
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "hardwareProfile"), "vmSize", S(r->d, "/spec/vmSize"));
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
  cJSON_AddStringToObject(os, "osType", *S(r->d, "/spec/osDisk/osType") ? S(r->d, "/spec/osDisk/osType") : "Linux");
  cJSON_AddStringToObject(os, "createOption", "FromImage");
  if (*S(r->d, "/spec/osDisk/cachingType")) cJSON_AddStringToObject(os, "caching", S(r->d, "/spec/osDisk/cachingType"));
  if (capz_json_ptr_int(r->d, "/spec/osDisk/diskSizeGB", 0) > 0)
    cJSON_AddNumberToObject(os, "diskSizeGB", (double)capz_json_ptr_int(r->d, "/spec/osDisk/diskSizeGB", 0));
  if (*S(r->d, "/spec/osDisk/managedDisk/storageAccountType"))
    cJSON_AddStringToObject(cJSON_AddObjectToObject(os, "managedDisk"), "storageAccountType",
                            S(r->d, "/spec/osDisk/managedDisk/storageAccountType"));
  const cJSON *dd;
  cJSON *dds = cJSON_AddArrayToObject(sp, "dataDisks");
  cJSON_ArrayForEach(dd, capz_json_ptr_get(r->d, "/spec/dataDisks")) {
    cJSON *x = cJSON_CreateObject();
    sm_name_data_disk(vm, S(dd, "/nameSuffix"), name, sizeof name);
    cJSON_AddStringToObject(x, "name", name);
    cJSON_AddNumberToObject(x, "lun", (double)capz_json_ptr_int(dd, "/lun", 0));
    cJSON_AddStringToObject(x, "createOption", "Empty");
    cJSON_AddNumberToObject(x, "diskSizeGB", (double)capz_json_ptr_int(dd, "/diskSizeGB", 0));
    if (*S(dd, "/cachingType")) cJSON_AddStringToObject(x, "caching", S(dd, "/cachingType"));
    if (*S(dd, "/managedDisk/storageAccountType"))
      cJSON_AddStringToObject(cJSON_AddObjectToObject(x, "managedDisk"), "storageAccountType",
                              S(dd, "/managedDisk/storageAccountType"));
    cJSON_AddItemToArray(dds, x);
  }
  cJSON *osp = cJSON_AddObjectToObject(p, "osProfile");
  cJSON_AddStringToObject(osp, "computerName", vm);
  cJSON_AddStringToObject(osp, "adminUsername", "capi");
  if (custom_data) cJSON_AddStringToObject(osp, "customData", custom_data);
  if (strcasecmp(S(r->d, "/spec/osDisk/osType"), "Windows") != 0) {
    cJSON *lc = cJSON_AddObjectToObject(osp, "linuxConfiguration");
    cJSON_AddBoolToObject(lc, "disablePasswordAuthentication", true);
    size_t kl = 0;
    unsigned char *key = capz_b64_decode(S(r->d, "/spec/sshPublicKey"), &kl);
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
    cJSON_AddStringToObject(p, "evictionPolicy", *S(spot, "/evictionPolicy") ? S(spot, "/evictionPolicy") : "Deallocate");
    const cJSON *mp = capz_json_ptr_get(spot, "/maxPrice");
    double price = cJSON_IsNumber(mp) ? mp->valuedouble : cJSON_IsString(mp) ? atof(mp->valuestring) : -1;
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(p, "billingProfile"), "maxPrice", price);
  }
  if (capz_json_ptr_bool(r->d, "/spec/securityProfile/encryptionAtHost", false))
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(p, "securityProfile"), "encryptionAtHost", true);
  cJSON_AddBoolToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "diagnosticsProfile"), "bootDiagnostics"),
                        "enabled", strcasecmp(S(r->d, "/spec/diagnostics/boot/storageAccountType"), "Disabled") != 0);
  if (!capz_arm_table_add(&r->t, "virtualmachine", COND_VM, id, d, OWN_VM, tags_for(r, vm))) goto oom;
  return 0;
oom:
  return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
}

/* status.addresses from the NIC (and public IP) as ARM returns them. */
static cJSON *addresses(m_run *r) {
  cJSON *a = cJSON_CreateArray();
  cJSON *e = cJSON_CreateObject();
  cJSON_AddStringToObject(e, "type", "InternalDNS");
  cJSON_AddStringToObject(e, "address", r->key->name);
  cJSON_AddItemToArray(a, e);
  /* CAPZ's order: InternalDNS, InternalIP(s), ExternalIP(s) */
  for (size_t k = 0; k < 2 * r->t.n; k++) {
    capz_arm_row *row = &r->t.rows[k % r->t.n];
    bool nic = !strcmp(row->service, "networkinterfaces"), pip = !strcmp(row->service, "publicips");
    if ((k < r->t.n && !nic) || (k >= r->t.n && !pip)) continue;
    if (!row->live) {
      capz_arm_response resp;
      if (capz_arm_get(r->az.arm, row->id, NULL, &resp, NULL) == 0) {
        row->live = resp.body;
        resp.body = NULL;
      }
      capz_arm_response_free(&resp);
    }
    const cJSON *ipc;
    if (nic) {
      cJSON_ArrayForEach(ipc, capz_json_ptr_get(row->live, "/properties/ipConfigurations")) {
        const char *ip = S(ipc, "/properties/privateIPAddress");
        if (!*ip) continue;
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", "InternalIP");
        cJSON_AddStringToObject(e, "address", ip);
        cJSON_AddItemToArray(a, e);
      }
    } else if (*S(row->live, "/properties/ipAddress")) {
      e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "type", "ExternalIP");
      cJSON_AddStringToObject(e, "address", S(row->live, "/properties/ipAddress"));
      cJSON_AddItemToArray(a, e);
    }
  }
  return a;
}

static capz_outcome walk_error(m_run *r, capz_result *res) {
  const capz_arm_row *row = &r->t.rows[r->deleting ? r->t.n - 1 - r->w.done : r->w.done];
  bool vm = !strcmp(row->service, "virtualmachine");
  if (!r->deleting && vm && r->w.rc == CAPZ_EFAILED) {
    char m[512];
    capz_fmt(m, sizeof m, "VM %s failed to provision: %.300s", row->name, r->w.err.msg);
    r->vm_state = "Failed";
    return terminal(r, res, "CreateError", "Failed", m);
  }
  vm_cond(r, r->deleting ? "DeletionFailed" : "Failed", CAPZ_SEV_ERROR, r->w.err.msg);
  write_status(r);
  return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, r->deleting ? "DeletionFailed" : "ReconcileError", "%s %s: %s",
                 row->service, row->name, r->w.err.msg);
}

static capz_outcome reconcile_delete(m_run *r, capz_result *res, cJSON *zones) {
  capz_err err;
  if (!capz_has_finalizer(r->am, SM_MACHINE_FINALIZER)) return CAPZ_DONE;
  r->lro_type = "DELETE";
  if (build_table(r, NULL, true, zones, &err)) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "DeletionFailed", "%s", err.msg);
  capz_arm_table_delete(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
  vm_cond(r, "Deleting", CAPZ_SEV_INFO, "deleting the VM and its resources");
  r->vm_state = "Deleting";
  if (r->w.rc) return walk_error(r, res);
  if (r->w.in_progress) {
    write_status(r);
    return requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
  }
  /* the availability set goes with its last VM */
  const capz_arm_row *as = capz_arm_table_find(&r->t, "availabilitysets", NULL);
  if (as) {
    capz_arm_response live;
    if (capz_arm_get(r->az.arm, as->id, NULL, &live, NULL) == 0 &&
        cJSON_GetArraySize(capz_json_ptr_get(live.body, "/properties/virtualMachines")) == 0) {
      capz_arm_ensure_result ar;
      if (capz_arm_ensure_delete(r->s->ensurer, r->az.arm, as->id, r->cluster_name, NULL, &ar, &err) == 0 &&
          ar.outcome == CAPZ_ENSURE_IN_PROGRESS) {
        double after = ar.requeue_after_s;
        capz_arm_ensure_result_free(&ar);
        capz_arm_response_free(&live);
        return requeue(res, after, r->s->poll_floor_s);
      }
      capz_arm_ensure_result_free(&ar);
    }
    capz_arm_response_free(&live);
  }
  bool changed;
  if (capz_finalizer_remove(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, SM_MACHINE_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  return CAPZ_DONE;
}

static int bootstrap_data(m_run *r, char **out, capz_err *err) {
  const char *name = S(r->machine, "/spec/bootstrap/dataSecretName");
  cJSON *sec = capz_ctx_cache_copy(r->ctx, &SM_GVK_SECRET, r->key->ns, name);
  if (!sec) {
    int rc = capz_kube_get(capz_ctx_client(r->ctx), &SM_GVK_SECRET, r->key->ns, name, &sec, err);
    if (rc) return rc;
  }
  const char *v = capz_json_ptr_str(sec, "/data/value", NULL);
  int rc = 0;
  if (!v) rc = capz_err_set(err, CAPZ_EINVAL, "bootstrap data secret %s has no key value", name);
  else if (!(*out = strdup(v))) rc = CAPZ_ENOMEM;
  cJSON *it = capz_json_ptr_get(sec, "/data/value");
  if (it && it->valuestring) OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
  cJSON_Delete(sec);
  return rc;
}

static capz_outcome vm_exists_path(m_run *r, capz_result *res) {
  /* the VM was created: read it (one GET); never recreate one deleted behind our back */
  const capz_arm_row *vm = capz_arm_table_find(&r->t, "virtualmachine", NULL);
  capz_arm_response live;
  capz_err err;
  int rc = capz_arm_get(r->az.arm, vm->id, NULL, &live, &err);
  if (rc == CAPZ_ENOTFOUND) {
    capz_arm_response_free(&live);
    r->vm_state = "Deleted";
    capz_ctx_event(r->ctx, "Warning", "UnexpectedVMDeletion", "VM %s was deleted outside of capz", vm->name);
    return terminal(r, res, "UpdateError", "Deleted", "the VM was deleted outside of the controller");
  }
  if (rc) {
    capz_arm_response_free(&live);
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "ReconcileError", "reading VM %s: %s", vm->name, err.msg);
  }
  const char *ps = S(live.body, "/properties/provisioningState");
  r->vm_state = !strcasecmp(ps, "Succeeded") ? "Succeeded" : !strcasecmp(ps, "Failed") ? "Failed"
              : !strcasecmp(ps, "Deleting") ? "Deleting" : !strcasecmp(ps, "Updating") ? "Updating" : "Creating";
  capz_arm_response_free(&live);
  if (!strcmp(r->vm_state, "Failed")) {
    capz_ctx_event(r->ctx, "Warning", "UnexpectedVMFailure", "VM %s is in state Failed", vm->name);
    vm_cond(r, "Failed", CAPZ_SEV_ERROR, "the VM is in state Failed");
    write_status(r);
    return CAPZ_DONE;
  }
  if (strcmp(r->vm_state, "Succeeded")) {
    vm_cond(r, "Creating", CAPZ_SEV_INFO, "the VM is being provisioned");
    write_status(r);
    return requeue(res, 5, r->s->poll_floor_s);
  }
  r->ready = true;
  r->w.done = r->t.n;
  if (cJSON_GetArraySize(capz_json_ptr_get(r->am, "/status/addresses")) < 2) r->addresses = addresses(r);
  write_status(r);
  return CAPZ_DONE;
}

static capz_outcome reconcile_normal(m_run *r, capz_result *res, cJSON *zones) {
  capz_err err;
  if (!sm_cluster_infra_ready(r->cluster)) {
    vm_cond(r, "WaitingForClusterInfrastructure", CAPZ_SEV_INFO, "cluster infrastructure is not ready yet");
    write_status(r);
    return requeue(res, 5, 5);
  }
  if (!*S(r->machine, "/spec/bootstrap/dataSecretName")) {
    vm_cond(r, "WaitingForBootstrapData", CAPZ_SEV_INFO, "bootstrap data secret is not available yet");
    write_status(r);
    return CAPZ_DONE; /* the Machine watch wakes us when dataSecretName is set */
  }
  bool changed;
  if (sm_block_move(r->ctx, &SM_GVK_AZUREMACHINE, r->key, r->am, true, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
  if (!capz_has_finalizer(r->am, SM_MACHINE_FINALIZER) &&
      capz_finalizer_add(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, SM_MACHINE_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  cJSON *sku = NULL;
  int rc = sm_skus_vm(r->s, r->az.arm, r->az.subscription, r->location, S(r->d, "/spec/vmSize"), &sku, &err);
  cJSON_Delete(sku);
  if (rc == CAPZ_ENOTFOUND) {
    capz_ctx_event(r->ctx, "Warning", "SKUNotFound", "%s", err.msg);
    return terminal(r, res, "InvalidConfiguration", "Failed", err.msg);
  }
  if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "SKUListError", "%s", err.msg);
  bool created = *S(r->am, "/spec/providerID") != '\0';
  char *cd = NULL;
  if (!created && (rc = bootstrap_data(r, &cd, &err))) {
    if (rc == CAPZ_ENOTFOUND) {
      vm_cond(r, "WaitingForBootstrapData", CAPZ_SEV_INFO, "bootstrap data secret not found yet");
      write_status(r);
      return requeue(res, 5, 5);
    }
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "BootstrapDataError", "%s", err.msg);
  }
  rc = build_table(r, cd, false, zones, &err);
  if (cd) {
    OPENSSL_cleanse(cd, strlen(cd));
    free(cd);
  }
  if (rc) return terminal(r, res, "InvalidConfiguration", "Failed", err.msg);
  if (created) {
    /* everything but the VM (the last row): keep it converged (fast path: no requests while unchanged) */
    r->t.n--;
    capz_arm_table_ensure(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
    r->t.n++;
    if (r->w.rc) return walk_error(r, res);
    if (r->w.in_progress) {
      write_status(r);
      return requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
    }
    return vm_exists_path(r, res);
  }
  capz_arm_table_ensure(&r->t, r->s->ensurer, r->az.arm, tok_of, r, &r->w);
  if (r->w.rc) return walk_error(r, res);
  if (r->w.in_progress) {
    bool vm = r->w.done == r->t.n - 1;
    vm_cond(r, "Creating", CAPZ_SEV_INFO, vm ? "creating the VM" : "creating the VM's network resources");
    r->vm_state = "Creating";
    write_status(r);
    return requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
  }
  /* VM done: providerID (RG lower-cased, as CAPZ), then status */
  char pid[CAPZ_ARM_ROW_ID_MAX + 16], rgl[96];
  snprintf(rgl, sizeof rgl, "%s", r->rg);
  for (char *c = rgl; *c; c++) *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
  snprintf(pid, sizeof pid, "azure:///subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s",
           r->az.subscription, rgl, r->key->name);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "spec"), "providerID", pid);
  rc = capz_ctx_merge_patch(r->ctx, &SM_GVK_AZUREMACHINE, r->key->ns, r->key->name, p, &err);
  cJSON_Delete(p);
  if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "PatchError", "setting providerID: %s", err.msg);
  r->vm_state = "Succeeded";
  r->ready = true;
  r->addresses = addresses(r);
  write_status(r);
  capz_ctx_event(r->ctx, "Normal", "VMCreated", "VM %s created", r->key->name);
  return CAPZ_DONE;
}

/* Deleting with the cluster's infrastructure already gone (its resource group went with everything in it): there
 * is nothing left to delete in Azure, only our finalizer to drop. */
static capz_outcome release(m_run *r, capz_result *res) {
  capz_err err;
  bool changed;
  if (capz_has_finalizer(r->am, SM_MACHINE_FINALIZER) &&
      capz_finalizer_remove(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, SM_MACHINE_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  return CAPZ_DONE;
}

capz_outcome sm_machine_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  m_run r = {.s = state, .ctx = ctx, .key = key};
  capz_err err;
  capz_outcome oc = CAPZ_DONE;
  cJSON *zones = NULL;
  int rc = capz_ctx_get(ctx, &r.base, &err);
  if (rc == CAPZ_ENOTFOUND) return CAPZ_DONE;
  if (rc) return capz_ctx_fail(ctx, res, CAPZ_RETRY, "ReadError", "%s", err.msg);
  r.am = cJSON_Duplicate(capz_obj_json(r.base), 1);
  r.deleting = capz_obj_deleting(r.base);
  capz_arm_table_init(&r.t, NULL);
  if (!r.am) {
    oc = CAPZ_RETRY;
    goto out;
  }
  if (!r.deleting && *S(r.am, "/status/failureReason")) goto out; /* terminal until someone replaces the machine */
  const char *mname = capz_owner_ref_name(r.am, "cluster.x-k8s.io", "Machine");
  if (!mname) goto out; /* CAPI sets the owner; its Machine watch wakes us */
  r.machine = capz_ctx_cache_copy(ctx, &SM_GVK_MACHINE, key->ns, mname);
  if (!r.machine) goto out;
  const char *cname = capz_json_ptr_str(r.machine, "/metadata/labels/cluster.x-k8s.io~1cluster-name", NULL);
  if (!cname) cname = S(r.machine, "/spec/clusterName");
  r.cluster = capz_ctx_cache_copy(ctx, &SM_GVK_CLUSTER, key->ns, cname);
  if (!r.cluster && r.deleting) {
    oc = release(&r, res);
    goto out;
  }
  if (!r.cluster) {
    oc = requeue(res, 5, 5);
    goto out;
  }
  r.cluster_name = capz_json_ptr_str(r.cluster, "/metadata/name", "");
  if (capz_is_paused(r.am, r.cluster)) {
    if (sm_block_move(ctx, &SM_GVK_AZUREMACHINE, key, r.am, false, &err))
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
    goto out;
  }
  r.ac = capz_ctx_cache_copy(ctx, &SM_GVK_AZURECLUSTER, key->ns, S(r.cluster, "/spec/infrastructureRef/name"));
  if (!r.ac && r.deleting) {
    oc = release(&r, res);
    goto out;
  }
  if (!r.ac) {
    oc = requeue(res, 5, 5);
    goto out;
  }
  r.acd = cJSON_Duplicate(r.ac, 1);
  r.d = cJSON_Duplicate(r.am, 1);
  r.control_plane = capz_json_ptr_get(r.machine, "/metadata/labels/cluster.x-k8s.io~1control-plane") != NULL;
  if (!r.acd || !r.d || sm_azurecluster_default(r.acd, NULL, &err) ||
      sm_azuremachine_default(r.d, S(r.acd, "/spec/subscriptionID"), &err)) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "DefaultingError", "%s", err.msg);
    goto out;
  }
  r.rg = S(r.acd, "/spec/resourceGroup");
  r.location = S(r.acd, "/spec/location");
  if (!r.deleting) {
    char msg[1024];
    if (sm_azuremachine_validate(r.d, NULL, msg, sizeof msg) > 0) {
      oc = terminal(&r, res, "InvalidConfiguration", "InvalidConfiguration", msg);
      goto out;
    }
    /* a generated SSH key is persisted, as CAPZ's defaulting webhook would have done */
    if (!*S(r.am, "/spec/sshPublicKey") && *S(r.d, "/spec/sshPublicKey")) {
      cJSON *p = cJSON_CreateObject();
      cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "spec"), "sshPublicKey", S(r.d, "/spec/sshPublicKey"));
      rc = capz_ctx_merge_patch(ctx, &SM_GVK_AZUREMACHINE, key->ns, key->name, p, &err);
      cJSON_Delete(p);
      oc = rc ? capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg) : CAPZ_DONE; /* the update wakes us */
      goto out;
    }
  }
  rc = sm_azure_for_cluster(r.s, ctx, r.acd, &r.az, &err);
  if (rc) {
    vm_cond(&r, "Failed", CAPZ_SEV_ERROR, err.msg);
    write_status(&r);
    oc = capz_ctx_fail(ctx, res, capz_err_is_transient(rc) ? CAPZ_RETRY : CAPZ_TERMINAL, "InvalidIdentity", "%s", err.msg);
    goto out;
  }
  r.t.cluster_name = r.cluster_name;
  rc = sm_skus_zones(r.s, r.az.arm, r.az.subscription, r.location, &zones, &err);
  if (rc) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "SKUListError", "%s", err.msg);
    goto out;
  }
  oc = r.deleting ? reconcile_delete(&r, res, zones) : reconcile_normal(&r, res, zones);
out:
  cJSON_Delete(zones);
  cJSON_Delete(r.addresses);
  capz_arm_table_free(&r.t);
  capz_arm_walk_free(&r.w);
  cJSON_Delete(r.d);
  cJSON_Delete(r.acd);
  cJSON_Delete(r.ac);
  cJSON_Delete(r.cluster);
  cJSON_Delete(r.machine);
  cJSON_Delete(r.am);
  capz_obj_unref(r.base);
  return oc;
}
