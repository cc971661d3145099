/* sm_stack.c — the processes under test, wired as scripts/sandbox.sh and bench/soak wire them: capz-kube-sim with
 * every CRD of config/crd and config/capi-crd, capz-arm-sim with throttling at ARM's real limits, capz-capi-sim,
 * the ServicePrincipal AzureClusterIdentity for the emulator's app, the resource group + user-assigned identity the
 * reference template expects to exist, and capz-host loading only selfmanaged.so. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capz/json.h"
#include "sm_scale.h"

static const capz_gvk CRD = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                             false};

static int names_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every CRD document of every *.yaml in dir; an existing CRD is fine. Returns how many, or -1. */
static int apply_crd_dir(capz_kube_client *c, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "sm_scale: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char *names[512];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 512) {
    size_t l = strlen(de->d_name);
    if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) names[n++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, names_cmp);
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    char *text = sm_slurp(path);
    capz_err err;
    cJSON *docs = text ? capz_yaml_to_json(text, strlen(text), &err) : NULL;
    free(text);
    const cJSON *doc;
    cJSON_ArrayForEach(doc, docs) {
      if (!cJSON_IsObject(doc)) continue;
      if (capz_kube_create(c, &CRD, NULL, doc, NULL, &err) == 0 || err.code == CAPZ_EEXIST) count++;
      else fprintf(stderr, "sm_scale: CRD from %s: %s\n", path, err.msg);
    }
    cJSON_Delete(docs);
    free(names[i]);
  }
  return count;
}

/* The emulator's app registration as one ServicePrincipal identity every cluster shares (scripts/sandbox.sh's
 * identity.yaml). */
static int create_identity(capz_kube_client *c) {
  static const capz_gvk SECRET = {"", "v1", "Secret", "secrets", true};
  static const capz_gvk ID = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureClusterIdentity",
                              "azureclusteridentities", true};
  cJSON *s = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cluster-identity-secret\","
                         "\"namespace\":\"default\"},\"type\":\"Opaque\",\"stringData\":{\"clientSecret\":\"" SM_SECRET
                         "\"}}");
  cJSON *i = cJSON_Parse("{\"apiVersion\":\"infrastructure.cluster.x-k8s.io/v1beta1\",\"kind\":\"AzureClusterIdentity\","
                         "\"metadata\":{\"name\":\"cluster-identity\",\"namespace\":\"default\",\"labels\":{"
                         "\"clusterctl.cluster.x-k8s.io/move-hierarchy\":\"true\"}},\"spec\":{\"type\":\"ServicePrincipal\","
                         "\"tenantID\":\"" SM_TENANT "\",\"clientID\":\"" SM_CLIENT "\",\"clientSecret\":{\"name\":"
                         "\"cluster-identity-secret\",\"namespace\":\"default\"},\"allowedNamespaces\":{}}}");
  capz_err err;
  int rc = 0;
  if (capz_kube_create(c, &SECRET, SM_NS, s, NULL, &err) != 0 && err.code != CAPZ_EEXIST) rc = -1;
  if (rc == 0 && capz_kube_create(c, &ID, SM_NS, i, NULL, &err) != 0 && err.code != CAPZ_EEXIST) rc = -1;
  if (rc) fprintf(stderr, "sm_scale: identity: %s\n", err.msg);
  cJSON_Delete(s);
  cJSON_Delete(i);
  return rc;
}

/* What CAPZ's reference template expects to exist already (its CI creates it once per subscription): resource
 * group capz-ci with the user-assigned identity control-plane VMs get. Created through ARM with the test app. */
static int create_preexisting(const sm_stack *s) {
  char url[512], *text = NULL;
  snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/token", s->arm_url, SM_TENANT);
  long st = smh("POST", url, "application/x-www-form-urlencoded",
                "grant_type=client_credentials&client_id=" SM_CLIENT "&client_secret=" SM_SECRET
                "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
                NULL, &text);
  cJSON *tok = text ? cJSON_Parse(text) : NULL;
  free(text);
  const cJSON *at = cJSON_GetObjectItemCaseSensitive(tok, "access_token");
  int rc = st == 200 && cJSON_IsString(at) ? 0 : -1;
  static const char *const paths[] = {
      "/subscriptions/" SM_SUB "/resourcegroups/" SM_PRE_RG "?api-version=2021-04-01",
      "/subscriptions/" SM_SUB "/resourceGroups/" SM_PRE_RG
      "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" SM_PRE_UAI "?api-version=2023-01-31"};
  for (size_t i = 0; rc == 0 && i < 2; i++) {
    snprintf(url, sizeof url, "%s%s", s->arm_url, paths[i]);
    st = smh("PUT", url, NULL, "{\"location\":\"eastus\"}", at->valuestring, NULL);
    if (st < 200 || st >= 300) rc = -1;
  }
  cJSON_Delete(tok);
  if (rc) fprintf(stderr, "sm_scale: cannot create the pre-existing %s resources\n", SM_PRE_RG);
  return rc;
}

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
  return sm_write_text(path, text);
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
  return sm_write_text(path, text);
}

