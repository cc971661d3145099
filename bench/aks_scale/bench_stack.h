/* bench_stack.h — the AKS scale bench's options and the processes it runs: capz-kube-sim (with the CAPZ and CAPI
 * CRDs and the emulator identity), capz-arm-sim (throttled at ARM's real limits), capz-capi-sim and capz-host with
 * only managedcluster.so; plus the side channels read from them (/_sim endpoints, the host's /metrics).
 * Not thread-safe: owned by the bench's main thread (the kube client inside is thread-safe). */
#ifndef BENCH_STACK_H
#define BENCH_STACK_H

#include <stdbool.h>

#include "bench_proc.h"
#include "capz/kube.h"

typedef struct bench_opts {
  int clusters, pools, workers, threads, replicas;
  double steady_s, poll_s, timeout_s, settle_s;
  double lro_cluster, lro_pool, lro_default, retry_after;
  double kube_qps;
  int kube_burst, verbosity;
  bool do_delete, do_touch;
  const char *build, *source, *template_path, *dir;
} bench_opts;

typedef struct bench_stack {
  bproc kube, arm, capi, host;
  char kube_url[256], arm_url[256], metrics_url[256];
  capz_kube_config *cfg;
  capz_kube_client *c;
} bench_stack;

/* Write the configs into o->dir and start everything; 0 or -1 (message on stderr). bstack_stop is needed either way. */
int bstack_start(const bench_opts *o, bench_stack *s);
/* Stop the host first, then the emulators; frees the kube client. */
void bstack_stop(bench_stack *s);
/* The host's /metrics text (caller frees) or NULL. */
char *bstack_host_metrics(const bench_stack *s);
/* The emulator's last 2,000 requests (with bodies) into <dir>/<file>, as evidence. */
void bstack_dump_tail(const bench_stack *s, const char *dir, const char *file);
/* Resources the emulator holds, or -1. */
int bstack_arm_resources(const bench_stack *s);

#endif
