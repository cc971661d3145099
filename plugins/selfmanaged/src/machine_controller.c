/* machine_controller.c — AzureMachine reconcile flow: Machine → Cluster → AzureCluster, waits (no failure) for
 * the cluster infrastructure and the bootstrap data, then the resource table (machine_table.c) walked with ensure.
 * Once the VM exists it is only read (one GET): a VM deleted out of band fails the machine (UpdateError) instead
 * of being recreated. Delete: VM, disks, availability set (when empty), NIC, public IP, in that order.
 * customData (the bootstrap data) is never logged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "capz/conditions.h"
#include "capz/json.h"
#include "machine_run.h"
#include "selfmanaged_api.h"

/* Walk rows [off, off + n) of the table: ensure, or delete in reverse (tokens and conditions follow the view). */
static void walk_view(m_run *r, size_t off, size_t n, bool del) {
  capz_arm_table v = {.rows = r->t.rows + off, .n = n, .cap = n, .cluster_name = r->t.cluster_name};
  capz_arm_walk_free(&r->w);
  memset(&r->w, 0, sizeof r->w);
  r->view_off = off;
  r->view_n = n;
  if (del) capz_arm_table_delete(&v, r->s->ensurer, r->az.arm, m_token_of, r, &r->w);
  else {
    capz_arm_table_ensure(&v, r->s->ensurer, r->az.arm, m_token_of, r, &r->w);
    if (r->w.next_drift_s > 0 && r->w.next_drift_s < r->next_drift_s) r->next_drift_s = r->w.next_drift_s;
  }
}

static capz_outcome reconcile_delete(m_run *r, capz_result *res, cJSON *zones) {
  capz_err err;
  if (!capz_has_finalizer(r->am, SM_MACHINE_FINALIZER)) return CAPZ_DONE;
  r->lro_type = "DELETE";
  if (m_build_table(r, NULL, true, zones, &err) || m_rows_post(r, NULL, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "DeletionFailed", "%s", err.msg);
  walk_view(r, 0, r->t.n, true);
  m_vm_cond(r, "Deleting", CAPZ_SEV_INFO, "deleting the VM and its resources");
  r->vm_state = "Deleting";
  if (r->w.rc) return m_walk_error(r, res);
  if (r->w.in_progress) {
    m_write_status(r);
    return m_requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
  }
  /* the availability set goes with its last VM */
  const capz_arm_row *as = capz_arm_table_find(&r->t, "availabilitysets", NULL);
  if (as) {
    capz_arm_response live;
    if (capz_arm_get(r->az.arm, as->id, NULL, &live, NULL) == 0 &&
        cJSON_GetArraySize(capz_json_ptr_get(live.body, "/properties/virtualMachines")) == 0) {
      capz_arm_ensure_result ar;
      if (capz_arm_ensure_delete(r->s->ensurer, r->az.arm, as->id, r->cluster_name, NULL, &ar, &err) == 0 &&
          ar.outcome == CAPZ_ENSURE_IN_PROGRESS) {
        double after = ar.requeue_after_s;
        capz_arm_ensure_result_free(&ar);
        capz_arm_response_free(&live);
        return m_requeue(res, after, r->s->poll_floor_s);
      }
      capz_arm_ensure_result_free(&ar);
    }
    capz_arm_response_free(&live);
  }
  /* the SSH NAT rule, once the NIC referencing it is gone */
  if (m_nat_wanted(r)) {
    double after = 1;
    int rc = m_nat_delete(r, &after, &err);
    if (rc == CAPZ_EINPROGRESS) return m_requeue(res, after, r->s->poll_floor_s);
    if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "DeletionFailed", "inbound NAT rule: %s", err.msg);
  }
  const capz_arm_row *vm = capz_arm_table_find(&r->t, "virtualmachine", NULL);
  if (vm) sm_vm_check_forget(r->s->vm_checks, vm->id);
  bool changed;
  if (capz_finalizer_remove(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, SM_MACHINE_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  return CAPZ_DONE;
}

/* The rows after the VM (role assignment, extensions), with the VM's live body. DONE when all are in place. */
static capz_outcome post_rows(m_run *r, capz_result *res, const cJSON *vm_live) {
  capz_err err;
  size_t off = r->t.n;
  int rc = m_rows_post(r, vm_live, &err);
  if (rc == CAPZ_EINPROGRESS) {
    m_write_status(r);
    return m_requeue(res, 2, r->s->poll_floor_s);
  }
  if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "ReconcileError", "%s", err.msg);
  if (r->t.n == off) return CAPZ_DONE;
  walk_view(r, off, r->t.n - off, false);
  const capz_arm_row *boot = m_bootstrap_condition(r);
  if (r->boot_reason && !strcmp(r->boot_reason, "BootstrapFailed")) {
    /* as CAPZ: the machine is not ready and the failure is retried; re-read the extension next time */
    capz_arm_ensurer_forget(r->s->ensurer, boot->id);
    m_write_status(r);
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "BootstrapFailed", "VM extension %s failed: the bootstrap did not "
                         "complete (see the VM's cloud-init output)", boot->name);
  }
  if (r->w.rc) return m_walk_error(r, res);
  if (r->w.in_progress) {
    m_write_status(r);
    return m_requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
  }
  if (r->boot_reason && *r->boot_reason) { /* the extension exists but is still running */
    capz_arm_ensurer_forget(r->s->ensurer, boot->id);
    m_write_status(r);
    return m_requeue(res, 5, r->s->poll_floor_s);
  }
  return CAPZ_DONE;
}

