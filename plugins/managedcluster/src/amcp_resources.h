/* amcp_resources.h — the ordered Azure resources of an AzureManagedControlPlane:
 * resource group(s) → virtual network → subnet → managedCluster. */
#ifndef MC_AMCP_RESOURCES_H
#define MC_AMCP_RESOURCES_H

#include "capz/azure_table.h"

/* Index of the managedCluster row of a table built by mc_amcp_table (t->n when absent). */
size_t mc_amcp_mc_row(const capz_arm_table *t);

#define MC_SVC_GROUPS "groups"
#define MC_SVC_VNET "virtualnetworks"
#define MC_SVC_SUBNETS "subnets"
#define MC_SVC_MANAGEDCLUSTER "managedclusters"
#define MC_SVC_AGENTPOOLS "agentpools"
#define MC_SVC_FLEETSMEMBERS "fleetsmembers"
#define MC_SVC_AKSEXTENSIONS "aksextensions"

/* amcp: defaulted AMCP; cluster: its Cluster (may be NULL); initial_pools: agentPoolProfiles for creation or
 * NULL. Returns 0 or an error (bad patch). Order: groups, VNet, subnet, managedCluster, then the rows that need
 * the cluster to exist: fleet member (FleetReady) and each AKS extension (AKSExtensionsReady); the delete walk
 * runs backwards, so those go before the cluster. */
int mc_amcp_table(capz_arm_table *t, const cJSON *amcp, const cJSON *cluster, const cJSON *initial_pools, capz_err *err);

#endif
