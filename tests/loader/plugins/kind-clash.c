/* kind-clash: claims Widget.test.capz.io, which `good` already owns. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Widget", "widgets");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "kind-clash", "1", NULL, NULL,
                                 controllers, tp_init, NULL};
TP_ENTRY(desc)
