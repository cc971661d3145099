/* e2e_env.c — see e2e_env.h. */
#include "e2e_env.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capz/azure.h"
#include "capz/json.h"
#include "capz/sdk.h"
#include "capz/testkit.h"
#include "curlbuf.h"
#include "runtime/runtime.h"
#include "simproc.h"

capz_kube_client *g_kc;
static capz_kube_config *g_kcfg;
static simproc g_kube, g_arm;
static char g_dir[128];

const capz_gvk GVK_AC = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureCluster", "azureclusters", true};
const capz_gvk GVK_AM = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureMachine", "azuremachines", true};
const capz_gvk GVK_ACI = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureClusterIdentity",
                          "azureclusteridentities", true};
const capz_gvk GVK_AMT = {"infrastructure.cluster.x-k8s.io", "v1beta1", "AzureMachineTemplate",
                          "azuremachinetemplates", true};
const capz_gvk GVK_CLUSTER = {"cluster.x-k8s.io", "v1beta2", "Cluster", "clusters", true};
const capz_gvk GVK_MACHINE = {"cluster.x-k8s.io", "v1beta2", "Machine", "machines", true};
const capz_gvk GVK_SECRET = {"", "v1", "Secret", "secrets", true};

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- CRDs */
static void install_crd_file(const char *path) {
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  capz_err e;
  cJSON *docs = capz_yaml_to_json(buf, (size_t)n, &e);
  free(buf);
  ck_assert_msg(docs != NULL, "%s: %s", path, e.msg);
  static const capz_gvk CRD = {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                               false};
  const cJSON *d;
  cJSON_ArrayForEach(d, docs) ck_assert_msg(capz_kube_create(g_kc, &CRD, NULL, d, NULL, &e) == 0, "%s: %s", path, e.msg);
  cJSON_Delete(docs);
}

static void install_crds(void) {
  const char *src = getenv("CAPZ_SOURCE_DIR");
  ck_assert_ptr_nonnull(src);
  static const char *const capz[] = {"azureclusters", "azuremachines", "azureclusteridentities", "azuremachinetemplates"};
  char p[1024];
  for (size_t i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/config/crd/bases/infrastructure.cluster.x-k8s.io_%s.yaml", src, capz[i]);
    install_crd_file(p);
  }
  static const char *const capi[] = {"clusters", "machines"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(p, sizeof p, "%s/config/capi-crd/bases/cluster.x-k8s.io_%s.yaml", src, capi[i]);
    if (access(p, R_OK) != 0) {
      const char *sh = getenv("CAPZ_SHARED_DIR");
      snprintf(p, sizeof p, "%s/reference/crds/capi/cluster.x-k8s.io_%s.yaml", sh ? sh : "", capi[i]);
    }
    install_crd_file(p);
  }
}

/* ---------------------------------------------------------------- the controllers
 * Preferably the real daemon: build/bin/capz-host with a config file enabling only selfmanaged.so. Without that
 * binary, the same runtime runs in this process with the plugin loaded through the real loader (testkit). */
static struct {
  pid_t host_pid; /* capz-host child, or 0 */
  pthread_t th;   /* in-process fallback */
  capz_testkit *tk;
  const capz_plugin *plugins[1];
  void *states[1];
  host_runtime_opts o;
  volatile sig_atomic_t stop;
  int rc;
  capz_err err;
  bool running;
} g_rt;

static void *rt_main(void *arg) {
  (void)arg;
  g_rt.rc = host_runtime_run(&g_rt.o, g_rt.plugins, g_rt.states, 1, &g_rt.stop, &g_rt.err);
  return NULL;
}

static char g_drift[32] = "10m";
static int g_host_starts; /* daemon starts so far (each logs one " serving " line once up) */

void env_restart_controllers_with_drift(const char *drift) {
  snprintf(g_drift, sizeof g_drift, "%s", drift);
  env_restart_controllers();
}

static const char *build_dir(void) { return getenv("CAPZ_BUILD_DIR") ? getenv("CAPZ_BUILD_DIR") : "."; }

const char *env_kube_url(void) { return g_kube.url; }
const char *env_arm_url(void) { return g_arm.url; }

void env_host_log_path(char *out, size_t n) { snprintf(out, n, "%s/capz-host.log", g_dir); }