int sm_stack_start(const sm_stack_opts *o, sm_stack *s) {
  char bin[1024], path[1200];
  if (write_arm_config(o)) return -1;
  snprintf(bin, sizeof bin, "%s/bin/capz-kube-sim", o->build);
  const char *kargv[] = {bin, "--listen", "127.0.0.1:0", NULL};
  if (smp_start(&s->kube, o->dir, "kube-sim", kargv) ||
      smp_wait_line(&s->kube, 1, "READY ", 20, s->kube_url, sizeof s->kube_url))
    return -1;
  capz_err err;
  capz_kube_client_opts co = {.struct_size = sizeof co, .qps = 2000, .burst = 2000, .user_agent = "sm-scale-bench"};
  if (capz_kube_config_from_url(s->kube_url, &s->cfg, &err) || capz_kube_client_new(s->cfg, &co, &s->c, &err)) {
    fprintf(stderr, "sm_scale: kube client: %s\n", err.msg);
    return -1;
  }
  snprintf(path, sizeof path, "%s/config/crd/bases", o->source);
  int n1 = apply_crd_dir(s->c, path);
  snprintf(path, sizeof path, "%s/config/capi-crd/bases", o->source);
  int n2 = apply_crd_dir(s->c, path);
  if (n1 <= 0 || n2 <= 0) return -1;

  snprintf(path, sizeof path, "%s/arm-sim.yaml", o->dir);
  snprintf(bin, sizeof bin, "%s/bin/capz-arm-sim", o->build);
  const char *aargv[] = {bin, "--listen", "127.0.0.1:0", "--config", path, NULL};
  if (smp_start(&s->arm, o->dir, "arm-sim", aargv) ||
      smp_wait_line(&s->arm, 1, "READY ", 20, s->arm_url, sizeof s->arm_url))
    return -1;
  if (create_preexisting(s)) return -1;
  s->preexisting = sm_arm_resources(s);

  snprintf(bin, sizeof bin, "%s/bin/capz-capi-sim", o->build);
  const char *cargv[] = {bin, "--server", s->kube_url, NULL};
  if (smp_start(&s->capi, o->dir, "capi-sim", cargv) || smp_wait_line(&s->capi, 1, "READY ", 30, NULL, 0)) return -1;
  if (create_identity(s->c)) return -1;

  /* A private plugin directory holding only a copy of selfmanaged.so (the loader refuses symlinks). */
  char pdir[1024], so[1100], dst[1100];
  snprintf(pdir, sizeof pdir, "%s/plugins", o->dir);
  mkdir(pdir, 0755);
  snprintf(so, sizeof so, "%s/plugins/selfmanaged.so", o->build);
  snprintf(dst, sizeof dst, "%s/selfmanaged.so", pdir);
  unlink(dst); /* never write through an old symlink */
  if (sm_copy_file(so, dst) != 0) {
    fprintf(stderr, "sm_scale: cannot copy %s to %s\n", so, dst);
    return -1;
  }
  if (write_host_config(o, s, pdir, path, sizeof path)) return -1;
  snprintf(bin, sizeof bin, "%s/bin/capz-host", o->build);
  const char *hargv[] = {bin, "--config", path, NULL};
  s->host_started = sm_now();
  if (smp_start(&s->host, o->dir, "host", hargv) ||
      smp_wait_line(&s->host, 0, "metrics=", 30, s->metrics_url, sizeof s->metrics_url))
    return -1;
  char nplugins[16] = "";
  if (smp_wait_line(&s->host, 0, " plugins=", 5, nplugins, sizeof nplugins) || strcmp(nplugins, "1") != 0) {
    fprintf(stderr, "sm_scale: capz-host did not load selfmanaged.so (see %s)\n", s->host.err_path);
    return -1;
  }
  return 0;
}

void sm_stack_stop(sm_stack *s) {
  smp_stop(&s->host);
  smp_stop(&s->capi);
  smp_stop(&s->arm);
  capz_kube_client_free(s->c);
  capz_kube_config_free(s->cfg);
  s->c = NULL;
  s->cfg = NULL;
  smp_stop(&s->kube);
}

char *sm_host_metrics(const sm_stack *s) {
  char url[512], *text = NULL;
  snprintf(url, sizeof url, "%s/metrics", s->metrics_url);
  if (smh("GET", url, NULL, NULL, NULL, &text) != 200) {
    free(text);
    return NULL;
  }
  return text;
}

int sm_arm_resources(const sm_stack *s) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/health", s->arm_url);
  cJSON *h = NULL;
  int n = smh_json("GET", url, NULL, &h) == 200 ? (int)smm_num(h, "resources") : -1;
  cJSON_Delete(h);
  return n;
}

cJSON *sm_arm_inventory_by_type(const sm_stack *s) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/resources", s->arm_url);
  cJSON *all = NULL, *out = cJSON_CreateObject();
  if (smh_json("GET", url, NULL, &all) == 200) {
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
  if (smh("GET", url, NULL, NULL, NULL, &text) == 200 && text) sm_write_text(path, text);
  free(text);
}
