/* az_ensure.c — desired-state helper: fingerprint memo (bounded LRU) that lets a steady-state reconcile skip
 * the GET, owned-field comparison that avoids needless PUTs, ownership-tag guard, non-blocking LROs. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capz/azure_ensure.h"
#include "capz/json.h"
#include "capz/metrics.h"
#include "azure/az_arm_internal.h"
#include "azure/az_lro.h"
#include "azure/az_limiter.h"
#include "azure/az_util.h"

typedef struct ens_entry {
  char *key;          /* lower-cased canonical resource ID */
  char fp[65];        /* fingerprint of what is applied/verified ("" while unknown) */
  char *etag;         /* malloc'ed or NULL: ETags are short, a fixed buffer would dominate the entry */
  double next_drift_at;
  bool not_owned;     /* remembered NOT_OWNED verdict (re-checked at the drift interval) */
  bool drift_slot;    /* next_drift_at is a slot the drift-read budget already granted */
  capz_arm_op *op;    /* in-flight LRO, or NULL */
  char op_fp[65];     /* fingerprint the op applies */
  bool op_creates;    /* the op is a create (vs update) */
  bool op_deletes;
  double empty_until; /* resource groups: created empty by this ensurer; until then a top-level resource in it
                       * that nothing here remembers is known absent (0 = no such knowledge) */
  struct ens_entry *prev, *next, *hnext;
} ens_entry;

/* Drift-read budget of one ARM client, as a virtual clock (GCRA): tat is when the budget is next free. Reads are
 * granted at slots 1/rate apart, so deferred resources come back evenly spread and in arrival order. */
typedef struct ens_budget {
  const capz_arm_client *client; /* identity only, never dereferenced (a freed client's slot just ages out) */
  double tat;
  unsigned busy_turn; /* while the client's reads are busy, only every SLOWDOWN-th slot that comes due reads */
} ens_budget;

#define ENS_BUDGETS 64

struct capz_arm_ensurer {
  pthread_mutex_t mu;
  capz_arm_ensure_config cfg;
  ens_entry *head, *tail;
  ens_entry **table;
  size_t nbuckets; /* power of two, ≥ capacity, so chains stay short at any fleet size */
  size_t size;
  ens_budget budgets[ENS_BUDGETS];
  uint64_t drift_reads, drift_deferred;
  capz_metric *m_deferred, *m_drift_reads, *m_skipped;
};

capz_arm_ensurer *capz_arm_ensurer_new(const capz_arm_ensure_config *cfg) {
  capz_arm_ensurer *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  if (cfg) e->cfg = *cfg;
  if (!e->cfg.capacity) e->cfg.capacity = CAPZ_ARM_ENSURE_DEFAULT_CAPACITY;
  e->nbuckets = 1024;
  while (e->nbuckets < e->cfg.capacity && e->nbuckets < ((size_t)1 << 24)) e->nbuckets <<= 1;
  e->table = calloc(e->nbuckets, sizeof *e->table);
  if (!e->table) {
    free(e);
    return NULL;
  }
  if (e->cfg.drift_reads_per_s == 0) {
    capz_arm_limits l;
    capz_arm_limits_default(&l);
    e->cfg.drift_reads_per_s = l.read.per_second * CAPZ_ARM_ENSURE_DRIFT_SHARE;
  }
  if (e->cfg.drift_reads_per_s > 0 && e->cfg.drift_read_burst < 1)
    e->cfg.drift_read_burst = e->cfg.drift_reads_per_s < 1 ? 1 : e->cfg.drift_reads_per_s;
  /* metrics are best effort: a registry conflict must not stop the ensurer */
  capz_metric_family *f = capz_metrics_counter(e->cfg.metrics, "capz_azure_ensure_drift_deferred_total",
                                               "Drift reads ensure postponed because the drift-read budget was "
                                               "spent (the resource was reported unchanged and re-read later).",
                                               NULL, NULL);
  e->m_deferred = f ? capz_metric_with(f, NULL) : NULL;
  f = capz_metrics_counter(e->cfg.metrics, "capz_azure_ensure_drift_reads_total",
                           "GETs ensure sent only because a resource's drift interval had elapsed.", NULL, NULL);
  e->m_drift_reads = f ? capz_metric_with(f, NULL) : NULL;
  f = capz_metrics_counter(e->cfg.metrics, "capz_azure_ensure_reads_skipped_total",
                           "GETs ensure did not send: the resource is a top-level resource of a resource group this "
                           "ensurer created empty less than a drift interval ago, and was never seen since.",
                           NULL, NULL);
  e->m_skipped = f ? capz_metric_with(f, NULL) : NULL;
  if (e->cfg.drift_interval_s <= 0) e->cfg.drift_interval_s = 600;
  if (e->cfg.drift_jitter == 0) e->cfg.drift_jitter = 0.1;
  if (e->cfg.drift_jitter < 0) e->cfg.drift_jitter = 0;
  if (e->cfg.drift_jitter > 0.5) e->cfg.drift_jitter = 0.5;
  pthread_mutex_init(&e->mu, NULL);
  return e;
}

