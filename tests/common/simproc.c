/* simproc.c — spawn an emulator and read its READY line (see simproc.h). */
#include "simproc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *simproc_bin(const char *name) {
  static char path[1024];
  const char *bd = getenv("CAPZ_BUILD_DIR");
  snprintf(path, sizeof path, "%s/bin/%s", bd && *bd ? bd : ".", name);
  return path;
}

int simproc_start(simproc *p, const char *binary, const char *const *extra) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = binary;
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  for (size_t i = 0; extra && extra[i] && n < 62; i++) argv[n++] = extra[i];
  argv[n] = NULL;
  return simproc_start_argv(p, argv);
}

int simproc_start_argv(simproc *p, const char *const *argv) {
  memset(p, 0, sizeof *p);
  const char *binary = argv[0];
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    /* a crashed or killed test must not leave emulators running */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(binary, (char *const *)argv);
    fprintf(stderr, "simproc: exec %s: %s\n", binary, strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  p->pid = pid;

  char line[512];
  size_t used = 0;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = 15000 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
    if (left <= 0) break;
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    if (poll(&pfd, 1, (int)left) <= 0) continue;
    ssize_t r = read(fds[0], line + used, sizeof line - 1 - used);
    if (r <= 0) break;
    used += (size_t)r;
    line[used] = '\0';
    char *nl = strchr(line, '\n');
    if (nl) {
      *nl = '\0';
      if (strncmp(line, "READY ", 6) == 0) {
        snprintf(p->url, sizeof p->url, "%.255s", line + 6);
        close(fds[0]); /* the emulator writes nothing more on stdout */
        return 0;
      }
      break;
    }
    if (used == sizeof line - 1) break;
  }
  close(fds[0]);
  fprintf(stderr, "simproc: %s did not print READY in time\n", binary);
  simproc_stop(p);
  return -1;
}

int simproc_stop(simproc *p) {
  if (p->pid <= 0) return -1;
  int status = -1;
  kill(p->pid, SIGTERM);
  for (int i = 0; i < 500; i++) {
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) { p->pid = 0; return status; }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill(p->pid, SIGKILL);
  waitpid(p->pid, &status, 0);
  p->pid = 0;
  return status;
}
