/* kc_informer.c — shared informers: registry (one per resource+namespace+selectors per client), the
 * list+watch thread (bookmarks, relist from the last resourceVersion after 410, reconnects with backoff),
 * optional resync, handler dispatch and cache reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/kc_cache.h"
#include "kube/kc_internal.h"

typedef struct kc_handler {
  int id;
  capz_informer_handler h;
} kc_handler;

struct capz_informer {
  struct capz_informer *next;
  int users;
  char *reg_key;
  capz_kube_client *client;
  capz_gvk gvk;
  char *group, *version, *kind, *api_version;
  char *ns, *label_sel, *field_sel;
  int64_t resync_ms;

  pthread_rwlock_t lock; /* cache */
  kc_cache cache;

  pthread_mutex_t disp_mu; /* handlers, and ordering of cache apply + dispatch */
  kc_handler *handlers;
  size_t n_handlers;
  int next_id;

  pthread_mutex_t st_mu; /* started/synced/stop + cond */
  pthread_cond_t st_cv;
  bool started, synced, stop;
  volatile int cancel;
  pthread_t thread, resync_thread;
  bool has_resync_thread;

  char rv[64];
  bool relist_needed;
  atomic_uint_fast64_t n_lists, n_watches, n_gone, n_events;
};

static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static capz_informer *g_reg;

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }

static const char *json_str_or(const cJSON *o, const char *k) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
  return s ? s : "";
}

