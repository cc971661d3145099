/* machine_template_validate.c — AzureMachineTemplate admission (CAPZ AzureMachineTemplateWebhook). */
#include <string.h>
#include "sm_internal.h"

#define TPL "spec.template.spec"

static void create_validate(const cJSON *spec, sm_errors *errs) {
  sm_machinespec_validate(spec, TPL, errs);
  /* A template's role assignment name would be shared by every machine stamped from it. */
  if (!sm_str_empty(spec, "roleAssignmentName"))
    sm_err_invalid_s(errs, TPL ".roleAssignmentName", sm_str(spec, "roleAssignmentName"),
                     "AzureMachineTemplate spec.template.spec.roleAssignmentName field can't be set");
  const cJSON *role = sm_child(spec, "systemAssignedIdentityRole");
  if (!sm_str_empty(role, "name"))
    sm_err_invalid_s(errs, TPL ".systemAssignedIdentityRole.name", sm_str(role, "name"),
                     "AzureMachineTemplate spec.template.spec.systemAssignedIdentityRole.name field can't be set");
}

int sm_azuremachinetemplate_validate_errs(const cJSON *obj, const cJSON *old, bool dry_run, sm_errors *errs) {
  size_t before = errs->count;
  const cJSON *spec = sm_at(obj, "spec.template.spec");
  if (!old) {
    create_validate(spec, errs);
    return sm_errors_result(errs, before);
  }
  const cJSON *old_spec = sm_at(old, "spec.template.spec");
  if (dry_run || sm_json_equal_zero(spec, old_spec, true)) return sm_errors_result(errs, before);
  /* CAPZ re-defaults the old object (taking the new SSH key if old had none) before comparing. */
  cJSON *o = cJSON_Duplicate(old, true);
  if (!o) {
    errs->oom = true;
    return -1;
  }
  cJSON *os = sm_at(o, "spec.template.spec");
  if (os && sm_str_empty(os, "sshPublicKey") && !sm_str_empty(spec, "sshPublicKey") &&
      !sm_set_str(os, "sshPublicKey", sm_str(spec, "sshPublicKey")))
    errs->oom = true;
  capz_err err;
  capz_err_clear(&err);
  if (sm_azuremachinetemplate_default(o, &err) != 0)
    sm_err_invalid_s(errs, "spec.template.spec", "", "Unable to apply defaults: %s", err.msg);
  else if (!sm_json_equal_zero(spec, sm_at(o, "spec.template.spec"), true))
    sm_err_invalid_j(errs, "spec.template.spec", spec, "AzureMachineTemplate spec.template.spec field is immutable. "
                     "Please create new resource instead. ref doc: https://cluster-api.sigs.k8s.io/tasks/updating-machine-templates.html");
  cJSON_Delete(o);
  return sm_errors_result(errs, before);
}

int sm_azuremachinetemplate_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n) {
  sm_errors errs;
  sm_errors_init(&errs);
  sm_azuremachinetemplate_validate_errs(obj, old, false, &errs);
  return sm_validate_finish(&errs, "AzureMachineTemplate", obj, msg, n);
}
