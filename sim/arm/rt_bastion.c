/* rt_bastion.c — bastionHosts: need a subnet named AzureBastionSubnet and a Standard public IP. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int bastion_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  (void)id;
  if (!cJSON_GetObjectItemCaseSensitive(doc, "sku")) {
    cJSON *s = cJSON_AddObjectToObject(doc, "sku");
    cJSON_AddStringToObject(s, "name", "Basic");
  }
  const cJSON *ipcs = capz_json_ptr_get(doc, "/properties/ipConfigurations");
  if (!cJSON_IsArray(ipcs) || cJSON_GetArraySize(ipcs) != 1)
    return arm_err_set(e, 400, "BastionHostMustHaveOneIpConfiguration", "A bastion host needs exactly one IP configuration.");
  const cJSON *ipc = ipcs->child;
  const char *sub = capz_json_ptr_str(ipc, "/properties/subnet/id", NULL);
  const char *pip = capz_json_ptr_str(ipc, "/properties/publicIPAddress/id", NULL);
  if (!sub || strcasecmp(arm_id_name(sub), "AzureBastionSubnet") != 0)
    return arm_err_set(e, 400, "BastionSubnetNameInvalid", "The subnet of a bastion host must be named AzureBastionSubnet.");
  if (arm_check_ref_id(c, sub, "Microsoft.Network/virtualNetworks/subnets", "bastionHost", e)) return -1;
  if (!pip) return arm_err_set(e, 400, "BastionHostPublicIpRequired", "A bastion host needs a public IP address.");
  if (arm_check_ref_id(c, pip, "Microsoft.Network/publicIPAddresses", "bastionHost", e)) return -1;
  arm_res *p = arm_store_get(c->store, pip);
  if (p && strcasecmp(capz_json_ptr_str(p->doc, "/sku/name", "Basic"), "Standard") != 0)
    return arm_err_set(e, 400, "BastionHostPublicIpMustBeStandardSku", "The public IP of a bastion host must use the Standard SKU.");
  if (capz_json_ptr_bool(doc, "/properties/enableTunneling", false) &&
      strcasecmp(capz_json_ptr_str(doc, "/sku/name", "Basic"), "Basic") == 0)
    return arm_err_set(e, 400, "BastionFeatureRequiresStandardSku", "Native client support (tunneling) requires the Standard SKU.");
  return 0;
}

static int bastion_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  if (rt_fill_subobjects(r, "ipConfigurations", "Microsoft.Network/bastionHosts/bastionHostIpConfigurations", e)) return -1;
  rt_keep(r->doc, old, "/properties/dnsName");
  if (!rt_pstr(r->doc, "dnsName", NULL)) {
    char u[37], dns[96];
    arm_uuid(u);
    snprintf(dns, sizeof dns, "bst-%s.bastion.azure.com", u);
    arm_jset(arm_props(r->doc), "dnsName", cJSON_CreateString(dns));
  }
  rt_default(r->doc, "scaleUnits", cJSON_CreateNumber(2));
  return 0;
}

const arm_rtype rt_bastion = {
    .type = "Microsoft.Network/bastionHosts",
    .lro = ARM_LRO_NRP,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_BODY,
    .create_state = "Updating",
    .validate = bastion_validate,
    .fill = bastion_fill,
};