CAPZ_API int capz_informer_get(capz_kube_client *c, const capz_gvk *gvk, const capz_informer_opts *opts,
                               capz_informer **out, capz_err *err) {
  *out = NULL;
  capz_informer_opts o = {0};
  if (opts) memcpy(&o, opts, opts->struct_size && opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
  capz_gvk g = *gvk;
  int rc = capz_kube_resolve(c, &g, err);
  if (rc) return rc;
  if (o.label_selector && *o.label_selector && (rc = capz_label_selector_check(o.label_selector, err))) return rc;
  char *key = NULL;
  if (asprintf(&key, "%p|%s|%s|%s|%s|%s|%s|%lld", (void *)c, g.group ? g.group : "", g.version, g.plural,
               o.ns ? o.ns : "", o.label_selector ? o.label_selector : "", o.field_selector ? o.field_selector : "",
               (long long)o.resync_ms) < 0)
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  pthread_mutex_lock(&g_reg_mu);
  for (capz_informer *i = g_reg; i; i = i->next) {
    if (strcmp(i->reg_key, key) == 0) {
      i->users++;
      pthread_mutex_unlock(&g_reg_mu);
      free(key);
      *out = i;
      return 0;
    }
  }
  capz_informer *inf = calloc(1, sizeof *inf);
  if (!inf || kc_cache_init(&inf->cache) != 0) {
    pthread_mutex_unlock(&g_reg_mu);
    free(key);
    if (inf) kc_cache_destroy(&inf->cache);
    free(inf);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  inf->users = 1;
  inf->reg_key = key;
  inf->client = c;
  inf->group = strdup(g.group ? g.group : "");
  inf->version = strdup(g.version);
  inf->kind = strdup(g.kind);
  if (*inf->group) {
    if (asprintf(&inf->api_version, "%s/%s", inf->group, inf->version) < 0) inf->api_version = NULL;
  } else {
    inf->api_version = strdup(inf->version);
  }
  inf->gvk = (capz_gvk){inf->group, inf->version, inf->kind, g.plural, g.namespaced};
  inf->ns = sdup(o.ns && *o.ns ? o.ns : NULL);
  inf->label_sel = sdup(o.label_selector && *o.label_selector ? o.label_selector : NULL);
  inf->field_sel = sdup(o.field_selector && *o.field_selector ? o.field_selector : NULL);
  inf->resync_ms = o.resync_ms;
  pthread_rwlock_init(&inf->lock, NULL);
  pthread_mutex_init(&inf->disp_mu, NULL);
  pthread_mutex_init(&inf->st_mu, NULL);
  pthread_cond_init(&inf->st_cv, NULL);
  inf->next = g_reg;
  g_reg = inf;
  pthread_mutex_unlock(&g_reg_mu);
  *out = inf;
  return 0;
}

CAPZ_API void capz_informer_request_stop(capz_informer *inf) {
  pthread_mutex_lock(&inf->st_mu);
  inf->stop = true;
  __atomic_store_n(&inf->cancel, 1, __ATOMIC_RELEASE); /* read lock-free by the watch's transfer */
  pthread_cond_broadcast(&inf->st_cv);
  pthread_mutex_unlock(&inf->st_mu);
}

static void informer_stop(capz_informer *inf) {
  pthread_mutex_lock(&inf->st_mu);
  bool was = inf->started;
  inf->stop = true;
  __atomic_store_n(&inf->cancel, 1, __ATOMIC_RELEASE); /* read lock-free by the watch's transfer */
  pthread_cond_broadcast(&inf->st_cv);
  pthread_mutex_unlock(&inf->st_mu);
  if (was) {
    pthread_join(inf->thread, NULL);
    if (inf->has_resync_thread) pthread_join(inf->resync_thread, NULL);
  }
}

CAPZ_API void capz_informer_release(capz_informer *inf) {
  if (!inf) return;
  pthread_mutex_lock(&g_reg_mu);
  if (--inf->users > 0) {
    pthread_mutex_unlock(&g_reg_mu);
    return;
  }
  for (capz_informer **pp = &g_reg; *pp; pp = &(*pp)->next)
    if (*pp == inf) {
      *pp = inf->next;
      break;
    }
  pthread_mutex_unlock(&g_reg_mu);
  informer_stop(inf);
  kc_cache_destroy(&inf->cache);
  free(inf->handlers);
  pthread_rwlock_destroy(&inf->lock);
  pthread_mutex_destroy(&inf->disp_mu);
  pthread_mutex_destroy(&inf->st_mu);
  pthread_cond_destroy(&inf->st_cv);
  free(inf->reg_key);
  free(inf->group);
  free(inf->version);
  free(inf->kind);
  free(inf->api_version);
  free(inf->ns);
  free(inf->label_sel);
  free(inf->field_sel);
  free(inf);
}

CAPZ_API const capz_gvk *capz_informer_gvk(const capz_informer *inf) { return &inf->gvk; }

/* ---- dispatch (called with disp_mu held) ---- */

static void dispatch(capz_informer *inf, int type, const capz_obj *old, const capz_obj *obj) {
  for (size_t i = 0; i < inf->n_handlers; i++) {
    const capz_informer_handler *h = &inf->handlers[i].h;
    if (type == CAPZ_EV_ADDED && h->on_add) h->on_add(h->ud, obj);
    else if (type == CAPZ_EV_MODIFIED && h->on_update) h->on_update(h->ud, old, obj);
    else if (type == CAPZ_EV_DELETED && h->on_delete) h->on_delete(h->ud, obj);
  }
}

/* Insert/replace o (the caller's reference is consumed) and notify. */
static void apply_upsert(capz_informer *inf, capz_obj *o, bool skip_same_rv) {
  pthread_rwlock_wrlock(&inf->lock);
  capz_obj *cur = kc_cache_get(&inf->cache, o->ns, o->name);
  if (skip_same_rv && cur && strcmp(cur->rv, o->rv) == 0) {
    pthread_rwlock_unlock(&inf->lock);
    capz_obj_unref(o);
    return;
  }
  capz_obj *old = kc_cache_put(&inf->cache, o);
  pthread_rwlock_unlock(&inf->lock);
  if (!old) {
    capz_obj_unref(o);
    return;
  }
  if (old == KC_CACHE_NEW) dispatch(inf, CAPZ_EV_ADDED, NULL, o);
  else dispatch(inf, CAPZ_EV_MODIFIED, old, o);
  if (old != KC_CACHE_NEW) capz_obj_unref(old);
  capz_obj_unref(o);
}

static void apply_delete(capz_informer *inf, capz_obj *last) {
  pthread_rwlock_wrlock(&inf->lock);
  capz_obj *old = kc_cache_del(&inf->cache, last->ns, last->name);
  pthread_rwlock_unlock(&inf->lock);
  if (old) dispatch(inf, CAPZ_EV_DELETED, NULL, last);
  capz_obj_unref(old);
  capz_obj_unref(last);
}

/* List items of built-in kinds come without apiVersion/kind; watch events carry them. Make them uniform. */
static void ensure_type(capz_informer *inf, cJSON *o) {
  if (!cJSON_GetObjectItemCaseSensitive(o, "kind")) cJSON_AddStringToObject(o, "kind", inf->kind);
  if (!cJSON_GetObjectItemCaseSensitive(o, "apiVersion") && inf->api_version)
    cJSON_AddStringToObject(o, "apiVersion", inf->api_version);
}

static void set_rv(capz_informer *inf, const char *rv) {
  if (rv && *rv) snprintf(inf->rv, sizeof inf->rv, "%s", rv);
}

/* ---- list ---- */

static int do_list(capz_informer *inf, const char *from_rv, capz_err *err) {
  kc_smap seen = {0};
  char cont[2048] = "";
  char list_rv[64] = "";
  int rc = 0;
  /* Collect every page first so a failure halfway leaves the cache untouched. Items are turned into compact
   * snapshots page by page (their trees dropped at once) so the transient peak is one page, not the list. */
  capz_obj **objs = NULL;
  size_t n_objs = 0, cap_objs = 0;
  for (;;) {
    capz_list_opts lo = {.label_selector = inf->label_sel, .field_selector = inf->field_sel};
    if (*cont) {
      lo.continue_token = cont;
      lo.limit = 500;
    } else if (from_rv && *from_rv) {
      lo.resource_version = from_rv; /* NotOlderThan the last seen state, no paging (as client-go) */
    } else {
      lo.limit = 500;
    }
    cJSON *page = NULL;
    atomic_fetch_add(&inf->n_lists, 1);
    rc = capz_kube_list(inf->client, &inf->gvk, inf->ns, &lo, &page, err);
    if (rc) break;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(page, "metadata");
    if (!*cont) snprintf(list_rv, sizeof list_rv, "%s", json_str_or(md, "resourceVersion"));
    cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
    cJSON *it;
    while (cJSON_IsArray(items) && (it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
      ensure_type(inf, it);
      capz_obj *o = kc_obj_build(it);
      if (!o) continue;
      kc_obj_drop_tree(o);
      if (n_objs == cap_objs) {
        size_t nc = cap_objs ? cap_objs * 2 : 256;
        capz_obj **no = realloc(objs, nc * sizeof *no);
        if (!no) {
          capz_obj_unref(o);
          rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
          break;
        }
        objs = no;
        cap_objs = nc;
      }
      objs[n_objs++] = o;
    }
    const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "continue"));
    snprintf(cont, sizeof cont, "%s", c ? c : "");
    cJSON_Delete(page);
    if (rc || !*cont) break;
  }
  if (rc) {
    for (size_t i = 0; i < n_objs; i++) capz_obj_unref(objs[i]);
    free(objs);
    return rc;
  }
  pthread_mutex_lock(&inf->disp_mu);
  for (size_t i = 0; i < n_objs; i++) {
    capz_obj *o = objs[i];
    char key[CAPZ_NS_MAX + CAPZ_NAME_MAX + 2];
    kc_objkey(o->ns, o->name, key, sizeof key);
    kc_smap_put(&seen, key, (void *)1, NULL);
    apply_upsert(inf, o, true);
  }
  free(objs);
  /* Whatever the cache has that the list lacks was deleted while we were not watching. */
  capz_obj_list gone = {0};
  pthread_rwlock_rdlock(&inf->lock);
  gone.items = calloc(inf->cache.objs.n + 1, sizeof *gone.items);
  KC_SMAP_EACH(&inf->cache.objs, s) {
    if (gone.items && !kc_smap_get(&seen, s->key)) gone.items[gone.n++] = capz_obj_ref(s->val);
  }
  pthread_rwlock_unlock(&inf->lock);
  for (size_t i = 0; i < gone.n; i++) apply_delete(inf, (capz_obj *)capz_obj_ref(gone.items[i]));
  pthread_mutex_unlock(&inf->disp_mu);
  capz_obj_list_free(&gone);
  kc_smap_free(&seen);
  set_rv(inf, list_rv);
  return 0;
}

/* ---- watch ---- */

static int on_event(void *ud, capz_watch_event type, cJSON *obj) {
  capz_informer *inf = ud;
  if (type == CAPZ_EV_ERROR) {
    int code = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, "code"));
    if (code == 410) {
      inf->relist_needed = true;
      atomic_fetch_add(&inf->n_gone, 1);
    }
    return -1;
  }
  const char *rv = json_str_or(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
  char rvbuf[64];
  snprintf(rvbuf, sizeof rvbuf, "%s", rv);
  if (type == CAPZ_EV_BOOKMARK) {
    set_rv(inf, rvbuf);
    return 0;
  }
  ensure_type(inf, obj);
  capz_obj *o = kc_obj_build(obj); /* takes obj */
  atomic_fetch_add(&inf->n_events, 1);
  if (o) {
    pthread_mutex_lock(&inf->disp_mu);
    if (type == CAPZ_EV_DELETED) apply_delete(inf, o);
    else apply_upsert(inf, o, false);
    pthread_mutex_unlock(&inf->disp_mu);
  }
  set_rv(inf, rvbuf);
  return 1;
}

