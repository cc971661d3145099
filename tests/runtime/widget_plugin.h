/* widget_plugin.h — a test plugin (linked as a static descriptor) reconciling test.capz.io/v1 Widgets, with
 * ConfigMaps owned by a Widget as secondaries. Behaviour per object comes from spec.mode:
 *   "status" (default): status.observed = spec.value (and status.writer) through capz_patch_status
 *   "retry":  return CAPZ_RETRY            "requeue": CAPZ_REQUEUE_AFTER 300 ms
 *   "slow":   sleep 100 ms then as status  "terminal": CAPZ_TERMINAL
 *   "stamp":  write status.seq = ++counter every reconcile, REQUEUE_AFTER 30 ms (a busy writer)
 * It records per-key reconcile counts and times, and any concurrent reconcile of one key. */
#ifndef TEST_WIDGET_PLUGIN_H
#define TEST_WIDGET_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>
#include "capz/plugin.h"

#define WP_MAX_KEYS 64
#define WP_MAX_TIMES 64

typedef struct wp_key_stats {
  char name[64];
  int count;
  int in_flight;
  int64_t times[WP_MAX_TIMES]; /* monotonic ms of each reconcile start */
  int deleted_seen;
} wp_key_stats;

typedef struct wp_state {
  pthread_mutex_t mu;
  wp_key_stats keys[WP_MAX_KEYS];
  int n_keys;
  atomic_int concurrent_violations;
  atomic_int total;
  char identity[64];
  atomic_bool lost;                 /* set by the test when leadership is lost */
  atomic_int writes_ok, writes_after_loss_attempted, writes_after_loss_ok;
  atomic_int seq;
} wp_state;

extern const capz_plugin widget_plugin;
extern const capz_gvk WIDGET_GVK;

void wp_state_init(wp_state *s, const char *identity);
/* Copy of a key's stats (zeroed when unknown). */
wp_key_stats wp_stats(wp_state *s, const char *name);

#endif
