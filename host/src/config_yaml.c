/* config_yaml.c — maps the YAML tree onto host_config. Every map is checked against its
 * known keys and every value against its type, and each problem is reported where it is
 * (FILE:LINE:COL), so a typo never silently falls back to a default. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "capz/loader.h"
#include "config.h"
#include "yaml_tree.h"

typedef struct walk {
  const char *file;
  FILE *diag;
  int errors;
} walk;

static void err_at(walk *w, const ynode *at, const char *fmt, ...) CAPZ_PRINTF(3, 4);
static void err_at(walk *w, const ynode *at, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (w->diag) fprintf(w->diag, "%s:%d:%d: %s\n", w->file, at ? at->line : 1, at ? at->col : 1, msg);
  w->errors++;
}

static const char *type_name(const ynode *y) {
  return y->type == YN_MAP ? "a map" : y->type == YN_SEQ ? "a list" : "a scalar";
}

/* "path.key", or just "key" at the top level (path ""). */
static const char *qualify(char *buf, size_t n, const char *path, const char *key) {
  snprintf(buf, n, "%s%s%.64s", path, *path ? "." : "", key);
  return buf;
}

static bool want_map(walk *w, const ynode *y, const char *path) {
  if (y->type == YN_MAP) return true;
  err_at(w, y, "%s: expected a map, got %s", path, type_name(y));
  return false;
}

static void check_known(walk *w, const ynode *map, const char *path, const char *const *known) {
  for (size_t i = 0; i < map->n; i++) {
    const char *k = map->keys[i]->value;
    bool ok = false;
    for (size_t j = 0; known[j] && !ok; j++) ok = strcmp(known[j], k) == 0;
    if (ok) continue;
    char list[384] = "";
    for (size_t j = 0; known[j]; j++) {
      size_t len = strlen(list);
      snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", known[j]);
    }
    err_at(w, map->keys[i], "unknown key '%.64s' in %s (known: %s)", k, path, list);
  }
}

/* The scalar for key, NULL when absent or null; reports non-scalars. */
static const ynode *scalar(walk *w, const ynode *map, const char *key, const char *path) {
  const ynode *y = ytree_get(map, key);
  if (!y || ytree_is_null(y)) return NULL;
  if (y->type != YN_SCALAR) {
    char q[160];
    err_at(w, y, "%s: expected a scalar, got %s", qualify(q, sizeof q, path, key), type_name(y));
    return NULL;
  }
  return y;
}

static void set_str(char **dst, const char *v) {
  char *c = strdup(v);
  if (!c) return; /* keep the old value on OOM */
  free(*dst);
  *dst = c;
}

static void get_str(walk *w, const ynode *map, const char *key, const char *path, char **dst) {
  const ynode *y = scalar(w, map, key, path);
  if (y) set_str(dst, y->value);
}

static void get_bool(walk *w, const ynode *map, const char *key, const char *path, bool *dst) {
  const ynode *y = scalar(w, map, key, path);
  if (!y) return;
  capz_err e;
  capz_err_clear(&e);
  if (!y->plain || capz_cfg_value_check(CAPZ_CFG_BOOL, y->value, &e))
    {
    char q[160];
    err_at(w, y, "%s: expected true or false, got \"%.64s\"", qualify(q, sizeof q, path, key), y->value);
  }
  else
    *dst = y->value[0] == 't' || y->value[0] == 'T';
}

static void get_int(walk *w, const ynode *map, const char *key, const char *path, int *dst, int lo, int hi) {
  const ynode *y = scalar(w, map, key, path);
  if (!y) return;
  char *end = NULL;
  errno = 0;
  long v = strtol(y->value, &end, 10);
  if (!y->plain || !*y->value || *end || errno || v < lo || v > hi)
    {
    char q[160];
    err_at(w, y, "%s: expected an integer from %d to %d, got \"%.64s\"", qualify(q, sizeof q, path, key), lo, hi,
           y->value);
  }
  else
    *dst = (int)v;
}

