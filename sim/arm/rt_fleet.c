/* rt_fleet.c — Azure Kubernetes Fleet Manager: Microsoft.ContainerService/fleets and their members
 * (fleets/{f}/members/{m} with properties.clusterResourceId naming an existing managed cluster, optional group).
 * A cluster belongs to at most one fleet; a member leaves when its cluster is deleted. LROs as AKS. */
#include "rt_common.h"

#include <capz/json.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MEMBER_TYPE "Microsoft.ContainerService/fleets/members"

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ with a maximum length */
static bool dns_label(const char *n, size_t max) {
  size_t L = strlen(n);
  if (L == 0 || L > max || n[0] == '-' || n[L - 1] == '-') return false;
  for (size_t i = 0; i < L; i++)
    if (!(islower((unsigned char)n[i]) || isdigit((unsigned char)n[i]) || n[i] == '-')) return false;
  return true;
}

static int fleet_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)c;
  (void)old;
  if (!dns_label(arm_id_name(id), 63))
    return arm_err_set(e, 400, "InvalidParameter",
                       "The fleet name '%s' is invalid: it must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ and have at most 63 "
                       "characters.", arm_id_name(id));
  const char *dp = capz_json_ptr_str(doc, "/properties/hubProfile/dnsPrefix", NULL);
  if (dp && !dns_label(dp, 54))
    return arm_err_set(e, 400, "InvalidParameter", "hubProfile.dnsPrefix '%s' is invalid.", dp);
  return 0;
}

static int fleet_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)e;
  cJSON *hub = capz_json_ptr_get(r->doc, "/properties/hubProfile");
  const char *dp = arm_jstr(hub, "dnsPrefix");
  if (dp) {
    char hex[9], fqdn[256];
    rt_hex8(r->key, hex);
    snprintf(fqdn, sizeof fqdn, "%s-%s.hcp.%s.azmk8s.io", dp, hex, arm_jstr(r->doc, "location"));
    arm_jset(hub, "fqdn", cJSON_CreateString(fqdn));
    snprintf(fqdn, sizeof fqdn, "%s-%s.portal.hcp.%s.azmk8s.io", dp, hex, arm_jstr(r->doc, "location"));
    arm_jset(hub, "portalFqdn", cJSON_CreateString(fqdn));
    if (!arm_jstr(hub, "kubernetesVersion")) arm_jset(hub, "kubernetesVersion", cJSON_CreateString(c->cfg.aks_default_version));
  }
  rt_fill_identity(c, r, old);
  return 0;
}

const arm_rtype rt_fleet = {
    .type = "Microsoft.ContainerService/fleets",
    .lro = ARM_LRO_AKS,
    .flags = ARM_RT_TRACKED | ARM_RT_ETAG_HEADERS | ARM_RT_ETAG_UPPER,
    .create_state = "Creating",
    .validate = fleet_validate,
    .fill = fleet_fill,
};

static const char *const member_immutable[] = {"/properties/clusterResourceId", NULL};

static int member_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  (void)old;
  if (!dns_label(arm_id_name(id), 50))
    return arm_err_set(e, 400, "InvalidParameter",
                       "The member name '%s' is invalid: it must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ and have at most "
                       "50 characters.", arm_id_name(id));
  const char *cid = capz_json_ptr_str(doc, "/properties/clusterResourceId", NULL);
  if (!cid) return arm_err_set(e, 400, "InvalidParameter", "properties.clusterResourceId is required.");
  arm_res *cl = arm_store_get(c->store, cid);
  if (!cl || strcasecmp(cl->rt->type, "Microsoft.ContainerService/managedClusters") != 0)
    return arm_err_set(e, 404, "ResourceNotFound",
                       "The managed cluster '%s' given as clusterResourceId of member %s was not found.", cid,
                       arm_id_name(id));
  const char *st = arm_get_state(cl);
  if (st && strcmp(st, "Deleting") == 0)
    return arm_err_set(e, 400, "InvalidParameter", "The managed cluster '%s' is being deleted.", cid);
  const char *grp = capz_json_ptr_str(doc, "/properties/group", NULL);
  if (grp && !dns_label(grp, 50)) return arm_err_set(e, 400, "InvalidParameter", "Member group '%s' is invalid.", grp);
  char key[ARM_ID_MAX];
  arm_lower(key, id, sizeof key);
  for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find(MEMBER_TYPE)); x; x = x->tnext)
    if (strcmp(x->key, key) != 0 && arm_ieq(capz_json_ptr_str(x->doc, "/properties/clusterResourceId", ""), cid))
      return arm_err_set(e, 409, "Conflict", "The managed cluster '%s' is already a member of a fleet (%s).", cid, x->id);
  return 0;
}

static int member_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  cJSON *st = cJSON_CreateObject();
  char u[37];
  arm_uuid(u);
  cJSON_AddStringToObject(st, "lastOperationId", u);
  arm_jset(arm_props(r->doc), "status", st);
  return 0;
}

const arm_rtype rt_fleet_member = {
    .type = MEMBER_TYPE,
    .lro = ARM_LRO_AKS,
    .flags = ARM_RT_ETAG_HEADERS | ARM_RT_ETAG_UPPER,
    .immutable = member_immutable,
    .create_state = "Joining",
    .delete_state = "Leaving",
    .validate = member_validate,
    .fill = member_fill,
};

void rt_fleet_cluster_gone(arm_ctx *c, const char *cluster_id) {
  const arm_rtype *mt = arm_rtype_find(MEMBER_TYPE);
  for (arm_res *x = arm_store_first_of(c->store, mt); x;) {
    arm_res *next = x->tnext;
    if (arm_ieq(capz_json_ptr_str(x->doc, "/properties/clusterResourceId", ""), cluster_id)) {
      arm_engine_delete_tree(c, x);
      x = arm_store_first_of(c->store, mt); /* the list changed */
      continue;
    }
    x = next;
  }
}
