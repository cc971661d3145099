/* sm_internal.h — helpers shared by the selfmanaged-api sources (not part of the API). */
#ifndef SM_INTERNAL_H
#define SM_INTERNAL_H

#include <stdarg.h>
#include "selfmanaged_api.h"

#define SM_PATH_MAX 256

/* ---- reading (all borrowed pointers; NULL-tolerant) ---- */

/* Child `key` of o when o is an object, else NULL. */
cJSON *sm_child(const cJSON *o, const char *key);
/* Node at a dotted path ("spec.networkSpec.vnet"), NULL when any step is missing. */
cJSON *sm_at(const cJSON *o, const char *dotted);
/* String value of o.key, or NULL when absent / not a string. */
const char *sm_str(const cJSON *o, const char *key);
/* Go zero-value view: "" when absent. */
const char *sm_str0(const cJSON *o, const char *key);
bool sm_str_empty(const cJSON *o, const char *key);
bool sm_str_eq(const cJSON *o, const char *key, const char *v);
/* Go pointer-to-struct view: present and not JSON null. */
bool sm_present(const cJSON *o, const char *key);
/* Number at o.key into *out; false when absent/not a number. */
bool sm_num(const cJSON *o, const char *key, double *out);
/* Boolean (true only when literally true). */
bool sm_true(const cJSON *o, const char *key);
/* Array length of o.key (0 when absent or not an array). */
int sm_len(const cJSON *o, const char *key);
/* Equality of o.key in a and b with Go reflect.DeepEqual-like semantics where an absent key,
 * JSON null and (when zero_empty) "", [] and {} count as the same zero value. */
bool sm_field_equal(const cJSON *a, const cJSON *b, const char *key, bool zero_empty);
bool sm_json_equal_zero(const cJSON *a, const cJSON *b, bool zero_empty);

/* ---- writing (return false on OOM; never free o) ---- */

/* o.key as an object, created (replacing a non-object/null) when needed. */
cJSON *sm_obj(cJSON *o, const char *key);
/* o.key as an array, created when needed. */
cJSON *sm_arr(cJSON *o, const char *key);
bool sm_set_str(cJSON *o, const char *key, const char *v);
/* Set when absent or "" (Go's `if x == ""`). */
bool sm_default_str(cJSON *o, const char *key, const char *v);
bool sm_set_num(cJSON *o, const char *key, double v);
bool sm_set_bool(cJSON *o, const char *key, bool v);
/* Replace o.key with item (takes ownership; frees item on failure). */
bool sm_set_item(cJSON *o, const char *key, cJSON *item);
/* o.key = [v] when absent or empty array. */
bool sm_default_str_list(cJSON *o, const char *key, const char *v);

