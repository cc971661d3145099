/* bad-default: a default that does not parse as its type. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Defaulted", "defaulteds");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_cfg_field f = {sizeof(capz_cfg_field), "timeout", CAPZ_CFG_DURATION, "soon", "bad default"};
static const capz_cfg_field *const schema[] = {&f, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "bad-default", "1", NULL,
                                 schema, controllers, tp_init, NULL};
TP_ENTRY(desc)
