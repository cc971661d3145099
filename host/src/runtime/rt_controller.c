/* rt_controller.c — see rt_controller.h. */
#include "runtime/rt_controller.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"

#define MAX_KEYS 64
#define WATCH_FILTER_LABEL "cluster.x-k8s.io/watch-filter"

typedef struct rt_watch {
  struct rt_controller *ctl;
  capz_watch w;         /* host-sized copy */
  capz_informer *inf;
  int handler;
  char index[300];      /* CAPZ_MAP_REFERENCED_BY: index on the primary informer */
} rt_watch;

struct rt_controller {
  rt_shared *sh;
  const capz_plugin *plugin;
  void *state;
  capz_controller ctl; /* host-sized copy */
  char name[128];
  capz_metric *m_errors, *m_terminal, *m_time, *m_active, *m_depth, *m_adds, *m_retries;
  capz_gvk gvk;
  capz_informer *primary;
  int primary_handler;
  rt_watch *watches;
  size_t n_watches;
  /* What its reconciles read from: its own watches' informers first, then every other one (built once when the
   * workers start, when all controllers have registered their informers). */
  capz_informer **reads;
  size_t n_reads;
  capz_workqueue *q;
  pthread_t *workers;
  size_t n_workers;
  bool workers_started;
};

const char *rt_controller_name(const rt_controller *c) { return c->name; }

static void add_informer(rt_shared *sh, capz_informer *inf) {
  for (size_t i = 0; i < sh->n_informers; i++)
    if (sh->informers[i] == inf) return;
  if (sh->n_informers == sh->cap_informers) {
    size_t nc = sh->cap_informers ? sh->cap_informers * 2 : 8;
    capz_informer **n = realloc(sh->informers, nc * sizeof *n);
    if (!n) return;
    sh->informers = n;
    sh->cap_informers = nc;
  }
  sh->informers[sh->n_informers++] = inf;
}

static void enqueue(rt_controller *c, const char *ns, const char *name) {
  capz_key k;
  memset(&k, 0, sizeof k);
  if (!c->gvk.namespaced || !ns) ns = "";
  size_t lns = strlen(ns), ln = name ? strlen(name) : 0;
  /* longer than a key holds: not a name the API server accepts, so there is nothing to reconcile */
  if (!ln || ln >= sizeof k.name || lns >= sizeof k.ns) return;
  memcpy(k.ns, ns, lns);
  memcpy(k.name, name, ln);
  capz_workqueue_add(c->q, &k);
}

/* ---- primary events ---- */

static void prim_add(void *ud, const capz_obj *o) { enqueue(ud, capz_obj_namespace(o), capz_obj_name(o)); }
static void prim_update(void *ud, const capz_obj *old, const capz_obj *o) {
  (void)old;
  enqueue(ud, capz_obj_namespace(o), capz_obj_name(o));
}
static void prim_delete(void *ud, const capz_obj *o) { enqueue(ud, capz_obj_namespace(o), capz_obj_name(o)); }

/* ---- secondary → primary keys ---- */

static const char *group_of(const char *api_version) {
  static const char core[] = "";
  const char *slash = strchr(api_version, '/');
  return slash ? api_version : core;
}

static bool same_group(const char *api_version, const char *group) {
  const char *slash = strchr(api_version, '/');
  size_t gl = slash ? (size_t)(slash - api_version) : 0;
  const char *g = group ? group : "";
  (void)group_of;
  return strlen(g) == gl && strncmp(api_version, g, gl) == 0;
}

