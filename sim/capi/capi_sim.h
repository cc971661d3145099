/* capi_sim.h — shared state and helpers of capz-capi-sim, the test double of Cluster API core.
 *
 * Design: one shared informer per watched kind (CAPI kinds and the provider's infrastructure kinds), one work
 * queue and one worker thread per reconciled kind. Every event on any watched object queues the object itself
 * (when its kind is reconciled), each of its owners of a reconciled kind, and its Cluster (label
 * cluster.x-k8s.io/cluster-name). Reconcilers read the informer caches and write merge patches; a write is
 * skipped when it would change nothing, so events settle.
 *
 * Ownership: every cJSON * returned by a helper is the caller's to cJSON_Delete unless marked borrowed.
 * Thread-safety: helpers may be called from any worker thread; the sim struct is immutable after start.
 */
#ifndef CAPI_SIM_H
#define CAPI_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "capz/conditions.h"
#include "capz/events.h"
#include "capz/informer.h"
#include "capz/json.h"
#include "capz/kube.h"
#include "capz/log.h"
#include "capz/workqueue.h"

/* Well-known Cluster API names (the contract the provider depends on). */
#define CAPI_GROUP "cluster.x-k8s.io"
#define CAPI_V1B1 "cluster.x-k8s.io/v1beta1"
#define BOOTSTRAP_V1B1 "bootstrap.cluster.x-k8s.io/v1beta1"
#define CONTROLPLANE_V1B1 "controlplane.cluster.x-k8s.io/v1beta1"
#define L_CLUSTER_NAME "cluster.x-k8s.io/cluster-name"
#define L_CONTROL_PLANE "cluster.x-k8s.io/control-plane"
#define L_CONTROL_PLANE_NAME "cluster.x-k8s.io/control-plane-name"
#define L_DEPLOYMENT_NAME "cluster.x-k8s.io/deployment-name"
#define L_SET_NAME "cluster.x-k8s.io/set-name"
#define L_TEMPLATE_HASH "machine-template-hash"
#define L_POOL_NAME "cluster.x-k8s.io/pool-name"
#define A_CLONED_FROM_NAME "cluster.x-k8s.io/cloned-from-name"
#define A_CLONED_FROM_GK "cluster.x-k8s.io/cloned-from-groupkind"
#define A_DELETE_MACHINE "cluster.x-k8s.io/delete-machine"
#define A_REPLICAS_MANAGED_BY "cluster.x-k8s.io/replicas-managed-by"
#define F_CLUSTER "cluster.cluster.x-k8s.io"
#define F_MACHINE "machine.cluster.x-k8s.io"
#define F_MACHINEPOOL "machinepool.cluster.x-k8s.io"
#define F_KCP "kubeadm.controlplane.cluster.x-k8s.io"
#define SECRET_TYPE_CAPI "cluster.x-k8s.io/secret"
#define L_TOPOLOGY_OWNED "topology.cluster.x-k8s.io/owned"
#define L_TOPOLOGY_DEPLOYMENT "topology.cluster.x-k8s.io/deployment-name"
#define L_TOPOLOGY_POOL "topology.cluster.x-k8s.io/pool-name"
#define C_TOPOLOGY_RECONCILED "TopologyReconciled"
#define A_UPGRADE_CONCURRENCY "topology.cluster.x-k8s.io/upgrade-concurrency"

/* Watched kinds. The first ones are reconciled (each has a queue). */
enum {
  K_CLUSTER,
  K_KCP,
  K_MD,
  K_MS,
  K_MACHINE,
  K_MP,
  K_KCFG,
  K_CLUSTERCLASS, /* its changes also wake the Clusters of that class */
  K_NQUEUES,      /* kinds below are watched only */
  K_AZCLUSTER = K_NQUEUES,
  K_AZMCLUSTER,
  K_AZASOCLUSTER,
  K_AZMCP,
  K_AZASOCP,
  K_AZMACHINE,
  K_AZMP,
  K_AZMMP,
  K_AZASOMP,
  K_NKINDS
};

typedef struct sim sim;
typedef struct sim_kind {
  sim *s;
  int idx;
  const char *api_version; /* e.g. "cluster.x-k8s.io/v1beta1" */
  capz_gvk gvk;
  capz_informer *inf;      /* NULL when the server does not serve the kind */
  capz_workqueue *q;       /* reconciled kinds only */
} sim_kind;

/* A reconcile: 0 when done (requeue_ms > 0 asks to look again later, e.g. while waiting for children), or an
 * error code (retried with backoff). */
typedef int (*sim_reconcile_fn)(sim *s, const char *ns, const char *name, int64_t *requeue_ms);

struct sim {
  capz_kube_client *c;
  const char *ns; /* NULL = all namespaces */
  sim_kind kinds[K_NKINDS];
  capz_logger *log;
  capz_event_recorder *events; /* may be NULL (events are best effort) */
};

