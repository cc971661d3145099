/* capz/plugin.h — the versioned plugin ABI (v1). Rules: docs/ABI.md.
 *
 * A plugin is a shared object exporting exactly one symbol, CAPZ_PLUGIN_ENTRY_NAME
 * ("capz_plugin_v1"), a function returning a pointer to a static, immutable descriptor.
 * The `_v1` in the name is the ABI major: a new major renames it, so an old plugin fails
 * with a readable "missing symbol" instead of crashing.
 *
 * Every struct that crosses the boundary starts with `struct_size` (the sizeof the plugin
 * was compiled with). Within a major, structs only grow at the end (minor bump); the host
 * reads min(struct_size, its own sizeof) and treats missing tail fields as zero.
 * Arrays are NULL-terminated arrays of pointers, so element growth never changes strides.
 *
 * Ownership: everything a plugin's descriptor points at is static data owned by the plugin
 * and must stay valid and unchanged for the life of the process (the host never dlcloses).
 * Thread-safety: the host calls init/shutdown from one thread; reconcile, defaulter and
 * validator are called from worker threads concurrently for *different* keys (never twice at
 * once for the same key), so plugin state shared across keys must be synchronised by the plugin.
 */
#ifndef CAPZ_PLUGIN_H
#define CAPZ_PLUGIN_H

#include <stddef.h>
#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"

CAPZ_BEGIN_DECLS

#define CAPZ_ABI_MAJOR 1
#define CAPZ_ABI_MINOR 0

#define CAPZ_PLUGIN_ENTRY capz_plugin_v1
#define CAPZ_PLUGIN_ENTRY_NAME "capz_plugin_v1"

/* Marks the one symbol a plugin exports (plugins build with -fvisibility=hidden). */
#define CAPZ_PLUGIN_EXPORT __attribute__((visibility("default")))

/* ---- outcomes of a reconcile (zero is invalid, so a forgotten return is caught) ---- */
typedef enum capz_outcome {
  CAPZ_DONE = 1,          /* converged; forget the key until it changes (or the resync) */
  CAPZ_REQUEUE_AFTER = 2, /* run again after result.requeue_after_ms; no backoff growth */
  CAPZ_RETRY = 3,         /* transient failure; requeue with per-item exponential backoff */
  CAPZ_TERMINAL = 4       /* will not succeed until the object changes; surfaced as a condition */
} capz_outcome;

/* ---- the key of an object: namespace ("" for cluster-scoped) and name ---- */
#define CAPZ_NS_MAX 64
#define CAPZ_NAME_MAX 254
typedef struct capz_key {
  char ns[CAPZ_NS_MAX];
  char name[CAPZ_NAME_MAX];
} capz_key;

/* ---- what a reconcile reports besides its outcome; the host zero-fills it before the call ---- */
typedef struct capz_result {
  uint32_t struct_size;       /* set by the host: sizeof(capz_result) in the host's ABI */
  uint64_t requeue_after_ms;  /* for CAPZ_REQUEUE_AFTER (and an upper bound for CAPZ_RETRY if > 0) */
  char reason[64];            /* CamelCase reason for TERMINAL/RETRY, e.g. "InvalidConfiguration" */
  char message[512];          /* human-readable detail; never secret values */
} capz_result;

/* Opaque per-call context: the object's key, a logger tagged with it, a deadline, and access
 * to the shared cache and clients. Accessors are in capz/controller.h. Valid only during the call. */
typedef struct capz_ctx capz_ctx;

/* ---- group/version/kind of a watched type ---- */
typedef struct capz_gvk {
  const char *group;   /* "" for the core group */
  const char *version; /* e.g. "v1beta1" */
  const char *kind;    /* e.g. "AzureCluster" */
  const char *plural;  /* e.g. "azureclusters" (the REST resource name) */
  bool namespaced;
} capz_gvk;

/* ---- how a change to a secondary object maps to primary keys ---- */
typedef enum capz_map_kind {
  /* The secondary's ownerReferences with kind == primary kind name the primary. */
  CAPZ_MAP_OWNER = 1,
  /* A reference field in the secondary (JSON pointer in `path`, to an object with
   * name/namespace/kind, or to a name string) names the primary, same namespace by default. */
  CAPZ_MAP_REF_FIELD = 2,
  /* The label `path` on the secondary holds the primary's name (same namespace). */
  CAPZ_MAP_LABEL = 3,
  /* Primaries whose field at `path` (JSON pointer in the *primary*) references the secondary by
   * name; the host keeps an index of that field. E.g. AzureCluster /spec/identityRef. */
  CAPZ_MAP_REFERENCED_BY = 4,
  /* The plugin's `map` callback decides. */
  CAPZ_MAP_FUNC = 5
} capz_map_kind;