/* ---- error recording ---- */
void sm_err_add(sm_errors *e, sm_errtype t, const char *field, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Bad value given as a C string (rendered quoted, like Go %q). */
void sm_err_invalid_s(sm_errors *e, const char *field, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Bad value given as JSON (rendered compactly; NULL renders as null). */
void sm_err_invalid_j(sm_errors *e, const char *field, const cJSON *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sm_err_invalid_n(sm_errors *e, const char *field, double value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sm_err_required(sm_errors *e, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sm_err_forbidden(sm_errors *e, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sm_err_duplicate_s(sm_errors *e, const char *field, const char *value);
void sm_err_duplicate_n(sm_errors *e, const char *field, double value);
/* supported: NULL-terminated list. */
void sm_err_not_supported(sm_errors *e, const char *field, const char *value, const char *const *supported);

/* Quote s like Go's %q into a malloc'ed string (NULL on OOM). */
char *sm_quote(const char *s);
/* snprintf into a path buffer (truncation is harmless: paths are diagnostics). */
void sm_path(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- shared pieces between kinds ---- */

/* A subnet's cidrBlocks contain an IPv6 CIDR (CAPZ IsIPv6Enabled). */
bool sm_subnet_is_ipv6(const cJSON *subnet);
/* First subnet in arr with role, or NULL. Borrowed. */
cJSON *sm_subnet_by_role(const cJSON *subnets, const char *role);

/* Default a machine spec (shared by AzureMachine and AzureMachineTemplate). */
bool sm_machinespec_default_sshkey(cJSON *spec, capz_err *err);
void sm_machinespec_default_datadisks(cJSON *spec, bool *oom);
void sm_machinespec_default_nics(cJSON *spec, bool *oom);
/* CRD schema defaults of an AzureMachineSpec (osDisk.cachingType/osType, identity, ...). */
void sm_machinespec_schema_defaults(cJSON *spec, bool *oom);
/* validateAzureMachineSpec; prefix is the path of the spec ("spec" or "spec.template.spec"). */
void sm_machinespec_validate(const cJSON *spec, const char *prefix, sm_errors *errs);
void sm_image_validate(const cJSON *image, const char *path, sm_errors *errs);
void sm_osdisk_validate(const cJSON *osdisk, const char *path, sm_errors *errs);
void sm_datadisks_validate(const cJSON *disks, const char *path, sm_errors *errs);
/* Parse an Azure resource ID (CAPZ azureutil.ParseResourceID); on success writes the resource
 * type "<namespace>/<type>[/<childtype>...]" into type_out (size tn; may be NULL). */
bool sm_resource_id_parse(const char *id, char *type_out, size_t tn);

/* Cluster network pieces. */
void sm_cluster_schema_defaults(cJSON *spec, bool *oom);
/* capz-c pod subnets (role "pod") on a networkSpec; prefix = path of the networkSpec. */
void sm_pod_subnets_default(cJSON *netspec, const char *cluster, bool *oom);
void sm_pod_subnets_validate(const cJSON *netspec, const char *prefix, sm_errors *errs);
void sm_subnets_validate(const cJSON *subnets, const cJSON *vnet_cidrs, bool cp_enabled, bool is_template,
                         const char *path, sm_errors *errs);
void sm_subnet_cidrs_validate(const cJSON *cidrs, const cJSON *vnet_cidrs, const char *path, sm_errors *errs);
void sm_vnet_cidrs_validate(const cJSON *cidrs, const char *path, sm_errors *errs);
void sm_subnet_overlaps_validate(const cJSON *subnets, const char *path, sm_errors *errs);
void sm_tags_validate(const cJSON *tags, const char *path, sm_errors *errs);
/* LB class-spec checks (CAPZ validateClassSpecFor*). old may be NULL. */
void sm_lb_apiserver_class_validate(const cJSON *lb, const cJSON *old, const char *path, sm_errors *errs);
void sm_lb_node_outbound_class_validate(const cJSON *lb, const cJSON *old, const cJSON *apiserver_lb,
                                        const char *path, sm_errors *errs);
void sm_lb_cp_outbound_class_validate(const cJSON *lb, const cJSON *apiserver_lb, const char *path,
                                      sm_errors *errs);
void sm_private_dns_validate(const cJSON *netspec, bool cp_enabled, const char *lb_type, const char *prefix,
                             sm_errors *errs);
/* AzureCluster load balancer instance rules (cluster_lb_validate.c). */
void sm_cluster_apiserver_lb_validate(const cJSON *lb, const cJSON *old, const cJSON *cp_cidrs,
                                      const sm_feature_gates *gates, const char *path, sm_errors *errs);
void sm_cluster_node_outbound_lb_validate(const cJSON *lb, const cJSON *old, const cJSON *apiserver_lb,
                                          const char *path, sm_errors *errs);
void sm_cluster_cp_outbound_lb_validate(const cJSON *lb, const cJSON *apiserver_lb, const char *path, sm_errors *errs);
/* AzureCluster create-time rules, also run on update after the immutability checks pass. */
void sm_cluster_spec_validate(const cJSON *obj, const cJSON *old, const sm_feature_gates *gates, sm_errors *errs);
/* Kubernetes DNS-1123-ish check used for privateDNSZoneName (govalidator IsDNSName). */
bool sm_is_dns_name(const char *s);
bool sm_rg_name_ok(const char *s);

/* Finish a *_validate convenience call. */
int sm_validate_finish(sm_errors *errs, const char *kind, const cJSON *obj, char *msg, size_t n);
int sm_errors_result(const sm_errors *e, size_t before);

#endif
