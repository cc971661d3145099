/* arm_lro.c — long-running operations: operation-status resources (Azure-AsyncOperation), Location polling
 * (202 until done, then the final result), Retry-After, configurable durations and injected outcomes.
 * Operations complete lazily: every request first calls arm_lro_advance under the world lock, so a
 * duration of 0 means "done by the next request" and the order of events is deterministic. */
#include "arm_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OP_BUCKETS 4096
#define OP_KEEP 20000 /* finished operations kept for polling */

typedef struct op_node {
  arm_op op;
  struct op_node *older, *newer; /* creation order */
} op_node;

struct arm_lro {
  op_node *tab[OP_BUCKETS];
  op_node *oldest, *newest;
  size_t n;
  op_node **running;
  size_t nrun, caprun;
};

arm_lro *arm_lro_new(void) { return calloc(1, sizeof(arm_lro)); }

static void op_free(op_node *n) {
  free(n->op.res_key);
  for (int i = 0; i < n->op.nholds; i++) free(n->op.holds[i]);
  cJSON_Delete(n->op.error);
  cJSON_Delete(n->op.result);
  cJSON_Delete(n->op.argj);
  free(n);
}

void arm_lro_clear(arm_lro *l) {
  op_node *n = l->oldest;
  while (n) {
    op_node *nx = n->newer;
    op_free(n);
    n = nx;
  }
  memset(l->tab, 0, sizeof l->tab);
  l->oldest = l->newest = NULL;
  l->n = 0;
  l->nrun = 0;
}

void arm_lro_free(arm_lro *l) {
  if (!l) return;
  arm_lro_clear(l);
  free(l->running);
  free(l);
}

arm_op *arm_lro_get(arm_lro *l, const char *id) {
  if (!id) return NULL;
  for (op_node *n = l->tab[arm_hash32(id) % OP_BUCKETS]; n; n = (op_node *)n->op.hnext)
    if (strcasecmp(n->op.id, id) == 0) return &n->op;
  return NULL;
}

static void unhash(arm_lro *l, op_node *n) {
  op_node **pp = &l->tab[arm_hash32(n->op.id) % OP_BUCKETS];
  while (*pp && *pp != n) pp = (op_node **)&(*pp)->op.hnext;
  if (*pp) *pp = (op_node *)n->op.hnext;
}

/* Drop the oldest finished operations beyond OP_KEEP. */
static void trim(arm_lro *l) {
  op_node *n = l->oldest;
  while (l->n > OP_KEEP && n) {
    op_node *nx = n->newer;
    if (n->op.status != ARM_OP_RUNNING) {
      unhash(l, n);
      if (n->older) n->older->newer = n->newer;
      else l->oldest = n->newer;
      if (n->newer) n->newer->older = n->older;
      else l->newest = n->older;
      op_free(n);
      l->n--;
    }
    n = nx;
  }
}

double arm_lro_duration(arm_ctx *c, const char *type) {
  const cJSON *it;
  cJSON_ArrayForEach(it, c->cfg.lro_durations) {
    if (strcasecmp(it->string, type) == 0 && cJSON_IsNumber(it)) return it->valuedouble;
  }
  return c->cfg.lro_default;
}

void arm_lro_hold(arm_ctx *c, arm_op *op, arm_res *r) {
  (void)c;
  if (!r || op->nholds >= 4) return;
  char *k = strdup(r->key);
  if (!k) return;
  op->holds[op->nholds++] = k;
  snprintf(r->busy_op, sizeof r->busy_op, "%s", op->id);
}

/* The planned outcome of an op is kept in result_status until it ends (see arm_lro_start). */
arm_op *arm_lro_start(arm_ctx *c, int kind, arm_res *r, const char *rp, const char *location, const arm_req *q) {
  arm_lro *l = c->lro;
  op_node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  arm_op *op = &n->op;
  arm_uuid(op->id);
  snprintf(op->rp, sizeof op->rp, "%s", rp);
  snprintf(op->location, sizeof op->location, "%s", location && *location ? location : "global");
  for (char *p = op->location; *p; p++)
    if (*p == ' ') memmove(p, p + 1, strlen(p));
  snprintf(op->sub, sizeof op->sub, "%s", q->subscription);
  snprintf(op->api_version, sizeof op->api_version, "%s", q->api_version ? q->api_version : "");
  op->res_key = strdup(r ? r->key : "");
  if (!op->res_key) { free(n); return NULL; }
  op->kind = kind;
  op->start = arm_now();
  double d = arm_lro_duration(c, r ? r->rt->type : "");
  op->due = op->start + d;
  op->status = ARM_OP_RUNNING;
  op->result_status = ARM_OP_SUCCEEDED;
  if (q->lro_fault.kind) {
    op->result_status = q->lro_fault.kind;
    if (q->lro_fault.kind == ARM_OP_STUCK) op->due = INFINITY;
    else {
      op->error = cJSON_CreateObject();
      cJSON_AddStringToObject(op->error, "code", q->lro_fault.code);
      cJSON_AddStringToObject(op->error, "message", q->lro_fault.message);
    }
  }
  if (r) arm_lro_hold(c, op, r);
  /* insert */
  unsigned h = arm_hash32(op->id) % OP_BUCKETS;
  op->hnext = (arm_op *)l->tab[h];
  l->tab[h] = n;
  n->older = l->newest;
  if (l->newest) l->newest->newer = n;
  else l->oldest = n;
  l->newest = n;
  l->n++;
  if (l->nrun == l->caprun) {
    size_t nc = l->caprun ? l->caprun * 2 : 64;
    op_node **nr = realloc(l->running, nc * sizeof *nr);
    if (nr) { l->running = nr; l->caprun = nc; }
  }
  if (l->nrun < l->caprun) l->running[l->nrun++] = n;
  trim(l);
  return op;
}

