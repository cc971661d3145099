/* plugin.c — the managedcluster plugin's descriptor (ABI v1), config schema, init/shutdown and admission hooks.
 * Controllers: AzureManagedControlPlane, AzureManagedCluster, AzureManagedMachinePool (AKS through ARM directly,
 * no Azure Service Operator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "mc_api.h"
#include "mc_plugin.h"

#define CFG(k, t, d, desc) static const capz_cfg_field cfg_##k = {sizeof(capz_cfg_field), #k, t, d, desc};
CFG(kubeconfigRefreshInterval, CAPZ_CFG_DURATION, "24h",
    "how often a cluster's admin/user credentials are listed again to refresh its kubeconfig Secrets (one ARM POST "
    "per cluster each time; 0 = 24h). Also a week before the kubeconfig's client certificate expires; injected tokens "
    "are refreshed before they expire regardless")
/* the cloud and interval keys every Azure plugin takes (capz/azure_session.h), then this plugin's own */
static const capz_cfg_field *const schema[] = {&capz_az_cfg_azure_environment, &capz_az_cfg_arm_endpoint,
                                               &capz_az_cfg_authority_host,    &capz_az_cfg_imds_endpoint,
                                               &capz_az_cfg_token_audience,    &capz_az_cfg_drift_interval,
                                               &capz_az_cfg_poll_interval,     &capz_az_cfg_ensure_capacity,
                                               &capz_az_cfg_drift_reads_per_second, &cfg_kubeconfigRefreshInterval,
                                               NULL};

static int init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  mc_state *s = calloc(1, sizeof *s);
  if (!s) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  capz_az_plugin_env env;
  capz_az_plugin_env_opts o = {.plugin_name = "managedcluster", .user_agent = "capz-c/managedcluster"};
  int rc = capz_az_plugin_env_init(cfg, &o, &env, err);
  if (rc) {
    free(s);
    return rc;
  }
  s->cloud = env.cloud;
  s->drift_interval_s = env.drift_interval_s;
  s->poll_floor_s = env.poll_floor_s;
  s->ensurer = env.ensurer;
  s->sessions = env.sessions;
  s->kc_refresh_s = (double)capz_plugin_config_duration_ms(cfg, "kubeconfigRefreshInterval") / 1000.0;
  if (s->kc_refresh_s <= 0) s->kc_refresh_s = MC_KC_REFRESH_DEFAULT_S;
  s->kc_sched = mc_kc_sched_new();
  s->cluster_ops = mc_cluster_ops_new();
  s->pool_waiters = mc_waiters_new();
  s->amcp_waiters = mc_waiters_new();
  s->asocp_waiters = mc_waiters_new();
  if (!s->kc_sched || !s->cluster_ops || !s->pool_waiters || !s->amcp_waiters || !s->asocp_waiters) {
    mc_kc_sched_free(s->kc_sched);
    mc_cluster_ops_free(s->cluster_ops);
    mc_waiters_free(s->pool_waiters);
    mc_waiters_free(s->amcp_waiters);
    mc_waiters_free(s->asocp_waiters);
    capz_az_plugin_env_free(&env);
    free(s);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  *state = s;
  return 0;
}

static void shutdown_plugin(void *state) {
  mc_state *s = state;
  if (!s) return;
  capz_az_sessions_free(s->sessions);
  capz_arm_ensurer_free(s->ensurer);
  mc_kc_sched_free(s->kc_sched);
  mc_cluster_ops_free(s->cluster_ops);
  mc_waiters_free(s->pool_waiters);
  mc_waiters_free(s->amcp_waiters);
  mc_waiters_free(s->asocp_waiters);
  free(s);
}

static int amcp_default(void *st, cJSON *obj, capz_err *err) {
  (void)st;
  return mc_amcp_default(obj, err);
}
static int amcp_validate(void *st, const cJSON *obj, const cJSON *old, capz_err *err) {
  (void)st;
  char msg[CAPZ_ERR_MSG_MAX];
  return mc_amcp_validate(obj, old, msg, sizeof msg) ? capz_err_set(err, CAPZ_EINVAL, "%s", msg) : 0;
}
static int ammp_default(void *st, cJSON *obj, capz_err *err) {
  (void)st;
  return mc_ammp_default(obj, err);
}
static int ammp_validate(void *st, const cJSON *obj, const cJSON *old, capz_err *err) {
  (void)st;
  char msg[CAPZ_ERR_MSG_MAX];
  return mc_ammp_validate(obj, old, msg, sizeof msg) ? capz_err_set(err, CAPZ_EINVAL, "%s", msg) : 0;
}

