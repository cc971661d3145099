/* runtime.c — host_runtime_run: connect, wire controllers, serve ops endpoints, elect a leader, run workers
 * while leading, and shut down in order (intake, in-flight reconciles, Lease release). */
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/controller.h"
#include "capz/sdk.h"
#include "runtime/rt_controller.h"
#include "runtime/rt_leader.h"
#include "runtime/rt_ops.h"

typedef struct rt {
  host_runtime_opts o;
  rt_shared sh;
  capz_kube_config *cfg;
  rt_controller **ctls;
  size_t n_ctls;
  rt_metrics metrics;
  rt_ops *health, *metrics_srv;
  rt_leader *leader;
  pthread_mutex_t mu;
  bool leading;
} rt;

static void observe_request(void *ud, const char *method, const char *host, long status, double secs) {
  rt *r = ud;
  (void)secs;
  char code[24];
  snprintf(code, sizeof code, "%ld", status);
  capz_metric_inc(capz_metric_with(r->metrics.rest_requests, code, method, host, NULL));
}

static bool all_synced(void *ud) {
  rt *r = ud;
  for (size_t i = 0; i < r->sh.n_informers; i++)
    if (!capz_informer_synced(r->sh.informers[i])) return false;
  return true;
}

static void collect(void *ud) {
  rt *r = ud;
  for (size_t i = 0; i < r->n_ctls; i++) rt_controller_collect(r->ctls[i]);
  capz_metric_set(capz_metric_with(r->metrics.synced, NULL), all_synced(r) ? 1 : 0);
  pthread_mutex_lock(&r->mu);
  capz_metric_set(capz_metric_with(r->metrics.leader, "capz", NULL), r->leading ? 1 : 0);
  pthread_mutex_unlock(&r->mu);
}

