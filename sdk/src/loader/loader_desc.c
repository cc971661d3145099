/* loader_desc.c — copies a plugin's descriptor tree into zero-filled host-sized structs and
 * checks it. Every struct is read through its own struct_size, so a plugin built against an
 * older minor (smaller structs) is read safely and a newer one's extra tail is ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader_internal.h"

/* Upper bounds so a corrupt, unterminated array is refused rather than walked forever. */
#define MAX_CONTROLLERS 256
#define MAX_WATCHES 256
#define MAX_FIELDS 1024

static void copy_sized(void *dst, size_t dst_size, const void *src, uint32_t src_size) {
  memset(dst, 0, dst_size);
  memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
}

void ldr_release(capz_loaded_plugin *lp) {
  if (!lp) return;
  /* The pointer arrays in the copies are the loader's own (see link_copies), never the plugin's. */
  free((void *)lp->desc.controllers);
  free((void *)lp->desc.config_schema);
  for (size_t i = 0; i < lp->n_controllers; i++) {
    free((void *)lp->controllers[i].desc.secondaries);
    free(lp->controllers[i].watches);
  }
  free(lp->controllers);
  free(lp->schema);
  free((char *)lp->path);
  free(lp);
}

static bool nonempty(const char *s) { return s && *s; }

static int check_gvk(const capz_gvk *g, const char *what, capz_err *err) {
  if (!nonempty(g->kind)) return capz_err_set(err, CAPZ_EINVAL, "%s has no kind", what);
  if (!nonempty(g->version)) return capz_err_set(err, CAPZ_EINVAL, "%s (%s) has no version", what, g->kind);
  if (!nonempty(g->plural)) return capz_err_set(err, CAPZ_EINVAL, "%s (%s) has no plural", what, g->kind);
  return 0;
}

static bool same_kind(const capz_gvk *a, const capz_gvk *b) {
  return strcmp(a->group ? a->group : "", b->group ? b->group : "") == 0 && strcmp(a->kind, b->kind) == 0;
}

static int copy_watches(const capz_controller *src, size_t ci, capz_loaded_controller *lc, capz_err *err) {
  const capz_watch *const *ws = src->secondaries;
  if (!ws) return 0;
  size_t n = 0;
  while (ws[n]) {
    if (++n > MAX_WATCHES)
      return capz_err_set(err, CAPZ_EINVAL, "controller %zu has more than %d watches (unterminated array?)", ci,
                          MAX_WATCHES);
  }
  if (!n) return 0;
  lc->watches = calloc(n, sizeof *lc->watches);
  if (!lc->watches) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (ws[i]->struct_size < CAPZ_WATCH_SIZE_V1_0)
      return capz_err_set(err, CAPZ_EINVAL, "controller %zu watch %zu: struct_size %u is smaller than the v1.0 size %zu",
                          ci, i, ws[i]->struct_size, (size_t)CAPZ_WATCH_SIZE_V1_0);
    capz_watch *w = &lc->watches[i];
    copy_sized(w, sizeof *w, ws[i], ws[i]->struct_size);
    lc->n_watches = i + 1;
    char what[64];
    snprintf(what, sizeof what, "controller %zu watch %zu", ci, i);
    { int rc_ = check_gvk(&w->gvk, what, err); if (rc_) return rc_; }
    switch (w->map_kind) {
    case CAPZ_MAP_OWNER:
      break;
    case CAPZ_MAP_REF_FIELD: case CAPZ_MAP_LABEL: case CAPZ_MAP_REFERENCED_BY:
      if (!nonempty(w->path)) return capz_err_set(err, CAPZ_EINVAL, "%s (%s) needs a path for its map kind", what, w->gvk.kind);
      break;
    case CAPZ_MAP_FUNC:
      if (!w->map) return capz_err_set(err, CAPZ_EINVAL, "%s (%s) has map kind FUNC but no map callback", what, w->gvk.kind);
      break;
    default:
      return capz_err_set(err, CAPZ_EINVAL, "%s (%s) has unknown map kind %d", what, w->gvk.kind, (int)w->map_kind);
    }
  }
  return 0;
}

static int copy_controllers(const capz_loader *l, const capz_plugin *d, capz_loaded_plugin *lp, capz_err *err) {
  const capz_controller *const *cs = d->controllers;
  size_t n = 0;
  while (cs && cs[n]) {
    if (++n > MAX_CONTROLLERS)
      return capz_err_set(err, CAPZ_EINVAL, "more than %d controllers (unterminated array?)", MAX_CONTROLLERS);
  }
  if (n == 0) return capz_err_set(err, CAPZ_EINVAL, "no controllers");
  lp->controllers = calloc(n, sizeof *lp->controllers);
  if (!lp->controllers) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (cs[i]->struct_size < CAPZ_CONTROLLER_SIZE_V1_0)
      return capz_err_set(err, CAPZ_EINVAL, "controller %zu: struct_size %u is smaller than the v1.0 size %zu", i,
                          cs[i]->struct_size, (size_t)CAPZ_CONTROLLER_SIZE_V1_0);
    capz_loaded_controller *lc = &lp->controllers[i];
    lp->n_controllers = i + 1;
    copy_sized(&lc->desc, sizeof lc->desc, cs[i], cs[i]->struct_size);
    lc->desc.secondaries = NULL;
    char what[32];
    snprintf(what, sizeof what, "controller %zu", i);
    { int rc_ = check_gvk(&lc->desc.primary, what, err); if (rc_) return rc_; }
    char kind[256];
    capz_gvk_kind_str(&lc->desc.primary, kind, sizeof kind);
    if (!lc->desc.reconcile)
      return capz_err_set(err, CAPZ_EINVAL, "controller %zu (%s) has no reconcile callback", i, kind);
    for (size_t j = 0; j < i; j++)
      if (same_kind(&lp->controllers[j].desc.primary, &lc->desc.primary))
        return capz_err_set(err, CAPZ_EINVAL, "controllers %zu and %zu both claim kind %s", j, i, kind);
    for (size_t p = 0; p < l->n; p++)
      for (size_t j = 0; j < l->plugins[p]->n_controllers; j++)
        if (same_kind(&l->plugins[p]->controllers[j].desc.primary, &lc->desc.primary))
          return capz_err_set(err, CAPZ_EINVAL, "kind %s is already claimed by plugin '%s' (%s)", kind,
                              l->plugins[p]->desc.name, l->plugins[p]->path);
    { int rc_ = copy_watches(cs[i], i, lc, err); if (rc_) return rc_; }
  }
  return 0;
}

