/* kube_sim_control.c — test-only control endpoints under /_sim/ (documented in docs/kube-sim.md):
 * compact the event history, reset the store, inject failures or latency for matching
 * requests, drop all open watches, switch the garbage collector, read counters. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube_sim.h"

typedef struct rule {
  char method[16];
  char *pattern;
  int code;
  char reason[64];
  char *message;
  int count; /* < 0: unlimited */
  unsigned latency_ms;
  struct rule *next;
} rule;

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static rule *rules;

static void free_rule(rule *r) {
  free(r->pattern);
  free(r->message);
  free(r);
}

void control_free(void) {
  pthread_mutex_lock(&rules_lock);
  while (rules) {
    rule *r = rules;
    rules = r->next;
    free_rule(r);
  }
  pthread_mutex_unlock(&rules_lock);
}

bool control_intercept(kreq *r) {
  if (strncmp(r->path, "/_sim/", 6) == 0) return false;
  unsigned sleep_ms = 0;
  int code = 0;
  char reason[64] = "", message[512] = "";
  pthread_mutex_lock(&rules_lock);
  for (rule **pp = &rules; *pp; pp = &(*pp)->next) {
    rule *ru = *pp;
    if (strcmp(ru->method, "*") != 0 && strcmp(ru->method, r->method) != 0) continue;
    if (fnmatch(ru->pattern, r->path, 0) != 0) continue;
    sleep_ms = ru->latency_ms;
    code = ru->code;
    snprintf(reason, sizeof reason, "%s", ru->reason);
    snprintf(message, sizeof message, "%s", ru->message ? ru->message : "injected failure");
    if (ru->count > 0 && --ru->count == 0) {
      *pp = ru->next;
      free_rule(ru);
    }
    break;
  }
  pthread_mutex_unlock(&rules_lock);
  if (sleep_ms) {
    struct timespec ts = {.tv_sec = sleep_ms / 1000, .tv_nsec = (long)(sleep_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (!code) return false;
  kdetails d = {.retry_after = code == 429 ? 1 : 0};
  if (code == 429) r->retry_after = strdup("1");
  resp_status(r, code, reason, code == 429 ? &d : NULL, "%s", message);
  return true;
}

static void ok_json(kreq *r, const char *fmt, unsigned long long v) {
  char buf[256];
  snprintf(buf, sizeof buf, fmt, v);
  resp_text(r, 200, "application/json", buf, strlen(buf));
}

bool control_serve(kreq *r) {
  if (strncmp(r->path, "/_sim/", 6) != 0) return false;
  const char *what = r->path + 6;
  bool post = strcmp(r->method, "POST") == 0;
  if (post && strcmp(what, "compact") == 0) {
    KS_LOCK();
    evlog_compact();
    unsigned long long rv = KS.rv;
    KS_UNLOCK();
    ok_json(r, "{\"compactedRevision\":\"%llu\"}", rv);
    return true;
  }
  if (post && strcmp(what, "reset") == 0) {
    control_free();
    KS_LOCK();
    watch_drop_all();
    store_reset();
    unsigned long long rv = KS.rv;
    KS_UNLOCK();
    ok_json(r, "{\"resourceVersion\":\"%llu\"}", rv);
    return true;
  }
  if (post && strcmp(what, "drop-watches") == 0) {
    KS_LOCK();
    unsigned long long n = (unsigned long long)KS.active_watches;
    watch_drop_all();
    KS_UNLOCK();
    ok_json(r, "{\"dropped\":%llu}", n);
    return true;
  }
  if (strcmp(what, "fail") == 0 && strcmp(r->method, "DELETE") == 0) {
    control_free();
    ok_json(r, "{\"cleared\":%llu}", 1);
    return true;
  }
  if (post && strcmp(what, "fail") == 0) {
    cJSON *b = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    const char *pat = jstr(b, "path");
    cJSON *code = jget(b, "code"), *count = jget(b, "count"), *lat = jget(b, "latencyMs");
    if (!cJSON_IsObject(b) || !pat || (!cJSON_IsNumber(code) && !cJSON_IsNumber(lat)) ||
        (cJSON_IsNumber(code) && (code->valueint < 100 || code->valueint > 599))) {
      cJSON_Delete(b);
      resp_status(r, 400, "BadRequest", NULL,
                  "expected {\"method\":\"GET\",\"path\":\"/api/v1/*\",\"code\":500,\"reason\":\"InternalError\","
                  "\"message\":\"...\",\"count\":1,\"latencyMs\":0}");
      return true;
    }
    rule *ru = calloc(1, sizeof *ru);
    if (!ru) abort();
    snprintf(ru->method, sizeof ru->method, "%s", jstr(b, "method") ? jstr(b, "method") : "*");
    ru->pattern = strdup(pat);
    ru->code = cJSON_IsNumber(code) ? code->valueint : 0;
    snprintf(ru->reason, sizeof ru->reason, "%s", jstr(b, "reason") ? jstr(b, "reason") : "");
    ru->message = jstr(b, "message") ? strdup(jstr(b, "message")) : NULL;
    ru->count = cJSON_IsNumber(count) ? count->valueint : 1;
    if (ru->count == 0) ru->count = -1;
    ru->latency_ms = cJSON_IsNumber(lat) && lat->valuedouble > 0 ? (unsigned)lat->valuedouble : 0;
    cJSON_Delete(b);
    pthread_mutex_lock(&rules_lock);
    rule **pp = &rules;
    while (*pp) pp = &(*pp)->next;
    *pp = ru;
    pthread_mutex_unlock(&rules_lock);
    ok_json(r, "{\"added\":%llu}", 1);
    return true;
  }
  if (post && strcmp(what, "gc") == 0) {
    cJSON *b = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
    KS_LOCK();
    if (cJSON_IsBool(jget(b, "enabled"))) KS.gc_enabled = cJSON_IsTrue(jget(b, "enabled"));
    bool en = KS.gc_enabled;
    if (en) gcx_requeue_all(); /* writes made while it was off queued nothing */
    gc_kick();
    KS_UNLOCK();
    cJSON_Delete(b);
    resp_text(r, 200, "application/json", en ? "{\"enabled\":true}" : "{\"enabled\":false}",
              en ? 16 : 17);
    return true;
  }
  if (strcmp(what, "stats") == 0) {
    KS_LOCK();
    size_t objs = 0;
    for (ktype *t = KS.types; t; t = t->next)
      if (!t->removed && t->store == t) objs += t->n;
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"resourceVersion\":\"%llu\",\"objects\":%zu,\"watches\":%d,\"events\":%zu,"
             "\"gcVisited\":%llu,\"gcPending\":%s}",
             (unsigned long long)KS.rv, objs, KS.active_watches, evlog_count(),
             (unsigned long long)KS.gc_visited, gcx_pending() ? "true" : "false");
    KS_UNLOCK();
    resp_text(r, 200, "application/json", buf, strlen(buf));
    return true;
  }
  kdetails d = {0};
  resp_status(r, 404, "NotFound", &d, "unknown control endpoint %s %s", r->method, r->path);
  return true;
}
