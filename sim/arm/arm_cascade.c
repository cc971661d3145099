/* arm_cascade.c — completion of a resource-group DELETE. ARM deletes every resource of the group, retrying
 * refused deletes until only resources held from outside remain; the order below (dependents before what they
 * reference) reaches the same end state in one pass, so references between members of the group never block.
 * A reference from outside the group (a NIC of another group in one of its subnets...) blocks that resource and
 * everything it sits in; the operation then fails with ResourceGroupDeletionBlocked and the provisioning state
 * of the group and of what is left is rolled back, as ARM does. World lock held. */
#include "arm_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Lower tiers go first. Types not listed go last with their parents (tier 9). */
static const struct {
  const char *type;
  int tier;
} tiers[] = {
    {"Microsoft.Authorization/roleAssignments", 0},
    {"Microsoft.KubernetesConfiguration/extensions", 0},
    {"Microsoft.Compute/virtualMachines/extensions", 0},
    {"Microsoft.ContainerService/fleets/members", 0},
    {"Microsoft.ContainerService/managedClusters/maintenanceConfigurations", 0},
    {"Microsoft.Network/privateDnsZones/virtualNetworkLinks", 0},
    {"Microsoft.ContainerService/managedClusters", 1}, /* takes its node resource group with it */
    {"Microsoft.ContainerService/fleets", 1},
    {"Microsoft.Compute/virtualMachines", 2},
    {"Microsoft.Compute/virtualMachineScaleSets", 2},
    {"Microsoft.Network/networkInterfaces", 3},
    {"Microsoft.Compute/disks", 3},
    {"Microsoft.Compute/availabilitySets", 3},
    {"Microsoft.Network/privateEndpoints", 3},
    {"Microsoft.Network/bastionHosts", 3},
    {"Microsoft.Network/loadBalancers", 4},
    {"Microsoft.Network/virtualNetworks/virtualNetworkPeerings", 5},
    {"Microsoft.Network/virtualNetworks/subnets", 5},
    {"Microsoft.Network/virtualNetworks", 6},
    {"Microsoft.Network/natGateways", 7},
    {"Microsoft.Network/networkSecurityGroups", 7},
    {"Microsoft.Network/routeTables", 7},
    {"Microsoft.Network/privateDnsZones", 7},
    {"Microsoft.Network/publicIPAddresses", 8},
    {"Microsoft.ManagedIdentity/userAssignedIdentities", 8},
};

static int tier_of(const arm_rtype *rt, bool *listed) {
  for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++)
    if (strcasecmp(tiers[i].type, rt->type) == 0) {
      *listed = true;
      return tiers[i].tier;
    }
  *listed = false;
  return 9;
}

typedef struct item {
  char *key;
  int tier;
  size_t depth;
} item;

static int cmp_item(const void *a, const void *b) {
  const item *x = a, *y = b;
  if (x->tier != y->tier) return x->tier < y->tier ? -1 : 1;
  return x->depth > y->depth ? -1 : x->depth < y->depth ? 1 : 0; /* deeper first */
}

static bool under(const char *key, const char *root) {
  size_t rl = strlen(root);
  return strncmp(key, root, rl) == 0 && (key[rl] == '\0' || key[rl] == '/');
}

/* Resources deleted on their own: direct members of the group, extension resources and listed child types.
 * Anything else goes with its parent's tree. */
static bool own_step(const arm_res *x, const char *rg_key, bool listed) {
  char up[ARM_ID_MAX];
  arm_id_parent(x->key, up, sizeof up);
  return strcmp(up, rg_key) == 0 || (x->rt->flags & ARM_RT_EXTENSION) || listed;
}

static void add_detail(cJSON *details, const arm_res *x, const arm_err *e) {
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "code", e->code);
  cJSON_AddStringToObject(d, "target", x->id);
  /* ARM passes the resource provider's answer on as a JSON string */
  cJSON *inner = cJSON_CreateObject(), *ie = cJSON_AddObjectToObject(inner, "error");
  cJSON_AddStringToObject(ie, "code", e->code);
  cJSON_AddStringToObject(ie, "message", e->msg);
  char *txt = cJSON_PrintUnformatted(inner);
  cJSON_AddStringToObject(d, "message", txt ? txt : e->msg);
  free(txt);
  cJSON_Delete(inner);
  cJSON_AddItemToArray(details, d);
}

/* "type/name" of the group member that contains key, appended to a comma list. */
static void add_ident(arm_ctx *c, const char *rg_key, const char *key, char *list, size_t n) {
  char top[ARM_ID_MAX], up[ARM_ID_MAX];
  snprintf(top, sizeof top, "%s", key);
  for (int guard = 0; guard < 16; guard++) {
    arm_id_parent(top, up, sizeof up);
    if (!up[0] || strcmp(up, rg_key) == 0) break;
    snprintf(top, sizeof top, "%s", up);
  }
  arm_res *x = arm_store_get(c->store, top);
  char ident[ARM_ID_MAX];
  snprintf(ident, sizeof ident, "%s/%s", x ? x->rt->type : "", x ? arm_id_name(x->id) : arm_id_name(top));
  if (strstr(list, ident)) return;
  size_t l = strlen(list);
  snprintf(list + l, n - l, "%s%s", l ? "," : "", ident);
}

