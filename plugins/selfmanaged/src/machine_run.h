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
  cJSON *sku;                 /* the VM size's resource SKU (owned), or NULL (delete path) */
  size_t vm_row;              /* index of the VM row in t */
  size_t view_off, view_n;    /* the part of t the last walk covered (for status tokens) */
  /* extra conditions: NULL type = leave */
  const char *id_reason;      /* VMIdentitiesReady False reason, "" = True, NULL = leave */
  char id_msg[256];
  const char *boot_reason;    /* BootstrapSucceeded False reason, "" = True, NULL = leave */
  capz_severity boot_sev;
  bool nat_done;              /* InboundNATRulesReady True */
  double next_drift_s;        /* soonest drift read of the rows walked (HUGE_VAL: none), for a converged requeue */
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
/* The whole table in create order: [public IP], [SSH NAT rule], NIC, [availability set], (delete only: disks), VM. custom_data
 * NULL when building the delete table. 0 or an error (bad image, OOM). */
int m_build_table(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, capz_err *err);
/* machine_rows_net.c: [public IP], [SSH NAT rule], NIC rows; nic_id receives the NIC's ID (CAPZ_ARM_ROW_ID_MAX). */
int m_rows_net(m_run *r, char *nic_id, capz_err *err);
/* The cluster has a capz-c pod subnet (Azure CNI dynamic pod IP allocation). */
bool m_has_pod_subnet(m_run *r);
/* machine_rows_vm.c: [availability set], (delete only: disks), VM rows. */
int m_rows_vm(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, const char *nic_id, capz_err *err);
/* machine_identity.c: VMIdentitiesReady — with vm_live NULL every user-assigned identity is read from Azure,
 * else it must be on the VM. 0 (id_reason ""), CAPZ_ENOTFOUND (id_reason/id_msg set) or another error (id_msg). */
int m_check_user_identities(m_run *r, const cJSON *vm_live);
/* machine_nat.c: the control plane's SSH inbound NAT rule on the API server LB, a child resource and a row of the
 * table (before the NIC). wanted: a control plane of a cluster with an API server LB; on_nic: and the LB is public
 * (the NIC references the rule). m_nat_row adds the row (nothing when not wanted; may read the LB to choose the
 * frontend port). ensure: before the create walk, makes sure the row has its port (error when the LB cannot be
 * read or has no free port); after a walk, remembers the rule's live port. delete: after the delete walk (the NIC
 * gone), sends the rule's DELETE (done once ARM accepted it) and forgets the port. 0 done, CAPZ_EINPROGRESS (requeue after *requeue_s), or an error. */
bool m_nat_wanted(m_run *r);
bool m_nat_on_nic(m_run *r);
void m_nat_rule_id(m_run *r, char *out, size_t n);
int m_nat_row(m_run *r, capz_err *err);
int m_nat_ensure(m_run *r, double *requeue_s, capz_err *err);
int m_nat_delete(m_run *r, double *requeue_s, capz_err *err);
/* machine_rows_ext.c: rows after the VM — the system-assigned identity's role assignment (principal from the VM's
 * live body; NULL when deleting) and the VM extensions (spec.vmExtensions, then the bootstrap check). */
int m_rows_post(m_run *r, const cJSON *vm_live, capz_err *err);
/* The role assignment name of a SystemAssigned machine without one: a UUID derived from subscription, resource
 * group and VM name, so every reconcile (and a restarted controller) names the same assignment. */
void m_default_role_name(m_run *r);
/* BootstrapSucceeded from the bootstrap extension row after a walk of the post rows: boot_reason "" (True),
 * BootstrapInProgress or BootstrapFailed. Returns the row, or NULL when there is no bootstrap extension. */
const capz_arm_row *m_bootstrap_condition(m_run *r);
/* status.addresses from the NIC (and public IP) as ARM returns them (new array). */
cJSON *m_addresses(m_run *r);

#endif
