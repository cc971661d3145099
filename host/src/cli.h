/* cli.h — capz-host's command line. Flags override the config file (see docs/CONFIG.md). */
#ifndef CAPZ_HOST_CLI_H
#define CAPZ_HOST_CLI_H
#include <stdbool.h>
#include <stdio.h>
#include "config.h"

typedef struct host_cli_toggle {
  const char *name; /* borrowed from argv */
  bool enabled;
} host_cli_toggle;

/* Parsed flags. Strings are borrowed from argv; the arrays are owned (host_cli_free). */
typedef struct host_cli {
  const char *config_path;     /* --config FILE */
  const char **plugin_dirs;    /* --plugin-dir DIR (repeatable): replaces pluginDirs from the file */
  size_t n_plugin_dirs;
  host_cli_toggle *toggles;    /* --enable NAME / --disable NAME, in command-line order */
  size_t n_toggles;
  int verbosity;               /* -v N; -1 when not given */
  const char *log_format;      /* --log-format text|json; NULL when not given */
  const char *kubeconfig;      /* --kubeconfig PATH */
  const char *context;         /* --context NAME */
  bool list_plugins, check_config, version, help;
} host_cli;

/* Parse argv. Returns 0, or non-zero after writing one line per problem to errs. */
int host_cli_parse(int argc, char **argv, host_cli *cli, FILE *errs);
void host_cli_free(host_cli *cli);
/* Apply the overrides to cfg (after the file was read). Returns the number of problems. */
int host_cli_apply(const host_cli *cli, host_config *cfg, FILE *errs);
void host_cli_usage(FILE *out);

#endif
