/* aso_common.h — the AzureASOManaged* API: the raw ASO objects embedded in spec.resources, read as ARM specs. */
#ifndef MC_ASO_COMMON_H
#define MC_ASO_COMMON_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The n-th (0-based) embedded resource of `kind`, or NULL; *count (may be NULL) = how many there are. Borrowed. */
const cJSON *mc_aso_find(const cJSON *obj, const char *kind, int *count);
/* Azure name of an ASO object: spec.azureName, else metadata.name. Borrowed. */
const char *mc_aso_azure_name(const cJSON *res);
/* ARM api-version of an ASO apiVersion ("containerservice.azure.com/v1api20240901" → "2024-09-01",
 * ".../v20251002preview" → "2025-10-02-preview"); false when it has no date. */
bool mc_aso_api_version(const char *api_version, char *out, size_t n);
/* status.resources entry list for obj's spec.resources, each {resource{group,version,kind,name}, ready}. */
cJSON *mc_aso_status_resources(const cJSON *obj, bool ready);
/* Azure resource group of an ASO object owned by a ResourceGroup named owner.name: that ResourceGroup's Azure name
 * when it is embedded in holder (an AzureASOManagedCluster), else owner.name itself. Borrowed. */
const char *mc_aso_owner_rg(const cJSON *res, const cJSON *holder);

#endif
