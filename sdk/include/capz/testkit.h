/* capz/testkit.h — test a built plugin the way capz-host will load it (see docs/ABI.md §9).
 *
 * capz_testkit_open() puts the plugin through the real loader (every ABI check, host-sized
 * copies), validates a config against the plugin's schema exactly as the host does, and calls
 * its init. The admission hooks (defaulter, validator) can then be run on fixture objects (YAML or
 * JSON files), and capz_testkit_close() calls shutdown. Use it from Check tests:
 *
 *   const char *cfg[] = {"greeting", "hi", NULL};
 *   capz_testkit *tk = capz_testkit_open("build/hello.so", cfg, &err);
 *   cJSON *obj = capz_testkit_fixture("fixtures/hello.yaml", &err);
 *   ck_assert_int_eq(capz_testkit_default(tk, NULL, obj, &err), 0);
 *
 * Reconcile needs a live context (Kubernetes and Azure clients); it is exercised against the
 * emulators through the controller runtime, not here.
 *
 * Ownership: the testkit owns its loader, config and the plugin state; objects passed in stay the
 * caller's; capz_testkit_fixture returns a tree the caller frees with cJSON_Delete.
 * Thread-safety: one testkit per thread; the hooks may be called concurrently only if the
 * plugin allows it (the host calls them from workers for different keys).
 */
#ifndef CAPZ_TESTKIT_H
#define CAPZ_TESTKIT_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/loader.h"

CAPZ_BEGIN_DECLS

typedef struct capz_testkit capz_testkit;

/* Load the plugin at path (its directory is the only plugin directory), build its config from
 * kv — alternating key, value strings terminated by NULL; kv may be NULL — and call init.
 * NULL on failure with err holding the loader's refusal line, the config error, or
 * "init failed: ...". */
CAPZ_API capz_testkit *capz_testkit_open(const char *path, const char *const *kv, capz_err *err);

/* The loaded plugin (host-sized copies) and the state its init returned. */
CAPZ_API const capz_loaded_plugin *capz_testkit_plugin(const capz_testkit *tk);
CAPZ_API void *capz_testkit_state(const capz_testkit *tk);
CAPZ_API const capz_plugin_config *capz_testkit_config(const capz_testkit *tk);

/* The controller for kind ("Kind.group", or "Kind" for the core group), or NULL. */
CAPZ_API const capz_loaded_controller *capz_testkit_controller(const capz_testkit *tk, const char *kind);

/* Run the controller's defaulter on obj (modified in place) / validator on obj (old: NULL on
 * create). kind NULL = take it from obj's apiVersion and kind. Returns the hook's result (0 =
 * admitted); CAPZ_ENOTFOUND when no controller owns the kind; 0 when it has no such hook. */
CAPZ_API int capz_testkit_default(capz_testkit *tk, const char *kind, cJSON *obj, capz_err *err);
CAPZ_API int capz_testkit_validate(capz_testkit *tk, const char *kind, const cJSON *obj, const cJSON *old,
                                   capz_err *err);

/* The first document of a YAML (or JSON) file; NULL with err on failure. */
CAPZ_API cJSON *capz_testkit_fixture(const char *path, capz_err *err);

/* Call the plugin's shutdown and free everything (the plugin stays mapped). NULL is fine. */
CAPZ_API void capz_testkit_close(capz_testkit *tk);

CAPZ_END_DECLS
#endif