static void map_secondary(rt_watch *w, const capz_obj *o) {
  rt_controller *c = w->ctl;
  const char *ns = capz_obj_namespace(o);
  switch (w->w.map_kind) {
    case CAPZ_MAP_OWNER:
      for (size_t i = 0; i < capz_obj_owner_count(o); i++) {
        const char *av, *kind, *name;
        capz_obj_owner(o, i, &av, &kind, &name, NULL, NULL);
        if (strcmp(kind, c->gvk.kind) == 0 && same_group(av, c->gvk.group)) enqueue(c, ns, name);
      }
      break;
    case CAPZ_MAP_LABEL: {
      const char *v = w->w.path ? capz_obj_label(o, w->w.path) : NULL;
      if (v) enqueue(c, ns, v);
      break;
    }
    case CAPZ_MAP_REF_FIELD: {
      const cJSON *ref = w->w.path ? capz_json_ptr_get(capz_obj_json(o), w->w.path) : NULL;
      if (cJSON_IsString(ref)) {
        enqueue(c, ns, ref->valuestring);
      } else if (cJSON_IsObject(ref)) {
        const char *kind = capz_json_ptr_str(ref, "/kind", NULL);
        if (kind && strcmp(kind, c->gvk.kind) != 0) break;
        enqueue(c, capz_json_ptr_str(ref, "/namespace", ns), capz_json_ptr_str(ref, "/name", ""));
      }
      break;
    }
    case CAPZ_MAP_REFERENCED_BY: {
      char val[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
      snprintf(val, sizeof val, "%s/%s", w->w.gvk.namespaced ? ns : "", capz_obj_name(o));
      capz_obj_list l;
      if (capz_informer_by_index(c->primary, w->index, val, &l, NULL) == 0) {
        for (size_t i = 0; i < l.n; i++) enqueue(c, capz_obj_namespace(l.items[i]), capz_obj_name(l.items[i]));
        capz_obj_list_free(&l);
      }
      break;
    }
    case CAPZ_MAP_FUNC: {
      if (!w->w.map) break;
      capz_key keys[MAX_KEYS];
      const cJSON *j = capz_obj_json(o);
      size_t n = j ? w->w.map(c->state, j, keys, MAX_KEYS) : 0;
      for (size_t i = 0; i < n && i < MAX_KEYS; i++) {
        keys[i].ns[sizeof keys[i].ns - 1] = '\0';
        keys[i].name[sizeof keys[i].name - 1] = '\0';
        enqueue(c, keys[i].ns, keys[i].name);
      }
      break;
    }
    default: break;
  }
}

static void sec_add(void *ud, const capz_obj *o) { map_secondary(ud, o); }
static void sec_update(void *ud, const capz_obj *old, const capz_obj *o) {
  /* Both states: a changed owner/label/reference must wake the old primary and the new one. */
  if (old != o) map_secondary(ud, old);
  map_secondary(ud, o);
}
static void sec_delete(void *ud, const capz_obj *o) { map_secondary(ud, o); }

/* Index on the primary: which secondary (by "ns/name") a field of the primary references. */
static void ref_index(void *ud, const capz_obj *o, const cJSON *json, capz_index_values *vals) {
  rt_watch *w = ud;
  const cJSON *ref = capz_json_ptr_get(json, w->w.path);
  const char *name = NULL, *ns = capz_obj_namespace(o);
  if (cJSON_IsString(ref)) name = ref->valuestring;
  else if (cJSON_IsObject(ref)) {
    name = capz_json_ptr_str(ref, "/name", NULL);
    ns = capz_json_ptr_str(ref, "/namespace", ns);
  }
  if (!name || !*name) return;
  char v[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
  snprintf(v, sizeof v, "%s/%s", w->w.gvk.namespaced ? ns : "", name);
  capz_index_add(vals, v);
}

/* ---- workers ---- */

static const char *outcome_label(capz_outcome o) {
  switch (o) {
    case CAPZ_DONE: return "success";
    case CAPZ_REQUEUE_AFTER: return "requeue_after";
    case CAPZ_RETRY: return "requeue";
    case CAPZ_TERMINAL: return "terminal";
    default: return "error";
  }
}

static void reconcile_one(rt_controller *c, const capz_key *key) {
  const host_runtime_opts *o = c->sh->opts;
  int64_t timeout = o->reconcile_timeout_ms > 0 ? o->reconcile_timeout_ms : 90LL * 60 * 1000;
  capz_ctx_params p = {.struct_size = sizeof p, .controller = c->name, .key = *key, .gvk = &c->gvk,
                       .primary = c->primary, .informers = c->reads, .n_informers = c->n_reads,
                       .client = c->sh->client, .events = c->sh->events,
                       .deadline_ms = capz_monotonic_ms() + timeout};
  capz_ctx *ctx = NULL;
  capz_err e;
  int64_t t0 = capz_monotonic_ms();
  capz_outcome out;
  capz_result res;
  memset(&res, 0, sizeof res);
  res.struct_size = sizeof res;
  if (capz_ctx_new(&p, &ctx, &e) != 0) {
    out = CAPZ_RETRY;
  } else {
    out = c->ctl.reconcile(c->state, ctx, key, &res);
    capz_ctx_free(ctx);
  }
  double secs = (double)(capz_monotonic_ms() - t0) / 1000.0;
  res.reason[sizeof res.reason - 1] = '\0';
  res.message[sizeof res.message - 1] = '\0';

  capz_metric_inc(capz_metric_with(c->sh->metrics->reconcile_total, c->name, outcome_label(out), NULL));
  capz_metric_observe(c->m_time, secs);
  switch (out) {
    case CAPZ_DONE:
      capz_workqueue_forget(c->q, key);
      break;
    case CAPZ_REQUEUE_AFTER:
      capz_workqueue_forget(c->q, key);
      capz_workqueue_add_after(c->q, key, (int64_t)res.requeue_after_ms);
      break;
    case CAPZ_TERMINAL: {
      capz_metric_inc(c->m_terminal);
      capz_workqueue_forget(c->q, key);
      /* Surfaced to users; the plugin sets its own condition. */
      capz_ctx *ectx = NULL;
      if (capz_ctx_new(&p, &ectx, NULL) == 0) {
        capz_ctx_event(ectx, "Warning", *res.reason ? res.reason : "ReconcileFailed", "%s",
                       *res.message ? res.message : "reconcile failed permanently");
        capz_ctx_free(ectx);
      }
      break;
    }
    default: {
      /* RETRY, or an invalid outcome (treated as a transient failure). */
      capz_metric_inc(c->m_errors);
      int64_t d = capz_workqueue_next_backoff(c->q, key);
      if (res.requeue_after_ms > 0 && d > (int64_t)res.requeue_after_ms) d = (int64_t)res.requeue_after_ms;
      capz_workqueue_add_after(c->q, key, d);
      capz_metric_inc(c->m_retries);
      break;
    }
  }
}

static void *worker_main(void *arg) {
  rt_controller *c = arg;
  capz_key key;
  while (capz_workqueue_get(c->q, &key)) {
    reconcile_one(c, &key);
    capz_workqueue_done(c->q, &key);
  }
  return NULL;
}

/* ---- lifecycle ---- */

static void copy_sized(void *dst, size_t dst_size, const void *src, uint32_t src_size) {
  memset(dst, 0, dst_size);
  memcpy(dst, src, src_size && src_size < dst_size ? src_size : dst_size);
}

int rt_controller_new(rt_shared *sh, const capz_plugin *p, void *state, const capz_controller *ctl,
                      rt_controller **out, capz_err *err) {
  *out = NULL;
  rt_controller *c = calloc(1, sizeof *c);
  if (!c) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  c->sh = sh;
  c->plugin = p;
  c->state = state;
  copy_sized(&c->ctl, sizeof c->ctl, ctl, ctl->struct_size);
  c->gvk = c->ctl.primary;
  snprintf(c->name, sizeof c->name, "%s", c->gvk.kind ? c->gvk.kind : "unknown");
  for (char *s = c->name; *s; s++) *s = (char)tolower((unsigned char)*s);
  rt_metrics *m = sh->metrics;
  c->m_errors = capz_metric_with(m->reconcile_errors, c->name, NULL);
  c->m_terminal = capz_metric_with(m->terminal_errors, c->name, NULL);
  c->m_time = capz_metric_with(m->reconcile_time, c->name, NULL);
  c->m_active = capz_metric_with(m->active_workers, c->name, NULL);
  c->m_depth = capz_metric_with(m->wq_depth, c->name, NULL);
  c->m_adds = capz_metric_with(m->wq_adds, c->name, NULL);
  c->m_retries = capz_metric_with(m->wq_retries, c->name, NULL);
  int rc = 0;
  if (!c->ctl.reconcile) rc = capz_err_set(err, CAPZ_EINVAL, "%s: controller %s has no reconcile", p->name, c->name);
  if (!rc) rc = capz_workqueue_new(NULL, &c->q, err);
  if (!rc) rc = capz_kube_resolve(sh->client, &c->gvk, err);

  char sel[300] = "";
  if (sh->opts->watch_filter && *sh->opts->watch_filter)
    snprintf(sel, sizeof sel, "%s=%s", WATCH_FILTER_LABEL, sh->opts->watch_filter);
  capz_informer_opts io = {.struct_size = sizeof io, .ns = sh->opts->watch_namespace, .label_selector = sel,
                           .resync_ms = sh->opts->resync_ms};
  if (!rc) rc = capz_informer_get(sh->client, &c->gvk, &io, &c->primary, err);
  if (!rc) {
    add_informer(sh, c->primary);
    capz_informer_handler h = {sizeof h, prim_add, prim_update, prim_delete, c};
    c->primary_handler = capz_informer_add_handler(c->primary, &h);
  }
  size_t nw = 0;
  while (!rc && c->ctl.secondaries && c->ctl.secondaries[nw]) nw++;
  if (!rc && nw) {
    c->watches = calloc(nw, sizeof *c->watches);
    if (!c->watches) rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  for (size_t i = 0; !rc && i < nw; i++) {
    rt_watch *w = &c->watches[i];
    w->ctl = c;
    copy_sized(&w->w, sizeof w->w, c->ctl.secondaries[i], c->ctl.secondaries[i]->struct_size);
    if ((rc = capz_kube_resolve(sh->client, &w->w.gvk, err)) != 0) break;
    capz_informer_opts so = {.struct_size = sizeof so, .ns = sh->opts->watch_namespace,
                             .label_selector = w->w.label_selector, .resync_ms = sh->opts->resync_ms};
    if ((rc = capz_informer_get(sh->client, &w->w.gvk, &so, &w->inf, err)) != 0) break;
    c->n_watches++;
    add_informer(sh, w->inf);
    if (w->w.map_kind == CAPZ_MAP_REFERENCED_BY) {
      if (!w->w.path) {
        rc = capz_err_set(err, CAPZ_EINVAL, "%s: REFERENCED_BY watch of %s needs a path", c->name, w->w.gvk.kind);
        break;
      }
      snprintf(w->index, sizeof w->index, "ref:%s:%s", w->w.gvk.kind, w->w.path);
      if ((rc = capz_informer_add_index(c->primary, w->index, ref_index, w, err)) != 0) break;
    }
    capz_informer_handler h = {sizeof h, sec_add, sec_update, sec_delete, w};
    w->handler = capz_informer_add_handler(w->inf, &h);
  }
  if (rc) {
    rt_controller_free(c);
    return capz_err_prefix(err, "plugin %s", p->name);
  }
  uint32_t n = sh->opts->workers_for ? sh->opts->workers_for(sh->opts->ud, &c->ctl.primary, c->ctl.default_workers) : 0;
  if (!n) n = c->ctl.default_workers ? c->ctl.default_workers : sh->opts->default_workers;
  c->n_workers = n ? n : 10;
  capz_metric_set(capz_metric_with(sh->metrics->max_workers, c->name, NULL), (double)c->n_workers);
  *out = c;
  return 0;
}

static bool listed(capz_informer *const *v, size_t n, const capz_informer *inf) {
  for (size_t i = 0; i < n; i++)
    if (v[i] == inf) return true;
  return false;
}

/* Cache reads take the first informer of the kind asked for (rt_ctx.c): two controllers may watch one kind with
 * different label selectors, and each must read the informer that holds what it watches, not whichever another
 * controller registered first. */
static int build_reads(rt_controller *c, capz_err *err) {
  size_t cap = c->n_watches + c->sh->n_informers;
  c->reads = calloc(cap ? cap : 1, sizeof *c->reads);
  if (!c->reads) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; i < c->n_watches; i++)
    if (!listed(c->reads, c->n_reads, c->watches[i].inf)) c->reads[c->n_reads++] = c->watches[i].inf;
  for (size_t i = 0; i < c->sh->n_informers; i++)
    if (!listed(c->reads, c->n_reads, c->sh->informers[i])) c->reads[c->n_reads++] = c->sh->informers[i];
  return 0;
}

int rt_controller_start_workers(rt_controller *c, capz_err *err) {
  if (c->workers_started) return 0;
  int rc = c->reads ? 0 : build_reads(c, err);
  if (rc) return rc;
  c->workers = calloc(c->n_workers, sizeof *c->workers);
  if (!c->workers) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; i < c->n_workers; i++) {
    if (pthread_create(&c->workers[i], NULL, worker_main, c) != 0) {
      c->n_workers = i;
      break;
    }
  }
  c->workers_started = true;
  return 0;
}

void rt_controller_stop_intake(rt_controller *c) {
  if (c && c->q) capz_workqueue_shutdown(c->q);
}

bool rt_controller_wait_idle(rt_controller *c, int64_t timeout_ms) {
  return !c->q || capz_workqueue_wait_idle(c->q, timeout_ms);
}

void rt_controller_collect(rt_controller *c) {
  capz_workqueue_stats st;
  capz_workqueue_get_stats(c->q, &st);
  capz_metric_set(c->m_depth, (double)st.depth);
  /* The queue counts adds itself; the counter catches up to it. */
  double seen = capz_metric_value(c->m_adds);
  if ((double)st.adds > seen) capz_metric_add(c->m_adds, (double)st.adds - seen);
  capz_metric_set(c->m_active, (double)st.processing);
}

void rt_controller_free(rt_controller *c) {
  if (!c) return;
  if (c->q) capz_workqueue_shutdown(c->q);
  if (c->workers_started)
    for (size_t i = 0; i < c->n_workers; i++) pthread_join(c->workers[i], NULL);
  free(c->workers);
  for (size_t i = 0; i < c->n_watches; i++) {
    capz_informer_remove_handler(c->watches[i].inf, c->watches[i].handler);
    capz_informer_release(c->watches[i].inf);
  }
  free(c->watches);
  free(c->reads);
  if (c->primary) {
    capz_informer_remove_handler(c->primary, c->primary_handler);
    capz_informer_release(c->primary);
  }
  capz_workqueue_free(c->q);
  free(c);
}
