/* run.h — the daemon's running phase. host_run_controllers() is the single place where the
 * controller runtime (host/src/runtime/, another module) is started; until it lands it keeps
 * the process alive until SIGTERM/SIGINT. */
#ifndef CAPZ_HOST_RUN_H
#define CAPZ_HOST_RUN_H
#include <signal.h>
#include "config.h"
#include "plugin_set.h"

/* Block SIGTERM, SIGINT (and ignore SIGPIPE) in the calling thread, so every thread started
 * later inherits the mask and only host_run_controllers' signal thread receives them (sigwait).
 * Call first thing in main. */
void host_signals_block(void);

/* Run until SIGTERM or SIGINT: start the controllers of the initialised plugins in `set`
 * with the settings in cfg, wait for the signal, stop them. Returns the signal number that
 * ended the run (or -1 on a start-up failure). Plugin shutdown hooks are the caller's job
 * (after this returns, all workers are stopped). */
int host_run_controllers(const host_config *cfg, host_plugin_set *set);

#endif
