/* e2e_env.c — see e2e_env.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "e2e_env.h"

#include <check.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capz/azure.h"
#include "capz/controller.h"
#include "capz/controller_util.h"
#include "capz/json.h"
#include "capz/sdk.h"
#include "capz/testkit.h"
#include "e2e_util.h"
#include "runtime/runtime.h"

simproc e2e_kube, e2e_wl, e2e_arm;
capz_kube_client *e2e_c;
static capz_kube_config *g_cfg;
static capz_testkit *g_tk;
static char g_armcfg[256];
static pid_t g_capi = -1;

const capz_gvk E2E_AMCP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureManagedControlPlane",
                           "azuremanagedcontrolplanes", true};
const capz_gvk E2E_AMC = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureManagedCluster", "azuremanagedclusters",
                          true};
const capz_gvk E2E_AMMP = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureManagedMachinePool",
                           "azuremanagedmachinepools", true};
const capz_gvk E2E_CLUSTER = {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true};
const capz_gvk E2E_MP = {"cluster.x-k8s.io", "v1beta1", "MachinePool", "machinepools", true};
const capz_gvk E2E_SECRET = {"", "v1", "Secret", "secrets", true};

/* ---- runtime on a thread ---- */
typedef struct rt {
  pthread_t th;
  host_runtime_opts o;
  const capz_plugin *plugins[1];
  void *states[1];
  volatile sig_atomic_t stop;
  int rc;
  capz_err err;
  pthread_mutex_t mu;
  char metrics[128];
} rt;
static rt g_rt;

static void *rt_main(void *arg) {
  rt *t = arg;
  t->rc = host_runtime_run(&t->o, t->plugins, t->states, 1, &t->stop, &t->err);
  return NULL;
}

static void on_listening(void *ud, const char *health, const char *metrics) {
  (void)health;
  rt *t = ud;
  pthread_mutex_lock(&t->mu);
  snprintf(t->metrics, sizeof t->metrics, "%s", metrics ? metrics : "");
  pthread_mutex_unlock(&t->mu);
}

double e2e_reconciles(void) {
  char url[256];
  pthread_mutex_lock(&g_rt.mu);
  snprintf(url, sizeof url, "%s/metrics", g_rt.metrics);
  pthread_mutex_unlock(&g_rt.mu);
  char *text = NULL;
  ck_assert_int_eq(e2e_http_text(url, &text), 200);
  double sum = 0;
  for (char *l = text; l && *l;) {
    char *nl = strchr(l, '\n');
    if (nl) *nl = '\0';
    if (strncmp(l, "controller_runtime_reconcile_total{", 35) == 0) {
      char *sp = strrchr(l, ' ');
      if (sp) sum += strtod(sp + 1, NULL);
    }
    l = nl ? nl + 1 : NULL;
  }
  free(text);
  return sum;
}

bool e2e_metrics_wait(int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    char url[256] = "";
    pthread_mutex_lock(&g_rt.mu);
    if (*g_rt.metrics) snprintf(url, sizeof url, "%s/metrics", g_rt.metrics);
    pthread_mutex_unlock(&g_rt.mu);
    char *text = NULL;
    long st = *url ? e2e_http_text(url, &text) : 0;
    free(text);
    if (st == 200) return true;
    usleep(50000);
  }
  return false;
}

double e2e_metric(const char *name, const char *const *labels) {
  char url[256];
  pthread_mutex_lock(&g_rt.mu);
  snprintf(url, sizeof url, "%s/metrics", g_rt.metrics);
  pthread_mutex_unlock(&g_rt.mu);
  char *text = NULL;
  ck_assert_int_eq(e2e_http_text(url, &text), 200);
  double sum = 0;
  size_t nl_ = strlen(name);
  for (char *l = text; l && *l;) {
    char *nl = strchr(l, '\n');
    if (nl) *nl = '\0';
    bool match = strncmp(l, name, nl_) == 0 && (l[nl_] == '{' || l[nl_] == ' ');
    for (int i = 0; match && labels && labels[i]; i++)
      if (!strstr(l, labels[i])) match = false;
    char *sp = strrchr(l, ' ');
    if (match && sp) sum += strtod(sp + 1, NULL);
    l = nl ? nl + 1 : NULL;
  }
  free(text);
  return sum;
}