/* Per-kind reconcilers (one file each). */
int capi_cluster_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_kcp_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_md_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_ms_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_machine_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_mp_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_bootstrap_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);
int capi_clusterclass_reconcile(sim *s, const char *ns, const char *name, int64_t *requeue_ms);

/* ---- capi_util.c ---- */
void sim_kinds_init(sim *s);
/* The watched kind matching a reference's apiVersion group and kind, or NULL. */
sim_kind *sim_kind_for(sim *s, const char *api_version, const char *kind);
void sim_enqueue(sim *s, int kind, const char *ns, const char *name);
/* A copy of the cached object (NULL when absent or the kind is not watched). */
cJSON *sim_cached(sim *s, int kind, const char *ns, const char *name);
/* The object a reference ({apiVersion, kind, name}) points to, from a cache or by GET; NULL when absent.
 * gvk_out (optional) receives group/version/kind/plural; its strings live in buf (size >= 256). */
cJSON *sim_ref_get(sim *s, const cJSON *ref, const char *ns, capz_gvk *gvk_out, char *buf, size_t n);
/* Fill gvk from apiVersion + kind (strings kept in buf) and resolve the plural. 0 or error. */
int sim_gvk(sim *s, const char *api_version, const char *kind, capz_gvk *gvk, char *buf, size_t n);
/* Cached objects of a kind in ns matching a label selector (caller frees with capz_obj_list_free). */
int sim_list(sim *s, int kind, const char *ns, const char *selector, capz_obj_list *out);
/* Write what changed from cur to want: metadata/spec with a merge patch on the object (resourceVersion
 * precondition), status with a merge patch on the status subresource. Nothing is sent when equal.
 * Returns 0 or the client's error code (ECONFLICT when someone else wrote first). */
int sim_write(sim *s, const capz_gvk *gvk, const cJSON *cur, const cJSON *want);
/* Create obj (AlreadyExists counts as success). */
int sim_create(sim *s, const capz_gvk *gvk, const char *ns, const cJSON *obj);
/* Delete unless already gone; true when the object no longer exists. */
int sim_delete(sim *s, const capz_gvk *gvk, const char *ns, const char *name);

/* Wait up to ~2 s until the cache shows name live (want_present_live) or terminating/absent. */
void sim_wait_cache(sim *s, int kind, const char *ns, const char *name, bool want_present_live);

/* Cluster API pause: the object's cluster.x-k8s.io/paused annotation or its Cluster's spec.paused. Every
 * controller leaves paused objects alone (deletion included), as CAPI's do. */
bool sim_paused(sim *s, const cJSON *obj, const char *ns, const char *cluster_name);
/* The start of most reconciles: a copy of the cached object, or NULL when there is nothing to do (it is gone, or
 * paused — its cluster is named at JSON pointer cluster_ptr of the object). Caller deletes. */
cJSON *sim_cached_unpaused(sim *s, int kind, const char *ns, const char *name, const char *cluster_ptr);
/* A copy of obj to build the desired state in, with a status object. Caller deletes. */
cJSON *sim_want(const cJSON *obj);
/* Standard base64 of the string s (NULL: NULL), malloc'ed; NULL when memory runs out. */
char *sim_b64(const char *s);
/* A new object: apiVersion, kind and metadata {name, namespace}. Caller deletes. */
cJSON *sim_new_object(const char *api_version, const char *kind, const char *ns, const char *name);
/* A Cluster API data Secret (type cluster.x-k8s.io/secret) labelled with its cluster, controlled by owner, with
 * an empty data object. Caller deletes. */
cJSON *sim_new_capi_secret(const char *name, const char *ns, const char *cluster, const cJSON *owner);

/* In-place edits of an object tree. */
bool sim_has_finalizer(const cJSON *obj, const char *fin);
void sim_add_finalizer(cJSON *obj, const char *fin);
void sim_remove_finalizer(cJSON *obj, const char *fin);
void sim_set_label(cJSON *obj, const char *key, const char *value);
const char *sim_label(const cJSON *obj, const char *key);
const char *sim_annotation(const cJSON *obj, const char *key);
void sim_set_annotation(cJSON *obj, const char *key, const char *value);
/* Add (or update) an owner reference to `owner` (a whole object); with controller set, any other controller
 * reference is demoted to a plain owner reference (there can be only one controller). */
