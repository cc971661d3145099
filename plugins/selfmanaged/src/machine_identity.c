/* machine_identity.c — the VMIdentitiesReady condition (CAPZ): every spec.userAssignedIdentities[].providerID
 * must exist before the VM is created (one GET each, only until the VM exists; an identity found lately — machines
 * usually share one — is not read again for SM_IDENTITY_SEEN_S), and must still be assigned to
 * the VM afterwards (checked on the VM's live body, no extra request). A missing one gives
 * VMIdentitiesReady=False/UserAssignedIdentityMissing. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capz/json.h"
#include "machine_run.h"

/* azure:///subscriptions/... → /subscriptions/... */
static const char *arm_id(const char *provider_id) {
  if (!strncmp(provider_id, "azure://", 8)) provider_id += 8;
  return provider_id;
}

static bool vm_has(const cJSON *vm_live, const char *id) {
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(vm_live, "/identity/userAssignedIdentities"))
    if (it->string && !strcasecmp(it->string, id)) return true;
  return false;
}

int m_check_user_identities(m_run *r, const cJSON *vm_live) {
  if (strcmp(m_str(r->d, "/spec/identity"), "UserAssigned")) return 0;
  const cJSON *u;
  cJSON_ArrayForEach(u, capz_json_ptr_get(r->d, "/spec/userAssignedIdentities")) {
    const char *id = arm_id(m_str(u, "/providerID"));
    if (vm_live) {
      if (vm_has(vm_live, id)) continue;
      r->id_reason = "UserAssignedIdentityMissing";
      capz_fmt(r->id_msg, sizeof r->id_msg, "VM is missing expected user assigned identity %s", id);
      return CAPZ_ENOTFOUND;
    }
    if (r->s->identities_seen && !sm_vm_check_due(r->s->identities_seen, id, NULL)) continue; /* found lately */
    capz_arm_response resp;
    capz_err err;
    int rc = capz_arm_get(r->az.arm, id, NULL, &resp, &err);
    capz_arm_response_free(&resp);
    if (rc == 0) sm_vm_check_done(r->s->identities_seen, id, SM_IDENTITY_SEEN_S);
    if (rc == CAPZ_ENOTFOUND) {
      r->id_reason = "UserAssignedIdentityMissing";
      capz_fmt(r->id_msg, sizeof r->id_msg, "user assigned identity %s not found", id);
      return rc;
    }
    if (rc) {
      capz_fmt(r->id_msg, sizeof r->id_msg, "reading user assigned identity %s: %s", id, err.msg);
      return rc;
    }
  }
  r->id_reason = "";
  return 0;
}
