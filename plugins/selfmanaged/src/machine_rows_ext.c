/* machine_rows_ext.c — the rows after the VM (CAPZ roleassignments, vmextensions):
 *  - SystemAssigned identity: role assignment systemAssignedIdentityRole.name at .scope (default the subscription)
 *    for .definitionID (default Contributor), principal = the VM's identity.principalId once the VM exists;
 *  - spec.vmExtensions, then CAPZ's bootstrap check (CAPZ.Linux.Bootstrapping / CAPZ.Windows.Bootstrapping,
 *    publisher Microsoft.Azure.ContainerUpstream, 1.0 — 1.1 on Arm64) waiting for the CAPI bootstrap sentinel
 *    file; only on AzurePublicCloud, only when disableVMBootstrapExtension is explicitly false (CAPZ treats an
 *    unset value as true), never with disableExtensionOperations.
 * protectedSettings are write-only in ARM (never returned): they are sent but not owned (not compared), and never
 * logged. Neither kind of resource carries tags, so the ownership-tag rule does not apply to them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "capz/json.h"
#include "machine_run.h"

#define BOOT_PUBLISHER "Microsoft.Azure.ContainerUpstream"
#define BOOT_LINUX "CAPZ.Linux.Bootstrapping"
#define BOOT_WINDOWS "CAPZ.Windows.Bootstrapping"
#define SENTINEL "/run/cluster-api/bootstrap-success.complete"
/* 60 tries 5 s apart, as CAPZ */
#define BOOT_CMD_LINUX \
  "for i in $(seq 1 60); do test -f " SENTINEL " && break; if [ $i -eq 60 ]; then exit 1; else sleep 5; fi; done"
#define BOOT_CMD_WINDOWS \
  "powershell.exe -Command \"for ($i = 0; $i -lt 60; $i++) {if (Test-Path '" SENTINEL \
  "') {exit 0} else {Start-Sleep -Seconds 5}} exit -2\""

static const char *const OWN_RA[] = {"/properties/roleDefinitionId", "/properties/principalId", NULL};

void m_default_role_name(m_run *r) {
  cJSON *spec = cJSON_GetObjectItem(r->d, "spec");
  if (strcmp(m_str(spec, "/identity"), "SystemAssigned") || *m_str(spec, "/roleAssignmentName")) return;
  cJSON *role = cJSON_GetObjectItem(spec, "systemAssignedIdentityRole");
  if (*m_str(role, "/name")) return;
  if (!cJSON_IsObject(role)) {
    cJSON_DeleteItemFromObject(spec, "systemAssignedIdentityRole");
    role = cJSON_AddObjectToObject(spec, "systemAssignedIdentityRole");
  }
  char in[512], id[37];
  snprintf(in, sizeof in, "%s/%s/%s", r->az.subscription[0] ? r->az.subscription : m_str(r->acd, "/spec/subscriptionID"),
           r->rg, r->key->name);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int ml = 0;
  EVP_Digest(in, strlen(in), md, &ml, EVP_sha256(), NULL);
  md[6] = (unsigned char)((md[6] & 0x0f) | 0x80); /* version 8: name-based, vendor-defined (RFC 9562) */
  md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
  snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2],
           md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
  if (role) cJSON_AddStringToObject(role, "name", id);
}

static int role_row(m_run *r, const cJSON *vm_live, capz_err *err) {
  const cJSON *role = capz_json_ptr_get(r->d, "/spec/systemAssignedIdentityRole");
  const char *name = m_str(role, "/name");
  if (!*name) return capz_err_set(err, CAPZ_EINVAL, "spec.systemAssignedIdentityRole.name is empty");
  char scope[512], id[CAPZ_ARM_ROW_ID_MAX];
  snprintf(scope, sizeof scope, "%s", *m_str(role, "/scope") ? m_str(role, "/scope") : "");
  if (!*scope) snprintf(scope, sizeof scope, "/subscriptions/%s", r->az.subscription);
  size_t l = strlen(scope);
  while (l > 1 && scope[l - 1] == '/') scope[--l] = '\0'; /* CAPZ's default scope ends in '/' */
  if (capz_fmt(id, sizeof id, "%s/providers/Microsoft.Authorization/roleAssignments/%s", scope, name))
    return capz_err_set(err, CAPZ_EINVAL, "role assignment scope too long");
  cJSON *d = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  if (vm_live) {
    const char *principal = m_str(vm_live, "/identity/principalId");
    if (!*principal) {
      cJSON_Delete(d);
      return capz_err_set(err, CAPZ_EINPROGRESS, "the VM has no system-assigned principal yet");
    }
    cJSON_AddStringToObject(p, "roleDefinitionId", m_str(role, "/definitionID"));
    cJSON_AddStringToObject(p, "principalId", principal);
    cJSON_AddStringToObject(p, "principalType", "ServicePrincipal");
  }
  capz_arm_row *row = capz_arm_table_add(&r->t, "roleassignments", "RoleAssignmentReady", id, d, OWN_RA, NULL);
  if (!row) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  row->ownership = false;
  return 0;
}

