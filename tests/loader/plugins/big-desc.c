/* big-desc: a descriptor (and controller) larger than the host's, as a plugin built against a
 * later minor would have once the host catches up; the host reads only what it knows. */
#include "test_plugin.h"
typedef struct { capz_controller base; uint64_t future; } big_controller;
typedef struct { capz_plugin base; uint64_t future[4]; } big_plugin;
static const big_controller c = {{.struct_size = sizeof(big_controller),
                                  .primary = {"test.capz.io", "v1", "Big", "bigs", false},
                                  .reconcile = tp_reconcile}, 0xdeadbeef};
static const capz_controller *const controllers[] = {&c.base, NULL};
static const big_plugin desc = {{CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(big_plugin), "big-desc", "2", NULL, NULL,
                                 controllers, tp_init, NULL}, {1, 2, 3, 4}};
CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &desc.base; }
