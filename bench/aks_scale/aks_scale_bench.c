/* aks_scale_bench.c — issue #8's benchmark: N AKS clusters (CAPZ's cluster-template-aks.yaml, P pools each)
 * through the real capz-host + managedcluster plugin, against capz-kube-sim, capz-capi-sim (Cluster API core)
 * and capz-arm-sim with ARM throttling at its real-limit defaults. Reports the time to all-Ready against the
 * bound ARM's write bucket imposes, ARM calls per cluster (verb, type, 429s), the host's RSS, a steady-state
 * window that must spend no ARM request, and optionally the time to delete everything. See README.md. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_http.h"
#include "bench_metrics.h"
#include "bench_objects.h"
#include "bench_proc.h"
#include "bench_stack.h"
#include "bench_util.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "capz/sdk.h"


static void usage(FILE *f) {
  fprintf(f,
          "usage: aks_scale_bench [--clusters N(2000)] [--pools P(3)] [--workers W(10)] [--threads T(8)]\n"
          "         [--steady S(60)] [--touch] [--delete] [--replicas R(2)] [--lro-cluster S(6)] [--lro-pool S(4)]\n"
          "         [--lro-default S(2)] [--retry-after S(2)] [--kube-qps Q(200)] [--kube-burst B(400)]\n"
          "         [--poll S(5)] [--settle S(10)] [--timeout S(14400)] [--dir DIR] [-v N]\n"
          "         [--build DIR] [--source DIR] [--template FILE]\n"
          "Binaries from --build (default $CAPZ_BUILD_DIR); CRDs from --source (default $CAPZ_SOURCE_DIR or .);\n"
          "template default $CAPZ_SHARED_DIR/reference/templates/cluster-template-aks.yaml (/work/shared if unset),\n"
          "else <source>/templates/cluster-template-aks.yaml.\n");
}

static int parse_opts(int argc, char **argv, bench_opts *o) {
  *o = (bench_opts){.clusters = 2000, .pools = 3, .workers = 10, .threads = 8, .replicas = 2, .steady_s = 60,
              .poll_s = 5, .timeout_s = 14400, .settle_s = 10, .lro_cluster = 6, .lro_pool = 4, .lro_default = 2,
              .retry_after = 2, .kube_qps = 200, .kube_burst = 400};
  o->build = getenv("CAPZ_BUILD_DIR");
  o->source = getenv("CAPZ_SOURCE_DIR");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
/* The plugin's driftInterval (its default: the bench does not set it). */
#define DRIFT_INTERVAL_S 600

#define INT_OPT(flag, field) \
  if (strcmp(a, flag) == 0 && v) { o->field = atoi(v); i++; continue; }
#define DBL_OPT(flag, field) \
  if (strcmp(a, flag) == 0 && v) { o->field = atof(v); i++; continue; }
#define STR_OPT(flag, field) \
  if (strcmp(a, flag) == 0 && v) { o->field = v; i++; continue; }
    INT_OPT("--clusters", clusters)
    INT_OPT("--pools", pools)
    INT_OPT("--workers", workers)
    INT_OPT("--threads", threads)
    INT_OPT("--replicas", replicas)
    INT_OPT("--kube-burst", kube_burst)
    INT_OPT("-v", verbosity)
    DBL_OPT("--steady", steady_s)
    DBL_OPT("--poll", poll_s)
    DBL_OPT("--settle", settle_s)
    DBL_OPT("--timeout", timeout_s)
    DBL_OPT("--lro-cluster", lro_cluster)
    DBL_OPT("--lro-pool", lro_pool)
    DBL_OPT("--lro-default", lro_default)
    DBL_OPT("--retry-after", retry_after)
    DBL_OPT("--kube-qps", kube_qps)
    STR_OPT("--build", build)
    STR_OPT("--source", source)
    STR_OPT("--template", template_path)
    STR_OPT("--dir", dir)
    if (strcmp(a, "--delete") == 0) { o->do_delete = true; continue; }
    if (strcmp(a, "--touch") == 0) { o->do_touch = true; continue; }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); exit(0); }
    usage(stderr);
    return -1;
  }
  if (o->clusters < 1 || o->clusters > 99999 || o->pools < 1 || o->pools > 10 || o->workers < 1 ||
      o->threads < 1 || o->threads > 64 || o->poll_s <= 0) {
    fprintf(stderr, "aks_scale: out-of-range option\n");
    return -1;
  }
  if (!o->build || !*o->build) o->build = ".";
  if (!o->source || !*o->source) o->source = ".";
  return 0;
}

