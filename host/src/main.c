/* main.c — capz-host: reads the config, loads the plugins, runs until told to stop.
 * Modes: --version, --list-plugins, --check-config, or the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capz/loader.h"
#include "cli.h"
#include "config.h"
#include "capz/log.h"
#include "plugin_set.h"
#include "azure_default.h"
#include "run.h"
#include "malloc_tune.h"

#ifndef CAPZ_VERSION
#define CAPZ_VERSION "0.0.0"
#endif

static void log_loaded(const host_config *cfg, const host_plugin_set *set) {
  for (size_t i = 0; i < set->n; i++) {
    const host_plugin *p = &set->items[i];
    if (p->status == HOST_PLUGIN_DISABLED)
      capz_log(NULL, CAPZ_LOG_INFO, "plugin disabled", "plugin", p->name, "file", p->path, NULL);
    if (!p->initialized) continue;
    char abi[32];
    snprintf(abi, sizeof abi, "%u.%u", p->lp->desc.abi_major, p->lp->desc.abi_minor);
    for (size_t c = 0; c < p->lp->n_controllers; c++) {
      const capz_loaded_controller *lc = &p->lp->controllers[c];
      char kind[256], watches[24], workers[24];
      capz_gvk_kind_str(&lc->desc.primary, kind, sizeof kind);
      snprintf(watches, sizeof watches, "%zu", lc->n_watches);
      snprintf(workers, sizeof workers, "%d", host_config_workers_for(cfg, kind, lc->desc.default_workers));
      capz_log(NULL, CAPZ_LOG_INFO, "controller loaded", "plugin", p->name, "version",
               p->lp->desc.version ? p->lp->desc.version : "-", "abi", abi, "file", p->path, "kind", kind,
               "watches", watches, "workers", workers, NULL);
    }
  }
}

static int load_config(const host_cli *cli, host_config *cfg) {
  host_config_init(cfg);
  int problems = 0;
  if (cli->config_path) problems += host_config_load_file(cfg, cli->config_path, stderr);
  if (problems) return problems; /* overrides and defaults on top of a broken file add only noise */
  problems += host_cli_apply(cli, cfg, stderr);
  problems += host_config_finish(cfg, stderr);
  return problems;
}

int main(int argc, char **argv) {
  host_malloc_tune();
  host_signals_block();
  host_cli cli;
  if (host_cli_parse(argc, argv, &cli, stderr)) {
    host_cli_free(&cli);
    return 2;
  }
  if (cli.help) {
    host_cli_usage(stdout);
    host_cli_free(&cli);
    return 0;
  }
  if (cli.version) {
    printf("capz-host %s (plugin ABI %d.%d)\n", CAPZ_VERSION, CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR);
    host_cli_free(&cli);
    return 0;
  }
  host_config cfg;
  int rc = 0;
  if (load_config(&cli, &cfg)) {
    fprintf(stderr, "capz-host: invalid configuration\n");
    rc = 1;
    goto out;
  }
  capz_log_set_verbosity(cfg.log_verbosity);
  capz_log_set_format(cfg.log_format);

  host_plugin_set set;
  if (cli.list_plugins) {
    /* Refusals appear in the listing (stdout); stderr also gets them with directory problems. */
    host_plugins_discover(&set, &cfg, true, stderr);
    host_plugins_print(&set, stdout);
    if (set.n == 0) {
      fprintf(stderr, "capz-host: no plugin files (*.so) in");
      for (size_t i = 0; i < cfg.n_plugin_dirs; i++) fprintf(stderr, " %s", cfg.plugin_dirs[i]);
      fprintf(stderr, "%s\n", cfg.n_plugin_dirs ? "" : " any plugin directory (none configured or found)");
    }
    host_plugins_free(&set);
    goto out;
  }
  if (cli.check_config) {
    int problems = host_plugins_discover(&set, &cfg, true, stderr);
    problems += host_plugins_check_kinds(&set, &cfg, stderr);
    if (problems == 0)
      printf("capz-host: configuration %s is valid (%zu plugin(s) enabled, %zu disabled)\n",
             cfg.path ? cfg.path : "(defaults)", host_plugins_count(&set, HOST_PLUGIN_ENABLED),
             host_plugins_count(&set, HOST_PLUGIN_DISABLED));
    else
      fprintf(stderr, "capz-host: configuration is invalid (%d problem(s))\n", problems);
    rc = problems ? 1 : 0;
    host_plugins_free(&set);
    goto out;
  }

  /* The daemon: a refused plugin or a bad plugin config is logged and skipped; the good
   * plugins still run. */
  if (cfg.n_plugin_dirs == 0)
    capz_log(NULL, CAPZ_LOG_WARN, "no plugin directory configured or found; no plugins to load", NULL);
  if (host_azure_set_default(&cfg, stderr)) {
    rc = 1;
    goto out;
  }
  host_plugins_discover(&set, &cfg, true, stderr);
  host_plugins_init(&set, stderr);
  log_loaded(&cfg, &set);
  int sig = host_run_controllers(&cfg, &set);
  host_plugins_shutdown(&set);
  host_plugins_free(&set);
  capz_log(NULL, CAPZ_LOG_INFO, "stopped", NULL);
  rc = sig < 0 ? 1 : 0;
out:
  host_config_free(&cfg);
  host_cli_free(&cli);
  return rc;
}
