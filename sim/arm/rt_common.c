/* rt_common.c — helpers shared by the resource-type files. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int rt_fill_subobjects(arm_res *r, const char *member, const char *type, arm_err *e) {
  cJSON *arr = cJSON_GetObjectItemCaseSensitive(arm_props(r->doc), member);
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) return arm_err_set(e, 400, "InvalidRequestFormat", "properties.%s must be an array.", member);
  cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const char *n = arm_jstr(it, "name");
    if (!cJSON_IsObject(it) || !n || !*n)
      return arm_err_set(e, 400, "InvalidRequestFormat", "Each element of properties.%s needs a name.", member);
    for (cJSON *o = arr->child; o != it; o = o->next)
      if (arm_ieq(arm_jstr(o, "name"), n))
        return arm_err_set(e, 400, "InvalidRequestFormat", "Duplicate name '%s' in properties.%s.", n, member);
    char id[ARM_ID_MAX], etag[64], u[37];
    snprintf(id, sizeof id, "%s/%s/%s", r->id, member, n);
    arm_uuid(u);
    snprintf(etag, sizeof etag, "W/\"%s\"", u);
    arm_jset(it, "id", cJSON_CreateString(id));
    arm_jset(it, "etag", cJSON_CreateString(etag));
    arm_jset(it, "type", cJSON_CreateString(type));
    cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "properties");
    if (!cJSON_IsObject(p)) {
      cJSON_DeleteItemFromObjectCaseSensitive(it, "properties");
      p = cJSON_AddObjectToObject(it, "properties");
    }
    arm_jset(p, "provisioningState", cJSON_CreateString("Succeeded"));
  }
  return 0;
}

static bool ref_names(const cJSON *v, const char *target) {
  if (cJSON_IsObject(v)) return arm_ieq(arm_jstr(v, "id"), target);
  if (cJSON_IsArray(v)) {
    const cJSON *e;
    cJSON_ArrayForEach(e, v) if (arm_ieq(arm_jstr(e, "id"), target)) return true;
  }
  return false;
}

void rt_nic_ipconfig_refs(arm_ctx *c, const char *target, const char *ref, cJSON *arr) {
  const arm_rtype *nic = arm_rtype_find("Microsoft.Network/networkInterfaces");
  if (!nic) return;
  for (arm_res *x = arm_store_first_of(c->store, nic); x; x = x->tnext) {
    const cJSON *ipcs = capz_json_ptr_get(x->doc, "/properties/ipConfigurations"), *ipc;
    cJSON_ArrayForEach(ipc, ipcs) {
      if (ref_names(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ipc, "properties"), ref), target)) {
        const char *id = arm_jstr(ipc, "id");
        if (id) cJSON_AddItemToArray(arr, arm_ref(id));
      }
    }
  }
}

void rt_refs_from(arm_ctx *c, const char *type, const char *ptr, const char *target, cJSON *arr) {
  const arm_rtype *rt = arm_rtype_find(type);
  if (!rt) return;
  for (arm_res *x = arm_store_first_of(c->store, rt); x; x = x->tnext) {
    const char *id = capz_json_ptr_str(x->doc, ptr, NULL);
    if (id && strcasecmp(id, target) == 0) cJSON_AddItemToArray(arr, arm_ref(x->id));
  }
}

const char *rt_pstr(const cJSON *doc, const char *name, const char *def) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "properties");
  const char *v = arm_jstr(p, name);
  return v ? v : def;
}

void rt_default(cJSON *doc, const char *name, cJSON *v) {
  cJSON *p = arm_props(doc);
  if (cJSON_GetObjectItemCaseSensitive(p, name)) cJSON_Delete(v);
  else cJSON_AddItemToObject(p, name, v);
}

void rt_keep(cJSON *doc, const cJSON *old, const char *ptr) {
  const cJSON *ov = old ? capz_json_ptr_get(old, ptr) : NULL;
  if (ov) capz_json_ptr_set(doc, ptr, cJSON_Duplicate(ov, 1), NULL);
}

void rt_hex8(const char *s, char out[9]) { snprintf(out, 9, "%08x", arm_hash32(s)); }

char *rt_b64(const char *data, size_t len) {
  static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *o = malloc((len + 2) / 3 * 4 + 1);
  if (!o) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned char)data[i] << 16;
    if (i + 1 < len) v |= (unsigned char)data[i + 1] << 8;
    if (i + 2 < len) v |= (unsigned char)data[i + 2];
    o[j++] = tb[(v >> 18) & 63];
    o[j++] = tb[(v >> 12) & 63];
    o[j++] = i + 1 < len ? tb[(v >> 6) & 63] : '=';
    o[j++] = i + 2 < len ? tb[v & 63] : '=';
  }
  o[j] = '\0';
  return o;
}

long rt_b64_decoded_len(const char *s) {
  size_t L = strlen(s), pad = 0;
  if (L % 4) return -1;
  for (size_t i = 0; i < L; i++) {
    char ch = s[i];
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
    if (ch == '=' && i >= L - 2) { pad++; continue; }
    if (!ok || pad) return -1;
  }
  return (long)(L / 4 * 3 - pad);
}

cJSON *rt_region_zones(arm_ctx *c, const char *location) {
  cJSON *a = cJSON_CreateArray();
  const arm_region *g = arm_cfg_region(&c->cfg, location);
  for (int z = 1; g && z <= g->nzones; z++) {
    char zs[12];
    snprintf(zs, sizeof zs, "%d", z);
    cJSON_AddItemToArray(a, cJSON_CreateString(zs));
  }
  return a;
}

int rt_check_zones(arm_ctx *c, const cJSON *doc, const cJSON *zones, arm_err *e) {
  if (!zones || cJSON_IsNull(zones)) return 0;
  if (!cJSON_IsArray(zones)) return arm_err_set(e, 400, "InvalidParameter", "zones must be an array of strings.");
  const arm_region *g = arm_cfg_region(&c->cfg, arm_jstr(doc, "location"));
  const cJSON *z;
  cJSON_ArrayForEach(z, zones) {
    int n = cJSON_IsString(z) ? atoi(z->valuestring) : 0;
    if (!g || n < 1 || n > g->nzones)
      return arm_err_set(e, 400, "InvalidParameter",
                         "The zone(s) '%s' for resource is not supported in location '%s'. The supported availability "
                         "zones are '%d' zones.", cJSON_IsString(z) ? z->valuestring : "?",
                         arm_jstr(doc, "location") ? arm_jstr(doc, "location") : "", g ? g->nzones : 0);
  }
  return 0;
}

arm_op *rt_action_op(arm_ctx *c, const arm_req *q, arm_res *r, const char *what, arm_op_done_fn done, bool async_header,
                     arm_resp *out) {
  char rp[64];
  snprintf(rp, sizeof rp, "%s", r->rt->type);
  char *sl = strchr(rp, '/');
  if (sl) *sl = '\0';
  const char *loc = arm_jstr(r->doc, "location");
  arm_op *op = arm_lro_start(c, ARM_OPK_ACTION, r, rp, loc ? loc : "eastus", q);
  if (!op) {
    arm_resp_error(out, 500, "InternalServerError", "out of memory");
    return NULL;
  }
  op->done = done;
  snprintf(r->busy_what, sizeof r->busy_what, "%s", what);
  out->status = 202;
  arm_lro_headers(c, op, q, async_header, true, out);
  return op;
}

cJSON *rt_instance_view(const char *prov_state, const char *power, const char *computer_name) {
  cJSON *iv = cJSON_CreateObject();
  if (computer_name) cJSON_AddStringToObject(iv, "computerName", computer_name);
  cJSON_AddStringToObject(iv, "osName", "ubuntu");
  cJSON_AddStringToObject(iv, "osVersion", "22.04");
  cJSON *agent = cJSON_AddObjectToObject(iv, "vmAgent");
  cJSON_AddStringToObject(agent, "vmAgentVersion", "2.13.1.1");
  cJSON *st = cJSON_AddArrayToObject(iv, "statuses");
  char code[64], disp[64], ts[48];
  arm_now_iso(ts, sizeof ts, arm_now());
  const char *ps = prov_state ? prov_state : "Succeeded";
  snprintf(code, sizeof code, "ProvisioningState/%s", ps);
  for (char *p = code + 18; *p; p++) *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
  snprintf(disp, sizeof disp, "Provisioning %s", strcmp(ps, "Succeeded") == 0 ? "succeeded" : ps);
  cJSON *s1 = cJSON_CreateObject();
  cJSON_AddStringToObject(s1, "code", code);
  cJSON_AddStringToObject(s1, "level", strcmp(ps, "Failed") == 0 ? "Error" : "Info");
  cJSON_AddStringToObject(s1, "displayStatus", disp);
  cJSON_AddStringToObject(s1, "time", ts);
  cJSON_AddItemToArray(st, s1);
  if (power) {
    cJSON *s2 = cJSON_CreateObject();
    snprintf(code, sizeof code, "PowerState/%s", power);
    snprintf(disp, sizeof disp, "VM %s", power);
    cJSON_AddStringToObject(s2, "code", code);
    cJSON_AddStringToObject(s2, "level", "Info");
    cJSON_AddStringToObject(s2, "displayStatus", disp);
    cJSON_AddItemToArray(st, s2);
  }
  return iv;
}

int rt_check_custom_data(const cJSON *os_profile, arm_err *e) {
  const char *cd = arm_jstr(os_profile, "customData");
  if (!cd) return 0;
  long n = rt_b64_decoded_len(cd);
  if (n < 0 || n > 65535 || strlen(cd) > 87380)
    return arm_err_set(e, 400, "InvalidParameter",
                       "Custom data in OSProfile must be in Base64 encoding and with a maximum length of 87380 characters.");
  return 0;
}

int rt_check_vm_size(arm_ctx *c, const char *size, arm_err *e) {
  if (!size) return arm_err_set(e, 400, "InvalidParameter", "Required parameter 'hardwareProfile.vmSize' is missing (null).");
  if (!arm_sku_known(c, size, NULL))
    return arm_err_set(e, 400, "InvalidParameter", "The value %s provided for the VM size is not valid. The valid sizes "
                       "in the current region are listed by the resource SKUs API.", size);
  return 0;
}


void rt_fill_identity(arm_ctx *c, arm_res *r, const cJSON *old) {
  cJSON *id = cJSON_GetObjectItemCaseSensitive(r->doc, "identity");
  if (!cJSON_IsObject(id)) return;
  char u[37];
  const char *type = arm_jstr(id, "type");
  if (type && strcasestr(type, "SystemAssigned")) {
    arm_uuid(u);
    const char *op = old ? capz_json_ptr_str(old, "/identity/principalId", NULL) : NULL;
    arm_jset(id, "principalId", cJSON_CreateString(op ? op : u));
    arm_jset(id, "tenantId", cJSON_CreateString(RT_TENANT_ID));
  }
  cJSON *uai = cJSON_GetObjectItemCaseSensitive(id, "userAssignedIdentities"), *it;
  cJSON_ArrayForEach(it, uai) {
    if (!cJSON_IsObject(it)) continue;
    arm_res *mi = it->string ? arm_store_get(c->store, it->string) : NULL;
    const char *cid = mi ? capz_json_ptr_str(mi->doc, "/properties/clientId", NULL) : NULL;
    const char *pid = mi ? capz_json_ptr_str(mi->doc, "/properties/principalId", NULL) : NULL;
    if (!arm_jstr(it, "clientId")) { arm_uuid(u); cJSON_AddStringToObject(it, "clientId", cid ? cid : u); }
    if (!arm_jstr(it, "principalId")) { arm_uuid(u); cJSON_AddStringToObject(it, "principalId", pid ? pid : u); }
  }
}

int rt_check_lb_child(arm_ctx *c, const char *ref, const char *member, arm_err *e) {
  char lb[ARM_ID_MAX];
  arm_id_parent(ref, lb, sizeof lb);
  arm_res *x = arm_store_get(c->store, lb);
  if (x) {
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(arm_props(x->doc), member))
      if (arm_ieq(arm_jstr(it, "name"), arm_id_name(ref))) return 0;
    char type[128];
    snprintf(type, sizeof type, "Microsoft.Network/loadBalancers/%s", member);
    arm_res *ch = arm_store_get(c->store, ref);
    const char *st = ch ? arm_get_state(ch) : NULL;
    if (ch && strcasecmp(ch->rt->type, type) == 0 && !(st && strcmp(st, "Deleting") == 0)) return 0;
  }
  return arm_err_set(e, 400, "InvalidResourceReference", "Resource %s referenced by resource %s was not found.", ref,
                     "a network interface configuration");
}

int rt_ipc_family(const cJSON *ipc) {
  const char *v = capz_json_ptr_str(ipc, "/properties/privateIPAddressVersion", "IPv4");
  return strcasecmp(v, "IPv6") == 0 ? 6 : 4;
}

const char *rt_subnet_prefix(const cJSON *subnet_doc, int fam) {
  const char *one = rt_pstr(subnet_doc, "addressPrefix", NULL);
  if (one && arm_cidr_family(one, NULL) == fam) return one;
  const cJSON *p;
  cJSON_ArrayForEach(p, capz_json_ptr_get(subnet_doc, "/properties/addressPrefixes"))
    if (cJSON_IsString(p) && arm_cidr_family(p->valuestring, NULL) == fam) return p->valuestring;
  return NULL;
}

int rt_subnet_alloc(arm_ctx *c, const char *subnet_id, int fam, const char *owner, const char *want, char *out, size_t n,
                    arm_err *e) {
  arm_res *s = subnet_id ? arm_store_get(c->store, subnet_id) : NULL;
  const char *prefix = s ? rt_subnet_prefix(s->doc, fam) : NULL;
  if (s && !prefix)
    return arm_err_set(e, 400, fam == 6 ? "SubnetDoesNotHaveIPv6AddressPrefix" : "SubnetDoesNotHaveIPv4AddressPrefix",
                       "IP configuration %s asks for an IPv%d address but subnet %s has no IPv%d address prefix.",
                       owner, fam, arm_id_name(subnet_id), fam);
  return arm_ipam_alloc(c->ipam, subnet_id ? subnet_id : "", prefix, owner, want, out, n, e);
}

int rt_check_ip_version(arm_ctx *c, const cJSON *ipc, const char *pip_ptr, arm_err *e) {
  const char *v = capz_json_ptr_str(ipc, "/properties/privateIPAddressVersion", "IPv4");
  if (strcasecmp(v, "IPv4") && strcasecmp(v, "IPv6"))
    return arm_err_set(e, 400, "InvalidParameter", "privateIPAddressVersion must be IPv4 or IPv6, not '%s'.", v);
  const char *pip = capz_json_ptr_str(ipc, pip_ptr, NULL);
  arm_res *p = pip ? arm_store_get(c->store, pip) : NULL;
  if (!p) return 0;
  const char *pv = rt_pstr(p->doc, "publicIPAddressVersion", "IPv4");
  /* a public frontend carries the version of its public IP; a private configuration must match it */
  if (!capz_json_ptr_get(ipc, "/properties/privateIPAddressVersion") && !capz_json_ptr_get(ipc, "/properties/subnet"))
    return 0;
  if (strcasecmp(pv, v) != 0)
    return arm_err_set(e, 400, "IpVersionMismatch",
                       "IP configuration %s is %s but public IP address %s is %s.",
                       arm_jstr(ipc, "name") ? arm_jstr(ipc, "name") : "?", v, arm_id_name(pip), pv);
  return 0;
}
