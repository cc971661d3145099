/* drift_walk.c — the resource walk of a converging reconcile, plus when to look again.
 * capz_arm_table_ensure reports only why a walk stopped; a converged object must also know the soonest time one of
 * its rows is due for a drift read, or driftInterval would only act at the host's resync (syncPeriod). This walk
 * keeps the table semantics (order, NOT_OWNED parents, resume tokens, per-row outcome/live) and records the
 * smallest ensure requeue_after_s over the rows it passed. */
#include <math.h>
#include <string.h>

#include "sm_plugin.h"

static void take(capz_arm_row *r, capz_arm_walk *w, capz_arm_ensure_result *res) {
  r->outcome = res->outcome;
  r->arm_requests = res->arm_requests;
  w->arm_requests += res->arm_requests;
  if (res->live) {
    cJSON_Delete(r->live);
    r->live = res->live;
    res->live = NULL;
  }
}

void sm_table_ensure(capz_arm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, capz_arm_token_fn tok, void *ud,
                     capz_arm_walk *w, double *next_drift_s) {
  memset(w, 0, sizeof *w);
  for (size_t i = 0; i < t->n; i++) {
    capz_arm_row *r = &t->rows[i];
    if (r->parent >= 0 && (size_t)r->parent < i && t->rows[r->parent].outcome == CAPZ_ENSURE_NOT_OWNED) {
      r->outcome = CAPZ_ENSURE_NOT_OWNED;
      r->arm_requests = 0;
      continue;
    }
    capz_arm_req_opts opts = {.api_version = r->api_version[0] ? r->api_version : NULL};
    capz_arm_ensure_spec spec = {.id = r->id, .desired = r->desired, .owned = (const char *const *)r->owned,
                                 .tags = r->tags, .cluster_name = r->ownership ? t->cluster_name : NULL,
                                 .resume_token = tok ? tok(ud, r) : NULL, .opts = &opts,
                                 .keep_live = (const char *const *)r->keep_live};
    capz_arm_ensure_result res;
    int rc = capz_arm_ensure(e, arm, &spec, &res, &w->err);
    take(r, w, &res);
    if (!rc && (res.outcome == CAPZ_ENSURE_CREATED || res.outcome == CAPZ_ENSURE_UPDATED)) w->writes++;
    if (rc || res.outcome == CAPZ_ENSURE_IN_PROGRESS) {
      w->at = w->done = i;
      if (rc) {
        w->rc = rc;
      } else {
        w->in_progress = true;
        w->requeue_after_s = res.requeue_after_s;
        w->resume_token = res.resume_token;
        res.resume_token = NULL;
      }
      capz_arm_ensure_result_free(&res);
      return;
    }
    if (next_drift_s && res.requeue_after_s > 0 && res.requeue_after_s < *next_drift_s)
      *next_drift_s = res.requeue_after_s;
    capz_arm_ensure_result_free(&res);
  }
  w->at = w->done = t->n;
}

capz_outcome sm_drift_requeue(const sm_state *s, capz_result *res, double next_drift_s) {
  double cap = s->drift_interval_s > 0 ? s->drift_interval_s : 600;
  double after = next_drift_s;
  if (!(after <= cap)) after = cap; /* also NaN / nothing recorded (HUGE_VAL) */
  if (after < SM_DRIFT_REQUEUE_FLOOR_S) after = SM_DRIFT_REQUEUE_FLOOR_S;
  res->requeue_after_ms = (uint64_t)ceil(after * 1000);
  return CAPZ_REQUEUE_AFTER;
}
