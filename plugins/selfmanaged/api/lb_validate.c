/* lb_validate.c — load balancer rules (CAPZ validateAPIServerLB, validateNodeOutboundLB,
 * validateControlPlaneOutboundLB and their class-spec parts shared with AzureClusterTemplate). */
#include <stdio.h>
#include <string.h>
#include "sm_internal.h"

#define MAX_OUTBOUND_IPS 16
#define MIN_IDLE 4
#define MAX_IDLE 30

static void idle_range(const cJSON *lb, const char *path, const char *what, sm_errors *errs) {
  char p[SM_PATH_MAX];
  double idle;
  if (sm_num(lb, "idleTimeoutInMinutes", &idle) && (idle < MIN_IDLE || idle > MAX_IDLE)) {
    sm_path(p, "%s.idleTimeoutInMinutes", path);
    sm_err_invalid_n(errs, p, idle, "%s idle timeout should be between %d and %d minutes", what, MIN_IDLE, MAX_IDLE);
  }
}

void sm_lb_apiserver_class_validate(const cJSON *lb, const cJSON *old, const char *path, sm_errors *errs) {
  static const char *const skus[] = {"Standard", NULL};
  static const char *const types[] = {"Public", "Internal", NULL};
  char p[SM_PATH_MAX];
  const char *sku = sm_str0(lb, "sku"), *type = sm_str0(lb, "type");
  sm_path(p, "%s.sku", path);
  if (strcmp(sku, "Standard") != 0) sm_err_not_supported(errs, p, sku, skus);
  if (!sm_str_empty(old, "sku") && !sm_str_eq(old, "sku", sku))
    sm_err_forbidden(errs, p, "API Server load balancer SKU should not be modified after AzureCluster creation.");
  sm_path(p, "%s.type", path);
  if (strcmp(type, "Public") != 0 && strcmp(type, "Internal") != 0) sm_err_not_supported(errs, p, type, types);
  if (!sm_str_empty(old, "type") && !sm_str_eq(old, "type", type))
    sm_err_forbidden(errs, p, "API Server load balancer type should not be modified after AzureCluster creation.");
  if (sm_present(old, "idleTimeoutInMinutes") && !sm_field_equal(old, lb, "idleTimeoutInMinutes", false)) {
    sm_path(p, "%s.idleTimeoutInMinutes", path);
    sm_err_forbidden(errs, p, "API Server load balancer idle timeout cannot be modified after AzureCluster creation.");
  }
  idle_range(lb, path, "API Server load balancer", errs);
}

void sm_lb_node_outbound_class_validate(const cJSON *lb, const cJSON *old, const cJSON *apiserver_lb,
                                        const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  bool present = cJSON_IsObject(lb);
  if (!present && sm_str_eq(apiserver_lb, "type", "Internal")) return; /* private clusters may go without */
  if (!present) {
    sm_err_required(errs, path, "Node outbound load balancer cannot be nil for public clusters.");
    return;
  }
  if (cJSON_IsObject(old)) {
    sm_path(p, "%s.sku", path);
    if (!sm_field_equal(old, lb, "sku", true))
      sm_err_forbidden(errs, p, "Node outbound load balancer SKU should not be modified after AzureCluster creation.");
    sm_path(p, "%s.type", path);
    if (!sm_field_equal(old, lb, "type", true))
      sm_err_forbidden(errs, p, "Node outbound load balancer Type cannot be modified after AzureCluster creation.");
    sm_path(p, "%s.idleTimeoutInMinutes", path);
    if (!sm_field_equal(old, lb, "idleTimeoutInMinutes", false))
      sm_err_forbidden(errs, p, "Node outbound load balancer idle timeout cannot be modified after AzureCluster creation.");
  }
  idle_range(lb, path, "Node outbound", errs);
}

void sm_lb_cp_outbound_class_validate(const cJSON *lb, const cJSON *apiserver_lb, const char *path, sm_errors *errs) {
  if (!cJSON_IsObject(lb)) return;
  if (sm_str_eq(apiserver_lb, "type", "Public"))
    sm_err_forbidden(errs, path, "Control plane outbound load balancer cannot be set for public clusters.");
  else if (sm_str_eq(apiserver_lb, "type", "Internal"))
    idle_range(lb, path, "Control plane outbound", errs);
}
