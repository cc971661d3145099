/* amcp_resources.c — builds the AMCP's resource table (what CAPZ's groups / virtualnetworks / subnets /
 * managedclusters services converge through ASO). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amcp_resources.h"
#include "capz/json.h"
#include "mc_api.h"

static const char *const RG_OWNED[] = {"/location", NULL};
static const char *const VNET_OWNED[] = {"/location", "/properties/addressSpace", NULL};
static const char *const SUBNET_OWNED[] = {"/properties/addressPrefix", "/properties/serviceEndpoints", NULL};

static char **static_owned(const char *const *list) {
  size_t n = 0;
  while (list[n]) n++;
  char **o = calloc(n + 1, sizeof *o);
  for (size_t i = 0; o && i < n; i++) o[i] = strdup(list[i]);
  return o;
}

static capz_arm_row *add_rg(capz_arm_table *t, const char *sub, const char *rg, const char *loc, const cJSON *tags) {
  char id[700];
  snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s", sub, rg);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", loc);
  capz_arm_row *r = capz_arm_table_add(t, MC_SVC_GROUPS, "ResourceGroupReady", id, d, NULL, NULL);
  if (r) {
    r->owned = static_owned(RG_OWNED);
    if (cJSON_IsObject(tags)) r->tags = cJSON_Duplicate(tags, 1);
  }
  return r;
}

/* Fleet member and extensions: proxy resources without tags, so no ownership-tag rule; each with its own
 * api-version (used for the delete too). */
