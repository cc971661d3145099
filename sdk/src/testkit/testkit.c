/* testkit.c — a plugin under test goes through the same loader and config validation as in
 * capz-host, so a plugin that passes here is not refused there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capz/json.h"
#include "capz/testkit.h"

struct capz_testkit {
  capz_loader *loader;
  const capz_loaded_plugin *lp;
  capz_plugin_config *config;
  void *state;
  bool initialized;
};

void capz_testkit_close(capz_testkit *tk) {
  if (!tk) return;
  if (tk->initialized && tk->lp->desc.shutdown) tk->lp->desc.shutdown(tk->state);
  capz_plugin_config_free(tk->config);
  capz_loader_free(tk->loader);
  free(tk);
}

static int build_config(capz_testkit *tk, const char *const *kv, capz_err *err) {
  size_t n = 0;
  while (kv && kv[2 * n]) {
    if (!kv[2 * n + 1]) return capz_err_set(err, CAPZ_EINVAL, "config key '%s' has no value", kv[2 * n]);
    n++;
  }
  const char **keys = calloc(n + 1, sizeof *keys), **vals = calloc(n + 1, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    keys[i] = kv[2 * i];
    vals[i] = kv[2 * i + 1];
  }
  capz_err e;
  capz_err_clear(&e);
  tk->config = capz_plugin_config_new(tk->lp->schema, tk->lp->n_schema, keys, vals, n, NULL, &e);
  free(keys);
  free(vals);
  if (!tk->config) return capz_err_set(err, e.code ? e.code : CAPZ_EINVAL, "plugin %s: config: %s", tk->lp->desc.name, e.msg);
  return 0;
}

capz_testkit *capz_testkit_open(const char *path, const char *const *kv, capz_err *err) {
  if (!path) {
    capz_err_set(err, CAPZ_EINVAL, "no plugin path");
    return NULL;
  }
  capz_testkit *tk = calloc(1, sizeof *tk);
  if (!tk || !(tk->loader = capz_loader_new())) {
    free(tk);
    capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    return NULL;
  }
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  int rc = dir ? capz_loader_add_dir(tk->loader, dir, err) : capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  free(dir);
  if (rc == 0) rc = capz_loader_load(tk->loader, path, &tk->lp, err);
  if (rc == 0) rc = build_config(tk, kv, err);
  if (rc == 0) {
    capz_err e;
    capz_err_clear(&e);
    if (tk->lp->desc.init(tk->config, &tk->state, &e) != 0)
      rc = capz_err_set(err, e.code ? e.code : CAPZ_EINVAL, "plugin %s: init failed: %s", tk->lp->desc.name, e.msg);
    else
      tk->initialized = true;
  }
  if (rc != 0) {
    capz_testkit_close(tk);
    return NULL;
  }
  return tk;
}

const capz_loaded_plugin *capz_testkit_plugin(const capz_testkit *tk) { return tk ? tk->lp : NULL; }
void *capz_testkit_state(const capz_testkit *tk) { return tk ? tk->state : NULL; }
const capz_plugin_config *capz_testkit_config(const capz_testkit *tk) { return tk ? tk->config : NULL; }

const capz_loaded_controller *capz_testkit_controller(const capz_testkit *tk, const char *kind) {
  if (!tk || !kind) return NULL;
  for (size_t i = 0; i < tk->lp->n_controllers; i++) {
    char k[256];
    if (strcmp(capz_gvk_kind_str(&tk->lp->controllers[i].desc.primary, k, sizeof k), kind) == 0)
      return &tk->lp->controllers[i];
  }
  return NULL;
}

/* "Kind.group" from apiVersion ("group/version" or "v1") and kind. */
static const capz_loaded_controller *controller_for(const capz_testkit *tk, const char *kind, const cJSON *obj,
                                                    capz_err *err) {
  char buf[320];
  if (!kind) {
    const char *k = capz_json_ptr_str(obj, "/kind", NULL), *av = capz_json_ptr_str(obj, "/apiVersion", "");
    if (!k) {
      capz_err_set(err, CAPZ_EINVAL, "object has no kind");
      return NULL;
    }
    const char *slash = strchr(av, '/');
    if (slash) snprintf(buf, sizeof buf, "%.100s.%.*s", k, (int)(slash - av > 200 ? 200 : slash - av), av);
    else snprintf(buf, sizeof buf, "%.100s", k);
    kind = buf;
  }
  const capz_loaded_controller *c = capz_testkit_controller(tk, kind);
  if (!c) capz_err_set(err, CAPZ_ENOTFOUND, "no controller of plugin %s owns kind %s", tk->lp->desc.name, kind);
  return c;
}

int capz_testkit_default(capz_testkit *tk, const char *kind, cJSON *obj, capz_err *err) {
  if (!tk || !obj) return capz_err_set(err, CAPZ_EINVAL, "no testkit or object");
  const capz_loaded_controller *c = controller_for(tk, kind, obj, err);
  if (!c) return err ? err->code : CAPZ_ENOTFOUND;
  return c->desc.defaulter ? c->desc.defaulter(tk->state, obj, err) : 0;
}

int capz_testkit_validate(capz_testkit *tk, const char *kind, const cJSON *obj, const cJSON *old, capz_err *err) {
  if (!tk || !obj) return capz_err_set(err, CAPZ_EINVAL, "no testkit or object");
  const capz_loaded_controller *c = controller_for(tk, kind, obj, err);
  if (!c) return err ? err->code : CAPZ_ENOTFOUND;
  return c->desc.validator ? c->desc.validator(tk->state, obj, old, err) : 0;
}

cJSON *capz_testkit_fixture(const char *path, capz_err *err) {
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) {
    capz_err_set(err, CAPZ_ENOTFOUND, "fixture %s: cannot open", path ? path : "(null)");
    return NULL;
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      char *nb = cap <= (64u << 20) ? realloc(buf, cap) : NULL;
      if (!nb) {
        free(buf);
        fclose(f);
        capz_err_set(err, CAPZ_ENOMEM, "fixture %s: too large", path);
        return NULL;
      }
      buf = nb;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    len += r;
    if (r == 0) break;
  }
  fclose(f);
  cJSON *docs = capz_yaml_to_json(buf, len, err);
  free(buf);
  if (!docs) {
    capz_err_prefix(err, "fixture %s", path);
    return NULL;
  }
  cJSON *first = cJSON_DetachItemFromArray(docs, 0);
  cJSON_Delete(docs);
  if (!first) capz_err_set(err, CAPZ_EINVAL, "fixture %s: no document", path);
  return first;
}
