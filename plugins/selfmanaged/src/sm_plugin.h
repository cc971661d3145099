/* sm_plugin.h — internal interface of the selfmanaged plugin (AzureCluster, AzureMachine, AzureClusterIdentity,
 * AzureMachineTemplate). Nothing here is exported: the plugin's only exported symbol is capz_plugin_v1.
 *
 * Shape: each controller builds an ordered table of Azure resources (capz/azure_table.h) from the defaulted object and
 * hands it to the SDK's ensure/delete; the controllers only add Kubernetes-side bookkeeping (finalizers,
 * conditions, events, status).
 * Thread-safety: sm_state is shared by every worker; its caches are mutex-guarded.
 */
#ifndef SM_PLUGIN_H
#define SM_PLUGIN_H

#include <pthread.h>
#include <cJSON.h>

#include "capz/azure.h"
#include "capz/azure_session.h"
#include "capz/azure_table.h"
#include "capz/controller.h"
#include "capz/controller_util.h"
#include "capz/plugin.h"

#define SM_GROUP "infrastructure.cluster.x-k8s.io"
#define SM_CLUSTER_FINALIZER "azurecluster.infrastructure.cluster.x-k8s.io"
#define SM_MACHINE_FINALIZER "azuremachine.infrastructure.cluster.x-k8s.io"
#define SM_LABEL_CLUSTER_NAME "cluster.x-k8s.io/cluster-name"

extern const capz_gvk SM_GVK_AZURECLUSTER, SM_GVK_AZUREMACHINE, SM_GVK_IDENTITY, SM_GVK_MACHINETEMPLATE,
    SM_GVK_CLUSTER, SM_GVK_MACHINE, SM_GVK_SECRET;

typedef struct sm_sku_cache sm_sku_cache;
typedef struct sm_vm_checks sm_vm_checks;

/* How long a user-assigned identity found by a GET counts as present for other machines' checks. A deletion in
 * that window still fails the VM's PUT, with ARM's own error. */
#define SM_IDENTITY_SEEN_S 60.0

typedef struct sm_state {
  capz_az_cloud cloud;
  char cloud_env[64];           /* azureEnvironment name the cloud came from */
  capz_arm_ensurer *ensurer;
  double drift_interval_s;
  double poll_floor_s;          /* smallest requeue for an operation in progress */
  pthread_mutex_t mu;            /* guards skus */
  capz_az_sessions *sessions;   /* credential + ARM client per identity (and the configured default identity) */
  sm_sku_cache *skus;
  sm_vm_checks *vm_checks;      /* when each created VM is next read (vm_checks.c); NULL = read every reconcile */
  sm_vm_checks *identities_seen;/* user-assigned identities found lately, by ID (same table type): machines sharing
                                 * one identity check it once per SM_IDENTITY_SEEN_S, not on every pass; NULL = always */
} sm_state;

/* ---- Azure access for one AzureCluster ---- */
typedef struct sm_azure {
  capz_arm_client *arm; /* borrowed from the state's session cache; valid for the process */
  char subscription[64];
} sm_azure;

/* Build (or reuse) the ARM client for the AzureCluster `ac` (its identityRef, or the configured default
 * identity). Enforces allowedNamespaces (CAPZ_EFORBIDDEN, reason NamespaceNotAllowedByIdentity). Secrets
 * are read with the kube client and never logged. */
int sm_azure_for_cluster(sm_state *s, capz_ctx *ctx, const cJSON *ac, sm_azure *out, capz_err *err);

/* ---- resource SKUs (zones per region, VM size capabilities), cached per subscription+location ---- */
/* Zones of `location` ("1","2","3"...) as a new array (empty when the region has none). */
int sm_skus_zones(sm_state *s, capz_arm_client *arm, const char *sub, const char *location, cJSON **zones,
                  capz_err *err);
/* The SKU entry of a VM size (borrowed copy: caller frees with cJSON_Delete); ENOTFOUND when unknown. */
int sm_skus_vm(sm_state *s, capz_arm_client *arm, const char *sub, const char *location, const char *vm_size,
               cJSON **sku, capz_err *err);
/* A capability value of a SKU entry, or NULL. */
const char *sm_sku_capability(const cJSON *sku, const char *name);
void sm_skus_free(sm_sku_cache *c);

/* ---- small helpers (util.c) ---- */
/* Cluster API: infrastructure of the Cluster provisioned (v1beta2 initialization or v1beta1 status). */
bool sm_cluster_infra_ready(const cJSON *cluster);
/* clusterctl's move handshake: annotation clusterctl.cluster.x-k8s.io/block-move present (want) or absent. */
int sm_block_move(capz_ctx *ctx, const capz_gvk *gvk, const capz_key *key, const cJSON *obj, bool want, capz_err *err);
/* Add (or remove) the AzureCluster's finalizer on its AzureClusterIdentity. */
int sm_identity_finalizer(capz_ctx *ctx, const cJSON *ac, bool add, capz_err *err);
/* ---- the cloud provider's <name>-azure-json Secret (azure_json.c) ---- */
typedef struct sm_azure_json_in {
  capz_ctx *ctx;              /* the reconcile of the owner (AzureMachine or AzureMachineTemplate) */
  capz_arm_client *arm;       /* for the user-assigned identity's client ID */
  const char *ns;
  const char *owner_kind;     /* "AzureMachine" / "AzureMachineTemplate" */
  const char *owner_name, *owner_uid;
  const char *cluster_name;   /* the CAPI Cluster's name: label key `<cluster>: owned` */
  const cJSON *acd;           /* the defaulted AzureCluster */
  const cJSON *machine_spec;  /* the (defaulted) AzureMachineSpec */
} sm_azure_json_in;
/* Create or update the owner's <name>-azure-json Secret; a user's Secret of that name (without the owned label)
 * is left alone. Secret values never reach logs or err. 0 or an error (kube/ARM). */
int sm_azure_json_reconcile(const sm_azure_json_in *in, capz_err *err);

/* ---- converged objects: when to look again (drift_walk.c) ---- */
#define SM_DRIFT_REQUEUE_FLOOR_S 1.0
/* REQUEUE_AFTER for a converged object: next_drift_s (HUGE_VAL = no row seen) floored at 1 s, capped at the
 * drift interval, so drift is corrected within driftInterval without waiting for the host's resync. */
capz_outcome sm_drift_requeue(const sm_state *s, capz_result *res, double next_drift_s);

/* ---- created VMs: one read per drift interval (vm_checks.c); every call locks internally (any thread) ---- */
sm_vm_checks *sm_vm_checks_new(void);
void sm_vm_checks_free(sm_vm_checks *c);
/* Whether the VM (resource ID) is due for a read: true when never read or its time has come; else *left_s (may be
 * NULL) = seconds until it is. */
bool sm_vm_check_due(sm_vm_checks *c, const char *id, double *left_s);
/* The VM was just read and exists: next read in interval_s ± 10 %. */
void sm_vm_check_done(sm_vm_checks *c, const char *id, double interval_s);
void sm_vm_check_forget(sm_vm_checks *c, const char *id);

/* ---- controllers ---- */
capz_outcome sm_cluster_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome sm_machine_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome sm_identity_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);
capz_outcome sm_template_reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res);

#endif
