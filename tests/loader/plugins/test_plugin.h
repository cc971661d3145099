/* test_plugin.h — pieces shared by the loader's test plugins (each .c is one case). */
#ifndef CAPZ_TEST_PLUGIN_H
#define CAPZ_TEST_PLUGIN_H
#include "capz/plugin.h"

#define TP_UNUSED __attribute__((unused))

static TP_UNUSED capz_outcome tp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)state; (void)ctx; (void)key; (void)res;
  return CAPZ_DONE;
}

static TP_UNUSED int tp_init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  (void)cfg; (void)err;
  *state = NULL;
  return 0;
}

/* A controller for kind <kind> in group test.capz.io. */
#define TP_CONTROLLER(var, kind_, plural_)                                                   \
  static const capz_controller var = {.struct_size = sizeof(capz_controller),                \
                                      .primary = {"test.capz.io", "v1", kind_, plural_, true}, \
                                      .reconcile = tp_reconcile}

#define TP_ENTRY(desc) \
  CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &desc; }

#endif