/* The host config: the plugin directory with every other plugin disabled, the emulators, no ops listeners. */
static void write_host_config(const char *path) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/plugins", build_dir());
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  /* metrics on an ephemeral port (read back from the daemon's "serving" log line): reconcile counters */
  fprintf(f, "pluginDirs: [\"%s\"]\nmetricsBindAddress: \"127.0.0.1:0\"\nhealthProbeBindAddress: \"0\"\n", dir);
  /* a resync far beyond any test: whatever a test sees after convergence comes from the controllers' own requeues */
  fprintf(f, "syncPeriod: 1h\n");
  fprintf(f, "kubernetes:\n  server: \"%s\"\n  qps: 500\n  burst: 500\n", g_kube.url);
  /* Azure endpoints come from the host's azure: section (the SDK's default cloud), not from plugin config. */
  fprintf(f, "azure:\n  cloud: Custom\n  resourceManagerEndpoint: \"%s\"\n  authorityHost: \"%s\"\n"
             "  tokenAudience: \"https://management.azure.com/\"\n", g_arm.url, g_arm.url);
  fprintf(f, "plugins:\n  selfmanaged:\n    config:\n      pollInterval: 100ms\n      driftInterval: %s\n", g_drift);
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > 3 && !strcmp(e->d_name + l - 3, ".so") && strcmp(e->d_name, "selfmanaged.so"))
      fprintf(f, "  %.*s:\n    enabled: false\n", (int)(l - 3), e->d_name);
  }
  closedir(d);
  fclose(f);
}

static void controllers_start(void) {
  char host[1024];
  snprintf(host, sizeof host, "%s/bin/capz-host", build_dir());
  if (access(host, X_OK) == 0) {
    char cfg[256], log[256];
    snprintf(cfg, sizeof cfg, "%s/host.yaml", g_dir);
    snprintf(log, sizeof log, "%s/capz-host.log", g_dir);
    write_host_config(cfg);
    /* Until exec the child is a copy of this process, with Check's SIGTERM handler (which kills the running test's
     * process group): a restart right after a start would otherwise kill the test. SIGTERM stays blocked across
     * the fork; the child resets the handler before unblocking it. */
    sigset_t term, old_mask;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old_mask);
    pid_t pid = fork();
    if (pid == 0) {
      signal(SIGTERM, SIG_DFL);
      sigprocmask(SIG_SETMASK, &old_mask, NULL);
    } else {
      sigprocmask(SIG_SETMASK, &old_mask, NULL);
    }
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      execl(host, host, "--config", cfg, (char *)NULL);
      _exit(127);
    }
    g_rt.host_pid = pid;
    g_rt.running = true;
    g_host_starts++;
    return;
  }
  char so[1024];
  snprintf(so, sizeof so, "%s/plugins/selfmanaged.so", build_dir());
  const char *kv[] = {"armEndpoint", g_arm.url, "authorityHost", g_arm.url, "pollInterval", "100ms",
                      "tokenAudience", "https://management.azure.com/", "driftInterval", g_drift, NULL};
  capz_err e;
  g_rt.tk = capz_testkit_open(so, kv, &e);
  ck_assert_msg(g_rt.tk != NULL, "%s", e.msg);
  g_rt.plugins[0] = &capz_testkit_plugin(g_rt.tk)->desc;
  g_rt.states[0] = capz_testkit_state(g_rt.tk);
  memset(&g_rt.o, 0, sizeof g_rt.o);
  g_rt.o.server_url = g_kube.url;
  g_rt.o.kube_qps = 500;
  g_rt.o.kube_burst = 500;
  g_rt.o.shutdown_grace_ms = 5000;
  g_rt.o.resync_ms = 0; /* no periodic resync, as syncPeriod: 1h for the daemon */
  g_rt.stop = 0;
  ck_assert_int_eq(pthread_create(&g_rt.th, NULL, rt_main, NULL), 0);
  g_rt.running = true;
}

/* " serving " lines in the daemon's log (appended to by every start). */
static int serving_lines(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/capz-host.log", g_dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[4096];
  int n = 0;
  while (fgets(line, sizeof line, f)) n += strstr(line, " serving ") != NULL;
  fclose(f);
  return n;
}

