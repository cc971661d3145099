/* soak_main.c — capz_soak: the crash-safety proof of issue #7. For each run: a self-managed cluster from CAPZ's
 * reference template is applied, capz-host is SIGKILLed at a random moment of provisioning (sometimes twice) and
 * restarted with the same config; the cluster must reach Ready with exactly the Azure resources of a kill-free run
 * (nothing created twice, no orphan NIC/disk, providerIDs naming existing VMs); then the Cluster is deleted (in
 * some runs with another kill) and nothing of it may be left in Azure. See bench/soak/README.md. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/json.h"
#include "capz/sdk.h"
#include "soak_run.h"

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


static void on_sigint(int s) {
  (void)s;
  soak_stop = 1;
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
    soak_run_one(&e, &o, "soak0", 1, NULL, 0, NULL, -1, NULL, &r0);
    soak_print_run(0, o.runs, "soak0 (calibration, no kill)", &r0);
    if (!r0.pass || !r0.baseline) {
      printf("capz_soak: the kill-free calibration run failed; nothing to compare with (logs in %s)\n", e.dir);
      soak_print_host_errors(e.host_log);
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
  for (int i = 1; i <= o.runs && !soak_stop; i++) {
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
    soak_run_one(&e, &o, cluster, workers, kp, nk, kdel ? &kdp : NULL, early, &cal, &r);
    soak_print_run(i, o.runs, cluster, &r);
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
      soak_print_host_errors(e.host_log);
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
  rc = failed || soak_stop ? 1 : 0;
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