void sim_add_owner(cJSON *obj, const cJSON *owner, bool controller);
/* Remove owner references of the given kind (api group compared too). */
void sim_remove_owner_kind(cJSON *obj, const char *api_version, const char *kind);
bool sim_owned_by(const cJSON *obj, const cJSON *owner);
/* The first owner reference of `kind` (borrowed name) or NULL. */
const char *sim_owner_name(const cJSON *obj, const char *kind);
/* A new owner reference object for `owner` (controller + blockOwnerDeletion when controller). */
cJSON *sim_owner_ref(const cJSON *owner, bool controller);
/* A reference {apiVersion, kind, name} to obj. */
cJSON *sim_ref_to(const cJSON *obj);
/* "<prefix>-xxxxx" with five random [a-z0-9] characters, into out. */
void sim_random_name(const char *prefix, char *out, size_t n);
const char *sim_str(const cJSON *obj, const char *ptr); /* "" when absent */
bool sim_is_deleting(const cJSON *obj);
/* Whether an owner may still get new children (or more replicas): it exists on the API server (a live GET, not the
 * cache: an object deleted without finalizers never shows a deletionTimestamp in the informer cache, and its
 * children vanish to garbage collection before its own delete event arrives) without a deletionTimestamp, and so
 * does its Cluster (cluster_name; NULL or "" = no Cluster check). Read errors count as "no". */
bool sim_may_grow(sim *s, int kind, const char *ns, const char *name, const char *cluster_name);

/* Clone a template (AzureMachineTemplate-like: spec.template.{metadata,spec}) into a new infra object named
 * name, owned by owner (not controller), with labels and cloned-from annotations. */
cJSON *sim_clone_template(const cJSON *tmpl, const char *name, const char *ns, const cJSON *labels,
                          const cJSON *owner);

/* ---- capi_topology.c: managed topologies (Cluster.spec.topology rendered from a ClusterClass) ---- */
/* For a Cluster with spec.topology: create/update the generated objects (infrastructure cluster, control plane
 * and its machine template, MachineDeployments, MachinePools and their templates/configs) and record in `want`
 * (the Cluster about to be written) the infrastructureRef/controlPlaneRef, the ClusterClass owner reference and
 * the TopologyReconciled condition (False naming anything unsupported or missing, never a crash). No-op without
 * spec.topology. Returns 0 (requeue_ms set while waiting) or an error code to retry. */
int capi_topology_reconcile(sim *s, const cJSON *cl, cJSON *want, int64_t *requeue_ms);
/* The Cluster's class name and namespace (v1beta1 class/classNamespace or v1beta2 classRef); "" when none. */
void capi_topology_class(const cJSON *cl, const char **name, const char **ns);

/* ---- capi_topology_vars.c ---- */
/* Variables cluster-level patches see: {"builtin": {"cluster": {...}}, <each class variable: topology value
 * or schema default>}. NULL with msg on an undefined or missing required variable. Caller frees. */
cJSON *topo_vars_cluster(const cJSON *cl, const cJSON *cc, char *msg, size_t n);
/* A copy of vars with a worker's variables.overrides applied. NULL with msg on error. Caller frees. */
cJSON *topo_vars_worker(const cJSON *vars, const cJSON *worker, const cJSON *cc, char *msg, size_t n);
/* The value at a dotted path ("builtin.cluster.name", "myVar.field"), borrowed; NULL when absent. */
const cJSON *topo_var_lookup(const cJSON *vars, const char *path);
/* Render Go-template text where every action is {{ .path }} (with {{- -}} trimming); anything else (if, range,
 * functions, pipelines) is refused with msg. malloc'ed text or NULL. */
char *topo_template_render(const char *text, const cJSON *vars, char *msg, size_t n);

/* ---- capi_topology_patch.c ---- */
enum { TOPO_INFRA_CLUSTER, TOPO_CONTROL_PLANE, TOPO_MD, TOPO_MP };
/* One template the class's patches may change: tmpl is owned and replaced by each applied patch. */
typedef struct topo_req {
  int scope;              /* TOPO_* */
  const char *class_name; /* worker class (TOPO_MD/TOPO_MP) */
  cJSON *tmpl;
  const cJSON *vars; /* borrowed: what valueFrom sees for this template */
} topo_req;
/* Apply the class's inline patches in order to every matching request. 0, or -1 with msg naming the patch and
 * what failed or is not modelled (external patches, template actions beyond substitution). */
int topo_patches_apply(const cJSON *cc, const cJSON *cluster_vars, topo_req *reqs, size_t nreq, char *msg, size_t n);

/* ---- capi_bootstrap.c ---- */
/* A KubeadmConfig `name` (owner `owner`, non-controller) from a KubeadmConfigSpec. */
cJSON *capi_kubeadmconfig_new(const char *name, const char *ns, const cJSON *spec, const cJSON *labels,
                              const cJSON *owner);

/* ---- capi_kubeconfig.c ---- */
/* Ensure `<cluster>-ca` and `<cluster>-kubeconfig` Secrets for a KCP-managed cluster (owned by kcp). */
int capi_kubeconfig_ensure(sim *s, const cJSON *cluster, const cJSON *kcp);

#endif
