/* sm_main.c — selfmanaged_scale_bench: N self-managed clusters from CAPZ's reference cluster-template.yaml through
 * the real capz-host + selfmanaged plugin against capz-kube-sim, capz-capi-sim and a throttled capz-arm-sim.
 * Phases: create → all AzureClusters and AzureMachines Ready; settle; steady window; drift window; delete.
 * Reports convergence times against ARM's write-bucket bound, ARM calls by verb and type per cluster and per
 * machine (429s included), reconciles and reconcile latency from the host's /metrics, host RSS per object.
 * See README.md. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capz/sdk.h"
#include "sm_scale.h"

typedef struct opts {
  int clusters, workers, threads;
  double steady_s, settle_s, drift_window, timeout_s, poll_s;
  bool do_delete;
  sm_stack_opts st;
  const char *template_path;
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: selfmanaged_scale_bench [--clusters N(100)] [--workers M(2)] [--steady S(60)] [--settle S(10)]\n"
          "         [--drift-interval S(600)] [--sync-period S(host default 600)] [--drift-window] [--delete] [--host-workers W(10)] [--threads T(4)]\n"
          "         [--lro-default S(2)] [--lro-vm S(10)] [--lro-lb S(3)] [--retry-after S(2)] [--poll-interval S(1)]\n"
          "         [--kube-qps Q(200)] [--kube-burst B(400)] [--timeout S(7200)] [--dir DIR] [-v N]\n"
          "         [--build DIR] [--source DIR] [--template FILE]\n"
          "Binaries from --build (default $CAPZ_BUILD_DIR); CRDs from --source (default $CAPZ_SOURCE_DIR or .);\n"
          "template default $CAPZ_SHARED_DIR/reference/templates/cluster-template.yaml (/work/shared if unset).\n");
}

static int parse_opts(int argc, char **argv, opts *o) {
  *o = (opts){.clusters = 100, .workers = 2, .threads = 4, .steady_s = 60, .settle_s = 10, .timeout_s = 7200,
              .poll_s = 1,
              .st = {.lro_default = 2, .lro_vm = 10, .lro_lb = 3, .retry_after = 2, .kube_qps = 200, .kube_burst = 400,
                     .host_workers = 10, .verbosity = 1, .drift_interval_s = 600, .poll_interval_s = 1}};
  o->st.build = getenv("CAPZ_BUILD_DIR");
  o->st.source = getenv("CAPZ_SOURCE_DIR");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(flag, stmt) \
  if (strcmp(a, flag) == 0 && v) { stmt; i++; continue; }
    OPT("--clusters", o->clusters = atoi(v))
    OPT("--workers", o->workers = atoi(v))
    OPT("--threads", o->threads = atoi(v))
    OPT("--host-workers", o->st.host_workers = atoi(v))
    OPT("--kube-burst", o->st.kube_burst = atoi(v))
    OPT("-v", o->st.verbosity = atoi(v))
    OPT("--steady", o->steady_s = atof(v))
    OPT("--settle", o->settle_s = atof(v))
    OPT("--timeout", o->timeout_s = atof(v))
    OPT("--drift-interval", o->st.drift_interval_s = atof(v))
    OPT("--poll-interval", o->st.poll_interval_s = atof(v))
    OPT("--sync-period", o->st.sync_period_s = atof(v))
    OPT("--lro-default", o->st.lro_default = atof(v))
    OPT("--lro-vm", o->st.lro_vm = atof(v))
    OPT("--lro-lb", o->st.lro_lb = atof(v))
    OPT("--retry-after", o->st.retry_after = atof(v))
    OPT("--kube-qps", o->st.kube_qps = atof(v))
    OPT("--build", o->st.build = v)
    OPT("--source", o->st.source = v)
    OPT("--template", o->template_path = v)
    OPT("--dir", o->st.dir = v)
#undef OPT
    if (strcmp(a, "--delete") == 0) { o->do_delete = true; continue; }
    if (strcmp(a, "--drift-window") == 0) { o->drift_window = 1; continue; }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); exit(0); }
    usage(stderr);
    return -1;
  }
  if (o->clusters < 1 || o->clusters > 99999 || o->workers < 0 || o->workers > 100 || o->threads < 1 ||
      o->threads > 64 || o->st.host_workers < 1 || o->st.drift_interval_s < 1) {
    fprintf(stderr, "sm_scale: out-of-range option\n");
    return -1;
  }
  if (!o->st.build || !*o->st.build) o->st.build = ".";
  if (!o->st.source || !*o->st.source) o->st.source = ".";
  return 0;
}

/* ---- create / delete with T client threads ---- */
typedef struct job {
  const opts *o;
  sm_stack *s;
  const char *tmpl;
  double t0, *stamp; /* per cluster: when its objects were created / its Cluster deleted */
  atomic_int next, failed;
  bool deleting;
} job;

