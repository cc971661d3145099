/* hello.c — a complete capz-c plugin: one controller for the harmless kind
 * Hello.example.capz.io, a config schema with three fields, and a reconcile that says DONE.
 * Build it against an installed SDK (see CMakeLists.txt) and point capz-host at it:
 *   capz-host --plugin-dir <dir with hello.so> --list-plugins */
#include <stdio.h>
#include <stdlib.h>
#include <capz/plugin.h>

/* Per-process state built by init from the validated config; read-only afterwards, so the
 * concurrent reconcile calls need no locking. */
typedef struct hello_state {
  char greeting[64];
  int64_t interval_ms;
  bool loud;
} hello_state;

static int hello_init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  hello_state *s = calloc(1, sizeof *s);
  if (!s) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  snprintf(s->greeting, sizeof s->greeting, "%s", capz_plugin_config_str(cfg, "greeting"));
  s->interval_ms = capz_plugin_config_duration_ms(cfg, "interval");
  s->loud = capz_plugin_config_bool(cfg, "loud");
  *state = s;
  return 0;
}

static void hello_shutdown(void *state) { free(state); }

/* Nothing to converge: a Hello is always in its desired state. */
static capz_outcome hello_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  (void)state;
  (void)ctx;
  (void)key;
  (void)res;
  return CAPZ_DONE;
}

static const capz_controller hello_controller = {
    .struct_size = sizeof(capz_controller),
    .primary = {.group = "example.capz.io", .version = "v1alpha1", .kind = "Hello", .plural = "hellos",
                .namespaced = true},
    .reconcile = hello_reconcile,
    .default_workers = 1,
};
static const capz_controller *const controllers[] = {&hello_controller, NULL};

static const capz_cfg_field f_greeting = {sizeof(capz_cfg_field), "greeting", CAPZ_CFG_STRING, "hello",
                                          "what the controller says"};
static const capz_cfg_field f_interval = {sizeof(capz_cfg_field), "interval", CAPZ_CFG_DURATION, "5m",
                                          "how often to say it"};
static const capz_cfg_field f_loud = {sizeof(capz_cfg_field), "loud", CAPZ_CFG_BOOL, "false", "shout"};
static const capz_cfg_field *const schema[] = {&f_greeting, &f_interval, &f_loud, NULL};

static const capz_plugin hello_plugin = {
    .abi_major = CAPZ_ABI_MAJOR,
    .abi_minor = CAPZ_ABI_MINOR,
    .struct_size = sizeof(capz_plugin),
    .name = "hello", /* must match the file name: hello.so */
    .version = "0.1.0",
    .description = "example plugin: one controller for Hello.example.capz.io",
    .config_schema = schema,
    .controllers = controllers,
    .init = hello_init,
    .shutdown = hello_shutdown,
};

CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &hello_plugin; }