static void controllers_stop(void) {
  if (!g_rt.running) return;
  g_rt.running = false;
  if (g_rt.host_pid > 0) {
    /* a daemon stopped while still starting (no signal handling yet) would die of the SIGTERM: let it finish */
    int64_t up_by = now_ms() + 15000;
    while (serving_lines() < g_host_starts && now_ms() < up_by) usleep(20000);
    /* SIGTERM: a clean stop (exit 0) within the grace period */
    kill(g_rt.host_pid, SIGTERM);
    int st = 0;
    int64_t until = now_ms() + 20000;
    pid_t w;
    while ((w = waitpid(g_rt.host_pid, &st, WNOHANG)) == 0 && now_ms() < until) usleep(20000);
    if (w == 0) {
      kill(g_rt.host_pid, SIGKILL);
      waitpid(g_rt.host_pid, &st, 0);
    }
    g_rt.host_pid = 0;
    ck_assert_msg(w != 0, "capz-host did not stop on SIGTERM");
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
      char cmd[400];
      snprintf(cmd, sizeof cmd, "tail -n 40 '%s/capz-host.log' >&2", g_dir);
      if (system(cmd) != 0) fprintf(stderr, "(no capz-host log)\n");
    }
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "capz-host stopped badly (status 0x%x)", st);
    return;
  }
  g_rt.stop = 1;
  pthread_join(g_rt.th, NULL);
  capz_testkit_close(g_rt.tk);
  g_rt.tk = NULL;
  ck_assert_msg(g_rt.rc == 0, "runtime: %s", g_rt.err.msg);
}

void env_restart_controllers(void) {
  controllers_stop();
  controllers_start();
}

void env_start(void) {
  ck_assert_int_eq(capz_sdk_global_init(NULL), 0);
  snprintf(g_dir, sizeof g_dir, "/tmp/capz-sm-e2e-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(g_dir));
  char cfg[256];
  snprintf(cfg, sizeof cfg, "%s/arm.json", g_dir);
  FILE *f = fopen(cfg, "w");
  ck_assert_ptr_nonnull(f);
  fputs("{\"lro\":{\"defaultSeconds\":0.2,\"retryAfterSeconds\":0},\"requestLog\":{\"keepBodies\":4000}}", f);
  fclose(f);
  const char *args[] = {"--config", cfg, NULL};
  ck_assert_int_eq(simproc_start(&g_arm, simproc_bin("capz-arm-sim"), args), 0);
  ck_assert_int_eq(simproc_start(&g_kube, simproc_bin("capz-kube-sim"), NULL), 0);
  ck_assert_int_eq(capz_kube_config_from_url(g_kube.url, &g_kcfg, NULL), 0);
  capz_kube_client_opts o = {.struct_size = sizeof o, .qps = 1000, .burst = 1000};
  ck_assert_int_eq(capz_kube_client_new(g_kcfg, &o, &g_kc, NULL), 0);
  install_crds();
  controllers_start();
}

void env_stop(void) {
  controllers_stop();
  if (getenv("SM_E2E_HOST_LOG")) { /* debugging aid: the daemon's log of this test */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cat '%s/capz-host.log' >&2", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "(no capz-host log)\n");
  }
  capz_kube_client_free(g_kc);
  capz_kube_config_free(g_kcfg);
  simproc_stop(&g_kube);
  simproc_stop(&g_arm);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", g_dir);
  capz_sdk_global_cleanup();
}

/* ---------------------------------------------------------------- kube helpers */
cJSON *k_create(const capz_gvk *gvk, const char *fmt, ...) {
  char buf[16384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  cJSON *o = cJSON_Parse(buf);
  ck_assert_msg(o != NULL, "bad JSON in test: %s", buf);
  cJSON *out = NULL;
  capz_err e;
  ck_assert_msg(capz_kube_create(g_kc, gvk, "default", o, &out, &e) == 0, "create %s: %s", gvk->kind, e.msg);
  cJSON_Delete(o);
  return out;
}

cJSON *k_get(const capz_gvk *gvk, const char *name) {
  cJSON *o = NULL;
  if (capz_kube_get(g_kc, gvk, "default", name, &o, NULL) != 0) return NULL;
  return o;
}

void k_patch(const capz_gvk *gvk, const char *name, const char *sub, const char *json) {
  cJSON *p = cJSON_Parse(json);
  ck_assert_ptr_nonnull(p);
  capz_patch_opts po = {.subresource = sub};
  capz_err e;
  ck_assert_msg(capz_kube_patch(g_kc, gvk, "default", name, CAPZ_PATCH_MERGE, p, &po, NULL, &e) == 0, "patch: %s",
                e.msg);
  cJSON_Delete(p);
}

void k_delete(const capz_gvk *gvk, const char *name) {
  capz_err e;
  ck_assert_msg(capz_kube_delete(g_kc, gvk, "default", name, NULL, &e) == 0, "delete: %s", e.msg);
}

bool k_wait(const capz_gvk *gvk, const char *name, k_pred pred, void *ud, int64_t timeout_ms, cJSON **last) {
  int64_t until = now_ms() + timeout_ms;
  cJSON *o = NULL;
  for (;;) {
    cJSON_Delete(o);
    o = k_get(gvk, name);
    if (pred(o, ud)) break;
    if (now_ms() > until) {
      if (last) *last = o;
      else cJSON_Delete(o);
      return false;
    }
    usleep(50000);
  }
  if (last) *last = o;
  else cJSON_Delete(o);
  return true;
}

char *k_event_reasons(const char *name) {
  static const capz_gvk EV = {"", "v1", "Event", "events", true};
  cJSON *l = NULL;
  char *out = calloc(1, 4096);
  if (capz_kube_list(g_kc, &EV, "default", NULL, &l, NULL) != 0) return out;
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "items")) {
    if (strcmp(capz_json_ptr_str(it, "/involvedObject/name", ""), name)) continue;
    strncat(out, capz_json_ptr_str(it, "/reason", ""), 4000 - strlen(out));
    strncat(out, ",", 4000 - strlen(out));
  }
  cJSON_Delete(l);
  return out;
}

