/* plugin_set.c — decides per plugin file whether to open it, opens it through the SDK loader
 * and validates the user's config map against the schema the plugin declares. A disabled
 * plugin is recognised by its file name, so its code is never mapped. */
#include <stdlib.h>
#include <string.h>
#include "plugin_set.h"

static host_plugin *add_item(host_plugin_set *set, const char *path) {
  host_plugin *ni = realloc(set->items, (set->n + 1) * sizeof *ni);
  if (!ni) return NULL;
  set->items = ni;
  host_plugin *p = &ni[set->n];
  memset(p, 0, sizeof *p);
  if (!(p->path = strdup(path))) return NULL;
  set->n++;
  return p;
}

static void refuse(host_plugin *p, const char *reason) {
  p->status = HOST_PLUGIN_REFUSED;
  size_t n = strnlen(reason, sizeof p->reason - 1); /* a long reason is cut, not overflowed */
  memcpy(p->reason, reason, n);
  p->reason[n] = '\0';
}

/* The user's config map against the schema; positions come from the file. */
static int validate_config(host_plugin *p, const host_config *cfg, FILE *diag) {
  const host_plugin_conf *pc = p->conf;
  size_t n = pc ? pc->n_config : 0;
  const char **keys = calloc(n ? n : 1, sizeof *keys);
  const char **vals = calloc(n ? n : 1, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    refuse(p, "out of memory");
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    keys[i] = pc->config[i].key;
    vals[i] = pc->config[i].value;
  }
  capz_err e;
  capz_err_clear(&e);
  size_t bad = 0;
  p->config = capz_plugin_config_new(p->lp->schema, p->lp->n_schema, keys, vals, n, &bad, &e);
  free(keys);
  free(vals);
  if (p->config) return 0;
  char reason[CAPZ_ERR_MSG_MAX + 16];
  snprintf(reason, sizeof reason, "config: %s", e.msg);
  refuse(p, reason);
  if (diag) {
    if (pc && bad < n && pc->config[bad].line > 0)
      fprintf(diag, "%s:%d:%d: plugins.%s.config: %s\n", cfg->path ? cfg->path : "config", pc->config[bad].line,
              pc->config[bad].col, p->name, e.msg);
    else if (pc && pc->line > 0)
      fprintf(diag, "%s:%d:%d: plugins.%s.config: %s\n", cfg->path ? cfg->path : "config", pc->line, pc->col,
              p->name, e.msg);
    else
      fprintf(diag, "capz-host: plugin %s (%s): config: %s (set it under plugins.%s.config)\n", p->name, p->path,
              e.msg, p->name);
  }
  return 1;
}

static int scan_dir(host_plugin_set *set, const host_config *cfg, const char *dir, bool load, FILE *diag) {
  capz_err e;
  capz_err_clear(&e);
  if (capz_loader_add_dir(set->loader, dir, &e)) {
    if (diag) fprintf(diag, "capz-host: %s\n", e.msg);
    return 1;
  }
  char **paths = NULL;
  size_t np = 0;
  if (capz_loader_list_dir(dir, &paths, &np, &e)) {
    if (diag) fprintf(diag, "capz-host: %s\n", e.msg);
    return 1;
  }
  int problems = 0;
  for (size_t i = 0; i < np; i++) {
    host_plugin *p = add_item(set, paths[i]);
    if (!p) {
      problems++;
      break;
    }
    if (!capz_plugin_file_stem(paths[i], p->name, sizeof p->name)) snprintf(p->name, sizeof p->name, "-");
    p->conf = host_config_plugin((host_config *)cfg, p->name, false);
    if (p->conf && !p->conf->enabled) {
      p->status = HOST_PLUGIN_DISABLED;
      continue;
    }
    if (!load) {
      p->status = HOST_PLUGIN_FOUND;
      continue;
    }
    capz_err_clear(&e);
    if (capz_loader_load(set->loader, paths[i], &p->lp, &e)) {
      /* The loader's line is "refusing plugin <path>: <reason>"; keep the bare reason. */
      const char *r = e.msg;
      size_t plen = strlen("refusing plugin ") + strlen(paths[i]) + 2;
      if (strncmp(r, "refusing plugin ", 16) == 0 && strlen(r) >= plen) r += plen;
      refuse(p, r);
      if (diag) fprintf(diag, "capz-host: %s\n", e.msg);
      problems++;
      continue;
    }
    p->status = HOST_PLUGIN_ENABLED;
    problems += validate_config(p, cfg, diag);
  }
  capz_loader_free_paths(paths, np);
  return problems;
}

