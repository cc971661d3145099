/* mc_table.h — the ordered table of Azure resources a reconcile converges (resource group → vnet → subnet →
 * managedCluster → agentPools). Each row is a small spec handed to the SDK's capz_arm_ensure /
 * capz_arm_ensure_delete; the table walk stops at the first row still in progress or failing.
 *
 * Ownership: the table owns its rows' bodies, tags, owned-field lists and live copies (mc_table_free).
 * Not thread-safe: one table per reconcile.
 */
#ifndef MC_TABLE_H
#define MC_TABLE_H

#include <cJSON.h>
#include "capz/azure.h"

typedef struct mc_row {
  const char *service;   /* CAPZ service name, also the LRO record's serviceName */
  const char *condition; /* condition type this row reports into, or NULL */
  char id[700];
  char name[128];
  char api_version[32];  /* "" = the client's default */
  cJSON *desired;        /* owned */
  cJSON *tags;           /* owned, may be NULL */
  char **owned;          /* owned NULL-terminated list of JSON pointers, NULL = all of desired */
  bool ownership;        /* apply the ownership-tag rule (bring-your-own resources are left alone) */
  bool no_delete;        /* skipped by the delete walk (e.g. deleted with its parent) */
  int parent;            /* row whose NOT_OWNED outcome means "leave this one alone too" (-1: none) */
  /* filled by the walk */
  capz_arm_ensure_outcome outcome;
  int arm_requests;
  cJSON *live;           /* owned, when the ensure read or wrote it */
} mc_row;

typedef struct mc_table {
  mc_row *rows;
  size_t n, cap;
  const char *cluster_name;
} mc_table;

typedef struct mc_walk {
  size_t at;              /* index of the row the walk stopped at (n when all done) */
  bool in_progress;
  double requeue_after_s;
  char *resume_token;     /* malloc'ed or NULL */
  int rc;
  capz_err err;
  int arm_requests, writes;
} mc_walk;

void mc_table_init(mc_table *t, const char *cluster_name);
void mc_table_free(mc_table *t);
/* Append a row (takes desired; freed on failure). NULL on OOM. */
mc_row *mc_table_add(mc_table *t, const char *service, const char *condition, const char *id, cJSON *desired);
/* Owned fields = every member of desired.properties (and top-level location/sku/identity/tags) except those in
 * skip (NULL-terminated property names). */
int mc_row_own_properties(mc_row *r, const char *const *skip);

typedef const char *(*mc_token_fn)(void *ud, const mc_row *row);
void mc_table_ensure(mc_table *t, capz_arm_ensurer *e, capz_arm_client *arm, mc_token_fn tok, void *ud, mc_walk *w);
void mc_table_delete(mc_table *t, capz_arm_ensurer *e, capz_arm_client *arm, mc_token_fn tok, void *ud, mc_walk *w);
void mc_walk_free(mc_walk *w);

#endif
