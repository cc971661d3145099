/* mc_plugin.h — internal interface of the managedcluster plugin (AzureManagedControlPlane, AzureManagedCluster,
 * AzureManagedMachinePool). Only capz_plugin_v1 is exported.
 *
 * Shape: each controller builds an ordered table of Azure resources (capz/azure_table.h) from the defaulted
 * object and hands it to the SDK's ensure/delete; controllers add the Kubernetes-side bookkeeping (finalizers, conditions,
 * status, the kubeconfig Secret, MachinePool replicas).
 * Thread-safety: mc_state is shared by every worker; the session cache and the ensurer lock internally.
 */
#ifndef MC_PLUGIN_H
#define MC_PLUGIN_H

#include <cJSON.h>

#include "capz/azure.h"
#include "capz/azure_session.h"
#include "capz/azure_table.h"
#include "capz/controller.h"
#include "capz/controller_util.h"
#include "capz/plugin.h"

#define MC_GROUP "infrastructure.cluster.x-k8s.io"
#define MC_AMCP_FINALIZER "azuremanagedcontrolplane.infrastructure.cluster.x-k8s.io"
#define MC_AMMP_FINALIZER "azurecluster.infrastructure.cluster.x-k8s.io"
#define MC_LABEL_CLUSTER_NAME "cluster.x-k8s.io/cluster-name"
#define MC_ANN_REPLICAS_MANAGED_BY "cluster.x-k8s.io/replicas-managed-by"

#define MC_ASO_CP_FINALIZER "azureasomanagedcontrolplane.infrastructure.cluster.x-k8s.io"
#define MC_CAPI_CLUSTER_FINALIZER "cluster.cluster.x-k8s.io"

extern const capz_gvk MC_GVK_ASOCP, MC_GVK_ASOMC, MC_GVK_ASOMP;
extern const capz_gvk MC_GVK_AMCP, MC_GVK_AMC, MC_GVK_AMMP, MC_GVK_IDENTITY, MC_GVK_CLUSTER, MC_GVK_MACHINEPOOL,
    MC_GVK_SECRET;

typedef struct mc_kc_sched mc_kc_sched; /* kubeconfig refresh schedule (kubeconfig.c) */

/* Per managed cluster: which pool holds the turn for an agentPool operation (cluster_ops.c). All calls are
 * thread-safe; strings are copied. */
typedef struct mc_cluster_ops mc_cluster_ops;
mc_cluster_ops *mc_cluster_ops_new(void);
void mc_cluster_ops_free(mc_cluster_ops *o);
/* Take (or keep) the cluster's turn for pool until now + hold_s. False when another pool (or a backoff after a 409)
 * holds it; *wait_s then receives how long the note still lasts. */
bool mc_cluster_ops_claim(mc_cluster_ops *o, const char *cluster, const char *pool, double now, double hold_s,
                          double *wait_s);
/* Give the turn back (only if pool holds it). */
void mc_cluster_ops_release(mc_cluster_ops *o, const char *cluster, const char *pool, double now);
/* After a 409 from an unknown writer: nobody writes to the cluster's pools for for_s. */
void mc_cluster_ops_backoff(mc_cluster_ops *o, const char *cluster, double now, double for_s);

typedef struct mc_state {
  capz_az_cloud cloud;
  capz_arm_ensurer *ensurer;
  double drift_interval_s;
  double poll_floor_s;
  double kc_refresh_s;         /* admin/user credentials re-read interval (kubeconfigRefreshInterval) */
  capz_az_sessions *sessions; /* credential + ARM client per identity, reused across reconciles */
  mc_kc_sched *kc_sched;       /* when each cluster's kubeconfig Secrets are due for a credentials read */
  mc_cluster_ops *cluster_ops; /* which pool of each cluster has an agentPool operation running */
  struct mc_waiters *pool_waiters;  /* pools kept as their cluster's last System pool */
  struct mc_waiters *amcp_waiters;  /* AMCPs waiting for a System pool */
  struct mc_waiters *asocp_waiters; /* AzureASOManagedControlPlanes waiting for their pools */
} mc_state;

/* Objects waiting on something of their cluster (waiters.c), found again from a change of that cluster's objects
 * by a watch's map callback (plugin.c), so they are woken by the change instead of polling. Three registries:
 *   pool_waiters:  AMMPs kept as their cluster's last System pool; any AMMP of the cluster wakes them.
 *   amcp_waiters:  AMCPs waiting for a System pool before the managedCluster is created; an AMMP or MachinePool of
 *                  the cluster wakes them.
 *   asocp_waiters: AzureASOManagedControlPlanes waiting for their pools; an AzureASOManagedMachinePool or MachinePool
 *                  of the cluster wakes them.
 * A waiter records itself before it reads the cache (informers apply a change to the cache before they call the
 * handlers, so a change is either seen by that read or wakes the waiter), and forgets itself once it moves on or its
 * object is gone; after a restart each waiter records itself again on its first reconcile. All calls are
 * thread-safe and never block for long (the map callback runs on the informer thread). */
