/* rt_ctx.c — the per-reconcile context handed to plugins (see capz/controller.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capz/controller.h"

/* The logging implementation lands separately; until it links, contexts carry no logger. */
#pragma weak capz_logger_new
#pragma weak capz_logger_free

struct capz_ctx {
  capz_ctx_params p;
  capz_logger *logger;
};

CAPZ_API int64_t capz_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

CAPZ_API int capz_ctx_new(const capz_ctx_params *p, capz_ctx **out, capz_err *err) {
  *out = NULL;
  if (!p || !p->gvk || !p->client) return capz_err_set(err, CAPZ_EINVAL, "ctx: gvk and client are required");
  capz_ctx *c = calloc(1, sizeof *c);
  if (!c) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  memcpy(&c->p, p, p->struct_size && p->struct_size < sizeof c->p ? p->struct_size : sizeof c->p);
  if (capz_logger_new)
    c->logger = capz_logger_new(p->logger, "controller", p->controller ? p->controller : p->gvk->kind, "namespace",
                                c->p.key.ns, "name", c->p.key.name, NULL);
  *out = c;
  return 0;
}

CAPZ_API void capz_ctx_free(capz_ctx *c) {
  if (!c) return;
  if (c->logger && capz_logger_free) capz_logger_free(c->logger);
  free(c);
}

CAPZ_API const capz_key *capz_ctx_key(const capz_ctx *c) { return &c->p.key; }
CAPZ_API const capz_gvk *capz_ctx_gvk(const capz_ctx *c) { return c->p.gvk; }
CAPZ_API const capz_logger *capz_ctx_logger(const capz_ctx *c) { return c->logger ? c->logger : c->p.logger; }
CAPZ_API int64_t capz_ctx_deadline_ms(const capz_ctx *c) { return c->p.deadline_ms; }
CAPZ_API int64_t capz_ctx_remaining_ms(const capz_ctx *c) {
  return c->p.deadline_ms ? c->p.deadline_ms - capz_monotonic_ms() : INT64_MAX;
}
CAPZ_API bool capz_ctx_expired(const capz_ctx *c) { return c->p.deadline_ms && capz_ctx_remaining_ms(c) <= 0; }
CAPZ_API capz_kube_client *capz_ctx_client(const capz_ctx *c) { return c->p.client; }

static bool same_resource(const capz_gvk *a, const capz_gvk *b) {
  const char *ga = a->group ? a->group : "", *gb = b->group ? b->group : "";
  if (strcmp(ga, gb) != 0 || strcmp(a->version, b->version) != 0) return false;
  if (a->plural && b->plural) return strcmp(a->plural, b->plural) == 0;
  return a->kind && b->kind && strcmp(a->kind, b->kind) == 0;
}

/* The informer for gvk: the primary's, else the first of the host's list that serves the resource. The host lists
 * the reconciling controller's own watch informers first (capz/controller.h, capz_ctx_cache_get), so a kind watched
 * by two controllers with different label selectors is read from the caller's own informer. */
static capz_informer *find_informer(const capz_ctx *c, const capz_gvk *gvk, const char *ns) {
  capz_informer *best = NULL;
  if (c->p.primary && same_resource(capz_informer_gvk(c->p.primary), gvk)) best = c->p.primary;
  for (size_t i = 0; !best && i < c->p.n_informers; i++)
    if (c->p.informers[i] && same_resource(capz_informer_gvk(c->p.informers[i]), gvk)) best = c->p.informers[i];
  (void)ns;
  return best;
}

CAPZ_API int capz_ctx_get(const capz_ctx *c, const capz_obj **out, capz_err *err) {
  *out = NULL;
  if (!c->p.primary) return capz_err_set(err, CAPZ_EINVAL, "ctx: no primary informer");
  int rc = capz_informer_get_obj(c->p.primary, c->p.key.ns, c->p.key.name, out);
  if (rc == CAPZ_ENOTFOUND)
    return capz_err_set(err, CAPZ_ENOTFOUND, "%s %s/%s not found (deleted)", c->p.gvk->kind, c->p.key.ns,
                        c->p.key.name);
  return rc;
}

CAPZ_API int capz_ctx_cache_get(const capz_ctx *c, const capz_gvk *gvk, const char *ns, const char *name,
                                const capz_obj **out, capz_err *err) {
  *out = NULL;
  capz_informer *inf = find_informer(c, gvk, ns);
  if (!inf) return capz_err_set(err, CAPZ_EINVAL, "ctx: kind %s is not watched", gvk->kind ? gvk->kind : "?");
  if (capz_informer_get_obj(inf, ns, name, out) != 0)
    return capz_err_set(err, CAPZ_ENOTFOUND, "%s %s/%s not in cache", gvk->kind ? gvk->kind : "", ns ? ns : "", name);
  return 0;
}

CAPZ_API int capz_ctx_cache_list(const capz_ctx *c, const capz_gvk *gvk, const char *ns, const char *sel,
                                 capz_obj_list *out, capz_err *err) {
  memset(out, 0, sizeof *out);
  capz_informer *inf = find_informer(c, gvk, ns);
  if (!inf) return capz_err_set(err, CAPZ_EINVAL, "ctx: kind %s is not watched", gvk->kind ? gvk->kind : "?");
  return capz_informer_list(inf, ns, sel, out, err);
}

CAPZ_API int capz_ctx_event(const capz_ctx *c, const char *type, const char *reason, const char *fmt, ...) {
  if (!c->p.events) return 0;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const capz_obj *o = NULL;
  const char *uid = "";
  if (c->p.primary && capz_informer_get_obj(c->p.primary, c->p.key.ns, c->p.key.name, &o) == 0) uid = capz_obj_uid(o);
  char av[256];
  const capz_gvk *g = c->p.gvk;
  if (g->group && *g->group) snprintf(av, sizeof av, "%s/%s", g->group, g->version);
  else snprintf(av, sizeof av, "%s", g->version);
  capz_object_ref ref = {av, g->kind, c->p.key.ns, c->p.key.name, uid};
  int rc = capz_event_record(c->p.events, &ref, type, reason, msg, NULL);
  capz_obj_unref(o);
  return rc;
}
