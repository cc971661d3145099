/* kube_sim.h — internal interfaces of capz-kube-sim (a kube-apiserver emulator for tests).
 *
 * Concurrency model: one process-wide mutex (ks_lock) guards the whole store: types, objects,
 * the event log and the watcher list. HTTP handlers run on libmicrohttpd's per-connection
 * threads and take the lock for the duration of one API call; watch threads take it only to
 * copy pending events out, and format/write outside it. ks_cond is broadcast after every
 * stored write so watchers and the GC thread wake up.
 *
 * Objects are stored as compact JSON text (refcounted blobs shared with the watch event log),
 * with apiVersion and kind as the first two members, so serving another version or dropping
 * kind/apiVersion for built-in list items is a string splice rather than a re-parse.
 */
#ifndef KUBE_SIM_H
#define KUBE_SIM_H

#include <cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- refcounted JSON text ---------- */
typedef struct kblob {
  atomic_int refs;
  unsigned sgen; /* schema generation of its type when written (defaulting on read) */
  size_t len;
  char s[];
} kblob;
kblob *kb_new(const char *s, size_t len);
kblob *kb_from_json(const cJSON *j); /* compact print */
kblob *kb_ref(kblob *b);
void kb_unref(kblob *b);

/* ---------- growable text buffer ---------- */
typedef struct kbuf {
  char *s;
  size_t len, cap;
} kbuf;
void kbuf_add(kbuf *b, const char *s, size_t n);
void kbuf_puts(kbuf *b, const char *s);
void kbuf_printf(kbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kbuf_json_str(kbuf *b, const char *s); /* quoted, escaped */
void kbuf_free(kbuf *b);

/* ---------- types ---------- */
enum kbuiltin {
  KB_CUSTOM = 0,
  KB_NAMESPACE,
  KB_CONFIGMAP,
  KB_SECRET,
  KB_EVENT,    /* core/v1 Event (the store) */
  KB_EVENT_V1, /* events.k8s.io/v1 view over the core Event store */
  KB_LEASE,
  KB_CRD,
  KB_TOKENREVIEW, /* create-only review APIs: answered, never stored */
  KB_SUBJECTACCESSREVIEW,
  KB_SELFSUBJECTACCESSREVIEW
};

typedef struct kversion {
  char *name;
  bool served, storage;
  bool status_sub;
  const cJSON *schema; /* openAPIV3Schema, borrowed from ktype.crd; may be NULL */
} kversion;

typedef struct kobj {
  char *key; /* "ns/name" (namespaced) or "name" */
  char *ns;  /* "" for cluster-scoped */
  char *name;
  char uid[40];
  uint64_t rv;
  kblob *json;
  cJSON *labels;   /* copy of metadata.labels, or NULL */
  cJSON *managers; /* server-side apply: {manager: last applied object}, or NULL */
  /* garbage-collector view (kube_gc_index.c), kept from the stored tree so the GC never re-parses */
  struct kownref *orefs; /* metadata.ownerReferences, in order */
  int norefs;
  unsigned gcbits;     /* KGC_* below */
  bool gcq_dep, gcq_owner; /* already queued for a check */
} kobj;
#define KGC_TERM 1u   /* deletionTimestamp set */
#define KGC_ORPHAN 2u /* "orphan" finalizer */
#define KGC_FG 4u     /* "foregroundDeletion" finalizer */
typedef struct kownref {
  char uid[40];
  char *name; /* NULL when absent */
  bool block; /* blockOwnerDeletion */
} kownref;

typedef struct ktype {
  char *group; /* "" for core */
  char *plural, *singular, *kind, *list_kind;
  cJSON *short_names; /* array of strings or NULL */
  cJSON *categories;  /* array of strings or NULL */
  bool namespaced;
  enum kbuiltin builtin;
  kversion *versions;
  int nversions;
  int storage_idx;
  struct ktype *store; /* where objects live: itself, or the core Event type for KB_EVENT_V1 */
  kobj **objs;         /* sorted by key */
  size_t n, cap;
  cJSON *crd; /* owned copy of the CRD object (custom types) */
  char *crd_name;
  unsigned schema_gen; /* bumped when a CRD update may change defaults */
  bool terminating; /* CRD being deleted: no new objects */
  bool removed; /* CRD deleted: the type is kept (watchers may point at it) but not served */
  struct ktype *next;
} ktype;

/* ---------- global state ---------- */
typedef struct ksim {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  uint64_t rv;       /* global resourceVersion (last used) */
  ktype *types;      /* linked list, includes removed ones */
  bool gc_enabled;
  bool shutting_down;
  uint64_t drop_watches_gen; /* bumped by /_sim/drop-watches */
  int active_watches;
  char listen_addr[128];
  size_t max_body;
  unsigned watch_default_timeout; /* seconds when the client sends none */
  unsigned bookmark_interval;     /* seconds between periodic bookmarks */
  bool gc_dirty;          /* namespace/CRD controllers have work */
  uint64_t gc_visited;    /* objects examined by the ownership GC (dependents + owners), for /_sim/stats */
} ksim;
extern ksim KS;
#define KS_LOCK() pthread_mutex_lock(&KS.lock)
#define KS_UNLOCK() pthread_mutex_unlock(&KS.lock)

/* ---------- store (kube_store.c); all calls need KS.lock ---------- */
void store_init(void);
void store_free_all(void);
void store_reset(void); /* drop everything, re-create built-ins; RV keeps growing */
ktype *store_find_type(const char *group, const char *version, const char *plural); /* served only */
ktype *store_find_type_by_kind(const char *group, const char *kind);
ktype *store_builtin(enum kbuiltin b);
const kversion *type_version(const ktype *t, const char *version);
ktype *store_add_type(void); /* zeroed, linked */
kobj *store_get(ktype *t, const char *ns, const char *name);
kobj *store_get_uid(const char *uid, ktype **type_out);
size_t store_lower_bound(ktype *t, const char *key);
/* Insert/replace/remove; each takes the next RV (already set in json by the caller via
 * obj_finalize), appends a watch event and wakes watchers. Ownership of `json` moves in. */
kobj *store_insert(ktype *t, cJSON *obj, uint64_t rv);
void store_replace(ktype *t, kobj *o, cJSON *obj, uint64_t rv);
kblob *store_remove(ktype *t, kobj *o, cJSON *last, uint64_t rv); /* returns a ref to the final state */
uint64_t store_next_rv(void);
void make_key(char *out, size_t n, const char *ns, const char *name);

/* ---------- event log (kube_events_log.c) ---------- */
enum kevtype { KEV_ADDED = 1, KEV_MODIFIED, KEV_DELETED };
typedef struct kevent {
  uint64_t rv;
  ktype *t; /* store type */
  int type;
  kblob *obj;
  kblob *old; /* previous state (MODIFIED/DELETED), for selector transitions */
} kevent;
void evlog_init(size_t cap);
void evlog_free(void);
void evlog_append(ktype *t, int type, kblob *obj, kblob *old, uint64_t rv);
void evlog_compact(void);
uint64_t evlog_floor(void); /* events with rv > floor are retained */
/* Index of the first event with rv > after, or evlog_count() */
size_t evlog_first_after(uint64_t after);
size_t evlog_count(void);
const kevent *evlog_at(size_t i);

/* ---------- requests and responses (kube_http.c) ---------- */
typedef struct kreq {
  const char *method;
  const char *path;
  char *body;
  size_t body_len;
  const char *content_type;
  const char *accept;
  void *conn; /* struct MHD_Connection * */
  /* response being built */
  int status;
  kbuf out;
  const char *out_type;
  char *warnings[16];
  int nwarnings;
  bool is_watch; /* handler set up a watch stream instead of out */
  void *watch;
  char *retry_after;
} kreq;
const char *req_query(kreq *r, const char *key); /* decoded, or NULL */
bool req_query_bool(kreq *r, const char *key);
void req_warn(kreq *r, const char *msg);
void resp_json(kreq *r, int status, const cJSON *j);
void resp_text(kreq *r, int status, const char *type, const char *s, size_t n);

/* ---------- Status errors (kube_status.c) ---------- */
typedef struct kdetails {
  const char *name, *group, *kind, *uid;
  cJSON *causes; /* owned; array */
  int retry_after;
} kdetails;
void resp_status(kreq *r, int code, const char *reason, const kdetails *d, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
cJSON *status_json(int code, const char *reason, const kdetails *d, const char *msg);
/* "widgets.example.com" or "configmaps" */
void qualified_resource(const ktype *t, char *out, size_t n);
void resp_not_found(kreq *r, const ktype *t, const char *name);
void resp_conflict(kreq *r, const ktype *t, const char *name);
/* field errors → 422 Invalid. */
typedef struct kerrs {
  cJSON *causes; /* array of {reason,message,field} */
  kbuf msgs;     /* "field: message" joined by ", " */
  int n;
} kerrs;
void kerrs_add(kerrs *e, const char *reason, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void kerrs_free(kerrs *e);
void resp_invalid(kreq *r, const ktype *t, const char *name, kerrs *e); /* consumes e */

/* ---------- routing and verbs ---------- */
void api_dispatch(kreq *r);
typedef struct kroute {
  ktype *t;
  const kversion *v;
  char group[256], version[64], plural[256], ns[256], name[256], sub[64];
  bool has_ns, has_name, has_sub;
} kroute;
void verb_get(kreq *r, kroute *rt);
void verb_list(kreq *r, kroute *rt);
void verb_create(kreq *r, kroute *rt);
void verb_update(kreq *r, kroute *rt);
void verb_patch(kreq *r, kroute *rt);
void verb_delete(kreq *r, kroute *rt);
void verb_deletecollection(kreq *r, kroute *rt);

typedef struct ksel ksel;
bool parse_selectors(kreq *r, const ktype *t, ksel **ls, ksel **fs); /* false after answering 400 */
/* Parse the request body (JSON, or YAML when content type says so). NULL after answering an error. */
cJSON *parse_body(kreq *r, bool allow_yaml);

/* Serve stored text for version v: rewrites apiVersion; drop_tm removes apiVersion+kind. */
void emit_object(kbuf *b, const ktype *t, const kversion *v, const kblob *json, bool drop_tm);
/* The external (served) JSON for an object, as a tree. Caller frees. */
cJSON *object_view(const ktype *t, const kversion *v, const kblob *json);

/* Write paths shared by verbs, GC and cascades (need KS.lock). */
typedef struct kwrite_ctx {
  bool dry_run;
} kwrite_ctx;
/* Delete o honouring finalizers and propagation ("Background", "Foreground", "Orphan" or NULL).
 * Returns a new ref to the resulting state (the marked object, or the last state when it was
 * removed outright: *removed = true). dry_run computes without storing. */
kblob *obj_delete(ktype *t, kobj *o, const char *propagation, bool dry_run, bool *removed);
/* Store `next` (takes ownership) as the new state of o. A terminating object left without
 * finalizers is removed instead (DELETED event). Returns a new ref to the stored/final state. */
kblob *obj_commit(ktype *t, kobj *o, cJSON *next, bool *removed);

/* ---------- watch (kube_watch.c) ---------- */
typedef struct ksel ksel;
void watch_start(kreq *r, kroute *rt, ksel *lsel, ksel *fsel, uint64_t from_rv, bool initial, bool bookmarks,
                 unsigned timeout_s);
/* The MHD response for a watch set up by watch_start. */
void *watch_make_response(kreq *r);
void watch_close_type(ktype *t); /* CRD deleted: end its watches (needs lock) */
void watch_drop_all(void);       /* needs lock */

/* ---------- selectors (kube_selectors.c) ---------- */
ksel *sel_parse_labels(const char *s, char *err, size_t errn);
ksel *sel_parse_fields(const ktype *t, const char *s, char *err, size_t errn);
bool sel_match_labels(const ksel *s, const cJSON *labels);
bool sel_match_fields(const ksel *s, const cJSON *obj);
bool sel_fields_need_object(const ksel *s); /* more than metadata.name/namespace */
bool sel_match_fields_meta(const ksel *s, const char *ns, const char *name);
void sel_free(ksel *s);

/* ---------- CRDs (kube_crd.c) ---------- */
/* Validate + complete a CRD object on create (sets status, finalizer). 0 or 422 answered. */
int crd_prepare_create(kreq *r, cJSON *crd, kerrs *e);
int crd_prepare_update(cJSON *crd, const cJSON *old, kerrs *e); /* validate + default an update */
int crd_register(cJSON *crd); /* creates the served type; needs lock */
void crd_update_type(cJSON *crd);
void crd_unregister(const char *crd_name);
ktype *crd_type(const char *crd_name);
int version_priority_cmp(const char *a, const char *b); /* >0 if a preferred over b */

/* ---------- schema (kube_schema_*.c, kube_prune.c) ---------- */
/* Prune unknown fields (collects their paths into `unknown`, array of strings). */
void schema_prune(cJSON *obj, const cJSON *schema, cJSON *unknown, bool is_root);
void schema_default(cJSON *obj, const cJSON *schema);
void schema_drop_nulls(cJSON *obj, const cJSON *schema);
void schema_validate(const cJSON *obj, const cJSON *schema, kerrs *e, bool is_root);
void metadata_validate(const ktype *t, const cJSON *obj, kerrs *e, bool is_create);

/* ---------- protobuf request bodies (kube_protobuf.c) ---------- */
/* Decode a "k8s\0" envelope holding a v1 Namespace, ConfigMap or Secret. 0 and *out (caller frees);
 * 415 for anything else it cannot represent; 400 (with err) for a malformed message. */
int pb_decode(const char *body, size_t len, cJSON **out, char *err, size_t errn);

/* ---------- patches ---------- */
/* Strategic merge patch for built-in kinds. NULL + msg on a malformed patch. */
cJSON *smp_apply(const cJSON *orig, const cJSON *patch, char *err, size_t errn);

/* ---------- built-in kinds (kube_builtin.c) ---------- */
int builtin_normalize(kreq *r, ktype *t, cJSON *obj, const cJSON *old, kerrs *e);
cJSON *event_core_to_v1(const cJSON *core);
cJSON *event_v1_to_core(const cJSON *v1);
void builtin_create_defaults(ktype *t, cJSON *obj);

/* ---------- garbage collector and cascades (kube_gc.c) ---------- */
void gc_start(void);
void gc_stop(void);
void gc_kick(void); /* needs lock */

/* ---------- owner index and GC work queue (kube_gc_index.c); all need KS.lock ----------
 * owner UID -> dependents, maintained by the store on every write, so garbage collection visits
 * only the objects a write can affect. Hooks are called by kube_store.c: */
void gcx_on_insert(kobj *o, const cJSON *obj);
void gcx_on_replace(kobj *o, const cJSON *obj);
void gcx_on_remove(kobj *o); /* before o is freed */
void gcx_reset(void);        /* the store dropped every object */
void gcx_requeue_all(void);  /* re-check every dependent and pending owner (GC switched on) */
bool gcx_pending(void);
/* Pop the next queued check: returns the object (and its store type) or NULL when the queue is
 * empty; *owner_check tells which check it was queued for. */
kobj *gcx_pop(ktype **t, bool *owner_check);
/* Dependents of an owner UID (borrowed array, valid until the next store write). */
kobj *const *gcx_dependents(const char *uid, size_t *n);
void gcx_free(void);

/* ---------- TokenReview / (Self)SubjectAccessReview (kube_reviews.c) ---------- */
bool is_review_type(const ktype *t);
void verb_review(kreq *r, kroute *rt);

/* ---------- discovery (kube_discovery.c) ---------- */
bool discovery_serve(kreq *r); /* true if the path was a discovery/meta path */

/* ---------- test control (kube_sim_control.c) ---------- */
bool control_serve(kreq *r);
/* Injected failures/latency: true if the request was answered with a failure. */
bool control_intercept(kreq *r);
void control_free(void);

/* ---------- misc helpers (kube_util.c) ---------- */
void gen_uid(char out[40]);
void now_rfc3339(char out[32]);
void now_micro(char out[40]);
void gen_suffix(char out[6]);
bool parse_go_bool(const char *s, bool *out);
cJSON *jget(const cJSON *o, const char *k); /* object member or NULL */
const char *jstr(const cJSON *o, const char *k);
cJSON *jobj(cJSON *o, const char *k);              /* get or create object member */
void jset(cJSON *o, const char *k, cJSON *v);      /* replace or add */
void jset_str(cJSON *o, const char *k, const char *s);
void jdel(cJSON *o, const char *k);
void json_front(cJSON *obj, const char *api_version, const char *kind); /* apiVersion, kind first */
int json_depth(const cJSON *j);
char *b64_encode(const unsigned char *in, size_t n);
bool is_dns1123_subdomain(const char *s);
bool is_dns1123_label(const char *s);
char *json_print(const cJSON *j); /* compact; caller frees */
uint64_t now_ms(void);

#endif
