/* rt_events.c — core/v1 Events with aggregation of repeats (see capz/events.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capz/events.h"
#include "capz/log.h"
#include "kube/kc_map.h"

#define MAX_TRACKED 4096

typedef struct seen {
  char ns[64];
  char name[300];
  long count;
} seen;

struct capz_event_recorder {
  capz_kube_client *client;
  char *component;
  char host[128];
  pthread_mutex_t mu;
  kc_smap seen; /* aggregation key -> seen* */
  unsigned long seq;
  atomic_uint_fast64_t created, updated;
};

CAPZ_API int capz_event_recorder_new(capz_kube_client *c, const char *component, capz_event_recorder **out,
                                     capz_err *err) {
  capz_event_recorder *r = calloc(1, sizeof *r);
  if (!r || !(r->component = strdup(component ? component : "capz-c"))) {
    free(r);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  r->client = c;
  if (gethostname(r->host, sizeof r->host) != 0) snprintf(r->host, sizeof r->host, "capz");
  r->host[sizeof r->host - 1] = '\0';
  pthread_mutex_init(&r->mu, NULL);
  r->seq = (unsigned long)time(NULL) << 16;
  *out = r;
  return 0;
}

static void clear_seen(capz_event_recorder *r) {
  KC_SMAP_EACH(&r->seen, s) free(s->val);
  kc_smap_free(&r->seen);
}

CAPZ_API void capz_event_recorder_free(capz_event_recorder *r) {
  if (!r) return;
  clear_seen(r);
  pthread_mutex_destroy(&r->mu);
  free(r->component);
  free(r);
}

CAPZ_API void capz_event_recorder_counts(capz_event_recorder *r, uint64_t *created, uint64_t *updated) {
  if (created) *created = atomic_load(&r->created);
  if (updated) *updated = atomic_load(&r->updated);
}

static const capz_gvk EVENT_GVK = {"", "v1", "Event", "events", true};

static void now_rfc3339(char *out, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

CAPZ_API int capz_event_record(capz_event_recorder *r, const capz_object_ref *o, const char *type,
                               const char *reason, const char *message, capz_err *err) {
  if (!r || !o || !o->name || !reason) return capz_err_set(err, CAPZ_EINVAL, "event: object and reason required");
  if (!type || (strcmp(type, "Normal") && strcmp(type, "Warning"))) type = "Normal";
  char msg[1024];
  capz_redact(message ? message : "", msg, sizeof msg);
  const char *ns = o->ns && *o->ns ? o->ns : "default";
  char key[1600];
  snprintf(key, sizeof key, "%s|%s|%s|%s|%s|%s", o->uid ? o->uid : "", ns, o->name, type, reason, msg);
  char ts[32];
  now_rfc3339(ts, sizeof ts);

  pthread_mutex_lock(&r->mu);
  seen *s = kc_smap_get(&r->seen, key);
  seen cur = {0};
  bool repeat = s != NULL;
  if (s) {
    s->count++;
    cur = *s;
  }
  unsigned long id = ++r->seq;
  pthread_mutex_unlock(&r->mu);

  int rc;
  if (repeat) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "count", (double)cur.count);
    cJSON_AddStringToObject(p, "lastTimestamp", ts);
    rc = capz_kube_patch(r->client, &EVENT_GVK, cur.ns, cur.name, CAPZ_PATCH_MERGE, p, NULL, NULL, err);
    cJSON_Delete(p);
    if (rc == 0) {
      atomic_fetch_add(&r->updated, 1);
      return 0;
    }
    if (rc != CAPZ_ENOTFOUND) return rc;
    /* The Event expired on the server: start a new series. */
    pthread_mutex_lock(&r->mu);
    free(kc_smap_del(&r->seen, key));
    pthread_mutex_unlock(&r->mu);
  }
  char name[300];
  snprintf(name, sizeof name, "%.200s.%lx", o->name, id);
  cJSON *ev = cJSON_CreateObject();
  cJSON_AddStringToObject(ev, "apiVersion", "v1");
  cJSON_AddStringToObject(ev, "kind", "Event");
  cJSON *md = cJSON_AddObjectToObject(ev, "metadata");
  cJSON_AddStringToObject(md, "name", name);
  cJSON_AddStringToObject(md, "namespace", ns);
  cJSON *io = cJSON_AddObjectToObject(ev, "involvedObject");
  if (o->api_version) cJSON_AddStringToObject(io, "apiVersion", o->api_version);
  if (o->kind) cJSON_AddStringToObject(io, "kind", o->kind);
  if (o->ns && *o->ns) cJSON_AddStringToObject(io, "namespace", o->ns);
  cJSON_AddStringToObject(io, "name", o->name);
  if (o->uid && *o->uid) cJSON_AddStringToObject(io, "uid", o->uid);
  cJSON_AddStringToObject(ev, "reason", reason);
  cJSON_AddStringToObject(ev, "message", msg);
  cJSON_AddStringToObject(ev, "type", type);
  cJSON_AddNumberToObject(ev, "count", 1);
  cJSON_AddStringToObject(ev, "firstTimestamp", ts);
  cJSON_AddStringToObject(ev, "lastTimestamp", ts);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "source"), "component", r->component);
  cJSON_AddStringToObject(ev, "reportingComponent", r->component);
  cJSON_AddStringToObject(ev, "reportingInstance", r->host);
  rc = capz_kube_create(r->client, &EVENT_GVK, ns, ev, NULL, err);
  cJSON_Delete(ev);
  if (rc) return rc;
  atomic_fetch_add(&r->created, 1);
  seen *ns_ = calloc(1, sizeof *ns_);
  if (!ns_) return 0;
  snprintf(ns_->ns, sizeof ns_->ns, "%s", ns);
  snprintf(ns_->name, sizeof ns_->name, "%s", name);
  ns_->count = 1;
  pthread_mutex_lock(&r->mu);
  if (r->seen.n >= MAX_TRACKED) clear_seen(r); /* bounded memory; repeats then start new Events */
  seen *old = NULL;
  if (kc_smap_put(&r->seen, key, ns_, (void **)&old) != 0) free(ns_);
  free(old);
  pthread_mutex_unlock(&r->mu);
  return 0;
}
