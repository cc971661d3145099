/* run.c — the daemon's running phase. A dedicated thread waits for SIGTERM/SIGINT (blocked in
 * every thread by host_signals_block) and raises a stop flag; the main thread runs the
 * controllers until the flag is set. The flag is a volatile sig_atomic_t so it can be handed
 * to a runtime that polls it. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include "capz/log.h"
#include "run.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stop_signal;

static void stop_set(sigset_t *s) {
  sigemptyset(s);
  sigaddset(s, SIGTERM);
  sigaddset(s, SIGINT);
}

void host_signals_block(void) {
  sigset_t s;
  stop_set(&s);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static void *signal_waiter(void *arg) {
  (void)arg;
  sigset_t s;
  stop_set(&s);
  int sig = 0;
  while (sigwait(&s, &sig) != 0) {
  }
  stop_signal = sig;
  stop_flag = 1;
  return NULL;
}

int host_run_controllers(const host_config *cfg, host_plugin_set *set) {
  size_t controllers = 0;
  for (size_t i = 0; i < set->n; i++)
    if (set->items[i].initialized) controllers += set->items[i].lp->n_controllers;
  stop_flag = 0;
  stop_signal = 0;
  pthread_t waiter;
  int rc = pthread_create(&waiter, NULL, signal_waiter, NULL);
  if (rc != 0) {
    capz_log(NULL, CAPZ_LOG_ERROR, "cannot start the signal thread", "error", strerror(rc), NULL);
    return -1;
  }
  char nc[24], np[24], dw[24];
  snprintf(nc, sizeof nc, "%zu", controllers);
  snprintf(np, sizeof np, "%zu", host_plugins_count(set, HOST_PLUGIN_ENABLED));
  snprintf(dw, sizeof dw, "%d", cfg->default_workers);
  capz_log(NULL, CAPZ_LOG_INFO, "running; waiting for SIGTERM or SIGINT", "controllers", nc, "plugins", np,
           "defaultWorkers", dw, NULL);

  /* The controller runtime (host/src/runtime/) starts here and runs until stop_flag is set:
   *   host_runtime_run(&opts, plugins, states, n, &stop_flag, &err)
   * with, for each item of `set` that is initialized, plugins[i] = &item->lp->desc (the
   * host-sized copy, whose arrays lead to host-sized copies) and states[i] = item->plugin_state,
   * and opts from cfg: server_url = kube.server, kubeconfig = kube.kubeconfig, kube_context =
   * kube.context, kube_qps/burst = kube.qps/burst, watch_namespace, watch_filter, resync_ms =
   * sync_period_ms, default_workers, reconcile_timeout_ms, leader_elect = leader_election.enabled,
   * leader_election_id/namespace = lease_name/lease_namespace, lease/renew/retry durations,
   * health_addr/metrics_addr = health/metrics_bind_address ("0" = off), shutdown_grace_ms =
   * graceful_shutdown_ms. Per-kind workers: host_config_workers_for(). Until then the host
   * only waits for the signal. */
  while (!stop_flag) {
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }

  if (!stop_signal) pthread_kill(waiter, SIGTERM); /* the run ended on its own: release the waiter */
  pthread_join(waiter, NULL);
  int sig = stop_signal ? (int)stop_signal : SIGTERM;
  capz_log(NULL, CAPZ_LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
  return sig;
}
