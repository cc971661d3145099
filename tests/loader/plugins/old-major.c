/* old-major: exports the entry of another ABI major (as a v0 plugin would). */
#include "test_plugin.h"
CAPZ_PLUGIN_EXPORT const void *capz_plugin_v0(void) { return 0; }