static int bootstrap_data(m_run *r, char **out, capz_err *err) {
  const char *name = m_str(r->machine, "/spec/bootstrap/dataSecretName");
  cJSON *sec = capz_ctx_cache_copy(r->ctx, &SM_GVK_SECRET, r->key->ns, name);
  if (!sec) {
    int rc = capz_kube_get(capz_ctx_client(r->ctx), &SM_GVK_SECRET, r->key->ns, name, &sec, err);
    if (rc) return rc;
  }
  const char *v = capz_json_ptr_str(sec, "/data/value", NULL);
  int rc = 0;
  if (!v) rc = capz_err_set(err, CAPZ_EINVAL, "bootstrap data secret %s has no key value", name);
  else if (!(*out = strdup(v))) rc = CAPZ_ENOMEM;
  cJSON *it = capz_json_ptr_get(sec, "/data/value");
  if (it && it->valuestring) OPENSSL_cleanse(it->valuestring, strlen(it->valuestring));
  cJSON_Delete(sec);
  return rc;
}

/* A Ready machine whose VM was read less than a drift interval ago: nothing to read (the VM and the rows after it
 * are looked at again when the VM's read is due). */
static bool vm_read_not_due(m_run *r, const capz_arm_row *vm) {
  double left = 0;
  if (!capz_json_ptr_bool(r->am, "/status/ready", false) || strcmp(m_str(r->am, "/status/vmState"), "Succeeded") ||
      sm_vm_check_due(r->s->vm_checks, vm->id, &left))
    return false;
  if (left < r->next_drift_s) r->next_drift_s = left;
  return true;
}

