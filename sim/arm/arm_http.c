/* arm_http.c — libmicrohttpd glue: collects the request body (capped), hands a arm_req to the router and
 * writes the arm_resp back with ARM's standard headers. One thread per connection, so an injected latency
 * only delays its own connection. */
#include "arm_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct conn_state {
  char *buf;
  size_t len, cap;
  size_t total;
  bool too_big;
} conn_state;

struct arm_http {
  struct MHD_Daemon *d;
  arm_ctx *ctx;
  int port;
};

static const char *q_query(void *conn, const char *name) {
  return MHD_lookup_connection_value((struct MHD_Connection *)conn, MHD_GET_ARGUMENT_KIND, name);
}
static const char *q_header(void *conn, const char *name) {
  return MHD_lookup_connection_value((struct MHD_Connection *)conn, MHD_HEADER_KIND, name);
}

typedef struct qbuf {
  char *s;
  size_t len, cap;
} qbuf;

static void qb_add(qbuf *b, const char *t, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->len + n + 1) nc *= 2;
    char *ns = realloc(b->s, nc);
    if (!ns) return;
    b->s = ns;
    b->cap = nc;
  }
  memcpy(b->s + b->len, t, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void qb_enc(qbuf *b, const char *v) {
  static const char hex[] = "0123456789ABCDEF";
  for (; v && *v; v++) {
    unsigned char ch = (unsigned char)*v;
    if (isalnum(ch) || strchr("-._~", ch)) qb_add(b, (const char *)&ch, 1);
    else {
      char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
      qb_add(b, e, 3);
    }
  }
}

static enum MHD_Result q_collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  (void)kind;
  qbuf *b = cls;
  if (b->len) qb_add(b, "&", 1);
  qb_enc(b, key);
  if (value) {
    qb_add(b, "=", 1);
    qb_enc(b, value);
  }
  return MHD_YES;
}

static void routing_id(char *out, size_t n) {
  char u[37];
  arm_uuid(u);
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  char ts[32];
  strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(out, n, "LOCAL:%s:%s", ts, u);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, const arm_req *q, arm_resp *r) {
  char *text = NULL;
  size_t len = 0;
  if (r->body) {
    text = cJSON_PrintUnformatted(r->body);
    len = text ? strlen(text) : 0;
  } else if (r->text) {
    text = r->text;
    r->text = NULL;
    len = strlen(text);
  }
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, text ? text : (void *)"", text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!resp) { free(text); return MHD_NO; }
  if (text) MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
  char rid[37], rout[96];
  arm_uuid(rid);
  routing_id(rout, sizeof rout);
  MHD_add_response_header(resp, "x-ms-request-id", rid);
  const char *corr = arm_req_header(q, "x-ms-correlation-request-id");
  const char *cli = arm_req_header(q, "x-ms-client-request-id");
  MHD_add_response_header(resp, "x-ms-correlation-request-id", corr && strlen(corr) < 100 ? corr : rid);
  if (cli && strlen(cli) < 100) MHD_add_response_header(resp, "x-ms-client-request-id", cli);
  MHD_add_response_header(resp, "x-ms-routing-request-id", rout);
  MHD_add_response_header(resp, "Cache-Control", "no-cache");
  for (int i = 0; i < r->nhdr; i++)
    if (r->hdr[i].value) MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)version;
  struct arm_http *h = cls;
  conn_state *st = *con_cls;
  if (!st) {
    st = calloc(1, sizeof *st);
    if (!st) return MHD_NO;
    *con_cls = st;
    return MHD_YES;
  }
  if (*upload_data_size) {
    size_t n = *upload_data_size;
    st->total += n;
    if (!st->too_big && st->total > h->ctx->cfg.max_body) {
      st->too_big = true;
      free(st->buf);
      st->buf = NULL;
      st->len = st->cap = 0;
    }
    if (!st->too_big) {
      if (st->len + n + 1 > st->cap) {
        size_t nc = st->cap ? st->cap : 4096;
        while (nc < st->len + n + 1) nc *= 2;
        char *nb = realloc(st->buf, nc);
        if (!nb) return MHD_NO;
        st->buf = nb;
        st->cap = nc;
      }
      memcpy(st->buf + st->len, upload_data, n);
      st->len += n;
      st->buf[st->len] = '\0';
    }
    *upload_data_size = 0;
    return MHD_YES;
  }

  arm_req q;
  memset(&q, 0, sizeof q);
  q.method = method;
  q.path = url;
  q.query = q_query;
  q.header = q_header;
  q.conn = conn;
  q.api_version = q_query(conn, "api-version");
  qbuf raw = {0};
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, q_collect, &raw);
  q.raw_query = raw.s ? raw.s : "";
  q.body = st->buf;
  q.body_len = st->len;
  const char *host = q_header(conn, "Host");
  if (host && strlen(host) < 200 && !strpbrk(host, " \r\n/\"")) snprintf(q.base_url, sizeof q.base_url, "http://%s", host);
  else snprintf(q.base_url, sizeof q.base_url, "%s", h->ctx->base_url);

  arm_resp r;
  memset(&r, 0, sizeof r);
  if (st->too_big) {
    arm_resp_error(&r, 413, "RequestEntityTooLarge",
                   "The request content size %zu exceeds the maximum allowed size of %zu bytes.", st->total,
                   h->ctx->cfg.max_body);
    arm_reqlog_add(h->ctx->log, &q, 413);
  } else {
    arm_route(h->ctx, &q, &r);
  }
  cJSON_Delete(q.json);
  free(raw.s);
  enum MHD_Result ret = r.reset ? MHD_NO : send_resp(conn, &q, &r);
  arm_resp_clear(&r);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  conn_state *st = *con_cls;
  if (st) {
    free(st->buf);
    free(st);
  }
  *con_cls = NULL;
}

arm_http *arm_http_start(arm_ctx *ctx, const char *host, int port, char *err, size_t errlen) {
  struct arm_http *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->ctx = ctx;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    snprintf(err, errlen, "--listen: '%s' is not an IPv4 address", host);
    free(h);
    return NULL;
  }
  h->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                          (uint16_t)port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT,
                          (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                          (unsigned)256, MHD_OPTION_END);
  if (!h->d) {
    snprintf(err, errlen, "cannot listen on %s:%d", host, port);
    free(h);
    return NULL;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = di ? di->port : port;
  return h;
}

int arm_http_port(const arm_http *h) { return h->port; }

void arm_http_stop(arm_http *h) {
  if (!h) return;
  MHD_stop_daemon(h->d);
  free(h);
}