/* capz-capi-sim takes --server instead of --listen; it prints READY once its caches are synced. */
static void start_capi(void) {
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    const char *bin = simproc_bin("capz-capi-sim");
    execl(bin, bin, "--server", e2e_kube.url, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  g_capi = pid;
  char line[512];
  size_t n = 0;
  struct pollfd p = {fds[0], POLLIN, 0};
  while (n < sizeof line - 1 && poll(&p, 1, 20000) > 0) {
    if (read(fds[0], line + n, 1) <= 0 || line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
  close(fds[0]);
  ck_assert_msg(strncmp(line, "READY ", 6) == 0, "capz-capi-sim did not print READY (got '%s')", line);
}

static void apply_crd_dir(const char *dir) {
  DIR *dp = opendir(dir);
  ck_assert_msg(dp != NULL, "cannot open %s", dir);
  struct dirent *e;
  while ((e = readdir(dp))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0) continue;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    ck_assert_msg(e2e_apply_crds(e2e_c, p) == 0, "CRDs from %s", p);
  }
  closedir(dp);
}

void e2e_env_start(const char *arm_extra, bool all_crds, bool capi) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  ck_assert_int_eq(simproc_start(&e2e_kube, simproc_bin("capz-kube-sim"), NULL), 0);
  ck_assert_int_eq(simproc_start(&e2e_wl, simproc_bin("capz-kube-sim"), NULL), 0);
  snprintf(g_armcfg, sizeof g_armcfg, "/tmp/mc-feat-arm-%d.yaml", (int)getpid());
  FILE *f = fopen(g_armcfg, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "%srequestLog: {keepBodies: 4000}\naks:\n  apiServerUrl: %s\n"
          "  kubernetesVersions: [1.32.4, 1.33.1, 1.34.0]\n  defaultVersion: 1.33.1\n%s",
          /* an lro section of the test's own replaces the short default */
          arm_extra && strncmp(arm_extra, "lro:", 4) == 0 ? "" : "lro: {defaultSeconds: 1, retryAfterSeconds: 1}\n",
          e2e_wl.url, arm_extra ? arm_extra : "");
  fclose(f);
  const char *extra[] = {"--config", g_armcfg, NULL};
  ck_assert_int_eq(simproc_start(&e2e_arm, simproc_bin("capz-arm-sim"), extra), 0);
  ck_assert_int_eq(capz_kube_config_from_url(e2e_kube.url, &g_cfg, NULL), 0);
  capz_kube_client_opts o = {.struct_size = sizeof o, .qps = 1000, .burst = 1000};
  ck_assert_int_eq(capz_kube_client_new(g_cfg, &o, &e2e_c, NULL), 0);
  const char *src = getenv("CAPZ_SOURCE_DIR");
  ck_assert_ptr_nonnull(src);
  char p[1024];
  if (all_crds) {
    snprintf(p, sizeof p, "%s/config/crd/bases", src);
    apply_crd_dir(p);
    snprintf(p, sizeof p, "%s/config/capi-crd/bases", src);
    apply_crd_dir(p);
  } else {
    static const char *const crds[] = {
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azuremanagedcontrolplanes.yaml",
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azuremanagedclusters.yaml",
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azuremanagedmachinepools.yaml",
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azureclusteridentities.yaml",
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azureasomanagedcontrolplanes.yaml",
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azureasomanagedclusters.yaml",
        "config/crd/bases/infrastructure.cluster.x-k8s.io_azureasomanagedmachinepools.yaml",
        "config/capi-crd/bases/cluster.x-k8s.io_clusters.yaml",
        "config/capi-crd/bases/cluster.x-k8s.io_machinepools.yaml",
        NULL};
    for (int i = 0; crds[i]; i++) {
      snprintf(p, sizeof p, "%s/%s", src, crds[i]);
      ck_assert_msg(e2e_apply_crds(e2e_c, p) == 0, "CRDs from %s", p);
    }
  }
  if (capi) start_capi();
}

void e2e_env_stop(void) {
  e2e_plugin_stop();
  if (g_capi > 0) {
    kill(g_capi, SIGTERM);
    waitpid(g_capi, NULL, 0);
    g_capi = -1;
  }
  capz_kube_client_free(e2e_c);
  e2e_c = NULL;
  capz_kube_config_free(g_cfg);
  g_cfg = NULL;
  simproc_stop(&e2e_arm);
  simproc_stop(&e2e_wl);
  simproc_stop(&e2e_kube);
  unlink(g_armcfg);
  capz_sdk_global_cleanup();
}

void e2e_plugin_start(const char *drift) { e2e_plugin_start_kc(drift, NULL); }

void e2e_plugin_start_kc(const char *drift, const char *kc_refresh) {
  char so[1024];
  snprintf(so, sizeof so, "%s/plugins/managedcluster.so", getenv("CAPZ_BUILD_DIR"));
  const char *kv[] = {"armEndpoint", e2e_arm.url, "authorityHost", e2e_arm.url, "tokenAudience",
                      "https://management.azure.com/", "pollInterval", "200ms", "driftInterval", drift,
                      kc_refresh ? "kubeconfigRefreshInterval" : NULL, kc_refresh, NULL};
  capz_err e;
  g_tk = capz_testkit_open(so, kv, &e);
  ck_assert_msg(g_tk != NULL, "%s", e.msg);
  memset(&g_rt, 0, sizeof g_rt);
  g_rt.plugins[0] = &capz_testkit_plugin(g_tk)->desc;
  g_rt.states[0] = capz_testkit_state(g_tk);
  g_rt.o.server_url = e2e_kube.url;
  g_rt.o.kube_qps = 500;
  g_rt.o.kube_burst = 500;
  g_rt.o.shutdown_grace_ms = 5000;
  g_rt.o.metrics_addr = "127.0.0.1:0";
  g_rt.o.on_listening = on_listening;
  g_rt.o.ud = &g_rt;
  pthread_mutex_init(&g_rt.mu, NULL);
  ck_assert_int_eq(pthread_create(&g_rt.th, NULL, rt_main, &g_rt), 0);
}

void e2e_plugin_stop(void) {
  if (g_rt.th) {
    g_rt.stop = 1;
    pthread_join(g_rt.th, NULL);
    g_rt.th = 0;
  }
  capz_testkit_close(g_tk);
  g_tk = NULL;
}

/* ---- objects ---- */
cJSON *e2e_get(const capz_gvk *g, const char *name) {
  cJSON *o = NULL;
  capz_kube_get(e2e_c, g, E2E_NS, name, &o, NULL);
  return o;
}

void e2e_create(cJSON *obj) {
  capz_gvk g = e2e_gvk_of(obj);
  capz_err e;
  ck_assert_msg(capz_kube_create(e2e_c, &g, E2E_NS, obj, NULL, &e) == 0, "create %s %s: %s", g.kind,
                capz_json_ptr_str(obj, "/metadata/name", ""), e.msg);
}

void e2e_merge(const capz_gvk *g, const char *name, const char *json) {
  cJSON *p = cJSON_Parse(json);
  ck_assert_ptr_nonnull(p);
  capz_err e;
  ck_assert_msg(capz_kube_patch(e2e_c, g, E2E_NS, name, CAPZ_PATCH_MERGE, p, NULL, NULL, &e) == 0, "%s", e.msg);
  cJSON_Delete(p);
}

void e2e_touch(const capz_gvk *g, const char *name, const char *value) {
  char buf[256];
  snprintf(buf, sizeof buf, "{\"metadata\":{\"labels\":{\"e2e-touch\":\"%s\"}}}", value);
  e2e_merge(g, name, buf);
}

cJSON *e2e_owner_ref(const capz_gvk *g, const char *name) {
  cJSON *o = e2e_get(g, name);
  ck_assert_msg(o != NULL, "%s %s missing", g->kind, name);
  cJSON *r = cJSON_CreateObject();
  char av[128];
  snprintf(av, sizeof av, "%s/%s", g->group, g->version);
  cJSON_AddStringToObject(r, "apiVersion", av);
  cJSON_AddStringToObject(r, "kind", g->kind);
  cJSON_AddStringToObject(r, "name", name);
  cJSON_AddStringToObject(r, "uid", capz_json_ptr_str(o, "/metadata/uid", ""));
  cJSON_AddBoolToObject(r, "controller", true);
  cJSON_Delete(o);
  return r;
}

bool e2e_wait_true(const capz_gvk *g, const char *name, const char *ptr, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *o = e2e_get(g, name);
    bool ok = capz_json_ptr_bool(o, ptr, false);
    cJSON_Delete(o);
    if (ok) return true;
    usleep(100000);
  }
  return false;
}