static capz_outcome vm_exists_path(m_run *r, capz_result *res) {
  /* the VM was created: read it (one GET per drift interval); never recreate one deleted behind our back */
  const capz_arm_row *vm = capz_arm_table_find(&r->t, "virtualmachine", NULL);
  if (vm_read_not_due(r, vm)) {
    r->ready = true;
    r->vm_state = "Succeeded";
    m_write_status(r);
    return sm_drift_requeue(r->s, res, r->next_drift_s);
  }
  capz_arm_response live;
  capz_err err;
  int rc = capz_arm_get(r->az.arm, vm->id, NULL, &live, &err);
  if (rc == CAPZ_ENOTFOUND) {
    capz_arm_response_free(&live);
    sm_vm_check_forget(r->s->vm_checks, vm->id);
    r->vm_state = "Deleted";
    capz_ctx_event(r->ctx, "Warning", "UnexpectedVMDeletion", "VM %s was deleted outside of capz", vm->name);
    return m_terminal(r, res, "UpdateError", "Deleted", "the VM was deleted outside of the controller");
  }
  if (rc) {
    capz_arm_response_free(&live);
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "ReconcileError", "reading VM %s: %s", vm->name, err.msg);
  }
  const char *ps = m_str(live.body, "/properties/provisioningState");
  r->vm_state = !strcasecmp(ps, "Succeeded") ? "Succeeded" : !strcasecmp(ps, "Failed") ? "Failed"
              : !strcasecmp(ps, "Deleting") ? "Deleting" : !strcasecmp(ps, "Updating") ? "Updating" : "Creating";
  capz_outcome oc = CAPZ_DONE;
  if (!strcmp(r->vm_state, "Failed")) {
    capz_ctx_event(r->ctx, "Warning", "UnexpectedVMFailure", "VM %s is in state Failed", vm->name);
    m_vm_cond(r, "Failed", CAPZ_SEV_ERROR, "the VM is in state Failed");
    m_write_status(r);
    goto out;
  }
  if (strcmp(r->vm_state, "Succeeded")) {
    m_vm_cond(r, "Creating", CAPZ_SEV_INFO, "the VM is being provisioned");
    m_write_status(r);
    oc = m_requeue(res, 5, r->s->poll_floor_s);
    goto out;
  }
  /* CAPZ: a user-assigned identity missing from the VM is an unsupported change */
  if (m_check_user_identities(r, live.body) == CAPZ_ENOTFOUND) {
    capz_ctx_event(r->ctx, "Warning", "UserAssignedIdentityMissing", "%s", r->id_msg);
    oc = m_terminal(r, res, "UnsupportedChange", "Failed", r->id_msg);
    goto out;
  }
  oc = post_rows(r, res, live.body);
  if (oc != CAPZ_DONE) goto out;
  r->ready = true;
  if (cJSON_GetArraySize(capz_json_ptr_get(r->am, "/status/addresses")) < 2) r->addresses = m_addresses(r);
  m_write_status(r);
  double interval = r->s->drift_interval_s > 0 ? r->s->drift_interval_s : 600;
  sm_vm_check_done(r->s->vm_checks, vm->id, interval);
  if (interval < r->next_drift_s) r->next_drift_s = interval;
  oc = sm_drift_requeue(r->s, res, r->next_drift_s);
out:
  capz_arm_response_free(&live);
  return oc;
}

static bool nic_reread(m_run *r) {
  const capz_arm_row *nic = capz_arm_table_find(&r->t, "networkinterfaces", NULL);
  return nic && nic->outcome && nic->arm_requests > 0;
}

