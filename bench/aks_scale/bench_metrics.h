/* bench_metrics.h — reading the figures the bench reports: Prometheus text from the host's /metrics (sums over
 * series, and a per-label-pair tally) and the emulator's /_sim/requests counters. Pure functions on text/JSON;
 * thread-safe. */
#ifndef BENCH_METRICS_H
#define BENCH_METRICS_H

#include <cJSON.h>

/* Sum of every sample of metric `name` (exact family name, e.g. "controller_runtime_reconcile_total") whose label
 * set contains every `key="value"` of filter (e.g. "controller=\"AzureManagedControlPlane\"", NULL = all). */
double bmet_sum(const char *text, const char *name, const char *filter);

/* A tally of metric `name` by the values of two labels: a JSON object {"<a>|<b>": sum, ...} (caller deletes);
 * label_b NULL: keyed by label_a alone. filter as for bmet_sum. */
cJSON *bmet_by_labels(const char *text, const char *name, const char *filter, const char *label_a, const char *label_b);

/* Emulator request counters: GET <arm>/_sim/requests?last=0 → {total, byMethod, byType, byStatus} (caller
 * deletes) or NULL. */
cJSON *bmet_arm_counters(const char *arm_url);

/* b - a for every numeric member present in b (objects recursed), as a new object. */
cJSON *bmet_delta(const cJSON *a, const cJSON *b);

/* A number member of an object (0 when absent). */
double bmet_num(const cJSON *o, const char *key);

#endif
