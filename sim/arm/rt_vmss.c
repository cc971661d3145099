/* rt_vmss.c — virtualMachineScaleSets. Uniform sets own instance resources (.../virtualMachines/{id}) that
 * follow sku.capacity, carry the model version they run (latestModelApplied) and get addresses from their
 * subnets; Flexible sets create ordinary virtualMachines. Actions: delete instances, manualupgrade, power. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INST_TYPE "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"

static const char *const vmss_immutable[] = {"/properties/orchestrationMode", "/zones",
                                             "/properties/virtualMachineProfile/osProfile/adminUsername",
                                             "/properties/virtualMachineProfile/osProfile/computerNamePrefix", NULL};

static bool flexible(const cJSON *doc) {
  return arm_ieq(capz_json_ptr_str(doc, "/properties/orchestrationMode", "Uniform"), "Flexible");
}

static int vmss_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)id;
  (void)old;
  if (rt_check_vm_size(c, capz_json_ptr_str(doc, "/sku/name", NULL), e)) return -1;
  const cJSON *cap = capz_json_ptr_get(doc, "/sku/capacity");
  if (cap && (!cJSON_IsNumber(cap) || cap->valuedouble < 0 || cap->valuedouble > 1000))
    return arm_err_set(e, 400, "InvalidParameter", "sku.capacity must be between 0 and 1000.");
  if (rt_check_zones(c, doc, cJSON_GetObjectItemCaseSensitive(doc, "zones"), e)) return -1;
  const cJSON *prof = capz_json_ptr_get(doc, "/properties/virtualMachineProfile");
  if (!flexible(doc) && !cJSON_IsObject(prof) && cap && cap->valuedouble > 0)
    return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'virtualMachineProfile' is missing (null).");
  if (flexible(doc) && !capz_json_ptr_get(doc, "/properties/platformFaultDomainCount"))
    return arm_err_set(e, 400, "InvalidParameter",
                       "Required parameter 'platformFaultDomainCount' is missing (null) for Flexible orchestration mode.");
  if (rt_check_custom_data(capz_json_ptr_get(prof, "/osProfile"), e)) return -1;
  const cJSON *nc;
  cJSON_ArrayForEach(nc, capz_json_ptr_get(prof, "/networkProfile/networkInterfaceConfigurations")) {
    const cJSON *ipc;
    cJSON_ArrayForEach(ipc, capz_json_ptr_get(nc, "/properties/ipConfigurations")) {
      if (arm_check_ref(c, ipc, "/properties/subnet/id", "Microsoft.Network/virtualNetworks/subnets", e)) return -1;
      const cJSON *pool;
      cJSON_ArrayForEach(pool, capz_json_ptr_get(ipc, "/properties/loadBalancerBackendAddressPools"))
        if (rt_check_lb_child(c, arm_jstr(pool, "id") ? arm_jstr(pool, "id") : "", "backendAddressPools", e)) return -1;
    }
  }
  return 0;
}

static int model_version(const arm_res *r) { return (int)capz_json_ptr_int(r->priv, "/modelVersion", 1); }

static void computer_name(const arm_res *ss, int iid, char *out, size_t n) {
  const char *prefix = capz_json_ptr_str(ss->doc, "/properties/virtualMachineProfile/osProfile/computerNamePrefix", arm_id_name(ss->id));
  char b36[8];
  const char *dig = "0123456789abcdefghijklmnopqrstuvwxyz";
  unsigned v = (unsigned)iid;
  for (int i = 5; i >= 0; i--) { b36[i] = dig[v % 36]; v /= 36; }
  b36[6] = '\0';
  snprintf(out, n, "%s%s", prefix, b36);
}

static void alloc_instance_ips(arm_ctx *c, const char *owner_base, const cJSON *prof, arm_err *e) {
  const cJSON *nc;
  cJSON_ArrayForEach(nc, capz_json_ptr_get(prof, "/networkProfile/networkInterfaceConfigurations")) {
    const cJSON *ipc;
    cJSON_ArrayForEach(ipc, capz_json_ptr_get(nc, "/properties/ipConfigurations")) {
      const char *sub = capz_json_ptr_str(ipc, "/properties/subnet/id", NULL);
      arm_res *s = sub ? arm_store_get(c->store, sub) : NULL;
      if (!s) continue;
      char owner[ARM_ID_MAX], ip[64];
      snprintf(owner, sizeof owner, "%.700s/networkInterfaces/%.100s/ipConfigurations/%.100s", owner_base,
               arm_jstr(nc, "name") ? arm_jstr(nc, "name") : "nic", arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "ipc");
      rt_subnet_alloc(c, sub, rt_ipc_family(ipc), owner, NULL, ip, sizeof ip, e);
    }
  }
}

static int add_uniform_instance(arm_ctx *c, arm_res *ss, int iid, int n, arm_err *e) {
  char id[ARM_ID_MAX], name[300], cn[128];
  snprintf(id, sizeof id, "%s/virtualMachines/%d", ss->id, iid);
  snprintf(name, sizeof name, "%s_%d", arm_id_name(ss->id), iid);
  computer_name(ss, iid, cn, sizeof cn);
  const cJSON *prof = capz_json_ptr_get(ss->doc, "/properties/virtualMachineProfile");
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "id", id);
  cJSON_AddStringToObject(doc, "name", name);
  cJSON_AddStringToObject(doc, "type", INST_TYPE);
  cJSON_AddStringToObject(doc, "location", arm_jstr(ss->doc, "location"));
  char iids[16];
  snprintf(iids, sizeof iids, "%d", iid);
  cJSON_AddStringToObject(doc, "instanceId", iids);
  cJSON *sku = cJSON_AddObjectToObject(doc, "sku");
  cJSON_AddStringToObject(sku, "name", capz_json_ptr_str(ss->doc, "/sku/name", ""));
  cJSON_AddStringToObject(sku, "tier", capz_json_ptr_str(ss->doc, "/sku/tier", "Standard"));
  const cJSON *zones = cJSON_GetObjectItemCaseSensitive(ss->doc, "zones");
  if (cJSON_GetArraySize(zones) > 0) {
    cJSON *z = cJSON_AddArrayToObject(doc, "zones");
    cJSON_AddItemToArray(z, cJSON_Duplicate(cJSON_GetArrayItem(zones, n % cJSON_GetArraySize(zones)), 1));
  }
  cJSON *tags = cJSON_GetObjectItemCaseSensitive(ss->doc, "tags");
  if (tags) cJSON_AddItemToObject(doc, "tags", cJSON_Duplicate(tags, 1));
  cJSON *p = cJSON_AddObjectToObject(doc, "properties");
  char u[37], ts[48];
  arm_uuid(u);
  arm_now_iso(ts, sizeof ts, arm_now());
  cJSON_AddStringToObject(p, "vmId", u);
  cJSON_AddStringToObject(p, "timeCreated", ts);
  const char *pst = arm_get_state(ss);
  bool transitional = pst && (strcmp(pst, "Creating") == 0 || strcmp(pst, "Updating") == 0);
  cJSON_AddStringToObject(p, "provisioningState", transitional ? "Creating" : "Succeeded");
  cJSON *hw = cJSON_AddObjectToObject(p, "hardwareProfile");
  cJSON_AddStringToObject(hw, "vmSize", capz_json_ptr_str(ss->doc, "/sku/name", ""));
  cJSON *os = cJSON_Duplicate(capz_json_ptr_get(prof, "/osProfile"), 1);
  if (!os) os = cJSON_CreateObject();
  cJSON_DeleteItemFromObjectCaseSensitive(os, "computerNamePrefix");
  cJSON_AddStringToObject(os, "computerName", cn);
  cJSON_AddItemToObject(p, "osProfile", os);
  const cJSON *sp = capz_json_ptr_get(prof, "/storageProfile");
  if (sp) cJSON_AddItemToObject(p, "storageProfile", cJSON_Duplicate(sp, 1));
  cJSON *np = cJSON_AddObjectToObject(p, "networkProfile");
  cJSON *nics = cJSON_AddArrayToObject(np, "networkInterfaces");
  const cJSON *nc;
  cJSON_ArrayForEach(nc, capz_json_ptr_get(prof, "/networkProfile/networkInterfaceConfigurations")) {
    char nid[ARM_ID_MAX + 320];
    snprintf(nid, sizeof nid, "%s/networkInterfaces/%s", id, arm_jstr(nc, "name") ? arm_jstr(nc, "name") : "nic");
    cJSON_AddItemToArray(nics, arm_ref(nid));
  }
  const cJSON *npc = capz_json_ptr_get(prof, "/networkProfile");
  if (npc) cJSON_AddItemToObject(p, "networkProfileConfiguration", cJSON_Duplicate(npc, 1));
  arm_res *r = arm_store_put(c->store, id, arm_rtype_find(INST_TYPE), doc);
  if (!r) return arm_err_set(e, 500, "InternalServerError", "out of memory");
  arm_new_etag(r);
  arm_jset(r->priv, "modelVersion", cJSON_CreateNumber(model_version(ss)));
  arm_jset(r->priv, "power", cJSON_CreateString("running"));
  alloc_instance_ips(c, id, prof, e);
  return 0;
}

static int add_flexible_member(arm_ctx *c, arm_res *ss, int n, arm_err *e) {
  char rg[128], sub[64], id[ARM_ID_MAX], hex[9], seed[ARM_ID_MAX + 32], cn[128];
  arm_id_rg(ss->id, rg, sizeof rg);
  arm_id_sub(ss->id, sub, sizeof sub);
  snprintf(seed, sizeof seed, "%s#%lld", ss->id, c->seq++);
  rt_hex8(seed, hex);
  snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s_%s", sub, rg,
           arm_id_name(ss->id), hex);
  const cJSON *prof = capz_json_ptr_get(ss->doc, "/properties/virtualMachineProfile");
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "location", arm_jstr(ss->doc, "location"));
  const cJSON *zones = cJSON_GetObjectItemCaseSensitive(ss->doc, "zones");
  if (cJSON_GetArraySize(zones) > 0) {
    cJSON *z = cJSON_AddArrayToObject(doc, "zones");
    cJSON_AddItemToArray(z, cJSON_Duplicate(cJSON_GetArrayItem(zones, n % cJSON_GetArraySize(zones)), 1));
  }
  cJSON *p = cJSON_AddObjectToObject(doc, "properties");
  cJSON *hw = cJSON_AddObjectToObject(p, "hardwareProfile");
  cJSON_AddStringToObject(hw, "vmSize", capz_json_ptr_str(ss->doc, "/sku/name", ""));
  cJSON *os = cJSON_Duplicate(capz_json_ptr_get(prof, "/osProfile"), 1);
  if (!os) os = cJSON_CreateObject();
  cJSON_DeleteItemFromObjectCaseSensitive(os, "computerNamePrefix");
  computer_name(ss, n, cn, sizeof cn);
  snprintf(cn + strlen(cn) - 6, 7, "%.6s", hex);
  cJSON_AddStringToObject(os, "computerName", cn);
  if (!arm_jstr(os, "adminUsername")) cJSON_AddStringToObject(os, "adminUsername", "azureuser");
  cJSON_AddItemToObject(p, "osProfile", os);
  cJSON *sp = cJSON_Duplicate(capz_json_ptr_get(prof, "/storageProfile"), 1);
  if (!sp) {
    sp = cJSON_CreateObject();
    cJSON *img = cJSON_AddObjectToObject(sp, "imageReference");
    cJSON_AddStringToObject(img, "publisher", "Canonical");
    cJSON_AddStringToObject(img, "offer", "ubuntu-24_04-lts");
    cJSON_AddStringToObject(img, "sku", "server");
    cJSON_AddStringToObject(img, "version", "latest");
  }
  cJSON *osd = cJSON_GetObjectItemCaseSensitive(sp, "osDisk");
  if (osd) cJSON_DeleteItemFromObjectCaseSensitive(osd, "name");
  if (osd && !arm_jstr(osd, "deleteOption")) cJSON_AddStringToObject(osd, "deleteOption", "Delete");
  cJSON_AddItemToObject(p, "storageProfile", sp);
  cJSON *np = cJSON_Duplicate(capz_json_ptr_get(prof, "/networkProfile"), 1);
  if (!np || !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(np, "networkInterfaceConfigurations"))) {
    cJSON_Delete(np);
    cJSON_Delete(doc);
    return arm_err_set(e, 400, "InvalidParameter", "Flexible scale set %s needs networkInterfaceConfigurations to create VMs.",
                       arm_id_name(ss->id));
  }
  cJSON_AddItemToObject(p, "networkProfile", np);
  cJSON *vref = cJSON_AddObjectToObject(p, "virtualMachineScaleSet");
  cJSON_AddStringToObject(vref, "id", ss->id);
  arm_res *vm = arm_engine_create(c, id, "Microsoft.Compute/virtualMachines", doc, e);
  if (!vm) return -1;
  arm_jset(vm->priv, "modelVersion", cJSON_CreateNumber(model_version(ss)));
  return 0;
}

typedef struct member {
  arm_res *r;
  long long seq;
  int iid;
} member;

static int by_seq(const void *a, const void *b) {
  const member *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}
static int by_iid(const void *a, const void *b) {
  const member *x = a, *y = b;
  return x->iid - y->iid;
}

/* Members of a scale set: Uniform instances under it, or Flexible VMs that name it. Caller frees. */
static member *members_of(arm_ctx *c, arm_res *ss, int *n) {
  *n = 0;
  int cap = 16;
  member *v = malloc((size_t)cap * sizeof *v);
  if (!v) return NULL;
  bool flex = flexible(ss->doc);
  const arm_rtype *t = arm_rtype_find(flex ? "Microsoft.Compute/virtualMachines" : INST_TYPE);
  size_t kl = strlen(ss->key);
  for (arm_res *x = arm_store_first_of(c->store, t); x; x = x->tnext) {
    bool mine = flex ? arm_ieq(capz_json_ptr_str(x->doc, "/properties/virtualMachineScaleSet/id", ""), ss->id)
                     : strncmp(x->key, ss->key, kl) == 0 && x->key[kl] == '/';
    if (!mine) continue;
    if (*n == cap) {
      cap *= 2;
      member *nv = realloc(v, (size_t)cap * sizeof *nv);
      if (!nv) break;
      v = nv;
    }
    v[*n].r = x;
    v[*n].seq = x->seq;
    v[*n].iid = flex ? 0 : atoi(arm_id_name(x->id));
    (*n)++;
  }
  return v;
}