static void set_tree_state(arm_ctx *c, arm_res *r, const char *state) {
  (void)c;
  arm_set_state(r, state);
  /* embedded children created with the parent share its outcome */
  size_t kl = strlen(r->key);
  for (arm_res *x = r->next; x; x = x->next) { /* children were created after their parent */
    if (strncmp(x->key, r->key, kl) != 0 || x->key[kl] != '/' || !x->rt->embed_member) continue;
    const char *s = arm_get_state(x);
    if (s && (strcmp(s, "Updating") == 0 || strcmp(s, "Creating") == 0)) arm_set_state(x, state);
  }
}

void arm_lro_finish(arm_ctx *c, arm_op *op, int final) {
  if (op->status != ARM_OP_RUNNING) return;
  if (final == ARM_OP_STUCK) return;
  op->status = final;
  op->end = arm_now();
  if (final != ARM_OP_SUCCEEDED && !op->error) {
    op->error = cJSON_CreateObject();
    cJSON_AddStringToObject(op->error, "code", final == ARM_OP_CANCELED ? "OperationCanceled" : "InternalOperationError");
    cJSON_AddStringToObject(op->error, "message", final == ARM_OP_CANCELED ? "The operation was canceled." : "The operation failed.");
  }
  for (int i = 0; i < op->nholds; i++) {
    arm_res *h = arm_store_get(c->store, op->holds[i]);
    if (h && strcmp(h->busy_op, op->id) == 0) { h->busy_op[0] = '\0'; h->busy_what[0] = '\0'; }
  }
  arm_res *r = op->res_key[0] ? arm_store_get(c->store, op->res_key) : NULL;
  switch (op->kind) {
    case ARM_OPK_PUT:
      if (!r) break;
      if (final == ARM_OP_SUCCEEDED) {
        set_tree_state(c, r, "Succeeded");
        if (r->rt->on_ready) r->rt->on_ready(c, r);
      } else {
        set_tree_state(c, r, final == ARM_OP_CANCELED ? "Canceled" : "Failed");
      }
      break;
    case ARM_OPK_DELETE:
      if (!r) break;
      if (final == ARM_OP_SUCCEEDED && r->rt == &arm_rt_resource_group) {
        cJSON *err = arm_engine_delete_group(c, r);
        if (err) {
          op->status = ARM_OP_FAILED;
          op->error = err;
        }
      } else if (final == ARM_OP_SUCCEEDED) arm_engine_delete_tree(c, r);
      else if (r->rt == &arm_rt_resource_group) arm_engine_group_rollback(c, r); /* the group stays as it was */
      else arm_set_state(r, final == ARM_OP_CANCELED ? "Canceled" : "Failed");
      break;
    default:
      break;
  }
  if (op->done) op->done(c, op, final);
  /* remove from the running list */
  arm_lro *l = c->lro;
  for (size_t i = 0; i < l->nrun; i++)
    if (&l->running[i]->op == op) {
      l->running[i] = l->running[--l->nrun];
      break;
    }
}

void arm_lro_advance(arm_ctx *c) {
  arm_lro *l = c->lro;
  double now = arm_now();
  /* finishing may start nothing new, but may finish other ops (cascades): loop on a snapshot */
  for (size_t i = 0; i < l->nrun;) {
    arm_op *op = &l->running[i]->op;
    if (op->due <= now) {
      arm_lro_finish(c, op, op->result_status);
      i = 0; /* the list changed */
      continue;
    }
    i++;
  }
}

static void url_of(arm_ctx *c, const arm_op *op, const arm_req *q, bool status, char *out, size_t n) {
  (void)c;
  const char *av = op->api_version[0] ? op->api_version : "2021-04-01";
  if (op->location_only)
    snprintf(out, n, "%s/subscriptions/%s/operationresults/%s?api-version=%s", q->base_url, op->sub, op->id, av);
  else if (status)
    snprintf(out, n, "%s/subscriptions/%s/providers/%s/locations/%s/operations/%s?api-version=%s", q->base_url, op->sub,
             op->rp, op->location, op->id, av);
  else
    snprintf(out, n, "%s/subscriptions/%s/providers/%s/locations/%s/%s/%s?api-version=%s", q->base_url, op->sub, op->rp,
             op->location, strcasecmp(op->rp, "Microsoft.ContainerService") == 0 ? "operationresults" : "operationResults",
             op->id, av);
}

