/* loader_internal.h — shared between the loader's files; not installed, not exported. */
#ifndef CAPZ_LOADER_INTERNAL_H
#define CAPZ_LOADER_INTERNAL_H
#include "capz/loader.h"

struct capz_loader {
  char **dirs; /* realpath of each allowed directory */
  size_t ndirs;
  capz_loaded_plugin **plugins;
  size_t n, cap;
};

/* Copy and check the descriptor at d (already known to have the right ABI and at least the
 * v1.0 size) into lp. On refusal returns non-zero with the reason (no file prefix) in err;
 * lp then holds partial copies that ldr_release frees. */
int ldr_copy_descriptor(const capz_loader *l, const capz_plugin *d, const char *stem,
                        capz_loaded_plugin *lp, capz_err *err);
void ldr_release(capz_loaded_plugin *lp);

#endif
