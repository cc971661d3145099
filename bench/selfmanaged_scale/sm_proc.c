/* sm_proc.c — the bench's child processes. Output goes to files, not pipes, so a chatty host can never block on
 * a pipe nobody reads; PR_SET_PDEATHSIG makes every child die with the bench. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sm_scale.h"

int smp_start(smp *p, const char *dir, const char *name, const char *const *argv) {
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%s", name);
  snprintf(p->out_path, sizeof p->out_path, "%s/%s.out", dir, name);
  snprintf(p->err_path, sizeof p->err_path, "%s/%s.log", dir, name);
  int fo = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int fe = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fo < 0 || fe < 0) {
    fprintf(stderr, "sm_scale: cannot create logs in %s: %s\n", dir, strerror(errno));
    if (fo >= 0) close(fo);
    if (fe >= 0) close(fe);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fo);
    close(fe);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fo, STDOUT_FILENO);
    dup2(fe, STDERR_FILENO);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fo);
  close(fe);
  p->pid = pid;
  return 0;
}

int smp_alive(smp *p) {
  if (p->pid <= 0) return 0;
  int st;
  if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
    p->pid = 0;
    return 0;
  }
  return 1;
}

static int scan_file(const char *path, const char *needle, char *out, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *line = NULL;
  size_t cap = 0;
  int found = -1;
  while (found != 0 && getline(&line, &cap, f) >= 0) {
    char *at = strstr(line, needle);
    if (!at) continue;
    at += strlen(needle);
    size_t k = 0;
    while (at[k] && at[k] != ' ' && at[k] != '"' && at[k] != '\n' && at[k] != '\r') k++;
    if (out && n) snprintf(out, n, "%.*s", (int)k, at);
    found = 0;
  }
  free(line);
  fclose(f);
  return found;
}

int smp_wait_line(smp *p, int want_stdout, const char *needle, double timeout_s, char *out, size_t n) {
  double t0 = sm_now();
  while (sm_now() - t0 < timeout_s) {
    if (scan_file(want_stdout ? p->out_path : p->err_path, needle, out, n) == 0) return 0;
    if (!smp_alive(p)) break;
    sm_sleep(0.05);
  }
  fprintf(stderr, "sm_scale: %s: no line with \"%s\" (see %s)\n", p->name, needle, p->err_path);
  return -1;
}

int smp_stop(smp *p) {
  if (p->pid <= 0) return -1;
  int status = -1;
  kill(p->pid, SIGTERM);
  for (int i = 0; i < 1000; i++) {
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
      p->pid = 0;
      return status;
    }
    sm_sleep(0.01);
  }
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &status, 0);
  p->pid = 0;
  return status;
}

static long status_field(pid_t pid, const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long v = -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
      v = strtol(line + fl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

void smp_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb) {
  *rss_kb = status_field(pid, "VmRSS");
  *hwm_kb = status_field(pid, "VmHWM");
}

long smp_threads(pid_t pid) { return status_field(pid, "Threads"); }

double smp_cpu_s(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t r = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[r] = '\0';
  char *s = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long ut = 0, st = 0;
  if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
