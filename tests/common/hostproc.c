/* hostproc.c — fork/exec with captured output and timeouts, for tests that drive capz-host. */
#include "hostproc.h"
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *hp_host(void) {
  static char buf[4096];
  const char *b = getenv("CAPZ_BUILD_DIR");
  snprintf(buf, sizeof buf, "%s/bin/capz-host", b ? b : ".");
  return buf;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append(char **buf, size_t *len, const char *data, size_t n) {
  char *nb = realloc(*buf, *len + n + 1);
  if (!nb) abort();
  memcpy(nb + *len, data, n);
  *len += n;
  nb[*len] = '\0';
  *buf = nb;
}

static int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int hp_wait_exit(pid_t pid, int timeout_s) {
  double end = now() + timeout_s;
  int status;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode(status);
    if (r < 0 && errno != EINTR) return -1;
    if (now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(10000);
  }
}

static pid_t spawn(const char *const *argv, int *out_fd, int *err_fd) {
  int o[2] = {-1, -1}, e[2];
  if ((out_fd && pipe(o) != 0) || pipe(e) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (out_fd) dup2(o[1], 1);
    dup2(e[1], 2);
    if (out_fd) { close(o[0]); close(o[1]); }
    close(e[0]);
    close(e[1]);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  if (out_fd) {
    close(o[1]);
    *out_fd = o[0];
  }
  close(e[1]);
  *err_fd = e[0];
  return pid;
}

int hp_run(const char *const *argv, int timeout_s, hp_result *r) {
  memset(r, 0, sizeof *r);
  size_t olen = 0, elen = 0;
  append(&r->out, &olen, "", 0);
  append(&r->err, &elen, "", 0);
  int ofd, efd;
  pid_t pid = spawn(argv, &ofd, &efd);
  if (pid < 0) return -1;
  struct pollfd fds[2] = {{ofd, POLLIN, 0}, {efd, POLLIN, 0}};
  double end = now() + timeout_s;
  int open_fds = 2;
  char chunk[65536];
  while (open_fds > 0 && now() < end) {
    if (poll(fds, 2, 100) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
      if (n > 0) {
        if (i == 0) append(&r->out, &olen, chunk, (size_t)n);
        else append(&r->err, &elen, chunk, (size_t)n);
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0) close(fds[i].fd);
  double left = end - now();
  r->exit_code = hp_wait_exit(pid, left > 1 ? (int)left : 1);
  return 0;
}

void hp_free(hp_result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

pid_t hp_start(const char *const *argv, int *err_fd) { return spawn(argv, NULL, err_fd); }

int hp_wait_for(int err_fd, char **buf, const char *needle, int timeout_s) {
  size_t len = *buf ? strlen(*buf) : 0;
  if (!*buf) append(buf, &len, "", 0);
  double end = now() + timeout_s;
  char chunk[4096];
  while (now() < end) {
    if (strstr(*buf, needle)) return 1;
    struct pollfd p = {err_fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(err_fd, chunk, sizeof chunk);
    if (n <= 0) break;
    append(buf, &len, chunk, (size_t)n);
  }
  return strstr(*buf, needle) != NULL;
}

void hp_assert_line(const char *text, const char *line) {
  const char *p = text;
  size_t n = strlen(line);
  while ((p = strstr(p, line)) != NULL) {
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return;
    p++;
  }
  ck_abort_msg("missing line:\n%s\nin output:\n%s", line, text);
}
