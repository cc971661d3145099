/* selfmanaged_api.h — pure functions over cJSON for the self-managed CAPZ kinds (AzureCluster,
 * AzureClusterTemplate, AzureMachine, AzureMachineTemplate, AzureClusterIdentity): what CAPZ's
 * defaulting and validating webhooks do, plus the Azure resource naming rules the reconciler
 * shares. docs/selfmanaged-defaults.md lists every default and rule with its CAPZ origin.
 *
 * Objects are whole Kubernetes objects as cJSON trees ({apiVersion, kind, metadata, spec, ...}).
 * Ownership: functions never keep pointers to their arguments. Functions returning cJSON * or
 * char * return new memory the caller frees (cJSON_Delete / free). Defaulting functions modify
 * `obj` in place and never free it. Validation functions only read their inputs.
 * Thread-safety: every function is reentrant; no global state (feature gates are parameters).
 * A cJSON tree must not be modified by one thread while read by another.
 */
#ifndef SELFMANAGED_API_H
#define SELFMANAGED_API_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capz/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================================
 * Field errors (Kubernetes field.Error style)
 * ==================================================================================== */

typedef enum sm_errtype {
  SM_ERR_INVALID,       /* "Invalid value: <v>: <detail>"        (FieldValueInvalid) */
  SM_ERR_REQUIRED,      /* "Required value: <detail>"            (FieldValueRequired) */
  SM_ERR_FORBIDDEN,     /* "Forbidden: <detail>"                 (FieldValueForbidden) */
  SM_ERR_DUPLICATE,     /* "Duplicate value: <v>"                (FieldValueDuplicate) */
  SM_ERR_NOT_SUPPORTED  /* "Unsupported value: <v>: supported values: ..." (FieldValueNotSupported) */
} sm_errtype;

typedef struct sm_field_error {
  sm_errtype type;
  char *field;  /* JSON field path, e.g. "spec.networkSpec.subnets[1].cidrBlocks" */
  char *value;  /* the bad value rendered as Kubernetes does ("\"x\"", 5, JSON), or NULL */
  char *detail; /* human-readable detail, may be "" */
} sm_field_error;

/* A growing list of field errors. Owned by the caller: init, pass to validators, free. */
typedef struct sm_errors {
  sm_field_error *items;
  size_t count;
  size_t cap;
  bool oom; /* an allocation failed while recording; the list is incomplete */
} sm_errors;

void sm_errors_init(sm_errors *e);
void sm_errors_free(sm_errors *e);
/* Kubernetes StatusCause type for t ("FieldValueInvalid", ...). Static string. */
const char *sm_errtype_reason(sm_errtype t);
/* "field: Invalid value: \"x\": detail" into buf (always NUL-terminated when n > 0).
 * Returns the length the full text needs (like snprintf). */
size_t sm_field_error_format(const sm_field_error *fe, char *buf, size_t n);
/* The API server's message for an Invalid status:
 *   `<Kind>.infrastructure.cluster.x-k8s.io "<name>" is invalid: <e1>` or `... is invalid: [e1, e2]`.
 * Returns the length the full text needs. */
size_t sm_errors_format(const sm_errors *e, const char *kind, const char *name, char *buf, size_t n);
/* First error recorded at exactly `field`, or NULL. Borrowed pointer into e. */
const sm_field_error *sm_errors_find(const sm_errors *e, const char *field);

/* ====================================================================================
 * Feature gates CAPZ's webhooks consult (CAPZ: feature.Gates). NULL = all off.
 * ==================================================================================== */
typedef struct sm_feature_gates {
  bool apiserver_ilb; /* APIServerILB: extra internal frontend on a public API server LB */
  bool edge_zone;     /* EdgeZone: allows spec.extendedLocation */
} sm_feature_gates;

/* ====================================================================================
 * Defaulting (mutating webhooks). All modify obj in place, are idempotent and apply the
 * CRD schema defaults first (so objects that never went through an API server behave the
 * same). Return 0, CAPZ_EINVAL (obj is not an object), or CAPZ_ENOMEM; err may be NULL.
 * ==================================================================================== */

/* AzureCluster: CAPZ SetDefaultsAzureCluster, repeated until a fixed point (CAPZ reaches it
 * over two admission passes, e.g. the default node subnet's NAT gateway IP). Includes the
 * capz-c pod-subnet role defaults. */
