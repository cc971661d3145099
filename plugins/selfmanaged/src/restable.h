/* restable.h — an ordered table of Azure resources, each a small spec handed to the SDK's ensure/delete.
 * This is the whole "service" layer: CAPZ services become rows.
 *
 * Ownership: the table owns its rows' desired bodies and tags (cJSON) and frees them in sm_table_free.
 * Not thread-safe: one table per reconcile.
 */
#ifndef SM_RESTABLE_H
#define SM_RESTABLE_H

#include <cJSON.h>
#include "sm_plugin.h"

#define SM_ID_MAX 600

typedef struct sm_row {
  const char *service;   /* CAPZ service name ("virtualnetworks"), also the LRO record's serviceName */
  const char *condition; /* condition set from this row's outcome, or NULL */
  char id[SM_ID_MAX];
  char name[128];
  cJSON *desired;        /* PUT body (owned) */
  const char *const *owned; /* JSON pointers we own (static), NULL = all of desired */
  cJSON *tags;           /* extra tags (owned), may be NULL */
  bool ownership;        /* apply the owned-tag rule (BYO resources untouched) */
  bool no_delete;        /* never deleted by the row walk */
  int parent;            /* index of a row whose NOT_OWNED outcome means "leave this one alone" (-1: none);
                          * e.g. subnets and NAT gateways of a bring-your-own VNet */
  /* filled by the walk */
  capz_arm_ensure_outcome outcome;
  cJSON *live;           /* live body when ensure read or wrote it (owned), else NULL */
} sm_row;

typedef struct sm_table {
  sm_row *rows;
  size_t n, cap;
  const char *cluster_name; /* for the ownership tag */
} sm_table;

void sm_table_init(sm_table *t, const char *cluster_name);
void sm_table_free(sm_table *t);
/* Append a row; takes desired and tags (freed on failure). Returns the row or NULL on OOM. */
sm_row *sm_table_add(sm_table *t, const char *service, const char *condition, const char *id, cJSON *desired,
                     const char *const *owned, cJSON *tags);
sm_row *sm_table_find(sm_table *t, const char *service, const char *name);

/* What a walk ended with. */
typedef struct sm_walk {
  size_t done;              /* rows completed, in order */
  bool in_progress;         /* stopped at row `done` with an operation running */
  double requeue_after_s;   /* for in_progress */
  char *resume_token;       /* for in_progress (malloc'ed, may be NULL) */
  int rc;                   /* error at row `done` (0 if none) */
  capz_err err;
  int arm_requests;         /* total ARM requests the walk made */
  int writes;               /* rows created/updated/deleted */
} sm_walk;
void sm_walk_free(sm_walk *w);

/* Ensure every row in order; stop at the first one still in progress or failing. lro_of(row) gives a
 * stored resume token for the row (may return NULL). */
typedef const char *(*sm_token_fn)(void *ud, const sm_row *row);
void sm_table_ensure(sm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, sm_token_fn tok, void *ud,
                     sm_walk *w);
/* Delete rows in reverse order (rows not owned are left alone); stop at the first in progress or failing. */
void sm_table_delete(sm_table *t, capz_arm_ensurer *e, capz_arm_client *arm, sm_token_fn tok, void *ud,
                     sm_walk *w);

/* Helpers to build bodies and IDs. */
int sm_rg_id(char *out, size_t n, const char *sub, const char *rg);
int sm_res_id(char *out, size_t n, const char *sub, const char *rg, const char *type, const char *name);
cJSON *sm_ref(const char *id); /* {"id": id} */
/* snprintf that reports truncation: 0, or -1 when out was too small. */
int sm_fmt(char *out, size_t n, const char *fmt, ...) CAPZ_PRINTF(3, 4);

#endif
