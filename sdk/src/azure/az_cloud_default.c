/* az_cloud_default.c — the process-wide default cloud (capz_az_cloud_set_default / _get_default).
 * A mutex rather than a lock-free copy: the struct is ~1 KiB and reads happen once per plugin init. */
#include <cJSON.h>
#include <pthread.h>
#include <string.h>

#include "capz/azure_cloud.h"

static pthread_mutex_t default_mu = PTHREAD_MUTEX_INITIALIZER;
static capz_az_cloud default_cloud;
static bool default_set;

int capz_az_cloud_set_default(const capz_az_cloud *cloud, capz_err *err) {
  if (!cloud) return capz_err_set(err, CAPZ_EINVAL, "default cloud: NULL");
  int rc = capz_az_endpoint_check(cloud->arm_endpoint, false, err);
  if (!rc) rc = capz_az_endpoint_check(cloud->authority_host, false, err);
  if (!rc && cloud->imds_endpoint[0]) rc = capz_az_endpoint_check(cloud->imds_endpoint, true, err);
  if (rc) return capz_err_prefix(err, "default cloud %s", cloud->name), rc;
  pthread_mutex_lock(&default_mu);
  default_cloud = *cloud;
  default_set = true;
  pthread_mutex_unlock(&default_mu);
  return 0;
}

int capz_az_cloud_get_default(capz_az_cloud *out) {
  pthread_mutex_lock(&default_mu);
  bool set = default_set;
  if (set) *out = default_cloud;
  pthread_mutex_unlock(&default_mu);
  if (set) return 0;
  capz_az_cloud_builtin("AzurePublicCloud", out, NULL);
  return CAPZ_ENOTFOUND;
}

int capz_az_cloud_resolve(const char *(*get)(const void *ud, const char *key), const void *ud, capz_az_cloud *out,
                          capz_err *err) {
  const char *env = get ? get(ud, "azureEnvironment") : NULL;
  cJSON *cj = cJSON_CreateObject();
  if (!cj) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  if (env && *env) {
    cJSON_AddStringToObject(cj, "name", env);
  } else { /* start from the host's cloud so an override changes one endpoint, not the whole cloud */
    capz_az_cloud d;
    capz_az_cloud_get_default(&d);
    cJSON_AddStringToObject(cj, "name", d.name);
    cJSON_AddStringToObject(cj, "armEndpoint", d.arm_endpoint);
    cJSON_AddStringToObject(cj, "authorityHost", d.authority_host);
    if (d.imds_endpoint[0]) cJSON_AddStringToObject(cj, "imdsEndpoint", d.imds_endpoint);
    if (d.token_audience[0]) cJSON_AddStringToObject(cj, "tokenAudience", d.token_audience);
  }
  static const char *const over[] = {"armEndpoint", "authorityHost", "imdsEndpoint", "tokenAudience", NULL};
  for (int i = 0; get && over[i]; i++) {
    const char *v = get(ud, over[i]);
    if (!v || !*v) continue;
    cJSON_DeleteItemFromObjectCaseSensitive(cj, over[i]);
    cJSON_AddStringToObject(cj, over[i], v);
  }
  int rc = capz_az_cloud_from_json(cj, out, err);
  cJSON_Delete(cj);
  return rc;
}
