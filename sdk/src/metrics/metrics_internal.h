/* metrics_internal.h — registry data structures shared by metrics.c and metrics_render.c. */
#ifndef CAPZ_SDK_METRICS_INTERNAL_H
#define CAPZ_SDK_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "capz/metrics.h"

struct capz_metric {
  const struct capz_metric_family *family;
  char **values;             /* one per label name */
  _Atomic uint64_t bits;     /* counter/gauge value, or histogram sum, as double bits */
  _Atomic uint64_t *buckets; /* histogram: per-bucket (non-cumulative) counts, n_buckets + 1 (+Inf) */
};

struct capz_metric_family {
  char *name, *help;
  capz_metric_type type;
  char **labels;
  size_t n_labels;
  double *bounds; /* histogram upper bounds, ascending, without +Inf */
  size_t n_bounds;
  pthread_mutex_t lock; /* guards series/n_series/cap_series */
  capz_metric **series;
  size_t n_series, cap_series;
};

struct capz_metrics_registry {
  pthread_mutex_t lock; /* guards families/n/cap */
  capz_metric_family **families;
  size_t n, cap;
};

double mx_load(const _Atomic uint64_t *bits);
/* r, or the process-wide default registry when r is NULL. */
capz_metrics_registry *mx_registry(capz_metrics_registry *r);

#endif
