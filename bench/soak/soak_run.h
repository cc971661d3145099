/* soak_run.h — one soak run (see soak_run.c) and what it reports. Single-threaded, like the rest of the soak. */
#ifndef CAPZ_SOAK_RUN_H
#define CAPZ_SOAK_RUN_H

#include <signal.h>

#include "soak.h"

/* When to kill: at_s seconds after the apply (after the previous restart / the delete request), or, when writes > 0,
 * right after that many more ARM writes (PUTs while provisioning, DELETEs while deleting) have been answered — the
 * moment an operation has just been started and its resume token may not be stored yet. at_s is then a deadline. */
typedef struct kill_plan {
  double at_s;
  int writes;
} kill_plan;

typedef struct kill_rec {
  double at_s;      /* seconds after the apply (or after the previous restart / the delete request) */
  char trigger[64]; /* "time" or "after PUT #n" */
  char phase[300];  /* what the CRs said just before the kill */
  bool after_done;  /* the cluster was already Ready (or, deleting, gone) when it was killed */
  char inflight[512];
  char writes[512];
} kill_rec;

typedef struct run_result {
  bool pass;
  int workers;
  int nkills;
  kill_rec kills[SOAK_MAX_KILLS + 1];
  bool del_kill;
  double ready_s, recovery_s, delete_s;
  soak_reqstats prov, del;
  cJSON *baseline; /* calibration only: the normalized inventory at Ready (caller frees) */
  bool early;      /* deleted before it was Ready */
  char early_phase[300];
  char report[4096];
} run_result;

/* The kill-free calibration run's figures: kill points are drawn over its times and write counts, and every run's
 * inventory is compared with its baseline. */
typedef struct calib {
  double prov_s, del_s;
  int puts, deletes; /* ARM writes of a kill-free 1-worker run (write-triggered kills are drawn over them) */
  cJSON *baseline; /* normalized inventory of a 1-worker cluster */
  soak_reqstats prov;
} calib;

/* Set by SIGINT/SIGTERM: waits end early and the run is reported as interrupted. */
extern volatile sig_atomic_t soak_stop;

/* One run: apply the cluster, nk provisioning kills (kills_prov), one deletion kill when kdel is non-NULL;
 * early_s >= 0 deletes the Cluster that many seconds after the last restart, Ready or not. cal NULL = this is the
 * calibration run (res->baseline is then filled; the caller frees it). */
void soak_run_one(soak_env *e, const soak_opts *o, const char *cluster, int workers, const kill_plan *kills_prov,
                  int nk, const kill_plan *kdel, double early_s, const calib *cal, run_result *res);
void soak_print_run(int i, int runs, const char *cluster, const run_result *r);
/* The host log's warning/error lines (evidence for a failed run). */
void soak_print_host_errors(const char *log);

#endif