static bool stopping(capz_informer *inf) {
  pthread_mutex_lock(&inf->st_mu);
  bool s = inf->stop;
  pthread_mutex_unlock(&inf->st_mu);
  return s;
}

static void sleep_ms_unless_stopped(capz_informer *inf, int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&inf->st_mu);
  while (!inf->stop && pthread_cond_timedwait(&inf->st_cv, &inf->st_mu, &ts) != ETIMEDOUT) {
  }
  pthread_mutex_unlock(&inf->st_mu);
}

static void *informer_main(void *arg) {
  capz_informer *inf = arg;
  int64_t backoff = 0;
  bool listed = false;
  unsigned seed = (unsigned)(uintptr_t)inf ^ (unsigned)time(NULL);
  while (!stopping(inf)) {
    capz_err e;
    capz_err_clear(&e);
    if (!listed || inf->relist_needed) {
      /* After a 410, relist from the last resourceVersion we saw; only if that is gone too, from scratch. */
      int rc = do_list(inf, listed ? inf->rv : NULL, &e);
      if (rc == CAPZ_EGONE && listed) rc = do_list(inf, NULL, &e);
      if (rc) {
        backoff = backoff ? (backoff * 2 > 30000 ? 30000 : backoff * 2) : 200;
        sleep_ms_unless_stopped(inf, backoff);
        continue;
      }
      listed = true;
      inf->relist_needed = false;
      pthread_mutex_lock(&inf->st_mu);
      inf->synced = true;
      pthread_cond_broadcast(&inf->st_cv);
      pthread_mutex_unlock(&inf->st_mu);
    }
    capz_watch_opts wo = {.label_selector = inf->label_sel, .field_selector = inf->field_sel,
                          .resource_version = inf->rv, .bookmarks = true,
                          .timeout_seconds = 300 + (long)(rand_r(&seed) % 300), .cancel = &inf->cancel};
    atomic_fetch_add(&inf->n_watches, 1);
    int64_t t0 = kc_now_ms();
    int rc = capz_kube_watch(inf->client, &inf->gvk, inf->ns, &wo, on_event, inf, &e);
    if (rc == CAPZ_EGONE) {
      inf->relist_needed = true;
      atomic_fetch_add(&inf->n_gone, 1);
      continue;
    }
    if (rc || kc_now_ms() - t0 < 1000) {
      /* Failed or ended at once: do not hammer the server. */
      backoff = backoff ? (backoff * 2 > 30000 ? 30000 : backoff * 2) : 200;
      sleep_ms_unless_stopped(inf, backoff);
    } else {
      backoff = 0;
    }
  }
  return NULL;
}

