/* soak_env.c — the processes of a soak: capz-kube-sim (+ every CAPZ and CAPI CRD), capz-arm-sim (LROs of a second
 * or two so that kills land while operations are in flight), capz-capi-sim, and capz-host with only the selfmanaged
 * plugin, started, SIGKILLed and restarted with the same config. Every child dies with the soak (PDEATHSIG). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_mgmt.h"
#include "capz/json.h"
#include "soak.h"

static const char *build_dir(void) { return getenv("CAPZ_BUILD_DIR"); }
static const char *source_dir(void) { return getenv("CAPZ_SOURCE_DIR"); }

/* simproc_start lets the emulator inherit our stderr; point it at a log file for the duration of the fork. */
static int start_logged(simproc *p, const char *name, const char *const *args, const char *log) {
  fflush(stderr);
  int saved = dup(2);
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) {
    dup2(fd, 2);
    close(fd);
  }
  int rc = simproc_start(p, simproc_bin(name), args);
  if (saved >= 0) {
    dup2(saved, 2);
    close(saved);
  }
  if (rc != 0) fprintf(stderr, "soak: %s did not start (log: %s)\n", name, log);
  return rc;
}

/* capz-capi-sim takes --server instead of --listen, so it gets its own spawn: READY line on stdout, logs to a file. */
static int start_capi(soak_env *e) {
  char log[320];
  snprintf(log, sizeof log, "%s/capi-sim.log", e->dir);
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 2);
      close(fd);
    }
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    const char *bin = simproc_bin("capz-capi-sim");
    execl(bin, bin, "--server", e->kube.url, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  e->capi_pid = pid;
  char buf[512];
  size_t used = 0;
  int64_t until = soak_now_ms() + (int64_t)(30000 * e->o->timeout_scale);
  int rc = -1;
  buf[0] = '\0';
  while (soak_now_ms() < until && used < sizeof buf - 1) {
    struct pollfd pf = {.fd = fds[0], .events = POLLIN};
    if (poll(&pf, 1, 200) <= 0) continue;
    ssize_t r = read(fds[0], buf + used, sizeof buf - 1 - used);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        fprintf(stderr, "soak: capz-capi-sim exited (status 0x%x)\n", st);
        e->capi_pid = 0;
      }
      break;
    }
    used += (size_t)r;
    buf[used] = '\0';
    if (strstr(buf, "READY ")) {
      rc = 0;
      break;
    }
  }
  close(fds[0]);
  if (rc != 0) fprintf(stderr, "soak: capz-capi-sim did not print READY (log: %s)\n", log);
  return rc;
}

/* Every CAPZ and CAPI CRD; 0 or -1 (message printed). */
static int install_crds(soak_env *e) {
  static const char *const dirs[] = {"config/crd/bases", "config/capi-crd/bases"};
  for (size_t i = 0; i < 2; i++) {
    char d[600];
    snprintf(d, sizeof d, "%s/%s", source_dir(), dirs[i]);
    if (bench_apply_crd_dir(e->kc, d) <= 0) return -1;
  }
  return 0;
}

/* LROs: network and disks `lro` seconds, VMs twice that, so a kill often lands with a VM still Creating. */
static int write_arm_config(soak_env *e, char *path, size_t n) {
  snprintf(path, n, "%s/arm-sim.json", e->dir);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  double l = e->o->lro;
  fprintf(f,
          "{\"lro\":{\"defaultSeconds\":%.3f,\"retryAfterSeconds\":%d,\"durations\":{"
          "\"Microsoft.Compute/virtualMachines\":%.3f,\"Microsoft.Network/loadBalancers\":%.3f}},"
          "\"throttling\":{\"enabled\":false},\"requestLog\":{\"keepBodies\":50000}}\n",
          l, l >= 1.0 ? 1 : 0, 2 * l, 1.5 * l);
  fclose(f);
  return 0;
}

static int write_host_config(soak_env *e) {
  snprintf(e->host_cfg, sizeof e->host_cfg, "%s/capz-host.yaml", e->dir);
  char pdir[600];
  snprintf(pdir, sizeof pdir, "%s/plugins", build_dir());
  FILE *f = fopen(e->host_cfg, "w");
  if (!f) return -1;
  fprintf(f, "pluginDirs: [\"%s\"]\nmetricsBindAddress: \"0\"\nhealthProbeBindAddress: \"0\"\n", pdir);
  fprintf(f, "kubernetes:\n  server: \"%s\"\n  qps: 200\n  burst: 400\n", e->kube.url);
  fprintf(f, "azure:\n  cloud: Custom\n  resourceManagerEndpoint: \"%s/\"\n  authorityHost: \"%s/\"\n"
             "  tokenAudience: \"https://management.azure.com/\"\n", e->arm.url, e->arm.url);
  fprintf(f, "log:\n  verbosity: %d\n", e->o->verbosity);
  fprintf(f, "plugins:\n  selfmanaged:\n    config:\n      pollInterval: 200ms\n");
  DIR *d = opendir(pdir);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      size_t l = strlen(de->d_name);
      if (l > 3 && !strcmp(de->d_name + l - 3, ".so") && strcmp(de->d_name, "selfmanaged.so"))
        fprintf(f, "  %.*s:\n    enabled: false\n", (int)(l - 3), de->d_name);
    }
    closedir(d);
  }
  fclose(f);
  return 0;
}

