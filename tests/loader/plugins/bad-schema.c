/* bad-schema: a config field with a type that does not exist. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Schemed", "schemeds");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_cfg_field f = {sizeof(capz_cfg_field), "size", (capz_cfg_type)99, "1", "bad type"};
static const capz_cfg_field *const schema[] = {&f, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "bad-schema", "1", NULL, schema,
                                 controllers, tp_init, NULL};
TP_ENTRY(desc)