void e2e_wait_finalized(const capz_gvk *g, const char *name, int64_t timeout_ms, const char *what) {
  int64_t t0 = capz_monotonic_ms();
  for (;;) {
    cJSON *o = e2e_get(g, name);
    bool fin = cJSON_GetArraySize(capz_json_ptr_get(o, "/metadata/finalizers")) > 0;
    cJSON_Delete(o);
    if (fin) return;
    ck_assert_msg(capz_monotonic_ms() - t0 < timeout_ms, "%s never reconciled", what);
    usleep(50000);
  }
}

void e2e_set_owner(cJSON *obj, const capz_gvk *g, const char *name) {
  cJSON *refs = cJSON_CreateArray();
  cJSON_AddItemToArray(refs, e2e_owner_ref(g, name));
  capz_json_ptr_set(obj, "/metadata/ownerReferences", refs, NULL);
}

int e2e_managed_cluster_puts(const cJSON *log) {
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(log, "/requests")) {
    const char *p = capz_json_ptr_str(r, "/path", "");
    const char *mc = strcasestr(p, "/managedClusters/");
    if (!mc || strcmp(capz_json_ptr_str(r, "/method", ""), "PUT") != 0) continue;
    const char *rest = strchr(mc + strlen("/managedClusters/"), '/'), *q = strchr(p, '?');
    if (!rest || (q && rest > q)) n++;
  }
  return n;
}

