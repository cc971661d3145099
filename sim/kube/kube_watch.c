/* kube_watch.c — watch streams: chunked JSON lines fed from the event log.
 *
 * Each watch is an MHD callback response served on its connection's own thread. The callback
 * blocks on KS.cond (with a short timeout, to notice client disconnects, deadlines and the
 * drop/close flags), copies pending events out of the log under the lock, and formats them
 * outside it. Selector transitions turn MODIFIED into ADDED/DELETED for filtered watches.
 */
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kube_sim.h"

typedef struct kwatch {
  ktype *t;
  const kversion *v;
  char ns[256];
  bool has_ns;
  ksel *ls, *fs;
  uint64_t cursor;
  bool bookmarks;
  uint64_t deadline_ms, next_bookmark_ms;
  kbuf out;
  size_t out_off;
  kblob **initial;
  size_t ninitial, next_initial;
  bool done, abort_conn, pending_410;
  uint64_t gone_rv;
  uint64_t drop_gen;
  bool closed; /* type removed (CRD deleted) */
  struct MHD_Connection *conn;
  int fd;
  struct kwatch *next;
} kwatch;

static kwatch *watches; /* registry, under KS.lock */

static bool blob_matches(kwatch *w, const kblob *b) {
  if (!b) return false;
  if (!w->has_ns && !w->ls && !w->fs) return true;
  cJSON *j = cJSON_ParseWithLength(b->s, b->len);
  if (!j) return false;
  cJSON *md = jget(j, "metadata");
  bool m = true;
  if (w->has_ns) {
    const char *ns = jstr(md, "namespace");
    m = ns && strcmp(ns, w->ns) == 0;
  }
  if (m && w->ls) m = sel_match_labels(w->ls, jget(md, "labels"));
  if (m && w->fs) {
    if (w->t->builtin == KB_EVENT_V1) {
      cJSON *v1 = event_core_to_v1(j);
      m = sel_match_fields(w->fs, v1);
      cJSON_Delete(v1);
    } else {
      m = sel_match_fields(w->fs, j);
    }
  }
  cJSON_Delete(j);
  return m;
}

static void emit_event(kwatch *w, const char *type, const kblob *obj) {
  kbuf_printf(&w->out, "{\"type\":\"%s\",\"object\":", type);
  emit_object(&w->out, w->t, w->v, obj, false);
  kbuf_puts(&w->out, "}\n");
}

static void emit_bookmark(kwatch *w, uint64_t rv) {
  char gv[300];
  if (w->t->group[0])
    snprintf(gv, sizeof gv, "%s/%s", w->t->group, w->v->name);
  else
    snprintf(gv, sizeof gv, "%s", w->v->name);
  kbuf_printf(&w->out,
              "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
              "\"resourceVersion\":\"%llu\"}}}\n",
              w->t->kind, gv, (unsigned long long)rv);
}

static void emit_410(kwatch *w) {
  kbuf_printf(&w->out,
              "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
              "\"Failure\",\"message\":\"too old resource version: %llu (%llu)\",\"reason\":\"Expired\",\"code\":410}}"
              "\n",
              (unsigned long long)w->gone_rv, (unsigned long long)(evlog_floor() + 1));
}

void watch_start(kreq *r, kroute *rt, ksel *ls, ksel *fs, uint64_t from_rv, bool initial, bool bookmarks,
                 unsigned timeout_s) {
  kwatch *w = calloc(1, sizeof *w);
  if (!w) abort();
  w->t = rt->t;
  w->v = rt->v;
  w->has_ns = rt->has_ns;
  snprintf(w->ns, sizeof w->ns, "%s", rt->ns);
  w->ls = ls;
  w->fs = fs;
  w->bookmarks = bookmarks;
  w->fd = -1;
  uint64_t now = now_ms();
  w->deadline_ms = now + (uint64_t)timeout_s * 1000u;
  w->next_bookmark_ms = now + (uint64_t)KS.bookmark_interval * 1000u;
  w->drop_gen = KS.drop_watches_gen;
  if (initial) {
    ktype *st = rt->t->store;
    w->initial = calloc(st->n + 1, sizeof *w->initial);
    if (!w->initial) abort();
    for (size_t i = 0; i < st->n; i++) {
      kobj *o = st->objs[i];
      if (w->has_ns && strcmp(o->ns, w->ns) != 0) continue;
      if (ls && !sel_match_labels(ls, o->labels)) continue;
      if (fs && !blob_matches(w, o->json)) continue;
      w->initial[w->ninitial++] = kb_ref(o->json);
    }
    w->cursor = KS.rv;
  } else if (from_rv < evlog_floor()) {
    w->pending_410 = true;
    w->gone_rv = from_rv;
    w->cursor = from_rv;
  } else {
    w->cursor = from_rv;
  }
  w->next = watches;
  watches = w;
  KS.active_watches++;
  r->is_watch = true;
  r->watch = w;
  r->status = 200;
}

