/* newer-minor: built for a minor the host does not know yet. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Minor", "minors");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR + 1, sizeof(capz_plugin), "newer-minor", "1", NULL,
                                 NULL, controllers, tp_init, NULL};
TP_ENTRY(desc)
