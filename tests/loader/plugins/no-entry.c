/* no-entry: exports nothing named capz_plugin_v1. */
#include "test_plugin.h"
CAPZ_PLUGIN_EXPORT int not_a_plugin(void) { return 42; }
