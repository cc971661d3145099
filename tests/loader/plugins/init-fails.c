/* init-fails: loads fine, but its init refuses to start. */
#include "test_plugin.h"
static int fail_init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  (void)cfg; (void)state;
  return capz_err_set(err, CAPZ_EINVAL, "no credentials configured");
}
TP_CONTROLLER(c, "Fragile", "fragiles");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "init-fails", "1", NULL, NULL,
                                 controllers, fail_init, NULL};
TP_ENTRY(desc)