/* Bring the number of members to sku.capacity: scale-out adds, scale-in removes per scaleInPolicy. */
static int reconcile(arm_ctx *c, arm_res *ss, arm_err *e) {
  int want = (int)capz_json_ptr_int(ss->doc, "/sku/capacity", 0);
  int n = 0;
  member *m = members_of(c, ss, &n);
  if (!m) return arm_err_set(e, 500, "InternalServerError", "out of memory");
  int rc = 0;
  if (n < want) {
    int next = (int)capz_json_ptr_int(ss->priv, "/nextInstanceId", 0);
    for (int i = n; i < want && !rc; i++) {
      rc = flexible(ss->doc) ? add_flexible_member(c, ss, i, e) : add_uniform_instance(c, ss, next, i, e);
      next++;
    }
    arm_jset(ss->priv, "nextInstanceId", cJSON_CreateNumber(next));
  } else if (n > want) {
    const char *policy = capz_json_ptr_str(ss->doc, "/properties/scaleInPolicy/rules/0", "Default");
    bool oldest = strcasecmp(policy, "OldestVM") == 0;
    qsort(m, (size_t)n, sizeof *m, strcasecmp(policy, "Default") == 0 && !flexible(ss->doc) ? by_iid : by_seq);
    arm_jset(ss->priv, "reconciling", cJSON_CreateTrue());
    char **keys = calloc((size_t)(n - want), sizeof *keys);
    for (int i = 0; keys && i < n - want; i++) keys[i] = strdup(oldest ? m[i].r->key : m[n - 1 - i].r->key);
    for (int i = 0; keys && i < n - want; i++) {
      arm_res *x = keys[i] ? arm_store_get(c->store, keys[i]) : NULL;
      if (x) arm_engine_delete_tree(c, x);
      free(keys[i]);
    }
    free(keys);
    arm_jset(ss->priv, "reconciling", cJSON_CreateFalse());
  }
  free(m);
  return rc;
}

