/* no-controllers: nothing to run. */
#include "test_plugin.h"
static const capz_controller *const controllers[] = {NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "no-controllers", "1", NULL,
                                 NULL, controllers, tp_init, NULL};
TP_ENTRY(desc)