/* ---- create ---- */
typedef struct create_job {
  const bench_opts *o;
  bench_stack *s;
  const char *tmpl;
  atomic_int next, failed;
} create_job;

static void *create_worker(void *arg) {
  create_job *j = arg;
  for (;;) {
    int i = atomic_fetch_add(&j->next, 1);
    if (i >= j->o->clusters) break;
    char name[32], msg[512];
    snprintf(name, sizeof name, "aks%05d", i);
    cJSON *docs = bobj_render_cluster(j->tmpl, name, j->o->pools, j->o->replicas);
    if (!docs || bobj_create_all(j->s->c, docs, msg, sizeof msg) != 0) {
      if (docs) fprintf(stderr, "aks_scale: %s: %s\n", name, msg);
      atomic_fetch_add(&j->failed, 1);
    }
    cJSON_Delete(docs);
  }
  return NULL;
}

static int run_threads(int n, void *(*fn)(void *), void *arg) {
  pthread_t th[64];
  int started = 0;
  for (int i = 0; i < n; i++)
    if (pthread_create(&th[i], NULL, fn, arg) == 0) started++;
    else break;
  for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
  return started ? 0 : -1;
}

/* ---- readiness ---- */
typedef struct readiness {
  int n, pools;
  bool *cp_ready;
  int *pools_ready;
  double *first_all_ready; /* seconds since the create phase began; <0 not yet */
  int all_ready, cp_count, pool_count, cp_seen, pool_seen;
} readiness;

static int index_of(const char *name) {
  int i = -1;
  if (sscanf(name, "aks%5d", &i) != 1) return -1;
  return i;
}

static int list_ready(capz_kube_client *c, const capz_gvk *g, int *seen, void (*mark)(readiness *, int), readiness *r) {
  cJSON *l = NULL;
  capz_err err;
  if (capz_kube_list(c, g, BENCH_NS, NULL, &l, &err) != 0) {
    fprintf(stderr, "aks_scale: list %s: %s\n", g->kind, err.msg);
    return -1;
  }
  const cJSON *it;
  *seen = 0;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l, "items")) {
    (*seen)++;
    int i = index_of(capz_json_ptr_str(it, "/metadata/name", ""));
    if (i < 0 || i >= r->n) continue;
    if (capz_json_ptr_bool(it, "/status/ready", false)) mark(r, i);
  }
  cJSON_Delete(l);
  return 0;
}

static void mark_cp(readiness *r, int i) { r->cp_ready[i] = true; }
static void mark_pool(readiness *r, int i) { r->pools_ready[i]++; }

static int poll_ready(capz_kube_client *c, readiness *r, double t) {
  memset(r->cp_ready, 0, (size_t)r->n * sizeof *r->cp_ready);
  memset(r->pools_ready, 0, (size_t)r->n * sizeof *r->pools_ready);
  if (list_ready(c, &BOBJ_AMCP, &r->cp_seen, mark_cp, r) || list_ready(c, &BOBJ_AMMP, &r->pool_seen, mark_pool, r))
    return -1;
  r->all_ready = r->cp_count = r->pool_count = 0;
  for (int i = 0; i < r->n; i++) {
    r->cp_count += r->cp_ready[i];
    r->pool_count += r->pools_ready[i];
    bool all = r->cp_ready[i] && r->pools_ready[i] >= r->pools;
    if (all) {
      r->all_ready++;
      if (r->first_all_ready[i] < 0) r->first_all_ready[i] = t;
    }
  }
  return 0;
}

