/* bench_stack.c — see bench_stack.h. */
#include "bench_stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_http.h"
#include "bench_metrics.h"
#include "bench_mgmt.h"
#include "bench_objects.h"
#include "bench_util.h"

int bstack_start(const bench_opts *o, bench_stack *s) {
  char path[1024], text[4096];
  /* ARM: throttling written out at the real limits (docs/arm-sim.md defaults = azure-arm-reference.md §3) so
   * the figures do not silently follow a change of the emulator's defaults. */
  snprintf(text, sizeof text,
           "lro:\n  defaultSeconds: %g\n  retryAfterSeconds: %g\n  durations:\n"
           "    Microsoft.ContainerService/managedClusters: %g\n"
           "    Microsoft.ContainerService/managedClusters/agentPools: %g\n"
           "throttling:\n  enabled: true\n  reads: {burst: 250, perSecond: 25}\n"
           "  writes: {burst: 200, perSecond: 10}\n  deletes: {burst: 200, perSecond: 10}\n"
           "  globalMultiplier: 15\n"
           "  aks: {enabled: true, putBurst: 20, putPerMinute: 1, listBurst: 500, listPerSecond: 1}\n"
           "  compute: {enabled: true}\nrequestLog: {keepBodies: 2000}\n",
           o->lro_default, o->retry_after, o->lro_cluster, o->lro_pool);
  snprintf(path, sizeof path, "%s/arm-sim.yaml", o->dir);
  if (bench_write_text(path, text)) return -1;

  if (bench_start_kube(&s->kube, o->dir, o->build, o->source, BPROC_CORE_IN_DIR, "aks-scale-bench", s->kube_url,
                       sizeof s->kube_url, &s->cfg, &s->c) ||
      bench_start_arm(&s->arm, o->dir, o->build, path, BPROC_CORE_IN_DIR, s->arm_url, sizeof s->arm_url) ||
      bench_start_capi(&s->capi, o->dir, o->build, s->kube_url, BPROC_CORE_IN_DIR))
    return -1;
  if (bench_create_identity(s->c)) return -1;

  /* the bench measures the AKS path alone */
  char pdir[1024];
  if (bench_plugin_dir(o->build, o->dir, "managedcluster", pdir, sizeof pdir)) return -1;
  snprintf(text, sizeof text,
           "# written by aks_scale_bench\npluginDirs:\n  - %s\nkubernetes:\n  server: %s\n  qps: %g\n  burst: %d\n"
           "azure:\n  cloud: Custom\n  resourceManagerEndpoint: %s/\n  authorityHost: %s/\n  imdsEndpoint: %s\n"
           "  tokenAudience: https://management.azure.com/\nconcurrency:\n  defaultWorkers: %d\n"
           "metricsBindAddress: 127.0.0.1:0\nhealthProbeBindAddress: \"0\"\nlog:\n  verbosity: %d\n",
           pdir, s->kube_url, o->kube_qps, o->kube_burst, s->arm_url, s->arm_url, s->arm_url, o->workers, o->verbosity);
  snprintf(path, sizeof path, "%s/capz-host.yaml", o->dir);
  if (bench_write_text(path, text)) return -1;
  return bench_start_host(&s->host, o->dir, o->build, path, BPROC_CORE_IN_DIR, s->metrics_url, sizeof s->metrics_url);
}

void bstack_stop(bench_stack *s) {
  bproc_stop(&s->host);
  bproc_stop(&s->capi);
  bproc_stop(&s->arm);
  capz_kube_client_free(s->c);
  capz_kube_config_free(s->cfg);
  bproc_stop(&s->kube);
}

char *bstack_host_metrics(const bench_stack *s) {
  char url[512], *text = NULL;
  snprintf(url, sizeof url, "%s/metrics", s->metrics_url);
  if (bhttp("GET", url, NULL, &text) != 200) {
    free(text);
    return NULL;
  }
  return text;
}

/* The emulator's last requests (up to requestLog.keepBodies) with bodies, kept in the work dir as evidence. */
void bstack_dump_tail(const bench_stack *s, const char *dir, const char *file) {
  char url[512], path[1024], *text = NULL;
  snprintf(url, sizeof url, "%s/_sim/requests?last=2000", s->arm_url);
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (bhttp("GET", url, NULL, &text) == 200) bench_write_text(path, text);
  free(text);
}

int bstack_arm_resources(const bench_stack *s) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/health", s->arm_url);
  cJSON *h = NULL;
  int n = bhttp_json("GET", url, NULL, &h) == 200 ? (int)bench_num(h, "resources") : -1;
  cJSON_Delete(h);
  return n;
}
