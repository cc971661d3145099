/* rt_misc.c — extension resources at any scope: Microsoft.Authorization/roleAssignments (GUID names,
 * immutable, one per principal/role/scope) and Microsoft.Resources/tags (the tags of the scope resource). */
#include "rt_common.h"

#include <capz/json.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_guid(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) { if (s[i] != '-') return false; }
    else if (!isxdigit((unsigned char)s[i])) return false;
  }
  return true;
}

static void scope_of(const char *id, char *out, size_t n) {
  snprintf(out, n, "%s", id);
  char *last = NULL, *p = out;
  while ((p = strcasestr(p, "/providers/Microsoft.Authorization/roleAssignments/"))) { last = p; p++; }
  if (last) *last = '\0';
  if (!out[0]) snprintf(out, n, "/");
}

/* A principal exists when the config lists it or a resource carries it as an identity (principalId, objectId). */
static bool doc_has_principal(const cJSON *j, const char *pid) {
  const cJSON *it;
  cJSON_ArrayForEach(it, j) {
    if (cJSON_IsString(it) && it->string && (strcmp(it->string, "principalId") == 0 || strcmp(it->string, "objectId") == 0) &&
        strcasecmp(it->valuestring, pid) == 0)
      return true;
    if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && doc_has_principal(it, pid)) return true;
  }
  return false;
}

static bool principal_known(arm_ctx *c, const char *pid) {
  const cJSON *k;
  cJSON_ArrayForEach(k, c->cfg.ra_known) if (cJSON_IsString(k) && strcasecmp(k->valuestring, pid) == 0) return true;
  const arm_rtype *ra = arm_rtype_find("Microsoft.Authorization/roleAssignments");
  for (arm_res *x = arm_store_first(c->store); x; x = x->next)
    if (x->rt != ra && doc_has_principal(x->doc, pid)) return true;
  return false;
}

static int ra_validate(arm_ctx *c, const char *id, arm_res *old, cJSON *doc, arm_err *e) {
  const char *name = arm_id_name(id);
  if (!is_guid(name))
    return arm_err_set(e, 400, "InvalidRoleAssignmentId", "The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", name);
  const char *role = capz_json_ptr_str(doc, "/properties/roleDefinitionId", NULL);
  const char *pid = capz_json_ptr_str(doc, "/properties/principalId", NULL);
  if (!role || !pid)
    return arm_err_set(e, 400, "InvalidRequestFormat", "properties.roleDefinitionId and properties.principalId are required.");
  if (!strcasestr(role, "/providers/Microsoft.Authorization/roleDefinitions/") || !is_guid(arm_id_name(role)))
    return arm_err_set(e, 400, "InvalidRoleDefinitionId", "The role definition ID '%s' is not valid.", role);
  if (!is_guid(pid))
    return arm_err_set(e, 400, "InvalidPrincipalId", "The principal ID '%s' is not valid. It must be a GUID.", pid);
  const char *ptype = capz_json_ptr_str(doc, "/properties/principalType", NULL);
  static const char *const ptypes[] = {"User", "Group", "ServicePrincipal", "ForeignGroup", "Device", NULL};
  bool pt_ok = !ptype;
  for (int i = 0; ptype && ptypes[i]; i++) pt_ok |= strcasecmp(ptype, ptypes[i]) == 0;
  if (!pt_ok) return arm_err_set(e, 400, "InvalidRequestContent", "principalType '%s' is not valid.", ptype);
  if (!old && c->cfg.ra_check_principals && !principal_known(c, pid))
    return arm_err_set(e, 400, "PrincipalNotFound",
                       "Principal %s does not exist in the directory " RT_TENANT_ID ". Check that you have the correct "
                       "principal ID. If you are creating this principal and then immediately assigning a role, this "
                       "error might be related to a replication delay.", pid);
  if (old) {
    if (!arm_ieq(capz_json_ptr_str(old->doc, "/properties/roleDefinitionId", ""), role) ||
        !arm_ieq(capz_json_ptr_str(old->doc, "/properties/principalId", ""), pid))
      return arm_err_set(e, 409, "RoleAssignmentUpdateNotPermitted",
                         "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    return 0;
  }
  char scope[ARM_ID_MAX], xs[ARM_ID_MAX];
  scope_of(id, scope, sizeof scope);
  for (arm_res *x = arm_store_first_of(c->store, arm_rtype_find("Microsoft.Authorization/roleAssignments")); x; x = x->tnext) {
    scope_of(x->id, xs, sizeof xs);
    if (strcasecmp(xs, scope) == 0 && arm_ieq(capz_json_ptr_str(x->doc, "/properties/roleDefinitionId", ""), role) &&
        arm_ieq(capz_json_ptr_str(x->doc, "/properties/principalId", ""), pid))
      return arm_err_set(e, 409, "RoleAssignmentExists", "The role assignment already exists (%s).", arm_id_name(x->id));
  }
  return 0;
}

static int ra_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  char scope[ARM_ID_MAX], ts[48];
  scope_of(r->id, scope, sizeof scope);
  arm_jset(arm_props(r->doc), "scope", cJSON_CreateString(scope));
  rt_default(r->doc, "principalType", cJSON_CreateString("ServicePrincipal"));
  arm_now_iso(ts, sizeof ts, arm_now());
  rt_default(r->doc, "createdOn", cJSON_CreateString(ts));
  rt_keep(r->doc, old, "/properties/createdOn");
  arm_jset(arm_props(r->doc), "updatedOn", cJSON_CreateString(ts));
  return 0;
}

