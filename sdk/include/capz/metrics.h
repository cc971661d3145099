/* capz/metrics.h — a small Prometheus registry: counters, gauges and histograms with labels,
 * rendered in the text exposition format 0.0.4 (what GET /metrics serves).
 *
 * Model: a registry holds metric families (one name, one type, fixed label names declared at
 * registration); a family holds series (one per distinct tuple of label values). Registering a
 * name again with the same type and label names (and, for histograms, the same buckets) returns
 * the same family, so the host, the SDK clients and plugins can each "register" what they use.
 * Families and series are never removed; their handles stay valid until the registry is freed
 * (the process-wide default registry is never freed).
 *
 * Ownership: every handle is owned by its registry; callers never free families or series.
 * capz_metrics_render returns malloc'ed text the caller frees with free().
 *
 * Thread-safety: every call may be made from any thread. Updating a series (inc/add/set/observe)
 * is lock-free (atomics); looking a series up by label values takes the family's lock, so hot
 * paths should keep the capz_metric * they got. Rendering takes each family's lock briefly and
 * may observe a histogram's _sum slightly out of step with its buckets under concurrent updates.
 */
#ifndef CAPZ_METRICS_H
#define CAPZ_METRICS_H

#include "capz/common.h"
#include "capz/err.h"

CAPZ_BEGIN_DECLS

typedef struct capz_metrics_registry capz_metrics_registry;
typedef struct capz_metric_family capz_metric_family;
typedef struct capz_metric capz_metric;

typedef enum capz_metric_type {
  CAPZ_METRIC_COUNTER = 0,
  CAPZ_METRIC_GAUGE = 1,
  CAPZ_METRIC_HISTOGRAM = 2
} capz_metric_type;

/* A private registry (tests, tools). Wherever a registry parameter is NULL the process-wide
 * default registry is used. Freeing a registry invalidates all its handles. */
CAPZ_API capz_metrics_registry *capz_metrics_registry_new(void);
CAPZ_API void capz_metrics_registry_free(capz_metrics_registry *r);

/* Register (or find) a family. name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: NULL-terminated array of
 * label names [a-zA-Z_][a-zA-Z0-9_]* not starting "__" (NULL = no labels; "le" is reserved for
 * histograms). help is copied (first registration wins). A family without labels gets its one
 * series at registration, so it renders as 0 before first use.
 * Returns NULL with err set: CAPZ_EINVAL for a bad name/label/bucket list, CAPZ_EEXIST when the
 * name exists with another type, label set or buckets, CAPZ_ENOMEM. */
CAPZ_API capz_metric_family *capz_metrics_counter(capz_metrics_registry *r, const char *name, const char *help,
                                                  const char *const *labels, capz_err *err);
CAPZ_API capz_metric_family *capz_metrics_gauge(capz_metrics_registry *r, const char *name, const char *help,
                                                const char *const *labels, capz_err *err);
/* buckets: strictly increasing finite upper bounds (the +Inf bucket is implicit); NULL/0 = the
 * Prometheus defaults .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10. */
CAPZ_API capz_metric_family *capz_metrics_histogram(capz_metrics_registry *r, const char *name, const char *help,
                                                    const char *const *labels, const double *buckets,
                                                    size_t n_buckets, capz_err *err);

/* The series for the given label values (created on first use; values copied). The variadic
 * part is exactly one C string per label name, then NULL:
 *   capz_metric_with(rest_requests, "GET", "200", NULL).
 * Returns NULL when f is NULL, the count is wrong, a value is NULL, or on OOM. */
#ifndef CAPZ_SENTINEL
#define CAPZ_SENTINEL __attribute__((sentinel))
#endif
CAPZ_API capz_metric *capz_metric_with(capz_metric_family *f, ...) CAPZ_SENTINEL;
/* Same with an array of n values. */
CAPZ_API capz_metric *capz_metric_with_values(capz_metric_family *f, const char *const *values, size_t n);

/* Updates; all are no-ops on a NULL series or the wrong type. */
CAPZ_API void capz_metric_inc(capz_metric *m);                /* counter, gauge: +1 */
CAPZ_API void capz_metric_add(capz_metric *m, double v);      /* counter (v < 0 or NaN ignored), gauge */
CAPZ_API void capz_metric_set(capz_metric *m, double v);      /* gauge */
CAPZ_API void capz_metric_dec(capz_metric *m);                /* gauge: -1 */
CAPZ_API void capz_metric_observe(capz_metric *m, double v);  /* histogram (NaN ignored) */

/* Current value (counter, gauge) or observation count (histogram); 0 for NULL. */
CAPZ_API double capz_metric_value(const capz_metric *m);
/* Sum of observations of a histogram series (0 otherwise). */
CAPZ_API double capz_metric_sum(const capz_metric *m);

/* Prometheus text format 0.0.4: families sorted by name, each with "# HELP" (\\ and \n escaped)
 * and "# TYPE" lines, series sorted by label values, label values escaped (\\ \" \n), histograms
 * as cumulative name_bucket{...,le="..."} lines ending le="+Inf", then name_sum and name_count.
 * Families with labels but no series yet are omitted. Numbers: integral values up to 2^53 without
 * exponent, others in shortest round-trip form, +Inf, -Inf, NaN.
 * Returns malloc'ed NUL-terminated text (length in *len when len is non-NULL); NULL on OOM. */
CAPZ_API char *capz_metrics_render(capz_metrics_registry *r, size_t *len);

/* Content-Type to serve the rendered text with. */
#define CAPZ_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

CAPZ_END_DECLS
#endif
