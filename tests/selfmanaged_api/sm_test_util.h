/* sm_test_util.h — helpers for the selfmanaged-api tests: reference templates with clusterctl
 * variables substituted, parsed to JSON. */
#ifndef SM_TEST_UTIL_H
#define SM_TEST_UTIL_H

#include <cJSON.h>
#include <check.h>
#include <stddef.h>

#include "selfmanaged_api.h"

#define SM_T_CLUSTER "capz-test"
#define SM_T_SUB "00000000-0000-0000-0000-000000000001"
#define SM_T_LOCATION "westeurope"

/* envsubst-style expansion of ${VAR}, ${VAR:=default}, ${VAR:-default} (defaults may nest) with the
 * test variables; unknown variables expand to "". Returns malloc'ed text. */
char *smt_subst(const char *text);
/* The reference template (CAPZ_SHARED_DIR/reference/templates/<file>) substituted and parsed:
 * a JSON array of documents. Fails the test on error. */
cJSON *smt_load_template(const char *file);
/* The same for a template file given by path (e.g. $CAPZ_SOURCE_DIR/templates/...). */
cJSON *smt_load_path(const char *path);
/* A detached copy of the first document of kind (and name when non-NULL) in docs; fails if absent. */
cJSON *smt_doc(const cJSON *docs, const char *kind, const char *name);
/* Shortcut: template file → copy of one kind. */
cJSON *smt_template_obj(const char *file, const char *kind, const char *name);
/* Parse inline YAML (one document) via capz_yaml_to_json. */
cJSON *smt_yaml(const char *yaml);
/* Node at a dotted path with [i] indexes ("spec.networkSpec.subnets[1].name"). */
cJSON *smt_at(const cJSON *o, const char *path);
const char *smt_str(const cJSON *o, const char *path);
double smt_num(const cJSON *o, const char *path);
/* Set a string at a dotted path (intermediate objects must exist). */
void smt_set_str(cJSON *o, const char *path, const char *v);
/* Replace the node at path with parsed JSON text. */
void smt_set_json(cJSON *o, const char *path, const char *json);
void smt_del(cJSON *o, const char *path);

/* Checks on a validation's result (errs holds n errors from validating kind/name); both free errs and fail the
 * test on a miss. smt_check_err: an error at field whose text contains want; smt_check_ok: no error at all. */
void smt_check_err(sm_errors *errs, int n, const char *kind, const char *name, const char *field, const char *want);
void smt_check_ok(sm_errors *errs, int n, const char *kind, const char *name);
/* A kind's validation entry point without extra options (sm_azuremachine_validate_errs, ...). */
typedef int (*smt_validate_fn)(const cJSON *obj, const cJSON *old, sm_errors *errs);
/* Validate obj (old: the previous version for an update, may be NULL) and smt_check_err; frees obj and old. */
void smt_expect_err(smt_validate_fn validate, const char *kind, const char *name, cJSON *obj, cJSON *old,
                    const char *field, const char *want);

/* A table row of validation cases: set path to the JSON text json (NULL: delete path), then expect an error at
 * field whose text contains want. smt_apply makes the row's change to obj. */
typedef struct smt_case {
  const char *path, *json, *field, *want;
} smt_case;
void smt_apply(cJSON *obj, const smt_case *c);

/* Suites */
Suite *smt_names_suite(void);
Suite *smt_cluster_defaults_suite(void);
Suite *smt_cluster_validate_suite(void);
Suite *smt_cluster_template_suite(void);
Suite *smt_machine_suite(void);
Suite *smt_machine_validate_suite(void);
Suite *smt_identity_suite(void);
Suite *smt_robustness_suite(void);
Suite *smt_templates_all_suite(void);

#endif
