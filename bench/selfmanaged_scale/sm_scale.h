/* sm_scale.h — the self-managed scale bench: N CAPZ clusters (reference cluster-template.yaml, 1 control plane +
 * M workers each, every cluster in its own resource group) through the real capz-host + selfmanaged plugin against
 * capz-kube-sim, capz-capi-sim and a throttled capz-arm-sim. See README.md.
 *
 * Ownership: every cJSON * and char * a function returns belongs to the caller (cJSON_Delete / free).
 * Thread-safety: the readiness tracker (smw_*) and the HTTP/metrics helpers may be used from any thread; the
 * processes (bproc, bench/common) and the stack belong to the main thread. */
#ifndef SM_SCALE_H
#define SM_SCALE_H

#include <cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "capz/kube.h"

#include "bench_http.h" /* bhttp*: plain HTTP to the emulators' /_sim endpoints and the host's /metrics */
#include "bench_metrics.h" /* Prometheus text and the emulator's request counters */
#include "bench_mgmt.h" /* BENCH_* identity, CRDs, pre-existing resources, ${VAR} substitution */
#include "bench_proc.h" /* bproc: the child processes */
#include "bench_util.h" /* clocks, files, quantiles */

/* ---- sm_stack.c ---- */
typedef struct sm_stack_opts {
  const char *build, *source, *dir;
  double lro_default, lro_vm, lro_lb, retry_after;
  double kube_qps;
  int kube_burst, host_workers, verbosity;
  double drift_interval_s, poll_interval_s;
  double sync_period_s; /* the host's syncPeriod; 0 = its default (10m) */
} sm_stack_opts;
typedef struct sm_stack {
  bproc kube, arm, capi, host;
  char kube_url[256], arm_url[256], metrics_url[256];
  capz_kube_config *cfg;
  capz_kube_client *c;
  int preexisting; /* ARM resources the bench created before any cluster */
  double host_started; /* bench_now() when capz-host was started */
} sm_stack;
int sm_stack_start(const sm_stack_opts *o, sm_stack *s);
void sm_stack_stop(sm_stack *s);
char *sm_host_metrics(const sm_stack *s);
int sm_arm_resources(const sm_stack *s); /* /_sim/health resources, -1 on error */
cJSON *sm_arm_inventory_by_type(const sm_stack *s); /* {"<type>": count} */
/* The emulator's last requests (up to requestLog.keepBodies, with bodies) into <dir>/<file>, as evidence. */
void sm_dump_requests(const sm_stack *s, const char *dir, const char *file);

/* ---- sm_render.c ---- */
/* The template's documents for cluster `name` with `workers` workers, without its AzureClusterIdentity
 * (the bench creates the ServicePrincipal identity once). JSON array or NULL (message in msg). */
cJSON *sm_render_cluster(const char *tmpl, const char *name, int workers, char *msg, size_t n);
int sm_create_docs(capz_kube_client *c, const cJSON *docs, char *msg, size_t n);

/* ---- sm_watch.c: when each AzureCluster / AzureMachine appeared, became Ready and went away ---- */
typedef struct smw_obj {
  char name[96];
  int cluster;               /* index of its cluster, -1 unknown */
  double created, ready, deleted; /* bench-relative seconds (bench_now() - t0); < 0 not yet */
} smw_obj;
typedef struct smw {
  pthread_mutex_t mu;
  double t0;
  int n_clusters;
  smw_obj *clusters; /* by index */
  smw_obj *machines; /* open addressing by name */
  size_t mcap, mcount;
  int cluster_ready, machines_ready, cluster_gone, machines_gone;
  volatile int stop;
  pthread_t th[2];
  int running;
  capz_kube_client *c;
} smw;
/* Starts one watch thread per kind (relisting on 410 and after stream ends). 0 or -1. */
int smw_start(smw *w, capz_kube_client *c, int n_clusters, size_t max_machines, double t0);
void smw_stop(smw *w);
int sm_cluster_index(const char *name); /* "sm00042..." → 42, else -1 */
void sm_cluster_name(int i, char *out, size_t n);

/* ---- sm_report.c: printing ---- */
/* The host's capz_azure_arm_requests_total by method|resource type, split into cluster-side and machine-side
 * types, per cluster and per machine. */
void smr_arm_table(const char *metrics, int clusters, int machines);
/* Reconciles by controller|result, reconcile-time histograms per controller (between two scrapes; before may
 * be NULL), and ARM requests per reconcile. Returns the reconciles of AzureCluster + AzureMachine. */
double smr_reconciles(const char *before, const char *after, double arm_requests);
void smr_mem(const char *what, pid_t pid, long idle_kb, int objects);
/* created→ready (or →deleted when deleted) p50/p95/max of the objects that have both stamps */
void smr_latency(const char *title, const smw_obj *objs, size_t n, bool deleted);

#endif
