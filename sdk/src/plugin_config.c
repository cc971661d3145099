/* plugin_config.c — the validated, read-only config a plugin receives in init, and the
 * typed checks the host applies to the user's `config:` map against the plugin's schema.
 * Values are parsed once here so the accessors never fail: an unknown key or a type the
 * accessor does not read gives NULL / 0 / false. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "capz/loader.h"

typedef struct cfg_entry {
  char *key;
  int type;
  char *text;
  int64_t i; /* CAPZ_CFG_INT value, or milliseconds for CAPZ_CFG_DURATION */
  bool b;
  double f;
} cfg_entry;

struct capz_plugin_config {
  size_t n;
  cfg_entry *e;
};

const char *capz_cfg_type_name(int type) {
  switch (type) {
  case CAPZ_CFG_STRING: return "string";
  case CAPZ_CFG_INT: return "int";
  case CAPZ_CFG_BOOL: return "bool";
  case CAPZ_CFG_DURATION: return "duration";
  case CAPZ_CFG_FLOAT: return "float";
  default: return "unknown";
  }
}

static int parse_value(int type, const char *v, cfg_entry *out, capz_err *err) {
  char *end = NULL;
  switch (type) {
  case CAPZ_CFG_STRING:
    return 0;
  case CAPZ_CFG_INT: {
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno == ERANGE || *v == ' ')
      return capz_err_set(err, CAPZ_EINVAL, "expected an integer, got \"%.64s\"", v);
    if (out) out->i = x;
    return 0;
  }
  case CAPZ_CFG_BOOL: {
    bool t = !strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE");
    bool f = !strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE");
    if (!t && !f) return capz_err_set(err, CAPZ_EINVAL, "expected true or false, got \"%.64s\"", v);
    if (out) out->b = t;
    return 0;
  }
  case CAPZ_CFG_DURATION: {
    int64_t ms = 0;
    capz_err e2;
    capz_err_clear(&e2);
    if (capz_duration_parse_ms(v, &ms, &e2) != 0)
      return capz_err_set(err, CAPZ_EINVAL, "expected a duration like 30s or 1h30m: %s", e2.msg);
    if (out) out->i = ms;
    return 0;
  }
  case CAPZ_CFG_FLOAT: {
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || !isfinite(x) || *v == ' ')
      return capz_err_set(err, CAPZ_EINVAL, "expected a number, got \"%.64s\"", v);
    if (out) out->f = x;
    return 0;
  }
  default:
    return capz_err_set(err, CAPZ_EINVAL, "unknown config type %d", type);
  }
}

int capz_cfg_value_check(capz_cfg_type type, const char *value, capz_err *err) {
  if (!value) return capz_err_set(err, CAPZ_EINVAL, "missing value");
  return parse_value((int)type, value, NULL, err);
}

void capz_plugin_config_free(capz_plugin_config *cfg) {
  if (!cfg) return;
  for (size_t i = 0; i < cfg->n; i++) {
    free(cfg->e[i].key);
    free(cfg->e[i].text);
  }
  free(cfg->e);
  free(cfg);
}