void arm_lro_headers(arm_ctx *c, const arm_op *op, const arm_req *q, bool async_op, bool location, arm_resp *out) {
  char url[ARM_ID_MAX + 512];
  if (async_op) {
    url_of(c, op, q, true, url, sizeof url);
    arm_resp_header(out, "Azure-AsyncOperation", "%s", url);
  }
  if (location) {
    url_of(c, op, q, false, url, sizeof url);
    arm_resp_header(out, "Location", "%s", url);
  }
  arm_resp_header(out, "Retry-After", "%d", c->cfg.retry_after);
}

static const char *status_name(int s) {
  switch (s) {
    case ARM_OP_SUCCEEDED: return "Succeeded";
    case ARM_OP_FAILED: return "Failed";
    case ARM_OP_CANCELED: return "Canceled";
    default: return "InProgress";
  }
}

static arm_op *lookup(arm_ctx *c, const char *id, const arm_req *q, arm_resp *out) {
  arm_op *op = arm_lro_get(c->lro, id);
  if (!op || strcasecmp(op->sub, q->subscription) != 0) {
    arm_resp_error(out, 404, "OperationNotFound", "The operation '%s' could not be found.", id ? id : "");
    return NULL;
  }
  return op;
}

void arm_lro_serve_status(arm_ctx *c, const char *id, const arm_req *q, arm_resp *out) {
  arm_op *op = lookup(c, id, q, out);
  if (!op) return;
  cJSON *b = cJSON_CreateObject();
  char buf[ARM_ID_MAX];
  snprintf(buf, sizeof buf, "/subscriptions/%s/providers/%s/locations/%s/operations/%s", op->sub, op->rp, op->location, op->id);
  cJSON_AddStringToObject(b, "id", buf);
  cJSON_AddStringToObject(b, "name", op->id);
  cJSON_AddStringToObject(b, "status", status_name(op->status));
  char ts[48];
  arm_now_iso(ts, sizeof ts, op->start);
  cJSON_AddStringToObject(b, "startTime", ts);
  if (op->status != ARM_OP_RUNNING) {
    arm_now_iso(ts, sizeof ts, op->end);
    cJSON_AddStringToObject(b, "endTime", ts);
    cJSON_AddNumberToObject(b, "percentComplete", 100);
  } else if (isfinite(op->due) && op->due > op->start) {
    double pc = 100.0 * (arm_now() - op->start) / (op->due - op->start);
    cJSON_AddNumberToObject(b, "percentComplete", floor(pc > 99 ? 99 : pc));
  }
  if (op->status == ARM_OP_SUCCEEDED && op->kind == ARM_OPK_ACTION && op->result)
    cJSON_AddItemToObject(b, "properties", cJSON_Duplicate(op->result, 1));
  if ((op->status == ARM_OP_FAILED || op->status == ARM_OP_CANCELED) && op->error)
    cJSON_AddItemToObject(b, "error", cJSON_Duplicate(op->error, 1));
  if (op->status == ARM_OP_RUNNING) arm_resp_header(out, "Retry-After", "%d", c->cfg.retry_after);
  arm_resp_json(out, 200, b);
}

void arm_lro_serve_result(arm_ctx *c, const char *id, const arm_req *q, arm_resp *out) {
  arm_op *op = lookup(c, id, q, out);
  if (!op) return;
  if (op->status == ARM_OP_RUNNING) {
    char url[ARM_ID_MAX + 512];
    url_of(c, op, q, false, url, sizeof url);
    arm_resp_header(out, "Location", "%s", url);
    arm_resp_header(out, "Retry-After", "%d", c->cfg.retry_after);
    out->status = 202;
    return;
  }
  if (op->status != ARM_OP_SUCCEEDED) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddItemToObject(b, "error", op->error ? cJSON_Duplicate(op->error, 1) : cJSON_CreateObject());
    arm_resp_json(out, op->status == ARM_OP_CANCELED ? 409 : 500, b);
    return;
  }
  if (op->kind == ARM_OPK_PUT) {
    arm_res *r = arm_store_get(c->store, op->res_key);
    if (r) { arm_resp_json(out, 200, arm_render(c, r, q)); return; }
    out->status = 204;
    return;
  }
  if (op->kind == ARM_OPK_ACTION && op->result) {
    arm_resp_json(out, 200, cJSON_Duplicate(op->result, 1));
    return;
  }
  out->status = op->kind == ARM_OPK_DELETE ? 200 : 204;
}
