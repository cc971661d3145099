/* config.h — capz-host's configuration: the parsed YAML file (docs/CONFIG.md lists every key)
 * with command-line overrides applied. This struct is what the controller runtime
 * (host/src/runtime/) consumes; after host_config_finish() every field holds its effective
 * value (defaults filled in), so readers never need to apply defaults themselves.
 *
 * Ownership: every string and array is owned by the host_config and freed by
 * host_config_free. Thread-safety: built on the main thread before any worker starts, then
 * read-only; reading from any thread afterwards is safe.
 */
#ifndef CAPZ_HOST_CONFIG_H
#define CAPZ_HOST_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "capz/log.h"

/* One `key: value` of a plugin's `config:` map, as text; checked against the plugin's schema
 * only once the plugin is loaded (the schema lives in the plugin). */
typedef struct host_kv {
  char *key;
  char *value;
  int line, col; /* position of the value in the config file (0 when it came from a flag) */
} host_kv;

/* plugins.<name> in the file, or a --enable/--disable flag. */
typedef struct host_plugin_conf {
  char *name;       /* plugin name = its file name without ".so" */
  bool enabled;     /* default true */
  host_kv *config;  /* the `config:` map, n_config entries, in file order */
  size_t n_config;
  int line, col;    /* position of the name in the file (0 when only a flag named it) */
} host_plugin_conf;

/* concurrency.kinds.<Kind.group>: worker count for one kind. */
typedef struct host_kind_workers {
  char *kind;   /* "Kind.group" ("Kind" for the core group), as capz_gvk_kind_str prints it */
  int workers;  /* >= 1 */
  int line, col;
} host_kind_workers;

typedef struct host_config {
  char *path;               /* the --config file, NULL when none was given */

  char **plugin_dirs;       /* pluginDirs / --plugin-dir (flags replace the file's list); after
                               finish: the defaults when none were configured */
  size_t n_plugin_dirs;
  host_plugin_conf *plugins; /* plugins.<name> entries and --enable/--disable names */
  size_t n_plugins;

  struct {
    char *server;           /* kubernetes.server: API server URL used without credentials (emulators,
                               `kubectl proxy`); when set it wins over kubeconfig and inCluster */
    char *kubeconfig;       /* kubernetes.kubeconfig / --kubeconfig; NULL: $KUBECONFIG, then ~/.kube/config */
    char *context;          /* kubernetes.context / --context; NULL: the kubeconfig's current-context */
    bool in_cluster;        /* kubernetes.inCluster: use the service account (default false) */
    double qps;             /* kubernetes.qps: client-side rate limit (default 20) */
    int burst;              /* kubernetes.burst (default 30) */
  } kube;

  struct {
    char *cloud;            /* azure.cloud: AzurePublicCloud (default), AzureChinaCloud,
                               AzureUSGovernmentCloud or Custom */
    char *resource_manager_endpoint; /* azure.resourceManagerEndpoint; filled from cloud when unset */
    char *authority_host;   /* azure.authorityHost (Entra ID login); filled from cloud when unset */
    char *imds_endpoint;    /* azure.imdsEndpoint (managed identity); default http://169.254.169.254 */
    char *token_audience;   /* azure.tokenAudience: audience of ARM tokens; NULL = the cloud's (Custom:
                               resourceManagerEndpoint + "/") */
  } azure;

  int default_workers;      /* concurrency.defaultWorkers (default 10); kinds not listed use it
                               unless the controller declares default_workers */
  host_kind_workers *kind_workers; /* concurrency.kinds */
  size_t n_kind_workers;

  char *metrics_bind_address; /* metricsBindAddress (default "127.0.0.1:8080"; "0" disables) */
  char *health_bind_address;  /* healthProbeBindAddress (default ":9440"; "0" disables) */

  struct host_leader_election {
    bool enabled;            /* leaderElection.enabled (default false) */
    char *lease_name;        /* leaderElection.leaseName (default "capz-c-controller-leader-election") */
    char *lease_namespace;   /* leaderElection.leaseNamespace (default "capz-system") */
    int64_t lease_duration_ms; /* leaderElection.leaseDuration (default 15s) */
    int64_t renew_deadline_ms; /* leaderElection.renewDeadline (default 10s; < leaseDuration) */
    int64_t retry_period_ms;   /* leaderElection.retryPeriod (default 2s; < renewDeadline) */
  } leader_election;

  char *watch_namespace;    /* watchNamespace: only this namespace; NULL = all namespaces */
  char *watch_filter;       /* watchFilter: only objects labelled cluster.x-k8s.io/watch-filter=<value>; NULL = all */
  int64_t sync_period_ms;   /* syncPeriod: full resync interval (default 10m) */
  int64_t reconcile_timeout_ms; /* reconcileTimeout: deadline of one reconcile (default 15m) */
  int64_t graceful_shutdown_ms; /* gracefulShutdownTimeout: time in-flight reconciles get after a
                                   stop signal (default 30s) */

  int log_verbosity;        /* log.verbosity / -v (default 0) */
  capz_log_format log_format; /* log.format / --log-format: text (default) or json */
} host_config;

/* Defaults (everything that has one); no file read. */
void host_config_init(host_config *cfg);
void host_config_free(host_config *cfg);

/* Read the YAML file at path into cfg (on top of its current values). Each problem is
 * written to diag as one line "FILE:LINE:COL: message". Returns the number of problems
 * (0 = fine). Never crashes on arbitrary bytes; files over 4 MiB are refused. */
int host_config_load_file(host_config *cfg, const char *path, FILE *diag);
/* Same for text already in memory; name is used in messages in place of FILE. */
int host_config_load_text(host_config *cfg, const char *name, const char *text, size_t len, FILE *diag);

/* Fill derived defaults (plugin dirs, Azure endpoints from the cloud) and check cross-field
 * rules (durations ordering, cloud names, worker counts). Problems go to diag; returns their count. */
int host_config_finish(host_config *cfg, FILE *diag);

/* The entry for plugin name, or NULL. add: create it (enabled) when missing; NULL on OOM. */
host_plugin_conf *host_config_plugin(host_config *cfg, const char *name, bool add);
/* Workers for a kind ("Kind.group"): the kinds entry, else declared (if > 0), else default_workers. */
int host_config_workers_for(const host_config *cfg, const char *kind, uint32_t declared);

/* The directories used when no plugin directory is configured: <exe dir>/../plugins (the
 * build tree) and <exe dir>/../<libdir>/capz/plugins (an installed tree), those that exist. */
int host_config_default_plugin_dirs(host_config *cfg);

#endif
