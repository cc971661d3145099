/* mc_table.c — walking the resource table with the SDK's ensure/delete. */
#include "mc_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mc_table_init(mc_table *t, const char *cluster_name) {
  memset(t, 0, sizeof *t);
  t->cluster_name = cluster_name;
}

static void free_owned(char **o) {
  if (!o) return;
  for (char **p = o; *p; p++) free(*p);
  free(o);
}

void mc_table_free(mc_table *t) {
  for (size_t i = 0; i < t->n; i++) {
    cJSON_Delete(t->rows[i].desired);
    cJSON_Delete(t->rows[i].tags);
    cJSON_Delete(t->rows[i].live);
    free_owned(t->rows[i].owned);
  }
  free(t->rows);
  memset(t, 0, sizeof *t);
}

mc_row *mc_table_add(mc_table *t, const char *service, const char *condition, const char *id, cJSON *desired) {
  if (!desired || !id) {
    cJSON_Delete(desired);
    return NULL;
  }
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 8;
    mc_row *r = realloc(t->rows, nc * sizeof *r);
    if (!r) {
      cJSON_Delete(desired);
      return NULL;
    }
    t->rows = r;
    t->cap = nc;
  }
  mc_row *r = &t->rows[t->n++];
  memset(r, 0, sizeof *r);
  r->service = service;
  r->condition = condition;
  snprintf(r->id, sizeof r->id, "%s", id);
  const char *slash = strrchr(id, '/');
  snprintf(r->name, sizeof r->name, "%s", slash ? slash + 1 : id);
  r->desired = desired;
  r->ownership = true;
  r->parent = -1;
  return r;
}

static bool in(const char *k, const char *const *set) {
  for (; set && *set; set++)
    if (strcmp(k, *set) == 0) return true;
  return false;
}

int mc_row_own_properties(mc_row *r, const char *const *skip) {
  size_t n = 0, cap = 8;
  char **o = calloc(cap, sizeof *o);
  if (!o) return -1;
  const cJSON *it;
  cJSON_ArrayForEach(it, r->desired) {
    bool props = strcmp(it->string, "properties") == 0 && cJSON_IsObject(it);
    const cJSON *sub = props ? it->child : it;
    for (; sub; sub = props ? sub->next : NULL) {
      if (props && in(sub->string, skip)) continue;
      if (n + 2 > cap) {
        char **x = realloc(o, cap * 2 * sizeof *o);
        if (!x) {
          free_owned(o);
          return -1;
        }
        o = x;
        cap *= 2;
      }
      char ptr[256] = "";
      if (props) snprintf(ptr, sizeof ptr, "/properties/%s", sub->string);
      else snprintf(ptr, sizeof ptr, "/%s", sub->string);
      o[n++] = strdup(ptr);
      o[n] = NULL;
      if (!props) break;
    }
  }
  free_owned(r->owned);
  r->owned = o;
  return 0;
}

void mc_walk_free(mc_walk *w) {
  free(w->resume_token);
  w->resume_token = NULL;
}

static void take(mc_row *r, mc_walk *w, capz_arm_ensure_result *res) {
  r->outcome = res->outcome;
  r->arm_requests = res->arm_requests;
  w->arm_requests += res->arm_requests;
  if (res->live) {
    cJSON_Delete(r->live);
    r->live = res->live;
    res->live = NULL;
  }
}

static bool stop_on(mc_walk *w, size_t i, int rc, capz_arm_ensure_result *res) {
  if (rc) {
    w->rc = rc;
    w->at = i;
    return true;
  }
  if (res->outcome == CAPZ_ENSURE_IN_PROGRESS) {
    w->in_progress = true;
    w->at = i;
    w->requeue_after_s = res->requeue_after_s;
    w->resume_token = res->resume_token;
    res->resume_token = NULL;
    return true;
  }
  return false;
}

void mc_table_ensure(mc_table *t, capz_arm_ensurer *e, capz_arm_client *arm, mc_token_fn tok, void *ud, mc_walk *w) {
  memset(w, 0, sizeof *w);
  for (size_t i = 0; i < t->n; i++) {
    mc_row *r = &t->rows[i];
    if (r->parent >= 0 && (size_t)r->parent < i && t->rows[r->parent].outcome == CAPZ_ENSURE_NOT_OWNED) {
      r->outcome = CAPZ_ENSURE_NOT_OWNED;
      continue;
    }
    capz_arm_req_opts opts = {.api_version = r->api_version[0] ? r->api_version : NULL};
    capz_arm_ensure_spec spec = {.id = r->id, .desired = r->desired, .owned = (const char *const *)r->owned,
                                 .tags = r->tags, .cluster_name = r->ownership ? t->cluster_name : NULL,
                                 .resume_token = tok ? tok(ud, r) : NULL, .opts = &opts};
    capz_arm_ensure_result res;
    int rc = capz_arm_ensure(e, arm, &spec, &res, &w->err);
    take(r, w, &res);
    bool stop = stop_on(w, i, rc, &res);
    if (!rc && (res.outcome == CAPZ_ENSURE_CREATED || res.outcome == CAPZ_ENSURE_UPDATED)) w->writes++;
    capz_arm_ensure_result_free(&res);
    if (stop) return;
  }
  w->at = t->n;
}

void mc_table_delete(mc_table *t, capz_arm_ensurer *e, capz_arm_client *arm, mc_token_fn tok, void *ud, mc_walk *w) {
  memset(w, 0, sizeof *w);
  for (size_t k = t->n; k-- > 0;) {
    mc_row *r = &t->rows[k];
    if (r->no_delete) continue;
    capz_arm_ensure_result res;
    int rc = capz_arm_ensure_delete(e, arm, r->id, r->ownership ? t->cluster_name : NULL, tok ? tok(ud, r) : NULL,
                                    &res, &w->err);
    take(r, w, &res);
    bool stop = stop_on(w, k, rc, &res);
    capz_arm_ensure_result_free(&res);
    if (stop) return;
  }
  w->at = t->n;
}
