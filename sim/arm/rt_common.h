/* rt_common.h — helpers shared by the rt_*.c resource-type files (world lock held by callers). */
#ifndef CAPZ_SIM_ARM_RT_COMMON_H
#define CAPZ_SIM_ARM_RT_COMMON_H

#include "arm_sim.h"

/* Give every element of properties.<member> (array of {name, properties}) an id <r.id>/<member>/<name>, an etag,
 * a type and provisioningState Succeeded. Fails with 400 when an element has no name or names repeat. */
int rt_fill_subobjects(arm_res *r, const char *member, const char *type, arm_err *e);
/* Append {"id": <nic ipConfiguration id>} for every NIC ip configuration whose properties.<ref>
 * (an object {id} or an array of them) names target. */
void rt_nic_ipconfig_refs(arm_ctx *c, const char *target, const char *ref, cJSON *arr);
/* Append {"id": x} for every resource of type whose document refers to target at JSON pointer ptr. */
void rt_refs_from(arm_ctx *c, const char *type, const char *ptr, const char *target, cJSON *arr);
#define RT_TENANT_ID "11111111-1111-4111-8111-111111111111" /* the auth module's default tenant */

/* Value of a string property, else def. */
const char *rt_pstr(const cJSON *doc, const char *name, const char *def);
/* Set properties.<name> when absent. Takes v. */
void rt_default(cJSON *doc, const char *name, cJSON *v);
/* Copy a generated read-only value from the previous document (JSON pointer), if present there. */
void rt_keep(cJSON *doc, const cJSON *old, const char *ptr);
/* Lower-case hex of a 32-bit hash of s. */
void rt_hex8(const char *s, char out[9]);
/* Base64 of len bytes (malloc'ed). */
char *rt_b64(const char *data, size_t len);
/* Decoded length of base64 text, or -1 when it is not base64. */
long rt_b64_decoded_len(const char *s);
/* Region zones of a location ("1","2","3" up to the region's count); array (new). */
cJSON *rt_region_zones(arm_ctx *c, const char *location);
/* Zones listed in doc (top-level "zones") must exist in the region. */
int rt_check_zones(arm_ctx *c, const cJSON *doc, const cJSON *zones, arm_err *e);



/* 6 when an ip configuration's properties.privateIPAddressVersion is IPv6, else 4. */
int rt_ipc_family(const cJSON *ipc);
/* The subnet's address prefix of family fam (4/6) from addressPrefix or addressPrefixes, or NULL (borrowed). */
const char *rt_subnet_prefix(const cJSON *subnet_doc, int fam);
/* Allocate an address of family fam for owner in subnet_id (want: a static address or NULL); fails when the
 * subnet has no prefix of that family. out needs 64 bytes for IPv6. */
int rt_subnet_alloc(arm_ctx *c, const char *subnet_id, int fam, const char *owner, const char *want, char *out, size_t n,
                    arm_err *e);

/* privateIPAddressVersion of an ip configuration must be IPv4/IPv6 and match the version of the public IP at
 * JSON pointer pip_ptr (if any). */
int rt_check_ip_version(arm_ctx *c, const cJSON *ipc, const char *pip_ptr, arm_err *e);

/* A managed cluster is going away: its fleet memberships go too (rt_fleet.c). */
void rt_fleet_cluster_gone(arm_ctx *c, const char *cluster_id);

/* Subnet delegations (rt_delegation.c): every properties.delegations[].properties.serviceName must be a known
 * service (400 InvalidServiceNameOnDelegation); fill gives each its id, etag, canonical serviceName and actions. */
int rt_check_delegations(const cJSON *doc, const char *subnet_id, arm_err *e);
int rt_fill_delegations(arm_res *r, arm_err *e);

/* Start an action LRO on r (held busy as `what`) that calls done at the end; answers 202 + Location
 * (+ Azure-AsyncOperation when async_header). Returns the op or NULL (out filled with 500). */
arm_op *rt_action_op(arm_ctx *c, const arm_req *q, arm_res *r, const char *what, arm_op_done_fn done, bool async_header,
                     arm_resp *out);

/* Compute: instance view with ProvisioningState/... and PowerState/<power> statuses (new tree). */
cJSON *rt_instance_view(const char *prov_state, const char *power, const char *computer_name);
/* Compute: osProfile.customData (if any, under profile) must be base64 of at most 65535 bytes. */
int rt_check_custom_data(const cJSON *os_profile, arm_err *e);
/* Compute: validate a VM size against the SKU list. */
int rt_check_vm_size(arm_ctx *c, const char *size, arm_err *e);
/* Fill identity.principalId/tenantId (SystemAssigned, kept across updates) and clientId/principalId of each
 * user-assigned identity (from its Microsoft.ManagedIdentity resource when it exists). */
void rt_fill_identity(arm_ctx *c, arm_res *r, const cJSON *old);
/* ref (.../loadBalancers/{lb}/{member}/{name}) must name an element of that LB's properties.<member>, or an
 * existing child resource of that LB's type .../loadBalancers/<member> (inboundNatRules). */
int rt_check_lb_child(arm_ctx *c, const char *ref, const char *member, arm_err *e);
/* Inbound NAT rules (rt_natrule.c): the shape of one rule (protocol, ports, frontend given); whether two rules
 * claim the same frontend, protocol and frontend port; the 400 for such a pair. */
int rt_nat_rule_check(const char *name, const cJSON *doc, arm_err *e);
bool rt_nat_rules_clash(const cJSON *a, const cJSON *b);
int rt_nat_clash_error(const char *a_id, const cJSON *a, const char *b_id, arm_err *e);
/* Append the ip configurations of Uniform scale set instances whose model joins LB pool pool_id. */
void rt_vmss_pool_refs(arm_ctx *c, const char *pool_id, cJSON *arr);
#endif
