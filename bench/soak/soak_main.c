/* soak_main.c — capz_soak: the crash-safety proof of issue #7. For each run: a self-managed cluster from CAPZ's
 * reference template is applied, capz-host is SIGKILLed at a random moment of provisioning (sometimes twice) and
 * restarted with the same config; the cluster must reach Ready with exactly the Azure resources of a kill-free run
 * (nothing created twice, no orphan NIC/disk, providerIDs naming existing VMs); then the Cluster is deleted (in
 * some runs with another kill) and nothing of it may be left in Azure. See bench/soak/README.md. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capz/json.h"
#include "capz/sdk.h"
#include "soak.h"

/* splitmix64: small, seedable, the same sequence everywhere (a run is replayed from --seed and --only). */
typedef struct rng {
  uint64_t s;
} rng;
static uint64_t rnext(rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static double runif(rng *r) { return (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0); }

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

static volatile sig_atomic_t g_stop;
static void on_sigint(int s) {
  (void)s;
  g_stop = 1;
}

static void msleep(int64_t ms) {
  if (ms > 0) usleep((useconds_t)(ms * 1000));
}

/* Kill the host now: record what the CRs said and which ARM operations were in flight, then restart it. */
static void kill_and_restart(soak_env *e, const char *cluster, int want, bool deleting, kill_rec *k) {
  soak_state st;
  if (deleting) {
    cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
    cJSON *ac = k_get_azurecluster(e, cluster);
    snprintf(k->phase, sizeof k->phase, "deleting: %d AzureMachines left, AzureCluster %s", cJSON_GetArraySize(ams),
             ac ? "present" : "gone");
    k->after_done = !ac && cJSON_GetArraySize(ams) == 0;
    cJSON_Delete(ams);
    cJSON_Delete(ac);
  } else {
    soak_observe(e, cluster, want, &st);
    snprintf(k->phase, sizeof k->phase, "%s%s", st.detail, st.cluster_ready ? " (already Ready)" : "");
    k->after_done = st.cluster_ready;
  }
  double t = soak_wall();
  soak_host_kill(e);
  cJSON *inv = arm_inventory(e);
  char *fl = inv ? soak_inflight(inv) : NULL;
  snprintf(k->inflight, sizeof k->inflight, "%s", fl && *fl ? fl : "none");
  free(fl);
  cJSON_Delete(inv);
  cJSON *log = arm_log(e);
  char *w = log ? soak_last_writes(log, t, 2) : NULL;
  snprintf(k->writes, sizeof k->writes, "%s", w && *w ? w : "none");
  free(w);
  cJSON_Delete(log);
  soak_host_start(e, e->host_log);
}

static void print_host_errors(const char *log) {
  char cmd[700];
  snprintf(cmd, sizeof cmd,
           "grep -aiE 'level=(error|warn)|\\bERROR\\b|\\bWARN|fail|panic|AddressSanitizer' '%s' | tail -n 15 | "
           "sed 's/^/    host: /'",
           log);
  if (system(cmd) == -1) fprintf(stderr, "(cannot read %s)\n", log);
}

/* The ARM request log of a phase, kept in the work directory as evidence (arm-<cluster>-<phase>.json). */
static void save_json(soak_env *e, const char *cluster, const char *phase, const cJSON *j) {
  if (!j) return;
  char p[400];
  snprintf(p, sizeof p, "%s/arm-%s-%s.json", e->dir, cluster, phase);
  char *t = cJSON_Print(j);
  FILE *f = fopen(p, "w");
  if (f && t) fputs(t, f);
  if (f) fclose(f);
  free(t);
}

typedef struct calib {
  double prov_s, del_s;
  int puts, deletes; /* ARM writes of a kill-free 1-worker run (write-triggered kills are drawn over them) */
  cJSON *baseline; /* normalized inventory of a 1-worker cluster */
  soak_reqstats prov;
} calib;

/* ARM writes answered so far (the request log's per-method counter; the log is cleared per phase). */
static int arm_writes(soak_env *e, const char *method) {
  cJSON *j = sim_call(e->arm.url, "GET", "/_sim/requests?last=0", NULL, NULL);
  char ptr[32];
  snprintf(ptr, sizeof ptr, "/byMethod/%s", method);
  int n = (int)capz_json_ptr_int(j, ptr, 0);
  cJSON_Delete(j);
  return n;
}

/* While waiting for a kill: when provisioning (ready != NULL), notice the first moment the cluster is Ready, so
 * that time-to-Ready and recovery are not stretched by a kill still waiting to fire. */
typedef struct ready_watch {
  const char *cluster;
  int want;
  int64_t first_ready; /* 0 until seen */
  int64_t next_look;
} ready_watch;

static void watch_ready(soak_env *e, ready_watch *w) {
  if (!w || w->first_ready || soak_now_ms() < w->next_look) return;
  w->next_look = soak_now_ms() + 200;
  soak_state st;
  soak_observe(e, w->cluster, w->want, &st);
  if (st.cluster_ready) w->first_ready = soak_now_ms();
}

/* Sleep until the plan's moment: its time, or its number of further writes of `method` (deadline at_s). */
static void wait_for_kill(soak_env *e, const kill_plan *kp, int64_t since, const char *method, kill_rec *kr,
                          ready_watch *w) {
  int64_t deadline = since + (int64_t)(kp->at_s * 1000);
  if (kp->writes <= 0) {
    while (soak_now_ms() < deadline && !g_stop) {
      watch_ready(e, w);
      msleep(20);
    }
    snprintf(kr->trigger, sizeof kr->trigger, "at a random time");
    return;
  }
  int base = arm_writes(e, method), now = base;
  while (!g_stop && soak_now_ms() < deadline && (now = arm_writes(e, method)) - base < kp->writes) {
    watch_ready(e, w);
    msleep(15);
  }
  if (now - base >= kp->writes)
    snprintf(kr->trigger, sizeof kr->trigger, "right after %s #%d", method, kp->writes);
  else
    snprintf(kr->trigger, sizeof kr->trigger, "at the deadline (only %d of %d %ss)", now - base, kp->writes, method);
}

/* One run: nk provisioning kills, and one deletion kill when kdel is non-NULL. early_s >= 0: the Cluster is
 * deleted that many seconds after the last restart, whether or not it is Ready (a delete racing provisioning). */
static void run_one(soak_env *e, const soak_opts *o, const char *cluster, int workers, const kill_plan *kills_prov,
                    int nk, const kill_plan *kdel, double early_s, const calib *cal, run_result *res) {
  memset(res, 0, sizeof *res);
  res->workers = workers;
  int want = 1 + workers;
  char log[400];
  snprintf(log, sizeof log, "%s/host-%s.log", e->dir, cluster);
  if (arm_reset(e) != 0 || arm_preexisting(e) != 0) {
    soak_appendf(res->report, sizeof res->report, " [capz-arm-sim: reset or pre-existing resources failed]");
    return;
  }
  arm_log_clear(e);
  double est_prov = cal ? cal->prov_s : 60, est_del = cal ? cal->del_s : 60;
  int64_t prov_timeout = (int64_t)((est_prov * 6 + 60) * 1000 * o->timeout_scale);
  int64_t del_timeout = (int64_t)((est_del * 6 + 60) * 1000 * o->timeout_scale);

  if (soak_host_start(e, log) != 0) {
    soak_appendf(res->report, sizeof res->report, " [capz-host did not start]");
    return;
  }
  int64_t t0 = soak_now_ms();
  char msg[512];
  if (soak_apply_cluster(e, cluster, workers, msg, sizeof msg) != 0) {
    soak_appendf(res->report, sizeof res->report, " [apply: %s]", msg);
    return;
  }
  /* provisioning, with kills */
  int64_t since = t0, last_restart = t0, recover_from = -1;
  ready_watch rw = {.cluster = cluster, .want = want};
  for (int k = 0; k < nk && !g_stop; k++) {
    wait_for_kill(e, &kills_prov[k], since, "PUT", &res->kills[k], early_s < 0 ? &rw : NULL);
    res->kills[k].at_s = (double)(soak_now_ms() - since) / 1000;
    kill_and_restart(e, cluster, want, false, &res->kills[k]);
    res->nkills++;
    since = last_restart = soak_now_ms();
    if (!res->kills[k].after_done) recover_from = last_restart;
  }
  soak_state st;
  for (;;) {
    soak_observe(e, cluster, want, &st);
    if (st.cluster_ready || st.terminal || g_stop) break;
    if (early_s >= 0 && soak_now_ms() - last_restart >= (int64_t)(early_s * 1000)) break;
    if (soak_now_ms() - last_restart > prov_timeout) break;
    if (!soak_host_alive(e)) {
      soak_appendf(res->report, sizeof res->report, " [capz-host exited on its own]");
      break;
    }
    msleep(100);
  }
  int64_t t_ready = rw.first_ready && st.cluster_ready && rw.first_ready >= recover_from ? rw.first_ready : soak_now_ms();
  res->ready_s = (double)(t_ready - t0) / 1000;
  /* recovery: from the restart after the last kill that interrupted provisioning (-1: every kill came after Ready) */
  res->recovery_s = recover_from < 0 ? -1 : (double)(t_ready - recover_from) / 1000;
  cJSON *plog = arm_log(e);
  if (plog) soak_reqstats_of(plog, &res->prov);
  save_json(e, cluster, "provision", plog);
  cJSON_Delete(plog);
  bool early = early_s >= 0 && !st.cluster_ready && !st.terminal && !g_stop;
  if (early) {
    res->early = true;
    res->recovery_s = -1;
    snprintf(res->early_phase, sizeof res->early_phase, "%s", st.detail);
    /* what provisioning did so far must still hold: nothing created twice, nothing deleted */
    if (res->prov.dup_creates)
      soak_appendf(res->report, sizeof res->report, " [created twice:%s]", res->prov.dup_detail);
    if (res->prov.deletes_ok)
      soak_appendf(res->report, sizeof res->report, " [%d DELETEs while provisioning]", res->prov.deletes_ok);
  } else if (!st.cluster_ready) {
    soak_appendf(res->report, sizeof res->report, " [not Ready %.0f s after the last restart: %s]",
                 (double)(t_ready - last_restart) / 1000, st.detail);
    cJSON *inv = arm_inventory(e);
    char *fl = inv ? soak_inflight(inv) : NULL;
    soak_appendf(res->report, sizeof res->report, " [%d resources; unfinished: %s]", cJSON_GetArraySize(inv),
                 fl && *fl ? fl : "none");
    free(fl);
    cJSON_Delete(inv);
    return;
  }
  if (!cal) { /* calibration: this inventory is what every run is compared with */
    cJSON *inv = arm_inventory(e);
    cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
    if (inv) res->baseline = soak_normalize(inv, cluster, ams);
    cJSON_Delete(inv);
    cJSON_Delete(ams);
  }
  int bad = 0;
  if (early) {
    bad = res->report[0] ? 1 : 0;
  } else {
    cJSON *expected = cal && cal->baseline ? soak_expected(cal->baseline, workers) : NULL;
    bad = soak_check_ready(e, cluster, expected, &res->prov, res->report, sizeof res->report);
    cJSON_Delete(expected);
  }

  /* deletion, maybe with a kill */
  arm_log_clear(e);
  int64_t td = soak_now_ms();
  if (soak_delete_cluster(e, cluster, msg, sizeof msg) != 0) {
    soak_appendf(res->report, sizeof res->report, " [%s]", msg);
    return;
  }
  int64_t dl_restart = td;
  if (kdel) {
    kill_rec *kr = &res->kills[res->nkills];
    wait_for_kill(e, kdel, td, "DELETE", kr, NULL);
    kr->at_s = (double)(soak_now_ms() - td) / 1000;
    kill_and_restart(e, cluster, want, true, kr);
    res->del_kill = true;
    dl_restart = soak_now_ms();
  }
  bool gone = false;
  while (!g_stop && soak_now_ms() - dl_restart < del_timeout) {
    cJSON *ams = k_list_labelled(e, "infrastructure.cluster.x-k8s.io", "AzureMachine", cluster);
    cJSON *ac = k_get_azurecluster(e, cluster);
    gone = !ac && cJSON_GetArraySize(ams) == 0 && !k_cluster_exists(e, cluster);
    cJSON_Delete(ams);
    cJSON_Delete(ac);
    if (gone) break;
    msleep(100);
  }
  res->delete_s = (double)(soak_now_ms() - td) / 1000;
  cJSON *dlog = arm_log(e);
  if (dlog) soak_reqstats_of(dlog, &res->del);
  save_json(e, cluster, "delete", dlog);
  cJSON_Delete(dlog);
  if (!gone) {
    soak_appendf(res->report, sizeof res->report, " [Cluster objects still there %.0f s after the delete]",
                 res->delete_s);
    bad++;
  }
  bad += soak_check_gone(e, cluster, res->report, sizeof res->report);
  int hs = soak_host_stop(e);
  if (!(hs >= 0 && WIFEXITED(hs) && WEXITSTATUS(hs) == 0))
    fprintf(stderr, "soak: note: capz-host did not stop cleanly on SIGTERM (status 0x%x; log %s)\n", hs, log);
  res->pass = bad == 0;
}

static void print_run(int i, int runs, const char *cluster, const run_result *r) {
  char rec[64] = "no kill before Ready";
  if (r->recovery_s >= 0) snprintf(rec, sizeof rec, "recovery %.1fs after the restart", r->recovery_s);
  if (r->early)
    printf("run %d/%d %s workers=%d %s  Cluster deleted %.1fs after apply, before Ready [%s]; deleted in %.1fs\n", i,
           runs, cluster, r->workers, r->pass ? "PASS" : "FAIL", r->ready_s, r->early_phase, r->delete_s);
  else
    printf("run %d/%d %s workers=%d %s  ready %.1fs (%s), deleted in %.1fs\n", i, runs, cluster, r->workers,
           r->pass ? "PASS" : "FAIL", r->ready_s, rec, r->delete_s);
  for (int k = 0; k < r->nkills + (r->del_kill ? 1 : 0); k++) {
    const kill_rec *kr = &r->kills[k];
    bool del = k == r->nkills;
    printf("  kill %d @%.2fs after %s, %s  [%s]\n    in flight: %s\n    last ARM writes: %s\n", k + 1, kr->at_s,
           del ? "the delete request" : k == 0 ? "apply" : "the previous restart", kr->trigger, kr->phase,
           kr->inflight, kr->writes);
  }
  printf("  ARM provisioning: %d requests (PUT %d: %d creates, %d updates, %d created twice; GET %d; 409 %d; "
         "DELETE %d)\n",
         r->prov.total, r->prov.puts, r->prov.creates, r->prov.put_updates, r->prov.dup_creates, r->prov.gets,
         r->prov.conflicts, r->prov.deletes_ok);
  printf("  ARM deletion: %d requests (DELETE %d, GET %d, PUT %d)\n", r->del.total, r->del.deletes, r->del.gets,
         r->del.puts);
  if (r->report[0]) printf("  problems:%s\n", r->report);
  fflush(stdout);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct series {
  double v[1024];
  int n;
} series;
static void series_add(series *s, double x) {
  if (s->n < 1024) s->v[s->n++] = x;
}
static double series_p50(series *s) {
  if (!s->n) return 0;
  qsort(s->v, (size_t)s->n, sizeof s->v[0], cmp_d);
  return s->v[(s->n - 1) / 2];
}
static double series_max(series *s) {
  double m = 0;
  for (int i = 0; i < s->n; i++) m = s->v[i] > m ? s->v[i] : m;
  return m;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: capz_soak [--runs R] [--seed S] [--only N] [--workers 0|1|2] [--lro SECONDS]\n"
          "                 [--double-kill PCT] [--delete-kill PCT] [--write-kill PCT] [--early-delete PCT]\n"
          "                 [--kills N] [--timeout-scale X]\n"
          "                 [-v N] [--keep]\n"
          "                 [--template FILE] [--prov-seconds P --del-seconds D]\n"
          "SIGKILLs capz-host at random points while a self-managed cluster is provisioned (and deleted), restarts\n"
          "it, and checks convergence with no duplicate Azure resources and no orphans. Exit 1 on any failure.\n"
          "Defaults: --runs 20, random seed (printed), --workers 0 (1 or 2 per run), --lro 1, --double-kill 30,\n"
          "--delete-kill 40, --write-kill 50 (share of kills fired right after the n-th ARM write instead of at a\n"
          "random time), --early-delete 20 (share of runs whose Cluster is deleted while still provisioning, after\n"
          "one kill), --kills 0 (1 or 2 kills while provisioning per --double-kill; N > 2: N kills per run, up to 8). Needs CAPZ_BUILD_DIR (capz-host, emulators, plugins/selfmanaged.so) and the CRDs of\n"
          "CAPZ_SOURCE_DIR; both default to the tree this program was built from.\n"
          "A kill-free calibration run first measures provisioning/deletion times (kill points are drawn over them)\n"
          "and the inventory every run must match; --prov-seconds skips it (structural checks only: one VM and NIC\n"
          "per machine, NICs/disks attached, nothing created twice, providerIDs, no orphans).\n");
}

int main(int argc, char **argv) {
  soak_opts o = {.runs = 20, .workers = 0, .lro = 1.0, .double_kill_pct = 30, .delete_kill_pct = 40, .write_kill_pct = 50,
                 .early_delete_pct = 20,
                 .timeout_scale = 1.0, .verbosity = 2};
  bool have_seed = false;
  static const struct option lo[] = {{"runs", 1, 0, 'r'},         {"seed", 1, 0, 's'},
                                     {"only", 1, 0, 'o'},         {"workers", 1, 0, 'w'},
                                     {"lro", 1, 0, 'l'},          {"double-kill", 1, 0, 'D'},
                                     {"delete-kill", 1, 0, 'K'},  {"timeout-scale", 1, 0, 'T'},
                                     {"keep", 0, 0, 'k'},         {"template", 1, 0, 't'},
                                     {"prov-seconds", 1, 0, 'P'}, {"del-seconds", 1, 0, 'E'},
                                     {"write-kill", 1, 0, 'W'},   {"early-delete", 1, 0, 'Y'},
                                     {"kills", 1, 0, 'N'},
                                     {"help", 0, 0, 'h'},         {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "v:h", lo, NULL)) != -1) {
    switch (c) {
    case 'r': o.runs = atoi(optarg); break;
    case 's': o.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
    case 'o': o.only = atoi(optarg); break;
    case 'w': o.workers = atoi(optarg); break;
    case 'l': o.lro = atof(optarg); break;
    case 'D': o.double_kill_pct = atoi(optarg); break;
    case 'K': o.delete_kill_pct = atoi(optarg); break;
    case 'T': o.timeout_scale = atof(optarg); break;
    case 'v': o.verbosity = atoi(optarg); break;
    case 'k': o.keep = true; break;
    case 't': o.template_path = optarg; break;
    case 'P': o.prov_s = atof(optarg); break;
    case 'W': o.write_kill_pct = atoi(optarg); break;
    case 'Y': o.early_delete_pct = atoi(optarg); break;
    case 'N': o.kills = atoi(optarg); break;
    case 'E': o.del_s = atof(optarg); break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (o.runs < 1 || o.kills < 0 || o.kills > SOAK_MAX_KILLS || o.workers < 0 || o.workers > 2 || o.lro < 0 || o.timeout_scale <= 0 || optind != argc) {
    usage(stderr);
    return 2;
  }
  if (!have_seed) o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
  /* defaults: the tree this was built from */
  setenv("CAPZ_BUILD_DIR", SOAK_BUILD_DIR, 0);
  setenv("CAPZ_SOURCE_DIR", SOAK_SOURCE_DIR, 0);
  static char tpl[700];
  if (!o.template_path) {
    const char *sh = getenv("CAPZ_SHARED_DIR") ? getenv("CAPZ_SHARED_DIR") : SOAK_SHARED_DIR;
    snprintf(tpl, sizeof tpl, "%s/reference/templates/cluster-template.yaml", sh);
    o.template_path = tpl;
  }
  signal(SIGINT, on_sigint);
  signal(SIGTERM, on_sigint);
  signal(SIGPIPE, SIG_IGN);
  if (capz_sdk_global_init(NULL) != 0) return 1;

  printf("capz_soak: seed=%llu runs=%d workers=%s lro=%.2fs double-kill=%d%% delete-kill=%d%% write-kill=%d%% "
         "early-delete=%d%%\n",
         (unsigned long long)o.seed, o.runs, o.workers ? (o.workers == 1 ? "1" : "2") : "1-2", o.lro,
         o.double_kill_pct, o.delete_kill_pct, o.write_kill_pct, o.early_delete_pct);
  printf("  replay: capz_soak --seed %llu --runs %d --workers %d --lro %g --double-kill %d --delete-kill %d "
         "--write-kill %d --early-delete %d --kills %d%s\n",
         (unsigned long long)o.seed, o.runs, o.workers, o.lro, o.double_kill_pct, o.delete_kill_pct,
         o.write_kill_pct, o.early_delete_pct, o.kills, o.prov_s > 0 ? " --prov-seconds/--del-seconds as given" : "");
  fflush(stdout);

  soak_env e;
  memset(&e, 0, sizeof e);
  int rc = 1;
  if (soak_env_up(&e, &o) != 0) {
    fprintf(stderr, "capz_soak: environment did not come up (logs in %s)\n", e.dir);
    soak_env_down(&e);
    capz_sdk_global_cleanup();
    return 1;
  }
  printf("  work dir %s (host config, logs)\n", e.dir);

  /* calibration: a kill-free run gives the provisioning/deletion times the kill points are drawn over and the
   * inventory every run is compared with */
  calib cal = {0};
  if (o.prov_s > 0) {
    cal.prov_s = o.prov_s;
    cal.del_s = o.del_s > 0 ? o.del_s : o.prov_s / 2;
    cal.puts = cal.deletes = 12; /* a 1-worker cluster makes ~15 of each; no calibration to count them */
    printf("  no calibration: kill points over %.1fs / %.1fs, structural checks only\n", cal.prov_s, cal.del_s);
  } else {
    run_result r0;
    run_one(&e, &o, "soak0", 1, NULL, 0, NULL, -1, NULL, &r0);
    print_run(0, o.runs, "soak0 (calibration, no kill)", &r0);
    if (!r0.pass || !r0.baseline) {
      printf("capz_soak: the kill-free calibration run failed; nothing to compare with (logs in %s)\n", e.dir);
      print_host_errors(e.host_log);
      cJSON_Delete(r0.baseline);
      soak_env_down(&e);
      capz_sdk_global_cleanup();
      return 1;
    }
    cal.prov_s = r0.ready_s;
    cal.del_s = r0.delete_s;
    cal.prov = r0.prov;
    cal.puts = r0.prov.puts > 0 ? r0.prov.puts : 1;
    cal.deletes = r0.del.deletes > 0 ? r0.del.deletes : 1;
    cal.baseline = r0.baseline;
    printf("  calibration: provisioning %.1fs, deletion %.1fs, %d resources; kill points are drawn over these\n",
           cal.prov_s, cal.del_s, cJSON_GetArraySize(cal.baseline));
  }
  fflush(stdout);

  int passed = 0, failed = 0, nkills = 0, ndkills = 0, inflight = 0, late = 0, dup_total = 0;
  int ph_net = 0, ph_mach = 0, ph_del = 0, on_write = 0, n_early = 0;
  series rec = {0}, ready = {0}, del = {0}, preq = {0}, dreq = {0};
  for (int i = 1; i <= o.runs && !g_stop; i++) {
    rng rg = {o.seed ^ ((uint64_t)i * 0xD1B54A32D192ED03ULL)};
    int workers = o.workers ? o.workers : 1 + (int)(rnext(&rg) % 2);
    kill_plan kp[SOAK_MAX_KILLS], kdp = {0, 0};
    memset(kp, 0, sizeof kp);
    int nk = 1 + (runif(&rg) * 100 < o.double_kill_pct ? 1 : 0);
    /* the first kill over the whole provisioning time, a second one over what is left of it after the first */
    kp[0].at_s = (0.05 + 0.95 * runif(&rg)) * cal.prov_s;
    kp[1].at_s = (0.05 + 0.95 * runif(&rg)) * (cal.prov_s - kp[0].at_s > 2 ? cal.prov_s - kp[0].at_s : 2);
    bool kdel = runif(&rg) * 100 < o.delete_kill_pct;
    kdp.at_s = (0.05 + 0.95 * runif(&rg)) * cal.del_s;
    /* some kills instead land right after the n-th write, n uniform over the writes a kill-free run makes */
    if (runif(&rg) * 100 < o.write_kill_pct) kp[0].writes = 1 + (int)(rnext(&rg) % (uint64_t)cal.puts);
    if (runif(&rg) * 100 < o.write_kill_pct) { /* over the writes left after the first kill */
      int left = kp[0].writes ? cal.puts - kp[0].writes : (int)(cal.puts * (1 - kp[0].at_s / cal.prov_s));
      kp[1].writes = 1 + (int)(rnext(&rg) % (uint64_t)(left > 1 ? left : 1));
    }
    if (runif(&rg) * 100 < o.write_kill_pct) kdp.writes = 1 + (int)(rnext(&rg) % (uint64_t)cal.deletes);
    double first_at = kp[0].at_s;
    /* a write-triggered kill whose write never comes (the restarted host had less to do) fires at a deadline */
    for (int k = 0; k < 2; k++)
      if (kp[k].writes) kp[k].at_s = cal.prov_s;
    if (kdp.writes) kdp.at_s = cal.del_s;
    /* some runs delete the Cluster while it is still being provisioned: over what is left after the kills */
    double early = -1;
    if (runif(&rg) * 100 < o.early_delete_pct) {
      nk = 1;
      kp[0].writes = 0; /* a time kill, then the delete somewhere in the rest of provisioning */
      kp[0].at_s = first_at;
      early = (0.1 + 0.8 * runif(&rg)) * (cal.prov_s - kp[0].at_s > 2 ? cal.prov_s - kp[0].at_s : 2);
    }
    if (o.kills > 2 && early < 0) { /* --kills N: the rest spread over provisioning, each over ~1/N of it */
      nk = o.kills;
      for (int k = 2; k < nk; k++) {
        kp[k].at_s = (0.05 + 0.95 * runif(&rg)) * (cal.prov_s / nk > 1.5 ? cal.prov_s / nk : 1.5);
        if (runif(&rg) * 100 < o.write_kill_pct) /* the n-th write or the drawn time, whichever comes first */
          kp[k].writes = 1 + (int)(rnext(&rg) % (uint64_t)(cal.puts / nk > 1 ? cal.puts / nk : 1));
      }
    }
    if (o.only && i != o.only) continue;
    char cluster[32];
    snprintf(cluster, sizeof cluster, "soak%d", i);
    run_result r;
    run_one(&e, &o, cluster, workers, kp, nk, kdel ? &kdp : NULL, early, &cal, &r);
    print_run(i, o.runs, cluster, &r);
    nkills += r.nkills;
    ndkills += r.del_kill;
    for (int k = 0; k < r.nkills + (r.del_kill ? 1 : 0); k++) {
      const kill_rec *kr = &r.kills[k];
      if (strcmp(kr->inflight, "none")) inflight++;
      if (kr->after_done) late++;
      else if (!strncmp(kr->phase, "deleting", 8)) ph_del++;
      else if (!strncmp(kr->phase, "network ready", 13)) ph_mach++;
      else ph_net++;
      if (!strncmp(kr->trigger, "right after", 11)) on_write++;
    }
    dup_total += r.prov.dup_creates;
    if (r.pass) {
      passed++;
      if (r.recovery_s >= 0) series_add(&rec, r.recovery_s);
      if (!r.early) series_add(&ready, r.ready_s);
      n_early += r.early;
      series_add(&del, r.delete_s);
      series_add(&preq, r.prov.total);
      series_add(&dreq, r.del.total);
    } else {
      failed++;
      printf("  evidence: seed=%llu run=%d (replay: --seed %llu --only %d), host log %s\n",
             (unsigned long long)o.seed, i, (unsigned long long)o.seed, i, e.host_log);
      print_host_errors(e.host_log);
      /* a fresh environment for the next run, so one failure does not cascade */
      soak_env_down(&e);
      if (soak_env_up(&e, &o) != 0) {
        printf("capz_soak: environment did not come back; stopping\n");
        break;
      }
    }
  }
  printf("summary: seed=%llu runs %d passed %d failed (%d of the passed deleted while still provisioning)\n",
         (unsigned long long)o.seed, passed, failed, n_early);
  printf("  kills %d while provisioning + %d while deleting (%d right after an ARM write, the rest at random "
         "times); %d with an ARM operation in flight\n",
         nkills, ndkills, on_write, inflight);
  printf("  killed while: building the network %d, creating machines %d, deleting %d; after the cluster was "
         "already Ready/gone %d\n",
         ph_net, ph_mach, ph_del, late);
  printf("  recovery (restart -> Ready) p50 %.1fs max %.1fs over %d runs; apply -> Ready p50 %.1fs max %.1fs "
         "(kill-free %.1fs); delete p50 %.1fs max %.1fs\n",
         series_p50(&rec), series_max(&rec), rec.n, series_p50(&ready), series_max(&ready), cal.prov_s,
         series_p50(&del), series_max(&del));
  printf("  ARM requests per provisioning p50 %.0f max %.0f (kill-free %d); per deletion p50 %.0f max %.0f; "
         "resources created twice %d\n",
         series_p50(&preq), series_max(&preq), cal.prov.total, series_p50(&dreq), series_max(&dreq), dup_total);
  rc = failed || g_stop ? 1 : 0;
  cJSON_Delete(cal.baseline);
  soak_env_down(&e);
  if (rc == 0 && !o.keep) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e.dir);
    if (system(cmd) != 0) fprintf(stderr, "capz_soak: could not remove %s\n", e.dir);
  } else {
    printf("  logs kept in %s\n", e.dir);
  }
  capz_sdk_global_cleanup();
  return rc;
}