int64_t e2e_wait_managed_cluster_put(int64_t since_ms, int64_t timeout_ms, const char *after) {
  for (;;) {
    cJSON *log = NULL;
    e2e_arm_requests(NULL, &log);
    bool seen = e2e_managed_cluster_puts(log) > 0;
    cJSON_Delete(log);
    int64_t now = capz_monotonic_ms();
    if (seen) return now - since_ms;
    ck_assert_msg(now - since_ms < timeout_ms, "no managedCluster PUT after %s", after);
    usleep(20000);
  }
}

bool e2e_wait_gone(const capz_gvk *g, const char *name, int64_t timeout_ms) {
  int64_t until = capz_monotonic_ms() + timeout_ms;
  while (capz_monotonic_ms() < until) {
    cJSON *o = NULL;
    if (capz_kube_get(e2e_c, g, E2E_NS, name, &o, NULL) == CAPZ_ENOTFOUND) return true;
    cJSON_Delete(o);
    usleep(100000);
  }
  return false;
}

void e2e_identity_secret(void) {
  cJSON *sec = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cluster-identity-"
                           "secret\",\"namespace\":\"default\"},\"data\":{\"clientSecret\":\"Y2Fwei1zaW0tc2VjcmV0\"}}");
  capz_err e;
  ck_assert_int_eq(capz_kube_create(e2e_c, &E2E_SECRET, E2E_NS, sec, NULL, &e), 0);
  cJSON_Delete(sec);
}

int e2e_aks_extra_pools;