/* AMCP → its AzureManagedCluster: the Cluster owning the AMCP names it (template convention: same name). */
static size_t amcp_to_amc(void *state, const cJSON *amcp, capz_key *out, size_t max) {
  (void)state;
  const char *c = capz_owner_ref_name(amcp, "cluster.x-k8s.io", "Cluster");
  if (!c || max < 1) return 0;
  snprintf(out[0].ns, sizeof out[0].ns, "%s", capz_json_ptr_str(amcp, "/metadata/namespace", ""));
  snprintf(out[0].name, sizeof out[0].name, "%s", c);
  return 1;
}

#define GVK_CLUSTER {"cluster.x-k8s.io", "v1beta1", "Cluster", "clusters", true}
#define GVK_MACHINEPOOL {"cluster.x-k8s.io", "v1beta1", "MachinePool", "machinepools", true}
#define GVK_AMCP {MC_GROUP, "v1beta1", "AzureManagedControlPlane", "azuremanagedcontrolplanes", true}
#define W(name, G, K, P, F) \
  static const capz_watch name = {.struct_size = sizeof(capz_watch), .gvk = G, .map_kind = K, .path = P, .map = F};
W(w_cluster_amcp, GVK_CLUSTER, CAPZ_MAP_REF_FIELD, "/spec/controlPlaneRef", NULL)
W(w_cluster_amc, GVK_CLUSTER, CAPZ_MAP_REF_FIELD, "/spec/infrastructureRef", NULL)
W(w_amcp_amc, GVK_AMCP, CAPZ_MAP_FUNC, NULL, amcp_to_amc)
/* MachinePool → its infrastructure pool (the AMMP / ASO pool controllers; the reference's kind must be theirs). */
W(w_mp_ammp, GVK_MACHINEPOOL, CAPZ_MAP_REF_FIELD, "/spec/template/spec/infrastructureRef", NULL)

/* AzureClusterIdentity → the AMCPs whose spec.identityRef names it: an AMCP that failed because its identity was
 * missing or wrong (terminal for a denied namespace or a bad spec) runs again as soon as the identity is created or
 * fixed. The ASO API has no identityRef (its credentials are ASO Secrets), so it has no such watch. */
#define GVK_IDENTITY {MC_GROUP, "v1beta1", "AzureClusterIdentity", "azureclusteridentities", true}
W(w_identity_amcp, GVK_IDENTITY, CAPZ_MAP_REFERENCED_BY, "/spec/identityRef", NULL)

#define GVK_ASOCP {MC_GROUP, "v1beta1", "AzureASOManagedControlPlane", "azureasomanagedcontrolplanes", true}
W(w_asocp_asomc, GVK_ASOCP, CAPZ_MAP_FUNC, NULL, amcp_to_amc)

/* AMCP / Cluster → the cluster's AzureManagedMachinePools (CAPZ's AzureManagedControlPlaneToAzureManagedMachinePools
 * and ClusterToObjectsMapper): the AMMPs labelled cluster.x-k8s.io/cluster-name=<name> (CAPI labels every
 * infrastructure pool; AKS templates name the AMCP after its Cluster). A pool waiting for its control plane starts
 * as soon as the AMCP is initialized, with no polling (at 6,000 pools the 5 s poll was ~99,000 idle reconciles). */
#define MC_CLUSTER_LABEL_PTR "/metadata/labels/cluster.x-k8s.io~1cluster-name"
W(w_amcp_ammp, GVK_AMCP, CAPZ_MAP_REFERENCED_BY, MC_CLUSTER_LABEL_PTR, NULL)
W(w_cluster_ammp, GVK_CLUSTER, CAPZ_MAP_REFERENCED_BY, MC_CLUSTER_LABEL_PTR, NULL)

