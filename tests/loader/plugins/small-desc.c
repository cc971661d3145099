/* small-desc: claims a descriptor smaller than the first released v1 size. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Small", "smalls");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, 40, "small-desc", "1", NULL, NULL, controllers,
                                 tp_init, NULL};
TP_ENTRY(desc)
