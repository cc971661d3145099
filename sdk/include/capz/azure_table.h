/* capz/azure_table.h — an ordered table of Azure resources a reconcile converges, each row a small spec handed
 * to capz_arm_ensure / capz_arm_ensure_delete_spec (capz/azure_ensure.h). A plugin's "service" layer becomes
 * rows: resource group → network → ... → the resource itself, walked in order to create and in reverse to
 * delete; a walk stops at the first row whose operation is still running or failed, so the caller requeues and
 * resumes from there.
 *
 * Ownership rule: a row with `ownership` set passes the table's cluster name to ensure/delete, so an existing
 * resource without CAPZ's ownership tag (bring-your-own) is never modified or deleted (outcome NOT_OWNED); rows
 * whose `parent` row came out NOT_OWNED are skipped too (e.g. subnets of a bring-your-own VNet).
 *
 * Fields other controllers own on a row's resource (capz_arm_row_set_keep_live) are carried from the live resource
 * into the row's updates instead of being dropped by them.
 *
 * Ownership (memory): the table owns every row's desired body, tags, owned-field and keep_live lists and live copy and frees
 * them in capz_arm_table_free; service, condition and cluster_name are borrowed (static strings or strings that
 * outlive the table). A walk's resume_token is owned by the walk (capz_arm_walk_free).
 * Thread-safety: a table and a walk belong to one reconcile (no locking); the ensurer and client passed to the
 * walks may be shared (they lock internally).
 */
#ifndef CAPZ_AZURE_TABLE_H
#define CAPZ_AZURE_TABLE_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"
#include "capz/azure_arm.h"
#include "capz/azure_ensure.h"

CAPZ_BEGIN_DECLS

#define CAPZ_ARM_ROW_ID_MAX 700

typedef struct capz_arm_row {
  const char *service;        /* CAPZ service name ("virtualnetworks"), also the LRO record's serviceName */
  const char *condition;      /* condition type this row reports into, or NULL */
  char id[CAPZ_ARM_ROW_ID_MAX];
  char name[128];             /* last segment of id */
  char api_version[32];       /* "" = the client's default; used for ensure AND delete */
  cJSON *desired;             /* PUT body (owned) */
  cJSON *tags;                /* extra tags (owned), may be NULL */
  char **owned;               /* owned NULL-terminated copy of JSON pointers compared with live; NULL = all */
  bool ownership;             /* apply the ownership-tag rule (default true) */
  bool no_delete;             /* skipped by the delete walk (e.g. deleted with its parent) */
  int parent;                 /* row whose NOT_OWNED outcome means "leave this one alone too" (-1: none) */
  /* filled by the walks */
  capz_arm_ensure_outcome outcome;
  int arm_requests;           /* ARM requests of this row's last ensure/delete */
  cJSON *live;                /* owned: the resource as ensure/delete last read or wrote it, else NULL */
  char **keep_live;           /* owned NULL-terminated JSON pointers of fields others own (carried from the live
                               * resource into an update's body, capz_arm_ensure_spec.keep_live), or NULL */
} capz_arm_row;

typedef struct capz_arm_table {
  capz_arm_row *rows;
  size_t n, cap;
  const char *cluster_name;   /* borrowed; the ownership tag's cluster */
} capz_arm_table;

/* What a walk ended with. */
typedef struct capz_arm_walk {
  size_t at;                  /* index of the row the walk stopped at (n when every row is done) */
  size_t done;                /* rows completed in walk order (ensure: == at; delete: n - 1 - at; n when all) */
  bool in_progress;           /* stopped with an operation running at row `at` */
  double requeue_after_s;     /* for in_progress */
  char *resume_token;         /* for in_progress (malloc'ed, may be NULL; capz_arm_walk_free) */
  int rc;                     /* error at row `at` (0 if none), message in err */
  capz_err err;
  int arm_requests;           /* total ARM requests of the walk */
  int writes;                 /* rows created/updated, or deleted with a DELETE sent */
  double next_drift_s;        /* ensure walk: soonest drift read due among the rows it settled (seconds; 0 = none)
                               * — when a converged object should look again */
} capz_arm_walk;