static void entry_free(ens_entry *x) {
  free(x->key);
  free(x->etag);
  capz_arm_op_free(x->op);
  free(x);
}

void capz_arm_ensurer_free(capz_arm_ensurer *e) {
  if (!e) return;
  ens_entry *x = e->head;
  while (x) {
    ens_entry *n = x->next;
    entry_free(x);
    x = n;
  }
  pthread_mutex_destroy(&e->mu);
  free(e->table);
  free(e);
}

static size_t hash_of(const capz_arm_ensurer *e, const char *s) {
  uint64_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (size_t)(h ^ (h >> 29)) & (e->nbuckets - 1);
}

static char *norm_key(const char *id) {
  capz_arm_resid r;
  char buf[2048];
  const char *src = id;
  if (capz_arm_resid_parse(id, &r, NULL) == 0 && capz_arm_resid_format(&r, buf, sizeof buf) >= 0) src = buf;
  char *k = strdup(src);
  if (k)
    for (char *p = k; *p; p++) *p = (char)tolower((unsigned char)*p);
  return k;
}

static void lru_unlink(capz_arm_ensurer *e, ens_entry *x) {
  if (x->prev) x->prev->next = x->next;
  else e->head = x->next;
  if (x->next) x->next->prev = x->prev;
  else e->tail = x->prev;
  x->prev = x->next = NULL;
}

static void lru_front(capz_arm_ensurer *e, ens_entry *x) {
  x->next = e->head;
  x->prev = NULL;
  if (e->head) e->head->prev = x;
  e->head = x;
  if (!e->tail) e->tail = x;
}

/* Length of the resource-group prefix "/subscriptions/<s>/resourcegroups/<g>" of a normalised key (0 = none);
 * *top is set when the key is that group itself (TOP_RG) or a top-level resource in it (TOP_CHILD:
 * /providers/<ns>/<type>/<name> and nothing below; nested children may be created inside their parent's body,
 * so nothing is ever assumed about them). */
enum { TOP_OTHER, TOP_RG, TOP_CHILD };
static size_t rg_prefix(const char *key, int *top) {
  *top = TOP_OTHER;
  static const char subs[] = "/subscriptions/", rgs[] = "/resourcegroups/", prov[] = "/providers/";
  if (strncmp(key, subs, sizeof subs - 1) != 0) return 0;
  const char *p = strchr(key + sizeof subs - 1, '/');
  if (!p || strncmp(p, rgs, sizeof rgs - 1) != 0) return 0;
  const char *g = p + sizeof rgs - 1;
  if (!*g || *g == '/') return 0;
  const char *end = strchr(g, '/');
  if (!end) {
    *top = TOP_RG;
    return strlen(key);
  }
  if (strncmp(end, prov, sizeof prov - 1) == 0) {
    int segs = 0;
    for (const char *q = end + sizeof prov - 1; *q; q++)
      if (*q == '/') segs++;
    if (segs == 2) *top = TOP_CHILD; /* <ns>/<type>/<name> */
  }
  return (size_t)(end - key);
}

/* Caller holds mu. The entry of exactly this key, without touching the LRU order. */
static ens_entry *peek(capz_arm_ensurer *e, const char *key) {
  for (ens_entry *x = e->table[hash_of(e, key)]; x; x = x->hnext)
    if (strcmp(x->key, key) == 0) return x;
  return NULL;
}

/* Caller holds mu. The resource group entry of key (anything below a group), when that group is still known to
 * be empty of anything this ensurer did not create (NULL otherwise). */