static void *resync_main(void *arg) {
  capz_informer *inf = arg;
  while (!stopping(inf)) {
    sleep_ms_unless_stopped(inf, inf->resync_ms);
    if (stopping(inf)) break;
    pthread_mutex_lock(&inf->disp_mu);
    capz_obj_list l = {0};
    if (capz_informer_list(inf, NULL, NULL, &l, NULL) == 0)
      for (size_t i = 0; i < l.n; i++) dispatch(inf, CAPZ_EV_MODIFIED, l.items[i], l.items[i]);
    pthread_mutex_unlock(&inf->disp_mu);
    capz_obj_list_free(&l);
  }
  return NULL;
}

CAPZ_API int capz_informer_start(capz_informer *inf, capz_err *err) {
  pthread_mutex_lock(&inf->st_mu);
  if (inf->started) {
    pthread_mutex_unlock(&inf->st_mu);
    return 0;
  }
  inf->stop = false;
  __atomic_store_n(&inf->cancel, 0, __ATOMIC_RELEASE);
  if (pthread_create(&inf->thread, NULL, informer_main, inf) != 0) {
    pthread_mutex_unlock(&inf->st_mu);
    return capz_err_set(err, CAPZ_EINTERNAL, "informer %s: cannot start thread", inf->gvk.plural);
  }
  inf->started = true;
  if (inf->resync_ms > 0 && pthread_create(&inf->resync_thread, NULL, resync_main, inf) == 0)
    inf->has_resync_thread = true;
  pthread_mutex_unlock(&inf->st_mu);
  return 0;
}