/* Collect pending output; returns with w->out non-empty, or w->done set. Lock held. */
static void fill(kwatch *w) {
  if (w->next_initial < w->ninitial) {
    emit_event(w, "ADDED", w->initial[w->next_initial]);
    kb_unref(w->initial[w->next_initial]);
    w->initial[w->next_initial++] = NULL;
    return;
  }
  if (KS.shutting_down) {
    w->done = true;
    return;
  }
  if (w->drop_gen != KS.drop_watches_gen) {
    w->done = w->abort_conn = true;
    return;
  }
  if (w->pending_410 || (w->cursor < evlog_floor() && w->cursor < KS.rv)) {
    if (!w->pending_410) w->gone_rv = w->cursor;
    emit_410(w);
    w->done = true;
    return;
  }
  ktype *st = w->t->store;
  size_t n = evlog_count(), sent = 0;
  for (size_t i = evlog_first_after(w->cursor); i < n && sent < 64; i++) {
    const kevent *e = evlog_at(i);
    w->cursor = e->rv;
    if (e->t != st) continue;
    bool now_m = blob_matches(w, e->obj);
    bool was_m = e->old ? blob_matches(w, e->old) : false;
    const char *type = NULL;
    if (e->type == KEV_ADDED && now_m)
      type = "ADDED";
    else if (e->type == KEV_DELETED && (was_m || now_m))
      type = "DELETED";
    else if (e->type == KEV_MODIFIED) {
      if (now_m && was_m)
        type = "MODIFIED";
      else if (now_m)
        type = "ADDED";
      else if (was_m)
        type = "DELETED";
    }
    if (type) {
      emit_event(w, type, e->obj);
      sent++;
    }
  }
  if (w->out.len > w->out_off) return;
  if (evlog_first_after(w->cursor) < n) return; /* more to scan (none matched in this batch) */
  if (w->closed) { /* its CRD is gone: the DELETED events above were delivered first */
    w->done = true;
    return;
  }
  w->cursor = KS.rv > w->cursor ? KS.rv : w->cursor;
  uint64_t now = now_ms();
  if (now >= w->deadline_ms) {
    if (w->bookmarks) emit_bookmark(w, w->cursor);
    w->done = true;
    return;
  }
  if (w->bookmarks && now >= w->next_bookmark_ms) {
    emit_bookmark(w, w->cursor);
    w->next_bookmark_ms = now + (uint64_t)KS.bookmark_interval * 1000u;
  }
}

static bool client_gone(kwatch *w) {
  if (w->fd < 0) return false;
  struct pollfd p = {.fd = w->fd, .events = POLLIN | POLLRDHUP};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) return true;
  if (p.revents & POLLIN) {
    char c;
    ssize_t r = recv(w->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0) return true;
  }
  return false;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  kwatch *w = cls;
  for (;;) {
    if (w->out.len > w->out_off) {
      size_t n = w->out.len - w->out_off;
      if (n > max) n = max;
      memcpy(buf, w->out.s + w->out_off, n);
      w->out_off += n;
      if (w->out_off == w->out.len) w->out.len = w->out_off = 0;
      return (ssize_t)n;
    }
    if (w->done) return w->abort_conn ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    KS_LOCK();
    fill(w);
    if (w->out.len == w->out_off && !w->done) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 200 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&KS.cond, &KS.lock, &ts);
    }
    KS_UNLOCK();
    if (w->out.len == w->out_off && !w->done && client_gone(w)) {
      w->done = w->abort_conn = true;
    }
  }
}

static void free_watch(void *cls) {
  kwatch *w = cls;
  KS_LOCK();
  for (kwatch **pp = &watches; *pp; pp = &(*pp)->next) {
    if (*pp == w) {
      *pp = w->next;
      break;
    }
  }
  KS.active_watches--;
  KS_UNLOCK();
  for (size_t i = w->next_initial; i < w->ninitial; i++) kb_unref(w->initial[i]);
  free(w->initial);
  sel_free(w->ls);
  sel_free(w->fs);
  kbuf_free(&w->out);
  free(w);
}

void *watch_make_response(kreq *r) {
  kwatch *w = r->watch;
  w->conn = r->conn;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(w->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (ci) w->fd = ci->connect_fd;
  struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, reader, w, free_watch);
  if (!resp) {
    free_watch(w);
    return NULL;
  }
  MHD_add_response_header(resp, "Content-Type", "application/json");
  return resp;
}

void watch_close_type(ktype *t) {
  for (kwatch *w = watches; w; w = w->next)
    if (w->t == t || w->t->store == t) w->closed = true;
  pthread_cond_broadcast(&KS.cond);
}

void watch_drop_all(void) {
  KS.drop_watches_gen++;
  pthread_cond_broadcast(&KS.cond);
}
