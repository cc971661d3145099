/* plugin_set.h — the plugin files capz-host found, what became of each (enabled, disabled,
 * refused) and, for enabled ones, the loaded descriptor copy, validated config and state.
 * The controller runtime (host/src/runtime/) walks `items` with state HOST_PLUGIN_ENABLED.
 *
 * Ownership: the set owns everything in it (host_plugins_free); descriptor copies belong to
 * the set's capz_loader. Thread-safety: built and initialised on the main thread; afterwards
 * read-only, except that `plugin_state` is passed to the plugin's callbacks. */
#ifndef CAPZ_HOST_PLUGIN_SET_H
#define CAPZ_HOST_PLUGIN_SET_H
#include <stdio.h>
#include "capz/loader.h"
#include "config.h"

typedef enum host_plugin_status {
  HOST_PLUGIN_ENABLED = 1,  /* loaded, config valid (and init succeeded once initialised) */
  HOST_PLUGIN_DISABLED = 2, /* disabled by config or flag; never opened */
  HOST_PLUGIN_REFUSED = 3,  /* refused by the loader, its config, or its init; see reason */
  HOST_PLUGIN_FOUND = 4     /* listed only (not loaded: host_plugins_discover with load = false) */
} host_plugin_status;

typedef struct host_plugin {
  char *path;                      /* the file, as found in its directory */
  char name[64];                   /* the file stem = the plugin's name */
  host_plugin_status status;
  char reason[CAPZ_ERR_MSG_MAX];   /* why it was refused (no file prefix) */
  const capz_loaded_plugin *lp;    /* when loaded */
  const host_plugin_conf *conf;    /* the plugins.<name> entry, or NULL */
  capz_plugin_config *config;      /* validated config handed to init (enabled plugins) */
  void *plugin_state;              /* what init returned */
  bool initialized;                /* init succeeded; shutdown is due */
} host_plugin;

typedef struct host_plugin_set {
  capz_loader *loader;
  host_plugin *items;              /* in directory order, files sorted by name */
  size_t n;
} host_plugin_set;

/* Find the plugin files in cfg's directories and, when load is true, open every enabled one
 * and validate its config map against its schema. Each problem (refusal, bad config value,
 * a configured plugin with no file, an unusable directory) is written to diag as one line
 * (diag may be NULL). Returns the number of problems. */
int host_plugins_discover(host_plugin_set *set, const host_config *cfg, bool load, FILE *diag);
/* Call init of every enabled plugin (in order); a failing init refuses that plugin only.
 * Returns the number that failed. */
int host_plugins_init(host_plugin_set *set, FILE *diag);
/* Call shutdown of every initialised plugin, in reverse order. */
void host_plugins_shutdown(host_plugin_set *set);
void host_plugins_free(host_plugin_set *set);
/* Each concurrency.kinds entry must name the primary kind of a controller of an enabled
 * plugin (catches typos such as "AzureClusters.infrastructure..."). Writes one positioned line
 * per unknown kind to diag; returns their number. */
int host_plugins_check_kinds(const host_plugin_set *set, const host_config *cfg, FILE *diag);
/* Count of plugins with the given status. */
size_t host_plugins_count(const host_plugin_set *set, host_plugin_status status);

/* --list-plugins: one line per file (format in docs/CONFIG.md):
 *   NAME version=V abi=M.m kinds=K1,K2 file=PATH STATUS[: reason] */
void host_plugins_print(const host_plugin_set *set, FILE *out);

#endif