/* ---- reporting ---- */
static void print_tally(const char *title, cJSON *t, int per) {
  printf("%s (from the host's capz_azure_arm_requests_total; per cluster):\n", title);
  const cJSON *it;
  cJSON_ArrayForEach(it, t) printf("  %-70s %8.0f  %6.2f\n", it->string, it->valuedouble, it->valuedouble / per);
}

/* Seconds a bucket of `burst` refilled at `rate`/s needs to admit `n` requests. */
static double bucket_bound(double n, double burst, double rate) { return n > burst ? (n - burst) / rate : 0; }

static long g_host_idle_kb; /* capz-host's VmRSS before the first cluster */

static void mem_line(const char *what, const bproc *p, int per) {
  long rss, hwm;
  bproc_mem_kb(p->pid, &rss, &hwm);
  printf("%-9s VmRSS %7.1f MiB  VmHWM %7.1f MiB", what, rss / 1024.0, hwm / 1024.0);
  if (per > 0)
    printf("  (%.1f / %.1f KiB per cluster; %.1f KiB per cluster above idle)", (double)rss / per, (double)hwm / per,
           (double)(rss - g_host_idle_kb) / per);
  printf("  cpu %.1f s  threads %ld\n", bproc_cpu_s(p->pid), bproc_threads(p->pid));
}

static void progress(const bench_stack *s, const readiness *r, double t, long *peak_rss) {
  cJSON *c = bench_arm_counters(s->arm_url);
  long rss, hwm;
  bproc_mem_kb(s->host.pid, &rss, &hwm);
  if (rss > *peak_rss) *peak_rss = rss;
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "byStatus");
  fprintf(stderr,
          "[%7.1f s] ready clusters %d/%d (control planes %d, pools %d; seen %d/%d) | ARM %.0f req, writes %.0f, "
          "reads %.0f, 429 %.0f | host RSS %.1f MiB\n",
          t, r->all_ready, r->n, r->cp_count, r->pool_count, r->cp_seen, r->pool_seen, bench_num(c, "total"),
          bench_arm_writes(c), bench_arm_reads(c), bench_num(st, "429"), rss / 1024.0);
  cJSON_Delete(c);
}

/* ---- touch: an annotation on every AMCP and AMMP, i.e. a reconcile of everything with nothing to change ---- */
typedef struct touch_job {
  const bench_opts *o;
  bench_stack *s;
  atomic_int next, failed;
} touch_job;

static void *touch_worker(void *arg) {
  touch_job *j = arg;
  cJSON *patch = cJSON_Parse("{\"metadata\":{\"annotations\":{\"aks-scale-bench/touched\":\"1\"}}}");
  for (;;) {
    int i = atomic_fetch_add(&j->next, 1);
    if (i >= j->o->clusters) break;
    char name[64];
    capz_err err;
    snprintf(name, sizeof name, "aks%05d", i);
    if (capz_kube_patch(j->s->c, &BOBJ_AMCP, BENCH_NS, name, CAPZ_PATCH_MERGE, patch, NULL, NULL, &err) != 0)
      atomic_fetch_add(&j->failed, 1);
    for (int k = 0; k < j->o->pools; k++) {
      snprintf(name, sizeof name, "aks%05d-pool%d", i, k);
      if (capz_kube_patch(j->s->c, &BOBJ_AMMP, BENCH_NS, name, CAPZ_PATCH_MERGE, patch, NULL, NULL, &err) != 0)
        atomic_fetch_add(&j->failed, 1);
    }
  }
  cJSON_Delete(patch);
  return NULL;
}

/* ---- delete ---- */
typedef struct delete_job {
  const bench_opts *o;
  bench_stack *s;
  atomic_int next, failed;
} delete_job;

static void *delete_worker(void *arg) {
  delete_job *j = arg;
  for (;;) {
    int i = atomic_fetch_add(&j->next, 1);
    if (i >= j->o->clusters) break;
    char name[32];
    snprintf(name, sizeof name, "aks%05d", i);
    capz_err err;
    int rc = capz_kube_delete(j->s->c, &BOBJ_CLUSTER, BENCH_NS, name, NULL, &err);
    if (rc != 0 && rc != CAPZ_ENOTFOUND) {
      fprintf(stderr, "aks_scale: delete %s: %s\n", name, err.msg);
      atomic_fetch_add(&j->failed, 1);
    }
  }
  return NULL;
}

