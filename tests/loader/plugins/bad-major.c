/* bad-major: has the v1 entry symbol but says ABI major 2. */
#include "test_plugin.h"
TP_CONTROLLER(c, "Major", "majors");
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {2, 0, sizeof(capz_plugin), "bad-major", "1", NULL, NULL, controllers, tp_init, NULL};
TP_ENTRY(desc)
