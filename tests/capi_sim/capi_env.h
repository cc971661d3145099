/* capi_env.h — test environment for capz-capi-sim: capz-kube-sim with the provider's and Cluster API's CRDs,
 * capz-capi-sim attached to it, reference templates rendered clusterctl-style and applied through the SDK. */
#ifndef CAPI_ENV_H
#define CAPI_ENV_H

#include <stdbool.h>
#include <sys/types.h>

#include <cJSON.h>

#include "capz/kube.h"

/* The apiVersions the tests name objects by. */
#define CAPI "cluster.x-k8s.io/v1beta1"
#define INFRA "infrastructure.cluster.x-k8s.io/v1beta1"
#define KCPV "controlplane.cluster.x-k8s.io/v1beta1"
#define BOOT "bootstrap.cluster.x-k8s.io/v1beta1"

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
/* ---- waiting on what capz-capi-sim does (ENV_WAIT_MS at most) ---- */
#define ENV_WAIT_MS 10000
/* What a wait looks at: objects of a kind in ns, by name or by label selector, and the count wanted. */
typedef struct env_q {
  const char *av, *kind, *ns, *name, *sel;
  int n;
} env_q;
/* Predicates for env_wait on an env_q: exactly n objects matching sel that are live (no deletionTimestamp) /
 * in all; the named object absent / being deleted. */
bool env_p_live_count(void *q);
bool env_p_total_count(void *q);
bool env_p_gone(void *q);
bool env_p_deleting(void *q);
/* The common waits; true when it happened in time. live_only: count only objects without a deletionTimestamp. */
bool env_wait_gone(const char *api_version, const char *kind, const char *ns, const char *name);
bool env_wait_deleting(const char *api_version, const char *kind, const char *ns, const char *name);
bool env_wait_count(const char *api_version, const char *kind, const char *ns, const char *selector, int n,
                    bool live_only);
/* Wait until the value at JSON pointer ptr of the object is want (string, bool or number written as text; NULL:
 * present at all); fails the test with the object's text otherwise. */
void env_wait_field(const char *api_version, const char *kind, const char *ns, const char *name, const char *ptr,
                    const char *want);
/* A label / annotation value of an object (borrowed), or NULL. */
const char *env_label(const cJSON *obj, const char *key);
const char *env_annotation(const cJSON *obj, const char *key);

/* A kube-sim control request (docs/kube-sim.md "/_sim/"): method, path, JSON body text (NULL = none). 0 or error. */
int env_sim_request(const char *method, const char *path, const char *body_json);

#endif