static ens_entry *empty_group_of(capz_arm_ensurer *e, const char *key, double now) {
  int top;
  size_t n = rg_prefix(key, &top);
  if (!n || top == TOP_RG) return NULL;
  char g[1024];
  if (n >= sizeof g) return NULL;
  memcpy(g, key, n);
  g[n] = '\0';
  ens_entry *x = peek(e, g);
  return x && x->empty_until > now ? x : NULL;
}

/* Caller holds mu. key is being forgotten: a later ensure of it must not take "absent" for granted, so its group
 * loses its emptiness knowledge. */
static void group_taint(capz_arm_ensurer *e, const char *key) {
  ens_entry *g = empty_group_of(e, key, -1.0);
  if (g) g->empty_until = 0;
}

static void table_remove(capz_arm_ensurer *e, ens_entry *x) {
  ens_entry **pp = &e->table[hash_of(e, x->key)];
  while (*pp && *pp != x) pp = &(*pp)->hnext;
  if (*pp) *pp = x->hnext;
}

static ens_entry *find(capz_arm_ensurer *e, const char *key) {
  for (ens_entry *x = e->table[hash_of(e, key)]; x; x = x->hnext)
    if (strcmp(x->key, key) == 0) {
      lru_unlink(e, x);
      lru_front(e, x);
      return x;
    }
  return NULL;
}

/* Caller holds mu. Takes key. */
static ens_entry *find_or_add(capz_arm_ensurer *e, char *key) {
  ens_entry *x = find(e, key);
  if (x) {
    free(key);
    return x;
  }
  x = calloc(1, sizeof *x);
  if (!x) {
    free(key);
    return NULL;
  }
  x->key = key;
  size_t h = hash_of(e, key);
  x->hnext = e->table[h];
  e->table[h] = x;
  lru_front(e, x);
  e->size++;
  while (e->size > e->cfg.capacity && e->tail && e->tail != x) {
    ens_entry *old = e->tail;
    lru_unlink(e, old);
    table_remove(e, old);
    group_taint(e, old->key);
    entry_free(old); /* losing an in-flight op only costs a GET later: the resource shows its own state */
    e->size--;
  }
  return x;
}

static void remove_entry(capz_arm_ensurer *e, const char *key) {
  group_taint(e, key);
  ens_entry *x = find(e, key);
  if (!x) return;
  lru_unlink(e, x);
  table_remove(e, x);
  entry_free(x);
  e->size--;
}

void capz_arm_ensurer_forget(capz_arm_ensurer *e, const char *id) {
  char *k = norm_key(id);
  if (!k) return;
  pthread_mutex_lock(&e->mu);
  remove_entry(e, k);
  pthread_mutex_unlock(&e->mu);
  free(k);
}

size_t capz_arm_ensurer_size(capz_arm_ensurer *e) {
  pthread_mutex_lock(&e->mu);
  size_t n = e->size;
  pthread_mutex_unlock(&e->mu);
  return n;
}

void capz_arm_ensurer_drift_stats(capz_arm_ensurer *e, uint64_t *reads, uint64_t *deferred) {
  pthread_mutex_lock(&e->mu);
  if (reads) *reads = e->drift_reads;
  if (deferred) *deferred = e->drift_deferred;
  pthread_mutex_unlock(&e->mu);
}

void capz_arm_ensure_result_free(capz_arm_ensure_result *r) {
  if (!r) return;
  free(r->resume_token);
  cJSON_Delete(r->live);
  r->resume_token = NULL;
  r->live = NULL;
}

bool capz_arm_is_owned(const cJSON *resource, const char *cluster_name) {
  if (!cluster_name || !*cluster_name) return false;
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(resource, "tags");
  if (!cJSON_IsObject(tags)) return false;
  size_t pl = strlen(CAPZ_ARM_OWNED_TAG_PREFIX);
  for (const cJSON *t = tags->child; t; t = t->next) {
    if (!t->string || strncasecmp(t->string, CAPZ_ARM_OWNED_TAG_PREFIX, pl) != 0) continue;
    if (strcasecmp(t->string + pl, cluster_name) != 0) continue;
    return cJSON_IsString(t) && strcasecmp(t->valuestring, "owned") == 0;
  }
  return false;
}

static double now_of(const capz_arm_ensurer *e) { return az_clock(e->cfg.clock, e->cfg.clock_ud); }

static double drift_delay(const capz_arm_ensurer *e) {
  double j = e->cfg.drift_jitter;
  return e->cfg.drift_interval_s * (1.0 - j + 2.0 * j * az_rand01());
}

