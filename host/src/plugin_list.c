/* plugin_list.c — the --list-plugins output: one line per plugin file. */
#include <string.h>
#include "plugin_set.h"

static void print_kinds(const capz_loaded_plugin *lp, FILE *out) {
  for (size_t i = 0; i < lp->n_controllers; i++) {
    char kind[256];
    fprintf(out, "%s%s", i ? "," : "", capz_gvk_kind_str(&lp->controllers[i].desc.primary, kind, sizeof kind));
  }
}

void host_plugins_print(const host_plugin_set *set, FILE *out) {
  for (size_t i = 0; i < set->n; i++) {
    const host_plugin *p = &set->items[i];
    const capz_loaded_plugin *lp = p->lp;
    fprintf(out, "%s version=%s abi=", p->name, lp && lp->desc.version && *lp->desc.version ? lp->desc.version : "-");
    if (lp) fprintf(out, "%u.%u kinds=", lp->desc.abi_major, lp->desc.abi_minor);
    else fputs("- kinds=", out);
    if (lp) print_kinds(lp, out);
    else fputc('-', out);
    fprintf(out, " file=%s ", p->path);
    switch (p->status) {
    case HOST_PLUGIN_ENABLED: fputs("enabled\n", out); break;
    case HOST_PLUGIN_DISABLED: fputs("disabled\n", out); break;
    case HOST_PLUGIN_FOUND: fputs("found\n", out); break;
    case HOST_PLUGIN_REFUSED: fprintf(out, "refused: %s\n", p->reason); break;
    }
  }
  fflush(out);
}
