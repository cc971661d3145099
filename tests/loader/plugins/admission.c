/* admission: a plugin with a defaulter and a validator, for the test kit. */
#include <string.h>
#include "capz/json.h"
#include "test_plugin.h"

static int max_replicas_state;

static int adm_init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  (void)err;
  max_replicas_state = (int)capz_plugin_config_int(cfg, "maxReplicas");
  *state = &max_replicas_state;
  return 0;
}

static int adm_default(void *state, cJSON *obj, capz_err *err) {
  (void)state;
  if (!capz_json_ptr_get(obj, "/spec/replicas")) return capz_json_ptr_set(obj, "/spec/replicas", cJSON_CreateNumber(1), err);
  return 0;
}

static int adm_validate(void *state, const cJSON *obj, const cJSON *old, capz_err *err) {
  int max = *(int *)state;
  int64_t r = capz_json_ptr_int(obj, "/spec/replicas", -1);
  if (r < 0 || r > max) return capz_err_set(err, CAPZ_EINVAL, "spec.replicas: must be 0..%d, got %lld", max, (long long)r);
  if (old && strcmp(capz_json_ptr_str(old, "/spec/location", ""), capz_json_ptr_str(obj, "/spec/location", "")) != 0)
    return capz_err_set(err, CAPZ_EINVAL, "spec.location: field is immutable");
  return 0;
}

static const capz_controller c = {.struct_size = sizeof(capz_controller),
                                  .primary = {"test.capz.io", "v1", "Pool", "pools", true},
                                  .reconcile = tp_reconcile,
                                  .defaulter = adm_default,
                                  .validator = adm_validate};
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_cfg_field f_max = {sizeof(capz_cfg_field), "maxReplicas", CAPZ_CFG_INT, "10", "upper bound"};
static const capz_cfg_field *const schema[] = {&f_max, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "admission", "1", NULL,
                                 schema, controllers, adm_init, NULL};
TP_ENTRY(desc)
