/* arm_faults.c — fault injection rules added through POST /_sim/faults: match by method and a path glob
 * (fnmatch, case-insensitive, '*' crosses '/'), act a number of times: an ARM error, latency, a connection
 * reset, or an LRO that ends Failed / Canceled / never ends. Own mutex. */
#include "arm_sim.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { F_ERROR = 1, F_LATENCY, F_RESET, F_LRO_FAIL, F_LRO_CANCEL, F_LRO_STUCK };
static const char *kind_names[] = {"", "error", "latency", "reset", "lroFail", "lroCancel", "lroStuck"};

typedef struct rule {
  int id;
  char method[16];
  char path[512];
  int kind;
  int status;
  char code[64];
  char message[256];
  int latency_ms;
  int retry_after;   /* -1 = no header */
  int count;         /* remaining; -1 = unlimited */
  int hits;
  struct rule *next;
} rule;

struct arm_faults {
  pthread_mutex_t mu;
  rule *head;
  int next_id;
};

arm_faults *arm_faults_new(void) {
  arm_faults *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  pthread_mutex_init(&f->mu, NULL);
  f->next_id = 1;
  return f;
}

static void clear_locked(arm_faults *f) {
  rule *r = f->head;
  while (r) {
    rule *n = r->next;
    free(r);
    r = n;
  }
  f->head = NULL;
}

void arm_faults_clear(arm_faults *f) {
  pthread_mutex_lock(&f->mu);
  clear_locked(f);
  pthread_mutex_unlock(&f->mu);
}

void arm_faults_free(arm_faults *f) {
  if (!f) return;
  clear_locked(f);
  pthread_mutex_destroy(&f->mu);
  free(f);
}

static int add_one(arm_faults *f, const cJSON *j, int idx, char *err, size_t errlen) {
  if (!cJSON_IsObject(j)) { snprintf(err, errlen, "faults[%d]: expected an object", idx); return -1; }
  rule r;
  memset(&r, 0, sizeof r);
  const char *m = arm_jstr(j, "method"), *p = arm_jstr(j, "path"), *k = arm_jstr(j, "kind");
  snprintf(r.method, sizeof r.method, "%s", m ? m : "*");
  if (!p || !*p || strlen(p) >= sizeof r.path) { snprintf(err, errlen, "faults[%d].path: required glob (e.g. \"*/virtualNetworks/*\")", idx); return -1; }
  snprintf(r.path, sizeof r.path, "%s", p);
  r.kind = 0;
  for (int i = 1; i <= F_LRO_STUCK; i++)
    if (k && strcmp(k, kind_names[i]) == 0) r.kind = i;
  if (!r.kind) {
    snprintf(err, errlen, "faults[%d].kind: one of error, latency, reset, lroFail, lroCancel, lroStuck", idx);
    return -1;
  }
  const cJSON *v;
  r.status = 500;
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "status"))) {
    if (!cJSON_IsNumber(v) || v->valueint < 100 || v->valueint > 599) { snprintf(err, errlen, "faults[%d].status: 100..599", idx); return -1; }
    r.status = v->valueint;
  }
  const char *code = arm_jstr(j, "code");
  const char *msg = arm_jstr(j, "message");
  if (!code) {
    code = r.status == 429 ? "TooManyRequests" : r.status == 409 ? "Conflict" : r.status == 404 ? "NotFound"
           : r.status == 503 ? "ServiceUnavailable" : r.status == 504 ? "GatewayTimeout"
           : r.status >= 500 ? "InternalServerError" : "BadRequest";
    if (r.kind == F_LRO_FAIL) code = "InternalOperationError";
    if (r.kind == F_LRO_CANCEL) code = "OperationCanceled";
  }
  snprintf(r.code, sizeof r.code, "%s", code);
  snprintf(r.message, sizeof r.message, "%s", msg ? msg : "Injected fault.");
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "latencyMs"))) {
    if (!cJSON_IsNumber(v) || v->valueint < 0 || v->valueint > 120000) { snprintf(err, errlen, "faults[%d].latencyMs: 0..120000", idx); return -1; }
    r.latency_ms = v->valueint;
  }
  r.retry_after = r.status == 429 || r.status == 503 ? 1 : -1;
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "retryAfter"))) {
    if (!cJSON_IsNumber(v) || v->valueint < 0) { snprintf(err, errlen, "faults[%d].retryAfter: seconds >= 0", idx); return -1; }
    r.retry_after = v->valueint;
  }
  r.count = -1;
  if ((v = cJSON_GetObjectItemCaseSensitive(j, "count"))) {
    if (!cJSON_IsNumber(v) || v->valueint < 1) { snprintf(err, errlen, "faults[%d].count: >= 1 (omit for unlimited)", idx); return -1; }
    r.count = v->valueint;
  }
  rule *n = malloc(sizeof *n);
  if (!n) { snprintf(err, errlen, "out of memory"); return -1; }
  *n = r;
  pthread_mutex_lock(&f->mu);
  n->id = f->next_id++;
  /* append: earlier rules match first */
  rule **pp = &f->head;
  while (*pp) pp = &(*pp)->next;
  *pp = n;
  pthread_mutex_unlock(&f->mu);
  return 0;
}