static void get_float(walk *w, const ynode *map, const char *key, const char *path, double *dst, double lo,
                      double hi) {
  const ynode *y = scalar(w, map, key, path);
  if (!y) return;
  char *end = NULL;
  errno = 0;
  double v = strtod(y->value, &end);
  if (!y->plain || !*y->value || *end || errno || !isfinite(v) || v < lo || v > hi)
    {
    char q[160];
    err_at(w, y, "%s: expected a number from %g to %g, got \"%.64s\"", qualify(q, sizeof q, path, key), lo, hi,
           y->value);
  }
  else
    *dst = v;
}

static void get_duration(walk *w, const ynode *map, const char *key, const char *path, int64_t *dst) {
  const ynode *y = scalar(w, map, key, path);
  if (!y) return;
  capz_err e;
  capz_err_clear(&e);
  int64_t ms = 0;
  if (capz_duration_parse_ms(y->value, &ms, &e))
    {
    char q[160];
    err_at(w, y, "%s: %s (write durations like 30s, 5m or 1h30m)", qualify(q, sizeof q, path, key), e.msg);
  }
  else
    *dst = ms;
}

static const char *const top_keys[] = {"pluginDirs", "plugins", "kubernetes", "azure", "concurrency",
                                       "metricsBindAddress", "healthProbeBindAddress", "leaderElection",
                                       "watchNamespace", "watchFilter", "syncPeriod", "reconcileTimeout",
                                       "gracefulShutdownTimeout", "log", NULL};

/* A relative directory in the file means relative to the file, not to wherever the host was
 * started from. Returns a malloc'ed path. */
static char *relative_to_file(const char *file, const char *dir) {
  const char *slash = strrchr(file, '/');
  if (dir[0] == '/' || !slash) return strdup(dir);
  size_t n = (size_t)(slash - file) + 1 + strlen(dir) + 1;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%.*s/%s", (int)(slash - file), file, dir);
  return p;
}

static void load_plugin_dirs(walk *w, host_config *cfg, const ynode *y) {
  if (ytree_is_null(y)) return;
  if (y->type != YN_SEQ) {
    err_at(w, y, "pluginDirs: expected a list of directories, got %s", type_name(y));
    return;
  }
  for (size_t i = 0; i < cfg->n_plugin_dirs; i++) free(cfg->plugin_dirs[i]);
  free(cfg->plugin_dirs);
  cfg->plugin_dirs = NULL;
  cfg->n_plugin_dirs = 0;
  for (size_t i = 0; i < y->n; i++) {
    const ynode *d = y->items[i];
    if (d->type != YN_SCALAR || !*d->value) {
      err_at(w, d, "pluginDirs[%zu]: expected a directory path", i);
      continue;
    }
    char **nd = realloc(cfg->plugin_dirs, (cfg->n_plugin_dirs + 1) * sizeof *nd);
    if (!nd || !(nd[cfg->n_plugin_dirs] = relative_to_file(w->file, d->value))) {
      if (nd) cfg->plugin_dirs = nd;
      err_at(w, d, "out of memory");
      return;
    }
    cfg->plugin_dirs = nd;
    cfg->n_plugin_dirs++;
  }
}

static void load_plugin(walk *w, host_config *cfg, const ynode *name, const ynode *body) {
  char path[128];
  snprintf(path, sizeof path, "plugins.%.64s", name->value);
  if (!capz_plugin_name_valid(name->value)) {
    err_at(w, name, "%s: invalid plugin name (want 1-63 of [a-z0-9-], no leading/trailing '-')", path);
    return;
  }
  host_plugin_conf *pc = host_config_plugin(cfg, name->value, true);
  if (!pc) {
    err_at(w, name, "out of memory");
    return;
  }
  pc->line = name->line;
  pc->col = name->col;
  if (ytree_is_null(body)) return;
  if (!want_map(w, body, path)) return;
  static const char *const keys[] = {"enabled", "config", NULL};
  check_known(w, body, path, keys);
  get_bool(w, body, "enabled", path, &pc->enabled);
  const ynode *c = ytree_get(body, "config");
  if (!c || ytree_is_null(c)) return;
  char cpath[160];
  snprintf(cpath, sizeof cpath, "%s.config", path);
  if (!want_map(w, c, cpath)) return;
  for (size_t i = 0; i < c->n; i++) {
    const ynode *v = c->items[i];
    if (v->type != YN_SCALAR || ytree_is_null(v)) {
      err_at(w, v, "%s.%.64s: expected a scalar value, got %s", cpath, c->keys[i]->value,
             v->type == YN_SCALAR ? "null" : type_name(v));
      continue;
    }
    host_kv *nk = realloc(pc->config, (pc->n_config + 1) * sizeof *nk);
    if (!nk) {
      err_at(w, v, "out of memory");
      return;
    }
    pc->config = nk;
    host_kv *kv = &pc->config[pc->n_config];
    kv->key = strdup(c->keys[i]->value);
    kv->value = strdup(v->value);
    kv->line = v->line;
    kv->col = v->col;
    if (!kv->key || !kv->value) {
      free(kv->key);
      free(kv->value);
      err_at(w, v, "out of memory");
      return;
    }
    pc->n_config++;
  }
}