int sm_azurecluster_default(cJSON *obj, const sm_feature_gates *gates, capz_err *err);
/* AzureClusterTemplate: CAPZ SetDefaultsAzureClusterTemplate (on spec.template.spec). */
int sm_azureclustertemplate_default(cJSON *obj, capz_err *err);
/* Reconcile-time defaults CAPZ's controller applies (not its webhook), exposed for the reconciler:
 * control-plane NSG rules allow_ssh (22, prio 2200) and allow_apiserver (api_server_port, prio 2201)
 * unless a rule with that destination port already exists (CAPZ SetControlPlaneSecurityRules). */
int sm_azurecluster_default_controlplane_rules(cJSON *obj, int api_server_port, capz_err *err);
/* The API server public IP's DNS name when empty: "<cluster>-<fnv32a hex>.<location>.<suffix>"
 * (CAPZ SetDNSName/GenerateFQDN). No-op for internal LBs or controlPlaneEnabled=false. <cluster> is the
 * AzureCluster's own name here; the reconciler passes the owner Cluster's name (CAPZ's ClusterName(), which differs
 * for ClusterClass topologies) to the _for variant. */
int sm_azurecluster_default_apiserver_dns(cJSON *obj, capz_err *err);
int sm_azurecluster_default_apiserver_dns_for(cJSON *obj, const char *cluster_name, capz_err *err);

/* AzureMachine: CAPZ SetDefaultsAzureMachine. subscription_id (from the owning AzureCluster) may
 * be NULL/"" — then the SystemAssigned role scope/definition stay empty, as in CAPZ when the
 * lookup fails. Generates an RSA-2048 SSH key when spec.sshPublicKey is empty (only the public
 * key, base64 of the authorized_keys line, is kept; the private key never leaves the call). */
int sm_azuremachine_default(cJSON *obj, const char *subscription_id, capz_err *err);
/* AzureMachineTemplate: SSH key, data disks, network interfaces on spec.template.spec. */
int sm_azuremachinetemplate_default(cJSON *obj, capz_err *err);

/* The image CAPZ uses when spec.image is absent (virtualmachineimages service): Azure Compute
 * community gallery image capi-ubun2-2404 (Windows: capi-win-2022-containerd) at the k8s
 * version, or the deprecated marketplace cncf-upstream/capi image for a few old versions.
 * os_type "Linux"/"Windows" (NULL = Linux); k8s_version like "v1.31.1". Returns a new
 * {computeGallery:{...}} or {marketplace:{...}} object, or NULL with err (bad version). */
cJSON *sm_default_image(const char *os_type, const char *k8s_version, capz_err *err);

/* ====================================================================================
 * Validation (validating webhooks). old == NULL means create. Errors are appended to errs;
 * the return value is the number of errors appended (0 = accepted), -1 if errs->oom.
 * The *_validate convenience forms format the full API-server message into msg (size n,
 * may be NULL/0) with feature gates off, and return the error count.
 * ==================================================================================== */
int sm_azurecluster_validate_errs(const cJSON *obj, const cJSON *old, const sm_feature_gates *gates,
                                  sm_errors *errs);
int sm_azurecluster_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

int sm_azureclustertemplate_validate_errs(const cJSON *obj, const cJSON *old, sm_errors *errs);
int sm_azureclustertemplate_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

int sm_azuremachine_validate_errs(const cJSON *obj, const cJSON *old, sm_errors *errs);
int sm_azuremachine_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

/* Update: spec.template.spec immutable after re-defaulting old (CAPZ); dry_run = the request is a
 * topology dry-run (ClusterClass), which CAPZ exempts. */
int sm_azuremachinetemplate_validate_errs(const cJSON *obj, const cJSON *old, bool dry_run, sm_errors *errs);
int sm_azuremachinetemplate_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

int sm_azureclusteridentity_validate_errs(const cJSON *obj, const cJSON *old, sm_errors *errs);
int sm_azureclusteridentity_validate(const cJSON *obj, const cJSON *old, char *msg, size_t n);

/* AzureClusterIdentity.spec.allowedNamespaces check (CAPZ IsClusterNamespaceAllowed):
 * absent/null => no namespace allowed; {} => all; else ns in list[] or the namespace's labels
 * (ns_labels: JSON object, may be NULL) match selector (matchLabels + matchExpressions). */
bool sm_identity_namespace_allowed(const cJSON *identity, const char *ns, const cJSON *ns_labels);

/* ====================================================================================
 * Azure names, tags and helpers (CAPZ §1.4)
 * ==================================================================================== */