/* e2e_aks_extra_pools more copies of the template's pool1 (MachinePool + AMMP): pool2, pool3, ... */
static void add_pools(cJSON *docs, const char *cluster) {
  char p1[300];
  snprintf(p1, sizeof p1, "%s-pool1", cluster);
  cJSON *mp = NULL, *ammp = NULL, *d;
  cJSON_ArrayForEach(d, docs) {
    if (strcmp(capz_json_ptr_str(d, "/metadata/name", ""), p1) != 0) continue;
    if (!strcmp(capz_json_ptr_str(d, "/kind", ""), "MachinePool")) mp = d;
    if (!strcmp(capz_json_ptr_str(d, "/kind", ""), "AzureManagedMachinePool")) ammp = d;
  }
  for (int i = 0; mp && ammp && i < e2e_aks_extra_pools; i++) {
    char name[300], pool[32];
    snprintf(pool, sizeof pool, "pool%d", i + 2);
    snprintf(name, sizeof name, "%s-%s", cluster, pool);
    cJSON *m = cJSON_Duplicate(mp, 1), *a = cJSON_Duplicate(ammp, 1);
    capz_json_ptr_set_str(m, "/metadata/name", name, NULL);
    capz_json_ptr_set_str(m, "/spec/template/spec/infrastructureRef/name", name, NULL);
    capz_json_ptr_set_str(a, "/metadata/name", name, NULL);
    capz_json_ptr_set_str(a, "/spec/name", pool, NULL);
    cJSON_AddItemToArray(docs, m);
    cJSON_AddItemToArray(docs, a);
  }
}

cJSON *e2e_apply_aks(const char *cluster, void (*edit)(cJSON *amcp), const char *held_kind) {
  e2e_identity_secret();
  cJSON *docs = e2e_render("cluster-template-aks.yaml", cluster, "");
  add_pools(docs, cluster);
  cJSON *held = NULL;
  static const char *const order[] = {"AzureClusterIdentity", "Cluster", "MachinePool", "AzureManagedControlPlane",
                                      "AzureManagedCluster", "AzureManagedMachinePool", NULL};
  for (int k = 0; order[k]; k++) {
    cJSON *d;
    cJSON_ArrayForEach(d, docs) {
      const char *kind = capz_json_ptr_str(d, "/kind", "");
      if (strcmp(kind, order[k]) != 0) continue;
      const char *name = capz_json_ptr_str(d, "/metadata/name", "");
      if (!strcmp(kind, "AzureManagedControlPlane") && edit) edit(d);
      if (!strcmp(kind, "AzureManagedControlPlane") || !strcmp(kind, "AzureManagedCluster")) {
        e2e_set_owner(d, &E2E_CLUSTER, cluster);
      }
      if (!strcmp(kind, "AzureManagedMachinePool")) {
        e2e_set_owner(d, &E2E_MP, name);
      }
      if (strcmp(kind, "AzureClusterIdentity") != 0)
        capz_json_ptr_set_str(d, "/metadata/labels/cluster.x-k8s.io~1cluster-name", cluster, NULL);
      if (held_kind && !strcmp(kind, held_kind) && !held) held = cJSON_Duplicate(d, 1);
      else e2e_create(d);
    }
  }
  cJSON_Delete(docs);
  return held;
}

cJSON *e2e_render(const char *template_file, const char *cluster, const char *cluster_class) {
  char path[1024];
  if (template_file[0] == '/') snprintf(path, sizeof path, "%s", template_file);
  else snprintf(path, sizeof path, "%s/reference/templates/%s", getenv("CAPZ_SHARED_DIR"), template_file);
  char *text = e2e_read_file(path);
  ck_assert_msg(text != NULL, "cannot read %s", path);
  const char *vars[] = {"CLUSTER_NAME", cluster, "CLUSTER_CLASS_NAME", cluster_class, "CLUSTER_IDENTITY_NAME",
                        "cluster-identity", "AZURE_LOCATION", "eastus", "AZURE_SUBSCRIPTION_ID", E2E_SUB,
                        "KUBERNETES_VERSION", "v1.32.4", "AZURE_NODE_MACHINE_TYPE", "Standard_D2s_v3",
                        "AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY", E2E_CLIENT, "AZURE_TENANT_ID", E2E_TENANT,
                        "CLUSTER_IDENTITY_TYPE", "ServicePrincipal", "ASO_CREDENTIAL_SECRET_NAME", "aso-cred", NULL};
  char *y = e2e_subst(text, vars);
  free(text);
  capz_err e;
  cJSON *docs = capz_yaml_to_json(y, strlen(y), &e);
  free(y);
  ck_assert_msg(docs != NULL, "%s", e.msg);
  cJSON *d;
  cJSON_ArrayForEach(d, docs) {
    if (!strcmp(capz_json_ptr_str(d, "/kind", ""), "AzureClusterIdentity"))
      capz_json_ptr_set(d, "/spec/clientSecret",
                        cJSON_Parse("{\"name\":\"cluster-identity-secret\",\"namespace\":\"default\"}"), NULL);
  }
  return docs;
}

