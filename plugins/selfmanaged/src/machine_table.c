/* machine_table.c — the AzureMachine's resource table, in CAPZ's create order (§2.4): [public IP], [SSH inbound NAT
 * rule], NIC, [availability set], (delete only: disks), VM; and what every row shares (tags, zone). */
#include <stdio.h>
#include <string.h>

#include "capz/json.h"
#include "machine_run.h"
#include "selfmanaged_api.h"

cJSON *m_tags(m_run *r, const char *name) {
  cJSON *t = cJSON_CreateObject();
  const cJSON *it;
  cJSON_ArrayForEach(it, capz_json_ptr_get(r->acd, "/spec/additionalTags"))
    if (cJSON_IsString(it)) cJSON_AddStringToObject(t, it->string, it->valuestring);
  cJSON_ArrayForEach(it, capz_json_ptr_get(r->d, "/spec/additionalTags"))
    if (cJSON_IsString(it)) {
      cJSON_DeleteItemFromObject(t, it->string);
      cJSON_AddStringToObject(t, it->string, it->valuestring);
    }
  cJSON_AddStringToObject(t, SM_TAG_NAME, name);
  cJSON_AddStringToObject(t, SM_TAG_ROLE, r->control_plane ? SM_ROLE_CONTROLPLANE : SM_ROLE_NODE);
  return t;
}

const char *m_zone(m_run *r) {
  const char *fd = m_str(r->machine, "/spec/failureDomain");
  return *fd ? fd : m_str(r->d, "/spec/failureDomain");
}

int m_build_table(m_run *r, const char *custom_data, bool for_delete, cJSON *zones, capz_err *err) {
  char nic_id[CAPZ_ARM_ROW_ID_MAX];
  int rc = m_rows_net(r, nic_id, err);
  return rc ? rc : m_rows_vm(r, custom_data, for_delete, zones, nic_id, err);
}