static const capz_gvk GVK_CLUSTER = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};

static void *job_worker(void *arg) {
  job *j = arg;
  for (;;) {
    int i = atomic_fetch_add(&j->next, 1);
    if (i >= j->o->clusters) break;
    char name[32], msg[512] = "";
    sm_cluster_name(i, name, sizeof name);
    int rc;
    if (j->deleting) {
      capz_err err;
      rc = capz_kube_delete(j->s->c, &GVK_CLUSTER, BENCH_NS, name, NULL, &err);
      if (rc == CAPZ_ENOTFOUND) rc = 0;
      if (rc) snprintf(msg, sizeof msg, "%s", err.msg);
    } else {
      cJSON *docs = sm_render_cluster(j->tmpl, name, j->o->workers, msg, sizeof msg);
      rc = docs ? sm_create_docs(j->s->c, docs, msg, sizeof msg) : -1;
      cJSON_Delete(docs);
    }
    j->stamp[i] = bench_now() - j->t0;
    if (rc) {
      fprintf(stderr, "sm_scale: %s: %s\n", name, msg);
      atomic_fetch_add(&j->failed, 1);
    }
  }
  return NULL;
}

static void run_threads(int n, job *j) {
  pthread_t th[64];
  int started = 0;
  for (int i = 0; i < n; i++)
    if (pthread_create(&th[i], NULL, job_worker, j) == 0) started++;
  if (!started) job_worker(j);
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
}

/* Seconds a bucket of `burst` refilled at `rate`/s needs to admit n requests. */
static double bucket_bound(double n, double burst, double rate) { return n > burst ? (n - burst) / rate : 0; }

/* Per cluster: from stamp[i] to when its AzureCluster and every AzureMachine was Ready (deleted: gone). */
static smw_obj *per_cluster(smw *w, const double *stamp, int machines_each, bool deleted) {
  smw_obj *v = calloc((size_t)w->n_clusters, sizeof *v);
  int *seen = calloc((size_t)w->n_clusters, sizeof *seen);
  if (!v || !seen) {
    free(v);
    free(seen);
    return NULL;
  }
  pthread_mutex_lock(&w->mu);
  for (int i = 0; i < w->n_clusters; i++) {
    snprintf(v[i].name, sizeof v[i].name, "%s", w->clusters[i].name);
    v[i].created = stamp[i];
    v[i].ready = v[i].deleted = deleted ? w->clusters[i].deleted : w->clusters[i].ready;
  }
  for (size_t k = 0; k < w->mcap; k++) {
    const smw_obj *m = &w->machines[k];
    if (!m->name[0] || m->cluster < 0 || m->cluster >= w->n_clusters) continue;
    smw_obj *c = &v[m->cluster];
    double t = deleted ? m->deleted : m->ready;
    seen[m->cluster]++;
    if (t < 0 || c->ready < 0) c->ready = c->deleted = -1;
    else if (t > c->ready) c->ready = c->deleted = t;
  }
  pthread_mutex_unlock(&w->mu);
  for (int i = 0; i < w->n_clusters; i++)
    if (seen[i] < machines_each) v[i].ready = v[i].deleted = -1;
  free(seen);
  return v;
}

static void progress(const char *phase, sm_stack *s, smw *w, double t, int machines_total) {
  cJSON *c = bench_arm_counters(s->arm_url);
  char *m = sm_host_metrics(s);
  long rss, hwm;
  bproc_mem_kb(s->host.pid, &rss, &hwm);
  pthread_mutex_lock(&w->mu);
  int cr = w->cluster_ready, mr = w->machines_ready, cg = w->cluster_gone, mg = w->machines_gone;
  size_t mc = w->mcount;
  pthread_mutex_unlock(&w->mu);
  fprintf(stderr,
          "[%s %7.1f s] AzureCluster ready %d (gone %d), AzureMachine %zu seen / %d ready of %d (gone %d); ARM %.0f "
          "(writes %.0f, 429 %.0f), ARM resources %d; host queue %.0f, reconciles %.0f, RSS %.1f MiB\n",
          phase, t, cr, cg, mc, mr, machines_total, mg, bench_num(c, "total"), c ? bench_arm_writes(c) : 0,
          bench_num(cJSON_GetObjectItemCaseSensitive(c, "byStatus"), "429"), sm_arm_resources(s),
          bench_prom_sum(m, "workqueue_depth", NULL), bench_prom_sum(m, "controller_runtime_reconcile_total", NULL), rss / 1024.0);
  cJSON_Delete(c);
  free(m);
}

