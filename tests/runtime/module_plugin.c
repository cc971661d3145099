/* module_plugin.c — the Widget test plugin built as a real MODULE .so (only the entry symbol exported) so a
 * test can load it through the SDK loader with dlopen and run it in the runtime. Its state comes from init. */
#include <stdlib.h>

#include "widget_plugin.c"

static int mod_init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  (void)cfg;
  wp_state *s = malloc(sizeof *s);
  if (!s) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  wp_state_init(s, "module");
  *state = s;
  return 0;
}

static void mod_shutdown(void *state) { free(state); }

static const capz_plugin module_plugin = {
    .abi_major = CAPZ_ABI_MAJOR,
    .abi_minor = CAPZ_ABI_MINOR,
    .struct_size = sizeof(capz_plugin),
    .name = "widgetmod",
    .version = "0.0.1",
    .description = "Widget test plugin as a module",
    .controllers = controllers,
    .init = mod_init,
    .shutdown = mod_shutdown,
};

CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &module_plugin; }