/* Caller holds mu. The budget slot of client c (an idle or the least recently busy slot when c has none). */
static ens_budget *budget_of(capz_arm_ensurer *e, const capz_arm_client *c) {
  ens_budget *victim = &e->budgets[0];
  for (size_t i = 0; i < ENS_BUDGETS; i++) {
    ens_budget *b = &e->budgets[i];
    if (b->client == c) return b;
    if (!b->client || (victim->client && b->tat < victim->tat)) victim = b;
    if (!b->client) break;
  }
  victim->client = c;
  victim->tat = 0;
  return victim;
}

/* Caller holds mu. A slot of c's budget came due while c's reads are busy: use it (true) or pass it on? */
static bool budget_busy_turn(capz_arm_ensurer *e, const capz_arm_client *c) {
  ens_budget *b = budget_of(e, c);
  b->busy_turn = (b->busy_turn + 1) % (unsigned)CAPZ_ARM_ENSURE_DRIFT_BUSY_SLOWDOWN;
  return b->busy_turn == 0;
}

/* Caller holds mu. Grant a drift read for client c at time now: returns the slot time, ≤ now = read now. Up to
 * burst reads conform at once, then one per 1/rate; a later slot is a reservation the caller must honour. */
static double budget_grant(capz_arm_ensurer *e, const capz_arm_client *c, double now) {
  ens_budget *b = budget_of(e, c);
  double T = 1.0 / e->cfg.drift_reads_per_s, tau = (e->cfg.drift_read_burst - 1.0) * T;
  double earliest = b->tat > now ? b->tat : now;
  b->tat = earliest + T;
  return earliest - tau <= now ? now : earliest - tau;
}

/* Is real work queueing for c's read tokens (its bucket for the resource's subscription under half full)? Then
 * drift reads, which only confirm what is already believed, step back further. */
static bool reads_busy(const capz_arm_client *c, const char *key) {
  char sub[64];
  az_subscription_of(key, sub, sizeof sub);
  return az_limiter_level(c->lim, sub, capz_az_credential_principal(c->cred), CAPZ_ARM_READ) <
         CAPZ_ARM_ENSURE_DRIFT_BUSY_LEVEL;
}

/* The body we PUT: desired with desired.tags ∪ spec.tags ∪ ownership tag. */
static cJSON *build_body(const capz_arm_ensure_spec *s, capz_err *err) {
  if (!cJSON_IsObject(s->desired)) {
    az_err(err, CAPZ_EINVAL, 0, NULL, "ensure %s: desired must be an object", s->id);
    return NULL;
  }
  cJSON *b = cJSON_Duplicate(s->desired, true);
  if (!b) return NULL;
  if ((s->tags && cJSON_IsObject(s->tags) && s->tags->child) || s->cluster_name) {
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(b, "tags");
    if (!cJSON_IsObject(tags)) {
      cJSON_DeleteItemFromObjectCaseSensitive(b, "tags");
      tags = cJSON_AddObjectToObject(b, "tags");
    }
    for (const cJSON *t = s->tags ? s->tags->child : NULL; t; t = t->next) {
      if (!cJSON_IsString(t)) {
        cJSON_Delete(b);
        az_err(err, CAPZ_EINVAL, 0, NULL, "ensure %s: tag %s must be a string", s->id, t->string);
        return NULL;
      }
      cJSON_DeleteItemFromObjectCaseSensitive(tags, t->string);
      cJSON_AddStringToObject(tags, t->string, t->valuestring);
    }
    if (s->cluster_name) {
      char k[256];
      snprintf(k, sizeof k, "%s%s", CAPZ_ARM_OWNED_TAG_PREFIX, s->cluster_name);
      cJSON_DeleteItemFromObjectCaseSensitive(tags, k);
      cJSON_AddStringToObject(tags, k, "owned");
    }
  }
  return b;
}

static void add_canonical(az_buf *b, const cJSON *v) {
  char *canon = v ? capz_json_canonical(v) : NULL;
  az_buf_adds(b, canon ? canon : "-");
  free(canon);
}

/* With an owned list, only what ensure compares counts: the owned fields and the tags. A field we send but do not
 * own (e.g. a managedCluster's agentPoolProfiles, sent at creation only) changes nothing ensure would do, so
 * adding or dropping it must not cost a read. */
