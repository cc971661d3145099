/* drift_walk.c — when a converged object looks again: at its rows' soonest drift read (capz_arm_walk.next_drift_s),
 * or driftInterval would only act at the host's resync (syncPeriod). */
#include <math.h>

#include "sm_plugin.h"

capz_outcome sm_drift_requeue(const sm_state *s, capz_result *res, double next_drift_s) {
  double cap = s->drift_interval_s > 0 ? s->drift_interval_s : 600;
  double after = next_drift_s;
  if (!(after <= cap)) after = cap; /* also NaN / nothing recorded (HUGE_VAL) */
  if (after < SM_DRIFT_REQUEUE_FLOOR_S) after = SM_DRIFT_REQUEUE_FLOOR_S;
  res->requeue_after_ms = (uint64_t)ceil(after * 1000);
  return CAPZ_REQUEUE_AFTER;
}
