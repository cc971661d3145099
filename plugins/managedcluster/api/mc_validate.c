/* mc_validate.c — AMCP and AMMP validation (CAPZ's validating webhooks, the rules that matter for ARM). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"

typedef struct errs {
  char *msg;
  size_t n, len;
  int count;
} errs;

static void vadd(errs *e, const char *fmt, va_list ap) {
  e->count++;
  if (!e->msg || e->len + 1 >= e->n) return;
  if (e->len) e->len += (size_t)snprintf(e->msg + e->len, e->n - e->len, "; ");
  if (e->len >= e->n) return;
  int w = vsnprintf(e->msg + e->len, e->n - e->len, fmt, ap);
  if (w > 0) e->len += (size_t)w;
  if (e->len >= e->n) e->len = e->n - 1;
}
static void add(errs *e, const char *fmt, ...) CAPZ_PRINTF(2, 3);
static void add(errs *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vadd(e, fmt, ap);
  va_end(ap);
}
static void add_ud(void *ud, const char *fmt, ...) CAPZ_PRINTF(2, 3);
static void add_ud(void *ud, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vadd(ud, fmt, ap);
  va_end(ap);
}

static bool one_of(const char *v, const char *const *set) {
  for (; *set; set++)
    if (strcmp(v, *set) == 0) return true;
  return false;
}

static void enum_field(errs *e, const cJSON *obj, const char *ptr, const char *const *set) {
  const char *v = capz_json_ptr_str(obj, ptr, NULL);
  if (v && !one_of(v, set)) add(e, "%s: unsupported value \"%s\"", ptr + 1, v);
}

static void immutable(errs *e, const cJSON *obj, const cJSON *old, const char *ptr) {
  if (!old) return;
  const cJSON *a = capz_json_ptr_get(old, ptr), *b = capz_json_ptr_get(obj, ptr);
  if (a && !capz_json_equal(a, b)) add(e, "%s: field is immutable", ptr + 1);
}

static bool version_ok(const char *v) {
  if (*v == 'v') v++;
  int dots = 0;
  if (!isdigit((unsigned char)*v)) return false;
  for (; *v; v++) {
    if (*v == '.') dots++;
    else if (!isdigit((unsigned char)*v)) return false;
  }
  return dots >= 1 && dots <= 2;
}

static bool ipv4_ok(const char *s) {
  int a, b, c, d;
  char tail;
  return sscanf(s, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) == 4 && a >= 0 && a < 256 && b >= 0 && b < 256 &&
         c >= 0 && c < 256 && d >= 0 && d < 256;
}

int mc_amcp_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  errs e = {msg, n, 0, 0};
  if (msg && n) msg[0] = '\0';
  static const char *const req[] = {"/spec/subscriptionID", "/spec/resourceGroupName", "/spec/location",
                                     "/spec/version", NULL};
  for (int i = 0; req[i]; i++)
    if (!*capz_json_ptr_str(obj, req[i], "")) add(&e, "%s: required", req[i] + 1);
  const char *v = capz_json_ptr_str(obj, "/spec/version", "");
  if (*v && !version_ok(v)) add(&e, "spec.version: \"%s\" is not a Kubernetes version", v);
  if (old && *v) {
    const char *ov = capz_json_ptr_str(old, "/spec/version", "");
    if (*ov && mc_version_cmp(v, ov) < 0) add(&e, "spec.version: cannot downgrade from %s to %s", ov, v);
  }
  static const char *const plugins[] = {"azure", "kubenet", "none", NULL};
  static const char *const modes[] = {"overlay", NULL};
  static const char *const policies[] = {"azure", "calico", "cilium", NULL};
  static const char *const dataplanes[] = {"azure", "cilium", NULL};
  static const char *const outbound[] = {"loadBalancer", "managedNATGateway", "userAssignedNATGateway",
                                         "userDefinedRouting", NULL};
  static const char *const lbsku[] = {"Standard", "Basic", NULL};
  static const char *const tiers[] = {"Free", "Standard", "Premium", "Paid", NULL};
  static const char *const idtypes[] = {"SystemAssigned", "UserAssigned", NULL};
  static const char *const channels[] = {"node-image", "none", "patch", "rapid", "stable", NULL};
  enum_field(&e, obj, "/spec/networkPlugin", plugins);
  enum_field(&e, obj, "/spec/networkPluginMode", modes);
  enum_field(&e, obj, "/spec/networkPolicy", policies);
  enum_field(&e, obj, "/spec/networkDataplane", dataplanes);
  enum_field(&e, obj, "/spec/outboundType", outbound);
  enum_field(&e, obj, "/spec/loadBalancerSKU", lbsku);
  enum_field(&e, obj, "/spec/sku/tier", tiers);
  enum_field(&e, obj, "/spec/identity/type", idtypes);
  enum_field(&e, obj, "/spec/autoUpgradeProfile/upgradeChannel", channels);
  const char *plugin = capz_json_ptr_str(obj, "/spec/networkPlugin", "azure");
  if (capz_json_ptr_get(obj, "/spec/networkPluginMode") && strcmp(plugin, "azure") != 0)
    add(&e, "spec.networkPluginMode: overlay requires networkPlugin azure");
  if (strcmp(capz_json_ptr_str(obj, "/spec/networkPolicy", ""), "cilium") == 0 &&
      strcmp(capz_json_ptr_str(obj, "/spec/networkDataplane", ""), "cilium") != 0)
    add(&e, "spec.networkPolicy: cilium requires networkDataplane cilium");
  if (strcmp(capz_json_ptr_str(obj, "/spec/identity/type", ""), "UserAssigned") == 0 &&
      !*capz_json_ptr_str(obj, "/spec/identity/userAssignedIdentityResourceID", ""))
    add(&e, "spec.identity.userAssignedIdentityResourceID: required for UserAssigned");
  if (capz_json_ptr_bool(obj, "/spec/disableLocalAccounts", false) &&
      !capz_json_ptr_bool(obj, "/spec/aadProfile/managed", false))
    add(&e, "spec.disableLocalAccounts: requires aadProfile.managed");
  const char *dns = capz_json_ptr_str(obj, "/spec/dnsServiceIP", NULL);
  if (dns && !ipv4_ok(dns)) add(&e, "spec.dnsServiceIP: \"%s\" is not an IPv4 address", dns);
  const cJSON *patches = capz_json_ptr_get(obj, "/spec/asoManagedClusterPatches"), *p;
  cJSON_ArrayForEach(p, patches) {
    capz_err pe;
    cJSON *j = cJSON_IsString(p) ? capz_yaml_to_json(p->valuestring, strlen(p->valuestring), &pe) : NULL;
    if (!j || !cJSON_IsObject(cJSON_GetArrayItem(j, 0))) add(&e, "spec.asoManagedClusterPatches: not a JSON/YAML object");
    cJSON_Delete(j);
  }
  static const char *const imm[] = {"/spec/subscriptionID", "/spec/resourceGroupName", "/spec/location",
                                     "/spec/nodeResourceGroupName", "/spec/dnsPrefix", "/spec/networkPlugin",
                                     "/spec/networkPolicy", "/spec/loadBalancerSKU", "/spec/virtualNetwork/name",
                                     "/spec/virtualNetwork/cidrBlock", NULL};
  for (int i = 0; imm[i]; i++) immutable(&e, obj, old, imm[i]);
  mc_addons_validate(obj, old, add_ud, &e);
  return e.count;
}

static bool pool_name_ok(const char *s, bool windows) {
  size_t l = strlen(s);
  if (l < 1 || l > (windows ? 6u : 12u) || !islower((unsigned char)s[0])) return false;
  for (size_t i = 1; i < l; i++)
    if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i])) return false;
  return true;
}

int mc_ammp_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  errs e = {msg, n, 0, 0};
  if (msg && n) msg[0] = '\0';
  static const char *const modes[] = {"System", "User", NULL};
  static const char *const os[] = {"Linux", "Windows", NULL};
  static const char *const disk[] = {"Managed", "Ephemeral", NULL};
  static const char *const prio[] = {"Regular", "Spot", NULL};
  static const char *const sdm[] = {"Delete", "Deallocate", NULL};
  static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
  const char *mode = capz_json_ptr_str(obj, "/spec/mode", "");
  if (!*mode) add(&e, "spec.mode: required");
  else enum_field(&e, obj, "/spec/mode", modes);
  if (!*capz_json_ptr_str(obj, "/spec/sku", "")) add(&e, "spec.sku: required");
  enum_field(&e, obj, "/spec/osType", os);
  enum_field(&e, obj, "/spec/osDiskType", disk);
  enum_field(&e, obj, "/spec/scaleSetPriority", prio);
  enum_field(&e, obj, "/spec/scaleDownMode", sdm);
  const char *name = capz_json_ptr_str(obj, "/spec/name", capz_json_ptr_str(obj, "/metadata/name", ""));
  bool win = strcmp(capz_json_ptr_str(obj, "/spec/osType", "Linux"), "Windows") == 0;
  if (!pool_name_ok(name, win))
    add(&e, "spec.name: \"%s\" must match ^[a-z][a-z0-9]{0,%d}$", name, win ? 5 : 11);
  if (strcmp(mode, "System") == 0 && strcmp(capz_json_ptr_str(obj, "/spec/scaleSetPriority", ""), "Spot") == 0)
    add(&e, "spec.scaleSetPriority: Spot is not allowed on System pools");
  const cJSON *sc = capz_json_ptr_get(obj, "/spec/scaling");
  if (sc) {
    int64_t mn = capz_json_ptr_int(sc, "/minSize", -1), mx = capz_json_ptr_int(sc, "/maxSize", -1);
    if (mn < 0 || mx < 0 || mn > mx) add(&e, "spec.scaling: need 0 <= minSize <= maxSize");
  }
  const cJSON *t;
  cJSON_ArrayForEach(t, capz_json_ptr_get(obj, "/spec/taints")) {
    if (!*capz_json_ptr_str(t, "/key", "")) add(&e, "spec.taints: key required");
    const char *ef = capz_json_ptr_str(t, "/effect", "");
    if (!one_of(ef, effects)) add(&e, "spec.taints: unsupported effect \"%s\"", ef);
  }
  int64_t mp = capz_json_ptr_int(obj, "/spec/maxPods", 30);
  if (mp < 10 || mp > 250) add(&e, "spec.maxPods: must be within 10..250");
  static const char *const imm[] = {"/spec/name", "/spec/sku", "/spec/osType", "/spec/osDiskSizeGB",
                                     "/spec/osDiskType", "/spec/availabilityZones", "/spec/maxPods",
                                     "/spec/scaleSetPriority", "/spec/subnetName", "/spec/enableFIPS",
                                     "/spec/enableEncryptionAtHost", "/spec/enableNodePublicIP", NULL};
  for (int i = 0; imm[i]; i++) immutable(&e, obj, old, imm[i]);
  return e.count;
}