static void fingerprint(const cJSON *body, const capz_arm_ensure_spec *s, char out[65]) {
  az_buf b = {0};
  if (!s->owned) add_canonical(&b, body);
  for (const char *const *o = s->owned; o && *o; o++) {
    az_buf_adds(&b, "\n");
    az_buf_adds(&b, *o);
    az_buf_adds(&b, "=");
    add_canonical(&b, capz_json_ptr_get(body, *o));
  }
  if (s->owned) {
    az_buf_adds(&b, "\ntags=");
    add_canonical(&b, cJSON_GetObjectItemCaseSensitive(body, "tags"));
  }
  az_sha256_hex(b.p ? b.p : "", b.p ? b.len : 0, out);
  az_buf_wipe(&b);
}

static const char *live_prov_state(const cJSON *live) {
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(live, "properties");
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(props, "provisioningState"));
}

/* Our fields ⊆ live? Tags we set are always checked, whatever `owned` lists. */
static bool matches(const cJSON *body, const cJSON *live, const char *const *owned, char *diff, size_t n) {
  unsigned flags = CAPZ_JSON_CMP_CASEFOLD_STRINGS;
  if (!capz_json_subset(body, live, owned, flags, diff, n)) return false;
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "tags");
  if (tags && tags->child) {
    static const char *const tag_ptr[] = {"/tags", NULL};
    if (!capz_json_subset(body, live, tag_ptr, flags, diff, n)) return false;
  }
  return true;
}

/* Fields others own (spec.keep_live) that desired leaves out: their live values go into the update's body, so a
 * PUT that ARM treats as authoritative for them (embedded children) keeps them. 0 or an error from the setter. */
static int carry_live(cJSON *body, const cJSON *live, const char *const *keep, capz_err *err) {
  for (; keep && *keep; keep++) {
    if (capz_json_ptr_get(body, *keep)) continue;
    const cJSON *v = capz_json_ptr_get(live, *keep);
    if (!v) continue;
    cJSON *dup = cJSON_Duplicate(v, true);
    if (!dup) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
    int rc = capz_json_ptr_set(body, *keep, dup, err);
    if (rc) return rc;
  }
  return 0;
}

static void settle(capz_arm_ensurer *e, const char *key, const char *fp, const char *etag, bool not_owned) {
  pthread_mutex_lock(&e->mu);
  char *k = strdup(key);
  ens_entry *x = k ? find_or_add(e, k) : NULL;
  if (x) {
    az_strlcpy(x->fp, fp, sizeof x->fp);
    free(x->etag);
    x->etag = etag && *etag ? strdup(etag) : NULL;
    x->not_owned = not_owned;
    x->drift_slot = false;
    x->next_drift_at = now_of(e) + drift_delay(e);
    capz_arm_op_free(x->op);
    x->op = NULL;
  }
  pthread_mutex_unlock(&e->mu);
}

static void park_op(capz_arm_ensurer *e, const char *key, capz_arm_op *op, const char *fp, bool creates, bool deletes) {
  pthread_mutex_lock(&e->mu);
  char *k = strdup(key);
  ens_entry *x = k ? find_or_add(e, k) : NULL;
  if (x) {
    capz_arm_op_free(x->op);
    x->op = op;
    x->fp[0] = '\0'; /* unknown until the op finishes */
    x->drift_slot = false;
    az_strlcpy(x->op_fp, fp, sizeof x->op_fp);
    x->op_creates = creates;
    x->op_deletes = deletes;
  } else {
    capz_arm_op_free(op);
  }
  pthread_mutex_unlock(&e->mu);
}

