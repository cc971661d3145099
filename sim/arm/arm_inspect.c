/* arm_inspect.c — the /_sim/ endpoints (no authentication): resources, request log, faults, reset, runtime
 * config. Documented in docs/arm-sim.md. */
#include "arm_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void resources(arm_ctx *c, arm_req *q, arm_resp *out) {
  const char *type = arm_req_query(q, "type");
  cJSON *arr = cJSON_CreateArray();
  pthread_mutex_lock(&c->mu);
  arm_lro_advance(c);
  for (arm_res *r = arm_store_first(c->store); r; r = r->next) {
    if (type && strcasecmp(type, r->rt->type) != 0) continue;
    cJSON_AddItemToArray(arr, arm_render(c, r, q));
  }
  pthread_mutex_unlock(&c->mu);
  arm_resp_json(out, 200, arr);
}

static void reset(arm_ctx *c, arm_req *q, arm_resp *out) {
  arm_faults_clear(c->faults);
  arm_reqlog_clear(c->log);
  arm_throttle_reset(c->throttle);
  const char *all = arm_req_query(q, "resources");
  if (all && strcmp(all, "true") == 0) {
    pthread_mutex_lock(&c->mu);
    arm_lro_clear(c->lro);
    arm_store_clear(c->store);
    arm_ipam_clear(c->ipam);
    pthread_mutex_unlock(&c->mu);
  }
  out->status = 204;
}

static void config(arm_ctx *c, arm_req *q, arm_resp *out) {
  char err[256] = "";
  pthread_mutex_lock(&c->mu);
  int rc = arm_cfg_update(&c->cfg, q->json, err, sizeof err);
  arm_throttle_cfg tc = c->cfg.throttle;
  pthread_mutex_unlock(&c->mu);
  if (rc) { arm_resp_error(out, 400, "InvalidConfig", "%s", err); return; }
  arm_throttle_set_cfg(c->throttle, &tc);
  out->status = 204;
}

void arm_inspect(arm_ctx *c, arm_req *q, arm_resp *out) {
  const char *p = q->path + 5; /* after "/_sim" */
  const char *m = q->method;
  bool get = strcmp(m, "GET") == 0;
  if (strcmp(p, "/resources") == 0 && get) { resources(c, q, out); return; }
  if (strcmp(p, "/requests") == 0) {
    if (get) {
      const char *last = arm_req_query(q, "last");
      arm_resp_json(out, 200, arm_reqlog_json(c->log, last ? atoi(last) : -1));
      return;
    }
    if (strcmp(m, "DELETE") == 0) { arm_reqlog_clear(c->log); out->status = 204; return; }
  }
  if (strcmp(p, "/faults") == 0) {
    if (get) { arm_resp_json(out, 200, arm_faults_list(c->faults)); return; }
    if (strcmp(m, "DELETE") == 0) { arm_faults_clear(c->faults); out->status = 204; return; }
    if (strcmp(m, "POST") == 0) {
      char err[256] = "";
      if (!q->json || arm_faults_add(c->faults, q->json, err, sizeof err)) {
        arm_resp_error(out, 400, "InvalidFault", "%s", err[0] ? err : "a JSON fault object or array is required");
        return;
      }
      arm_resp_json(out, 201, arm_faults_list(c->faults));
      return;
    }
  }
  if (strcmp(p, "/reset") == 0 && strcmp(m, "POST") == 0) { reset(c, q, out); return; }
  if (strcmp(p, "/config") == 0 && strcmp(m, "POST") == 0) {
    if (!q->json) { arm_resp_error(out, 400, "InvalidConfig", "a JSON object is required"); return; }
    config(c, q, out);
    return;
  }
  if (strcmp(p, "/health") == 0 && get) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "status", "ok");
    pthread_mutex_lock(&c->mu);
    cJSON_AddNumberToObject(b, "resources", (double)arm_store_count(c->store));
    pthread_mutex_unlock(&c->mu);
    arm_resp_json(out, 200, b);
    return;
  }
  arm_resp_error(out, 404, "NotFound", "Unknown emulator endpoint '%.100s'.", q->path);
}