/* AMMP → the pools of the same cluster (cluster-name label) kept as its last System pool: a second System pool
 * appearing (or any sibling changing) releases them at once instead of a 5 s poll per kept pool. The AMMP
 * controller watches its own kind here; without a watch-filter the runtime shares the primary informer. */
static size_t ammp_to_waiting_siblings(void *state, const cJSON *ammp, capz_key *out, size_t max) {
  mc_state *s = state;
  const char *cluster = capz_json_ptr_str(ammp, MC_CLUSTER_LABEL_PTR, NULL);
  if (!s || !cluster) return 0;
  return mc_waiters_of(s->pool_waiters, capz_json_ptr_str(ammp, "/metadata/namespace", ""), cluster,
                            capz_json_ptr_str(ammp, "/metadata/name", ""), out, max);
}
#define GVK_AMMP {MC_GROUP, "v1beta1", "AzureManagedMachinePool", "azuremanagedmachinepools", true}
W(w_ammp_waiters, GVK_AMMP, CAPZ_MAP_FUNC, NULL, ammp_to_waiting_siblings)

/* A cluster's pools → its control plane while that waits for them before creating the managedCluster (a System
 * AMMP; for the ASO API, its AzureASOManagedMachinePools): only control planes recorded as waiting are woken
 * (mc_plugin.h, waiters), so pool changes of running clusters cost nothing, and the wait needs no poll. The
 * infrastructure pool names its cluster by the cluster-name label CAPI sets (without it: every waiter of the
 * namespace); the MachinePool by spec.clusterName, since the control plane reads both. */
static size_t waiting_of(mc_waiters *w, const cJSON *o, const char *cluster, capz_key *out, size_t max) {
  return mc_waiters_of(w, capz_json_ptr_str(o, "/metadata/namespace", ""), cluster, NULL, out, max);
}
static size_t pool_to_waiting_amcp(void *state, const cJSON *pool, capz_key *out, size_t max) {
  mc_state *s = state;
  return s ? waiting_of(s->amcp_waiters, pool, capz_json_ptr_str(pool, MC_CLUSTER_LABEL_PTR, NULL), out, max) : 0;
}
static size_t mp_to_waiting_amcp(void *state, const cJSON *mp, capz_key *out, size_t max) {
  mc_state *s = state;
  const char *cluster = capz_json_ptr_str(mp, "/spec/clusterName", NULL);
  return s && cluster ? waiting_of(s->amcp_waiters, mp, cluster, out, max) : 0;
}
static size_t pool_to_waiting_asocp(void *state, const cJSON *pool, capz_key *out, size_t max) {
  mc_state *s = state;
  return s ? waiting_of(s->asocp_waiters, pool, capz_json_ptr_str(pool, MC_CLUSTER_LABEL_PTR, NULL), out, max) : 0;
}
static size_t mp_to_waiting_asocp(void *state, const cJSON *mp, capz_key *out, size_t max) {
  mc_state *s = state;
  const char *cluster = capz_json_ptr_str(mp, "/spec/clusterName", NULL);
  return s && cluster ? waiting_of(s->asocp_waiters, mp, cluster, out, max) : 0;
}
#define GVK_ASOMP {MC_GROUP, "v1beta1", "AzureASOManagedMachinePool", "azureasomanagedmachinepools", true}
W(w_ammp_amcp, GVK_AMMP, CAPZ_MAP_FUNC, NULL, pool_to_waiting_amcp)
W(w_mp_amcp, GVK_MACHINEPOOL, CAPZ_MAP_FUNC, NULL, mp_to_waiting_amcp)
W(w_asomp_asocp, GVK_ASOMP, CAPZ_MAP_FUNC, NULL, pool_to_waiting_asocp)
W(w_mp_asocp, GVK_MACHINEPOOL, CAPZ_MAP_FUNC, NULL, mp_to_waiting_asocp)

