/* mc_template.c — the AzureManaged*Template kinds used by ClusterClass: what CAPZ's template webhooks default and
 * validate. A template's spec.template.spec is the class spec of the object the topology controller stamps out,
 * so the object rules are reused on a stand-in object; only rules that need the generated object's own name or
 * Cluster are left to the object itself. */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"

static int set_if_absent(cJSON *obj, const char *ptr, const char *val, capz_err *err) {
  const char *cur = capz_json_ptr_str(obj, ptr, NULL);
  if (cur && *cur) return 0;
  return capz_json_ptr_set_str(obj, ptr, val, err);
}

int mc_amcpt_default(cJSON *obj, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "object expected");
  int rc = 0;
  if (!cJSON_IsObject(capz_json_ptr_get(obj, "/spec/template/spec")))
    rc = capz_json_ptr_set(obj, "/spec/template/spec", cJSON_CreateObject(), err);
  const char *tier = capz_json_ptr_str(obj, "/spec/template/spec/sku/tier", NULL);
  if (!rc && tier && strcmp(tier, "Paid") == 0)
    rc = capz_json_ptr_set_str(obj, "/spec/template/spec/sku/tier", "Standard", err);
  if (!rc) rc = set_if_absent(obj, "/spec/template/spec/sku/tier", "Free", err);
  if (!rc) rc = set_if_absent(obj, "/spec/template/spec/networkPlugin", "azure", err);
  if (!rc) rc = set_if_absent(obj, "/spec/template/spec/loadBalancerSKU", "Standard", err);
  if (!rc && !capz_json_ptr_get(obj, "/spec/template/spec/enablePreviewFeatures"))
    rc = capz_json_ptr_set(obj, "/spec/template/spec/enablePreviewFeatures", cJSON_CreateFalse(), err);
  const char *v = capz_json_ptr_str(obj, "/spec/template/spec/version", NULL);
  if (!rc && v && *v && v[0] != 'v') {
    char b[64];
    snprintf(b, sizeof b, "v%s", v);
    rc = capz_json_ptr_set_str(obj, "/spec/template/spec/version", b, err);
  }
  /* CIDRs only for a VNet/subnet the template names (the CRD needs the names); without one every cluster of the
   * class gets its own VNet named after its control plane, which is what CAPZ recommends for classes */
  bool overlay = strcmp(capz_json_ptr_str(obj, "/spec/template/spec/networkPluginMode", ""), "overlay") == 0;
  if (!rc && *capz_json_ptr_str(obj, "/spec/template/spec/virtualNetwork/name", ""))
    rc = set_if_absent(obj, "/spec/template/spec/virtualNetwork/cidrBlock", overlay ? "10.224.0.0/12" : "10.0.0.0/8",
                       err);
  if (!rc && *capz_json_ptr_str(obj, "/spec/template/spec/virtualNetwork/subnet/name", ""))
    rc = set_if_absent(obj, "/spec/template/spec/virtualNetwork/subnet/cidrBlock",
                       overlay ? "10.224.0.0/16" : "10.240.0.0/16", err);
  return rc;
}

int mc_ammpt_default(cJSON *obj, capz_err *err) {
  if (!cJSON_IsObject(obj)) return capz_err_set(err, CAPZ_EINVAL, "object expected");
  int rc = 0;
  if (!cJSON_IsObject(capz_json_ptr_get(obj, "/spec/template/spec")))
    rc = capz_json_ptr_set(obj, "/spec/template/spec", cJSON_CreateObject(), err);
  if (!rc) rc = set_if_absent(obj, "/spec/template/spec/osType", "Linux", err);
  return rc;
}

/* {metadata: {name}, spec: <template spec>} — a stand-in for the object a topology would generate. */
static cJSON *stand_in(const cJSON *tmpl, const char *name) {
  if (!tmpl) return NULL;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"), "name", name);
  const cJSON *s = capz_json_ptr_get(tmpl, "/spec/template/spec");
  cJSON_AddItemToObject(o, "spec", cJSON_IsObject(s) ? cJSON_Duplicate(s, 1) : cJSON_CreateObject());
  return o;
}

