/* identity_validate.c — AzureClusterIdentity admission (CAPZ) and its allowedNamespaces rule. */
#include <string.h>
#include "sm_internal.h"

static const char *const identity_types[] = {"ServicePrincipal", "UserAssignedMSI", "ManualServicePrincipal",
                                             "ServicePrincipalCertificate", "WorkloadIdentity",
                                             "UserAssignedIdentityCredential", NULL};

int sm_azureclusteridentity_validate_errs(const cJSON *obj, const cJSON *old, sm_errors *errs) {
  size_t before = errs->count;
  const cJSON *spec = sm_child(obj, "spec");
  const char *type = sm_str0(spec, "type");
  if (old && !sm_field_equal(spec, sm_child(old, "spec"), "type", true)) {
    sm_err_invalid_s(errs, "spec.type", type, "field is immutable");
    return sm_errors_result(errs, before);
  }
  /* CRD schema: type (enum), tenantID and clientID are required. */
  if (!*type) sm_err_required(errs, "spec.type", "%s", "");
  else {
    bool known = false;
    for (int i = 0; identity_types[i]; i++) known |= strcmp(type, identity_types[i]) == 0;
    if (!known) sm_err_not_supported(errs, "spec.type", type, identity_types);
  }
  if (!sm_present(spec, "tenantID")) sm_err_required(errs, "spec.tenantID", "%s", "");
  if (!sm_present(spec, "clientID")) sm_err_required(errs, "spec.clientID", "%s", "");
  if (strcmp(type, "UserAssignedMSI") != 0 && !sm_str_empty(spec, "resourceID"))
    sm_err_forbidden(errs, "spec.resourceID", "%s", sm_str(spec, "resourceID"));
  if (strcmp(type, "UserAssignedIdentityCredential") != 0 &&
      (!sm_str_empty(spec, "userAssignedIdentityCredentialsPath") ||
       !sm_str_empty(spec, "userAssignedIdentityCredentialsCloudType"))) {
    sm_err_forbidden(errs, "spec.userAssignedIdentityCredentialsPath",
                     "%s can only be set when AzureClusterIdentity is of type UserAssignedIdentityCredential",
                     sm_str0(spec, "userAssignedIdentityCredentialsPath"));
    sm_err_forbidden(errs, "spec.userAssignedIdentityCredentialsCloudType",
                     "%s can only be set when AzureClusterIdentity is of type UserAssignedIdentityCredential",
                     sm_str0(spec, "userAssignedIdentityCredentialsCloudType"));
  }
  return sm_errors_result(errs, before);
}

int sm_azureclusteridentity_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  sm_errors errs;
  sm_errors_init(&errs);
  sm_azureclusteridentity_validate_errs(obj, old, &errs);
  return sm_validate_finish(&errs, "AzureClusterIdentity", obj, msg, n);
}

static bool in_values(const cJSON *values, const char *v) {
  const cJSON *x;
  cJSON_ArrayForEach(x, values) {
    if (cJSON_IsString(x) && v && strcmp(x->valuestring, v) == 0) return true;
  }
  return false;
}

/* metav1.LabelSelector semantics; an empty selector matches everything. */
static bool selector_matches(const cJSON *sel, const cJSON *labels) {
  const cJSON *kv;
  cJSON_ArrayForEach(kv, sm_child(sel, "matchLabels")) {
    const char *have = sm_str(labels, kv->string);
    if (!cJSON_IsString(kv) || !have || strcmp(have, kv->valuestring) != 0) return false;
  }
  const cJSON *req;
  cJSON_ArrayForEach(req, sm_child(sel, "matchExpressions")) {
    const char *key = sm_str0(req, "key"), *op = sm_str0(req, "operator");
    const char *have = sm_str(labels, key);
    const cJSON *values = sm_child(req, "values");
    if (strcmp(op, "In") == 0) {
      if (!have || !in_values(values, have)) return false;
    } else if (strcmp(op, "NotIn") == 0) {
      if (have && in_values(values, have)) return false;
    } else if (strcmp(op, "Exists") == 0) {
      if (!have) return false;
    } else if (strcmp(op, "DoesNotExist") == 0) {
      if (have) return false;
    } else {
      return false; /* an invalid selector matches nothing */
    }
  }
  return true;
}

bool sm_identity_namespace_allowed(const cJSON *identity, const char *ns, const cJSON *ns_labels) {
  const cJSON *allowed = sm_at(identity, "spec.allowedNamespaces");
  if (!cJSON_IsObject(allowed)) return false;
  const cJSON *list = sm_child(allowed, "list");
  const cJSON *sel = sm_child(allowed, "selector");
  bool has_list = list && !cJSON_IsNull(list);
  bool has_sel = sel && !cJSON_IsNull(sel);
  if (!has_list && !has_sel) return true; /* {} allows every namespace */
  if (has_list && in_values(list, ns)) return true;
  /* A selector with no requirements selects nothing (CAPZ: selector.Empty()). */
  int reqs = cJSON_GetArraySize(sm_child(sel, "matchLabels")) + cJSON_GetArraySize(sm_child(sel, "matchExpressions"));
  return has_sel && reqs > 0 && selector_matches(sel, ns_labels);
}