/* A quiet window: ARM requests and reconciles over `secs`, printed; returns the writes (+deletes) and reads. */
static void window(const char *title, sm_stack *s, double secs, double *writes, double *reads) {
  cJSON *a = bench_arm_counters(s->arm_url);
  char *m0 = sm_host_metrics(s);
  bench_sleep(secs);
  cJSON *b = bench_arm_counters(s->arm_url);
  char *m1 = sm_host_metrics(s);
  cJSON *d = bench_delta(a, b);
  *writes = bench_arm_writes(d) + bench_arm_deletes(d);
  *reads = bench_arm_reads(d);
  printf("\n== %s (%.0f s): %.0f ARM requests (reads %.0f, writes %.0f, deletes %.0f, 429 %.0f), %.0f reconciles\n",
         title, secs, bench_num(d, "total"), *reads, bench_arm_writes(d), bench_arm_deletes(d),
         bench_num(cJSON_GetObjectItemCaseSensitive(d, "byStatus"), "429"),
         bench_prom_sum(m1, "controller_runtime_reconcile_total", NULL) - bench_prom_sum(m0, "controller_runtime_reconcile_total", NULL));
  if (bench_num(d, "total") > 0) bench_print_counters("  requests", d, 0, 0);
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(d);
  free(m0);
  free(m1);
}