CAPZ_API bool capz_informer_synced(const capz_informer *ci) {
  capz_informer *inf = (capz_informer *)ci;
  pthread_mutex_lock(&inf->st_mu);
  bool s = inf->synced;
  pthread_mutex_unlock(&inf->st_mu);
  return s;
}

CAPZ_API bool capz_informer_wait_synced(capz_informer *inf, int64_t timeout_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (timeout_ms >= 0) {
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&inf->st_mu);
  while (!inf->synced && !inf->stop) {
    int r = timeout_ms >= 0 ? pthread_cond_timedwait(&inf->st_cv, &inf->st_mu, &ts)
                            : pthread_cond_wait(&inf->st_cv, &inf->st_mu);
    if (r == ETIMEDOUT) break;
  }
  bool s = inf->synced;
  pthread_mutex_unlock(&inf->st_mu);
  return s;
}

/* ---- handlers ---- */

CAPZ_API int capz_informer_add_handler(capz_informer *inf, const capz_informer_handler *h) {
  capz_informer_handler hc = {0};
  memcpy(&hc, h, h->struct_size && h->struct_size < sizeof hc ? h->struct_size : sizeof hc);
  pthread_mutex_lock(&inf->disp_mu);
  kc_handler *nh = realloc(inf->handlers, (inf->n_handlers + 1) * sizeof *nh);
  if (!nh) {
    pthread_mutex_unlock(&inf->disp_mu);
    return -1;
  }
  inf->handlers = nh;
  int id = ++inf->next_id;
  nh[inf->n_handlers++] = (kc_handler){id, hc};
  if (capz_informer_synced(inf) && hc.on_add) {
    capz_obj_list l = {0};
    if (capz_informer_list(inf, NULL, NULL, &l, NULL) == 0)
      for (size_t i = 0; i < l.n; i++) hc.on_add(hc.ud, l.items[i]);
    capz_obj_list_free(&l);
  }
  pthread_mutex_unlock(&inf->disp_mu);
  return id;
}

CAPZ_API void capz_informer_remove_handler(capz_informer *inf, int id) {
  pthread_mutex_lock(&inf->disp_mu);
  for (size_t i = 0; i < inf->n_handlers; i++)
    if (inf->handlers[i].id == id) {
      memmove(&inf->handlers[i], &inf->handlers[i + 1], (inf->n_handlers - i - 1) * sizeof *inf->handlers);
      inf->n_handlers--;
      break;
    }
  pthread_mutex_unlock(&inf->disp_mu);
}

/* ---- reads ---- */

