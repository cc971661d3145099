/* az_table_walk.c — walking a resource table: ensure in order, delete in reverse (capz/azure_table.h). */
#include "capz/azure_table.h"

#include <stdlib.h>
#include <string.h>

void capz_arm_walk_free(capz_arm_walk *w) {
  if (!w) return;
  free(w->resume_token);
  w->resume_token = NULL;
}

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

/* Whether the walk stops at row i; records why. */
static bool stop_at(capz_arm_walk *w, size_t i, size_t done, int rc, capz_arm_ensure_result *res) {
  if (!rc && res->outcome != CAPZ_ENSURE_IN_PROGRESS) return false;
  w->at = i;
  w->done = done;
  if (rc) {
    w->rc = rc;
    return true;
  }
  w->in_progress = true;
  w->requeue_after_s = res->requeue_after_s;
  w->resume_token = res->resume_token;
  res->resume_token = NULL;
  return true;
}

void capz_arm_table_ensure(capz_arm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, capz_arm_token_fn tok,
                           void *ud, capz_arm_walk *w) {
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
    bool stop = stop_at(w, i, i, rc, &res);
    if (!stop && res.requeue_after_s > 0 && (w->next_drift_s <= 0 || res.requeue_after_s < w->next_drift_s))
      w->next_drift_s = res.requeue_after_s;
    capz_arm_ensure_result_free(&res);
    if (stop) return;
  }
  w->at = w->done = t->n;
}

void capz_arm_table_delete(capz_arm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, capz_arm_token_fn tok,
                           void *ud, capz_arm_walk *w) {
  memset(w, 0, sizeof *w);
  for (size_t k = t->n; k-- > 0;) {
    capz_arm_row *r = &t->rows[k];
    if (r->no_delete) continue;
    capz_arm_req_opts opts = {.api_version = r->api_version[0] ? r->api_version : NULL};
    capz_arm_delete_spec spec = {.id = r->id, .cluster_name = r->ownership ? t->cluster_name : NULL,
                                 .resume_token = tok ? tok(ud, r) : NULL, .opts = &opts};
    capz_arm_ensure_result res;
    int rc = capz_arm_ensure_delete_spec(e, arm, &spec, &res, &w->err);
    take(r, w, &res);
    /* one request is the GET that found it gone; more means a DELETE was sent or polled */
    if (!rc && res.outcome == CAPZ_ENSURE_DELETED && res.arm_requests > 1) w->writes++;
    bool stop = stop_at(w, k, t->n - 1 - k, rc, &res);
    capz_arm_ensure_result_free(&res);
    if (stop) return;
  }
  w->at = w->done = t->n;
}
