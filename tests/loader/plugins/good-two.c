/* good-two: a second valid plugin (kind Gadget), with a required config key and no shutdown. */
#include "test_plugin.h"
TP_CONTROLLER(gadget, "Gadget", "gadgets");
static const capz_controller *const controllers[] = {&gadget, NULL};
static const capz_cfg_field f_zone = {sizeof(capz_cfg_field), "zone", CAPZ_CFG_STRING, NULL, "required"};
static const capz_cfg_field *const schema[] = {&f_zone, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "good-two", "0.1", NULL,
                                 schema, controllers, tp_init, NULL};
TP_ENTRY(desc)
