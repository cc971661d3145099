/* bench_metrics.h — the figures the benches report: Prometheus text from the host's /metrics (sums, tallies by
 * label, histograms) and the emulator's /_sim/requests counters (deltas, ARM request classes, printing).
 * Pure functions on text/JSON except bench_arm_counters (one HTTP GET) and bench_print_counters (stdout);
 * thread-safe. Every returned cJSON * belongs to the caller (cJSON_Delete). */
#ifndef BENCH_METRICS_H
#define BENCH_METRICS_H

#include <cJSON.h>

/* Sum of the samples of family `name` (exact, e.g. "controller_runtime_reconcile_total") whose labels contain
 * every key="value" of filter (comma-separated; NULL = all). */
double bench_prom_sum(const char *text, const char *name, const char *filter);
/* {"<a>|<b>": sum} by the values of two labels (label_b NULL: keyed by label_a alone); filter as above. */
cJSON *bench_prom_tally(const char *text, const char *name, const char *filter, const char *label_a,
                        const char *label_b);
/* Histogram `name` (…_bucket/_sum/_count) restricted to filter: count, sum and interpolated quantiles; the
 * difference of two scrapes when `before` is not NULL. Returns 0, -1 when there is no sample. */
typedef struct bench_hist {
  double count, sum, p50, p95, p99;
} bench_hist;
int bench_prom_histogram(const char *before, const char *after, const char *name, const char *filter, bench_hist *h);

/* GET <arm>/_sim/requests?last=0 → {total, byMethod, byType, byStatus} (a resource-group delete's per-operation
 * "operationresults/<id>" types folded into one), or NULL. */
cJSON *bench_arm_counters(const char *arm_url);
/* b - a, recursively over numbers (zero differences left out, except "total"). */
cJSON *bench_delta(const cJSON *a, const cJSON *b);
/* A number member of an object (0 when absent). */
double bench_num(const cJSON *o, const char *key);
/* ARM request classes from emulator counters: reads (GET/HEAD), writes (PUT/POST/PATCH without the Entra token
 * POSTs), deletes. */
double bench_arm_reads(const cJSON *c);
double bench_arm_writes(const cJSON *c);
double bench_arm_deletes(const cJSON *c);
/* "<title>: total N (x per cluster)" and one line per group (byMethod, byStatus, byType); per_cluster > 0 adds
 * the per-cluster total, clusters > 0 the per-cluster figure of each member. */
void bench_print_counters(const char *title, const cJSON *c, double per_cluster, int clusters);

#endif