int soak_env_up(soak_env *e, const soak_opts *o) {
  e->o = o;
  e->capi_pid = e->host_pid = 0;
  if (!e->dir[0]) {
    snprintf(e->dir, sizeof e->dir, "/tmp/capz-soak-XXXXXX");
    if (!mkdtemp(e->dir)) return -1;
  }
  char cfg[320], log[320];
  if (write_arm_config(e, cfg, sizeof cfg) != 0) return -1;
  const char *arm_args[] = {"--config", cfg, NULL};
  snprintf(log, sizeof log, "%s/arm-sim.log", e->dir);
  if (start_logged(&e->arm, "capz-arm-sim", arm_args, log) != 0) return -1;
  snprintf(log, sizeof log, "%s/kube-sim.log", e->dir);
  if (start_logged(&e->kube, "capz-kube-sim", NULL, log) != 0) return -1;
  capz_err err;
  if (capz_kube_config_from_url(e->kube.url, &e->kcfg, &err) != 0) return -1;
  capz_kube_client_opts ko = {.struct_size = sizeof ko, .qps = 500, .burst = 1000, .user_agent = "capz-soak"};
  if (capz_kube_client_new(e->kcfg, &ko, &e->kc, &err) != 0) {
    fprintf(stderr, "soak: kube client: %s\n", err.msg);
    return -1;
  }
  /* the identity's Secret only: the AzureClusterIdentity itself comes with the template */
  if (install_crds(e) != 0 || bench_create_identity_secret(e->kc) != 0) return -1;
  if (start_capi(e) != 0) return -1;
  return write_host_config(e);
}

static void reap(pid_t *pid, int sig, int64_t wait_ms) {
  if (*pid <= 0) return;
  kill(*pid, sig);
  int st;
  int64_t until = soak_now_ms() + wait_ms;
  while (waitpid(*pid, &st, WNOHANG) == 0) {
    if (soak_now_ms() > until) {
      kill(*pid, SIGKILL);
      waitpid(*pid, &st, 0);
      break;
    }
    usleep(20000);
  }
  *pid = 0;
}

void soak_env_down(soak_env *e) {
  if (e->host_pid > 0) soak_host_kill(e);
  reap(&e->capi_pid, SIGTERM, 5000);
  if (e->kc) capz_kube_client_free(e->kc);
  if (e->kcfg) capz_kube_config_free(e->kcfg);
  e->kc = NULL;
  e->kcfg = NULL;
  if (e->kube.pid > 0) simproc_stop(&e->kube);
  if (e->arm.pid > 0) simproc_stop(&e->arm);
  e->kube.pid = e->arm.pid = 0;
}

int soak_host_start(soak_env *e, const char *log) {
  if (log != e->host_log) snprintf(e->host_log, sizeof e->host_log, "%s", log); /* restarts pass e->host_log */
  char host[600];
  snprintf(host, sizeof host, "%s/bin/capz-host", build_dir());
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execl(host, host, "--config", e->host_cfg, (char *)NULL);
    _exit(127);
  }
  e->host_pid = pid;
  e->host_started_ms = soak_now_ms();
  return 0;
}

void soak_host_kill(soak_env *e) {
  if (e->host_pid <= 0) return;
  kill(e->host_pid, SIGKILL);
  int st;
  waitpid(e->host_pid, &st, 0);
  e->host_pid = 0;
}

int soak_host_stop(soak_env *e) {
  if (e->host_pid <= 0) return -1;
  /* a host restarted a moment ago may not have installed its SIGTERM handler yet: give it time to start */
  while (soak_now_ms() - e->host_started_ms < 2000) usleep(20000);
  kill(e->host_pid, SIGTERM);
  int st = 0;
  int64_t until = soak_now_ms() + (int64_t)(30000 * e->o->timeout_scale);
  pid_t w;
  while ((w = waitpid(e->host_pid, &st, WNOHANG)) == 0 && soak_now_ms() < until) usleep(20000);
  if (w == 0) {
    kill(e->host_pid, SIGKILL);
    waitpid(e->host_pid, &st, 0);
    st = -1;
  }
  e->host_pid = 0;
  return st;
}

bool soak_host_alive(soak_env *e) {
  if (e->host_pid <= 0) return false;
  int st;
  if (waitpid(e->host_pid, &st, WNOHANG) == e->host_pid) {
    e->host_pid = 0;
    return false;
  }
  return true;
}