static int register_families(rt_metrics *m, capz_err *err) {
  static const char *const ctl[] = {"controller", NULL}, *const ctl_res[] = {"controller", "result", NULL},
                           *const name[] = {"name", NULL}, *const rest[] = {"code", "method", "host", NULL};
  static const double secs[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  capz_metrics_registry *g = m->reg;
  m->reconcile_total = capz_metrics_counter(g, "controller_runtime_reconcile_total",
                                            "Total number of reconciliations per controller", ctl_res, err);
  m->reconcile_errors = capz_metrics_counter(g, "controller_runtime_reconcile_errors_total",
                                             "Total number of reconciliation errors per controller", ctl, err);
  m->terminal_errors = capz_metrics_counter(g, "controller_runtime_terminal_reconcile_errors_total",
                                            "Total number of terminal reconciliation errors per controller", ctl, err);
  m->reconcile_time = capz_metrics_histogram(g, "controller_runtime_reconcile_time_seconds",
                                             "Length of time per reconciliation per controller", ctl, secs,
                                             sizeof secs / sizeof secs[0], err);
  m->active_workers = capz_metrics_gauge(g, "controller_runtime_active_workers",
                                         "Number of currently used workers per controller", ctl, err);
  m->max_workers = capz_metrics_gauge(g, "controller_runtime_max_concurrent_reconciles",
                                      "Maximum number of concurrent reconciles per controller", ctl, err);
  m->wq_depth = capz_metrics_gauge(g, "workqueue_depth", "Current depth of workqueue", name, err);
  m->wq_adds = capz_metrics_counter(g, "workqueue_adds_total", "Total number of adds handled by workqueue", name, err);
  m->wq_retries = capz_metrics_counter(g, "workqueue_retries_total", "Total number of retries handled by workqueue",
                                       name, err);
  m->rest_requests = capz_metrics_counter(g, "rest_client_requests_total",
                                          "Number of HTTP requests, partitioned by status code, method, and host",
                                          rest, err);
  m->leader = capz_metrics_gauge(g, "leader_election_master_status", "1 if this instance is the leader", name, err);
  m->synced = capz_metrics_gauge(g, "capz_informers_synced", "1 once every informer has loaded its first list",
                                 NULL, err);
  bool ok = m->reconcile_total && m->reconcile_errors && m->terminal_errors && m->reconcile_time &&
            m->active_workers && m->max_workers && m->wq_depth && m->wq_adds && m->wq_retries && m->rest_requests && m->leader &&
            m->synced;
  return ok ? 0 : (err && err->code ? err->code : CAPZ_ENOMEM);
}

static void on_leader_change(void *ud, bool leading) {
  rt *r = ud;
  pthread_mutex_lock(&r->mu);
  r->leading = leading;
  pthread_mutex_unlock(&r->mu);
  if (r->o.on_leader) r->o.on_leader(r->o.ud, leading);
}

static int load_config(const host_runtime_opts *o, capz_kube_config **cfg, capz_err *err) {
  if (o->server_url && *o->server_url) return capz_kube_config_from_url(o->server_url, cfg, err);
  const char *h = getenv("KUBERNETES_SERVICE_HOST");
  if (!o->kubeconfig && !getenv("KUBECONFIG") && h && *h) return capz_kube_config_in_cluster(NULL, cfg, err);
  return capz_kube_config_load(o->kubeconfig, o->kube_context, cfg, err);
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void teardown(rt *r, bool release_lease) {
  int64_t grace = r->o.shutdown_grace_ms > 0 ? r->o.shutdown_grace_ms : 30000;
  for (size_t i = 0; i < r->n_ctls; i++) rt_controller_stop_intake(r->ctls[i]);
  int64_t until = capz_monotonic_ms() + grace;
  bool idle = true;
  for (size_t i = 0; i < r->n_ctls; i++) {
    int64_t left = until - capz_monotonic_ms();
    idle = rt_controller_wait_idle(r->ctls[i], left > 0 ? left : 0) && idle;
  }
  /* Past the grace period: whatever still runs may no longer write. */
  if (!idle) capz_kube_client_set_fence(r->sh.client, true);
  if (r->leader) rt_leader_stop(r->leader, release_lease && idle);
  r->leader = NULL;
  for (size_t i = 0; i < r->sh.n_informers; i++) capz_informer_request_stop(r->sh.informers[i]);
  for (size_t i = 0; i < r->n_ctls; i++) rt_controller_free(r->ctls[i]);
  free(r->ctls);
  r->ctls = NULL;
  r->n_ctls = 0;
  rt_ops_stop(r->health);
  rt_ops_stop(r->metrics_srv);
  capz_sdk_set_request_observer(NULL, NULL);
  capz_event_recorder_free(r->sh.events);
  capz_kube_client_free(r->sh.client);
  capz_kube_config_free(r->cfg);
  free(r->sh.informers);
  pthread_mutex_destroy(&r->mu);
}

int host_runtime_run(const host_runtime_opts *opts, const capz_plugin *const *plugins, void *const *states, size_t n,
                     volatile sig_atomic_t *stop, capz_err *err) {
  rt r;
  memset(&r, 0, sizeof r);
  r.o = *opts;
  pthread_mutex_init(&r.mu, NULL);
  int rc = capz_sdk_global_init(err);
  if (rc) return rc;
  r.metrics.reg = opts->metrics_registry;
  rc = register_families(&r.metrics, err);
  if (!rc) {
    capz_sdk_set_request_observer(observe_request, &r);
    rc = load_config(opts, &r.cfg, err);
  }
  capz_kube_client_opts co = {.struct_size = sizeof co, .qps = opts->kube_qps, .burst = opts->kube_burst,
                              .user_agent = "capz-controller-manager"};
  if (!rc) rc = capz_kube_client_new(r.cfg, &co, &r.sh.client, err);
  if (!rc) rc = capz_event_recorder_new(r.sh.client, "capz-controller-manager", &r.sh.events, err);
  r.sh.metrics = &r.metrics;
  r.sh.opts = &r.o;

  /* Wire every controller of every plugin. */
  size_t total = 0;
  for (size_t i = 0; !rc && i < n; i++)
    for (size_t j = 0; plugins[i]->controllers && plugins[i]->controllers[j]; j++) total++;
  if (!rc && total && !(r.ctls = calloc(total, sizeof *r.ctls))) rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++)
    for (size_t j = 0; !rc && plugins[i]->controllers && plugins[i]->controllers[j]; j++) {
      rc = rt_controller_new(&r.sh, plugins[i], states ? states[i] : NULL, plugins[i]->controllers[j],
                             &r.ctls[r.n_ctls], err);
      if (!rc) r.n_ctls++;
    }

  /* Operations endpoints. */
  char hurl[128] = "", murl[128] = "";
  bool same = opts->health_addr && opts->metrics_addr && strcmp(opts->health_addr, opts->metrics_addr) == 0;
  if (!rc && opts->health_addr)
    rc = rt_ops_start(opts->health_addr, true, same, all_synced, collect, &r, r.metrics.reg, &r.health, hurl,
                      sizeof hurl, err);
  if (!rc && opts->metrics_addr && !same)
    rc = rt_ops_start(opts->metrics_addr, false, true, NULL, collect, &r, r.metrics.reg, &r.metrics_srv, murl,
                      sizeof murl, err);
  if (same) snprintf(murl, sizeof murl, "%s", hurl);
  if (!rc && opts->on_listening) opts->on_listening(opts->ud, *hurl ? hurl : NULL, *murl ? murl : NULL);

  for (size_t i = 0; !rc && i < r.sh.n_informers; i++) rc = capz_informer_start(r.sh.informers[i], err);

  if (!rc && opts->leader_elect) {
    char ident[300];
    if (opts->identity) {
      snprintf(ident, sizeof ident, "%s", opts->identity);
    } else {
      char host[200] = "capz";
      gethostname(host, sizeof host - 1);
      snprintf(ident, sizeof ident, "%s_%ld", host, (long)getpid());
    }
    rt_leader_opts lo = {
        .ns = opts->leader_election_namespace && *opts->leader_election_namespace
                  ? opts->leader_election_namespace
                  : capz_kube_config_namespace(r.cfg),
        .name = opts->leader_election_id ? opts->leader_election_id : "controller-leader-election-capz",
        .identity = ident,
        .lease_ms = opts->lease_duration_ms > 0 ? opts->lease_duration_ms : 15000,
        .renew_deadline_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : 10000,
        .retry_ms = opts->retry_period_ms > 0 ? opts->retry_period_ms : 2000,
        .on_change = on_leader_change,
        .ud = &r};
    rc = rt_leader_start(r.sh.client, &lo, &r.leader, err);
  } else if (!rc) {
    on_leader_change(&r, true);
  }

  bool lost = false, workers = false;
  while (!rc && !__atomic_load_n(stop, __ATOMIC_SEQ_CST)) { /* set by the signal-waiting thread */
    pthread_mutex_lock(&r.mu);
    bool leading = r.leading;
    pthread_mutex_unlock(&r.mu);
    if (r.leader && rt_leader_lost(r.leader)) {
      lost = true; /* the fence is already up; stop workers before anything else */
      break;
    }
    if (leading && !workers) {
      for (size_t i = 0; !rc && i < r.n_ctls; i++) rc = rt_controller_start_workers(r.ctls[i], err);
      workers = true;
    }
    sleep_ms(50);
  }
  teardown(&r, !lost);
  capz_sdk_global_cleanup();
  if (!rc && lost) {
    rc = capz_err_set(err, CAPZ_EFORBIDDEN, "leader election lost");
    if (err) snprintf(err->reason, sizeof err->reason, "LeadershipLost");
  }
  return rc;
}
