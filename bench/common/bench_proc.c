/* bench_proc.c — see bench_proc.h. Output goes to files rather than pipes so a chatty host (verbosity 2 over
 * thousands of clusters) can never block on a full pipe the bench is not reading. */
#include "bench_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

int bproc_start(bproc *p, const char *dir, const char *name, const char *const *argv, unsigned flags) {
  memset(p, 0, sizeof *p);
  p->exit_status = -1;
  snprintf(p->name, sizeof p->name, "%s", name);
  snprintf(p->out_path, sizeof p->out_path, "%s/%s.out", dir, name);
  snprintf(p->err_path, sizeof p->err_path, "%s/%s.log", dir, name);
  int fo = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int fe = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fo < 0 || fe < 0) {
    fprintf(stderr, "%s: cannot create logs in %s: %s\n", program_invocation_short_name, dir, strerror(errno));
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
    if (flags & BPROC_CORE_IN_DIR) {
      struct rlimit core = {RLIM_INFINITY, RLIM_INFINITY};
      setrlimit(RLIMIT_CORE, &core); /* best effort: a crash at scale is only diagnosable from its core */
      if (chdir(dir) != 0) _exit(126);
    }
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

int bproc_alive(bproc *p) {
  if (p->pid <= 0) return 0;
  int st;
  pid_t r = waitpid(p->pid, &st, WNOHANG);
  if (r == p->pid) {
    p->exit_status = st;
    p->pid = 0;
    return 0;
  }
  return 1;
}

const char *bproc_status_str(int status) {
  static char buf[64];
  if (status < 0) snprintf(buf, sizeof buf, "unknown status");
  else if (WIFEXITED(status)) snprintf(buf, sizeof buf, "exit code %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buf, sizeof buf, "killed by signal %d%s", WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" : "");
  else snprintf(buf, sizeof buf, "status 0x%x", status);
  return buf;
}

static int scan_file(const char *path, const char *needle, char *out, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *line = NULL;
  size_t cap = 0;
  int found = -1;
  while (getline(&line, &cap, f) >= 0) {
    char *at = strstr(line, needle);
    if (!at) continue;
    at += strlen(needle);
    size_t k = 0;
    while (at[k] && at[k] != ' ' && at[k] != '"' && at[k] != '\n' && at[k] != '\r') k++;
    if (out && n) snprintf(out, n, "%.*s", (int)k, at);
    found = 0;
    break;
  }
  free(line);
  fclose(f);
  return found;
}

int bproc_wait_line(bproc *p, int want_stdout, const char *needle, double timeout_s, char *out, size_t n) {
  double t0 = bench_now();
  while (bench_now() - t0 < timeout_s) {
    if (scan_file(want_stdout ? p->out_path : p->err_path, needle, out, n) == 0) return 0;
    if (!bproc_alive(p)) break;
    bench_sleep(0.05);
  }
  fprintf(stderr, "%s: %s: no line with \"%s\" (see %s)\n", program_invocation_short_name, p->name, needle, p->err_path);
  return -1;
}

int bproc_stop(bproc *p) {
  if (p->pid <= 0) return -1;
  int status = -1;
  kill(p->pid, SIGTERM);
  for (int i = 0; i < 1000; i++) {
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
      p->exit_status = status;
      p->pid = 0;
      return status;
    }
    bench_sleep(0.01);
  }
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &status, 0);
  p->pid = 0;
  return status;
}

static long status_field_kb(pid_t pid, const char *field) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
      v = strtol(line + fl + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return v;
}

void bproc_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb) {
  *rss_kb = status_field_kb(pid, "VmRSS");
  *hwm_kb = status_field_kb(pid, "VmHWM");
}

long bproc_rss_kb(pid_t pid) { return status_field_kb(pid, "VmRSS"); }

long bproc_threads(pid_t pid) { return status_field_kb(pid, "Threads"); }

double bproc_cpu_s(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t r = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[r] = '\0';
  /* fields after the command name, which is in parentheses and may contain spaces */
  char *s = strrchr(buf, ')');
  if (!s) return -1;
  unsigned long ut = 0, st = 0;
  /* state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