/* Map callback: write up to `max` keys into out and return how many. `secondary` is borrowed
 * for the duration of the call. Called from the informer thread: must be fast and must not block. */
typedef size_t (*capz_map_fn)(void *state, const cJSON *secondary, capz_key *out, size_t max);

typedef struct capz_watch {
  uint32_t struct_size;
  capz_gvk gvk;
  capz_map_kind map_kind;
  const char *path;            /* JSON pointer or label key, per map_kind */
  capz_map_fn map;             /* for CAPZ_MAP_FUNC */
  const char *label_selector;  /* optional: restrict the informer (required for Secrets) */
} capz_watch;

/* Reconcile one object. The plugin reads the object through the ctx (not found = deleted),
 * acts, and returns an outcome; details go in res. Must honour the ctx deadline. */
typedef capz_outcome (*capz_reconcile_fn)(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);

/* Admission hooks (pure functions shared with reconcile). Return 0 to admit; non-zero with
 * err filled (its message names the field) to deny. The defaulter modifies obj in place.
 * old is NULL on create. */
typedef int (*capz_default_fn)(void *state, cJSON *obj, capz_err *err);
typedef int (*capz_validate_fn)(void *state, const cJSON *obj, const cJSON *old, capz_err *err);

typedef struct capz_controller {
  uint32_t struct_size;
  capz_gvk primary;                       /* the kind this controller owns (claimed by one plugin only) */
  const capz_watch *const *secondaries;   /* NULL-terminated; may be NULL */
  capz_reconcile_fn reconcile;            /* required */
  uint32_t default_workers;               /* 0 = host default; config may override */
  capz_default_fn defaulter;              /* optional */
  capz_validate_fn validator;             /* optional */
} capz_controller;

/* ---- the plugin's config schema; the host validates the plugin's `config:` map against it ---- */
typedef enum capz_cfg_type {
  CAPZ_CFG_STRING = 1,
  CAPZ_CFG_INT = 2,
  CAPZ_CFG_BOOL = 3,
  CAPZ_CFG_DURATION = 4, /* "30s", "5m", "1h30m"; read back in milliseconds */
  CAPZ_CFG_FLOAT = 5
} capz_cfg_type;

typedef struct capz_cfg_field {
  uint32_t struct_size;
  const char *key;
  capz_cfg_type type;
  const char *default_value; /* textual, parsed like a config value; NULL = required */
  const char *description;
} capz_cfg_field;

/* Validated config handed to init. Owned by the host, valid for the life of the process,
 * read-only, safe from any thread. Every schema key is present (explicit or default). */
typedef struct capz_plugin_config capz_plugin_config;
CAPZ_API const char *capz_plugin_config_str(const capz_plugin_config *cfg, const char *key);
CAPZ_API int64_t capz_plugin_config_int(const capz_plugin_config *cfg, const char *key);
CAPZ_API bool capz_plugin_config_bool(const capz_plugin_config *cfg, const char *key);
CAPZ_API int64_t capz_plugin_config_duration_ms(const capz_plugin_config *cfg, const char *key);
CAPZ_API double capz_plugin_config_float(const capz_plugin_config *cfg, const char *key);

/* ---- the descriptor ---- */
typedef struct capz_plugin {
  uint32_t abi_major;   /* CAPZ_ABI_MAJOR the plugin was built against */
  uint32_t abi_minor;   /* CAPZ_ABI_MINOR the plugin was built against */
  uint32_t struct_size; /* sizeof(capz_plugin) the plugin was built with */
  const char *name;     /* unique, [a-z0-9-]+ */
  const char *version;  /* the plugin's own version, free-form */
  const char *description;
  const capz_cfg_field *const *config_schema; /* NULL-terminated; may be NULL */
  const capz_controller *const *controllers;  /* NULL-terminated; at least one */
  /* required: set up state from config; non-zero refuses the plugin (err says why) */
  int (*init)(const capz_plugin_config *cfg, void **state, capz_err *err);
  /* optional: called once at shutdown after workers stopped */
  void (*shutdown)(void *state);
} capz_plugin;

/* The smallest descriptor any v1 plugin can have: the size released with v1.0. */
#define CAPZ_PLUGIN_SIZE_V1_0 (offsetof(capz_plugin, shutdown) + sizeof(void (*)(void *)))
#define CAPZ_CONTROLLER_SIZE_V1_0 (offsetof(capz_controller, validator) + sizeof(capz_validate_fn))
#define CAPZ_WATCH_SIZE_V1_0 (offsetof(capz_watch, label_selector) + sizeof(const char *))
#define CAPZ_CFG_FIELD_SIZE_V1_0 (offsetof(capz_cfg_field, description) + sizeof(const char *))

/* The entry point's type. Plugins define it with:
 *   CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &my_plugin; } */
typedef const capz_plugin *(*capz_plugin_entry_fn)(void);

CAPZ_END_DECLS
#endif
