/* run.c — waits for the stop signal; the controller runtime plugs in here. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "hlog.h"
#include "run.h"

void host_signals_block(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int host_run_controllers(const host_config *cfg, host_plugin_set *set) {
  size_t controllers = 0;
  for (size_t i = 0; i < set->n; i++)
    if (set->items[i].initialized) controllers += set->items[i].lp->n_controllers;
  hlog_info("running: %zu controller(s) from %zu plugin(s), default workers %d; waiting for SIGTERM or SIGINT",
            controllers, host_plugins_count(set, HOST_PLUGIN_ENABLED), cfg->default_workers);
  /* The controller runtime (host/src/runtime/) is started here, and stopped after the loop. */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  for (;;) {
    /* A bounded wait keeps the loop ready for periodic work the runtime may add. */
    struct timespec tick = {.tv_sec = 1, .tv_nsec = 0};
    int sig = sigtimedwait(&s, NULL, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      hlog_info("received %s; stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return sig;
    }
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      hlog_error("waiting for signals: %s", strerror(errno));
      return -1;
    }
  }
}
