/* az_allowed_ns.c — AzureClusterIdentity.spec.allowedNamespaces admission (pure; CAPZ semantics:
 * nil denies all, {} allows all, otherwise name in list OR labels match a non-empty selector). */
#include <stdio.h>
#include <string.h>

#include "capz/azure_identity.h"

static bool is_absent(const cJSON *v) { return !v || cJSON_IsNull(v); }

static const char *label_value(const cJSON *labels, const char *key) {
  if (!cJSON_IsObject(labels)) return NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Returns 1 match, 0 no match, -1 malformed (err filled). */
static int selector_matches(const cJSON *sel, const cJSON *labels, capz_err *err) {
  if (!cJSON_IsObject(sel)) {
    capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector: must be an object");
    return -1;
  }
  const cJSON *ml = cJSON_GetObjectItemCaseSensitive(sel, "matchLabels");
  const cJSON *me = cJSON_GetObjectItemCaseSensitive(sel, "matchExpressions");
  int requirements = 0;
  if (!is_absent(ml)) {
    if (!cJSON_IsObject(ml)) {
      capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector.matchLabels: must be an object");
      return -1;
    }
    for (const cJSON *kv = ml->child; kv; kv = kv->next) {
      if (!cJSON_IsString(kv)) {
        capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector.matchLabels.%s: must be a string", kv->string);
        return -1;
      }
      requirements++;
    }
  }
  if (!is_absent(me)) {
    if (!cJSON_IsArray(me)) {
      capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector.matchExpressions: must be an array");
      return -1;
    }
    int idx = 0;
    for (const cJSON *e = me->child; e; e = e->next, idx++) {
      const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key");
      const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "operator");
      const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "values");
      if (!cJSON_IsString(key) || !key->valuestring[0] || !cJSON_IsString(op)) {
        capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector.matchExpressions[%d]: key and operator required",
                     idx);
        return -1;
      }
      bool set_op = strcmp(op->valuestring, "In") == 0 || strcmp(op->valuestring, "NotIn") == 0;
      bool exist_op = strcmp(op->valuestring, "Exists") == 0 || strcmp(op->valuestring, "DoesNotExist") == 0;
      if (!set_op && !exist_op) {
        capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector.matchExpressions[%d]: unknown operator \"%s\"",
                     idx, op->valuestring);
        return -1;
      }
      int nvals = is_absent(vals) ? 0 : cJSON_GetArraySize(vals);
      if (!is_absent(vals) && !cJSON_IsArray(vals)) nvals = -1;
      if ((set_op && nvals <= 0) || (exist_op && nvals != 0)) {
        capz_err_set(err, CAPZ_EINVAL,
                     "allowedNamespaces.selector.matchExpressions[%d]: operator %s %s values", idx, op->valuestring,
                     set_op ? "needs non-empty" : "takes no");
        return -1;
      }
      for (const cJSON *v = set_op ? vals->child : NULL; v; v = v->next)
        if (!cJSON_IsString(v)) {
          capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.selector.matchExpressions[%d]: values must be strings",
                       idx);
          return -1;
        }
      requirements++;
    }
  }
  /* an empty selector selects nothing here (CAPZ treats it so, unlike Kubernetes list calls) */
  if (requirements == 0) return 0;
  for (const cJSON *kv = is_absent(ml) ? NULL : ml->child; kv; kv = kv->next) {
    const char *have = label_value(labels, kv->string);
    if (!have || strcmp(have, kv->valuestring) != 0) return 0;
  }
  for (const cJSON *e = is_absent(me) ? NULL : me->child; e; e = e->next) {
    const char *key = cJSON_GetObjectItemCaseSensitive(e, "key")->valuestring;
    const char *op = cJSON_GetObjectItemCaseSensitive(e, "operator")->valuestring;
    const char *have = label_value(labels, key);
    if (strcmp(op, "Exists") == 0) {
      if (!have) return 0;
    } else if (strcmp(op, "DoesNotExist") == 0) {
      if (have) return 0;
    } else {
      bool in = false;
      const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "values");
      for (const cJSON *v = vals->child; v && have; v = v->next) in |= strcmp(v->valuestring, have) == 0;
      if (strcmp(op, "In") == 0 ? !in : in) return 0;
    }
  }
  return 1;
}

bool capz_az_namespace_allowed(const cJSON *identity_spec, const char *ns, const cJSON *ns_labels, capz_err *err) {
  if (!ns || !*ns) {
    capz_err_set(err, CAPZ_EINVAL, "namespace name is empty");
    return false;
  }
  if (!cJSON_IsObject(identity_spec)) {
    capz_err_set(err, CAPZ_EINVAL, "identity spec must be an object");
    return false;
  }
  const cJSON *an = cJSON_GetObjectItemCaseSensitive(identity_spec, "allowedNamespaces");
  if (is_absent(an)) goto deny;
  if (!cJSON_IsObject(an)) {
    capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces: must be an object");
    return false;
  }
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(an, "list");
  const cJSON *sel = cJSON_GetObjectItemCaseSensitive(an, "selector");
  if (is_absent(list) && is_absent(sel)) {
    for (const cJSON *m = an->child; m; m = m->next)
      if (strcmp(m->string, "list") != 0 && strcmp(m->string, "selector") != 0) {
        capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.%s: unknown member", m->string);
        return false;
      }
    return true; /* {} admits every namespace */
  }
  if (!is_absent(list)) {
    if (!cJSON_IsArray(list)) {
      capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.list: must be an array of strings");
      return false;
    }
    for (const cJSON *v = list->child; v; v = v->next) {
      if (!cJSON_IsString(v)) {
        capz_err_set(err, CAPZ_EINVAL, "allowedNamespaces.list: must be an array of strings");
        return false;
      }
      if (strcmp(v->valuestring, ns) == 0) return true;
    }
  }
  if (!is_absent(sel)) {
    int m = selector_matches(sel, ns_labels, err);
    if (m < 0) return false;
    if (m > 0) return true;
  }
deny:
  capz_err_set(err, CAPZ_EFORBIDDEN, "namespace \"%s\" is not allowed by the identity's allowedNamespaces", ns);
  if (err) snprintf(err->reason, sizeof err->reason, "%s", "NamespaceNotAllowedByIdentity");
  return false;
}