int host_plugins_discover(host_plugin_set *set, const host_config *cfg, bool load, FILE *diag) {
  memset(set, 0, sizeof *set);
  if (!(set->loader = capz_loader_new())) {
    if (diag) fprintf(diag, "capz-host: out of memory\n");
    return 1;
  }
  int problems = 0;
  for (size_t i = 0; i < cfg->n_plugin_dirs; i++) problems += scan_dir(set, cfg, cfg->plugin_dirs[i], load, diag);
  for (size_t i = 0; i < cfg->n_plugins; i++) {
    const host_plugin_conf *pc = &cfg->plugins[i];
    if (!pc->enabled) continue;
    bool found = false;
    for (size_t j = 0; j < set->n && !found; j++) found = strcmp(set->items[j].name, pc->name) == 0;
    if (found) continue;
    problems++;
    if (!diag) continue;
    if (pc->line > 0)
      fprintf(diag, "%s:%d:%d: plugins.%s: no %s.so in the plugin directories\n", cfg->path ? cfg->path : "config",
              pc->line, pc->col, pc->name, pc->name);
    else
      fprintf(diag, "capz-host: --enable %s: no %s.so in the plugin directories\n", pc->name, pc->name);
  }
  return problems;
}

int host_plugins_init(host_plugin_set *set, FILE *diag) {
  int failed = 0;
  for (size_t i = 0; i < set->n; i++) {
    host_plugin *p = &set->items[i];
    if (p->status != HOST_PLUGIN_ENABLED || p->initialized) continue;
    capz_err e;
    capz_err_clear(&e);
    void *state = NULL;
    int rc = p->lp->desc.init(p->config, &state, &e);
    if (rc != 0) {
      char reason[CAPZ_ERR_MSG_MAX + 32];
      snprintf(reason, sizeof reason, "init failed: %s", e.msg[0] ? e.msg : capz_errcode_name(rc));
      refuse(p, reason);
      if (diag) fprintf(diag, "capz-host: plugin %s (%s): %s\n", p->name, p->path, p->reason);
      failed++;
      continue;
    }
    p->plugin_state = state;
    p->initialized = true;
  }
  return failed;
}

void host_plugins_shutdown(host_plugin_set *set) {
  for (size_t i = set->n; i-- > 0;) {
    host_plugin *p = &set->items[i];
    if (!p->initialized) continue;
    if (p->lp->desc.shutdown) p->lp->desc.shutdown(p->plugin_state);
    p->initialized = false;
  }
}

void host_plugins_free(host_plugin_set *set) {
  for (size_t i = 0; i < set->n; i++) {
    free(set->items[i].path);
    capz_plugin_config_free(set->items[i].config);
  }
  free(set->items);
  capz_loader_free(set->loader);
  memset(set, 0, sizeof *set);
}

size_t host_plugins_count(const host_plugin_set *set, host_plugin_status status) {
  size_t n = 0;
  for (size_t i = 0; i < set->n; i++) n += set->items[i].status == status;
  return n;
}

int host_plugins_check_kinds(const host_plugin_set *set, const host_config *cfg, FILE *diag) {
  int problems = 0;
  for (size_t k = 0; k < cfg->n_kind_workers; k++) {
    const host_kind_workers *kw = &cfg->kind_workers[k];
    bool found = false;
    for (size_t i = 0; i < set->n && !found; i++) {
      const host_plugin *p = &set->items[i];
      if (p->status != HOST_PLUGIN_ENABLED) continue;
      for (size_t c = 0; c < p->lp->n_controllers && !found; c++) {
        char kind[256];
        found = strcmp(capz_gvk_kind_str(&p->lp->controllers[c].desc.primary, kind, sizeof kind), kw->kind) == 0;
      }
    }
    if (found) continue;
    problems++;
    if (diag)
      fprintf(diag, "%s:%d:%d: concurrency.kinds.%s: no enabled plugin has a controller for this kind\n",
              cfg->path ? cfg->path : "config", kw->line, kw->col, kw->kind);
  }
  return problems;
}
