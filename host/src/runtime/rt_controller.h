/* rt_controller.h — one plugin controller wired up: primary and secondary informers, event → key mapping, a
 * work queue and its workers calling the plugin's reconcile. */
#ifndef CAPZ_HOST_RT_CONTROLLER_H
#define CAPZ_HOST_RT_CONTROLLER_H

#include <pthread.h>

#include "capz/controller.h"
#include "capz/workqueue.h"
#include "capz/metrics.h"
#include "runtime/runtime.h"

/* The runtime's metric families (in the capz/metrics.h registry the runtime serves). */
typedef struct rt_metrics {
  capz_metrics_registry *reg;         /* NULL = the process-wide default registry */
  capz_metric_family *reconcile_total; /* controller, result */
  capz_metric_family *reconcile_errors, *terminal_errors, *reconcile_time, *active_workers, *max_workers; /* controller */
  capz_metric_family *wq_depth, *wq_adds, *wq_retries; /* name */
  capz_metric_family *rest_requests; /* code, method, host */
  capz_metric_family *leader, *synced;
} rt_metrics;

/* What all controllers of one runtime share. */
typedef struct rt_shared {
  capz_kube_client *client;
  capz_event_recorder *events;
  rt_metrics *metrics;
  const host_runtime_opts *opts;
  capz_informer **informers; /* every informer started, for ctx cache reads */
  size_t n_informers, cap_informers;
} rt_shared;

typedef struct rt_controller rt_controller;

/* Sets up informers (registered in sh, not started), handlers and the queue. */
int rt_controller_new(rt_shared *sh, const capz_plugin *p, void *state, const capz_controller *ctl,
                      rt_controller **out, capz_err *err);
int rt_controller_start_workers(rt_controller *c, capz_err *err);
/* Stop handing out keys (in-flight reconciles finish). */
void rt_controller_stop_intake(rt_controller *c);
bool rt_controller_wait_idle(rt_controller *c, int64_t timeout_ms);
/* Join workers, drop handlers and informer references, free. */
void rt_controller_free(rt_controller *c);
/* Refresh gauges (workqueue_depth). */
void rt_controller_collect(rt_controller *c);
const char *rt_controller_name(const rt_controller *c);

#endif
