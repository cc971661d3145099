/* hostproc.h — run the real capz-host from a test and capture what it prints.
 * Each call is independent (no shared state except hp_host's static buffer); hp_assert_line is for test bodies. */
#ifndef CAPZ_TEST_HOSTPROC_H
#define CAPZ_TEST_HOSTPROC_H
#include <sys/types.h>

typedef struct hp_result {
  int exit_code;   /* exit status, or 128+signal, or -1 when it had to be killed on timeout */
  char *out, *err; /* everything written to stdout / stderr (NUL-terminated, malloc'ed) */
} hp_result;

/* $CAPZ_BUILD_DIR/bin/capz-host. Static buffer. */
const char *hp_host(void);
/* Run argv (argv[0] = program path, NULL-terminated) to completion, at most timeout_s seconds. */
int hp_run(const char *const *argv, int timeout_s, hp_result *r);
void hp_free(hp_result *r);

/* Start argv in the background with stderr on a pipe; returns the pid and the pipe's read end. */
pid_t hp_start(const char *const *argv, int *err_fd);
/* Read err_fd (appending to *buf) until a line containing needle shows up or timeout_s passes.
 * Returns 1 when found. */
int hp_wait_for(int err_fd, char **buf, const char *needle, int timeout_s);
/* Wait up to timeout_s for pid to exit; returns the exit code (128+signal) or -1 (then killed). */
int hp_wait_exit(pid_t pid, int timeout_s);

/* Fail the test unless text holds line as a whole line (between newlines or the text's ends). */
void hp_assert_line(const char *text, const char *line);

#endif
