/* plugin.c — the selfmanaged plugin's descriptor (ABI v1), config schema, init/shutdown and admission hooks.
 * Controllers: AzureCluster, AzureMachine, AzureClusterIdentity, AzureMachineTemplate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "selfmanaged_api.h"
#include "sm_plugin.h"

/* ---- config: the cloud and interval keys every Azure plugin takes (capz/azure_session.h), then the default
 * identity ---- */
#define CFG(k, t, d, desc) \
  static const capz_cfg_field cfg_##k = {sizeof(capz_cfg_field), #k, t, d, desc};
CFG(tenantId, CAPZ_CFG_STRING, "", "default identity: tenant, used only for AzureClusters without identityRef")
CFG(clientId, CAPZ_CFG_STRING, "", "default identity: client id (empty = no default identity)")
CFG(clientSecretFile, CAPZ_CFG_STRING, "",
    "default identity: file holding the client secret (empty = workload identity token file)")
static const capz_cfg_field *const schema[] = {
    &capz_az_cfg_azure_environment, &capz_az_cfg_arm_endpoint, &capz_az_cfg_authority_host,
    &capz_az_cfg_imds_endpoint,     &capz_az_cfg_token_audience, &cfg_tenantId,
    &cfg_clientId,                  &cfg_clientSecretFile,       &capz_az_cfg_drift_interval,
    &capz_az_cfg_poll_interval,     &capz_az_cfg_ensure_capacity, &capz_az_cfg_drift_reads_per_second,
    NULL};

static int init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  sm_state *s = calloc(1, sizeof *s);
  if (!s) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  capz_az_plugin_env env;
  capz_az_plugin_env_opts o = {.plugin_name = "selfmanaged", .user_agent = "capz-c/selfmanaged",
                               .default_tenant_id = capz_plugin_config_str(cfg, "tenantId"),
                               .default_client_id = capz_plugin_config_str(cfg, "clientId"),
                               .default_secret_file = capz_plugin_config_str(cfg, "clientSecretFile")};
  int rc = capz_az_plugin_env_init(cfg, &o, &env, err);
  if (rc) {
    free(s);
    return rc;
  }
  s->cloud = env.cloud;
  snprintf(s->cloud_env, sizeof s->cloud_env, "%s", s->cloud.name);
  s->drift_interval_s = env.drift_interval_s;
  s->poll_floor_s = env.poll_floor_s;
  s->ensurer = env.ensurer;
  s->sessions = env.sessions;
  s->vm_checks = sm_vm_checks_new(); /* NULL (OOM) only costs a VM read per reconcile */
  s->identities_seen = sm_vm_checks_new();
  pthread_mutex_init(&s->mu, NULL);
  *state = s;
  return 0;
}