/* The workload-cluster Secrets (<cluster>-kubeconfig, -kubeconfig-user, -ca) → their control plane through the
 * controller ownerRef: a deleted or edited one is put back at once (kc_verify.c), as CAPZ does on every reconcile.
 * The label selector is the one selfmanaged uses for bootstrap Secrets, so both plugins share one informer; only
 * Secrets labelled with a cluster name are cached, never every Secret of the management cluster. */
#define GVK_SECRET {"", "v1", "Secret", "secrets", true}
static const capz_watch w_secret_cp = {.struct_size = sizeof(capz_watch), .gvk = GVK_SECRET,
                                       .map_kind = CAPZ_MAP_OWNER, .label_selector = MC_LABEL_CLUSTER_NAME};

/* The AMCP does not take w_mp_ammp: a MachinePool references an AMMP, never an AMCP, so that mapping's kind check
 * never matched for it; w_ammp_amcp / w_mp_amcp are what wake it. */
static const capz_watch *const amcp_watches[] = {&w_cluster_amcp, &w_ammp_amcp,  &w_mp_amcp,
                                                 &w_identity_amcp, &w_secret_cp, NULL};
static const capz_watch *const amc_watches[] = {&w_cluster_amc, &w_amcp_amc, NULL};
static const capz_watch *const ammp_watches[] = {&w_mp_ammp, &w_amcp_ammp, &w_cluster_ammp, &w_ammp_waiters, NULL};
static const capz_watch *const asomp_watches[] = {&w_mp_ammp, NULL};
static const capz_watch *const asocp_watches[] = {&w_cluster_amcp, &w_asomp_asocp, &w_mp_asocp, &w_secret_cp, NULL};
static const capz_watch *const asomc_watches[] = {&w_cluster_amc, &w_asocp_asomc, NULL};

static const capz_controller c_amcp = {
    .struct_size = sizeof(capz_controller),
    .primary = GVK_AMCP,
    .secondaries = amcp_watches,
    .reconcile = mc_amcp_reconcile,
    .defaulter = amcp_default,
    .validator = amcp_validate,
};
static const capz_controller c_amc = {
    .struct_size = sizeof(capz_controller),
    .primary = {MC_GROUP, "v1beta1", "AzureManagedCluster", "azuremanagedclusters", true},
    .secondaries = amc_watches,
    .reconcile = mc_amc_reconcile,
    .default_workers = 2,
};
static const capz_controller c_ammp = {
    .struct_size = sizeof(capz_controller),
    .primary = GVK_AMMP,
    .secondaries = ammp_watches,
    .reconcile = mc_ammp_reconcile,
    .defaulter = ammp_default,
    .validator = ammp_validate,
};
/* The ASO API (AzureASOManaged*): embedded ASO objects translated to ARM, no ASO needed. */
static const capz_controller c_asocp = {
    .struct_size = sizeof(capz_controller),
    .primary = GVK_ASOCP,
    .secondaries = asocp_watches,
    .reconcile = mc_asocp_reconcile,
};
static const capz_controller c_asomc = {
    .struct_size = sizeof(capz_controller),
    .primary = {MC_GROUP, "v1beta1", "AzureASOManagedCluster", "azureasomanagedclusters", true},
    .secondaries = asomc_watches,
    .reconcile = mc_asomc_reconcile,
    .default_workers = 2,
};
static const capz_controller c_asomp = {
    .struct_size = sizeof(capz_controller),
    .primary = GVK_ASOMP,
    .secondaries = asomp_watches,
    .reconcile = mc_asomp_reconcile,
};
static const capz_controller *const controllers[] = {&c_amcp, &c_amc, &c_ammp, &c_asocp, &c_asomc, &c_asomp, NULL};

static const capz_plugin plugin = {
    .abi_major = CAPZ_ABI_MAJOR,
    .abi_minor = CAPZ_ABI_MINOR,
    .struct_size = sizeof(capz_plugin),
    .name = "managedcluster",
    .version = "0.1.0",
    .description = "AKS clusters and node pools through ARM (AzureManagedControlPlane, AzureManagedCluster, "
                   "AzureManagedMachinePool and the AzureASOManaged* API)",
    .config_schema = schema,
    .controllers = controllers,
    .init = init,
    .shutdown = shutdown_plugin,
};

CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &plugin; }