typedef enum sm_name_kind {
  /* from the cluster (AzureCluster) name */
  SM_NAME_VNET,                 /* <c>-vnet */
  SM_NAME_CONTROLPLANE_SUBNET,  /* <c>-controlplane-subnet */
  SM_NAME_NODE_SUBNET,          /* <c>-node-subnet */
  SM_NAME_CLUSTER_SUBNET,       /* <c>-subnet (role cluster) */
  SM_NAME_POD_SUBNET,           /* <c>-pod-subnet (capz-c role pod) */
  SM_NAME_CONTROLPLANE_NSG,     /* <c>-controlplane-nsg */
  SM_NAME_NODE_NSG,             /* <c>-node-nsg */
  SM_NAME_CLUSTER_NSG,          /* <c>-nsg */
  SM_NAME_NODE_ROUTETABLE,      /* <c>-node-routetable */
  SM_NAME_CLUSTER_ROUTETABLE,   /* <c>-routetable */
  SM_NAME_NODE_NATGW,           /* <c>-node-natgw */
  SM_NAME_CLUSTER_NATGW,        /* <c>-natgw */
  SM_NAME_PUBLIC_LB,            /* <c>-public-lb */
  SM_NAME_INTERNAL_LB,          /* <c>-internal-lb */
  SM_NAME_NODE_OUTBOUND_LB,     /* <c> */
  SM_NAME_CONTROLPLANE_OUTBOUND_LB, /* <c>-outbound-lb */
  SM_NAME_APISERVER_PIP,        /* pip-<c>-apiserver */
  SM_NAME_NODE_OUTBOUND_PIP,    /* pip-<c>-node-outbound */
  SM_NAME_CONTROLPLANE_OUTBOUND_PIP, /* pip-<c>-controlplane-outbound */
  SM_NAME_BASTION,              /* <c>-azure-bastion */
  SM_NAME_BASTION_PIP,          /* <c>-azure-bastion-pip */
  SM_NAME_PRIVATE_DNS_ZONE,     /* <c>.capz.io */
  SM_NAME_OWNED_TAG_KEY,        /* sigs.k8s.io_cluster-api-provider-azure_cluster_<c> */
  SM_NAME_CLOUD_PROVIDER_TAG_KEY, /* kubernetes.io_cluster_<c> */
  /* from another resource's name */
  SM_NAME_LB_FRONTEND,          /* <lb>-frontEnd */
  SM_NAME_LB_FRONTEND_INTERNAL, /* <lb>-frontEnd-internal-ip */
  SM_NAME_LB_BACKEND_POOL,      /* <lb>-backendPool */
  SM_NAME_LB_OUTBOUND_POOL,     /* <lb>-outboundBackendPool */
  SM_NAME_LB_INTERNAL_API,      /* <lb>-internal (APIServerILB) */
  SM_NAME_NATGW_PIP,            /* pip-<natgw> */
  SM_NAME_VM_PUBLIC_IP,         /* pip-<vm> */
  SM_NAME_VM_OS_DISK,           /* <vm>_OSDisk */
  SM_NAME_VNET_LINK,            /* <vnet>-link */
  SM_NAME_PRIVATE_FQDN,         /* apiserver.<zone> */
  SM_NAME__COUNT
} sm_name_kind;

/* Writes the name into buf. Returns 0, or CAPZ_EINVAL if base is NULL/empty, kind unknown or buf
 * too small (buf then holds "" ). */
int sm_name(sm_name_kind kind, const char *base, char *buf, size_t n);
/* "<base>-<i>" (CAPZ withIndex). */
int sm_name_indexed(const char *base, int i, char *buf, size_t n);
/* NIC: "<vm>-nic" or, with several NICs, "<vm>-nic-<index>". */
int sm_name_nic(const char *vm, bool multi_nic, int index, char *buf, size_t n);
/* Data disk "<vm>_<nameSuffix>". */
int sm_name_data_disk(const char *vm, const char *suffix, char *buf, size_t n);
/* VNet peering "<src>-To-<remote>". */
int sm_name_vnet_peering(const char *src_vnet, const char *remote_vnet, char *buf, size_t n);
/* Availability set "<c>_<group>-as" (group: control-plane, MachineDeployment or MachineSet name). */
int sm_name_availability_set(const char *cluster, const char *group, char *buf, size_t n);
/* FNV-1a 32-bit hash. */
uint32_t sm_fnv32a(const char *s);
/* VM DNS suffix for an azureEnvironment (NULL/"" = public): cloudapp.azure.com, ... NULL if unknown. */
const char *sm_cloud_dns_suffix(const char *azure_environment);
/* API server FQDN "<cluster>-<fnv32a("<sub>/<rg>/<pip>") hex>.<location>.<suffix>", lower-cased. */
int sm_apiserver_fqdn(const char *cluster, const char *subscription, const char *rg, const char *pip_name,
                      const char *location, const char *azure_environment, char *buf, size_t n);

