/* bad-watch: a label-mapped watch without the label key. */
#include "test_plugin.h"
static const capz_watch w = {.struct_size = sizeof(capz_watch),
                             .gvk = {"", "v1", "ConfigMap", "configmaps", true},
                             .map_kind = CAPZ_MAP_LABEL};
static const capz_watch *const watches[] = {&w, NULL};
static const capz_controller c = {.struct_size = sizeof(capz_controller),
                                  .primary = {"test.capz.io", "v1", "Watcher", "watchers", true},
                                  .secondaries = watches,
                                  .reconcile = tp_reconcile};
static const capz_controller *const controllers[] = {&c, NULL};
static const capz_plugin desc = {CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR, sizeof(capz_plugin), "bad-watch", "1", NULL, NULL,
                                 controllers, tp_init, NULL};
TP_ENTRY(desc)