/* Drive an op one step (or to the end when blocking) and turn its state into a result. Takes op. */
static int drive(capz_arm_ensurer *e, capz_arm_client *c, const char *key, capz_arm_op *op, const char *fp,
                 bool creates, bool deletes, bool just_started, capz_arm_ensure_result *res, capz_err *err) {
  int rc = 0;
  if (capz_arm_op_get_state(op) == CAPZ_ARM_OP_IN_PROGRESS || op->need_final_get) {
    if (e->cfg.blocking) rc = capz_arm_op_wait(c, op, e->cfg.lro_timeout_s, err);
    else if (!just_started || op->need_final_get) rc = capz_arm_op_poll(c, op, err);
    else rc = CAPZ_EINPROGRESS;
  } else if (capz_arm_op_get_state(op) == CAPZ_ARM_OP_FAILED) {
    rc = CAPZ_EFAILED;
    az_err(err, CAPZ_EFAILED, 0, op->error.code, "ensure %s: operation %s: %s", key, op->error.code, op->error.message);
  }
  capz_arm_op_state st = capz_arm_op_get_state(op);
  if (st == CAPZ_ARM_OP_IN_PROGRESS && (rc == CAPZ_EINPROGRESS || capz_err_is_transient(rc) || rc == CAPZ_EPROTO)) {
    res->outcome = CAPZ_ENSURE_IN_PROGRESS;
    res->requeue_after_s = capz_arm_op_next_poll_in(op);
    char *t = capz_arm_op_resume_token(op);
    if (t) {
      /* ensure's token remembers whether the op creates, so a resumed op reports CREATED correctly */
      size_t l = strlen(t);
      res->resume_token = malloc(l + 3);
      if (res->resume_token) {
        res->resume_token[0] = deletes ? 'D' : creates ? 'C' : 'U';
        res->resume_token[1] = '.';
        memcpy(res->resume_token + 2, t, l + 1);
      }
      free(t);
    }
    park_op(e, key, op, fp, creates, deletes);
    capz_err_clear(err);
    return 0;
  }
  if (st == CAPZ_ARM_OP_SUCCEEDED && rc == 0) {
    if (deletes) {
      pthread_mutex_lock(&e->mu);
      remove_entry(e, key);
      pthread_mutex_unlock(&e->mu);
      res->outcome = CAPZ_ENSURE_DELETED;
    } else {
      const cJSON *result = capz_arm_op_result(op);
      res->live = result ? cJSON_Duplicate(result, true) : NULL;
      const char *etag = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "etag"));
      settle(e, key, fp, etag, false);
      int top;
      if (creates && rg_prefix(key, &top) && top == TOP_RG) {
        /* a group we just created holds nothing: its top-level resources need no read before their create */
        pthread_mutex_lock(&e->mu);
        ens_entry *g = peek(e, key);
        if (g) g->empty_until = now_of(e) + e->cfg.drift_interval_s;
        pthread_mutex_unlock(&e->mu);
      }
      res->outcome = creates ? CAPZ_ENSURE_CREATED : CAPZ_ENSURE_UPDATED;
      res->requeue_after_s = e->cfg.drift_interval_s;
    }
    capz_arm_op_free(op);
    return 0;
  }
  /* failed (or an unexpected error): forget, so the next call starts from a fresh read */
  pthread_mutex_lock(&e->mu);
  remove_entry(e, key);
  pthread_mutex_unlock(&e->mu);
  capz_arm_op_free(op);
  return rc ? rc : CAPZ_EFAILED;
}

static capz_arm_op *take_op(capz_arm_ensurer *e, const char *key, char *fp_out, bool *creates, bool *deletes) {
  capz_arm_op *op = NULL;
  pthread_mutex_lock(&e->mu);
  ens_entry *x = find(e, key);
  if (x && x->op) {
    op = x->op;
    x->op = NULL;
    az_strlcpy(fp_out, x->op_fp, 65);
    *creates = x->op_creates;
    *deletes = x->op_deletes;
  }
  pthread_mutex_unlock(&e->mu);
  return op;
}

static bool remembered(capz_arm_ensurer *e, const char *key) {
  pthread_mutex_lock(&e->mu);
  ens_entry *x = find(e, key);
  bool known = x && (x->fp[0] || x->op);
  pthread_mutex_unlock(&e->mu);
  return known;
}

/* Parse ensure's "K.<op token>" resume token (K = C create, U update, D delete). */
static int resume_op(capz_arm_client *c, const char *token, capz_arm_op **op, char *kind) {
  *op = NULL;
  if (!(token[0] == 'C' || token[0] == 'U' || token[0] == 'D') || token[1] != '.') return CAPZ_EINVAL;
  *kind = token[0];
  return capz_arm_op_resume(c, token + 2, op, NULL);
}