static bool valid_cfg_key(const char *k) {
  if (!nonempty(k) || strlen(k) > 63) return false;
  for (const char *p = k; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-' || *p == '.'))
      return false;
  return true;
}

static int copy_schema(const capz_plugin *d, capz_loaded_plugin *lp, capz_err *err) {
  const capz_cfg_field *const *fs = d->config_schema;
  size_t n = 0;
  while (fs && fs[n]) {
    if (++n > MAX_FIELDS) return capz_err_set(err, CAPZ_EINVAL, "config schema has more than %d fields", MAX_FIELDS);
  }
  if (!n) return 0;
  lp->schema = calloc(n, sizeof *lp->schema);
  if (!lp->schema) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    if (fs[i]->struct_size < CAPZ_CFG_FIELD_SIZE_V1_0)
      return capz_err_set(err, CAPZ_EINVAL, "config field %zu: struct_size %u is smaller than the v1.0 size %zu", i,
                          fs[i]->struct_size, (size_t)CAPZ_CFG_FIELD_SIZE_V1_0);
    capz_cfg_field *f = &lp->schema[i];
    copy_sized(f, sizeof *f, fs[i], fs[i]->struct_size);
    lp->n_schema = i + 1;
    if (!valid_cfg_key(f->key))
      return capz_err_set(err, CAPZ_EINVAL, "config field %zu has an invalid key '%.64s' (want [A-Za-z0-9_.-]+)", i,
                          f->key ? f->key : "(null)");
    if (strcmp(capz_cfg_type_name((int)f->type), "unknown") == 0)
      return capz_err_set(err, CAPZ_EINVAL, "config field '%s' has unknown type %d", f->key, (int)f->type);
    for (size_t j = 0; j < i; j++)
      if (strcmp(lp->schema[j].key, f->key) == 0)
        return capz_err_set(err, CAPZ_EINVAL, "config field '%s' is declared twice", f->key);
    capz_err e2;
    capz_err_clear(&e2);
    if (f->default_value && capz_cfg_value_check(f->type, f->default_value, &e2))
      return capz_err_set(err, CAPZ_EINVAL, "config field '%s': bad default: %s", f->key, e2.msg);
  }
  return 0;
}

/* Point the copies' arrays at the copies, so &lp->desc is a complete capz_plugin of the host's
 * layout that code written against plugin.h can walk. */
static int link_copies(capz_loaded_plugin *lp, capz_err *err) {
  const capz_controller **cs = calloc(lp->n_controllers + 1, sizeof *cs);
  if (!cs) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (size_t i = 0; i < lp->n_controllers; i++) cs[i] = &lp->controllers[i].desc;
  lp->desc.controllers = cs;
  for (size_t i = 0; i < lp->n_controllers; i++) {
    capz_loaded_controller *lc = &lp->controllers[i];
    if (!lc->n_watches) continue;
    const capz_watch **ws = calloc(lc->n_watches + 1, sizeof *ws);
    if (!ws) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    for (size_t j = 0; j < lc->n_watches; j++) ws[j] = &lc->watches[j];
    lc->desc.secondaries = ws;
  }
  if (lp->n_schema) {
    const capz_cfg_field **fs = calloc(lp->n_schema + 1, sizeof *fs);
    if (!fs) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    for (size_t i = 0; i < lp->n_schema; i++) fs[i] = &lp->schema[i];
    lp->desc.config_schema = fs;
  }
  return 0;
}

int ldr_copy_descriptor(const capz_loader *l, const capz_plugin *d, const char *stem, capz_loaded_plugin *lp,
                        capz_err *err) {
  copy_sized(&lp->desc, sizeof lp->desc, d, d->struct_size);
  lp->desc.controllers = NULL;
  lp->desc.config_schema = NULL;
  const char *name = lp->desc.name;
  if (!capz_plugin_name_valid(name))
    return capz_err_set(err, CAPZ_EINVAL, "invalid plugin name '%.64s' (want 1-63 of [a-z0-9-], no leading/trailing '-')",
                        name ? name : "(null)");
  if (strcmp(name, stem) != 0)
    return capz_err_set(err, CAPZ_EINVAL, "plugin name '%s' does not match its file name (expected %s.so)", name, name);
  for (size_t p = 0; p < l->n; p++)
    if (strcmp(l->plugins[p]->desc.name, name) == 0)
      return capz_err_set(err, CAPZ_EINVAL, "duplicate plugin name '%s' (already loaded from %s)", name,
                          l->plugins[p]->path);
  if (!lp->desc.init) return capz_err_set(err, CAPZ_EINVAL, "no init callback");
  { int rc_ = copy_controllers(l, d, lp, err); if (rc_) return rc_; }
  { int rc_ = copy_schema(d, lp, err); if (rc_) return rc_; }
  return link_copies(lp, err);
}
