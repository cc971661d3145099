/* no-init: the required init callback is missing. */
#include "test_plugin.h"
TP_CONTROLLER(c, "NoInit", "noinits");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "no-init", "1", NULL, NULL,
                                 controllers, NULL, NULL};
TP_ENTRY(desc)