int capz_arm_ensure(capz_arm_ensurer *e, capz_arm_client *c, const capz_arm_ensure_spec *s,
                    capz_arm_ensure_result *res, capz_err *err) {
  memset(res, 0, sizeof *res);
  if (!e || !c || !s || !s->id || !s->desired) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_ensure: NULL argument");
  uint64_t req0 = az_tls_arm_requests;
  int rc = 0;
  cJSON *body = NULL;
  char *key = norm_key(s->id);
  if (!key) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  body = build_body(s, err);
  if (!body) {
    free(key);
    return err && err->code ? err->code : CAPZ_ENOMEM;
  }
  char fp[65];
  fingerprint(body, s, fp);
  bool exists = false;

  /* 1. an LRO we started earlier: poll it instead of re-sending anything */
  char op_fp[65] = "";
  bool creates = false, deletes = false;
  capz_arm_op *op = take_op(e, key, op_fp, &creates, &deletes);
  /* a token is only for a process that lost its memory; a stale token left in status must not cost a poll */
  if (!op && s->resume_token && *s->resume_token && !remembered(e, key)) {
    char kind = 0;
    if (resume_op(c, s->resume_token, &op, &kind) == 0 && kind != 'D') {
      az_strlcpy(op_fp, fp, sizeof op_fp);
      creates = kind == 'C';
    } else {
      capz_arm_op_free(op); /* a stale, foreign or delete token: fall back to a read */
      op = NULL;
    }
  }
  if (op) {
    rc = drive(e, c, key, op, op_fp, creates, deletes, false, res, err);
    goto out;
  }

  /* 2. steady state: same fingerprint and drift read not due → no request at all. A due drift read needs a
   *    slot of the client's drift-read budget; without one it waits for its slot (still reported steady), so
   *    drift reads never crowd out real work. A changed fingerprint always reads at once. */
  pthread_mutex_lock(&e->mu);
  ens_entry *x = find(e, key);
  if (x && x->fp[0] && strcmp(x->fp, fp) == 0) {
    double now = now_of(e);
    bool deferred = false;
    if (now >= x->next_drift_at && e->cfg.drift_reads_per_s > 0) {
      double slot = x->drift_slot ? now : budget_grant(e, c, now);
      /* real work queueing for read tokens: most due slots are passed on (a new slot at the end of the line), so
       * the budget keeps its pace and its order and the backlog drains at full speed once reads are free again */
      if (slot <= now && reads_busy(c, key) && !budget_busy_turn(e, c)) slot = budget_grant(e, c, now);
      if (slot > now) {
        x->next_drift_at = slot;
        x->drift_slot = true;
        e->drift_deferred++;
        deferred = true;
      }
    }
    if (now < x->next_drift_at) {
      res->outcome = x->not_owned ? CAPZ_ENSURE_NOT_OWNED : CAPZ_ENSURE_UNCHANGED;
      res->requeue_after_s = x->next_drift_at - now;
      pthread_mutex_unlock(&e->mu);
      if (deferred && e->m_deferred) capz_metric_inc(e->m_deferred);
      goto out;
    }
    x->drift_slot = false; /* this read uses the slot granted now or earlier */
    e->drift_reads++;
    pthread_mutex_unlock(&e->mu);
    if (e->m_drift_reads) capz_metric_inc(e->m_drift_reads);
  } else {
    /* never seen here, in a group this ensurer created empty within the drift interval: known absent. Anything
     * forgotten or evicted under that group cleared the knowledge (group_taint), so this is never our own
     * resource read back as "absent" */
    int top;
    bool absent = !x && rg_prefix(key, &top) && top == TOP_CHILD && empty_group_of(e, key, now_of(e));
    pthread_mutex_unlock(&e->mu);
    if (absent) {
      if (e->m_skipped) capz_metric_inc(e->m_skipped);
      goto write;
    }
  }

  /* 3. read the live resource */
  capz_arm_response live;
  rc = capz_arm_get(c, s->id, s->opts, &live, err);
  exists = rc == 0;
  if (rc && rc != CAPZ_ENOTFOUND) {
    capz_arm_response_free(&live);
    goto out;
  }
  rc = 0;
  capz_err_clear(err);
  if (exists) {
    if (s->cluster_name && !capz_arm_is_owned(live.body, s->cluster_name)) {
      settle(e, key, fp, live.etag, true);
      res->outcome = CAPZ_ENSURE_NOT_OWNED;
      res->requeue_after_s = e->cfg.drift_interval_s;
      res->live = live.body;
      goto out;
    }
    capz_arm_op_state ps = az_lro_classify(live_prov_state(live.body));
    if (ps != CAPZ_ARM_OP_FAILED &&
        matches(body, live.body, s->owned, res->diff_path, sizeof res->diff_path)) {
      if (ps == CAPZ_ARM_OP_IN_PROGRESS) {
        /* someone's operation is still running on it; look again soon, don't pile a PUT on top */
        res->outcome = CAPZ_ENSURE_IN_PROGRESS;
        res->requeue_after_s = c->poll_default_s;
      } else {
        settle(e, key, fp, live.etag, false);
        res->outcome = CAPZ_ENSURE_UNCHANGED;
        res->requeue_after_s = e->cfg.drift_interval_s;
      }
      res->diff_path[0] = '\0';
      res->live = live.body;
      goto out;
    }
    if (ps == CAPZ_ARM_OP_FAILED && !res->diff_path[0]) az_strlcpy(res->diff_path, "/properties/provisioningState",
                                                                   sizeof res->diff_path);
    /* after the fingerprint: fields others own are carried, never remembered as ours */
    if ((rc = carry_live(body, live.body, s->keep_live, err))) {
      capz_arm_response_free(&live);
      goto out;
    }
  }
  capz_arm_response_free(&live);

  /* 4. write */
write:
  rc = capz_arm_begin(c, "PUT", s->id, body, s->opts, CAPZ_ARM_FINAL_DEFAULT, &op, err);
  if (rc) {
    pthread_mutex_lock(&e->mu);
    remove_entry(e, key);
    pthread_mutex_unlock(&e->mu);
    capz_arm_op_free(op);
    goto out;
  }
  rc = drive(e, c, key, op, fp, !exists, false, true, res, err);
out:
  res->arm_requests = (int)(az_tls_arm_requests - req0);
  cJSON_Delete(body);
  free(key);
  return rc;
}

