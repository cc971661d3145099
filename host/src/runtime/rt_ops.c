/* rt_ops.c — see rt_ops.h. */
#include "runtime/rt_ops.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_ops {
  struct MHD_Daemon *d;
  bool health, metrics;
  bool (*ready)(void *);
  void (*collect)(void *);
  void *ud;
  capz_metrics_registry *reg;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *ct, char *body, bool owned) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!r) {
    if (owned) free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", ct);
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *up, size_t *up_size, void **con_cls) {
  (void)version, (void)up, (void)up_size, (void)con_cls;
  rt_ops *o = cls;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return reply(c, 405, "text/plain", "method not allowed\n", false);
  if (o->health && (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0))
    return reply(c, 200, "text/plain", "ok", false);
  if (o->health && strcmp(url, "/readyz") == 0) {
    bool ok = o->ready ? o->ready(o->ud) : true;
    return reply(c, ok ? 200 : 503, "text/plain", ok ? "ok" : "informers not synced", false);
  }
  if (o->metrics && strcmp(url, "/metrics") == 0) {
    if (o->collect) o->collect(o->ud);
    char *text = capz_metrics_render(o->reg, NULL);
    if (!text) return reply(c, 500, "text/plain", "out of memory", false);
    return reply(c, 200, CAPZ_METRICS_CONTENT_TYPE, text, true);
  }
  return reply(c, 404, "text/plain", "not found\n", false);
}

int rt_ops_start(const char *addr, bool serve_health, bool serve_metrics, bool (*ready)(void *),
                 void (*collect)(void *), void *ud, capz_metrics_registry *reg, rt_ops **out, char *url,
                 unsigned long url_n, capz_err *err) {
  *out = NULL;
  char host[128] = "0.0.0.0";
  int port = 0;
  const char *colon = strrchr(addr, ':');
  if (!colon) return capz_err_set(err, CAPZ_EINVAL, "ops address \"%s\": expected host:port", addr);
  if (colon > addr) snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
  port = atoi(colon + 1);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    return capz_err_set(err, CAPZ_EINVAL, "ops address \"%s\": host must be an IPv4 address", addr);
  rt_ops *o = calloc(1, sizeof *o);
  if (!o) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  o->health = serve_health;
  o->metrics = serve_metrics;
  o->ready = ready;
  o->collect = collect;
  o->ud = ud;
  o->reg = reg;
  o->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, o,
                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
  if (!o->d) {
    free(o);
    return capz_err_set(err, CAPZ_EIO, "ops: cannot listen on %s", addr);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(o->d, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(url, url_n, "http://%s:%u", strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host, (unsigned)di->port);
  *out = o;
  return 0;
}

void rt_ops_stop(rt_ops *o) {
  if (!o) return;
  MHD_stop_daemon(o->d);
  free(o);
}