static int vmss_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  cJSON *os = capz_json_ptr_get(r->doc, "/properties/virtualMachineProfile/osProfile");
  unsigned cdh = 0;
  const char *cd = arm_jstr(os, "customData");
  if (cd) cdh = arm_hash32(cd);
  cJSON_DeleteItemFromObjectCaseSensitive(os, "customData"); /* write-only */
  cJSON_DeleteItemFromObjectCaseSensitive(os, "adminPassword");
  if (!old) {
    arm_jset(r->priv, "modelVersion", cJSON_CreateNumber(1));
  } else {
    const cJSON *op = capz_json_ptr_get(old, "/properties/virtualMachineProfile");
    const cJSON *np = capz_json_ptr_get(r->doc, "/properties/virtualMachineProfile");
    bool changed = (op || np) && !(op && np && capz_json_equal(op, np));
    if (cdh && (unsigned)capz_json_ptr_int(r->priv, "/customDataHash", 0) != cdh) changed = true;
    if (!np && op) rt_keep(r->doc, old, "/properties/virtualMachineProfile"); /* PATCH of capacity only */
    else if (changed) arm_jset(r->priv, "modelVersion", cJSON_CreateNumber(model_version(r) + 1));
  }
  if (cdh) arm_jset(r->priv, "customDataHash", cJSON_CreateNumber(cdh));
  if (!capz_json_ptr_get(r->doc, "/sku/capacity")) {
    const cJSON *oc = old ? capz_json_ptr_get(old, "/sku/capacity") : NULL;
    capz_json_ptr_set(r->doc, "/sku/capacity", cJSON_CreateNumber(oc ? oc->valuedouble : 0), NULL);
  }
  char u[37], ts[48];
  arm_uuid(u);
  arm_now_iso(ts, sizeof ts, arm_now());
  rt_default(r->doc, "uniqueId", cJSON_CreateString(u));
  rt_default(r->doc, "timeCreated", cJSON_CreateString(ts));
  rt_keep(r->doc, old, "/properties/uniqueId");
  rt_keep(r->doc, old, "/properties/timeCreated");
  if (!flexible(r->doc)) {
    rt_default(r->doc, "orchestrationMode", cJSON_CreateString("Uniform"));
    rt_default(r->doc, "singlePlacementGroup", cJSON_CreateTrue());
    rt_default(r->doc, "overprovision", cJSON_CreateTrue());
    cJSON *up = cJSON_CreateObject();
    cJSON_AddStringToObject(up, "mode", "Manual");
    rt_default(r->doc, "upgradePolicy", up);
  }
  rt_fill_identity(c, r, old);
  return reconcile(c, r, e);
}

