/* arm_sim.h — internal types shared by the capz-arm-sim modules (not the auth module's: see auth.h).
 *
 * Concurrency model: libmicrohttpd runs one thread per connection. All resource state (store, LRO
 * operations, IP allocations) lives behind one "world" mutex (arm_sim.mu) taken by the router around
 * each ARM request; the throttle, fault and request-log modules have their own small locks so that
 * /_sim/ inspection and rejection paths never wait for resource work.
 */
#ifndef CAPZ_SIM_ARM_SIM_H
#define CAPZ_SIM_ARM_SIM_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>

#include "auth.h"

#define ARM_ID_MAX 1024
#define ARM_MAX_HEADERS 16

struct arm_sim;
struct arm_res;
struct arm_rtype;

/* ---------------------------------------------------------------- request / response */

typedef struct arm_hdr {
  char name[64];
  char *value; /* malloc'ed */
} arm_hdr;

typedef struct arm_resp {
  int status;
  cJSON *body;  /* JSON body (owned) or NULL */
  char *text;   /* raw body (owned), used when body is NULL */
  arm_hdr hdr[ARM_MAX_HEADERS];
  int nhdr;
  bool reset;   /* drop the connection instead of answering (fault injection) */
} arm_resp;

void arm_resp_header(arm_resp *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *arm_resp_get_header(const arm_resp *r, const char *name);
/* ARM CloudError body {"error":{"code","message"}}; replaces any previous body. */
void arm_resp_error(arm_resp *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void arm_resp_json(arm_resp *r, int status, cJSON *body); /* takes body */
void arm_resp_clear(arm_resp *r);

/* Faults attached to a request that must act later (on the LRO it starts). */
typedef struct arm_lro_fault {
  int kind;          /* 0 none, ARM_OP_FAILED, ARM_OP_CANCELED, or ARM_OP_STUCK */
  char code[64];
  char message[256];
} arm_lro_fault;

typedef struct arm_req {
  const char *method;
  const char *path;            /* decoded path */
  const char *api_version;     /* may be NULL */
  const char *raw_query;       /* query string re-encoded from the parsed arguments, "" if none */
  const char *body;            /* NUL-terminated copy, may be NULL */
  size_t body_len;
  cJSON *json;                 /* parsed body for PUT/PATCH/POST, or NULL */
  char base_url[256];          /* "http://host:port" as the client addressed us */
  char principal[128];         /* caller oid after auth */
  char subscription[64];
  /* accessors bound to the HTTP layer */
  const char *(*query)(void *conn, const char *name);
  const char *(*header)(void *conn, const char *name);
  void *conn;
  arm_lro_fault lro_fault;
  char rtype[160];             /* resource type for the request log */
} arm_req;

static inline const char *arm_req_query(const arm_req *q, const char *n) { return q->query ? q->query(q->conn, n) : NULL; }
static inline const char *arm_req_header(const arm_req *q, const char *n) { return q->header ? q->header(q->conn, n) : NULL; }

/* ---------------------------------------------------------------- ids and paths */

enum { ARM_PATH_RESOURCE = 1, ARM_PATH_COLLECTION = 2 };

/* A parsed ARM path. Segments point into buf. */
typedef struct arm_path {
  char buf[ARM_ID_MAX * 2];
  char *seg[96];
  int nseg;
  const char *sub;       /* subscription id or NULL */
  const char *rg;        /* resource group name or NULL */
  const char *ns;        /* namespace of the last /providers/ group, or NULL */
  int prov;              /* index of the last "providers" segment, -1 */
  char type[256];        /* "Microsoft.Network/virtualNetworks/subnets" (as written by the client) */
  int kind;              /* ARM_PATH_RESOURCE (even # of type/name segments) or ARM_PATH_COLLECTION */
  char id[ARM_ID_MAX];   /* resource id (RESOURCE) or the parent id of the collection (COLLECTION) */
  char scope[ARM_ID_MAX];/* id before the last /providers/ ("" for /providers/... at root) */
  const char *name;      /* last name segment for RESOURCE */
} arm_path;

int arm_path_parse(const char *path, arm_path *p);
void arm_lower(char *dst, const char *src, size_t n);
bool arm_ieq(const char *a, const char *b);
/* Parent id of an id (drops the last type/name pair); "" if none. */
void arm_id_parent(const char *id, char *out, size_t n);
/* Last segment of an id. Borrowed from id. */
const char *arm_id_name(const char *id);
/* Resource group name from an id, copied into out; false when the id has none. */
bool arm_id_rg(const char *id, char *out, size_t n);
bool arm_id_sub(const char *id, char *out, size_t n);

/* ---------------------------------------------------------------- resource types */

enum arm_lro_style {
  ARM_LRO_SYNC = 0,     /* 200/201 synchronous; DELETE 200/204 */
  ARM_LRO_NRP,          /* PUT 200/201 + Azure-AsyncOperation; DELETE 202 + Location + Azure-AsyncOperation */
  ARM_LRO_COMPUTE,      /* as NRP but "Creating" */
  ARM_LRO_DISK,         /* PUT 202 + Location + Azure-AsyncOperation */
  ARM_LRO_AKS,          /* as COMPUTE, 409 OperationNotAllowed while busy */
  ARM_LRO_RG            /* PUT sync; DELETE 202 + Location only */
};

enum {
  ARM_RT_TRACKED = 1 << 0,      /* has location/tags; location required on create */
  ARM_RT_ETAG_HEADERS = 1 << 1, /* honours If-Match / If-None-Match */
  ARM_RT_ETAG_BODY = 1 << 2,    /* "etag" member in body */
  ARM_RT_EXTENSION = 1 << 3,    /* scope-based (roleAssignments, tags): parent is any id */
  ARM_RT_SUB_LEVEL = 1 << 4,    /* lives directly under a subscription (resource groups) */
  ARM_RT_READONLY = 1 << 5,     /* no PUT/DELETE by clients (VMSS VMs are deletable, see hooks) */
  ARM_RT_EMBED_FLAT = 1 << 6,   /* embedded form is {name, ...properties} (AKS agentPoolProfiles) */
  ARM_RT_EMBED_KEEP = 1 << 7,   /* parent PUT without the member keeps the children (AKS) */
  ARM_RT_NO_PUT = 1 << 8,       /* PUT refused (instances) */
  ARM_RT_ETAG_UPPER = 1 << 9    /* AKS spelling "eTag" */
};

typedef struct arm_err {
  int status;
  char code[64];
  char msg[512];
} arm_err;

int arm_err_set(arm_err *e, int status, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

typedef struct arm_ctx arm_ctx;

typedef struct arm_rtype {
  const char *type;            /* canonical "Microsoft.Network/virtualNetworks/subnets" */
  int lro;                     /* enum arm_lro_style */
  unsigned flags;
  const char *embed_member;    /* parent's properties member embedding this child type, or NULL */
  const char *const *immutable;/* JSON pointers that cannot change on update (NULL-terminated) */
  const char *create_state;    /* provisioningState while creating ("Creating"/"Updating"); NULL = none */
  const char *delete_state;    /* provisioningState while deleting; NULL = "Deleting" */
  /* Validate and normalise a PUT body (body is the full new document, may be modified).
   * existing: current resource or NULL on create. Return 0 or fill e. */
  int (*validate)(arm_ctx *c, const char *id, struct arm_res *existing, cJSON *body, arm_err *e);
  /* Fill generated fields after validation (under the world lock). May allocate IPs, create other resources.
   * old_doc: the previous document on update (borrowed), NULL on create. On failure the engine rolls back. */
  int (*fill)(arm_ctx *c, struct arm_res *r, const cJSON *old_doc, arm_err *e);
  /* Called when a PUT operation ends Succeeded. */
  void (*on_ready)(arm_ctx *c, struct arm_res *r);
  /* Refuse a delete (in use). */
  int (*can_delete)(arm_ctx *c, struct arm_res *r, arm_err *e);
  /* Release what the resource holds (IPs, node resource group...) just before it is removed. */
  void (*on_delete)(arm_ctx *c, struct arm_res *r);
  /* Add computed fields to a rendered copy. */
  void (*render)(arm_ctx *c, struct arm_res *r, cJSON *out, const arm_req *q);
  /* POST/GET action on an existing resource (e.g. listClusterUserCredential, instanceView, delete). */
  int (*action)(arm_ctx *c, const arm_req *q, struct arm_res *r, const char *action, arm_resp *out);
  /* Whole request on a single resource handled by the type (Microsoft.Resources/tags); NULL = generic. */
  void (*handle)(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out);
  /* GET on a collection handled specially (e.g. resource SKUs); return 1 if handled. */
  int (*list)(arm_ctx *c, const arm_req *q, const arm_path *p, arm_resp *out);
  /* (index in the registry: arm_rtype_index) */
} arm_rtype;

const arm_rtype *arm_rtype_find(const char *type); /* case-insensitive; NULL if unknown */
bool arm_namespace_known(const char *ns);
const arm_rtype *arm_rtype_child_embedded(const arm_rtype *parent, int i); /* i-th embedded child type or NULL */
int arm_rtype_count(void);
const arm_rtype *arm_rtype_at(int i);
int arm_rtype_index(const arm_rtype *rt);

/* ---------------------------------------------------------------- store */

typedef struct arm_res {
  char *key;          /* lower-cased id */
  char *id;           /* id with the client's name casing and canonical type casing */
  const arm_rtype *rt;
  cJSON *doc;         /* resource document as GET returns it, minus embedded children */
  cJSON *priv;        /* private state never rendered (object) */
  char etag[64];      /* without quotes */
  char busy_op[40];   /* LRO holding this resource, "" if none */
  char busy_what[24]; /* "Creating", "Updating", "Deleting", "Scaling"... */
  long long seq;
  struct arm_res *hnext;               /* hash chain */
  struct arm_res *prev, *next;         /* insertion order */
  struct arm_res *tprev, *tnext;       /* per-type list */
} arm_res;

typedef struct arm_store arm_store;
arm_store *arm_store_new(void);
void arm_store_free(arm_store *s);
arm_res *arm_store_get(arm_store *s, const char *id);           /* any casing */
arm_res *arm_store_put(arm_store *s, const char *id, const arm_rtype *rt, cJSON *doc); /* new or replace doc; takes doc */
void arm_store_remove(arm_store *s, arm_res *r);
/* Iteration in creation order. A resource always comes after its parent and after the scope it extends (it
 * needs them to exist when created; updates keep a resource's place), so "everything under r" is found by
 * scanning from r onwards. */
arm_res *arm_store_first(arm_store *s);
arm_res *arm_store_first_of(arm_store *s, const arm_rtype *rt);  /* per-type iteration via tnext */
size_t arm_store_count(arm_store *s);
void arm_store_clear(arm_store *s);

/* ---------------------------------------------------------------- LRO */

enum { ARM_OP_RUNNING = 0, ARM_OP_SUCCEEDED, ARM_OP_FAILED, ARM_OP_CANCELED, ARM_OP_STUCK };
enum { ARM_OPK_PUT = 1, ARM_OPK_DELETE, ARM_OPK_ACTION };

typedef struct arm_op arm_op;
/* Completion of an action op: called under the world lock with the final status. */
typedef void (*arm_op_done_fn)(arm_ctx *c, arm_op *op, int final);

struct arm_op {
  char id[40];
  char rp[64];
  char location[64];
  char sub[64];
  char api_version[40];
  char *res_key;               /* primary resource key (malloc'ed, "" when none) */
  char *holds[4];              /* resources whose busy_op is this op (malloc'ed keys) */
  int nholds;
  int kind;
  int status;                  /* ARM_OP_* */
  double start, due, end;
  cJSON *error;                /* when Failed/Canceled */
  cJSON *result;               /* action result body (Succeeded) or NULL */
  int result_status;           /* for Location polling of actions (200/204) */
  arm_op_done_fn done;
  char arg[32];                /* short action argument (a power state) */
  cJSON *argj;                 /* action argument (owned) */
  arm_op *hnext;
  bool location_only;          /* RG delete: operationresults under the subscription */
};

typedef struct arm_lro arm_lro;
arm_lro *arm_lro_new(void);
void arm_lro_free(arm_lro *l);
void arm_lro_clear(arm_lro *l);
/* Start an operation on resource key (which it holds busy). duration < 0 = the configured one. */
arm_op *arm_lro_start(arm_ctx *c, int kind, arm_res *r, const char *rp, const char *location, const arm_req *q);
void arm_lro_hold(arm_ctx *c, arm_op *op, arm_res *r);
/* Complete every operation whose time has come (world lock held). */
void arm_lro_advance(arm_ctx *c);
/* Finish op now with the given final status (world lock held). */
void arm_lro_finish(arm_ctx *c, arm_op *op, int final);
arm_op *arm_lro_get(arm_lro *l, const char *id);
/* Add Azure-AsyncOperation / Location / Retry-After headers for op to out. */
void arm_lro_headers(arm_ctx *c, const arm_op *op, const arm_req *q, bool async_op, bool location, arm_resp *out);
/* Serve GET .../operations/{id} (status resource) and .../operationResults/{id} (Location). */
void arm_lro_serve_status(arm_ctx *c, const char *id, const arm_req *q, arm_resp *out);
void arm_lro_serve_result(arm_ctx *c, const char *id, const arm_req *q, arm_resp *out);
double arm_lro_duration(arm_ctx *c, const char *type);

/* ---------------------------------------------------------------- IP allocation */

typedef struct arm_ipam arm_ipam;
arm_ipam *arm_ipam_new(void);
void arm_ipam_free(arm_ipam *m);
void arm_ipam_clear(arm_ipam *m);
/* Allocate from the subnet's prefix (e.g. "10.0.1.0/24") for owner; want: a static IP or NULL.
 * Azure reserves the first four and the last address. */
int arm_ipam_alloc(arm_ipam *m, const char *subnet_key, const char *prefix, const char *owner_key, const char *want,
                   char *out, size_t n, arm_err *e);
void arm_ipam_release_owner(arm_ipam *m, const char *owner_key_prefix);
size_t arm_ipam_used(arm_ipam *m, const char *subnet_key);
/* True when an owner under none of roots holds an address in a subnet under roots[0] (lower-cased keys). */
bool arm_ipam_held_from_outside(arm_ipam *m, const char *const *roots, int n);
/* The address held by owner (exact id, any casing) into out; false when it holds none. */
bool arm_ipam_owner_ip(arm_ipam *m, const char *owner_key, char *out, size_t n);
/* Public addresses: unique per process (IPv4 in 20.x, IPv6 in 2603:1030::/32). */
void arm_ipam_public(arm_ipam *m, char *out, size_t n);
void arm_ipam_public6(arm_ipam *m, char *out, size_t n);
/* CIDR helpers. arm_cidr_parse is IPv4 only; the others take both families (never equal across families).
 * The allocator above takes IPv4 and IPv6 prefixes and addresses. */
bool arm_cidr_parse(const char *cidr, unsigned *base, int *bits);
int arm_cidr_family(const char *cidr, int *bits); /* 4, 6, or 0 when not a prefix; bits may be NULL */
int arm_ip_family(const char *ip);                 /* 4, 6 or 0 */
bool arm_cidr_within(const char *inner, const char *outer);
bool arm_cidr_overlap(const char *a, const char *b);

/* ---------------------------------------------------------------- throttling */

typedef struct arm_throttle arm_throttle;
typedef struct arm_throttle_cfg {
  bool enabled;
  double burst[3], rate[3];        /* reads, writes, deletes (per subscription+principal) */
  double global_mult;              /* per-subscription limit shared by all principals */
  bool aks;                        /* AKS per-cluster/per-pool PUT buckets and LIST bucket */
  double aks_put_burst, aks_put_per_min, aks_list_burst, aks_list_per_s;
  bool compute;                    /* Compute per-resource buckets */
} arm_throttle_cfg;
enum { ARM_TH_READ = 0, ARM_TH_WRITE = 1, ARM_TH_DELETE = 2 };
arm_throttle *arm_throttle_new(const arm_throttle_cfg *cfg);
void arm_throttle_free(arm_throttle *t);
void arm_throttle_reset(arm_throttle *t);
void arm_throttle_set_cfg(arm_throttle *t, const arm_throttle_cfg *cfg);
void arm_throttle_cfg_default(arm_throttle_cfg *cfg);
int arm_throttle_cfg_load(arm_throttle_cfg *cfg, const cJSON *j, char *err, size_t errlen);
/* Charge one request; on refusal fills out (429) and returns false. Always adds remaining headers. */
bool arm_throttle_check(arm_throttle *t, const char *sub, const char *principal, const char *method,
                        const arm_path *p, arm_resp *out);

/* ---------------------------------------------------------------- faults */

typedef struct arm_faults arm_faults;
arm_faults *arm_faults_new(void);
void arm_faults_free(arm_faults *f);
void arm_faults_clear(arm_faults *f);
/* Add rules from a JSON object or array; returns 0 or fills err. */
int arm_faults_add(arm_faults *f, const cJSON *j, char *err, size_t errlen);
cJSON *arm_faults_list(arm_faults *f);
/* Match a request: sleeps for latency, may fill out (error / reset) and return true (answered),
 * or set q->lro_fault for the engine. */
bool arm_faults_apply(arm_faults *f, arm_req *q, arm_resp *out);

/* ---------------------------------------------------------------- request log */

typedef struct arm_reqlog arm_reqlog;
arm_reqlog *arm_reqlog_new(int keep_bodies);
void arm_reqlog_free(arm_reqlog *l);
void arm_reqlog_clear(arm_reqlog *l);
void arm_reqlog_add(arm_reqlog *l, const arm_req *q, int status);
cJSON *arm_reqlog_json(arm_reqlog *l, int last_n);

/* ---------------------------------------------------------------- $filter (arm_filter.c) */

enum { ARM_FILTER_EQ = 1, ARM_FILTER_AT_SCOPE, ARM_FILTER_ASSIGNED_TO };
typedef struct arm_filter_clause {
  int kind;
  char field[32];   /* EQ: location, name, resourceType, tagName, tagValue, principalId */
  char value[256];
} arm_filter_clause;
typedef struct arm_filter {
  arm_filter_clause c[8];
  int n;            /* 0 = no filter */
} arm_filter;
/* Parse a $filter value (NULL = none); 0, or 400 InvalidFilterInQueryString in e. */
int arm_filter_parse(const char *s, arm_filter *f, arm_err *e);
/* All EQ / assignedTo clauses hold for x (atScope() is left to the caller). */
bool arm_filter_match(const arm_filter *f, const arm_res *x);
bool arm_filter_has(const arm_filter *f, int kind);

/* ---------------------------------------------------------------- config and the server context */

typedef struct arm_region {
  char name[48];
  char display[64];
  int nzones;          /* 0..3 */
} arm_region;

typedef struct arm_cfg {
  double lro_default;           /* seconds */
  int retry_after;              /* seconds */
  cJSON *lro_durations;         /* {"type": seconds} (owned) */
  arm_throttle_cfg throttle;
  char aks_api_server[512];     /* kubeconfig server URL; "" = https://<fqdn>:443 */
  cJSON *aks_versions;          /* array of strings (owned) */
  char aks_default_version[32];
  arm_region regions[32];
  int nregions;
  cJSON *skus;                  /* array of SKU descriptions (owned) */
  size_t max_body;
  int max_depth;
  int keep_bodies;
  int page_size;                /* list page size; longer lists get a nextLink with $skiptoken */
  cJSON *api_allow;             /* {"Microsoft.Network": ["2024-05-01", ...]} or NULL (owned) */
  bool ra_check_principals;     /* role assignments: principalId must be known (PrincipalNotFound) */
  cJSON *ra_known;              /* extra known principal ids (array of strings, owned) or NULL */
  bool allow_remote;
} arm_cfg;

int arm_cfg_load(arm_cfg *cfg, const cJSON *root, char *err, size_t errlen);
void arm_cfg_defaults(arm_cfg *cfg);
void arm_cfg_free(arm_cfg *cfg);
/* Merge a runtime update (POST /_sim/config): lro and throttling sections. */
int arm_cfg_update(arm_cfg *cfg, const cJSON *j, char *err, size_t errlen);
const arm_region *arm_cfg_region(const arm_cfg *cfg, const char *name);

struct arm_ctx {
  pthread_mutex_t mu;       /* the world lock */
  arm_cfg cfg;
  arm_store *store;
  arm_lro *lro;
  arm_ipam *ipam;
  arm_throttle *throttle;
  arm_faults *faults;
  arm_reqlog *log;
  arm_auth *auth;
  char base_url[256];
  long long seq;
  const char *deleting_root; /* key of the resource whose delete is being checked (children see it) */
  const char *embedding;     /* key of the parent whose PUT is writing its embedded children (their validators
                              * see it: the parent's validator already checked the list as a whole) */
  char **kept;               /* group delete: keys of resources that stay (their references still count) */
  size_t nkept;
};

/* ---------------------------------------------------------------- router and engine */

/* Handle one request entirely (routing, auth, throttling, faults, engine). */
void arm_route(arm_ctx *c, arm_req *q, arm_resp *out);
/* ARM resource request after auth/throttle; world lock taken inside. */
void arm_engine(arm_ctx *c, arm_req *q, const arm_path *p, arm_resp *out);
/* /_sim/ endpoints. */
void arm_inspect(arm_ctx *c, arm_req *q, arm_resp *out);

/* Engine helpers for resource-type files (world lock held). */
cJSON *arm_render(arm_ctx *c, arm_res *r, const arm_req *q);   /* new tree */
void arm_new_etag(arm_res *r);
void arm_set_state(arm_res *r, const char *state);             /* properties.provisioningState */
const char *arm_get_state(arm_res *r);
/* Create or replace a resource programmatically (AKS node resource group, VMSS instances...). */
arm_res *arm_engine_create(arm_ctx *c, const char *id, const char *type, cJSON *doc, arm_err *e);
/* Remove r and everything under it (children, extension resources), calling on_delete hooks. */
void arm_engine_delete_tree(arm_ctx *c, arm_res *r);
/* Would r (and its embedded children) accept a delete? References from resources under root (a lower-cased
 * key; NULL = r itself) do not count, as they go in the same delete. 0 or -1 with e filled. */
int arm_engine_can_delete(arm_ctx *c, arm_res *r, const char *root, arm_err *e);
/* Delete a resource group's contents in dependency order (dependents first) and then the group, as the
 * completion of its DELETE operation. Returns NULL when everything went, else the ARM error (new tree,
 * ResourceGroupDeletionBlocked) after rolling back the provisioning state of the group and what is left. */
cJSON *arm_engine_delete_group(arm_ctx *c, arm_res *rg);
/* A group delete that failed or was canceled: the group and its contents are no longer Deleting. */
void arm_engine_group_rollback(arm_ctx *c, arm_res *rg);
/* True when any other resource (of any type) refers to id in an "id" member. Writes the referrer's id. */
bool arm_referenced(arm_ctx *c, const char *id, const char *const *from_types, char *who, size_t n);
/* True when a resource under none of roots (lower-cased keys) refers to id or to anything under it. */
bool arm_referenced_from_outside(arm_ctx *c, const char *id, const char *const *roots, int n);
cJSON *arm_ref(const char *id);                                /* {"id": id} */
void arm_uuid(char out[37]);
void arm_now_iso(char *out, size_t n, double t);
double arm_now(void);
unsigned arm_hash32(const char *s);
/* properties object of doc, created if absent. */
cJSON *arm_props(cJSON *doc);
/* Replace (or add) member name of obj with v. */
void arm_jset(cJSON *obj, const char *name, cJSON *v);
const char *arm_jstr(const cJSON *obj, const char *name);

/* Resource types defined by rt_*.c files (the registry in arm_types.c lists them all). */
extern const arm_rtype arm_rt_resource_group;
/* Validation helpers for type files. */
/* The id at JSON pointer ptr of doc (if present) must name an existing resource of type (or any type if NULL). */
int arm_check_ref(arm_ctx *c, const cJSON *doc, const char *ptr, const char *type, arm_err *e);
int arm_check_ref_id(arm_ctx *c, const char *id, const char *type, const char *what, arm_err *e);
bool arm_sku_known(arm_ctx *c, const char *name, cJSON **sku_out);
/* True when the query asks for $expand=<what>. */
bool arm_expand(const arm_req *q, const char *what);

#endif
