/* capi_env.h — test environment for capz-capi-sim: capz-kube-sim with the provider's and Cluster API's CRDs,
 * capz-capi-sim attached to it, reference templates rendered clusterctl-style and applied through the SDK. */
#ifndef CAPI_ENV_H
#define CAPI_ENV_H

#include <stdbool.h>
#include <sys/types.h>

#include <cJSON.h>

#include "capz/kube.h"

extern capz_kube_client *g_client;

/* Start kube-sim, install config/crd/bases and config/capi-crd/bases, start capz-capi-sim. 0 or -1. */
int env_start(void);
void env_stop(void);
/* Stop capz-capi-sim with SIGTERM (waitpid status into *status; -1 if it did not exit within 5 s) and start a
 * new one against the same server. 0 or -1. */
int env_restart_capi(int *status);

/* Render a template from $CAPZ_SHARED_DIR/reference/templates: ${VAR}, ${VAR:=def}, ${VAR:-def} (nested
 * defaults allowed) from the NULL-terminated name/value pairs, then the environment-free defaults; every
 * `namespace: default` becomes ns. Returns malloc'ed text or NULL. */
char *env_render(const char *template_file, const char *ns, const char *const *vars);
/* Create the namespace and every document of the YAML text. 0 or -1 (message on stderr). */
int env_apply(const char *ns, const char *yaml);

/* gvk for apiVersion+kind (plural resolved through discovery; strings static per kind). */
const capz_gvk *env_gvk(const char *api_version, const char *kind);
/* GET; NULL when absent. */
cJSON *env_get(const char *api_version, const char *kind, const char *ns, const char *name);
/* LIST items (a cJSON array the caller frees) with an optional label selector. */
cJSON *env_list(const char *api_version, const char *kind, const char *ns, const char *selector);
/* Merge-patch the object (status=true: the status subresource). 0 or error code. */
int env_patch(const char *api_version, const char *kind, const char *ns, const char *name, const char *json,
              bool status);
int env_delete(const char *api_version, const char *kind, const char *ns, const char *name);

/* Poll pred every 25 ms until true or timeout_ms passes. */
bool env_wait(bool (*pred)(void *ud), void *ud, int timeout_ms);
/* A kube-sim control request (docs/kube-sim.md "/_sim/"): method, path, JSON body text (NULL = none). 0 or error. */
int env_sim_request(const char *method, const char *path, const char *body_json);

#endif