int arm_faults_add(arm_faults *f, const cJSON *j, char *err, size_t errlen) {
  if (cJSON_IsArray(j)) {
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) if (add_one(f, e, i++, err, errlen)) return -1;
    return 0;
  }
  return add_one(f, j, 0, err, errlen);
}

cJSON *arm_faults_list(arm_faults *f) {
  cJSON *a = cJSON_CreateArray();
  pthread_mutex_lock(&f->mu);
  for (rule *r = f->head; r; r = r->next) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "method", r->method);
    cJSON_AddStringToObject(o, "path", r->path);
    cJSON_AddStringToObject(o, "kind", kind_names[r->kind]);
    cJSON_AddNumberToObject(o, "status", r->status);
    cJSON_AddStringToObject(o, "code", r->code);
    cJSON_AddNumberToObject(o, "latencyMs", r->latency_ms);
    cJSON_AddNumberToObject(o, "remaining", r->count);
    cJSON_AddNumberToObject(o, "hits", r->hits);
    cJSON_AddItemToArray(a, o);
  }
  pthread_mutex_unlock(&f->mu);
  return a;
}

bool arm_faults_apply(arm_faults *f, arm_req *q, arm_resp *out) {
  pthread_mutex_lock(&f->mu);
  if (!f->head) { pthread_mutex_unlock(&f->mu); return false; }
  rule hit;
  bool found = false;
  for (rule **pp = &f->head; *pp; pp = &(*pp)->next) {
    rule *r = *pp;
    if (strcmp(r->method, "*") != 0 && strcasecmp(r->method, q->method) != 0) continue;
    if (fnmatch(r->path, q->path, FNM_CASEFOLD) != 0) continue;
    /* LRO faults only make sense on requests that can start an operation */
    if (r->kind >= F_LRO_FAIL && strcmp(q->method, "GET") == 0) continue;
    r->hits++;
    hit = *r;
    found = true;
    if (r->count > 0 && --r->count == 0) {
      *pp = r->next;
      free(r);
    }
    break;
  }
  pthread_mutex_unlock(&f->mu);
  if (!found) return false;
  if (hit.latency_ms > 0) {
    struct timespec ts = {hit.latency_ms / 1000, (long)(hit.latency_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  switch (hit.kind) {
    case F_ERROR:
      if (hit.retry_after >= 0) arm_resp_header(out, "Retry-After", "%d", hit.retry_after);
      arm_resp_error(out, hit.status, hit.code, "%s", hit.message);
      return true;
    case F_RESET:
      out->reset = true;
      out->status = 0;
      return true;
    case F_LRO_FAIL:
    case F_LRO_CANCEL:
    case F_LRO_STUCK:
      q->lro_fault.kind = hit.kind == F_LRO_FAIL ? ARM_OP_FAILED : hit.kind == F_LRO_CANCEL ? ARM_OP_CANCELED : ARM_OP_STUCK;
      snprintf(q->lro_fault.code, sizeof q->lro_fault.code, "%s", hit.code);
      snprintf(q->lro_fault.message, sizeof q->lro_fault.message, "%s", hit.message);
      return false;
    default:
      return false;
  }
}