static capz_outcome reconcile_normal(m_run *r, capz_result *res, cJSON *zones) {
  capz_err err;
  if (!sm_cluster_infra_ready(r->cluster)) {
    m_vm_cond(r, "WaitingForClusterInfrastructure", CAPZ_SEV_INFO, "cluster infrastructure is not ready yet");
    m_write_status(r);
    return CAPZ_DONE; /* as CAPZ: no polling, the Cluster watch (cluster-name label) wakes us */
  }
  if (!*m_str(r->machine, "/spec/bootstrap/dataSecretName")) {
    m_vm_cond(r, "WaitingForBootstrapData", CAPZ_SEV_INFO, "bootstrap data secret is not available yet");
    m_write_status(r);
    return CAPZ_DONE; /* the Machine watch wakes us when dataSecretName is set */
  }
  bool changed;
  if (sm_block_move(r->ctx, &SM_GVK_AZUREMACHINE, r->key, r->am, true, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
  if (!capz_has_finalizer(r->am, SM_MACHINE_FINALIZER) &&
      capz_finalizer_add(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, SM_MACHINE_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  int rc = sm_skus_vm(r->s, r->az.arm, r->az.subscription, r->location, m_str(r->d, "/spec/vmSize"), &r->sku, &err);
  if (rc == CAPZ_ENOTFOUND) {
    capz_ctx_event(r->ctx, "Warning", "SKUNotFound", "%s", err.msg);
    return m_terminal(r, res, "InvalidConfiguration", "Failed", err.msg);
  }
  if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "SKUListError", "%s", err.msg);
  /* the cloud provider's <machine>-azure-json Secret (CAPZ's AzureJSONMachine controller) */
  sm_azure_json_in aj = {.ctx = r->ctx, .arm = r->az.arm, .ns = r->key->ns, .owner_kind = "AzureMachine",
                         .owner_name = r->key->name, .owner_uid = m_str(r->am, "/metadata/uid"),
                         .cluster_name = r->cluster_name, .acd = r->acd, .machine_spec = cJSON_GetObjectItem(r->d, "spec")};
  if ((rc = sm_azure_json_reconcile(&aj, &err)))
    return capz_ctx_fail(r->ctx, res, capz_err_is_transient(rc) ? CAPZ_RETRY : CAPZ_TERMINAL, "AzureJSONError", "%s", err.msg);
  bool created = *m_str(r->am, "/spec/providerID") != '\0';
  if (!created && (rc = m_check_user_identities(r, NULL))) {
    if (rc != CAPZ_ENOTFOUND) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "ReconcileError", "%s", r->id_msg);
    /* not terminal before the VM exists: the identity may still be on its way */
    capz_ctx_event(r->ctx, "Warning", "UserAssignedIdentityMissing", "%s", r->id_msg);
    m_write_status(r);
    return m_requeue(res, 30, r->s->poll_floor_s);
  }
  char *cd = NULL;
  if (!created && (rc = bootstrap_data(r, &cd, &err))) {
    if (rc == CAPZ_ENOTFOUND) {
      m_vm_cond(r, "WaitingForBootstrapData", CAPZ_SEV_INFO, "bootstrap data secret not found yet");
      m_write_status(r);
      return m_requeue(res, 5, 5);
    }
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "BootstrapDataError", "%s", err.msg);
  }
  rc = m_build_table(r, cd, false, zones, &err);
  if (cd) {
    OPENSSL_cleanse(cd, strlen(cd));
    free(cd);
  }
  if (rc) return m_terminal(r, res, "InvalidConfiguration", "Failed", err.msg);
  r->vm_row = r->t.n - 1;
  if (created) {
    /* everything but the VM: keep it converged (fast path: no requests while unchanged). With a pod subnet the
     * existing NIC is left out: Azure CNI's dynamic allocation adds the pods' IP configurations to it, and a PUT
     * of our body would drop them. */
    const capz_arm_row *nic = m_has_pod_subnet(r) ? capz_arm_table_find(&r->t, "networkinterfaces", NULL) : NULL;
    size_t skip = nic ? (size_t)(nic - r->t.rows) : r->vm_row;
    size_t seg[2][2] = {{0, skip}, {skip + 1, r->vm_row}};
    for (int i = 0; i < 2; i++) {
      if (seg[i][1] <= seg[i][0]) continue;
      walk_view(r, seg[i][0], seg[i][1] - seg[i][0], false);
      if (r->w.rc) return m_walk_error(r, res);
      if (r->w.in_progress) {
        m_write_status(r);
        return m_requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
      }
    }
    /* the SSH NAT rule is re-checked whenever the NIC was re-read (drift interval, restart): no request otherwise */
    if (m_nat_wanted(r) && nic_reread(r)) {
      double after = 1;
      int rc2 = m_nat_ensure(r, &after, &err);
      if (rc2 == CAPZ_EINPROGRESS) return m_requeue(res, after, r->s->poll_floor_s);
      if (rc2) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "ReconcileError", "inbound NAT rule: %s", err.msg);
    }
    return vm_exists_path(r, res);
  }
  /* the SSH NAT rule must exist before the NIC refers to it */
  if (m_nat_wanted(r)) {
    double after = 1;
    rc = m_nat_ensure(r, &after, &err);
    if (rc == CAPZ_EINPROGRESS) return m_requeue(res, after, r->s->poll_floor_s);
    if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "ReconcileError", "inbound NAT rule: %s", err.msg);
    r->nat_done = true;
  }
  walk_view(r, 0, r->t.n, false);
  if (r->w.rc) return m_walk_error(r, res);
  if (r->w.in_progress) {
    bool vm = r->w.at == r->vm_row;
    m_vm_cond(r, "Creating", CAPZ_SEV_INFO, vm ? "creating the VM" : "creating the VM's network resources");
    r->vm_state = "Creating";
    m_write_status(r);
    return m_requeue(res, r->w.requeue_after_s, r->s->poll_floor_s);
  }
  /* VM done: providerID (RG lower-cased, as CAPZ), then status */
  char pid[CAPZ_ARM_ROW_ID_MAX + 16], rgl[96];
  snprintf(rgl, sizeof rgl, "%s", r->rg);
  for (char *c = rgl; *c; c++) *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
  snprintf(pid, sizeof pid, "azure:///subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s",
           r->az.subscription, rgl, r->key->name);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "spec"), "providerID", pid);
  rc = capz_ctx_merge_patch(r->ctx, &SM_GVK_AZUREMACHINE, r->key->ns, r->key->name, p, &err);
  cJSON_Delete(p);
  if (rc) return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "PatchError", "setting providerID: %s", err.msg);
  r->vm_state = "Succeeded";
  r->addresses = m_addresses(r);
  capz_ctx_event(r->ctx, "Normal", "VMCreated", "VM %s created", r->key->name);
  capz_outcome oc = post_rows(r, res, r->t.rows[r->vm_row].live);
  if (oc != CAPZ_DONE) return oc;
  r->ready = true;
  m_write_status(r);
  /* the VM was just read (created): its next read, and the machine's next pass, one drift interval on */
  double interval = r->s->drift_interval_s > 0 ? r->s->drift_interval_s : 600;
  sm_vm_check_done(r->s->vm_checks, r->t.rows[r->vm_row].id, interval);
  if (interval < r->next_drift_s) r->next_drift_s = interval;
  return sm_drift_requeue(r->s, res, r->next_drift_s);
}