typedef struct mc_waiters mc_waiters;
mc_waiters *mc_waiters_new(void);
void mc_waiters_free(mc_waiters *w);
/* Record (waiting) or forget (!waiting; cluster is then ignored) object ns/name as waiting on cluster. */
void mc_waiters_set(mc_waiters *w, const char *ns, const char *cluster, const char *name, bool waiting);
/* Up to max keys of the objects waiting on ns/cluster (cluster NULL: on any cluster of ns), except the one named
 * except (may be NULL). */
size_t mc_waiters_of(mc_waiters *w, const char *ns, const char *cluster, const char *except, capz_key *out,
                     size_t max);

/* Seconds until the client certificate of the kubeconfig text (users[0].client-certificate-data, PEM or DER)
 * expires (0 when already expired), or -1 when it has none or it cannot be read. Thread-safe. */
double mc_kubeconfig_cert_left_s(const char *kubeconfig, size_t len);
/* How long before a client certificate's expiry its credentials are listed again. */
#define MC_KC_CERT_MARGIN_S (7.0 * 86400.0)
/* kubeconfigRefreshInterval's default: AKS client certificates live for years (CAPZ re-lists on every reconcile). */
#define MC_KC_REFRESH_DEFAULT_S 86400.0

/* ARM client for the AMCP's identityRef (allowedNamespaces enforced; secrets never logged). The client is
 * owned by the state's session cache and lives for the process. */
int mc_arm_for(mc_state *s, capz_ctx *ctx, const cJSON *amcp, capz_arm_client **arm, capz_err *err);
/* ARM client from an ASO credential Secret (see session.c); *sub receives its subscription. */
int mc_arm_for_aso(mc_state *s, capz_ctx *ctx, const char *ns, const cJSON *res, capz_arm_client **arm, char *sub,
                   size_t sub_n, capz_err *err);

/* An ASO credential Secret's values (subscription, tenant, client, secret, AUTH_MODE) and the identity built from
 * them (pointing into vals); wipe with mc_aso_cred_wipe. */
typedef struct mc_aso_cred {
  unsigned char *vals[5];
  size_t lens[5];
  capz_az_identity id;
} mc_aso_cred;
int mc_aso_cred_read(capz_ctx *ctx, const char *ns, const cJSON *res, mc_aso_cred *c, capz_err *err);
void mc_aso_cred_wipe(mc_aso_cred *c);

/* ---- helpers (util.c) ---- */
/* Outcome for an SDK error code: EINVAL → TERMINAL, else RETRY. */
capz_outcome mc_outcome_for(int code, bool deleting);
/* The AMMPs of a cluster (via its MachinePools' infrastructureRefs): array of {ammp, machinePool} copies. */
cJSON *mc_cluster_pools(capz_ctx *ctx, const char *ns, const char *cluster);