static void shutdown_plugin(void *state) {
  sm_state *s = state;
  if (!s) return;
  capz_az_sessions_free(s->sessions);
  sm_skus_free(s->skus);
  sm_vm_checks_free(s->vm_checks);
  sm_vm_checks_free(s->identities_seen);
  capz_arm_ensurer_free(s->ensurer);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* ---- admission hooks: the api library's defaults and validation ---- */
static int fmt_errs(int n, const char *msg, capz_err *err) {
  if (n <= 0) return 0;
  return capz_err_set(err, CAPZ_EINVAL, "%s", msg);
}

static int cluster_default(void *st, cJSON *obj, capz_err *err) {
  (void)st;
  return sm_azurecluster_default(obj, NULL, err);
}
static int cluster_validate(void *st, const cJSON *obj, const cJSON *old, capz_err *err) {
  (void)st;
  char msg[CAPZ_ERR_MSG_MAX];
  return fmt_errs(sm_azurecluster_validate(obj, old, msg, sizeof msg), msg, err);
}
static int machine_default(void *st, cJSON *obj, capz_err *err) {
  (void)st;
  return sm_azuremachine_default(obj, NULL, err);
}
static int machine_validate(void *st, const cJSON *obj, const cJSON *old, capz_err *err) {
  (void)st;
  char msg[CAPZ_ERR_MSG_MAX];
  return fmt_errs(sm_azuremachine_validate(obj, old, msg, sizeof msg), msg, err);
}
static int identity_validate(void *st, const cJSON *obj, const cJSON *old, capz_err *err) {
  (void)st;
  char msg[CAPZ_ERR_MSG_MAX];
  return fmt_errs(sm_azureclusteridentity_validate(obj, old, msg, sizeof msg), msg, err);
}
static int template_default(void *st, cJSON *obj, capz_err *err) {
  (void)st;
  return sm_azuremachinetemplate_default(obj, err);
}
static int template_validate(void *st, const cJSON *obj, const cJSON *old, capz_err *err) {
  (void)st;
  char msg[CAPZ_ERR_MSG_MAX];
  return fmt_errs(sm_azuremachinetemplate_validate(obj, old, msg, sizeof msg), msg, err);
}

/* ---- watches ---- */
#define GVK_CLUSTER {"cluster.x-k8s.io", "v1beta2", "Cluster", "clusters", true}
#define GVK_MACHINE {"cluster.x-k8s.io", "v1beta2", "Machine", "machines", true}
#define GVK_IDENTITY {SM_GROUP, "v1beta1", "AzureClusterIdentity", "azureclusteridentities", true}
#define GVK_SECRET {"", "v1", "Secret", "secrets", true}
#define GVK_AZURECLUSTER {SM_GROUP, "v1beta1", "AzureCluster", "azureclusters", true}
#define W(name_, gvk_, kind_, path_, sel_) \
  static const capz_watch name_ = {.struct_size = sizeof(capz_watch), .gvk = gvk_, .map_kind = kind_, \
                                   .path = path_, .label_selector = sel_};

/* Cluster → AzureCluster through spec.infrastructureRef (CAPI sets it; also covers pause flips). */
W(w_cluster_ac, GVK_CLUSTER, CAPZ_MAP_REF_FIELD, "/spec/infrastructureRef", NULL)
/* AzureClusterIdentity → the AzureClusters referencing it. */
W(w_identity_ac, GVK_IDENTITY, CAPZ_MAP_REFERENCED_BY, "/spec/identityRef", NULL)
/* Machine → AzureMachine through spec.infrastructureRef (bootstrap data name, failure domain, version). */
W(w_machine_am, GVK_MACHINE, CAPZ_MAP_REF_FIELD, "/spec/infrastructureRef", NULL)
/* Bootstrap data Secrets (CAPI labels them with the cluster name): cached, so reads cost no API call; only the
 * labelled ones are watched. They never map to a key themselves (the Machine's dataSecretName does). */
W(w_bootstrap_secrets, GVK_SECRET, CAPZ_MAP_OWNER, NULL, SM_LABEL_CLUSTER_NAME)
/* Cluster → AzureMachineTemplate (owner reference, set by clusterctl/topology). */
W(w_cluster_amt, GVK_CLUSTER, CAPZ_MAP_OWNER, NULL, NULL)
/* Cluster → the cluster's AzureMachines (CAPZ's ClusterToInfrastructureMapFunc): the AzureMachines labelled
 * cluster.x-k8s.io/cluster-name=<Cluster> (CAPI labels every infrastructure machine). A machine waiting for
 * Cluster.status infrastructure readiness starts as soon as CAPI reports it, with no polling. */
#define AM_CLUSTER_LABEL_PTR "/metadata/labels/cluster.x-k8s.io~1cluster-name"
W(w_cluster_am, GVK_CLUSTER, CAPZ_MAP_REFERENCED_BY, AM_CLUSTER_LABEL_PTR, NULL)
/* AzureCluster → the same AzureMachines (CAPZ's AzureClusterToAzureMachinesMapper), through the same label: an
 * AzureCluster named after its Cluster (every CAPZ flavor, clusterctl and ClusterClass topologies name it so).
 * An AzureCluster of another name reaches its machines through the Cluster watch once CAPI copies readiness. */
W(w_azurecluster_am, GVK_AZURECLUSTER, CAPZ_MAP_REFERENCED_BY, AM_CLUSTER_LABEL_PTR, NULL)

static const capz_watch *const ac_watches[] = {&w_cluster_ac, &w_identity_ac, NULL};
static const capz_watch *const am_watches[] = {&w_machine_am, &w_bootstrap_secrets, &w_cluster_am, &w_azurecluster_am,
                                               NULL};
static const capz_watch *const amt_watches[] = {&w_cluster_amt, NULL};

static const capz_controller c_cluster = {
    .struct_size = sizeof(capz_controller),
    .primary = GVK_AZURECLUSTER,
    .secondaries = ac_watches,
    .reconcile = sm_cluster_reconcile,
    .defaulter = cluster_default,
    .validator = cluster_validate,
};
static const capz_controller c_machine = {
    .struct_size = sizeof(capz_controller),
    .primary = {SM_GROUP, "v1beta1", "AzureMachine", "azuremachines", true},
    .secondaries = am_watches,
    .reconcile = sm_machine_reconcile,
    .defaulter = machine_default,
    .validator = machine_validate,
};
static const capz_controller c_identity = {
    .struct_size = sizeof(capz_controller),
    .primary = GVK_IDENTITY,
    .reconcile = sm_identity_reconcile,
    .default_workers = 2,
    .validator = identity_validate,
};
static const capz_controller c_template = {
    .struct_size = sizeof(capz_controller),
    .primary = {SM_GROUP, "v1beta1", "AzureMachineTemplate", "azuremachinetemplates", true},
    .secondaries = amt_watches,
    .reconcile = sm_template_reconcile,
    .default_workers = 2,
    .defaulter = template_default,
    .validator = template_validate,
};
static const capz_controller *const controllers[] = {&c_cluster, &c_machine, &c_identity, &c_template, NULL};

static const capz_plugin plugin = {
    .abi_major = CAPZ_ABI_MAJOR,
    .abi_minor = CAPZ_ABI_MINOR,
    .struct_size = sizeof(capz_plugin),
    .name = "selfmanaged",
    .version = "0.1.0",
    .description = "self-managed Kubernetes clusters on Azure VMs (AzureCluster, AzureMachine, AzureClusterIdentity, "
                   "AzureMachineTemplate)",
    .config_schema = schema,
    .controllers = controllers,
    .init = init,
    .shutdown = shutdown_plugin,
};

CAPZ_PLUGIN_EXPORT const capz_plugin *CAPZ_PLUGIN_ENTRY(void) { return &plugin; }
