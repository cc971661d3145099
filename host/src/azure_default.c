/* azure_default.c — the host's `azure:` section becomes the SDK's default cloud, so plugins need no cloud
 * settings of their own (they may still override it in their config). */
#include <cJSON.h>
#include <stdio.h>

#include "azure_default.h"
#include "capz/azure_cloud.h"

int host_azure_set_default(const host_config *cfg, FILE *diag) {
  cJSON *j = cJSON_CreateObject();
  if (!j) return -1;
  cJSON_AddStringToObject(j, "name", cfg->azure.cloud ? cfg->azure.cloud : "AzurePublicCloud");
  if (cfg->azure.resource_manager_endpoint)
    cJSON_AddStringToObject(j, "armEndpoint", cfg->azure.resource_manager_endpoint);
  if (cfg->azure.authority_host) cJSON_AddStringToObject(j, "authorityHost", cfg->azure.authority_host);
  if (cfg->azure.imds_endpoint) cJSON_AddStringToObject(j, "imdsEndpoint", cfg->azure.imds_endpoint);
  if (cfg->azure.token_audience) cJSON_AddStringToObject(j, "tokenAudience", cfg->azure.token_audience);
  capz_az_cloud cloud;
  capz_err err;
  capz_err_clear(&err);
  int rc = capz_az_cloud_from_json(j, &cloud, &err);
  cJSON_Delete(j);
  if (!rc) rc = capz_az_cloud_set_default(&cloud, &err);
  if (rc) fprintf(diag, "%s: azure: %s\n", cfg->path ? cfg->path : "capz-host", err.msg);
  return rc;
}
