/* rt_rg.c — Microsoft.Resources/resourceGroups: synchronous PUT, DELETE as a Location LRO that cascades. */
#include "arm_sim.h"

static int rg_fill(arm_ctx *c, arm_res *r, const cJSON *old, arm_err *e) {
  (void)c;
  (void)old;
  (void)e;
  arm_set_state(r, "Succeeded");
  if (!cJSON_GetObjectItemCaseSensitive(r->doc, "tags")) cJSON_AddObjectToObject(r->doc, "tags");
  return 0;
}

const arm_rtype arm_rt_resource_group = {
    .type = "Microsoft.Resources/resourceGroups",
    .lro = ARM_LRO_RG,
    .flags = ARM_RT_TRACKED | ARM_RT_SUB_LEVEL,
    .fill = rg_fill,
};
