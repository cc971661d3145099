/* runtime.h — the host's controller runtime: shared informers → work queues → workers → plugin reconcile,
 * leader election on a Lease, and the operations endpoints (/healthz, /readyz, /metrics).
 *
 * host_runtime_run blocks until *stop becomes non-zero (SIGTERM handler) or leadership is lost. It does not
 * call plugin init/shutdown: the caller initialises plugins, passes their states, and calls shutdown after
 * this returns (workers have stopped by then).
 */
#ifndef CAPZ_HOST_RUNTIME_H
#define CAPZ_HOST_RUNTIME_H

#include <signal.h>
#include <stdint.h>

#include "capz/err.h"
#include "capz/plugin.h"

typedef struct host_runtime_opts {
  /* Where the API server is: server_url (bare URL, no auth; emulators) wins; else kubeconfig (path, or NULL for
   * $KUBECONFIG/~/.kube/config) with kube_context; when kubeconfig is NULL and in-cluster env is present,
   * in-cluster config is used. */
  const char *server_url;
  const char *kubeconfig;
  const char *kube_context;
  double kube_qps;      /* 0 = 20 */
  int kube_burst;       /* 0 = 30 */

  /* Sharding */
  const char *watch_namespace; /* NULL/"" = all namespaces */
  const char *watch_filter;    /* NULL/"" = none; else only primaries labelled cluster.x-k8s.io/watch-filter=VALUE */

  int64_t resync_ms;            /* 0 = no periodic resync */
  uint32_t default_workers;     /* per controller when the plugin gives none; 0 = 10 */
  /* Optional: the worker count for one controller's primary kind (config `concurrency.kinds`); returning 0
   * falls back to the plugin's default_workers, then default_workers. Called once per controller at start. */
  uint32_t (*workers_for)(void *ud, const capz_gvk *primary, uint32_t declared);
  int64_t reconcile_timeout_ms; /* ctx deadline; 0 = 90 min */

  /* Leader election (coordination.k8s.io/v1 Lease) */
  bool leader_elect;
  const char *leader_election_id;        /* NULL = "controller-leader-election-capz" */
  const char *leader_election_namespace; /* NULL = the config's namespace */
  const char *identity;                  /* NULL = hostname_pid */
  int64_t lease_duration_ms;             /* 0 = 15 s */
  int64_t renew_deadline_ms;             /* 0 = 10 s */
  int64_t retry_period_ms;               /* 0 = 2 s */

  /* Operations endpoints: "host:port" (port 0 = any); NULL = off. They may be the same address. */
  const char *health_addr;
  const char *metrics_addr;

  /* Registry served on /metrics (capz/metrics.h); NULL = the process-wide default registry, which also holds
   * whatever the SDK and plugins register. */
  struct capz_metrics_registry *metrics_registry;

  int64_t shutdown_grace_ms; /* time in-flight reconciles get after stop; 0 = 30 s */

  /* Optional: called once the endpoints listen (URLs like "http://127.0.0.1:PORT"; NULL when off). */
  void (*on_listening)(void *ud, const char *health_url, const char *metrics_url);
  /* Optional: called when this instance starts leading (or immediately without leader election) and when it
   * loses leadership. */
  void (*on_leader)(void *ud, bool leading);
  void *ud;
} host_runtime_opts;

/* Returns 0 after a clean stop; CAPZ_EFORBIDDEN (reason "LeadershipLost") when leadership was lost (the
 * process should exit and restart, as controller-runtime does); other codes on setup failures. */
int host_runtime_run(const host_runtime_opts *opts, const capz_plugin *const *plugins, void *const *plugin_states,
                     size_t n, volatile sig_atomic_t *stop, capz_err *err);

#endif
