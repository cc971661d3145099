/* name-mismatch: a valid name that is not its file's name. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Mismatch", "mismatches");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "other-name", "1", NULL, NULL,
                                 controllers, tp_init, NULL};
TP_ENTRY(desc)
