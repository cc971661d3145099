/* mc_aso.c — translate ASO-shaped merge patches (asoManagedClusterPatches / asoManagedClustersAgentPoolPatches)
 * into the ARM body shape, so the same manifests work with no ASO installed.
 *
 * ASO flattens ARM's "properties" into "spec" and renames ARM-id fields to references. The translation:
 *  - ManagedCluster: spec.{location,tags,sku,identity,extendedLocation,kind} stay top-level; every other spec
 *    field goes under "properties"; AgentPool: every spec field goes under "properties";
 *  - spec.{owner,azureName,operatorSpec} are ASO bookkeeping and dropped;
 *  - "<x>Reference": {"armId": id} becomes "<x>ID": id ("<x>ResourceReference" becomes "<x>ResourceId");
 *    a bare {"reference": {"armId": id}} element becomes {"id": id};
 *  - identity.userAssignedIdentities: [{reference:{armId}}] becomes the ARM map {id: {}};
 *  - autoScalerProfile keys are camelCase in ASO and kebab-case in ARM;
 *  - null values are kept (a merge patch null removes the field).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"

static cJSON *conv(const cJSON *v, bool kebab_keys);

static const char *arm_id_of(const cJSON *ref) {
  const char *id = capz_json_ptr_str(ref, "/armId", NULL);
  return id ? id : capz_json_ptr_str(ref, "/reference/armId", NULL);
}

static void key_name(const char *k, bool kebab, char *out, size_t n) {
  if (!kebab) {
    snprintf(out, n, "%s", k);
    return;
  }
  size_t j = 0;
  for (; *k && j + 2 < n; k++) {
    if (isupper((unsigned char)*k)) {
      out[j++] = '-';
      out[j++] = (char)tolower((unsigned char)*k);
    } else {
      out[j++] = *k;
    }
  }
  out[j] = '\0';
}

static cJSON *conv_object(const cJSON *o, bool kebab_keys) {
  /* {"reference": {"armId": ...}} alone → {"id": ...} */
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(o, "reference");
  if (ref && o->child && !o->child->next && arm_id_of(ref)) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", arm_id_of(ref));
    return r;
  }
  cJSON *out = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, o) {
    const char *k = it->string;
    size_t kl = strlen(k);
    char name[160];
    if (kl > 9 && strcmp(k + kl - 9, "Reference") == 0 && (cJSON_IsObject(it) || cJSON_IsNull(it))) {
      bool res = kl > 17 && strcmp(k + kl - 17, "ResourceReference") == 0;
      snprintf(name, sizeof name, "%.*s%s", (int)(kl - 9), k, res ? "Id" : "ID");
      const char *id = cJSON_IsObject(it) ? arm_id_of(it) : NULL;
      cJSON_AddItemToObject(out, name, id ? cJSON_CreateString(id) : cJSON_CreateNull());
      continue;
    }
    key_name(k, kebab_keys, name, sizeof name);
    bool child_kebab = strcmp(k, "autoScalerProfile") == 0;
    cJSON_AddItemToObject(out, name, conv(it, child_kebab));
  }
  return out;
}

static cJSON *conv(const cJSON *v, bool kebab_keys) {
  if (cJSON_IsObject(v)) return conv_object(v, kebab_keys);
  if (cJSON_IsArray(v)) {
    cJSON *a = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, v) cJSON_AddItemToArray(a, conv(it, false));
    return a;
  }
  if (cJSON_IsBool(v) && kebab_keys) return cJSON_CreateString(cJSON_IsTrue(v) ? "true" : "false");
  return cJSON_Duplicate(v, 1);
}

static cJSON *identity(const cJSON *idn) {
  if (!cJSON_IsObject(idn)) return cJSON_Duplicate(idn, 1);
  cJSON *o = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, idn) {
    if (strcmp(it->string, "userAssignedIdentities") == 0 && cJSON_IsArray(it)) {
      cJSON *m = cJSON_AddObjectToObject(o, "userAssignedIdentities");
      const cJSON *u;
      cJSON_ArrayForEach(u, it) {
        const char *id = arm_id_of(u);
        if (id) cJSON_AddItemToObject(m, id, cJSON_CreateObject());
      }
    } else {
      cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
    }
  }
  return o;
}

cJSON *mc_aso_to_arm(const cJSON *aso_spec, mc_aso_kind kind) {
  cJSON *out = cJSON_CreateObject();
  if (!out || !cJSON_IsObject(aso_spec)) return out;
  cJSON *props = NULL;
  const cJSON *it;
  cJSON_ArrayForEach(it, aso_spec) {
    const char *k = it->string;
    if (!strcmp(k, "owner") || !strcmp(k, "azureName") || !strcmp(k, "operatorSpec")) continue;
    if (kind == MC_ASO_MANAGED_CLUSTER && (!strcmp(k, "location") || !strcmp(k, "tags") || !strcmp(k, "sku") ||
                                           !strcmp(k, "extendedLocation") || !strcmp(k, "kind"))) {
      cJSON_AddItemToObject(out, k, cJSON_Duplicate(it, 1));
      continue;
    }
    if (kind == MC_ASO_MANAGED_CLUSTER && !strcmp(k, "identity")) {
      cJSON_AddItemToObject(out, k, identity(it));
      continue;
    }
    if (!props) props = cJSON_AddObjectToObject(out, "properties");
    cJSON *one = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(one, k, (cJSON *)it);
    cJSON *c = conv_object(one, false);
    cJSON_Delete(one);
    cJSON *m = c ? c->child : NULL;
    if (m) {
      cJSON_DetachItemViaPointer(c, m);
      cJSON_AddItemToObject(props, m->string, m);
    }
    cJSON_Delete(c);
  }
  return out;
}

int mc_aso_patches_apply(cJSON *body, const cJSON *patches, mc_aso_kind kind, capz_err *err) {
  const cJSON *p;
  int i = 0;
  cJSON_ArrayForEach(p, patches) {
    if (!cJSON_IsString(p)) return capz_err_set(err, CAPZ_EINVAL, "patch %d: not a string", i);
    capz_err pe;
    cJSON *docs = capz_yaml_to_json(p->valuestring, strlen(p->valuestring), &pe);
    const cJSON *doc = cJSON_GetArrayItem(docs, 0);
    if (!cJSON_IsObject(doc)) {
      cJSON_Delete(docs);
      return capz_err_set(err, CAPZ_EINVAL, "patch %d: not a JSON/YAML object", i);
    }
    /* patches are written against the whole ASO object; only its spec reaches ARM */
    cJSON *arm = mc_aso_to_arm(cJSON_GetObjectItemCaseSensitive(doc, "spec"), kind);
    cJSON *merged = capz_json_merge_patch(body, arm);
    cJSON_Delete(arm);
    cJSON_Delete(docs);
    if (!merged) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    /* replace body's contents in place */
    while (body->child) cJSON_Delete(cJSON_DetachItemViaPointer(body, body->child));
    while (merged->child) {
      cJSON *m = cJSON_DetachItemViaPointer(merged, merged->child);
      cJSON_AddItemToObject(body, m->string, m);
    }
    cJSON_Delete(merged);
    i++;
  }
  return 0;
}