/* ---------------------------------------------------------------- arm-sim helpers */
static cJSON *sim_http(const char *method, const char *path, const char *json) {
  char url[1024];
  snprintf(url, sizeof url, "%s%s", g_arm.url, path);
  curlbuf b;
  long code = curlbuf_request(method, url, NULL, json, NULL, 0, &b);
  ck_assert_msg(code > 0 && code < 300, "%s %s: http %ld %s", method, path, code, b.data ? b.data : "");
  cJSON *j = b.data ? cJSON_Parse(b.data) : NULL;
  curlbuf_free(&b);
  return j;
}

cJSON *arm_resources(const char *type) {
  char p[256];
  snprintf(p, sizeof p, "/_sim/resources%s%s", type ? "?type=" : "", type ? type : "");
  return sim_http("GET", p, NULL);
}

cJSON *arm_find(cJSON *resources, const char *suffix) {
  cJSON *it;
  size_t sl = strlen(suffix);
  cJSON_ArrayForEach(it, resources) {
    const char *id = capz_json_ptr_str(it, "/id", "");
    size_t l = strlen(id);
    if (l >= sl && strcasecmp(id + l - sl, suffix) == 0) return it;
  }
  return NULL;
}

cJSON *arm_requests(void) { return sim_http("GET", "/_sim/requests", NULL); }
cJSON *arm_faults(void) { return sim_http("GET", "/_sim/faults", NULL); }
void arm_clear_requests(void) { cJSON_Delete(sim_http("DELETE", "/_sim/requests", NULL)); }
void arm_post(const char *path, const char *json) { cJSON_Delete(sim_http("POST", path, json)); }

int arm_count(const cJSON *log, const char *method) {
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests")) {
    if (strncmp(capz_json_ptr_str(r, "/path", ""), "/subscriptions", 14)) continue;
    if (!method || !strcmp(capz_json_ptr_str(r, "/method", ""), method)) n++;
  }
  return n;
}

void arm_direct(const char *method, const char *id, const char *body_json) {
  capz_az_cloud cloud;
  char js[1024];
  snprintf(js, sizeof js,
           "{\"name\":\"AzurePublicCloud\",\"armEndpoint\":\"%s\",\"authorityHost\":\"%s\",\"tokenAudience\":"
           "\"https://management.azure.com/\"}",
           g_arm.url, g_arm.url);
  cJSON *cj = cJSON_Parse(js);
  capz_err e;
  ck_assert_int_eq(capz_az_cloud_from_json(cj, &cloud, &e), 0);
  cJSON_Delete(cj);
  capz_az_identity id_ = {.type = CAPZ_AZ_ID_SERVICE_PRINCIPAL, .tenant_id = E2E_TENANT, .client_id = E2E_CLIENT,
                          .secret = (const unsigned char *)E2E_SECRET, .secret_len = strlen(E2E_SECRET)};
  capz_az_credential *cred = capz_az_credential_new(&cloud, &id_, NULL, &e);
  ck_assert_msg(cred != NULL, "%s", e.msg);
  capz_arm_client_config cc = {.cloud = &cloud, .credential = cred, .poll_default_s = 0.1};
  capz_arm_client *c = capz_arm_client_new(&cc, &e);
  ck_assert_msg(c != NULL, "%s", e.msg);
  cJSON *b = body_json ? cJSON_Parse(body_json) : NULL;
  int rc = !strcmp(method, "PUT") ? capz_arm_put(c, id, b, NULL, 30, NULL, &e) : capz_arm_delete(c, id, NULL, 30, &e);
  ck_assert_msg(rc == 0, "%s %s: %s", method, id, e.msg);
  cJSON_Delete(b);
  capz_arm_client_free(c);
  capz_az_credential_free(cred);
}
