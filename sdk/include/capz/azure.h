/* capz/azure.h — everything a plugin needs to talk to Azure (umbrella header).
 *
 *   capz/azure_cloud.h     clouds and endpoint policy
 *   capz/azure_identity.h  AzureClusterIdentity: allowedNamespaces, credentials, token cache
 *   capz/azure_arm.h       ARM client: resource IDs, limiter, retries, CloudError, LROs, accounting
 *   capz/azure_ensure.h    desired-state helper (write only on drift, skip reads in steady state)
 *   capz/azure_table.h     ordered resource table walked with ensure / reverse delete
 *   capz/azure_session.h   identity → credential → ARM client cache shared by a plugin's workers
 *
 * Ownership and thread-safety are documented per call in each header. See docs/AZURE-SDK.md.
 */
#ifndef CAPZ_AZURE_H
#define CAPZ_AZURE_H

#include "capz/azure_cloud.h"
#include "capz/azure_identity.h"
#include "capz/azure_arm.h"
#include "capz/azure_ensure.h"
#include "capz/azure_table.h"
#include "capz/azure_session.h"

#endif
