/* no-reconcile: a controller without its reconcile callback. */
#include "test_plugin.h"
static const capz_controller c = {.struct_size = sizeof(capz_controller),
                                  .primary = {"test.capz.io", "v1", "Lazy", "lazies", true}};
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "no-reconcile", "1", NULL,
                                 NULL, controllers, tp_init, NULL};
TP_ENTRY(desc)
