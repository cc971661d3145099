/* good: a valid plugin with a schema, a watch, init state and a shutdown hook. Its shutdown
 * writes the config it was given to the file named by `marker`, so tests can see that the
 * host validated the config, called init with it, and called shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_plugin.h"

typedef struct good_state {
  char greeting[64];
  long long count;
  long long period_ms;
  bool loud;
  double ratio;
  char marker[512];
} good_state;

static int good_init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  good_state *s = calloc(1, sizeof *s);
  if (!s) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  snprintf(s->greeting, sizeof s->greeting, "%s", capz_plugin_config_str(cfg, "greeting"));
  s->count = (long long)capz_plugin_config_int(cfg, "count");
  s->period_ms = (long long)capz_plugin_config_duration_ms(cfg, "period");
  s->loud = capz_plugin_config_bool(cfg, "loud");
  s->ratio = capz_plugin_config_float(cfg, "ratio");
  snprintf(s->marker, sizeof s->marker, "%s", capz_plugin_config_str(cfg, "marker"));
  *state = s;
  return 0;
}

static void good_shutdown(void *state) {
  good_state *s = state;
  if (s->marker[0]) {
    FILE *f = fopen(s->marker, "w");
    if (f) {
      fprintf(f, "greeting=%s count=%lld period_ms=%lld loud=%d ratio=%.2f\n", s->greeting, s->count, s->period_ms,
              (int)s->loud, s->ratio);
      fclose(f);
    }
  }
  free(s);
}

static const capz_watch secret_watch = {.struct_size = sizeof(capz_watch),
                                        .gvk = {"", "v1", "Secret", "secrets", true},
                                        .map_kind = CAPZ_MAP_OWNER,
                                        .label_selector = "test.capz.io/owned"};
static const capz_watch *const watches[] = {&secret_watch, NULL};
static const capz_controller widget = {.struct_size = sizeof(capz_controller),
                                       .primary = {"test.capz.io", "v1", "Widget", "widgets", true},
                                       .secondaries = watches,
                                       .reconcile = tp_reconcile,
                                       .default_workers = 3};
static const capz_controller *const controllers[] = {&widget, NULL};

static const capz_cfg_field f_greeting = {sizeof(capz_cfg_field), "greeting", CAPZ_CFG_STRING, "hello", "what to say"};
static const capz_cfg_field f_count = {sizeof(capz_cfg_field), "count", CAPZ_CFG_INT, "3", "how often"};
static const capz_cfg_field f_period = {sizeof(capz_cfg_field), "period", CAPZ_CFG_DURATION, "30s", "how long"};
static const capz_cfg_field f_loud = {sizeof(capz_cfg_field), "loud", CAPZ_CFG_BOOL, "false", "shout"};
static const capz_cfg_field f_ratio = {sizeof(capz_cfg_field), "ratio", CAPZ_CFG_FLOAT, "0.5", "a fraction"};
static const capz_cfg_field f_marker = {sizeof(capz_cfg_field), "marker", CAPZ_CFG_STRING, "", "file written at shutdown"};
static const capz_cfg_field *const schema[] = {&f_greeting, &f_count, &f_period, &f_loud, &f_ratio, &f_marker, NULL};

static const capz_plugin desc = {
    .abi_major = CAPZ_ABI_MAJOR,
    .abi_minor = CAPZ_ABI_MINOR,
    .struct_size = sizeof(capz_plugin),
    .name = "good",
    .version = "1.2.3",
    .description = "test plugin that loads",
    .config_schema = schema,
    .controllers = controllers,
    .init = good_init,
    .shutdown = good_shutdown,
};
TP_ENTRY(desc)