static void vmss_ready(arm_ctx *c, arm_res *r) {
  int n = 0;
  member *m = members_of(c, r, &n);
  const char *mode = capz_json_ptr_str(r->doc, "/properties/upgradePolicy/mode", "Manual");
  bool auto_upgrade = strcasecmp(mode, "Manual") != 0;
  for (int i = 0; m && i < n; i++) {
    const char *st = arm_get_state(m[i].r);
    if (st && strcmp(st, "Creating") == 0) arm_jset(arm_props(m[i].r->doc), "provisioningState", cJSON_CreateString("Succeeded"));
    if (auto_upgrade) arm_jset(m[i].r->priv, "modelVersion", cJSON_CreateNumber(model_version(r)));
  }
  free(m);
}

static void vmss_on_delete(arm_ctx *c, arm_res *r) {
  arm_ipam_release_owner(c->ipam, r->id);
  if (!flexible(r->doc)) return;
  arm_set_state(r, "Deleting");
  int n = 0;
  member *m = members_of(c, r, &n);
  char **keys = m ? calloc((size_t)n + 1, sizeof *keys) : NULL;
  for (int i = 0; keys && i < n; i++) keys[i] = strdup(m[i].r->key);
  free(m);
  for (int i = 0; keys && i < n; i++) {
    arm_res *x = keys[i] ? arm_store_get(c->store, keys[i]) : NULL;
    if (x) arm_engine_delete_tree(c, x);
    free(keys[i]);
  }
  free(keys);
}

