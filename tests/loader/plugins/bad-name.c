/* bad-name: a name outside [a-z0-9-]. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Named", "nameds");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "Bad_Name", "1", NULL, NULL,
                                 controllers, tp_init, NULL};
TP_ENTRY(desc)
