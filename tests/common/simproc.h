/* simproc.h — start and stop an emulator (capz-kube-sim, capz-arm-sim) from a test.
 *
 * Convention every emulator follows: started with `--listen 127.0.0.1:0`, it prints exactly
 * one line `READY <base-url>` on stdout (flushed) once it serves, then nothing else on stdout.
 * Logs go to stderr.
 */
#ifndef CAPZ_TEST_SIMPROC_H
#define CAPZ_TEST_SIMPROC_H
#include <sys/types.h>

typedef struct simproc {
  pid_t pid;
  char url[256]; /* e.g. "http://127.0.0.1:40123" */
} simproc;

/* Path of a built binary: $CAPZ_BUILD_DIR/bin/<name> (falls back to ./bin/<name>). Static buffer. */
const char *simproc_bin(const char *name);

/* Start `binary --listen 127.0.0.1:0 [extra args...]` (extra: NULL-terminated, may be NULL)
 * and wait up to 15 s for its READY line. Returns 0, or -1 with a message on stderr. */
int simproc_start(simproc *p, const char *binary, const char *const *extra);

/* The same for an emulator that takes other arguments (capz-capi-sim --server <url>): start argv as given
 * (argv[0] = binary path, NULL-terminated) and wait up to 15 s for its READY line (url = what follows it). */
int simproc_start_argv(simproc *p, const char *const *argv);

/* SIGTERM, wait up to 5 s, then SIGKILL. Returns the exit status as from waitpid, or -1. */
int simproc_stop(simproc *p);

#endif
