/* restable.c — walking an ordered resource table with the SDK's ensure/delete. */
#include "restable.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sm_table_init(sm_table *t, const char *cluster_name) {
  memset(t, 0, sizeof *t);
  t->cluster_name = cluster_name;
}

void sm_table_free(sm_table *t) {
  for (size_t i = 0; i < t->n; i++) {
    cJSON_Delete(t->rows[i].desired);
    cJSON_Delete(t->rows[i].tags);
    cJSON_Delete(t->rows[i].live);
  }
  free(t->rows);
  memset(t, 0, sizeof *t);
}

sm_row *sm_table_add(sm_table *t, const char *service, const char *condition, const char *id, cJSON *desired,
                     const char *const *owned, cJSON *tags) {
  if (!desired || !id) goto fail;
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 16;
    sm_row *r = realloc(t->rows, nc * sizeof *r);
    if (!r) goto fail;
    t->rows = r;
    t->cap = nc;
  }
  sm_row *r = &t->rows[t->n++];
  memset(r, 0, sizeof *r);
  r->service = service;
  r->condition = condition;
  snprintf(r->id, sizeof r->id, "%s", id);
  const char *slash = strrchr(id, '/');
  snprintf(r->name, sizeof r->name, "%s", slash ? slash + 1 : id);
  r->desired = desired;
  r->owned = owned;
  r->tags = tags;
  r->ownership = true;
  r->parent = -1;
  return r;
fail:
  cJSON_Delete(desired);
  cJSON_Delete(tags);
  return NULL;
}

sm_row *sm_table_find(sm_table *t, const char *service, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->rows[i].service, service) == 0 && (!name || strcmp(t->rows[i].name, name) == 0)) return &t->rows[i];
  return NULL;
}

void sm_walk_free(sm_walk *w) {
  free(w->resume_token);
  w->resume_token = NULL;
}

static void take_result(sm_row *r, sm_walk *w, capz_arm_ensure_result *res) {
  r->outcome = res->outcome;
  w->arm_requests += res->arm_requests;
  if (res->live) {
    cJSON_Delete(r->live);
    r->live = res->live;
    res->live = NULL;
  }
}

void sm_table_ensure(sm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, sm_token_fn tok, void *ud,
                     sm_walk *w) {
  memset(w, 0, sizeof *w);
  for (size_t i = 0; i < t->n; i++) {
    sm_row *r = &t->rows[i];
    if (r->parent >= 0 && (size_t)r->parent < i && t->rows[r->parent].outcome == CAPZ_ENSURE_NOT_OWNED) {
      r->outcome = CAPZ_ENSURE_NOT_OWNED;
      continue;
    }
    capz_arm_ensure_spec spec = {.id = r->id, .desired = r->desired, .owned = r->owned, .tags = r->tags,
                                 .cluster_name = r->ownership ? t->cluster_name : NULL,
                                 .resume_token = tok ? tok(ud, r) : NULL};
    capz_arm_ensure_result res;
    int rc = capz_arm_ensure(e, arm, &spec, &res, &w->err);
    take_result(r, w, &res);
    if (rc) {
      w->rc = rc;
      w->done = i;
      capz_arm_ensure_result_free(&res);
      return;
    }
    if (res.outcome == CAPZ_ENSURE_CREATED || res.outcome == CAPZ_ENSURE_UPDATED) w->writes++;
    if (res.outcome == CAPZ_ENSURE_IN_PROGRESS) {
      w->in_progress = true;
      w->done = i;
      w->requeue_after_s = res.requeue_after_s;
      w->resume_token = res.resume_token;
      res.resume_token = NULL;
      capz_arm_ensure_result_free(&res);
      return;
    }
    capz_arm_ensure_result_free(&res);
  }
  w->done = t->n;
}

void sm_table_delete(sm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, sm_token_fn tok, void *ud,
                     sm_walk *w) {
  memset(w, 0, sizeof *w);
  for (size_t k = t->n; k-- > 0;) {
    sm_row *r = &t->rows[k];
    if (r->no_delete) continue;
    capz_arm_ensure_result res;
    int rc = capz_arm_ensure_delete(e, arm, r->id, r->ownership ? t->cluster_name : NULL, tok ? tok(ud, r) : NULL,
                                    &res, &w->err);
    take_result(r, w, &res);
    if (rc) {
      w->rc = rc;
      w->done = t->n - 1 - k;
      capz_arm_ensure_result_free(&res);
      return;
    }
    if (res.outcome == CAPZ_ENSURE_IN_PROGRESS) {
      w->in_progress = true;
      w->done = t->n - 1 - k;
      w->requeue_after_s = res.requeue_after_s;
      w->resume_token = res.resume_token;
      res.resume_token = NULL;
      capz_arm_ensure_result_free(&res);
      return;
    }
    if (res.outcome == CAPZ_ENSURE_DELETED && res.arm_requests > 1) w->writes++;
    capz_arm_ensure_result_free(&res);
  }
  w->done = t->n;
}

int sm_rg_id(char *out, size_t n, const char *sub, const char *rg) {
  int l = snprintf(out, n, "/subscriptions/%s/resourceGroups/%s", sub, rg);
  return l < 0 || (size_t)l >= n ? -1 : 0;
}

int sm_res_id(char *out, size_t n, const char *sub, const char *rg, const char *type, const char *name) {
  int l = snprintf(out, n, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg, type, name);
  return l < 0 || (size_t)l >= n ? -1 : 0;
}

cJSON *sm_ref(const char *id) {
  cJSON *o = cJSON_CreateObject();
  if (o) cJSON_AddStringToObject(o, "id", id);
  return o;
}

int sm_fmt(char *out, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int l = vsnprintf(out, n, fmt, ap);
  va_end(ap);
  return l < 0 || (size_t)l >= n ? -1 : 0;
}
