/* sm_report.c — the bench's printed figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sm_scale.h"

/* Resource types whose rows belong to an AzureMachine (the rest are the AzureCluster's). Network operation-status
 * polls cannot be told apart and count as the cluster's. */
static bool machine_type(const char *t) {
  static const char *const m[] = {"networkInterfaces", "virtualMachines", "disks", "availabilitySets", NULL};
  for (int i = 0; m[i]; i++)
    if (strstr(t, m[i])) return true;
  return false;
}

void smr_arm_table(const char *metrics, int clusters, int machines) {
  cJSON *t = bench_prom_tally(metrics, "capz_azure_arm_requests_total", NULL, "method", "resource_type");
  cJSON *c = bench_prom_tally(metrics, "capz_azure_arm_requests_total", NULL, "code", NULL);
  printf("ARM requests by method|resource type (host's capz_azure_arm_requests_total):\n");
  printf("  %-72s %8s %9s %9s\n", "", "total", "/cluster", "/machine");
  const cJSON *it;
  double cl = 0, ma = 0;
  cJSON_ArrayForEach(it, t) {
    bool m = machine_type(it->string);
    if (m) {
      ma += it->valuedouble;
      printf("  %-72s %8.0f %9s %9.2f\n", it->string, it->valuedouble, "", it->valuedouble / machines);
    } else {
      cl += it->valuedouble;
      printf("  %-72s %8.0f %9.2f\n", it->string, it->valuedouble, it->valuedouble / clusters);
    }
  }
  printf("  cluster-side %.0f (%.2f per cluster), machine-side %.0f (%.2f per machine)\n", cl, cl / clusters, ma,
         machines > 0 ? ma / machines : 0);
  printf("  by HTTP code:");
  cJSON_ArrayForEach(it, c) printf(" %s=%.0f", it->string, it->valuedouble);
  printf("\n");
  cJSON_Delete(t);
  cJSON_Delete(c);
}

double smr_reconciles(const char *before, const char *after, double arm_requests) {
  cJSON *a = bench_prom_tally(after, "controller_runtime_reconcile_total", NULL, "controller", "result");
  cJSON *b = before ? bench_prom_tally(before, "controller_runtime_reconcile_total", NULL, "controller", "result") : NULL;
  printf("reconciles (controller|result):");
  const cJSON *it;
  cJSON_ArrayForEach(it, a) {
    double d = it->valuedouble - bench_num(b, it->string);
    if (d > 0) printf(" %s=%.0f", it->string, d);
  }
  printf("\n");
  cJSON_Delete(a);
  cJSON_Delete(b);
  /* the host labels controllers with the lower-cased kind */
  static const char *const ctls[] = {"azurecluster", "azuremachine", "azureclusteridentity", "azuremachinetemplate",
                                     NULL};
  double main_rec = 0;
  for (int i = 0; ctls[i]; i++) {
    char f[128];
    snprintf(f, sizeof f, "controller=\"%s\"", ctls[i]);
    double n = bench_prom_sum(after, "controller_runtime_reconcile_total", f) -
               (before ? bench_prom_sum(before, "controller_runtime_reconcile_total", f) : 0);
    if (i < 2) main_rec += n;
    bench_hist h;
    if (bench_prom_histogram(before, after, "controller_runtime_reconcile_time_seconds", f, &h) == 0)
      printf("  %-22s %7.0f reconciles; time mean %.1f ms, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", ctls[i], n,
             1000 * h.sum / h.count, 1000 * h.p50, 1000 * h.p95, 1000 * h.p99);
  }
  double errs = bench_prom_sum(after, "controller_runtime_reconcile_errors_total", NULL) -
                (before ? bench_prom_sum(before, "controller_runtime_reconcile_errors_total", NULL) : 0);
  printf("  reconcile errors %.0f; ARM requests per AzureCluster+AzureMachine reconcile: %.2f\n", errs,
         main_rec > 0 ? arm_requests / main_rec : 0);
  return main_rec;
}

void smr_mem(const char *what, pid_t pid, long idle_kb, int objects) {
  long rss, hwm;
  bproc_mem_kb(pid, &rss, &hwm);
  printf("  %-10s VmRSS %7.1f MiB, VmHWM %7.1f MiB, CPU %7.1f s, threads %ld", what, rss / 1024.0, hwm / 1024.0,
         bproc_cpu_s(pid), bproc_threads(pid));
  if (idle_kb > 0 && objects > 0)
    printf("; above idle %.1f MiB = %.1f KiB per object (AzureCluster/AzureMachine)", (rss - idle_kb) / 1024.0,
           (double)(rss - idle_kb) / objects);
  printf("\n");
}

void smr_latency(const char *title, const smw_obj *objs, size_t n, bool deleted) {
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return;
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!objs[i].name[0] || objs[i].created < 0) continue;
    double end = deleted ? objs[i].deleted : objs[i].ready;
    if (end >= 0) v[k++] = end - objs[i].created;
  }
  qsort(v, (size_t)k, sizeof *v, bench_cmp_dbl);
  printf("  %-44s n=%-6d p50 %7.1f s  p95 %7.1f s  max %7.1f s\n", title, k, bench_quantile(v, k, 0.5),
         bench_quantile(v, k, 0.95), k ? v[k - 1] : 0);
  free(v);
}
