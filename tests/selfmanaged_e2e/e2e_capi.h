/* e2e_capi.h — what the selfmanaged e2e tests need beyond e2e_env to play a whole management cluster:
 * capz-capi-sim (Cluster API core's controllers) on the env's kube emulator with every CAPI CRD, manifests
 * rendered clusterctl-style (${VAR}, ${VAR:=default}, ${VAR:-default}, nested) and applied as a user would,
 * and the daemon's reconcile counters from its /metrics endpoint.
 * Kept apart from e2e_env.c, which other test binaries compile in on its own. */
#ifndef SM_E2E_CAPI_H
#define SM_E2E_CAPI_H

#include <cJSON.h>

/* Install the remaining CRDs (all of config/capi-crd/bases and config/crd/bases; existing ones are kept) and
 * start capz-capi-sim against the kube emulator (fails the test on error). */
void capi_start(void);
/* SIGTERM (then SIGKILL) the capz-capi-sim child; no-op when not running. */
void capi_stop(void);

/* Read `path` and substitute variables from the NULL-terminated name/value pairs; unset variables take
 * their default or become "". Returns malloc'ed text (fails the test when unreadable or malformed). */
char *tpl_render(const char *path, const char *const *vars);
/* Create every document of the YAML text in namespace "default" (fails the test on error). */
void tpl_apply(const char *yaml);

/* Sum of the daemon's metric samples called `name` whose label text contains every string in `labels`
 * (NULL-terminated, may be NULL). -1 when the daemon's metrics endpoint is not known (in-process runtime). */
double host_metric(const char *name, const char *const *labels);

#endif
