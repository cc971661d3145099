/* machine_run.h — what the AzureMachine reconcile's files share: one reconcile's state (m_run) and the calls
 * between the flow (machine_controller.c), status (machine_status.c) and the resource rows (machine_rows_*.c).
 * Internal to the plugin. Thread-safety: an m_run belongs to one reconcile (one worker thread).
 * Ownership: every cJSON * in m_run is owned by the run and freed by sm_machine_reconcile. */
#ifndef SM_MACHINE_RUN_H
#define SM_MACHINE_RUN_H

#include "capz/conditions.h"
#include "sm_plugin.h"

#define M_COND_VM "VMRunning"

typedef struct m_run {
  sm_state *s;
  capz_ctx *ctx;
  const capz_key *key;
  const capz_obj *base;
  cJSON *am, *d, *machine, *cluster, *ac, *acd;
  sm_azure az;
  const char *rg, *location, *cluster_name;
  bool deleting, control_plane;
  capz_arm_table t;
  capz_arm_walk w;
  /* status to write */
  const char *vm_reason;      /* VMRunning False reason, or NULL for True */
  capz_severity vm_sev;
  char vm_msg[512];
  const char *vm_state;       /* status.vmState, or NULL to leave */
  const char *failure_reason; /* status.failureReason (terminal) */
  char failure_msg[512];
  bool ready;
  cJSON *addresses;           /* status.addresses to set (owned), or NULL to leave */
  const char *lro_type;
} m_run;

static inline const char *m_str(const cJSON *o, const char *p) { return capz_json_ptr_str(o, p, ""); }

/* ---- status (machine_status.c) ---- */
void m_write_status(m_run *r);
void m_vm_cond(m_run *r, const char *reason, capz_severity sev, const char *msg);
capz_outcome m_requeue(capz_result *res, double s, double floor_s);
/* Terminal failure: failureReason/Message, VMRunning False (Error), status written, TERMINAL outcome. */
capz_outcome m_terminal(m_run *r, capz_result *res, const char *failure_reason, const char *cond_reason,
                        const char *msg);
/* A walk stopped on an error: VM provisioning Failed → CreateError (terminal), anything else → retry. */
capz_outcome m_walk_error(m_run *r, capz_result *res);
/* The stored resume token of a row (status.longRunningOperationStates). */
const char *m_token_of(void *ud, const capz_arm_row *row);

/* ---- resource rows ---- */
/* Tags of a machine resource: cluster then machine additionalTags, Name and role (new object). */
cJSON *m_tags(m_run *r, const char *name);
/* Machine.spec.failureDomain, else the deprecated AzureMachine.spec.failureDomain, else "". */
const char *m_zone(m_run *r);
/* The whole table in create order: [public IP], NIC, [availability set], (delete only: disks), VM. custom_data
 * NULL when building the delete table. 0 or an error (bad image, OOM). */
int m_build_table(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, capz_err *err);
/* machine_rows_net.c: [public IP], NIC rows; nic_id receives the NIC's ID (CAPZ_ARM_ROW_ID_MAX). */
int m_rows_net(m_run *r, char *nic_id, capz_err *err);
/* machine_rows_vm.c: [availability set], (delete only: disks), VM rows. */
int m_rows_vm(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, const char *nic_id, capz_err *err);
/* status.addresses from the NIC (and public IP) as ARM returns them (new array). */
cJSON *m_addresses(m_run *r);

#endif
