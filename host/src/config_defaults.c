/* config_defaults.c — host_config defaults, lookups and cleanup. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

#ifndef CAPZ_INSTALL_LIBDIR
#define CAPZ_INSTALL_LIBDIR "lib"
#endif

void host_config_init(host_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->kube.qps = 20;
  cfg->kube.burst = 30;
  cfg->default_workers = 10;
  cfg->leader_election.lease_duration_ms = 15000;
  cfg->leader_election.renew_deadline_ms = 10000;
  cfg->leader_election.retry_period_ms = 2000;
  cfg->sync_period_ms = 10 * 60 * 1000;
  cfg->reconcile_timeout_ms = 15 * 60 * 1000;
  cfg->graceful_shutdown_ms = 30 * 1000;
  cfg->log_verbosity = 0;
  cfg->log_format = CAPZ_LOG_TEXT;
}

void host_config_free(host_config *cfg) {
  if (!cfg) return;
  free(cfg->path);
  for (size_t i = 0; i < cfg->n_plugin_dirs; i++) free(cfg->plugin_dirs[i]);
  free(cfg->plugin_dirs);
  for (size_t i = 0; i < cfg->n_plugins; i++) {
    host_plugin_conf *p = &cfg->plugins[i];
    free(p->name);
    for (size_t j = 0; j < p->n_config; j++) {
      free(p->config[j].key);
      free(p->config[j].value);
    }
    free(p->config);
  }
  free(cfg->plugins);
  free(cfg->kube.server);
  free(cfg->kube.kubeconfig);
  free(cfg->kube.context);
  free(cfg->azure.cloud);
  free(cfg->azure.resource_manager_endpoint);
  free(cfg->azure.authority_host);
  free(cfg->azure.imds_endpoint);
  free(cfg->azure.token_audience);
  for (size_t i = 0; i < cfg->n_kind_workers; i++) free(cfg->kind_workers[i].kind);
  free(cfg->kind_workers);
  free(cfg->metrics_bind_address);
  free(cfg->health_bind_address);
  free(cfg->leader_election.lease_name);
  free(cfg->leader_election.lease_namespace);
  free(cfg->watch_namespace);
  free(cfg->watch_filter);
  memset(cfg, 0, sizeof *cfg);
}

host_plugin_conf *host_config_plugin(host_config *cfg, const char *name, bool add) {
  for (size_t i = 0; i < cfg->n_plugins; i++)
    if (strcmp(cfg->plugins[i].name, name) == 0) return &cfg->plugins[i];
  if (!add) return NULL;
  host_plugin_conf *np = realloc(cfg->plugins, (cfg->n_plugins + 1) * sizeof *np);
  if (!np) return NULL;
  cfg->plugins = np;
  host_plugin_conf *p = &cfg->plugins[cfg->n_plugins];
  memset(p, 0, sizeof *p);
  if (!(p->name = strdup(name))) return NULL;
  p->enabled = true;
  cfg->n_plugins++;
  return p;
}

int host_config_workers_for(const host_config *cfg, const char *kind, uint32_t declared) {
  for (size_t i = 0; i < cfg->n_kind_workers; i++)
    if (strcmp(cfg->kind_workers[i].kind, kind) == 0) return cfg->kind_workers[i].workers;
  return declared > 0 ? (int)declared : cfg->default_workers;
}

static int add_dir_if_exists(host_config *cfg, const char *dir) {
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
  char *real = realpath(dir, NULL); /* "/opt/capz/lib/..." rather than "/opt/capz/bin/../lib/..." */
  if (!real) return 0;
  char **nd = realloc(cfg->plugin_dirs, (cfg->n_plugin_dirs + 1) * sizeof *nd);
  if (!nd) {
    free(real);
    return -1;
  }
  cfg->plugin_dirs = nd;
  nd[cfg->n_plugin_dirs++] = real;
  return 0;
}

int host_config_default_plugin_dirs(host_config *cfg) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 0;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return 0;
  *slash = '\0';
  char dir[PATH_MAX + 64];
  snprintf(dir, sizeof dir, "%s/../plugins", exe);
  if (add_dir_if_exists(cfg, dir)) return -1;
  snprintf(dir, sizeof dir, "%s/../%s/capz/plugins", exe, CAPZ_INSTALL_LIBDIR);
  return add_dir_if_exists(cfg, dir);
}
