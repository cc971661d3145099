/* kc_watch.c — a watch stream: newline-delimited JSON events split out of the HTTP body as it arrives. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kc_internal.h"

typedef struct wstate {
  capz_watch_fn fn;
  void *ud;
  char *line;
  size_t len, cap;
  bool stopped;
  bool oom;
} wstate;

static capz_watch_event ev_type(const char *t) {
  if (!t) return 0;
  if (strcmp(t, "ADDED") == 0) return CAPZ_EV_ADDED;
  if (strcmp(t, "MODIFIED") == 0) return CAPZ_EV_MODIFIED;
  if (strcmp(t, "DELETED") == 0) return CAPZ_EV_DELETED;
  if (strcmp(t, "BOOKMARK") == 0) return CAPZ_EV_BOOKMARK;
  if (strcmp(t, "ERROR") == 0) return CAPZ_EV_ERROR;
  return 0;
}

static int emit(wstate *w, const char *p, size_t n) {
  while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
  if (n == 0) return 0;
  cJSON *ev = cJSON_ParseWithLength(p, n);
  if (!ev) return 0; /* a torn line from a broken server; the relist repairs any gap */
  capz_watch_event t = ev_type(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type")));
  cJSON *obj = cJSON_DetachItemFromObjectCaseSensitive(ev, "object");
  cJSON_Delete(ev);
  if (!t || !obj) {
    cJSON_Delete(obj);
    return 0;
  }
  int r = w->fn(w->ud, t, obj);
  if (r != 1) cJSON_Delete(obj);
  return r < 0 ? -1 : 0;
}

static int on_data(void *ud, const char *buf, size_t len) {
  wstate *w = ud;
  for (size_t i = 0; i < len;) {
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t take = nl ? (size_t)(nl - (buf + i)) : len - i;
    if (w->len == 0 && nl) {
      /* Whole line inside this chunk: no copy. */
      if (emit(w, buf + i, take) < 0) return (w->stopped = true), 1;
    } else {
      if (w->len + take + 1 > w->cap) {
        size_t nc = w->cap ? w->cap : 16384;
        while (nc < w->len + take + 1) nc *= 2;
        char *nb = realloc(w->line, nc);
        if (!nb) return (w->oom = true), 1;
        w->line = nb;
        w->cap = nc;
      }
      memcpy(w->line + w->len, buf + i, take);
      w->len += take;
      if (nl) {
        int r = emit(w, w->line, w->len);
        w->len = 0;
        if (r < 0) return (w->stopped = true), 1;
      }
    }
    i += take + (nl ? 1 : 0);
  }
  return 0;
}

CAPZ_API int capz_kube_watch(capz_kube_client *c, const capz_gvk *gvk, const char *ns, const capz_watch_opts *o,
                             capz_watch_fn fn, void *ud, capz_err *err) {
  capz_gvk g = *gvk;
  int rc = capz_kube_resolve(c, &g, err);
  if (rc) return rc;
  char p[1024];
  if (capz_kube_path(&g, ns, NULL, NULL, p, sizeof p) < 0) return capz_err_set(err, CAPZ_EINVAL, "watch: path too long");
  char q[2048];
  size_t l = (size_t)snprintf(q, sizeof q, "%s%s?watch=true", c->cfg->server, p);
  const char *keys[] = {"labelSelector", "fieldSelector", "resourceVersion"};
  const char *vals[] = {o ? o->label_selector : NULL, o ? o->field_selector : NULL, o ? o->resource_version : NULL};
  for (int i = 0; i < 3; i++) {
    if (!vals[i] || !*vals[i] || l >= sizeof q) continue;
    char esc[1500];
    if (strlen(vals[i]) * 3 >= sizeof esc) return capz_err_set(err, CAPZ_EINVAL, "watch: selector too long");
    kc_query_escape(vals[i], esc);
    l += (size_t)snprintf(q + l, sizeof q - l, "&%s=%s", keys[i], esc);
  }
  if (o && o->bookmarks && l < sizeof q) l += (size_t)snprintf(q + l, sizeof q - l, "&allowWatchBookmarks=true");
  if (o && o->timeout_seconds > 0 && l < sizeof q)
    l += (size_t)snprintf(q + l, sizeof q - l, "&timeoutSeconds=%ld", o->timeout_seconds);
  if (l >= sizeof q) return capz_err_set(err, CAPZ_EINVAL, "watch: URL too long");

  kc_auth a;
  if ((rc = kc_config_auth(c->cfg, false, &a, err))) return rc;
  char *hauth = NULL;
  const char *hdrs[4] = {"Accept: application/json", NULL, NULL, NULL};
  if (a.bearer && asprintf(&hauth, "Authorization: Bearer %s", a.bearer) >= 0) hdrs[1] = hauth;
  if (kc_bucket_take(&c->bucket)) atomic_fetch_add(&c->n_throttled, 1);
  atomic_fetch_add(&c->n_requests, 1);
  atomic_fetch_add(&c->n_watches, 1);
  wstate w = {.fn = fn, .ud = ud};
  /* A client-side limit beyond the server's timeout catches half-open connections. */
  long to = o && o->timeout_seconds > 0 ? (o->timeout_seconds + 30) * 1000 : 0;
  http_request rq = {.method = "GET", .url = q, .headers = hdrs, .timeout_ms = to, .tls = &a.tls,
                     .on_data = on_data, .on_data_ud = &w, .cancel = o ? o->cancel : NULL};
  http_response rs;
  rc = http_do(&rq, &rs, err);
  if (hauth) OPENSSL_cleanse(hauth, strlen(hauth));
  free(hauth);
  kc_auth_free(&a);
  if (rc == CAPZ_OK) {
    if (w.oom) rc = capz_err_set(err, CAPZ_ENOMEM, "watch %s: out of memory", p);
    else if (rs.status != 200 && !(rs.aborted && rs.status == 0))
      rc = kc_status_error(rs.status, rs.body, rs.body_len, "watch", err);
  } else if (rc == CAPZ_ETIMEOUT) {
    rc = CAPZ_OK; /* our own stream deadline: a normal end, the caller re-watches */
  }
  http_response_free(&rs);
  free(w.line);
  return rc;
}
