/* soak.h — the crash-safety soak (issue #7): capz-host is SIGKILLed at random points while it provisions and
 * deletes a self-managed cluster against capz-kube-sim + capz-arm-sim + capz-capi-sim; after each restart the
 * cluster must converge with no duplicate Azure resources and, once deleted, leave no orphans.
 *
 * Single-threaded program: nothing here is thread-safe. Returned cJSON trees and strings belong to the caller. */
#ifndef CAPZ_SOAK_H
#define CAPZ_SOAK_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "capz/kube.h"
#include "simproc.h"

#define SOAK_TENANT "11111111-1111-4111-8111-111111111111"
#define SOAK_SUB "22222222-2222-4222-8222-222222222222"
#define SOAK_CLIENT "33333333-3333-4333-8333-333333333333"
#define SOAK_SECRET "capz-sim-secret" /* the emulator's built-in test app (docs/arm-sim-auth.md) */
#define SOAK_NS "default"
#define SOAK_OWNED_TAG "sigs.k8s.io_cluster-api-provider-azure_cluster_"
#define SOAK_PRE_RG "capz-ci"                       /* pre-existing, as the reference template assumes */
#define SOAK_PRE_UAI "cloud-provider-user-identity" /* its user-assigned identity for control planes */

#define SOAK_MAX_KILLS 8 /* provisioning kills per run (--kills) */

typedef struct soak_opts {
  int runs;             /* runs after the calibration run */
  uint64_t seed;        /* printed; every random choice of run i comes from (seed, i) */
  int only;             /* replay just this run number (1-based), 0 = all */
  int workers;          /* worker machines: 1, 2, or 0 = 1 or 2 at random per run */
  double lro;           /* base LRO duration in seconds (VMs take 2x, NICs/disks 1x, network 1x) */
  int double_kill_pct;  /* % of runs killed twice while provisioning */
  int delete_kill_pct;  /* % of runs also killed while deleting */
  int write_kill_pct;   /* % of kills fired right after the n-th ARM write instead of at a random time */
  int early_delete_pct; /* % of runs whose Cluster is deleted while still provisioning */
  int kills;            /* > 2: this many kills while provisioning in every run (a kill storm); 0 = 1 or 2 */
  double timeout_scale; /* multiplies every wait's timeout (sanitized builds are slower) */
  int verbosity;        /* host log verbosity */
  bool keep;            /* keep the work directory even when everything passed */
  const char *template_path;
  double prov_s, del_s; /* > 0: skip the calibration run and draw kill points over these */
} soak_opts;

typedef struct soak_env {
  simproc kube, arm;
  pid_t capi_pid;
  pid_t host_pid;
  int64_t host_started_ms;
  capz_kube_config *kcfg;
  capz_kube_client *kc;
  char dir[256];      /* work directory: logs, host config */
  char host_cfg[320];
  char host_log[320]; /* the current run's host log (appended across restarts) */
  const soak_opts *o;
} soak_env;

/* ---- soak_env.c: processes ---- */
int soak_env_up(soak_env *e, const soak_opts *o);  /* emulators + CRDs + identity Secret; 0 or -1 (message printed) */
void soak_env_down(soak_env *e);                   /* stops whatever runs; keeps e->dir */
int soak_host_start(soak_env *e, const char *log); /* capz-host with the selfmanaged plugin only */
void soak_host_kill(soak_env *e);                  /* SIGKILL + reap */
int soak_host_stop(soak_env *e);                   /* SIGTERM, wait; returns the wait status (or -1) */
bool soak_host_alive(soak_env *e);

/* ---- soak_http.c: capz-arm-sim's unauthenticated /_sim/ endpoints ---- */
cJSON *sim_call(const char *base, const char *method, const char *path, const char *json, long *status);
int arm_reset(soak_env *e);            /* every resource, operation and logged request dropped */
int arm_preexisting(soak_env *e);      /* the resource group + identity the template references; 0 or -1 */
cJSON *arm_inventory(soak_env *e);     /* array of resources as ARM renders them (LROs advanced first) */
cJSON *arm_log(soak_env *e);           /* the request log object {total, byMethod, requests:[...]} */
void arm_log_clear(soak_env *e);

/* ---- soak_manifest.c: the cluster ---- */
/* Render the template (clusterctl-style ${VAR}, ${VAR:=def}, ${VAR:-def}) and create every object; the template's
 * AzureClusterIdentity is turned into a ServicePrincipal identity whose Secret holds the emulator's secret. */
int soak_apply_cluster(soak_env *e, const char *name, int workers, char *msg, size_t n);
int soak_delete_cluster(soak_env *e, const char *name, char *msg, size_t n);
/* Objects of a cluster: AzureCluster (NULL when gone), AzureMachines and Machines (labelled with the cluster). */
cJSON *k_get_azurecluster(soak_env *e, const char *name);
cJSON *k_list_labelled(soak_env *e, const char *group, const char *kind, const char *cluster); /* items array */
bool k_cluster_exists(soak_env *e, const char *name);

/* ---- soak_check.c: what a run is judged on ---- */
typedef struct soak_state {
  bool cluster_ready;
  int machines, machines_ready; /* AzureMachines of the cluster */
  bool terminal;                /* an AzureMachine has failureReason */
  char detail[256];
} soak_state;
void soak_observe(soak_env *e, const char *cluster, int want_machines, soak_state *st);

/* Inventory normalized for comparison: resource names with the cluster name as {c}, control-plane machine names as
 * {cp}, worker machine names as {md}; a sorted array of "type|name" strings (type lower-case). */
cJSON *soak_normalize(const cJSON *inventory, const char *cluster, const cJSON *azuremachines);
/* Expected inventory for `workers` workers from a baseline normalized with one worker. */
cJSON *soak_expected(const cJSON *baseline1, int workers);
/* Multiset difference of two sorted arrays from soak_normalize/soak_expected into out: "missing: ...; extra
 * (duplicates/orphans): ..." or "" when equal. */
void soak_diff(const cJSON *want, const cJSON *got, char *out, size_t n);

typedef struct soak_reqstats {
  int total, puts, gets, deletes, creates, put_updates, conflicts, throttled, dup_creates, deletes_ok;
  char dup_detail[512];
} soak_reqstats;
void soak_reqstats_of(const cJSON *log, soak_reqstats *s);

/* Provisioning checks (0 = pass; every problem is appended to report). */
int soak_check_ready(soak_env *e, const char *cluster, const cJSON *expected, const soak_reqstats *rs, char *report,
                     size_t n);
/* After the Cluster is gone: no resource tagged for the cluster, no resource group; 0 = pass. */
int soak_check_gone(soak_env *e, const char *cluster, char *report, size_t n);
/* "virtualMachines/x(Creating) ..." for resources whose operation has not ended; caller frees. */
char *soak_inflight(const cJSON *inventory);
/* The last ARM writes (method + short resource path) logged at or before wall time `t`; caller frees. */
char *soak_last_writes(const cJSON *log, double t, int max);

/* ---- small helpers (soak_util.c) ---- */
int64_t soak_now_ms(void);    /* monotonic */
double soak_wall(void);       /* CLOCK_REALTIME seconds, comparable with the emulator's request times */
void soak_appendf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