static void load_concurrency(walk *w, host_config *cfg, const ynode *y) {
  if (ytree_is_null(y) || !want_map(w, y, "concurrency")) return;
  static const char *const keys[] = {"defaultWorkers", "kinds", NULL};
  check_known(w, y, "concurrency", keys);
  get_int(w, y, "defaultWorkers", "concurrency", &cfg->default_workers, 1, 1024);
  const ynode *k = ytree_get(y, "kinds");
  if (!k || ytree_is_null(k) || !want_map(w, k, "concurrency.kinds")) return;
  for (size_t i = 0; i < k->n; i++) {
    int workers = 0;
    int before = w->errors;
    get_int(w, k, k->keys[i]->value, "concurrency.kinds", &workers, 1, 1024);
    if (w->errors != before) continue;
    if (workers == 0) {
      err_at(w, k->items[i], "concurrency.kinds.%.64s: expected an integer from 1 to 1024", k->keys[i]->value);
      continue;
    }
    host_kind_workers *nk = realloc(cfg->kind_workers, (cfg->n_kind_workers + 1) * sizeof *nk);
    if (!nk) {
      err_at(w, k, "out of memory");
      return;
    }
    cfg->kind_workers = nk;
    host_kind_workers *kw = &cfg->kind_workers[cfg->n_kind_workers];
    if (!(kw->kind = strdup(k->keys[i]->value))) {
      err_at(w, k, "out of memory");
      return;
    }
    kw->workers = workers;
    kw->line = k->keys[i]->line;
    kw->col = k->keys[i]->col;
    cfg->n_kind_workers++;
  }
}

static void load_log(walk *w, host_config *cfg, const ynode *y) {
  if (ytree_is_null(y) || !want_map(w, y, "log")) return;
  static const char *const keys[] = {"verbosity", "format", NULL};
  check_known(w, y, "log", keys);
  get_int(w, y, "verbosity", "log", &cfg->log_verbosity, 0, 10);
  const ynode *f = scalar(w, y, "format", "log");
  if (!f) return;
  if (strcmp(f->value, "text") == 0) cfg->log_format = CAPZ_LOG_TEXT;
  else if (strcmp(f->value, "json") == 0) cfg->log_format = CAPZ_LOG_JSON;
  else err_at(w, f, "log.format: expected text or json, got \"%.64s\"", f->value);
}