CAPZ_API int capz_informer_get_obj(capz_informer *inf, const char *ns, const char *name, const capz_obj **out) {
  pthread_rwlock_rdlock(&inf->lock);
  capz_obj *o = kc_cache_get(&inf->cache, inf->gvk.namespaced ? ns : "", name);
  *out = capz_obj_ref(o);
  pthread_rwlock_unlock(&inf->lock);
  return o ? 0 : CAPZ_ENOTFOUND;
}

static int obj_cmp(const void *a, const void *b) {
  const capz_obj *x = *(const capz_obj *const *)a, *y = *(const capz_obj *const *)b;
  int c = strcmp(x->ns, y->ns);
  return c ? c : strcmp(x->name, y->name);
}

static int collect(capz_obj_list *out, size_t cap_hint) {
  out->items = calloc(cap_hint + 1, sizeof *out->items);
  return out->items ? 0 : -1;
}

CAPZ_API int capz_informer_list(capz_informer *inf, const char *ns, const char *sel, capz_obj_list *out,
                                capz_err *err) {
  memset(out, 0, sizeof *out);
  int rc = sel && *sel ? capz_label_selector_check(sel, err) : 0;
  if (rc) return rc;
  pthread_rwlock_rdlock(&inf->lock);
  if (ns && *ns && inf->gvk.namespaced) {
    kc_index *ix = kc_cache_index(&inf->cache, "namespace");
    kc_pset *s = kc_smap_get(&ix->values, ns);
    if (s && collect(out, s->n) == 0) {
      KC_PSET_EACH(s, p) if (capz_label_selector_matches(sel, p)) out->items[out->n++] = capz_obj_ref(p);
    }
  } else if (collect(out, inf->cache.objs.n) == 0) {
    KC_SMAP_EACH(&inf->cache.objs, s) if (capz_label_selector_matches(sel, s->val)) out->items[out->n++] =
        capz_obj_ref(s->val);
  }
  pthread_rwlock_unlock(&inf->lock);
  if (!out->items && !(out->items = calloc(1, sizeof *out->items)))
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  qsort(out->items, out->n, sizeof *out->items, obj_cmp);
  return 0;
}

CAPZ_API int capz_informer_add_index(capz_informer *inf, const char *name, capz_index_fn fn, void *ud, capz_err *err) {
  if (!name || !fn) return capz_err_set(err, CAPZ_EINVAL, "index needs a name and a function");
  pthread_mutex_lock(&inf->disp_mu);
  pthread_rwlock_wrlock(&inf->lock);
  int rc = kc_cache_add_index(&inf->cache, name, fn, ud);
  pthread_rwlock_unlock(&inf->lock);
  pthread_mutex_unlock(&inf->disp_mu);
  return rc ? capz_err_set(err, CAPZ_ENOMEM, "out of memory") : 0;
}

CAPZ_API int capz_informer_by_index(capz_informer *inf, const char *name, const char *value, capz_obj_list *out,
                                    capz_err *err) {
  memset(out, 0, sizeof *out);
  pthread_rwlock_rdlock(&inf->lock);
  kc_index *ix = kc_cache_index(&inf->cache, name);
  if (!ix) {
    pthread_rwlock_unlock(&inf->lock);
    return capz_err_set(err, CAPZ_ENOTFOUND, "informer %s has no index \"%s\"", inf->gvk.plural, name);
  }
  kc_pset *s = value ? kc_smap_get(&ix->values, value) : NULL;
  if (collect(out, s ? s->n : 0) == 0 && s) {
    KC_PSET_EACH(s, p) out->items[out->n++] = capz_obj_ref(p);
  }
  pthread_rwlock_unlock(&inf->lock);
  if (!out->items) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  qsort(out->items, out->n, sizeof *out->items, obj_cmp);
  return 0;
}

CAPZ_API void capz_informer_get_stats(capz_informer *inf, capz_informer_stats *st) {
  pthread_rwlock_rdlock(&inf->lock);
  st->objects = inf->cache.objs.n;
  st->bytes = kc_cache_bytes(&inf->cache);
  pthread_rwlock_unlock(&inf->lock);
  st->lists = atomic_load(&inf->n_lists);
  st->watches = atomic_load(&inf->n_watches);
  st->relists_gone = atomic_load(&inf->n_gone);
  st->events = atomic_load(&inf->n_events);
}