/* Resources under key are no longer Deleting. */
static void roll_back(arm_ctx *c, const char *key) {
  for (arm_res *x = arm_store_first(c->store); x; x = x->next) {
    if (!under(x->key, key)) continue;
    const char *st = arm_get_state(x);
    if (st && strcmp(st, "Deleting") == 0) arm_set_state(x, "Succeeded");
  }
}

void arm_engine_group_rollback(arm_ctx *c, arm_res *rg) {
  char key[ARM_ID_MAX];
  snprintf(key, sizeof key, "%s", rg->key);
  roll_back(c, key);
}

/* Can anything outside the group hold one of its members? Node resource groups managed from inside the group
 * (an AKS cluster's MC_ group) go with it and count as inside. When nothing outside holds the group, no member
 * can refuse and the per-resource checks (quadratic in the group's size) are skipped. */
static bool held_from_outside(arm_ctx *c, arm_res *rg) {
  const char *roots[16];
  int n = 0;
  roots[n++] = rg->key;
  for (arm_res *x = arm_store_first_of(c->store, &arm_rt_resource_group); x && n < 16; x = x->tnext) {
    const char *mb = arm_jstr(x->doc, "managedBy");
    char mk[ARM_ID_MAX];
    if (!mb) continue;
    arm_lower(mk, mb, sizeof mk);
    if (x != rg && under(mk, rg->key)) roots[n++] = x->key;
  }
  if (n == 16) return true; /* too many to track: take the careful path */
  return arm_referenced_from_outside(c, rg->id, roots, n) || arm_ipam_held_from_outside(c->ipam, roots, n);
}

cJSON *arm_engine_delete_group(arm_ctx *c, arm_res *rg) {
  char rg_key[ARM_ID_MAX];
  snprintf(rg_key, sizeof rg_key, "%s", rg->key);
  bool careful = held_from_outside(c, rg);
  size_t n = 0, cap = 32;
  item *v = malloc(cap * sizeof *v);
  if (!v) { /* out of memory: still delete, without the ordering */
    arm_engine_delete_tree(c, rg);
    return NULL;
  }
  for (arm_res *x = arm_store_first(c->store); x; x = x->next) {
    if (x == rg || !under(x->key, rg_key)) continue;
    bool listed;
    int t = tier_of(x->rt, &listed);
    if (!own_step(x, rg_key, listed)) continue;
    if (n == cap) {
      item *nv = realloc(v, cap * 2 * sizeof *nv);
      if (!nv) break;
      v = nv;
      cap *= 2;
    }
    v[n].key = strdup(x->key);
    v[n].tier = t;
    v[n].depth = strlen(x->key);
    if (v[n].key) n++;
  }
  qsort(v, n, sizeof *v, cmp_item);
  cJSON *details = NULL;
  char **blocked = NULL;
  size_t nblocked = 0;
  for (size_t i = 0; i < n; i++) {
    arm_res *x = arm_store_get(c->store, v[i].key);
    if (!x) continue;
    /* a resource that still contains a blocked one stays too */
    bool holds_blocked = false;
    for (size_t b = 0; b < nblocked && !holds_blocked; b++) holds_blocked = blocked[b] && under(blocked[b], x->key);
    arm_err e;
    memset(&e, 0, sizeof e);
    if (!holds_blocked && (!careful || arm_engine_can_delete(c, x, rg_key, &e) == 0)) {
      arm_engine_delete_tree(c, x);
      continue;
    }
    char **nb = realloc(blocked, (nblocked + 1) * sizeof *nb);
    if (!nb) continue;
    blocked = nb;
    blocked[nblocked++] = strdup(x->key);
    c->kept = blocked; /* what stays keeps holding what it references */
    c->nkept = nblocked;
    roll_back(c, x->key);
    if (!holds_blocked) {
      if (!details) details = cJSON_CreateArray();
      add_detail(details, x, &e);
    }
  }
  c->kept = NULL;
  c->nkept = 0;
  for (size_t i = 0; i < n; i++) free(v[i].key);
  free(v);
  if (!nblocked) {
    free(blocked);
    arm_engine_delete_tree(c, rg);
    return NULL;
  }
  /* roll back: the group and what is left are no longer Deleting */
  char idents[2048] = "";
  for (size_t b = 0; b < nblocked; b++) {
    if (blocked[b]) add_ident(c, rg_key, blocked[b], idents, sizeof idents);
    free(blocked[b]);
  }
  free(blocked);
  roll_back(c, rg_key);
  cJSON *err = cJSON_CreateObject();
  cJSON_AddStringToObject(err, "code", "ResourceGroupDeletionBlocked");
  char msg[3072];
  snprintf(msg, sizeof msg,
           "Deletion of resource group '%s' failed as resources with identifiers '%s' could not be deleted. The "
           "provisioning state of the resource group will be rolled back.",
           arm_id_name(rg->id), idents);
  cJSON_AddStringToObject(err, "message", msg);
  cJSON_AddItemToObject(err, "details", details ? details : cJSON_CreateArray());
  return err;
}