/* ---------------------------------------------------------------- actions */

static arm_res *instance(arm_ctx *c, arm_res *ss, const char *iid) {
  char id[ARM_ID_MAX];
  snprintf(id, sizeof id, "%s/virtualMachines/%s", ss->id, iid);
  return arm_store_get(c->store, id);
}

static void delete_instances_done(arm_ctx *c, arm_op *op, int final) {
  arm_res *ss = arm_store_get(c->store, op->res_key);
  if (!ss) return;
  const cJSON *iid;
  cJSON_ArrayForEach(iid, op->argj) {
    arm_res *x = instance(c, ss, iid->valuestring);
    if (!x) continue;
    if (final == ARM_OP_SUCCEEDED) arm_engine_delete_tree(c, x); /* on_delete lowers the capacity */
    else arm_jset(arm_props(x->doc), "provisioningState", cJSON_CreateString("Failed"));
  }
}

static void upgrade_done(arm_ctx *c, arm_op *op, int final) {
  arm_res *ss = arm_store_get(c->store, op->res_key);
  if (!ss || final != ARM_OP_SUCCEEDED) return;
  const cJSON *iid;
  cJSON_ArrayForEach(iid, op->argj) {
    arm_res *x = instance(c, ss, iid->valuestring);
    if (!x) continue;
    if (op->arg[0]) arm_jset(x->priv, "power", cJSON_CreateString(op->arg));
    else arm_jset(x->priv, "modelVersion", cJSON_CreateNumber(model_version(ss)));
  }
}

