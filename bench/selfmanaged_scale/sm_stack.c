/* sm_stack.c — the processes under test, wired as scripts/sandbox.sh and bench/soak wire them: capz-kube-sim with
 * every CRD of config/crd and config/capi-crd, capz-arm-sim with throttling at ARM's real limits, capz-capi-sim,
 * the ServicePrincipal AzureClusterIdentity for the emulator's app, the resource group + user-assigned identity the
 * reference template expects to exist, and capz-host loading only selfmanaged.so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "sm_scale.h"

static int write_arm_config(const sm_stack_opts *o) {
  char text[2048], path[1024];
  /* Throttling written out at the real limits (azure-arm-reference.md §3, also the emulator's defaults) so the
   * figures cannot silently follow a change of the emulator's defaults. */
  snprintf(text, sizeof text,
           "lro:\n  defaultSeconds: %g\n  retryAfterSeconds: %g\n  durations:\n"
           "    Microsoft.Compute/virtualMachines: %g\n"
           "    Microsoft.Network/loadBalancers: %g\n"
           "throttling:\n  enabled: true\n  reads: {burst: 250, perSecond: 25}\n"
           "  writes: {burst: 200, perSecond: 10}\n  deletes: {burst: 200, perSecond: 10}\n"
           "  globalMultiplier: 15\n"
           "  aks: {enabled: true, putBurst: 20, putPerMinute: 1, listBurst: 500, listPerSecond: 1}\n"
           "  compute: {enabled: true}\nrequestLog: {keepBodies: 2000}\n",
           o->lro_default, o->retry_after, o->lro_vm, o->lro_lb);
  snprintf(path, sizeof path, "%s/arm-sim.yaml", o->dir);
  return bench_write_text(path, text);
}

static int write_host_config(const sm_stack_opts *o, const sm_stack *s, const char *pdir, char *path, size_t pn) {
  char text[4096];
  snprintf(text, sizeof text,
           "# written by selfmanaged_scale_bench\npluginDirs:\n  - %s\nkubernetes:\n  server: %s\n  qps: %g\n"
           "  burst: %d\nazure:\n  cloud: Custom\n  resourceManagerEndpoint: %s/\n  authorityHost: %s/\n"
           "  imdsEndpoint: %s\n  tokenAudience: https://management.azure.com/\nconcurrency:\n  defaultWorkers: %d\n"
           "metricsBindAddress: 127.0.0.1:0\nhealthProbeBindAddress: \"0\"\nlog:\n  verbosity: %d\n"
           "plugins:\n  selfmanaged:\n    config:\n      driftInterval: %gs\n      pollInterval: %gs\n",
           pdir, s->kube_url, o->kube_qps, o->kube_burst, s->arm_url, s->arm_url, s->arm_url, o->host_workers,
           o->verbosity, o->drift_interval_s, o->poll_interval_s);
  if (o->sync_period_s > 0) {
    size_t l = strlen(text);
    snprintf(text + l, sizeof text - l, "syncPeriod: %gs\n", o->sync_period_s);
  }
  snprintf(path, pn, "%s/capz-host.yaml", o->dir);
  return bench_write_text(path, text);
}

int sm_stack_start(const sm_stack_opts *o, sm_stack *s) {
  char path[1200];
  if (write_arm_config(o)) return -1;
  snprintf(path, sizeof path, "%s/arm-sim.yaml", o->dir);
  if (bench_start_kube(&s->kube, o->dir, o->build, o->source, 0, "sm-scale-bench", s->kube_url, sizeof s->kube_url,
                       &s->cfg, &s->c) ||
      bench_start_arm(&s->arm, o->dir, o->build, path, 0, s->arm_url, sizeof s->arm_url))
    return -1;
  if (bench_arm_preexisting(s->arm_url)) return -1;
  s->preexisting = sm_arm_resources(s);
  if (bench_start_capi(&s->capi, o->dir, o->build, s->kube_url, 0)) return -1;
  if (bench_create_identity(s->c)) return -1;

  char pdir[1024];
  if (bench_plugin_dir(o->build, o->dir, "selfmanaged", pdir, sizeof pdir)) return -1;
  if (write_host_config(o, s, pdir, path, sizeof path)) return -1;
  s->host_started = bench_now();
  return bench_start_host(&s->host, o->dir, o->build, path, 0, s->metrics_url, sizeof s->metrics_url);
}

void sm_stack_stop(sm_stack *s) {
  bproc_stop(&s->host);
  bproc_stop(&s->capi);
  bproc_stop(&s->arm);
  capz_kube_client_free(s->c);
  capz_kube_config_free(s->cfg);
  s->c = NULL;
  s->cfg = NULL;
  bproc_stop(&s->kube);
}

char *sm_host_metrics(const sm_stack *s) {
  char url[512], *text = NULL;
  snprintf(url, sizeof url, "%s/metrics", s->metrics_url);
  if (bhttp_req("GET", url, NULL, NULL, NULL, &text) != 200) {
    free(text);
    return NULL;
  }
  return text;
}

int sm_arm_resources(const sm_stack *s) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/health", s->arm_url);
  cJSON *h = NULL;
  int n = bhttp_json("GET", url, NULL, &h) == 200 ? (int)bench_num(h, "resources") : -1;
  cJSON_Delete(h);
  return n;
}

cJSON *sm_arm_inventory_by_type(const sm_stack *s) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/resources", s->arm_url);
  cJSON *all = NULL, *out = cJSON_CreateObject();
  if (bhttp_json("GET", url, NULL, &all) == 200) {
    const cJSON *r;
    cJSON_ArrayForEach(r, all) {
      const char *t = capz_json_ptr_str(r, "/type", "?");
      cJSON *it = cJSON_GetObjectItemCaseSensitive(out, t);
      if (it) cJSON_SetNumberValue(it, it->valuedouble + 1);
      else cJSON_AddNumberToObject(out, t, 1);
    }
  }
  cJSON_Delete(all);
  return out;
}

void sm_dump_requests(const sm_stack *s, const char *dir, const char *file) {
  char url[512], path[1024], *text = NULL;
  snprintf(url, sizeof url, "%s/_sim/requests?last=2000", s->arm_url);
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (bhttp_req("GET", url, NULL, NULL, NULL, &text) == 200 && text) bench_write_text(path, text);
  free(text);
}