static void load_root(walk *w, host_config *cfg, const ynode *root) {
  if (!want_map(w, root, "the config file")) return;
  check_known(w, root, "the top level", top_keys);
  const ynode *y;
  if ((y = ytree_get(root, "pluginDirs"))) load_plugin_dirs(w, cfg, y);
  if ((y = ytree_get(root, "plugins")) && !ytree_is_null(y) && want_map(w, y, "plugins"))
    for (size_t i = 0; i < y->n; i++) load_plugin(w, cfg, y->keys[i], y->items[i]);
  if ((y = ytree_get(root, "kubernetes")) && !ytree_is_null(y) && want_map(w, y, "kubernetes")) {
    static const char *const keys[] = {"server", "kubeconfig", "context", "inCluster", "qps", "burst", NULL};
    check_known(w, y, "kubernetes", keys);
    get_str(w, y, "server", "kubernetes", &cfg->kube.server);
    get_str(w, y, "kubeconfig", "kubernetes", &cfg->kube.kubeconfig);
    get_str(w, y, "context", "kubernetes", &cfg->kube.context);
    get_bool(w, y, "inCluster", "kubernetes", &cfg->kube.in_cluster);
    get_float(w, y, "qps", "kubernetes", &cfg->kube.qps, 0.1, 100000);
    get_int(w, y, "burst", "kubernetes", &cfg->kube.burst, 1, 100000);
  }
  if ((y = ytree_get(root, "azure")) && !ytree_is_null(y) && want_map(w, y, "azure")) {
    static const char *const keys[] = {"cloud", "resourceManagerEndpoint", "authorityHost", "imdsEndpoint",
                                       "tokenAudience", NULL};
    check_known(w, y, "azure", keys);
    get_str(w, y, "cloud", "azure", &cfg->azure.cloud);
    get_str(w, y, "resourceManagerEndpoint", "azure", &cfg->azure.resource_manager_endpoint);
    get_str(w, y, "authorityHost", "azure", &cfg->azure.authority_host);
    get_str(w, y, "imdsEndpoint", "azure", &cfg->azure.imds_endpoint);
    get_str(w, y, "tokenAudience", "azure", &cfg->azure.token_audience);
  }
  if ((y = ytree_get(root, "concurrency"))) load_concurrency(w, cfg, y);
  get_str(w, root, "metricsBindAddress", "", &cfg->metrics_bind_address);
  get_str(w, root, "healthProbeBindAddress", "", &cfg->health_bind_address);
  if ((y = ytree_get(root, "leaderElection")) && !ytree_is_null(y) && want_map(w, y, "leaderElection")) {
    static const char *const keys[] = {"enabled", "leaseName", "leaseNamespace", "leaseDuration",
                                       "renewDeadline", "retryPeriod", NULL};
    const char *p = "leaderElection";
    check_known(w, y, p, keys);
    get_bool(w, y, "enabled", p, &cfg->leader_election.enabled);
    get_str(w, y, "leaseName", p, &cfg->leader_election.lease_name);
    get_str(w, y, "leaseNamespace", p, &cfg->leader_election.lease_namespace);
    get_duration(w, y, "leaseDuration", p, &cfg->leader_election.lease_duration_ms);
    get_duration(w, y, "renewDeadline", p, &cfg->leader_election.renew_deadline_ms);
    get_duration(w, y, "retryPeriod", p, &cfg->leader_election.retry_period_ms);
  }
  get_str(w, root, "watchNamespace", "", &cfg->watch_namespace);
  get_str(w, root, "watchFilter", "", &cfg->watch_filter);
  get_duration(w, root, "syncPeriod", "", &cfg->sync_period_ms);
  get_duration(w, root, "reconcileTimeout", "", &cfg->reconcile_timeout_ms);
  get_duration(w, root, "gracefulShutdownTimeout", "", &cfg->graceful_shutdown_ms);
  if ((y = ytree_get(root, "log"))) load_log(w, cfg, y);
}

int host_config_load_text(host_config *cfg, const char *name, const char *text, size_t len, FILE *diag) {
  walk w = {.file = name, .diag = diag};
  ynode *root = NULL;
  char msg[512];
  if (ytree_parse(name, text, len, &root, msg, sizeof msg) != 0) {
    if (diag) fprintf(diag, "%s\n", msg);
    return 1;
  }
  if (root) load_root(&w, cfg, root);
  ytree_free(root);
  return w.errors;
}

int host_config_load_file(host_config *cfg, const char *path, FILE *diag) {
  ynode *root = NULL;
  char msg[512];
  set_str(&cfg->path, path);
  if (ytree_parse_file(path, &root, msg, sizeof msg) != 0) {
    if (diag) fprintf(diag, "%s\n", msg);
    return 1;
  }
  walk w = {.file = path, .diag = diag};
  if (root) load_root(&w, cfg, root);
  ytree_free(root);
  return w.errors;
}