const arm_rtype rt_role_assignment = {
    .type = "Microsoft.Authorization/roleAssignments",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_EXTENSION,
    .validate = ra_validate,
    .fill = ra_fill,
};

/* ---------------------------------------------------------------- tags */

static cJSON *tags_body(const char *scope, const cJSON *tags) {
  cJSON *b = cJSON_CreateObject();
  char id[ARM_ID_MAX + 64];
  snprintf(id, sizeof id, "%s/providers/Microsoft.Resources/tags/default", scope);
  cJSON_AddStringToObject(b, "id", id);
  cJSON_AddStringToObject(b, "name", "default");
  cJSON_AddStringToObject(b, "type", "Microsoft.Resources/tags");
  cJSON *p = cJSON_AddObjectToObject(b, "properties");
  cJSON_AddItemToObject(p, "tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateObject());
  return b;
}

static void tags_handle(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out) {
  if (!arm_ieq(p->name, "default")) {
    arm_resp_error(out, 400, "InvalidRequestUri", "The tags resource name must be 'default'.");
    return;
  }
  arm_res *target = arm_store_get(c->store, p->scope);
  if (!target) {
    arm_resp_error(out, 404, "ResourceNotFound", "The scope '%s' was not found.", p->scope);
    return;
  }
  cJSON *cur = cJSON_GetObjectItemCaseSensitive(target->doc, "tags");
  const char *m = q->method;
  if (strcmp(m, "GET") == 0) { arm_resp_json(out, 200, tags_body(target->id, cur)); return; }
  if (strcmp(m, "DELETE") == 0) {
    arm_jset(target->doc, "tags", cJSON_CreateObject());
    arm_new_etag(target);
    out->status = 200;
    return;
  }
  if (strcmp(m, "PUT") != 0 && strcmp(m, "PATCH") != 0) {
    arm_resp_error(out, 405, "MethodNotAllowed", "The requested resource does not support http method '%s'.", m);
    return;
  }
  const cJSON *nt = capz_json_ptr_get(q->json, "/properties/tags");
  if (!cJSON_IsObject(nt)) {
    arm_resp_error(out, 400, "InvalidRequestContent", "properties.tags must be an object of strings.");
    return;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, nt) if (!cJSON_IsString(it) || strlen(it->string) > 512 || strlen(it->valuestring) > 256) {
    arm_resp_error(out, 400, "InvalidTag", "Tag '%.100s' is invalid: names are at most 512 and values 256 characters.", it->string);
    return;
  }
  cJSON *res;
  const char *op = strcmp(m, "PUT") == 0 ? "Replace" : arm_jstr(q->json, "operation");
  if (!op || strcasecmp(op, "Replace") == 0) {
    res = cJSON_Duplicate(nt, 1);
  } else if (strcasecmp(op, "Merge") == 0) {
    res = cur ? cJSON_Duplicate(cur, 1) : cJSON_CreateObject();
    cJSON_ArrayForEach(it, nt) arm_jset(res, it->string, cJSON_Duplicate(it, 1));
  } else if (strcasecmp(op, "Delete") == 0) {
    res = cur ? cJSON_Duplicate(cur, 1) : cJSON_CreateObject();
    cJSON_ArrayForEach(it, nt) {
      const cJSON *have = cJSON_GetObjectItemCaseSensitive(res, it->string);
      if (have && cJSON_IsString(have) && (!*it->valuestring || strcmp(have->valuestring, it->valuestring) == 0))
        cJSON_DeleteItemFromObjectCaseSensitive(res, it->string);
    }
  } else {
    arm_resp_error(out, 400, "InvalidRequestContent", "operation must be Merge, Replace or Delete.");
    return;
  }
  if (cJSON_GetArraySize(res) > 50) {
    cJSON_Delete(res);
    arm_resp_error(out, 400, "InvalidTag", "A resource can have at most 50 tags.");
    return;
  }
  arm_jset(target->doc, "tags", res);
  arm_new_etag(target);
  arm_resp_json(out, 200, tags_body(target->id, res));
}

const arm_rtype rt_tags = {
    .type = "Microsoft.Resources/tags",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_EXTENSION,
    .handle = tags_handle,
};