/* instanceIds from the body (all members when absent and all_default); NULL + 400 on an unknown id. */
static cJSON *instance_ids(arm_ctx *c, const arm_req *q, arm_res *ss, bool all_default, arm_resp *out) {
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive(q->json, "instanceIds");
  cJSON *res = cJSON_CreateArray();
  if (!ids) {
    if (!all_default) {
      cJSON_Delete(res);
      arm_resp_error(out, 400, "InvalidParameter", "Required parameter 'instanceIds' is missing (null).");
      return NULL;
    }
    int n = 0;
    member *m = members_of(c, ss, &n);
    for (int i = 0; m && i < n; i++) cJSON_AddItemToArray(res, cJSON_CreateString(arm_id_name(m[i].r->id)));
    free(m);
    return res;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, ids) {
    if (!cJSON_IsString(it) || !instance(c, ss, it->valuestring)) {
      cJSON_Delete(res);
      arm_resp_error(out, 400, "InvalidParameter", "The provided instanceId %s is not an active Virtual Machine Scale Set VM instanceId.",
                     cJSON_IsString(it) ? it->valuestring : "?");
      return NULL;
    }
    cJSON_AddItemToArray(res, cJSON_CreateString(it->valuestring));
  }
  return res;
}

static int vmss_action(arm_ctx *c, const arm_req *q, arm_res *r, const char *action, arm_resp *out) {
  if (strcmp(q->method, "GET") == 0) {
    if (strcasecmp(action, "instanceView") != 0) return -1;
    int n = 0;
    member *m = members_of(c, r, &n);
    cJSON *iv = rt_instance_view(arm_get_state(r), NULL, NULL);
    cJSON_DeleteItemFromObjectCaseSensitive(iv, "vmAgent");
    cJSON_DeleteItemFromObjectCaseSensitive(iv, "osName");
    cJSON_DeleteItemFromObjectCaseSensitive(iv, "osVersion");
    cJSON *vm = cJSON_AddObjectToObject(iv, "virtualMachine");
    cJSON *sum = cJSON_AddArrayToObject(vm, "statusesSummary");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "code", "ProvisioningState/succeeded");
    cJSON_AddNumberToObject(s, "count", n);
    cJSON_AddItemToArray(sum, s);
    free(m);
    arm_resp_json(out, 200, iv);
    return 0;
  }
  if (flexible(r->doc) && strcasecmp(action, "delete") != 0) return -1;
  static const struct { const char *action, *power, *what; } acts[] = {
      {"manualupgrade", "", "Updating"}, {"start", "running", "Starting"}, {"powerOff", "stopped", "Stopping"},
      {"restart", "running", "Restarting"}, {"deallocate", "deallocated", "Deallocating"}, {"reimage", "running", "Reimaging"}};
  if (r->busy_op[0]) {
    arm_resp_error(out, 409, "Conflict", "Operation '%s' is not allowed on scale set '%s' while it is %s.", action,
                   arm_id_name(r->id), r->busy_what);
    return 0;
  }
  if (strcasecmp(action, "delete") == 0) {
    if (flexible(r->doc)) return -1;
    cJSON *ids = instance_ids(c, q, r, false, out);
    if (!ids) return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, ids) {
      arm_res *x = instance(c, r, it->valuestring);
      if (x) arm_jset(arm_props(x->doc), "provisioningState", cJSON_CreateString("Deleting"));
    }
    arm_op *op = rt_action_op(c, q, r, "Deleting instances", delete_instances_done, true, out);
    if (op) op->argj = ids;
    else cJSON_Delete(ids);
    return 0;
  }
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    if (strcasecmp(action, acts[i].action) != 0) continue;
    cJSON *ids = instance_ids(c, q, r, i != 0, out);
    if (!ids) return 0;
    arm_op *op = rt_action_op(c, q, r, acts[i].what, upgrade_done, true, out);
    if (op) {
      op->argj = ids;
      snprintf(op->arg, sizeof op->arg, "%s", acts[i].power);
    } else {
      cJSON_Delete(ids);
    }
    return 0;
  }
  return -1;
}