static int ext_row(m_run *r, const char *vm_id, const char *name, const char *publisher, const char *version,
                   const cJSON *settings, const cJSON *protected_settings, const char *cmd, capz_err *err) {
  char id[CAPZ_ARM_ROW_ID_MAX];
  if (capz_fmt(id, sizeof id, "%s/extensions/%s", vm_id, name))
    return capz_err_set(err, CAPZ_EINVAL, "extension name too long");
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "location", r->location);
  cJSON *p = cJSON_AddObjectToObject(d, "properties");
  cJSON_AddStringToObject(p, "publisher", publisher);
  cJSON_AddStringToObject(p, "type", name);
  cJSON_AddStringToObject(p, "typeHandlerVersion", version);
  if (cJSON_IsObject(settings)) cJSON_AddItemToObject(p, "settings", cJSON_Duplicate(settings, 1));
  if (cJSON_IsObject(protected_settings)) cJSON_AddItemToObject(p, "protectedSettings", cJSON_Duplicate(protected_settings, 1));
  else if (cmd) cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "protectedSettings"), "commandToExecute", cmd);
  static const char *const own_with[] = {"/location", "/properties/publisher", "/properties/type",
                                         "/properties/typeHandlerVersion", "/properties/settings", NULL};
  static const char *const own_without[] = {"/location", "/properties/publisher", "/properties/type",
                                            "/properties/typeHandlerVersion", NULL};
  capz_arm_row *row = capz_arm_table_add(&r->t, "vmextensions", NULL, id, d,
                                         cJSON_IsObject(settings) ? own_with : own_without, NULL);
  if (!row) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  row->ownership = false;
  return 0;
}

static bool bootstrap_ext_wanted(m_run *r) {
  const cJSON *dis = capz_json_ptr_get(r->d, "/spec/disableVMBootstrapExtension");
  const char *env = *m_str(r->acd, "/spec/azureEnvironment") ? m_str(r->acd, "/spec/azureEnvironment") : "AzurePublicCloud";
  return cJSON_IsFalse(dis) && !strcmp(env, "AzurePublicCloud");
}

int m_rows_post(m_run *r, const cJSON *vm_live, capz_err *err) {
  int rc;
  if (!strcmp(m_str(r->d, "/spec/identity"), "SystemAssigned") && (rc = role_row(r, vm_live, err))) return rc;
  if (capz_json_ptr_bool(r->d, "/spec/disableExtensionOperations", false)) return 0;
  char vm_id[CAPZ_ARM_ROW_ID_MAX];
  capz_arm_res_id(vm_id, sizeof vm_id, r->az.subscription, r->rg, "Microsoft.Compute/virtualMachines", r->key->name);
  const cJSON *x;
  cJSON_ArrayForEach(x, capz_json_ptr_get(r->d, "/spec/vmExtensions")) {
    if ((rc = ext_row(r, vm_id, m_str(x, "/name"), m_str(x, "/publisher"), m_str(x, "/version"),
                      cJSON_GetObjectItem(x, "settings"), cJSON_GetObjectItem(x, "protectedSettings"), NULL, err)))
      return rc;
  }
  if (!bootstrap_ext_wanted(r)) return 0;
  bool windows = !strcasecmp(m_str(r->d, "/spec/osDisk/osType"), "Windows");
  const char *arch = r->sku ? sm_sku_capability(r->sku, "CpuArchitectureType") : NULL;
  const char *ver = !windows && arch && !strcasecmp(arch, "Arm64") ? "1.1" : "1.0";
  return ext_row(r, vm_id, windows ? BOOT_WINDOWS : BOOT_LINUX, BOOT_PUBLISHER, ver, NULL, NULL,
                 windows ? BOOT_CMD_WINDOWS : BOOT_CMD_LINUX, err);
}

const capz_arm_row *m_bootstrap_condition(m_run *r) {
  const capz_arm_row *b = capz_arm_table_find(&r->t, "vmextensions", BOOT_LINUX);
  if (!b) b = capz_arm_table_find(&r->t, "vmextensions", BOOT_WINDOWS);
  if (!b) return NULL;
  const char *ps = m_str(b->live, "/properties/provisioningState");
  bool failed_here = r->w.rc == CAPZ_EFAILED && r->view_off + r->w.at < r->t.n && &r->t.rows[r->view_off + r->w.at] == b;
  if (failed_here || !strcasecmp(ps, "Failed")) {
    r->boot_reason = "BootstrapFailed";
    r->boot_sev = CAPZ_SEV_ERROR;
  } else if (b->outcome == CAPZ_ENSURE_CREATED || b->outcome == CAPZ_ENSURE_UPDATED ||
             (b->outcome == CAPZ_ENSURE_UNCHANGED && (!*ps || !strcasecmp(ps, "Succeeded")))) {
    /* UNCHANGED without a read: verified Succeeded earlier (failed or running ones are forgotten, so re-read) */
    r->boot_reason = "";
  } else {
    r->boot_reason = "BootstrapInProgress";
    r->boot_sev = CAPZ_SEV_INFO;
  }
  return b;
}