int main(int argc, char **argv) {
  opts o;
  if (parse_opts(argc, argv, &o)) return 2;
  char dirbuf[512], tpath[1024];
  if (!o.st.dir) {
    snprintf(dirbuf, sizeof dirbuf, "/tmp/selfmanaged_scale-%d", (int)getpid());
    o.st.dir = dirbuf;
  }
  mkdir(o.st.dir, 0755);
  if (!o.template_path) {
    const char *shared = getenv("CAPZ_SHARED_DIR");
    snprintf(tpath, sizeof tpath, "%s/reference/templates/cluster-template.yaml", shared && *shared ? shared : "/work/shared");
    if (access(tpath, R_OK) != 0) snprintf(tpath, sizeof tpath, "%s/templates/cluster-template.yaml", o.st.source);
    o.template_path = tpath;
  }
  char *tmpl = bench_slurp(o.template_path);
  if (!tmpl) {
    fprintf(stderr, "sm_scale: cannot read template %s\n", o.template_path);
    return 1;
  }
  capz_err err;
  if (capz_sdk_global_init(&err)) {
    fprintf(stderr, "sm_scale: %s\n", err.msg);
    free(tmpl);
    return 1;
  }
  const int N = o.clusters, per = 1 + o.workers, MT = N * per;
  sm_stack s;
  memset(&s, 0, sizeof s);
  smw w;
  memset(&w, 0, sizeof w);
  int rc = 1;
  double *applied = calloc((size_t)N, sizeof *applied), *deleted_at = calloc((size_t)N, sizeof *deleted_at);
  cJSON *c0 = NULL, *c1 = NULL, *create = NULL;
  char *m1 = NULL;
  long idle_kb = 0;
  if (!applied || !deleted_at) goto out;

  printf("selfmanaged_scale_bench: %d clusters x (1 control plane + %d workers) = %d AzureMachines; host workers %d, "
         "kube qps %g/burst %d; %d client threads\n",
         N, o.workers, MT, o.st.host_workers, o.st.kube_qps, o.st.kube_burst, o.threads);
  printf("ARM emulator: throttling on at ARM's limits (writes 200 + 10/s, reads 250 + 25/s, deletes 200 + 10/s per "
         "principal, x15 global; Compute per-VM/per-subscription policies); LRO VM %gs, LB %gs, others %gs, "
         "Retry-After %gs; plugin driftInterval %gs, pollInterval %gs\n",
         o.st.lro_vm, o.st.lro_lb, o.st.lro_default, o.st.retry_after, o.st.drift_interval_s, o.st.poll_interval_s);
  printf("template %s; work dir %s\n", o.template_path, o.st.dir);
  fflush(stdout);
  if (sm_stack_start(&o.st, &s)) goto out;
  {
    long hwm;
    bench_sleep(1);
    bproc_mem_kb(s.host.pid, &idle_kb, &hwm);
    printf("stack up: kube %s, arm %s, host pid %d, metrics %s; host idle VmRSS %.1f MiB\n", s.kube_url, s.arm_url,
           (int)s.host.pid, s.metrics_url, idle_kb / 1024.0);
  }

  /* ---- create → all Ready ---- */
  double t0 = bench_now();
  if (smw_start(&w, s.c, N, (size_t)MT, t0)) goto out;
  c0 = bench_arm_counters(s.arm_url);
  char *m0 = sm_host_metrics(&s);
  job cj = {.o = &o, .s = &s, .tmpl = tmpl, .t0 = t0, .stamp = applied};
  run_threads(o.threads, &cj);
  double t_created = bench_now() - t0;
  printf("created %d clusters (%d objects each) in %.1f s, %d failed\n", N, 7, t_created, atomic_load(&cj.failed));
  fflush(stdout);
  if (atomic_load(&cj.failed)) {
    free(m0);
    goto out;
  }
  double t_ac = -1, t_am = -1, last = 0;
  for (;;) {
    double t = bench_now() - t0;
    pthread_mutex_lock(&w.mu);
    int cr = w.cluster_ready, mr = w.machines_ready;
    pthread_mutex_unlock(&w.mu);
    if (t_ac < 0 && cr == N) t_ac = t;
    if (t_am < 0 && mr == MT) t_am = t;
    if (t_ac >= 0 && t_am >= 0) break;
    if (t - last >= 30) {
      progress("create", &s, &w, t, MT);
      last = t;
    }
    if (!bproc_alive(&s.host)) {
      fprintf(stderr, "sm_scale: capz-host exited (see %s)\n", s.host.err_path);
      break;
    }
    if (t > o.timeout_s) {
      fprintf(stderr, "sm_scale: timeout after %.0f s\n", t);
      progress("create", &s, &w, t, MT);
      break;
    }
    bench_sleep(o.poll_s);
  }
  double t_ready = t_ac > t_am ? t_ac : t_am;
  c1 = bench_arm_counters(s.arm_url);
  m1 = sm_host_metrics(&s);
  create = bench_delta(c0, c1);
  sm_dump_requests(&s, o.st.dir, "requests-create-tail.json");
  printf("\n== create\n");
  printf("all %d AzureClusters Ready: %s%.1f s; all %d AzureMachines Ready: %s%.1f s (objects created in %.1f s)\n", N,
         t_ac < 0 ? "NOT reached, " : "", t_ac, MT, t_am < 0 ? "NOT reached, " : "", t_am, t_created);
  printf("latency (object created → Ready; cluster: its objects applied → AzureCluster and all its AzureMachines Ready):\n");
  pthread_mutex_lock(&w.mu);
  smr_latency("AzureCluster", w.clusters, (size_t)N, false);
  smr_latency("AzureMachine", w.machines, w.mcap, false);
  pthread_mutex_unlock(&w.mu);
  smw_obj *pc = per_cluster(&w, applied, per, false);
  if (pc) smr_latency("cluster (applied → all Ready)", pc, (size_t)N, false);
  free(pc);
  {
    cJSON *inv = sm_arm_inventory_by_type(&s);
    const cJSON *it;
    double resources = 0, disks = 0;
    printf("ARM inventory at all-Ready (incl. %d pre-existing):", s.preexisting);
    cJSON_ArrayForEach(it, inv) {
      printf(" %s=%.0f", it->string, it->valuedouble);
      resources += it->valuedouble;
      /* created by another resource's PUT: disks by their VM's, security rules by their NSG's (embedded) */
      if (strstr(it->string, "/disks") || strstr(it->string, "/securityRules")) disks += it->valuedouble;
    }
    printf("\n");
    cJSON_Delete(inv);
    double theo = resources - s.preexisting - disks, writes = bench_arm_writes(create), reads = bench_arm_reads(create);
    printf("ARM writes observed %.0f (%.2f per cluster); minimum %.0f (%.2f per cluster: one PUT per resource; disks "
           "come with their VM, security rules with their NSG)\n",
           writes, writes / N, theo, theo / N);
    double bo = bucket_bound(writes, 200, 10), bt = bucket_bound(theo, 200, 10);
    printf("ARM write-bucket bound (n - 200) / 10/s: observed %.1f s, minimum %.1f s; SDK write limiter (160 + 8/s) "
           "%.1f s; ARM read bucket (%.0f reads, 250 + 25/s) %.1f s; SDK read limiter (200 + 20/s) %.1f s\n",
           bo, bt, bucket_bound(writes, 160, 8), reads, bucket_bound(reads, 250, 25), bucket_bound(reads, 200, 20));
    if (t_ready > 0 && bt > 0)
      printf("time to all-Ready / bound: %.2fx (observed writes), %.2fx (minimum writes)\n", bo > 0 ? t_ready / bo : 0,
             t_ready / bt);
  }
  bench_print_counters("ARM requests seen by the emulator (create phase)", create, N, N);
  double arm_total = bench_num(create, "total") - bench_num(cJSON_GetObjectItemCaseSensitive(create, "byType"), "entra/token");
  if (m1) {
    smr_arm_table(m1, N, MT);
    smr_reconciles(m0, m1, arm_total);
    cJSON *lw = bench_prom_tally(m1, "capz_azure_arm_limiter_wait_seconds_total", NULL, "class", NULL);
    cJSON *rt = bench_prom_tally(m1, "capz_azure_arm_retries_total", NULL, "reason", NULL);
    const cJSON *it;
    printf("SDK limiter wait (s, summed over workers):");
    cJSON_ArrayForEach(it, lw) printf(" %s=%.1f", it->string, it->valuedouble);
    printf("; SDK retries:");
    cJSON_ArrayForEach(it, rt) printf(" %s=%.0f", it->string, it->valuedouble);
    printf("\n");
    cJSON_Delete(lw);
    cJSON_Delete(rt);
    char kf[300];
    snprintf(kf, sizeof kf, "host=\"%.250s\"", strncmp(s.kube_url, "http://", 7) == 0 ? s.kube_url + 7 : s.kube_url);
    cJSON *kr = bench_prom_tally(m1, "rest_client_requests_total", kf, "method", "code");
    printf("host Kubernetes requests %.0f (%.1f per cluster):", bench_prom_sum(m1, "rest_client_requests_total", kf),
           bench_prom_sum(m1, "rest_client_requests_total", kf) / N);
    cJSON_ArrayForEach(it, kr) printf(" %s=%.0f", it->string, it->valuedouble);
    printf("\n");
    cJSON_Delete(kr);
  }
  free(m0);
  printf("memory at all-Ready:\n");
  smr_mem("capz-host", s.host.pid, idle_kb, N + MT);
  smr_mem("kube-sim", s.kube.pid, 0, 0);
  smr_mem("arm-sim", s.arm.pid, 0, 0);
  smr_mem("capi-sim", s.capi.pid, 0, 0);
  fflush(stdout);
  bool ok = t_ready >= 0 && t_ac >= 0 && t_am >= 0;

  /* ---- settle, steady, drift ---- */
  if (ok) {
    double wr, rd;
    window("settle after all-Ready", &s, o.settle_s, &wr, &rd);
    window("steady state", &s, o.steady_s, &wr, &rd);
    printf("steady state: %s (expect 0 reads and 0 writes while no drift read is due)\n",
           wr == 0 && rd == 0 ? "PASS" : wr == 0 ? "reads only (drift reads due: see README)" : "FAIL (writes)");
    if (wr > 0) ok = false;
    smr_mem("capz-host", s.host.pid, idle_kb, N + MT);
    fflush(stdout);
    if (o.drift_window) {
      /* Every resource was last verified by all-Ready (+ settle); the ensurer re-reads it once driftInterval
       * (± 10 % jitter) has passed, at the next reconcile: an idle object is only reconciled again by the host's
       * resync (syncPeriod, counted from the host's start). The window ends 60 s after the first resync past
       * that point (the queue drains at the read limiter's pace). */
      double sp = o.st.sync_period_s > 0 ? o.st.sync_period_s : 600, hs = s.host_started - t0;
      double due = t_ready + o.settle_s + 1.1 * o.st.drift_interval_s;
      double until = hs + sp * ceil((due - hs) / sp) + 60, now = bench_now() - t0;
      int res = sm_arm_resources(&s) - s.preexisting;
      printf("\n(drift window: driftInterval %gs, host syncPeriod %gs; the window runs until %.0f s after create "
             "began)\n", o.st.drift_interval_s, sp, until);
      window("drift window", &s, until > now ? until - now : 1, &wr, &rd);
      sm_dump_requests(&s, o.st.dir, "requests-drift-tail.json");
      printf("drift window: %.0f reads for %d ARM resources (%.2f per resource), %.0f writes — %s\n", rd, res,
             res > 0 ? rd / res : 0, wr, wr == 0 ? "PASS (reads only)" : "FAIL (writes)");
      if (wr > 0) ok = false;
      smr_mem("capz-host", s.host.pid, idle_kb, N + MT);
      fflush(stdout);
    }
  }

  /* ---- delete ---- */
  if (o.do_delete && ok) {
    cJSON *d0 = bench_arm_counters(s.arm_url);
    char *md0 = sm_host_metrics(&s);
    double td = bench_now();
    job dj = {.o = &o, .s = &s, .t0 = t0, .stamp = deleted_at, .deleting = true};
    run_threads(o.threads, &dj);
    double t_gone = -1;
    last = 0;
    int res = -1;
    for (;;) {
      double t = bench_now() - td;
      pthread_mutex_lock(&w.mu);
      /* machines Cluster API created after the first MT count too (see README: replacements while deleting) */
      int cg = w.cluster_gone, mg = w.machines_gone, seen = (int)w.mcount;
      pthread_mutex_unlock(&w.mu);
      res = sm_arm_resources(&s);
      if (cg == N && mg == seen && res == s.preexisting) {
        t_gone = t;
        break;
      }
      if (t - last >= 30) {
        progress("delete", &s, &w, t, MT);
        last = t;
      }
      if (t > o.timeout_s || !bproc_alive(&s.host)) break;
      bench_sleep(o.poll_s);
    }
    cJSON *d1 = bench_arm_counters(s.arm_url);
    char *md1 = sm_host_metrics(&s);
    cJSON *del = bench_delta(d0, d1);
    sm_dump_requests(&s, o.st.dir, "requests-delete-tail.json");
    printf("\n== delete\n");
    if (t_gone >= 0) printf("every AzureCluster, AzureMachine and ARM resource gone in %.1f s\n", t_gone);
    pthread_mutex_lock(&w.mu);
    printf("AzureMachines seen in all: %zu (%d created by Cluster API after the %d of the create phase)\n", w.mcount,
           (int)w.mcount - MT, MT);
    pthread_mutex_unlock(&w.mu);
    if (t_gone < 0) printf("NOT finished: %d ARM resources left (pre-existing %d)\n", res, s.preexisting);
    pthread_mutex_lock(&w.mu);
    for (size_t k = 0; k < w.mcap; k++) /* a machine's deletion starts with its Cluster's */
      if (w.machines[k].name[0] && w.machines[k].cluster >= 0 && w.machines[k].cluster < N)
        w.machines[k].created = deleted_at[w.machines[k].cluster];
    smr_latency("AzureMachine (Cluster deleted → gone)", w.machines, w.mcap, true);
    pthread_mutex_unlock(&w.mu);
    smw_obj *pd = per_cluster(&w, deleted_at, per, true);
    if (pd) smr_latency("cluster (Cluster deleted → all objects gone)", pd, (size_t)N, true);
    free(pd);
    printf("ARM delete-bucket bound (n - 200) / 10/s for %.0f DELETEs: %.1f s\n", bench_arm_deletes(del),
           bucket_bound(bench_arm_deletes(del), 200, 10));
    bench_print_counters("ARM requests (delete phase)", del, N, N);
    double dt = bench_num(del, "total") - bench_num(cJSON_GetObjectItemCaseSensitive(del, "byType"), "entra/token");
    if (md1) smr_reconciles(md0, md1, dt);
    smr_mem("capz-host", s.host.pid, 0, 0);
    if (t_gone < 0) ok = false;
    cJSON_Delete(d0);
    cJSON_Delete(d1);
    cJSON_Delete(del);
    free(md0);
    free(md1);
  }
  rc = ok ? 0 : 1;

out:
  if (w.clusters) smw_stop(&w);
  sm_stack_stop(&s);
  printf("logs: %s\n", o.st.dir);
  cJSON_Delete(c0);
  cJSON_Delete(c1);
  cJSON_Delete(create);
  free(m1);
  free(applied);
  free(deleted_at);
  free(tmpl);
  capz_sdk_global_cleanup();
  return rc;
}
