/* run.c — the daemon's running phase. A dedicated thread waits for SIGTERM/SIGINT (blocked in
 * every thread by host_signals_block) and raises a stop flag; the main thread runs the
 * controllers until the flag is set. The flag is a volatile sig_atomic_t so it can be handed
 * to a runtime that polls it. */
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include "capz/loader.h"
#include "capz/log.h"
#include "run.h"
#include "runtime/runtime.h"

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
  /* read by the main thread's run loop: atomic stores, not plain ones (this is a thread, not a handler) */
  __atomic_store_n(&stop_signal, sig, __ATOMIC_SEQ_CST);
  __atomic_store_n(&stop_flag, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

/* "0" disables an endpoint (controller-runtime's convention); ":port" listens on every address. */
static const char *endpoint_or_null(const char *addr) {
  return (!addr || !*addr || strcmp(addr, "0") == 0) ? NULL : addr;
}

/* concurrency.kinds from the config, keyed "Kind.group" as capz_gvk_kind_str prints it. */
static uint32_t workers_for(void *ud, const capz_gvk *primary, uint32_t declared) {
  const host_config *cfg = ud;
  char kind[CAPZ_NAME_MAX];
  capz_gvk_kind_str(primary, kind, sizeof kind);
  int n = host_config_workers_for(cfg, kind, declared);
  return n > 0 ? (uint32_t)n : 0;
}

static void log_listening(void *ud, const char *health_url, const char *metrics_url) {
  (void)ud;
  capz_log(NULL, CAPZ_LOG_INFO, "serving", "health", health_url ? health_url : "off", "metrics",
           metrics_url ? metrics_url : "off", NULL);
}

/* Start the controller runtime with every initialised plugin and run it until the stop flag is
 * raised. Returns 0 after a clean stop, non-zero when it could not start or lost leadership. */
static int run_runtime(const host_config *cfg, host_plugin_set *set) {
  size_t n = 0;
  const capz_plugin **plugins = calloc(set->n ? set->n : 1, sizeof *plugins);
  void **states = calloc(set->n ? set->n : 1, sizeof *states);
  if (!plugins || !states) {
    free(plugins);
    free(states);
    capz_log(NULL, CAPZ_LOG_ERROR, "out of memory starting the runtime", NULL);
    return -1;
  }
  for (size_t i = 0; i < set->n; i++) {
    if (!set->items[i].initialized) continue;
    plugins[n] = &set->items[i].lp->desc;
    states[n] = set->items[i].plugin_state;
    n++;
  }
  host_runtime_opts opts = {
      .server_url = cfg->kube.server,
      .kubeconfig = cfg->kube.kubeconfig,
      .kube_context = cfg->kube.context,
      .kube_qps = cfg->kube.qps,
      .kube_burst = cfg->kube.burst,
      .watch_namespace = cfg->watch_namespace,
      .watch_filter = cfg->watch_filter,
      .resync_ms = cfg->sync_period_ms,
      .default_workers = cfg->default_workers > 0 ? (uint32_t)cfg->default_workers : 0,
      .reconcile_timeout_ms = cfg->reconcile_timeout_ms,
      .leader_elect = cfg->leader_election.enabled,
      .leader_election_id = cfg->leader_election.lease_name,
      .leader_election_namespace = cfg->leader_election.lease_namespace,
      .lease_duration_ms = cfg->leader_election.lease_duration_ms,
      .renew_deadline_ms = cfg->leader_election.renew_deadline_ms,
      .retry_period_ms = cfg->leader_election.retry_period_ms,
      .health_addr = endpoint_or_null(cfg->health_bind_address),
      .metrics_addr = endpoint_or_null(cfg->metrics_bind_address),
      .shutdown_grace_ms = cfg->graceful_shutdown_ms,
      .workers_for = workers_for,
      .on_listening = log_listening,
      .ud = (void *)cfg,
  };
  capz_err err;
  capz_err_clear(&err);
  int rc = host_runtime_run(&opts, (const capz_plugin *const *)plugins, (void *const *)states, n, &stop_flag, &err);
  if (rc != 0)
    capz_log(NULL, CAPZ_LOG_ERROR, "controller runtime stopped", "error", err.msg, "code", capz_errcode_name(rc), NULL);
  free(plugins);
  free(states);
  return rc;
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

  int rc_run = run_runtime(cfg, set);

  /* the run ended on its own: release the waiter */
  if (!__atomic_load_n(&stop_signal, __ATOMIC_SEQ_CST)) pthread_kill(waiter, SIGTERM);
  pthread_join(waiter, NULL);
  if (!stop_signal && rc_run != 0) return -1; /* could not start, or lost leadership: exit non-zero */
  int sig = stop_signal ? (int)stop_signal : SIGTERM;
  capz_log(NULL, CAPZ_LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
  return sig;
}