const arm_rtype rt_vmss = {
    .type = "Microsoft.Compute/virtualMachineScaleSets",
    .lro = ARM_LRO_COMPUTE,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS,
    .immutable = vmss_immutable,
    .create_state = "Creating",
    .validate = vmss_validate,
    .fill = vmss_fill,
    .on_ready = vmss_ready,
    .on_delete = vmss_on_delete,
    .action = vmss_action,
};

/* ---------------------------------------------------------------- instances */

static void inst_render(arm_ctx *c, arm_res *r, cJSON *out, const arm_req *q) {
  char ssid[ARM_ID_MAX];
  arm_id_parent(r->id, ssid, sizeof ssid);
  arm_res *ss = arm_store_get(c->store, ssid);
  arm_jset(arm_props(out), "latestModelApplied", cJSON_CreateBool(ss && model_version(r) == model_version(ss)));
  if (arm_expand(q, "instanceView"))
    arm_jset(arm_props(out), "instanceView",
             rt_instance_view(arm_get_state(r), arm_jstr(r->priv, "power"),
                              capz_json_ptr_str(r->doc, "/properties/osProfile/computerName", NULL)));
}

static void inst_on_delete(arm_ctx *c, arm_res *r) {
  arm_ipam_release_owner(c->ipam, r->id);
  char ssid[ARM_ID_MAX];
  arm_id_parent(r->id, ssid, sizeof ssid);
  arm_res *ss = arm_store_get(c->store, ssid);
  if (!ss || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ss->priv, "reconciling")) || arm_ieq(arm_get_state(ss), "Deleting"))
    return;
  cJSON *cap = capz_json_ptr_get(ss->doc, "/sku/capacity");
  if (cJSON_IsNumber(cap) && cap->valuedouble > 0) cJSON_SetNumberValue(cap, cap->valuedouble - 1);
}

static int inst_action(arm_ctx *c, const arm_req *q, arm_res *r, const char *action, arm_resp *out) {
  (void)c;
  if (strcmp(q->method, "GET") == 0 && strcasecmp(action, "instanceView") == 0) {
    arm_resp_json(out, 200, rt_instance_view(arm_get_state(r), arm_jstr(r->priv, "power"),
                                             capz_json_ptr_str(r->doc, "/properties/osProfile/computerName", NULL)));
    return 0;
  }
  return -1;
}

const arm_rtype rt_vmss_vm = {
    .type = INST_TYPE,
    .lro = ARM_LRO_COMPUTE,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS | ARM_RT_NO_PUT,
    .create_state = "Creating",
    .render = inst_render,
    .on_delete = inst_on_delete,
    .action = inst_action,
};

/* ---------------------------------------------------------------- instance NICs (served by NRP) */

/* The NIC of a Uniform instance as NRP shows it, from the instance's network profile and its addresses. */
static cJSON *instance_nic(arm_ctx *c, arm_res *inst, const cJSON *nc) {
  char ssid[ARM_ID_MAX];
  arm_id_parent(inst->id, ssid, sizeof ssid);
  const char *name = arm_jstr(nc, "name") ? arm_jstr(nc, "name") : "nic";
  cJSON *o = cJSON_CreateObject();
  char id[ARM_ID_MAX + 256];
  snprintf(id, sizeof id, "%.900s/networkInterfaces/%.100s", inst->id, name);
  cJSON_AddStringToObject(o, "id", id);
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "type", "Microsoft.Network/networkInterfaces");
  cJSON_AddStringToObject(o, "location", arm_jstr(inst->doc, "location") ? arm_jstr(inst->doc, "location") : "");
  cJSON *p = cJSON_AddObjectToObject(o, "properties");
  cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
  cJSON_AddBoolToObject(p, "primary", capz_json_ptr_bool(nc, "/properties/primary", true));
  cJSON *vm = cJSON_AddObjectToObject(p, "virtualMachine");
  cJSON_AddStringToObject(vm, "id", inst->id);
  cJSON *ipcs = cJSON_AddArrayToObject(p, "ipConfigurations");
  const cJSON *ipc;
  cJSON_ArrayForEach(ipc, capz_json_ptr_get(nc, "/properties/ipConfigurations")) {
    const char *in = arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "ipc";
    char iid[ARM_ID_MAX + 512], ip[64] = "";
    snprintf(iid, sizeof iid, "%s/ipConfigurations/%.100s", id, in);
    arm_ipam_owner_ip(c->ipam, iid, ip, sizeof ip);
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "id", iid);
    cJSON_AddStringToObject(x, "name", in);
    cJSON *xp = cJSON_AddObjectToObject(x, "properties");
    if (ip[0]) cJSON_AddStringToObject(xp, "privateIPAddress", ip);
    cJSON_AddStringToObject(xp, "privateIPAllocationMethod", "Dynamic");
    cJSON_AddStringToObject(xp, "privateIPAddressVersion", rt_ipc_family(ipc) == 6 ? "IPv6" : "IPv4");
    cJSON_AddBoolToObject(xp, "primary", capz_json_ptr_bool(ipc, "/properties/primary", true));
    const cJSON *sub = capz_json_ptr_get(ipc, "/properties/subnet");
    if (sub) cJSON_AddItemToObject(xp, "subnet", cJSON_Duplicate(sub, 1));
    const cJSON *pools = capz_json_ptr_get(ipc, "/properties/loadBalancerBackendAddressPools");
    if (pools) cJSON_AddItemToObject(xp, "loadBalancerBackendAddressPools", cJSON_Duplicate(pools, 1));
    cJSON_AddItemToArray(ipcs, x);
  }
  return o;
}