static int count_items(capz_kube_client *c, const capz_gvk *g) {
  cJSON *l = NULL;
  capz_err err;
  if (capz_kube_list(c, g, BENCH_NS, NULL, &l, &err) != 0) return -1;
  int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items"));
  cJSON_Delete(l);
  return n;
}

int main(int argc, char **argv) {
  bench_opts o;
  if (parse_opts(argc, argv, &o)) return 2;
  char dirbuf[512];
  if (!o.dir) {
    snprintf(dirbuf, sizeof dirbuf, "/tmp/aks_scale-%d", (int)getpid());
    o.dir = dirbuf;
  }
  mkdir(o.dir, 0755);
  char *absdir = realpath(o.dir, NULL); /* children run in it (core files land there) */
  if (absdir) {
    snprintf(dirbuf, sizeof dirbuf, "%s", absdir);
    o.dir = dirbuf;
    free(absdir);
  }
  char tpath[1024];
  if (!o.template_path) {
    const char *shared = getenv("CAPZ_SHARED_DIR");
    snprintf(tpath, sizeof tpath, "%s/reference/templates/cluster-template-aks.yaml",
             shared && *shared ? shared : "/work/shared");
    if (access(tpath, R_OK) != 0) snprintf(tpath, sizeof tpath, "%s/templates/cluster-template-aks.yaml", o.source);
    o.template_path = tpath;
  }
  char *tmpl = bench_slurp(o.template_path);
  if (!tmpl) {
    fprintf(stderr, "aks_scale: cannot read template %s\n", o.template_path);
    return 1;
  }
  capz_err err;
  if (capz_sdk_global_init(&err)) {
    fprintf(stderr, "aks_scale: %s\n", err.msg);
    free(tmpl);
    return 1;
  }
  bench_stack s;
  memset(&s, 0, sizeof s);
  int rc = 1;
  readiness r = {.n = o.clusters, .pools = o.pools};
  r.cp_ready = calloc((size_t)o.clusters, sizeof *r.cp_ready);
  r.pools_ready = calloc((size_t)o.clusters, sizeof *r.pools_ready);
  r.first_all_ready = malloc((size_t)o.clusters * sizeof *r.first_all_ready);
  cJSON *c0 = NULL, *c1 = NULL, *c2 = NULL, *c3 = NULL, *d0 = NULL, *d1 = NULL;
  char *m1 = NULL, *m3 = NULL;
  if (!r.cp_ready || !r.pools_ready || !r.first_all_ready) goto out;
  for (int i = 0; i < o.clusters; i++) r.first_all_ready[i] = -1;

  printf("aks_scale_bench: %d clusters x %d pools (1 System + %d User), %d MachinePool replicas, host workers %d, "
         "%d client threads, host kube qps %g/burst %d\n",
         o.clusters, o.pools, o.pools - 1, o.replicas, o.workers, o.threads, o.kube_qps, o.kube_burst);
  printf("ARM emulator: throttling on (writes 200 + 10/s, reads 250 + 25/s, deletes 200 + 10/s per principal; "
         "AKS PUT 20 + 1/min per resource); LRO managedCluster %gs, agentPool %gs, others %gs, Retry-After %gs\n",
         o.lro_cluster, o.lro_pool, o.lro_default, o.retry_after);
  printf("template %s; work dir %s\n", o.template_path, o.dir);
  fflush(stdout);
  if (bstack_start(&o, &s)) goto out;
  printf("stack: kube %s, arm %s, host pid %d, metrics %s\n", s.kube_url, s.arm_url, (int)s.host.pid, s.metrics_url);
  {
    long hwm0;
    bproc_mem_kb(s.host.pid, &g_host_idle_kb, &hwm0);
    printf("host idle before any cluster: VmRSS %.1f MiB\n", g_host_idle_kb / 1024.0);
  }
  fflush(stdout);

  /* ---- create → all Ready ---- */
  c0 = bench_arm_counters(s.arm_url);
  double t0 = bench_now();
  create_job cj = {.o = &o, .s = &s, .tmpl = tmpl};
  run_threads(o.threads, create_worker, &cj);
  double t_created = bench_now() - t0;
  printf("created %d clusters (%d objects) in %.1f s, %d failed\n", o.clusters, o.clusters * (3 + 2 * o.pools),
         t_created, atomic_load(&cj.failed));
  fflush(stdout);
  if (atomic_load(&cj.failed)) goto out;
  long peak_rss = 0;
  double last_progress = 0, t_ready = -1;
  for (;;) {
    double t = bench_now() - t0;
    if (poll_ready(s.c, &r, t) == 0 && r.all_ready == o.clusters) {
      t_ready = t;
      break;
    }
    if (t - last_progress >= 30) {
      progress(&s, &r, t, &peak_rss);
      last_progress = t;
    }
    if (!bproc_alive(&s.host)) {
      fprintf(stderr, "aks_scale: capz-host exited: %s (see %s; a core file, if any, is in %s)\n",
              bproc_status_str(s.host.exit_status), s.host.err_path, o.dir);
      break;
    }
    if (t > o.timeout_s) {
      fprintf(stderr, "aks_scale: timeout after %.0f s\n", t);
      break;
    }
    bench_sleep(o.poll_s);
  }
  progress(&s, &r, bench_now() - t0, &peak_rss);
  c1 = bench_arm_counters(s.arm_url);
  m1 = bstack_host_metrics(&s);
  cJSON *create = bench_delta(c0, c1);
  bstack_dump_tail(&s, o.dir, "requests-create-tail.json");

  printf("\n== create: %d/%d clusters all-Ready (AMCP + %d AMMPs each) ", r.all_ready, o.clusters, o.pools);
  if (t_ready >= 0) printf("in %.1f s (objects created in %.1f s; readiness polled every %g s)\n", t_ready, t_created, o.poll_s);
  else printf("NOT reached\n");
  {
    double *ts = malloc((size_t)o.clusters * sizeof *ts);
    int k = 0;
    for (int i = 0; ts && i < o.clusters; i++)
      if (r.first_all_ready[i] >= 0) ts[k++] = r.first_all_ready[i];
    if (k > 0) {
      qsort(ts, (size_t)k, sizeof *ts, bench_cmp_dbl);
      printf("cluster all-Ready times (s since create began): first %.1f, p10 %.1f, p50 %.1f, p90 %.1f, last %.1f\n",
             ts[0], ts[k / 10], ts[k / 2], ts[(k * 9) / 10], ts[k - 1]);
    }
    free(ts);
  }
  double writes = bench_arm_writes(create), reads = bench_arm_reads(create);
  /* one PUT per ARM resource (RG, VNet with its subnet embedded, managedCluster with the System pool embedded,
   * each User pool) and the kubeconfig's listClusterAdminCredential POST */
  double theo_writes = (double)o.clusters * (o.pools + 3);
  double bound_obs = bucket_bound(writes, 200, 10), bound_theo = bucket_bound(theo_writes, 200, 10);
  double bound_client = bucket_bound(writes, 160, 8);
  printf("ARM writes observed %.0f (%.2f per cluster; theoretical minimum %d per cluster = RG + VNet(+subnet) + "
         "managedCluster(+System pool) + %d agentPools + listClusterAdminCredential POST)\n",
         writes, writes / o.clusters, o.pools + 3, o.pools - 1);
  printf("write-bucket bound (n - 200 burst) / 10 per s: observed writes %.1f s, theoretical writes %.1f s\n", bound_obs,
         bound_theo);
  if (t_ready > 0)
    printf("time to all-Ready / bound: %.2fx (observed writes), %.2fx (theoretical writes)\n",
           bound_obs > 0 ? t_ready / bound_obs : 0, bound_theo > 0 ? t_ready / bound_theo : 0);
  printf("other bounds: SDK client limiter (writes 160 + 8/s) %.1f s; ARM read bucket (%.0f reads, 250 + 25/s) %.1f s; "
         "SDK read limiter (200 + 20/s) %.1f s\n",
         bound_client, reads, bucket_bound(reads, 250, 25), bucket_bound(reads, 200, 20));
  bench_print_counters("ARM requests seen by the emulator (create phase)", create, o.clusters, o.clusters);
  if (m1) {
    cJSON *t = bench_prom_tally(m1, "capz_azure_arm_requests_total", NULL, "method", "resource_type");
    print_tally("ARM requests by method|resource type", t, o.clusters);
    cJSON_Delete(t);
    cJSON *lw = bench_prom_tally(m1, "capz_azure_arm_limiter_wait_seconds_total", NULL, "class", NULL);
    const cJSON *it;
    printf("SDK limiter wait (s, summed over workers):");
    cJSON_ArrayForEach(it, lw) printf(" %s=%.1f", it->string, it->valuedouble);
    printf("\n");
    cJSON_Delete(lw);
    cJSON *rt = bench_prom_tally(m1, "capz_azure_arm_retries_total", NULL, "reason", NULL);
    printf("SDK retries:");
    cJSON_ArrayForEach(it, rt) printf(" %s=%.0f", it->string, it->valuedouble);
    printf("\n");
    cJSON_Delete(rt);
    cJSON *rc2 = bench_prom_tally(m1, "controller_runtime_reconcile_total", NULL, "controller", "result");
    printf("reconciles (controller|result):");
    cJSON_ArrayForEach(it, rc2) printf(" %s=%.0f", it->string, it->valuedouble);
    printf("  = %.1f per cluster\n", bench_prom_sum(m1, "controller_runtime_reconcile_total", NULL) / o.clusters);
    cJSON_Delete(rc2);
    /* rest_client_requests_total counts every HTTP request of the host (ARM too): keep the API server's */
    char kf[272];
    snprintf(kf, sizeof kf, "host=\"%.250s\"", strncmp(s.kube_url, "http://", 7) == 0 ? s.kube_url + 7 : s.kube_url);
    double kreq = bench_prom_sum(m1, "rest_client_requests_total", kf);
    printf("reconcile errors %.0f, terminal %.0f; host Kubernetes requests %.0f (%.1f per cluster)\n",
           bench_prom_sum(m1, "controller_runtime_reconcile_errors_total", NULL),
           bench_prom_sum(m1, "controller_runtime_terminal_reconcile_errors_total", NULL), kreq, kreq / o.clusters);
    cJSON *kr = bench_prom_tally(m1, "rest_client_requests_total", kf, "method", "code");
    printf("host Kubernetes requests by method|code (per cluster):");
    cJSON_ArrayForEach(it, kr) printf(" %s=%.0f (%.1f)", it->string, it->valuedouble, it->valuedouble / o.clusters);
    printf("\n");
    cJSON_Delete(kr);
  }
  printf("memory at all-Ready (peak host RSS sampled during create %.1f MiB):\n", peak_rss / 1024.0);
  mem_line("capz-host", &s.host, o.clusters);
  mem_line("kube-sim", &s.kube, 0);
  mem_line("arm-sim", &s.arm, 0);
  mem_line("capi-sim", &s.capi, 0);
  cJSON_Delete(create);
  fflush(stdout);

  if (!bproc_alive(&s.host)) {
    printf("\ncapz-host is gone (%s): no steady state, touch or delete phase\n", bproc_status_str(s.host.exit_status));
    rc = 1;
    goto out;
  }

  /* ---- steady state ---- */
  bench_sleep(o.settle_s);
  c2 = bench_arm_counters(s.arm_url);
  cJSON *settle = bench_delta(c1, c2);
  printf("\n== settle (%g s after all-Ready): %.0f ARM requests\n", o.settle_s, bench_num(settle, "total"));
  if (bench_num(settle, "total") > 0) bench_print_counters("  settle requests", settle, 0, 0);
  cJSON_Delete(settle);
  double rec_before = 0;
  char *m2 = bstack_host_metrics(&s);
  rec_before = bench_prom_sum(m2, "controller_runtime_reconcile_total", NULL);
  double drift_before = bench_prom_sum(m2, "capz_azure_ensure_drift_reads_total", NULL);
  free(m2);
  bench_sleep(o.steady_s);
  c3 = bench_arm_counters(s.arm_url);
  m3 = bstack_host_metrics(&s);
  cJSON *steady = bench_delta(c2, c3);
  double steady_total = bench_num(steady, "total");
  /* issue #8's steady state: no write, and at most one read per resource per drift interval — the reads are the
   * ensurer's drift reads (counted by the host), nothing else. A snapshot taken mid-request can be off by one or two. */
  double drift = bench_prom_sum(m3, "capz_azure_ensure_drift_reads_total", NULL) - drift_before;
  double other_reads = bench_arm_reads(steady) - drift;
  /* what the plugin ensures (and so drift-reads): RG, VNet, subnet, managedCluster and the agent pools */
  int resources = o.clusters * (4 + o.pools);
  double drift_cap = resources * o.steady_s / DRIFT_INTERVAL_S + 1;
  bool steady_ok = bench_arm_writes(steady) == 0 && bench_arm_deletes(steady) == 0 && other_reads <= 2 &&
                   drift <= drift_cap;
  printf("== steady state (%g s): %.0f ARM requests (writes %.0f, reads %.0f of which drift reads %.0f, deletes %.0f), "
         "%.0f reconciles; drift reads allowed for %d resources every %d s: %.0f — %s\n",
         o.steady_s, steady_total, bench_arm_writes(steady), bench_arm_reads(steady), drift, bench_arm_deletes(steady),
         bench_prom_sum(m3, "controller_runtime_reconcile_total", NULL) - rec_before, resources, DRIFT_INTERVAL_S,
         drift_cap, steady_ok ? "PASS" : "FAIL");
  if (steady_total > 0) bench_print_counters("  steady requests", steady, 0, 0);
  mem_line("capz-host", &s.host, o.clusters);
  cJSON_Delete(steady);
  fflush(stdout);
  rc = (t_ready >= 0 && steady_ok) ? 0 : 1;

  /* ---- touched-but-unchanged pass: every object reconciled once more; nothing changed, so ARM should see
   * nothing but the drift reads that fall due meanwhile (what the ensurer remembers decides: a forgotten resource
   * costs a GET) ---- */
  if (o.do_touch) {
    cJSON *t0c = bench_arm_counters(s.arm_url);
    char *mt0 = bstack_host_metrics(&s);
    double rec0 = bench_prom_sum(mt0, "controller_runtime_reconcile_total", NULL);
    double drift0 = bench_prom_sum(mt0, "capz_azure_ensure_drift_reads_total", NULL);
    free(mt0);
    double tt = bench_now();
    touch_job tj = {.o = &o, .s = &s};
    run_threads(o.threads, touch_worker, &tj);
    /* done when ARM has been quiet and the host's queues empty for 15 s, or after --timeout */
    double quiet_since = bench_now(), last_total = -1;
    cJSON *tc = NULL;
    for (;;) {
      bench_sleep(o.poll_s < 5 ? o.poll_s : 5);
      cJSON_Delete(tc);
      tc = bench_arm_counters(s.arm_url);
      char *mt = bstack_host_metrics(&s);
      double depth = bench_prom_sum(mt, "workqueue_depth", NULL) + bench_prom_sum(mt, "controller_runtime_active_workers", NULL);
      /* drift reads keep coming while nothing else does: quiet means no other request */
      double total = bench_num(tc, "total") - bench_prom_sum(mt, "capz_azure_ensure_drift_reads_total", NULL);
      free(mt);
      if (total != last_total || depth > 0) quiet_since = bench_now();
      last_total = total;
      /* bounded: drift reads may start during the pass and never let ARM go quiet */
      if (bench_now() - quiet_since >= 15 || bench_now() - tt > 600) break;
    }
    char *mt1 = bstack_host_metrics(&s);
    cJSON *touch = bench_delta(t0c, tc);
    double tdrift = bench_prom_sum(mt1, "capz_azure_ensure_drift_reads_total", NULL) - drift0;
    double touch_other = bench_num(touch, "total") - tdrift;
    bool touch_ok = touch_other <= 2;
    printf("\n== touch (annotation on %d AMCPs + %d AMMPs, %d failed): %.0f reconciles, %.0f ARM requests "
           "(reads %.0f, writes %.0f; drift reads due meanwhile %.0f, other requests %.0f) in %.1f s — %s\n",
           o.clusters, o.clusters * o.pools, atomic_load(&tj.failed),
           bench_prom_sum(mt1, "controller_runtime_reconcile_total", NULL) - rec0, bench_num(touch, "total"),
           bench_arm_reads(touch), bench_arm_writes(touch), tdrift, touch_other, bench_now() - tt - 15,
           touch_ok ? "PASS" : "FAIL");
    if (bench_num(touch, "total") > 0) bench_print_counters("  touch requests", touch, o.clusters, o.clusters);
    if (!touch_ok) rc = 1;
    free(mt1);
    cJSON_Delete(touch);
    cJSON_Delete(tc);
    cJSON_Delete(t0c);
    fflush(stdout);
  }

  /* ---- delete ---- */
  if (o.do_delete) {
    d0 = bench_arm_counters(s.arm_url);
    double td = bench_now();
    delete_job dj = {.o = &o, .s = &s};
    run_threads(o.threads, delete_worker, &dj);
    double last = 0, t_gone = -1;
    int cps = -1, pools = -1, res = -1;
    for (;;) {
      double t = bench_now() - td;
      cps = count_items(s.c, &BOBJ_AMCP);
      pools = count_items(s.c, &BOBJ_AMMP);
      res = bstack_arm_resources(&s);
      if (cps == 0 && pools == 0 && res == 0) {
        t_gone = t;
        break;
      }
      if (t - last >= 30) {
        cJSON *c = bench_arm_counters(s.arm_url);
        fprintf(stderr, "[delete %7.1f s] AMCP %d, AMMP %d left, ARM resources %d, ARM deletes %.0f, 429 %.0f\n", t, cps,
                pools, res, bench_arm_deletes(c), bench_num(cJSON_GetObjectItemCaseSensitive(c, "byStatus"), "429"));
        cJSON_Delete(c);
        last = t;
      }
      if (t > o.timeout_s || !bproc_alive(&s.host)) break;
      bench_sleep(o.poll_s);
    }
    d1 = bench_arm_counters(s.arm_url);
    cJSON *del = bench_delta(d0, d1);
    bstack_dump_tail(&s, o.dir, "requests-delete-tail.json");
    double deletes = bench_arm_deletes(del);
    printf("\n== delete: ");
    if (t_gone >= 0) printf("every AMCP/AMMP and ARM resource gone in %.1f s\n", t_gone);
    else printf("NOT finished (AMCP %d, AMMP %d, ARM resources %d left)\n", cps, pools, res);
    printf("delete-bucket bound (n - 200 burst) / 10 per s for %.0f DELETEs: %.1f s\n", deletes,
           bucket_bound(deletes, 200, 10));
    bench_print_counters("ARM requests (delete phase)", del, o.clusters, o.clusters);
    cJSON_Delete(del);
    if (t_gone < 0) rc = 1;
    mem_line("capz-host", &s.host, o.clusters);
  }

out:
  bstack_stop(&s);
  printf("logs: %s\n", o.dir);
  cJSON_Delete(c0);
  cJSON_Delete(c1);
  cJSON_Delete(c2);
  cJSON_Delete(c3);
  cJSON_Delete(d0);
  cJSON_Delete(d1);
  free(m1);
  free(m3);
  free(r.cp_ready);
  free(r.pools_ready);
  free(r.first_all_ready);
  free(tmpl);
  capz_sdk_global_cleanup();
  return rc;
}
