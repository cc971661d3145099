/* machine_status.c — what an AzureMachine reconcile writes back: status.ready/vmState/addresses/failure*,
 * the VMRunning / NetworkInterfacesReady / AvailabilitySetReady conditions and their Ready summary, the rows'
 * resume tokens in status.longRunningOperationStates; plus the terminal and walk-error outcomes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "capz/conditions.h"
#include "capz/json.h"
#include "machine_run.h"

const char *m_token_of(void *ud, const capz_arm_row *r) { return capz_lro_state_get(((m_run *)ud)->am, r->service, r->name); }

static bool row_done(const capz_arm_row *row) {
  return row && (row->outcome == CAPZ_ENSURE_UNCHANGED || row->outcome == CAPZ_ENSURE_CREATED ||
                 row->outcome == CAPZ_ENSURE_UPDATED);
}

/* "" = True, else False with that reason; NULL = leave the condition as it is. */
static void cond(cJSON *obj, const char *type, const char *reason, capz_severity sev, const char *msg) {
  if (!reason) return;
  if (!*reason) capz_cond_mark_true(obj, type);
  else capz_cond_mark_false(obj, type, reason, sev, "%s", msg);
}

static int mutate_status(void *ud, cJSON *obj) {
  m_run *r = ud;
  size_t cur = r->view_off + r->w.at;
  for (size_t i = 0; i < r->t.n; i++) {
    bool mine = r->w.in_progress && i == cur;
    capz_lro_state_set(obj, r->t.rows[i].service, r->t.rows[i].name, r->lro_type ? r->lro_type : "PUT",
                     mine ? r->w.resume_token : NULL);
  }
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!cJSON_IsObject(st)) {
    cJSON_DeleteItemFromObject(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON_DeleteItemFromObject(st, "ready");
  cJSON_AddBoolToObject(st, "ready", r->ready);
  if (r->vm_state) {
    cJSON_DeleteItemFromObject(st, "vmState");
    cJSON_AddStringToObject(st, "vmState", r->vm_state);
  }
  if (r->failure_reason) {
    cJSON_DeleteItemFromObject(st, "failureReason");
    cJSON_DeleteItemFromObject(st, "failureMessage");
    cJSON_AddStringToObject(st, "failureReason", r->failure_reason);
    cJSON_AddStringToObject(st, "failureMessage", r->failure_msg);
  }
  if (r->addresses) {
    cJSON_DeleteItemFromObject(st, "addresses");
    cJSON_AddItemToObject(st, "addresses", cJSON_Duplicate(r->addresses, 1));
  }
  if (r->vm_reason) capz_cond_mark_false(obj, M_COND_VM, r->vm_reason, r->vm_sev, "%s", r->vm_msg);
  else capz_cond_mark_true(obj, M_COND_VM);
  if (r->t.n && !r->deleting) {
    if (row_done(capz_arm_table_find(&r->t, "networkinterfaces", NULL))) capz_cond_mark_true(obj, "NetworkInterfacesReady");
    if (row_done(capz_arm_table_find(&r->t, "availabilitysets", NULL))) capz_cond_mark_true(obj, "AvailabilitySetReady");
    if (row_done(capz_arm_table_find(&r->t, "roleassignments", NULL))) capz_cond_mark_true(obj, "RoleAssignmentReady");
  }
  if (r->nat_done) capz_cond_mark_true(obj, "InboundNATRulesReady");
  cond(obj, "VMIdentitiesReady", r->id_reason, CAPZ_SEV_ERROR, r->id_msg);
  cond(obj, "BootstrapSucceeded", r->boot_reason, r->boot_sev,
       r->boot_reason && !strcmp(r->boot_reason, "BootstrapFailed") ? "the bootstrap extension failed"
                                                                    : "waiting for the bootstrap extension");
  static const char *const summary[] = {M_COND_VM, "NetworkInterfacesReady", "AvailabilitySetReady", NULL};
  capz_cond_set_summary(obj, summary);
  return 0;
}

void m_write_status(m_run *r) {
  capz_err err;
  if (capz_patch_status(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, r->key->ns, r->key->name,
                        mutate_status, r, NULL, &err))
    capz_log(capz_ctx_logger(r->ctx), CAPZ_LOG_WARN, "status patch failed", "error", err.msg, NULL);
}

void m_vm_cond(m_run *r, const char *reason, capz_severity sev, const char *msg) {
  r->vm_reason = reason;
  r->vm_sev = sev;
  capz_fmt(r->vm_msg, sizeof r->vm_msg, "%s", msg); /* truncation is fine for a condition message */
}

capz_outcome m_requeue(capz_result *res, double s, double floor_s) {
  if (!(s >= floor_s)) s = floor_s;
  if (s > 60) s = 60;
  res->requeue_after_ms = (uint64_t)ceil(s * 1000);
  return CAPZ_REQUEUE_AFTER;
}

capz_outcome m_terminal(m_run *r, capz_result *res, const char *failure_reason, const char *cond_reason,
                             const char *msg) {
  r->failure_reason = failure_reason;
  capz_fmt(r->failure_msg, sizeof r->failure_msg, "%s", msg);
  m_vm_cond(r, cond_reason, CAPZ_SEV_ERROR, msg);
  m_write_status(r);
  return capz_ctx_fail(r->ctx, res, CAPZ_TERMINAL, failure_reason, "%s", msg);
}

capz_outcome m_walk_error(m_run *r, capz_result *res) {
  size_t at = r->view_off + r->w.at;
  const capz_arm_row *row = &r->t.rows[at < r->t.n ? at : r->t.n - 1];
  bool vm = !strcmp(row->service, "virtualmachine");
  if (!r->deleting && vm && r->w.rc == CAPZ_EFAILED) {
    char m[512];
    capz_fmt(m, sizeof m, "VM %s failed to provision: %.300s", row->name, r->w.err.msg);
    r->vm_state = "Failed";
    return m_terminal(r, res, "CreateError", "Failed", m);
  }
  m_vm_cond(r, r->deleting ? "DeletionFailed" : "Failed", CAPZ_SEV_ERROR, r->w.err.msg);
  m_write_status(r);
  return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, r->deleting ? "DeletionFailed" : "ReconcileError", "%s %s: %s",
                 row->service, row->name, r->w.err.msg);
}