static int append(char *msg, size_t n, const char *more) {
  size_t l = msg ? strlen(msg) : 0;
  if (msg && *more && l + 3 < n) snprintf(msg + l, n - l, "%s%s", l ? "; " : "", more);
  return *more ? 1 : 0;
}

/* Template updates: these fields of spec.template.spec never change (CAPZ's template webhook). */
static int template_immutable(const cJSON *obj, const cJSON *old, const char *const *fields, char *msg, size_t n) {
  int count = 0;
  for (int i = 0; old && fields[i]; i++) {
    char p[200];
    snprintf(p, sizeof p, "/spec/template/spec%s", fields[i]);
    const cJSON *a = capz_json_ptr_get(old, p), *b = capz_json_ptr_get(obj, p);
    if (a && !capz_json_equal(a, b)) {
      char m[240];
      snprintf(m, sizeof m, "spec.template.spec.%s: field is immutable", fields[i] + 1);
      for (char *q = m; *q; q++)
        if (*q == '/') *q = '.';
      count += append(msg, n, m);
    }
  }
  return count;
}

/* Problems of the object rules that concern the class spec: drop the ones about the object's own name. */
static int object_rules(int (*validate)(const cJSON *, const cJSON *, char *, size_t), const cJSON *o, char *msg,
                        size_t n) {
  char buf[2048];
  int c = validate(o, NULL, buf, sizeof buf);
  if (c) append(msg, n, buf);
  return c;
}

int mc_amcpt_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  if (msg && n) msg[0] = '\0';
  /* the stand-in's name is the one CAPZ would default dnsPrefix/VNet from; a valid placeholder */
  cJSON *o = stand_in(obj, "template");
  if (!o) return append(msg, n, "spec.template.spec: required");
  int count = object_rules(mc_amcp_validate, o, msg, n);
  cJSON_Delete(o);
  static const char *const imm[] = {"/subscriptionID", "/location", "/dnsServiceIP", "/networkPlugin",
                                    "/networkPolicy", "/networkDataplane", "/loadBalancerSKU", "/outboundType",
                                    "/httpProxyConfig", "/apiServerAccessProfile/enablePrivateCluster",
                                    "/apiServerAccessProfile/privateDNSZone", NULL};
  count += template_immutable(obj, old, imm, msg, n);
  if (old && capz_json_ptr_bool(old, "/spec/template/spec/aadProfile/managed", false) &&
      !capz_json_ptr_bool(obj, "/spec/template/spec/aadProfile/managed", false))
    count += append(msg, n, "spec.template.spec.aadProfile.managed: cannot be disabled");
  if (old && capz_json_ptr_bool(old, "/spec/template/spec/oidcIssuerProfile/enabled", false) &&
      !capz_json_ptr_bool(obj, "/spec/template/spec/oidcIssuerProfile/enabled", false))
    count += append(msg, n, "spec.template.spec.oidcIssuerProfile.enabled: cannot be disabled");
  return count;
}

int mc_ammpt_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  if (msg && n) msg[0] = '\0';
  /* without spec.name the generated pool is named after itself; check it there, not on the template */
  cJSON *o = stand_in(obj, "pool");
  if (!o) return append(msg, n, "spec.template.spec: required");
  int count = object_rules(mc_ammp_validate, o, msg, n);
  cJSON_Delete(o);
  static const char *const imm[] = {"/name", "/sku", "/osType", "/osDiskSizeGB", "/osDiskType", "/availabilityZones",
                                    "/maxPods", "/scaleSetPriority", "/subnetName", "/enableFIPS",
                                    "/enableEncryptionAtHost", "/enableNodePublicIP", "/nodePublicIPPrefixID",
                                    "/enableUltraSSD", "/kubeletConfig", "/kubeletDiskType", "/linuxOSConfig", NULL};
  count += template_immutable(obj, old, imm, msg, n);
  return count;
}

int mc_amct_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  (void)old;
  if (msg && n) msg[0] = '\0';
  const cJSON *s = capz_json_ptr_get(obj, "/spec/template/spec");
  if (s && (!cJSON_IsObject(s) || s->child))
    return append(msg, n, "spec.template.spec: AzureManagedClusterTemplate has no fields");
  return 0;
}
