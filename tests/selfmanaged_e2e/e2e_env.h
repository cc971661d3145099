/* e2e_env.h — the environment of the selfmanaged end-to-end tests: capz-kube-sim with the CAPZ and CAPI CRDs,
 * capz-arm-sim, and the controller runtime running selfmanaged.so (loaded through the real loader) on a thread. */
#ifndef SM_E2E_ENV_H
#define SM_E2E_ENV_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capz/kube.h"

#define E2E_TENANT "11111111-1111-4111-8111-111111111111"
#define E2E_SUB "22222222-2222-4222-8222-222222222222"
#define E2E_CLIENT "33333333-3333-4333-8333-333333333333"
#define E2E_SECRET "capz-sim-secret"

extern capz_kube_client *g_kc;
extern const capz_gvk GVK_AC, GVK_AM, GVK_ACI, GVK_AMT, GVK_CLUSTER, GVK_MACHINE, GVK_SECRET;

/* Start both emulators, install CRDs, start the runtime with the plugin. */
void env_start(void);
/* Stop the runtime (plugin shutdown) and start it again: a fresh process state (new ensure memory). */
void env_restart_controllers(void);
/* The same with the plugin's driftInterval set (e.g. "1s"). */
void env_restart_controllers_with_drift(const char *drift);
void env_stop(void);

/* Kubernetes helpers (fail the test on error). */
cJSON *k_create(const capz_gvk *gvk, const char *json_fmt, ...) __attribute__((format(printf, 2, 3)));
cJSON *k_get(const capz_gvk *gvk, const char *name); /* NULL when absent */
void k_patch(const capz_gvk *gvk, const char *name, const char *sub, const char *json);
void k_delete(const capz_gvk *gvk, const char *name);
/* Poll until pred(obj) holds (obj NULL when absent) or timeout; returns the last object (caller frees) or NULL. */
typedef bool (*k_pred)(const cJSON *obj, void *ud);
bool k_wait(const capz_gvk *gvk, const char *name, k_pred pred, void *ud, int64_t timeout_ms, cJSON **last);
/* Events recorded for an object: the reasons concatenated with ',' (caller frees). */
char *k_event_reasons(const char *name);

/* capz-arm-sim inspection (no auth). */
cJSON *arm_resources(const char *type); /* array; type NULL = all */
cJSON *arm_find(cJSON *resources, const char *id_suffix); /* borrowed, case-insensitive suffix match */
cJSON *arm_requests(void);
cJSON *arm_faults(void); /* the fault rules with their hits and remaining counts */
void arm_clear_requests(void);
void arm_post(const char *path, const char *json);
/* Count logged ARM requests (paths under /subscriptions) by method ("PUT", "GET", ...; NULL = all). */
int arm_count(const cJSON *log, const char *method);
/* PUT (body) or DELETE through a test ARM client: resources made or removed behind the controller's back. */
void arm_direct(const char *method, const char *id, const char *body_json);

int64_t now_ms(void);

/* The emulators' base URLs and the daemon's log file (capz-host only). */
const char *env_kube_url(void);
const char *env_arm_url(void);
void env_host_log_path(char *out, size_t n);
#endif