static arm_res *nic_instance(arm_ctx *c, const arm_path *p, arm_resp *out) {
  char iid[ARM_ID_MAX];
  if (p->kind == ARM_PATH_COLLECTION) snprintf(iid, sizeof iid, "%s", p->id);
  else arm_id_parent(p->id, iid, sizeof iid);
  arm_res *inst = arm_store_get(c->store, iid);
  if (!inst) arm_resp_error(out, 404, "ResourceNotFound", "The virtual machine scale set VM '%s' was not found.", arm_id_name(iid));
  return inst;
}

static int inst_nics_list(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out) {
  (void)q;
  arm_res *inst = nic_instance(c, p, out);
  if (!inst) return 1;
  cJSON *b = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(b, "value");
  const cJSON *nc;
  cJSON_ArrayForEach(nc, capz_json_ptr_get(inst->doc, "/properties/networkProfileConfiguration/networkInterfaceConfigurations"))
    cJSON_AddItemToArray(arr, instance_nic(c, inst, nc));
  arm_resp_json(out, 200, b);
  return 1;
}

static void inst_nic_get(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out) {
  if (strcmp(q->method, "GET") != 0) {
    arm_resp_error(out, 405, "MethodNotAllowed", "Scale set instance network interfaces are read-only.");
    return;
  }
  arm_res *inst = nic_instance(c, p, out);
  if (!inst) return;
  const cJSON *nc;
  cJSON_ArrayForEach(nc, capz_json_ptr_get(inst->doc, "/properties/networkProfileConfiguration/networkInterfaceConfigurations"))
    if (arm_ieq(arm_jstr(nc, "name"), p->name)) {
      arm_resp_json(out, 200, instance_nic(c, inst, nc));
      return;
    }
  arm_resp_error(out, 404, "ResourceNotFound", "The network interface '%s' was not found.", p->name);
}

const arm_rtype rt_vmss_vm_nic = {
    .type = INST_TYPE "/networkInterfaces",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_READONLY,
    .list = inst_nics_list,
    .handle = inst_nic_get,
};

void rt_vmss_pool_refs(arm_ctx *c, const char *pool_id, cJSON *arr) {
  const arm_rtype *it = arm_rtype_find(INST_TYPE);
  for (arm_res *x = arm_store_first_of(c->store, it); x; x = x->tnext) {
    const cJSON *nc;
    cJSON_ArrayForEach(nc, capz_json_ptr_get(x->doc, "/properties/networkProfileConfiguration/networkInterfaceConfigurations")) {
      const cJSON *ipc;
      cJSON_ArrayForEach(ipc, capz_json_ptr_get(nc, "/properties/ipConfigurations")) {
        const cJSON *pool;
        cJSON_ArrayForEach(pool, capz_json_ptr_get(ipc, "/properties/loadBalancerBackendAddressPools")) {
          if (!arm_ieq(arm_jstr(pool, "id"), pool_id)) continue;
          char id[ARM_ID_MAX + 512];
          snprintf(id, sizeof id, "%.800s/networkInterfaces/%.100s/ipConfigurations/%.100s", x->id,
                   arm_jstr(nc, "name") ? arm_jstr(nc, "name") : "nic", arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "ipc");
          cJSON_AddItemToArray(arr, arm_ref(id));
        }
      }
    }
  }
}