/* Deleting with the cluster's infrastructure already gone (its resource group went with everything in it): there
 * is nothing left to delete in Azure, only our finalizer to drop. */
static capz_outcome release(m_run *r, capz_result *res) {
  capz_err err;
  bool changed;
  if (capz_has_finalizer(r->am, SM_MACHINE_FINALIZER) &&
      capz_finalizer_remove(capz_ctx_client(r->ctx), &SM_GVK_AZUREMACHINE, r->base, SM_MACHINE_FINALIZER, &changed, &err))
    return capz_ctx_fail(r->ctx, res, CAPZ_RETRY, "FinalizerError", "%s", err.msg);
  return CAPZ_DONE;
}

capz_outcome sm_machine_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  m_run r = {.s = state, .ctx = ctx, .key = key, .next_drift_s = HUGE_VAL};
  capz_err err;
  capz_outcome oc = CAPZ_DONE;
  cJSON *zones = NULL;
  int rc = capz_ctx_get(ctx, &r.base, &err);
  if (rc == CAPZ_ENOTFOUND) return CAPZ_DONE;
  if (rc) return capz_ctx_fail(ctx, res, CAPZ_RETRY, "ReadError", "%s", err.msg);
  r.am = cJSON_Duplicate(capz_obj_json(r.base), 1);
  r.deleting = capz_obj_deleting(r.base);
  capz_arm_table_init(&r.t, NULL);
  if (!r.am) {
    oc = CAPZ_RETRY;
    goto out;
  }
  if (!r.deleting && *m_str(r.am, "/status/failureReason")) goto out; /* terminal until someone replaces the machine */
  const char *mname = capz_owner_ref_name(r.am, "cluster.x-k8s.io", "Machine");
  if (!mname) goto out; /* CAPI sets the owner; its Machine watch wakes us */
  r.machine = capz_ctx_cache_copy(ctx, &SM_GVK_MACHINE, key->ns, mname);
  if (!r.machine) goto out;
  const char *cname = capz_json_ptr_str(r.machine, "/metadata/labels/cluster.x-k8s.io~1cluster-name", NULL);
  if (!cname) cname = m_str(r.machine, "/spec/clusterName");
  r.cluster = capz_ctx_cache_copy(ctx, &SM_GVK_CLUSTER, key->ns, cname);
  if (!r.cluster && r.deleting) {
    oc = release(&r, res);
    goto out;
  }
  if (!r.cluster) {
    oc = m_requeue(res, 5, 5);
    goto out;
  }
  r.cluster_name = capz_json_ptr_str(r.cluster, "/metadata/name", "");
  if (capz_is_paused(r.am, r.cluster)) {
    if (sm_block_move(ctx, &SM_GVK_AZUREMACHINE, key, r.am, false, &err))
      oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg);
    goto out;
  }
  r.ac = capz_ctx_cache_copy(ctx, &SM_GVK_AZURECLUSTER, key->ns, m_str(r.cluster, "/spec/infrastructureRef/name"));
  if (!r.ac && r.deleting) {
    oc = release(&r, res);
    goto out;
  }
  if (!r.ac) {
    oc = m_requeue(res, 5, 5);
    goto out;
  }
  r.acd = cJSON_Duplicate(r.ac, 1);
  r.d = cJSON_Duplicate(r.am, 1);
  r.control_plane = capz_json_ptr_get(r.machine, "/metadata/labels/cluster.x-k8s.io~1control-plane") != NULL;
  if (!r.acd || !r.d || sm_azurecluster_default(r.acd, NULL, &err)) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "DefaultingError", "%s", err.msg);
    goto out;
  }
  r.rg = m_str(r.acd, "/spec/resourceGroup");
  r.location = m_str(r.acd, "/spec/location");
  m_default_role_name(&r); /* before the webhook defaults, which would pick a random one on every pass */
  if (sm_azuremachine_default(r.d, m_str(r.acd, "/spec/subscriptionID"), &err)) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "DefaultingError", "%s", err.msg);
    goto out;
  }
  if (!r.deleting) {
    char msg[1024];
    if (sm_azuremachine_validate(r.d, NULL, msg, sizeof msg) > 0) {
      oc = m_terminal(&r, res, "InvalidConfiguration", "InvalidConfiguration", msg);
      goto out;
    }
    /* a generated SSH key is persisted, as CAPZ's defaulting webhook would have done */
    if (!*m_str(r.am, "/spec/sshPublicKey") && *m_str(r.d, "/spec/sshPublicKey")) {
      cJSON *p = cJSON_CreateObject();
      cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "spec"), "sshPublicKey", m_str(r.d, "/spec/sshPublicKey"));
      rc = capz_ctx_merge_patch(ctx, &SM_GVK_AZUREMACHINE, key->ns, key->name, p, &err);
      cJSON_Delete(p);
      oc = rc ? capz_ctx_fail(ctx, res, CAPZ_RETRY, "PatchError", "%s", err.msg) : CAPZ_DONE; /* the update wakes us */
      goto out;
    }
  }
  rc = sm_azure_for_cluster(r.s, ctx, r.acd, &r.az, &err);
  if (rc) {
    m_vm_cond(&r, "Failed", CAPZ_SEV_ERROR, err.msg);
    m_write_status(&r);
    /* the cluster got this far with the identity, so it broke later (Secret rotated, deleted, namespace no longer
     * allowed); nothing maps identity changes to machines, so back off and look again, as CAPZ does */
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "InvalidIdentity", "%s", err.msg);
    goto out;
  }
  r.t.cluster_name = r.cluster_name;
  rc = sm_skus_zones(r.s, r.az.arm, r.az.subscription, r.location, &zones, &err);
  if (rc) {
    oc = capz_ctx_fail(ctx, res, CAPZ_RETRY, "SKUListError", "%s", err.msg);
    goto out;
  }
  oc = r.deleting ? reconcile_delete(&r, res, zones) : reconcile_normal(&r, res, zones);
out:
  cJSON_Delete(zones);
  cJSON_Delete(r.sku);
  cJSON_Delete(r.addresses);
  capz_arm_table_free(&r.t);
  capz_arm_walk_free(&r.w);
  cJSON_Delete(r.d);
  cJSON_Delete(r.acd);
  cJSON_Delete(r.ac);
  cJSON_Delete(r.cluster);
  cJSON_Delete(r.machine);
  cJSON_Delete(r.am);
  capz_obj_unref(r.base);
  return oc;
}
