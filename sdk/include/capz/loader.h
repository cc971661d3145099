/* capz/loader.h — the plugin loader shared by capz-host and the plugin-author test kit.
 *
 * The loader opens plugin files (dlopen RTLD_NOW | RTLD_LOCAL, never dlclose), checks them
 * against the ABI rules in docs/ABI.md and keeps zero-filled, host-sized copies of their
 * descriptors, so code on the host side only ever reads structs of the host's own layout.
 * A refused plugin produces ONE line in err->msg: "refusing plugin <file>: <reason>", with both
 * ABI versions where they matter; the loader stays usable and keeps the plugins already accepted.
 *
 * Rules it enforces: the file lives directly in a directory registered with
 * capz_loader_add_dir, is a regular file (not a symlink) and not world-writable, is named
 * <plugin name>.so, exports CAPZ_PLUGIN_ENTRY_NAME, has ABI major == CAPZ_ABI_MAJOR and
 * minor <= CAPZ_ABI_MINOR, a descriptor of at least CAPZ_PLUGIN_SIZE_V1_0 bytes, a valid name,
 * an init callback, at least one controller, each with a reconcile callback and a primary kind
 * no other accepted plugin (or controller) claims, well-formed watches and a config schema with
 * known types whose defaults parse. The plugin name must also be new to this loader.
 *
 * Ownership: the loader owns every capz_loaded_plugin it hands out (valid until
 * capz_loader_free). Strings inside the copies (names, kinds, descriptions) point into the
 * plugin's static data, which stays mapped for the life of the process.
 * Thread-safety: a capz_loader is not synchronised; load from one thread (the host does it at
 * start-up). After loading, the capz_loaded_plugin copies are read-only and may be read from
 * any thread. capz_duration_parse_ms and the capz_plugin_config functions are reentrant.
 */
#ifndef CAPZ_LOADER_H
#define CAPZ_LOADER_H

#include "capz/common.h"
#include "capz/err.h"
#include "capz/plugin.h"

CAPZ_BEGIN_DECLS

/* A controller as the host sees it: desc is a host-sized copy (fields the plugin's older
 * struct lacked are zero); desc.secondaries points at a loader-owned NULL-terminated array of
 * pointers to the `watches` copies (NULL when there are none). */
typedef struct capz_loaded_controller {
  capz_controller desc;
  capz_watch *watches; /* n_watches host-sized copies */
  size_t n_watches;
} capz_loaded_controller;

/* An accepted plugin. desc is a host-sized copy of the descriptor whose arrays point at the
 * copies below (desc.controllers: NULL-terminated pointers to each controllers[i].desc;
 * desc.config_schema: to each schema[i], or NULL), so &desc is a complete capz_plugin of the
 * host's own layout that code written against plugin.h can walk. Read-only for callers. */
typedef struct capz_loaded_plugin {
  const char *path;                    /* the path given to capz_loader_load */
  capz_plugin desc;
  capz_loaded_controller *controllers; /* n_controllers >= 1 */
  size_t n_controllers;
  capz_cfg_field *schema;              /* n_schema host-sized copies; may be 0 */
  size_t n_schema;
} capz_loaded_plugin;

typedef struct capz_loader capz_loader;

/* New empty loader; NULL only on OOM. */
CAPZ_API capz_loader *capz_loader_new(void);
/* Frees the loader and its copies. The plugins stay mapped (never dlclose). NULL is fine. */
CAPZ_API void capz_loader_free(capz_loader *l);

/* Allow plugin files from dir (resolved with realpath; must be an existing directory).
 * Returns 0, or CAPZ_EINVAL / CAPZ_ENOTFOUND with err naming the directory. */
CAPZ_API int capz_loader_add_dir(capz_loader *l, const char *dir, capz_err *err);

/* Check, open and accept the plugin at path. On success returns 0 and, when out is non-NULL,
 * sets *out to the loader-owned copy. On refusal returns CAPZ_EINVAL (CAPZ_ENOMEM on OOM) and
 * fills err->msg with the single refusal line. The plugin's init is NOT called here. */
CAPZ_API int capz_loader_load(capz_loader *l, const char *path, const capz_loaded_plugin **out,
                              capz_err *err);

/* Accepted plugins, in load order. */
CAPZ_API size_t capz_loader_count(const capz_loader *l);
CAPZ_API const capz_loaded_plugin *capz_loader_get(const capz_loader *l, size_t i);

/* The plugin files in dir: every entry whose name ends in ".so" (whatever its type, so the
 * caller can report non-regular ones), as "dir/name" paths sorted by name. *paths is a
 * malloc'ed array of malloc'ed strings; free with capz_loader_free_paths. Returns 0 or an error
 * naming dir. */
CAPZ_API int capz_loader_list_dir(const char *dir, char ***paths, size_t *n, capz_err *err);
CAPZ_API void capz_loader_free_paths(char **paths, size_t n);

/* The plugin name a file must carry: its base name without ".so" (written to out, size n).
 * This is how the host knows a plugin's name without opening it (disabled plugins are never
 * opened). Returns false when path does not end in ".so" or the stem does not fit. */
CAPZ_API bool capz_plugin_file_stem(const char *path, char *out, size_t n);

/* True for a valid plugin name: 1-63 characters of [a-z0-9-], not starting or ending with '-'. */
CAPZ_API bool capz_plugin_name_valid(const char *name);

/* "Kind.group" (or just "Kind" for the core group) into out (size n); returns out. */
CAPZ_API char *capz_gvk_kind_str(const capz_gvk *gvk, char *out, size_t n);

/* Go-style duration ("1h30m", "45s", "500ms", "1.5h", "250us", "0") to milliseconds, rounded
 * down. Units: ns, us, µs, ms, s, m, h. Negative values and values above ~292 years are
 * refused. Returns 0 or CAPZ_EINVAL with err saying what is wrong. */
CAPZ_API int capz_duration_parse_ms(const char *s, int64_t *ms, capz_err *err);

/* Check one textual value against a config type (CAPZ_CFG_*). Returns 0 or CAPZ_EINVAL with
 * err saying what was expected ("expected an integer, got \"x\""). */
CAPZ_API int capz_cfg_value_check(capz_cfg_type type, const char *value, capz_err *err);
/* Name of a config type ("string", "int", "bool", "duration", "float"); "unknown" otherwise. */
CAPZ_API const char *capz_cfg_type_name(int type);

/* Build the validated config handed to a plugin's init from its schema (n fields) and the
 * user's values (nvalues key/value pairs, copied). Every value's key must be in the schema and
 * parse as its type; every schema key without a default must be given. On failure returns NULL,
 * fills err ("key 'x': expected ...") and, when bad_index is non-NULL, sets it to the index of
 * the offending value, or to nvalues when a required key is missing. Free with
 * capz_plugin_config_free (the host keeps it for the life of the process). */
CAPZ_API capz_plugin_config *capz_plugin_config_new(const capz_cfg_field *schema, size_t n,
                                                    const char *const *keys,
                                                    const char *const *values, size_t nvalues,
                                                    size_t *bad_index, capz_err *err);
CAPZ_API void capz_plugin_config_free(capz_plugin_config *cfg);

CAPZ_END_DECLS
#endif
