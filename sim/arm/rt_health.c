/* rt_health.c — Microsoft.ResourceHealth/availabilityStatuses/current at any resource scope (Available unless
 * the resource is Failed) and AKS maintenanceConfigurations. Cluster extensions: rt_k8sext.c. */
#include "rt_common.h"

#include <capz/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void health_handle(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out) {
  if (strcmp(q->method, "GET") != 0) {
    arm_resp_error(out, 405, "MethodNotAllowed", "The requested resource does not support http method '%s'.", q->method);
    return;
  }
  if (!arm_ieq(p->name, "current")) {
    arm_resp_error(out, 404, "NotFound", "Only the 'current' availability status exists.");
    return;
  }
  arm_res *target = arm_store_get(c->store, p->scope);
  if (!target) {
    arm_resp_error(out, 404, "ResourceNotFound", "The scope '%s' was not found.", p->scope);
    return;
  }
  const char *st = arm_get_state(target);
  bool failed = st && strcmp(st, "Failed") == 0;
  bool stopped = arm_ieq(capz_json_ptr_str(target->doc, "/properties/powerState/code", ""), "Stopped");
  cJSON *b = cJSON_CreateObject();
  char id[ARM_ID_MAX + 96];
  snprintf(id, sizeof id, "%s/providers/Microsoft.ResourceHealth/availabilityStatuses/current", target->id);
  cJSON_AddStringToObject(b, "id", id);
  cJSON_AddStringToObject(b, "name", "current");
  cJSON_AddStringToObject(b, "type", "Microsoft.ResourceHealth/AvailabilityStatuses");
  const char *loc = arm_jstr(target->doc, "location");
  if (loc) cJSON_AddStringToObject(b, "location", loc);
  cJSON *pr = cJSON_AddObjectToObject(b, "properties");
  cJSON_AddStringToObject(pr, "availabilityState", failed ? "Unavailable" : stopped ? "Unknown" : "Available");
  cJSON_AddStringToObject(pr, "summary", failed ? "The resource is unavailable: its last operation failed."
                                        : stopped ? "The resource is stopped." : "There aren't any known Azure platform problems affecting this resource.");
  cJSON_AddStringToObject(pr, "reasonType", failed ? "Unplanned" : stopped ? "UserInitiated" : "");
  cJSON_AddStringToObject(pr, "detailedStatus", "");
  char ts[48];
  arm_now_iso(ts, sizeof ts, arm_now());
  cJSON_AddStringToObject(pr, "occuredTime", ts);
  cJSON_AddStringToObject(pr, "reportedTime", ts);
  arm_resp_json(out, 200, b);
}

const arm_rtype rt_resource_health = {
    .type = "Microsoft.ResourceHealth/availabilityStatuses",
    .lro = ARM_LRO_SYNC,
    .flags = ARM_RT_EXTENSION | ARM_RT_READONLY,
    .handle = health_handle,
};

const arm_rtype rt_aks_maintenance = {
    .type = "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
    .lro = ARM_LRO_SYNC,
    .flags = 0,
};
