/* capi_topology.h — private to the capi_topology*.c files: the state of one topology pass and the helpers
 * shared by its parts. Everything here runs on the Cluster worker thread; cJSON results are the caller's. */
#ifndef CAPI_TOPOLOGY_H
#define CAPI_TOPOLOGY_H

#include "capi_sim.h"

#define MSG_N 640

/* One MachineDeployment or MachinePool of the topology. */
typedef struct worker {
  bool pool;                   /* MachinePool (else MachineDeployment) */
  const cJSON *topo;           /* topology entry (borrowed from the Cluster) */
  const cJSON *cls;            /* class entry (borrowed from the ClusterClass) */
  const char *tname;           /* topology name ("md-0") */
  cJSON *cur;                  /* current MD/MP or NULL */
  cJSON *cur_boot, *cur_infra; /* current bootstrap template/config and infra template/pool */
  char name[256], boot_name[256], infra_name[256];
  const char *version; /* desired version */
  bool upgrade_pending;
  bool pending_for_workers; /* waits for other MachineDeployments' upgrades, not for the control plane */
  cJSON *vars;
  int req_boot, req_infra; /* indexes into the request array */
} worker;

/* One pass over one Cluster. */
typedef struct topo {
  sim *s;
  const cJSON *cl;
  cJSON *want, *cc, *vars;
  const char *ns, *cname, *ccns, *version;
  char msg[MSG_N];
  const char *reason;
  topo_req reqs[3 + 2 * 64]; /* infra cluster, control plane, its machine template; two per worker */
  size_t nreq;
  worker w[64];
  size_t nw;
  int md_upgrade_slots; /* MachineDeployments that may start upgrading in this pass */
} topo;

/* ---- capi_topology_objects.c ---- */
/* The member at a, else at b (v1beta1 / v1beta2 spellings); borrowed. */
const cJSON *topo_first_of(const cJSON *o, const char *a, const char *b);
/* Record a failure (reason + message from fmt with two string arguments) and return -1. */
int topo_fail(topo *t, const char *reason, const char *fmt, const char *a, const char *b);
/* An Event on the Cluster: "<verb> <Kind> <ns>/<name>". */
void topo_event(topo *t, const char *type, const char *reason, const char *verb, const cJSON *obj);
/* The object a reference points to: cache first, then the API server; NULL when absent. */
cJSON *topo_get_ref(sim *s, const cJSON *ref, const char *ns);
/* The first live object of apiVersion/kind in ns matching selector (cache for watched kinds), or NULL. */
cJSON *topo_find_generated(sim *s, const char *av, const char *kind, const char *ns, const char *selector);
/* References {apiVersion, kind, name, namespace}. */
cJSON *topo_ref_of(const cJSON *obj);
bool topo_same_ref(const cJSON *ref, const cJSON *obj);
void topo_set_ref(cJSON *obj, const char *ptr, const cJSON *target);
/* The current object's name, else a new "<prefix>-xxxxx" (CAPI's default naming). */
void topo_name_of(const cJSON *cur, const char *prefix, char *out, size_t n);
/* Create obj in the Cluster's namespace (Event, wait for our cache); *created (optional) is the server's copy. */
int topo_create(topo *t, const cJSON *obj, cJSON **created);
/* Change-only write of want over cur (Event when the spec changed). */
int topo_write(topo *t, const cJSON *cur, const cJSON *want);
void topo_del(topo *t, const cJSON *obj);
/* want.spec := desired_spec laid over cur.spec, unless cur.spec already contains it. */
void topo_overlay_spec(cJSON *want, const cJSON *cur, const cJSON *desired_spec);
/* Add the labels obj lacks. */
void topo_ensure_labels(cJSON *obj, const cJSON *labels);
/* Class + topology metadata labels or annotations merged (topology wins). */
cJSON *topo_merged_meta(const cJSON *class_md, const cJSON *topo_md, const char *which);
/* cluster-name + topology owned. */
cJSON *topo_base_labels(topo *t);
/* A new object from a patched template: obj_from_template strips "Template" and takes spec.template.spec,
 * else a template clone with the same spec. NULL when the kind is no template kind. */
cJSON *topo_from_template(topo *t, const cJSON *tmpl, const char *name, bool obj_from_template, const cJSON *labels,
                          bool owned_by_cluster);
/* Fetch a class template into a new patch request; its index, or -1 (recorded failure). */
int topo_add_req(topo *t, int scope, const char *cls, const cJSON *ref, const cJSON *vars, const char *what);
/* A template clone kept while it contains the rendered spec, else rotated (*old: the clone to delete). */
int topo_ensure_template(topo *t, const cJSON *patched, const cJSON *cur, const char *name, const cJSON *labels,
                         cJSON **out, cJSON **old);
/* An object instantiated from a template, updated in place. */
int topo_ensure_object(topo *t, const cJSON *patched, const cJSON *cur, const char *name, const cJSON *labels,
                       cJSON **out);

/* ---- capi_topology_workers.c ---- */
/* Find the worker's current objects, choose names and version, queue its two templates for patching. */
int topo_plan_worker(topo *t, worker *w, bool cp_upgraded);
/* Create/update the worker's templates or configs and its MachineDeployment/MachinePool. */
int topo_apply_worker(topo *t, worker *w);
/* How many of the topology's MachineDeployments run the topology version in spec but still have Machines of
 * another version (an upgrade rolling out). */
int topo_mds_upgrading(topo *t);
/* Delete MachineDeployments/MachinePools this topology generated that it no longer lists. */
void topo_delete_removed(topo *t, bool pool);

#endif
