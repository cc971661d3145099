/* e2e_env.h — the environment of the managedcluster feature tests: capz-kube-sim (management), capz-kube-sim
 * ("workload", where the emulated kubeconfigs point), capz-arm-sim (with a config the test writes), optionally
 * capz-capi-sim; the managedcluster plugin loaded through the real loader and run by the host controller runtime on
 * a thread. One environment per test (Check forks each test). */
#ifndef MC_E2E_ENV_H
#define MC_E2E_ENV_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "capz/kube.h"
#include "simproc.h"

#define E2E_SUB "22222222-2222-4222-8222-222222222222"
#define E2E_TENANT "11111111-1111-4111-8111-111111111111"
#define E2E_CLIENT "33333333-3333-4333-8333-333333333333"
#define E2E_NS "default"

extern simproc e2e_kube, e2e_wl, e2e_arm;
extern capz_kube_client *e2e_c;

extern const capz_gvk E2E_AMCP, E2E_AMC, E2E_AMMP, E2E_CLUSTER, E2E_MP, E2E_SECRET;

/* Start the emulators. arm_extra: extra YAML appended to the arm-sim config (may be NULL); all_crds: every CRD in
 * config/ (else the AKS, identity, Cluster and MachinePool ones); capi: also start capz-capi-sim. */
void e2e_env_start(const char *arm_extra, bool all_crds, bool capi);
void e2e_env_stop(void);
/* Load managedcluster.so and run it (driftInterval as given, pollInterval 200ms). */
void e2e_plugin_start(const char *drift);
/* The same with kubeconfigRefreshInterval set (NULL: the plugin's default, 24h). */
void e2e_plugin_start_kc(const char *drift, const char *kc_refresh);
void e2e_plugin_stop(void);

/* Objects (namespace E2E_NS). */
cJSON *e2e_get(const capz_gvk *g, const char *name);
void e2e_create(cJSON *obj);
void e2e_merge(const capz_gvk *g, const char *name, const char *json);
void e2e_touch(const capz_gvk *g, const char *name, const char *value);
cJSON *e2e_owner_ref(const capz_gvk *g, const char *name);
/* obj's ownerReferences become exactly [an owner reference to g/name]. */
void e2e_set_owner(cJSON *obj, const capz_gvk *g, const char *name);
bool e2e_wait_true(const capz_gvk *g, const char *name, const char *ptr, int64_t timeout_ms);
bool e2e_wait_gone(const capz_gvk *g, const char *name, int64_t timeout_ms);
/* Fails the test unless the object carries a finalizer (the plugin has looked at it) within timeout_ms; what names
 * the object in the failure message. */
void e2e_wait_finalized(const capz_gvk *g, const char *name, int64_t timeout_ms, const char *what);
/* The identity Secret holding the emulator app's client secret, and the docs of a template (a file name under
 * $CAPZ_SHARED_DIR/reference/templates, or an absolute path) rendered with the test's variables (array; caller
 * frees). */
void e2e_identity_secret(void);
cJSON *e2e_render(const char *template_file, const char *cluster, const char *cluster_class);
/* cluster-template-aks.yaml for cluster, created in CAPI's order with the ownerRefs and cluster-name labels CAPI
 * would set (and the identity Secret). edit (may be NULL) adjusts the AzureManagedControlPlane first; a document of
 * kind held_kind (may be NULL) is not created but returned (caller deletes); NULL otherwise. */
extern int e2e_aks_extra_pools; /* e2e_apply_aks adds that many copies of pool1: pool2, pool3, ... (default 0) */
cJSON *e2e_apply_aks(const char *cluster, void (*edit)(cJSON *amcp), const char *held_kind);

/* ARM side. */
cJSON *e2e_sim_resources(const char *type);
const cJSON *e2e_find_named(const cJSON *arr, const char *name);
void e2e_clear_requests(void);
/* ARM requests logged since the last clear (token requests excluded); writes = non-GET. *log: the whole log. */
int e2e_arm_requests(int *writes, cJSON **log);
/* managedCluster PUTs (not its agentPools, operations or other children) in an ARM request log. */
int e2e_managed_cluster_puts(const cJSON *log);
/* Fails the test unless a managedCluster PUT shows up in the emulator's log within timeout_ms of since_ms (after
 * names what it follows, for the message); returns the milliseconds from since_ms to when it was seen. */
int64_t e2e_wait_managed_cluster_put(int64_t since_ms, int64_t timeout_ms, const char *after);
/* ARM PUT through a client of the emulator's app (blocking until the operation ends). */
void e2e_arm_put(const char *id, const char *api_version, const char *body_json);

/* A Secret's data[key] decoded (malloc'ed) or NULL. */
char *e2e_secret_text(const char *name, const char *key);
/* Sum of controller_runtime_reconcile_total. */
double e2e_reconciles(void);
/* Wait until the runtime's metrics endpoint answers (after e2e_plugin_start). */
bool e2e_metrics_wait(int64_t timeout_ms);
/* Sum of a host metric over the series whose line contains every string of labels (NULL-terminated, may be NULL),
 * e.g. {"controller=\"azuremanagedmachinepool\"", NULL}. */
double e2e_metric(const char *name, const char *const *labels);

#endif