int capz_arm_ensure_delete(capz_arm_ensurer *e, capz_arm_client *c, const char *id, const char *cluster_name,
                           const char *resume_token, capz_arm_ensure_result *res, capz_err *err) {
  capz_arm_delete_spec s = {.id = id, .cluster_name = cluster_name, .resume_token = resume_token};
  return capz_arm_ensure_delete_spec(e, c, &s, res, err);
}

int capz_arm_ensure_delete_spec(capz_arm_ensurer *e, capz_arm_client *c, const capz_arm_delete_spec *s,
                                capz_arm_ensure_result *res, capz_err *err) {
  memset(res, 0, sizeof *res);
  if (!e || !c || !s || !s->id) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_ensure_delete: NULL argument");
  const char *id = s->id, *cluster_name = s->cluster_name, *resume_token = s->resume_token;
  uint64_t req0 = az_tls_arm_requests;
  int rc = 0;
  char *key = norm_key(id);
  if (!key) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  char op_fp[65] = "";
  bool creates = false, deletes = false;
  capz_arm_op *op = take_op(e, key, op_fp, &creates, &deletes);
  if (op && !deletes) { /* a create/update still running: deleting supersedes it */
    capz_arm_op_free(op);
    op = NULL;
  }
  char kind = 0;
  if (!op && resume_token && *resume_token && resume_op(c, resume_token, &op, &kind) != 0) op = NULL;
  if (op && strcmp(op->method, "DELETE") != 0) {
    capz_arm_op_free(op);
    op = NULL;
  }
  if (!op) {
    if (cluster_name) {
      capz_arm_response live;
      rc = capz_arm_get(c, id, s->opts, &live, err);
      if (rc == CAPZ_ENOTFOUND) {
        capz_arm_response_free(&live);
        capz_err_clear(err);
        pthread_mutex_lock(&e->mu);
        remove_entry(e, key);
        pthread_mutex_unlock(&e->mu);
        res->outcome = CAPZ_ENSURE_DELETED;
        rc = 0;
        goto out;
      }
      if (rc) {
        capz_arm_response_free(&live);
        goto out;
      }
      if (!capz_arm_is_owned(live.body, cluster_name)) {
        res->outcome = CAPZ_ENSURE_NOT_OWNED;
        res->live = live.body;
        goto out;
      }
      capz_arm_response_free(&live);
    }
    rc = capz_arm_begin(c, "DELETE", id, NULL, s->opts, CAPZ_ARM_FINAL_DEFAULT, &op, err);
    if (rc) goto out;
    rc = drive(e, c, key, op, "", false, true, true, res, err);
    goto out;
  }
  rc = drive(e, c, key, op, "", false, true, false, res, err);
out:
  res->arm_requests = (int)(az_tls_arm_requests - req0);
  free(key);
  return rc;
}
