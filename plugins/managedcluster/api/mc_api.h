/* mc_api.h — the managed-AKS API library: defaults, validation, ARM request bodies and ASO patch translation for
 * AzureManagedControlPlane (AMCP) and AzureManagedMachinePool (AMMP). Pure functions of their inputs (no I/O), so
 * the admission webhooks, the reconcilers and the unit tests share them.
 *
 * Ownership: functions returning cJSON * return a new tree the caller frees; inputs are only read unless the
 * parameter is named `obj` and documented as modified in place. Thread-safety: reentrant.
 */
#ifndef MC_API_H
#define MC_API_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>
#include "capz/err.h"

#define MC_API_STABLE "2025-08-01"          /* ASO containerservice v1api20250801 */
#define MC_API_PREVIEW "2025-10-02-preview" /* ASO v20251002preview (enablePreviewFeatures) */
#define MC_API_FLEET "2025-03-01"           /* ASO containerservice v1api20250301 FleetsMember */
#define MC_API_EXTENSIONS "2023-05-01"      /* ASO kubernetesconfiguration v1api20230501 Extension */

/* ---- defaults (obj modified in place; idempotent: a second call changes nothing) ---- */
/* AMCP: sku tier, network plugin, LB SKU, identity, dnsPrefix, nodeResourceGroupName, virtualNetwork and its
 * subnet, v-prefixed version. */
int mc_amcp_default(cJSON *obj, capz_err *err);
/* AMMP: spec.name (= metadata.name), osType, the agentpoolmode label. */
int mc_ammp_default(cJSON *obj, capz_err *err);

/* ---- validation: 0 when valid, else the number of problems, described in msg ("spec.x: ...; ...") ---- */
int mc_amcp_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);
int mc_ammp_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

/* ---- ClusterClass templates (AzureManaged*Template; obj is the template object, spec.template.spec) ---- */
/* AMCP template: networkPlugin azure, loadBalancerSKU Standard, sku tier, enablePreviewFeatures false, v-prefixed
 * version, VNet / subnet CIDRs when the template names them (names are never defaulted: without one every cluster
 * of the class gets its own VNet). */
int mc_amcpt_default(cJSON *obj, capz_err *err);
/* AMMP template: osType Linux. */
int mc_ammpt_default(cJSON *obj, capz_err *err);
/* Create: the AMCP/AMMP rules that do not depend on the generated object; update: the template's immutable
 * fields. Same return convention as mc_amcp_validate. */
int mc_amcpt_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);
int mc_ammpt_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);
/* AzureManagedClusterTemplate: spec.template.spec must be empty (CAPZ: no fields). */
int mc_amct_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

/* ---- fleet membership and AKS extensions (mc_addons.c) ---- */
/* Defaults: fleetsMember.name from the cluster-name label, extension plan name "<name>-<product>". */
int mc_addons_default(cJSON *obj, capz_err *err);
typedef void (*mc_problem_fn)(void *ud, const char *fmt, ...) CAPZ_PRINTF(2, 3);
/* Rules for spec.fleetsMember and spec.extensions[] (required fields, name formats, version/releaseTrain vs
 * autoUpgradeMinorVersion, scope, immutable fields on update); each problem reported through add. */
void mc_addons_validate(const cJSON *obj, const cJSON *old, mc_problem_fn add, void *ud);
/* The fleet member's Azure name: spec.fleetsMember.name, else the cluster-name label, else cluster. Borrowed. */
const char *mc_fleet_member_name(const cJSON *amcp, const char *cluster);
/* The member's ID into id and its PUT body {properties:{clusterResourceId, group (default "default")}}; NULL
 * (id "") when the AMCP has no fleetsMember. */
cJSON *mc_fleet_member_body(const cJSON *amcp, const char *mc_id, const char *cluster, char *id, size_t n);
/* One spec.extensions[] entry as a Microsoft.KubernetesConfiguration/extensions PUT body (identity, plan,
 * properties: extensionType, autoUpgradeMinorVersion, releaseTrain, version, configurationSettings, scope,
 * aksAssignedIdentity). NULL when the entry has no name. */
cJSON *mc_extension_body(const cJSON *ext);

/* ---- kubeconfigs (mc_kubeconfig.c); results hold credentials: wipe before free ---- */
/* The kubeconfig (YAML or JSON text) with every user's exec plugin removed and `token` set: new malloc'ed JSON
 * text (JSON is YAML, so any kubeconfig reader takes it). NULL when malformed or it has no users. */
char *mc_kubeconfig_with_token(const char *kubeconfig, size_t len, const char *token);
/* certificate-authority-data (base64, as stored) of the current context's cluster, else the first cluster's:
 * malloc'ed, "" when there is none; NULL when malformed. */
char *mc_kubeconfig_ca_b64(const char *kubeconfig, size_t len);
/* Overwrite every string in a cJSON tree (siblings included) with zeros, before freeing secrets. */
void mc_json_wipe(cJSON *j);

/* ---- names and IDs ---- */
/* Kubernetes version without the leading "v" (into out). */
void mc_version_plain(const char *v, char *out, size_t n);
/* Semantic version compare of "v1.2.3"/"1.2" strings: <0, 0, >0. */
int mc_version_cmp(const char *a, const char *b);
/* The subnet ID the AMCP's pools attach to ("" when the AMCP has no virtualNetwork). */
void mc_subnet_id(const cJSON *amcp, char *out, size_t n);

/* ---- ARM bodies ---- */
/* One pool as ARM agentPool properties (the PUT body's "properties", and with "name" an agentPoolProfiles entry).
 * ammp: the (defaulted) AMMP; replicas: MachinePool.spec.replicas; version: the MachinePool version (may be NULL);
 * subnet_id: from mc_subnet_id (may be ""). */
cJSON *mc_agentpool_properties(const cJSON *ammp, long replicas, const char *version, const char *subnet_id);
/* The agentPool PUT body {"properties": ...} with the AMMP's asoManagedClustersAgentPoolPatches applied.
 * NULL with err for a malformed patch. */
cJSON *mc_agentpool_body(const cJSON *ammp, long replicas, const char *version, const char *subnet_id,
                         capz_err *err);
/* The managedCluster PUT body from the (defaulted) AMCP and its Cluster (clusterNetwork CIDRs; may be NULL).
 * pools: array of agentPoolProfiles entries (each with "name") added at creation, or NULL afterwards. Applies the
 * asoManagedClusterPatches. NULL with err for a malformed patch. */
cJSON *mc_managedcluster_body(const cJSON *amcp, const cJSON *cluster, const cJSON *pools, capz_err *err);

/* ---- ASO → ARM: translate an ASO resource spec (merge patch) into the ARM body shape ---- */
typedef enum mc_aso_kind { MC_ASO_MANAGED_CLUSTER = 1, MC_ASO_AGENT_POOL = 2 } mc_aso_kind;
/* New tree: the ARM-shaped merge patch for an ASO-shaped one (see docs/managedcluster.md for the mapping). */
cJSON *mc_aso_to_arm(const cJSON *aso_spec, mc_aso_kind kind);
/* Apply patches (array of strings, each a JSON or YAML merge patch on the ASO resource — whole object with
 * "spec", or the spec itself) in order onto body (modified in place). */
int mc_aso_patches_apply(cJSON *body, const cJSON *patches, mc_aso_kind kind, capz_err *err);

#endif