capz_plugin_config *capz_plugin_config_new(const capz_cfg_field *schema, size_t n,
                                           const char *const *keys, const char *const *values,
                                           size_t nvalues, size_t *bad_index, capz_err *err) {
  if (n > 0 && !schema) {
    capz_err_set(err, CAPZ_EINVAL, "missing schema");
    return NULL;
  }
  /* Every user key must be known and well-typed before anything is allocated. */
  for (size_t v = 0; v < nvalues; v++) {
    const char *k = keys && keys[v] ? keys[v] : "";
    size_t f = 0;
    while (f < n && !(schema[f].key && strcmp(schema[f].key, k) == 0)) f++;
    if (f == n) {
      if (bad_index) *bad_index = v;
      capz_err_set(err, CAPZ_EINVAL, "unknown key '%.64s'", k);
      return NULL;
    }
    for (size_t w = 0; w < v; w++)
      if (keys[w] && strcmp(keys[w], k) == 0) {
        if (bad_index) *bad_index = v;
        capz_err_set(err, CAPZ_EINVAL, "key '%.64s' given twice", k);
        return NULL;
      }
    capz_err e2;
    capz_err_clear(&e2);
    if (!values || !values[v] || parse_value((int)schema[f].type, values[v], NULL, &e2) != 0) {
      if (bad_index) *bad_index = v;
      capz_err_set(err, CAPZ_EINVAL, "key '%.64s' (%s): %s", k, capz_cfg_type_name((int)schema[f].type),
                   values && values[v] ? e2.msg : "missing value");
      return NULL;
    }
  }
  capz_plugin_config *cfg = calloc(1, sizeof *cfg);
  if (!cfg || (n && !(cfg->e = calloc(n, sizeof *cfg->e)))) {
    free(cfg);
    capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t f = 0; f < n; f++) {
    const char *text = schema[f].default_value;
    for (size_t v = 0; v < nvalues; v++)
      if (keys[v] && schema[f].key && strcmp(keys[v], schema[f].key) == 0) text = values[v];
    if (!schema[f].key) continue;
    if (!text) {
      if (bad_index) *bad_index = nvalues;
      capz_err_set(err, CAPZ_EINVAL, "required key '%.64s' (%s) is missing", schema[f].key,
                   capz_cfg_type_name((int)schema[f].type));
      capz_plugin_config_free(cfg);
      return NULL;
    }
    cfg_entry *e = &cfg->e[cfg->n];
    e->type = (int)schema[f].type;
    capz_err e2;
    capz_err_clear(&e2);
    if (parse_value(e->type, text, e, &e2) != 0) { /* only a bad default can get here */
      if (bad_index) *bad_index = nvalues;
      capz_err_set(err, CAPZ_EINVAL, "default of key '%.64s': %s", schema[f].key, e2.msg);
      capz_plugin_config_free(cfg);
      return NULL;
    }
    e->key = strdup(schema[f].key);
    e->text = strdup(text);
    cfg->n++;
    if (!e->key || !e->text) {
      capz_plugin_config_free(cfg);
      capz_err_set(err, CAPZ_ENOMEM, "out of memory");
      return NULL;
    }
  }
  return cfg;
}

static const cfg_entry *find(const capz_plugin_config *cfg, const char *key) {
  if (!cfg || !key) return NULL;
  for (size_t i = 0; i < cfg->n; i++)
    if (strcmp(cfg->e[i].key, key) == 0) return &cfg->e[i];
  return NULL;
}

const char *capz_plugin_config_str(const capz_plugin_config *cfg, const char *key) {
  const cfg_entry *e = find(cfg, key);
  return e ? e->text : NULL;
}

int64_t capz_plugin_config_int(const capz_plugin_config *cfg, const char *key) {
  const cfg_entry *e = find(cfg, key);
  return e && (e->type == CAPZ_CFG_INT || e->type == CAPZ_CFG_DURATION) ? e->i : 0;
}

bool capz_plugin_config_bool(const capz_plugin_config *cfg, const char *key) {
  const cfg_entry *e = find(cfg, key);
  return e && e->type == CAPZ_CFG_BOOL ? e->b : false;
}

int64_t capz_plugin_config_duration_ms(const capz_plugin_config *cfg, const char *key) {
  const cfg_entry *e = find(cfg, key);
  return e && e->type == CAPZ_CFG_DURATION ? e->i : 0;
}

double capz_plugin_config_float(const capz_plugin_config *cfg, const char *key) {
  const cfg_entry *e = find(cfg, key);
  if (!e) return 0.0;
  if (e->type == CAPZ_CFG_FLOAT) return e->f;
  if (e->type == CAPZ_CFG_INT) return (double)e->i;
  return 0.0;
}
