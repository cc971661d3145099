/* cluster_resources.h — the AzureCluster's Azure resources as an ordered table (CAPZ's cluster services:
 * resource group, VNet, NSGs, route tables, public IPs, NAT gateways, subnets, peerings, load balancers, private
 * DNS, private endpoints, bastion). Built from a defaulted AzureCluster; no I/O. */
#ifndef SM_CLUSTER_RESOURCES_H
#define SM_CLUSTER_RESOURCES_H

#include "sm_plugin.h"

typedef struct sm_cluster_info {
  const char *name, *sub, *rg, *location;
  const cJSON *zones;   /* region zones (array of strings), may be empty */
  int api_port;         /* Cluster.spec.clusterNetwork.apiServerPort or 6443 */
} sm_cluster_info;

/* Fill t (initialised by the caller with the cluster name) from the defaulted AzureCluster ac.
 * Returns 0, CAPZ_EINVAL (err names the field) or CAPZ_ENOMEM. */
int sm_cluster_table(const cJSON *ac, const sm_cluster_info *ci, capz_arm_table *t, capz_err *err);

#endif
