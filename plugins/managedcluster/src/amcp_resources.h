/* amcp_resources.h — the ordered Azure resources of an AzureManagedControlPlane:
 * resource group(s) → virtual network → subnet → managedCluster. */
#ifndef MC_AMCP_RESOURCES_H
#define MC_AMCP_RESOURCES_H

#include "capz/azure_table.h"

#define MC_SVC_GROUPS "groups"
#define MC_SVC_VNET "virtualnetworks"
#define MC_SVC_SUBNETS "subnets"
#define MC_SVC_MANAGEDCLUSTER "managedclusters"
#define MC_SVC_AGENTPOOLS "agentpools"

/* amcp: defaulted AMCP; cluster: its Cluster (may be NULL); initial_pools: agentPoolProfiles for creation or
 * NULL. Returns 0 or an error (bad patch). The managedCluster row is the last one. */
int mc_amcp_table(capz_arm_table *t, const cJSON *amcp, const cJSON *cluster, const cJSON *initial_pools, capz_err *err);

#endif