static int add_addons(capz_arm_table *t, const cJSON *amcp, const cJSON *cluster, const char *mc_id, capz_err *err) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  const char *cname = capz_json_ptr_str(cluster, "/metadata/name", "");
  cJSON *fb = mc_fleet_member_body(amcp, mc_id, cname, id, sizeof id);
  if (fb) {
    capz_arm_row *r = capz_arm_table_add(t, MC_SVC_FLEETSMEMBERS, "FleetReady", id, fb, NULL, NULL);
    if (!r) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    snprintf(r->api_version, sizeof r->api_version, "%s", MC_API_FLEET);
    r->ownership = false;
    if (capz_arm_row_own_properties(r, NULL)) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  const cJSON *e;
  cJSON_ArrayForEach(e, capz_json_ptr_get(amcp, "/spec/extensions")) {
    cJSON *b = mc_extension_body(e);
    if (!b) continue;
    if (snprintf(id, sizeof id, "%s/providers/Microsoft.KubernetesConfiguration/extensions/%s", mc_id,
                 capz_json_ptr_str(e, "/name", "")) >= (int)sizeof id) {
      cJSON_Delete(b);
      return capz_err_set(err, CAPZ_EINVAL, "extension ID too long");
    }
    capz_arm_row *r = capz_arm_table_add(t, MC_SVC_AKSEXTENSIONS, "AKSExtensionsReady", id, b, NULL, NULL);
    if (!r) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    snprintf(r->api_version, sizeof r->api_version, "%s", MC_API_EXTENSIONS);
    r->ownership = false;
    if (capz_arm_row_own_properties(r, NULL)) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  return 0;
}

int mc_amcp_table(capz_arm_table *t, const cJSON *amcp, const cJSON *cluster, const cJSON *initial_pools, capz_err *err) {
  const cJSON *s = capz_json_ptr_get(amcp, "/spec");
  const char *sub = capz_json_ptr_str(s, "/subscriptionID", "");
  const char *rg = capz_json_ptr_str(s, "/resourceGroupName", "");
  const char *loc = capz_json_ptr_str(s, "/location", "");
  const char *name = capz_json_ptr_str(amcp, "/metadata/name", "");
  const cJSON *tags = capz_json_ptr_get(s, "/additionalTags");
  if (!add_rg(t, sub, rg, loc, tags)) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  const char *vnet = capz_json_ptr_str(s, "/virtualNetwork/name", "");
  if (*vnet) {
    const char *vrg = capz_json_ptr_str(s, "/virtualNetwork/resourceGroup", rg);
    if (strcmp(vrg, rg) != 0 && !add_rg(t, sub, vrg, loc, tags))
      return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    char id[700];
    snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s", sub,
             vrg, vnet);
    const char *sn = capz_json_ptr_str(s, "/virtualNetwork/subnet/name", "");
    const char *scidr = capz_json_ptr_str(s, "/virtualNetwork/subnet/cidrBlock", "");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "location", loc);
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "addressSpace"), "addressPrefixes"),
                         cJSON_CreateString(capz_json_ptr_str(s, "/virtualNetwork/cidrBlock", "10.0.0.0/8")));
    /* the subnet rides along in the VNet body: a VNet PUT without it would remove it */
    if (*sn) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "name", sn);
      cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "properties"), "addressPrefix", scidr);
      cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "subnets"), e);
    }
    capz_arm_row *vr = capz_arm_table_add(t, MC_SVC_VNET, "VNetReady", id, d, NULL, NULL);
    if (!vr) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    vr->owned = static_owned(VNET_OWNED);
    if (cJSON_IsObject(tags)) vr->tags = cJSON_Duplicate(tags, 1);
    int vidx = (int)(t->n - 1);
    if (*sn) {
      char sid[800];
      snprintf(sid, sizeof sid, "%s/subnets/%s", id, sn);
      cJSON *sd = cJSON_CreateObject();
      cJSON *sp = cJSON_AddObjectToObject(sd, "properties");
      cJSON_AddStringToObject(sp, "addressPrefix", scidr);
      const cJSON *se = capz_json_ptr_get(s, "/virtualNetwork/subnet/serviceEndpoints"), *x;
      if (cJSON_IsArray(se) && cJSON_GetArraySize(se) > 0) {
        cJSON *arr = cJSON_AddArrayToObject(sp, "serviceEndpoints");
        cJSON_ArrayForEach(x, se) {
          cJSON *e = cJSON_CreateObject();
          cJSON_AddStringToObject(e, "service", capz_json_ptr_str(x, "/service", ""));
          if (capz_json_ptr_get(x, "/locations"))
            cJSON_AddItemToObject(e, "locations", cJSON_Duplicate(capz_json_ptr_get(x, "/locations"), 1));
          cJSON_AddItemToArray(arr, e);
        }
      }
      capz_arm_row *sr = capz_arm_table_add(t, MC_SVC_SUBNETS, "SubnetsReady", sid, sd, NULL, NULL);
      if (!sr) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
      sr->owned = static_owned(SUBNET_OWNED);
      sr->ownership = false; /* subnets carry no tags; the VNet's ownership decides (parent) */
      sr->parent = vidx;
      sr->no_delete = true;  /* goes with its VNet */
    }
  }
  char id[700];
  snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s",
           sub, rg, name);
  cJSON *body = mc_managedcluster_body(amcp, cluster, initial_pools, err);
  if (!body) return err && err->code ? err->code : CAPZ_ENOMEM;
  capz_arm_row *mr = capz_arm_table_add(t, MC_SVC_MANAGEDCLUSTER, "ManagedClusterRunning", id, body, NULL, NULL);
  if (!mr) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  snprintf(mr->api_version, sizeof mr->api_version, "%s",
           capz_json_ptr_bool(s, "/enablePreviewFeatures", false) ? MC_API_PREVIEW : MC_API_STABLE);
  /* agentPoolProfiles is sent only at creation; afterwards each pool is its own agentPool resource */
  static const char *const skip[] = {"agentPoolProfiles", NULL};
  if (capz_arm_row_own_properties(mr, skip)) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  return add_addons(t, amcp, cluster, id, err);
}

size_t mc_amcp_mc_row(const capz_arm_table *t) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->rows[i].service, MC_SVC_MANAGEDCLUSTER) == 0) return i;
  return t->n;
}