/* Tag keys/values CAPZ puts on Azure resources. */
#define SM_TAG_OWNED_PREFIX "sigs.k8s.io_cluster-api-provider-azure_cluster_"
#define SM_TAG_OWNED "owned"
#define SM_TAG_SHARED "shared"
#define SM_TAG_ROLE "sigs.k8s.io_cluster-api-provider-azure_role"
#define SM_TAG_NAME "Name"
#define SM_TAG_SPEC_HASH "sigs.k8s.io_cluster-api-provider-azure_spec-version-hash"
#define SM_ROLE_COMMON "common"
#define SM_ROLE_APISERVER "apiserver"
#define SM_ROLE_APISERVER_INTERNAL "apiserver-internal"
#define SM_ROLE_NODE_OUTBOUND "nodeOutbound"
#define SM_ROLE_CONTROLPLANE_OUTBOUND "controlPlaneOutbound"
#define SM_ROLE_BASTION "bastion"
#define SM_ROLE_NODE "node"
#define SM_ROLE_CONTROLPLANE "control-plane"

/* Subnet roles. SM_SUBNET_ROLE_POD is a capz-c extension (Azure CNI dynamic pod IP allocation):
 * the reconciler delegates such subnets to SM_POD_SUBNET_DELEGATION. */
#define SM_SUBNET_ROLE_NODE "node"
#define SM_SUBNET_ROLE_CONTROLPLANE "control-plane"
#define SM_SUBNET_ROLE_BASTION "bastion"
#define SM_SUBNET_ROLE_CLUSTER "cluster"
#define SM_SUBNET_ROLE_POD "pod"
#define SM_POD_SUBNET_DELEGATION "Microsoft.DelegatedNetwork/controller"
#define SM_DEFAULT_POD_SUBNET_CIDR "10.128.0.0/12"

/* Azure naming rules per resource type (learn.microsoft.com resource-name-rules). */
typedef enum sm_azure_resource {
  SM_RES_RESOURCE_GROUP, SM_RES_VNET, SM_RES_SUBNET, SM_RES_NSG, SM_RES_ROUTE_TABLE, SM_RES_NAT_GATEWAY,
  SM_RES_PUBLIC_IP, SM_RES_LOAD_BALANCER, SM_RES_LB_CHILD, SM_RES_BASTION, SM_RES_PRIVATE_ENDPOINT
} sm_azure_resource;
/* NULL when name is valid for that resource type, else a static reason. */
const char *sm_azure_name_problem(sm_azure_resource kind, const char *name);

/* ====================================================================================
 * CIDR / IP
 * ==================================================================================== */
typedef struct sm_cidr {
  int family;        /* 4 or 6 */
  uint8_t addr[16];  /* network address (masked) for CIDRs; IPv4 in the first 4 bytes */
  int prefix;        /* prefix length; 32/128 for plain addresses */
} sm_cidr;
/* Go net.ParseCIDR semantics ("10.0.0.0/8", "2001:db8::/64"; no zones). */
bool sm_cidr_parse(const char *s, sm_cidr *out);
/* Go net.ParseIP semantics (prefix set to the full length). */
bool sm_ip_parse(const char *s, sm_cidr *out);
bool sm_cidr_contains(const sm_cidr *net, const sm_cidr *ip);
bool sm_cidr_overlaps(const sm_cidr *a, const sm_cidr *b);

/* ====================================================================================
 * SSH keys
 * ==================================================================================== */
/* New RSA-2048 key pair; returns malloc'ed base64("ssh-rsa <blob>\n") of the PUBLIC key only,
 * or NULL with err. The private key is freed before returning. */
char *sm_ssh_generate_public_key_b64(capz_err *err);
/* NULL when b64 is standard base64 of a valid authorized_keys public key, else a static reason
 * ("not properly base64 encoded" / "not valid"). */
const char *sm_ssh_public_key_problem(const char *b64);

#ifdef __cplusplus
}
#endif
#endif
