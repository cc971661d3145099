/* bench_proc.h — child processes of the benchmark programs: start with stdout/stderr in log files, wait for a
 * READY line or a log line, stop, and read a process's memory and CPU figures from /proc. Messages go to stderr,
 * prefixed with the program's name.
 * Not thread-safe: the bench's main thread owns every bproc. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct bproc {
  pid_t pid;
  int exit_status; /* waitpid status once the child has been reaped, else -1 */
  char name[32];
  char out_path[512]; /* child's stdout */
  char err_path[512]; /* child's stderr */
} bproc;

/* bproc_start flags. */
enum {
  /* The child runs in dir (absolute) with no core-size limit, so a crash at scale leaves a core file there. */
  BPROC_CORE_IN_DIR = 1,
};

/* fork/exec argv[0] with argv (NULL-terminated); stdout and stderr go to <dir>/<name>.out / .log; the child dies
 * with the bench (PR_SET_PDEATHSIG). flags: 0 or BPROC_CORE_IN_DIR. Returns 0 or -1 (message on stderr). */
int bproc_start(bproc *p, const char *dir, const char *name, const char *const *argv, unsigned flags);

/* Wait up to timeout_s for a line in the child's stdout (want_stdout) or stderr that contains needle; copy the
 * text after the needle up to the first space, quote or end of line into out. Returns 0, or -1 when the child
 * exited or the time ran out. */
int bproc_wait_line(bproc *p, int want_stdout, const char *needle, double timeout_s, char *out, size_t n);

/* SIGTERM, up to 10 s, then SIGKILL. Returns the waitpid status or -1. Safe on a never-started bproc. */
int bproc_stop(bproc *p);

/* 1 while the child runs; once it has exited, p->exit_status holds its waitpid status. */
int bproc_alive(bproc *p);

/* "exit code N" / "killed by signal N (core dumped)" for a waitpid status; static buffer. */
const char *bproc_status_str(int status);

/* VmRSS and VmHWM of pid in kB (from /proc/<pid>/status); -1 each when unreadable. */
void bproc_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb);

/* VmRSS of pid in kB, -1 when unreadable. */
long bproc_rss_kb(pid_t pid);

/* Threads of pid (/proc/<pid>/status Threads), -1 when unreadable. */
long bproc_threads(pid_t pid);

/* user+system CPU seconds of pid so far (/proc/<pid>/stat), -1 when unreadable. */
double bproc_cpu_s(pid_t pid);

#endif