/* ---- ARM ---- */
cJSON *e2e_sim_resources(const char *type) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/resources?type=%s", e2e_arm.url, type);
  cJSON *out = NULL;
  ck_assert_int_eq(e2e_http("GET", url, &out), 200);
  return out;
}

const cJSON *e2e_find_named(const cJSON *arr, const char *name) {
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) if (strcmp(capz_json_ptr_str(it, "/name", ""), name) == 0) return it;
  return NULL;
}

void e2e_clear_requests(void) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests", e2e_arm.url);
  ck_assert_int_eq(e2e_http("DELETE", url, NULL) / 100, 2);
}

int e2e_arm_requests(int *writes, cJSON **log) {
  char url[512];
  snprintf(url, sizeof url, "%s/_sim/requests?last=4000", e2e_arm.url);
  cJSON *o = NULL;
  ck_assert_int_eq(e2e_http("GET", url, &o), 200);
  int n = 0, w = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, capz_json_ptr_get(o, "/requests")) {
    if (strncmp(capz_json_ptr_str(r, "/path", ""), "/subscriptions/", 15) != 0) continue;
    n++;
    if (strcmp(capz_json_ptr_str(r, "/method", ""), "GET") != 0) w++;
  }
  if (writes) *writes = w;
  if (log) *log = o;
  else cJSON_Delete(o);
  return n;
}

void e2e_arm_put(const char *id, const char *api_version, const char *body_json) {
  capz_az_cloud cloud;
  cJSON *cj = cJSON_CreateObject();
  cJSON_AddStringToObject(cj, "name", "AzurePublicCloud");
  cJSON_AddStringToObject(cj, "armEndpoint", e2e_arm.url);
  cJSON_AddStringToObject(cj, "authorityHost", e2e_arm.url);
  cJSON_AddStringToObject(cj, "tokenAudience", "https://management.azure.com/");
  capz_err e;
  ck_assert_msg(capz_az_cloud_from_json(cj, &cloud, &e) == 0, "%s", e.msg);
  cJSON_Delete(cj);
  static const unsigned char secret[] = "capz-sim-secret";
  capz_az_identity id_ = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = E2E_TENANT, .client_id = E2E_CLIENT,
                          .secret = secret, .secret_len = sizeof secret - 1};
  capz_az_credential *cred = capz_az_credential_new(&cloud, &id_, NULL, &e);
  ck_assert_msg(cred != NULL, "%s", e.msg);
  capz_arm_client_config cc = {.cloud = &cloud, .credential = cred, .poll_default_s = 0.2};
  capz_arm_client *arm = capz_arm_client_new(&cc, &e);
  ck_assert_msg(arm != NULL, "%s", e.msg);
  cJSON *body = cJSON_Parse(body_json);
  ck_assert_ptr_nonnull(body);
  capz_arm_req_opts o = {.api_version = api_version};
  ck_assert_msg(capz_arm_put(arm, id, body, &o, 30, NULL, &e) == 0, "PUT %s: %s", id, e.msg);
  cJSON_Delete(body);
  capz_arm_client_free(arm);
  capz_az_credential_free(cred);
}

char *e2e_secret_text(const char *name, const char *key) {
  unsigned char *v = NULL;
  size_t l = 0;
  if (capz_secret_value(e2e_c, E2E_NS, name, key, &v, &l, NULL) != 0) return NULL;
  return (char *)v;
}