CAPZ_API void capz_arm_table_init(capz_arm_table *t, const char *cluster_name);
CAPZ_API void capz_arm_table_free(capz_arm_table *t);
/* Append a row: takes desired and tags (both freed on failure), copies owned (NULL-terminated, may be NULL).
 * Row defaults: ownership true, parent -1, name = last segment of id. The returned pointer is valid until the
 * next add (rows may move). NULL on OOM or when desired/id is NULL. */
CAPZ_API capz_arm_row *capz_arm_table_add(capz_arm_table *t, const char *service, const char *condition,
                                          const char *id, cJSON *desired, const char *const *owned, cJSON *tags);
/* First row of service (and name, when not NULL), or NULL. */
CAPZ_API capz_arm_row *capz_arm_table_find(capz_arm_table *t, const char *service, const char *name);
/* Replace the row's owned list with a copy of owned (NULL = every field of desired). 0 or CAPZ_ENOMEM. */
CAPZ_API int capz_arm_row_set_owned(capz_arm_row *r, const char *const *owned);
/* Replace the row's keep_live list with a copy of ptrs (NULL = none): fields of the resource other controllers own,
 * which an update carries over from the live resource when desired lacks them (e.g. "/properties/inboundNatRules"
 * on a load balancer whose NAT rules machines add as child resources). 0, CAPZ_EINVAL (r NULL) or CAPZ_ENOMEM. */
CAPZ_API int capz_arm_row_set_keep_live(capz_arm_row *r, const char *const *ptrs);
/* Owned fields = every top-level member of desired except "properties" (location, sku, identity, tags, ...),
 * plus /properties/<p> for each member of desired.properties not named in skip (NULL-terminated, may be NULL).
 * For resources whose read-only properties ARM adds to the live body. 0 or CAPZ_ENOMEM. */
CAPZ_API int capz_arm_row_own_properties(capz_arm_row *r, const char *const *skip);

/* A stored resume token for a row (e.g. from status.longRunningOperationStates), or NULL. */
typedef const char *(*capz_arm_token_fn)(void *ud, const capz_arm_row *row);

/* Ensure every row in order (rows with a NOT_OWNED parent are marked NOT_OWNED and skipped); stop at the first
 * row in progress or failing. tok may be NULL. w is overwritten (free the previous one first). */
CAPZ_API void capz_arm_table_ensure(capz_arm_table *t, capz_arm_ensurer *e, capz_arm_client *arm,
                                    capz_arm_token_fn tok, void *ud, capz_arm_walk *w);
/* Delete rows in reverse order (no_delete rows skipped; with ownership, untagged resources are left alone as
 * NOT_OWNED); stop at the first in progress or failing. Rows with api_version delete with it. */
CAPZ_API void capz_arm_table_delete(capz_arm_table *t, capz_arm_ensurer *e, capz_arm_client *arm,
                                    capz_arm_token_fn tok, void *ud, capz_arm_walk *w);
CAPZ_API void capz_arm_walk_free(capz_arm_walk *w);

/* ---- building IDs and bodies ---- */
/* "/subscriptions/<sub>/resourceGroups/<rg>": 0, or -1 when out is too small (out then holds a truncation). */
CAPZ_API int capz_arm_rg_id(char *out, size_t n, const char *sub, const char *rg);
/* ".../resourceGroups/<rg>/providers/<type>/<name>" (type like "Microsoft.Network/virtualNetworks"): 0 or -1. */
CAPZ_API int capz_arm_res_id(char *out, size_t n, const char *sub, const char *rg, const char *type,
                             const char *name);
/* {"id": id} (new object, caller owns), NULL on OOM. */
CAPZ_API cJSON *capz_arm_id_ref(const char *id);

CAPZ_END_DECLS
#endif
