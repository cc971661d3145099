/* small-ctrl: a controller struct smaller than the v1.0 size. */
#include "test_plugin.h"
static const capz_controller c = {.struct_size = 16,
                                  .primary = {"test.capz.io", "v1", "Tiny", "tinies", true},
                                  .reconcile = tp_reconcile};
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "small-ctrl", "1", NULL, NULL,
                                 controllers, tp_init, NULL};
TP_ENTRY(desc)
