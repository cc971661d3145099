/* rt_identity.c — Microsoft.ManagedIdentity/userAssignedIdentities (synchronous; generated client and
 * principal ids, the auth module's tenant). */
#include "rt_common.h"

#include <capz/json.h>

static int uai_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)e;
  char u[37];
  arm_uuid(u);
  rt_default(r->doc, "clientId", cJSON_CreateString(u));
  arm_uuid(u);
  rt_default(r->doc, "principalId", cJSON_CreateString(u));
  rt_default(r->doc, "tenantId", cJSON_CreateString("11111111-1111-4111-8111-111111111111"));
  rt_keep(r->doc, old, "/properties/clientId");
  rt_keep(r->doc, old, "/properties/principalId");
  return 0;
}

const arm_rtype rt_user_assigned_identity = {
    .type = "Microsoft.ManagedIdentity/userAssignedIdentities",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_TRACKED,
    .fill = uai_fill,
};