/* ---- AKS reads shared by both APIs (pools_arm.c) ---- */
/* ---- workload-cluster Secrets (kubeconfig.c) ---- */
typedef struct mc_kc_req {
  const char *mc_id, *api;      /* the managedCluster and the api-version its actions use */
  const char *cluster;          /* Cluster name: Secret names and the cluster-name label */
  const char *owner_kind, *owner_uid; /* controller ownerRef (name = the reconciled key's) */
  const cJSON *amcp;            /* AMCP whose identityRef gets the injected token, or */
  const cJSON *aso_res;         /* the ASO ManagedCluster whose ASO credential gets it; both NULL = never inject */
  bool aad;                     /* aadProfile.managed: also <cluster>-kubeconfig-user */
  bool local_disabled;          /* disableLocalAccounts: <cluster>-kubeconfig from the user credentials */
  bool ca;                      /* also <cluster>-ca */
  const char *cluster_info_host; /* also kube-public/cluster-info in the workload cluster (server https://host:443);
                                  * NULL = not */
} mc_kc_req;
/* The workload-cluster Secrets (kubeconfig.c, kc_verify.c): index into MC_KC_SUFFIX. */
enum { MC_KC_MAIN, MC_KC_USER, MC_KC_CA, MC_KC_N };
extern const char *const MC_KC_SUFFIX[MC_KC_N]; /* "-kubeconfig", "-kubeconfig-user", "-ca" */
#define MC_KC_SHA_LEN 32
/* How long our own write may take to show in the informer cache before its absence counts as a deletion. */
#define MC_KC_PENDING_S 10.0
/* One Secret as we last wrote it (or found it after a restart): a SHA-256 of its data, never the data. */
typedef struct mc_kc_rec {
  unsigned char sha[MC_KC_SHA_LEN];
  bool have;      /* sha is known */
  bool seen;      /* the informer cache has shown it since it was written */
  double written; /* monotonic seconds of the write */
} mc_kc_rec;
typedef struct mc_kc_bad {
  int which;       /* MC_KC_* */
  const char *why; /* static text: "missing", "changed", ... (never content) */
} mc_kc_bad;
/* SHA-256 of a Secret's data object (key order ignored). Thread-safe. */
void mc_kc_data_sha(const cJSON *data, unsigned char out[MC_KC_SHA_LEN]);
/* The Secret carries the cluster-name label and a controller ownerRef to r->owner_uid. */
bool mc_kc_secret_ours(const cJSON *secret, const mc_kc_req *r);
/* Check the cluster's Secrets (those r asks for) in the informer cache against rec: a Secret that is missing,
 * changed or no longer ours goes into bad (up to MC_KC_N entries; may be NULL) and is counted in the result. A
 * Secret without a record is adopted when it is ours. A write not yet visible in the cache counts as fine for
 * MC_KC_PENDING_S (*pending_s: the shortest time left, 0 when none). A problem the cache shows with a Secret that has
 * a record is confirmed with one GET first (none otherwise). No ARM request, no write. Call from the reconcile thread
 * of the cluster's control plane. */
size_t mc_kc_verify(capz_ctx *ctx, const mc_kc_req *r, mc_kc_rec rec[MC_KC_N], double now, mc_kc_bad *bad,
                    double *pending_s);

mc_kc_sched *mc_kc_sched_new(void);
void mc_kc_sched_free(mc_kc_sched *k);
/* Bring the cluster's kubeconfig Secrets up to date when they are due (see kubeconfig.c for the policy); ARM
 * is not called otherwise. *next_s: seconds until the next refresh is due (the caller requeues no later). */
int mc_kubeconfig_sync(mc_state *s, capz_ctx *ctx, capz_arm_client *arm, const mc_kc_req *r, double *next_s,
                       capz_err *err);
/* Drop the cluster's schedule entry / delete its three Secrets (deletion). */
void mc_kubeconfig_forget(mc_state *s, const char *ns, const char *cluster);
void mc_kubeconfig_delete(capz_ctx *ctx, const char *ns, const char *cluster);
/* ConfigMap kube-public/cluster-info in the workload cluster reached through kubeconfig (text): a kubeconfig with
 * the cluster's CA and server https://host:port only; written when missing or different (cluster_info.c). */
int mc_cluster_info_ensure(const char *kubeconfig, size_t len, const char *host, int port, capz_err *err);
/* An Entra token for the AKS AAD server application with the AMCP's identity (aks_token.c, through the SDK's
 * per-scope token cache): *token malloc'ed (capz_az_token_free); *exp when it expires and *refresh from when on a
 * new one is handed out (Unix seconds). */
int mc_aks_token(mc_state *s, capz_ctx *ctx, const cJSON *amcp, char **token, int64_t *exp, int64_t *refresh,
                 capz_err *err);
/* The same with the ASO credential of an embedded ASO resource (AzureASOManagedControlPlane). */
int mc_aks_token_aso(mc_state *s, capz_ctx *ctx, const char *ns, const cJSON *res, char **token, int64_t *exp,
                     int64_t *refresh, capz_err *err);
/* Sorted providerIDs (azure:// + instance id, RG lower-cased) of the VMSS tagged aks-managed-poolName=pool in
 * node_rg, as a new array. ENOTFOUND while the scale set does not exist. */
int mc_pool_provider_ids(capz_arm_client *arm, const char *sub, const char *node_rg, const char *pool, cJSON **out,
                         capz_err *err);

/* Delete the fleet member / extensions an AMCP had (annotation capz-c.io/azure-addons) that its table t no longer
 * has, then record t's; *in_progress while a delete runs (amcp_addons_gc.c). No request when nothing changed. */
int mc_amcp_addons_gc(mc_state *s, capz_ctx *ctx, capz_arm_client *arm, const cJSON *amcp, const capz_arm_table *t,
                      bool *in_progress, capz_err *err);

/* ---- controllers ---- */
capz_outcome mc_amcp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome mc_amc_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome mc_asocp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome mc_asomc_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome mc_asomp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome mc_ammp_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);

#endif
