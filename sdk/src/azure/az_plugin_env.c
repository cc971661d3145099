/* az_plugin_env.c — the config keys and init steps every Azure plugin shares (capz/azure_session.h): cloud,
 * drift/poll intervals, ensurer, session cache. */
#include <stdio.h>
#include <string.h>

#include "capz/azure_session.h"

#define F(name, key, type, def, desc) \
  const capz_cfg_field name = {sizeof(capz_cfg_field), key, type, def, desc};
F(capz_az_cfg_azure_environment, "azureEnvironment", CAPZ_CFG_STRING, "",
  "cloud whose endpoints are used: AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud; "
  "empty = the host's azure: config")
F(capz_az_cfg_arm_endpoint, "armEndpoint", CAPZ_CFG_STRING, "",
  "override of the cloud's Resource Manager endpoint (e.g. an emulator)")
F(capz_az_cfg_authority_host, "authorityHost", CAPZ_CFG_STRING, "", "override of the cloud's Entra ID authority host")
F(capz_az_cfg_imds_endpoint, "imdsEndpoint", CAPZ_CFG_STRING, "",
  "override of the instance metadata endpoint (managed identities)")
F(capz_az_cfg_token_audience, "tokenAudience", CAPZ_CFG_STRING, "",
  "override of the ARM token audience (default: the cloud's; e.g. https://management.azure.com/ when armEndpoint "
  "points at an emulator)")
F(capz_az_cfg_drift_interval, "driftInterval", CAPZ_CFG_DURATION, "10m",
  "how often an unchanged Azure resource is re-read to detect drift (no reads in between)")
F(capz_az_cfg_poll_interval, "pollInterval", CAPZ_CFG_DURATION, "1s", "smallest requeue while an Azure operation runs")

/* Ensurer sizing for large fleets. Not yet declared in capz/azure_session.h: a plugin lists them in its schema
 * with `extern const capz_cfg_field capz_az_cfg_ensure_capacity;` (exported); without that the defaults apply. */
CAPZ_API F(capz_az_cfg_ensure_capacity, "ensureCapacity", CAPZ_CFG_INT, "0",
  "Azure resources whose applied state is remembered (LRU); 0 = 65536 (~250 bytes + the ID length each). A resource evicted early "
  "is re-read before its drift interval")
CAPZ_API F(capz_az_cfg_drift_reads_per_second, "driftReadsPerSecond", CAPZ_CFG_FLOAT, "0",
  "drift reads (GETs only because driftInterval elapsed) allowed per second per ARM client; beyond it they are "
  "deferred and spread out; 0 = 25% of the read limiter's refill (5/s), negative = unlimited")

static const char *cfg_get(const void *ud, const char *key) { return capz_plugin_config_str(ud, key); }

int capz_az_plugin_env_init(const capz_plugin_config *cfg, const capz_az_plugin_env_opts *o,
                            capz_az_plugin_env *out, capz_err *err) {
  if (!cfg || !o || !out) return capz_err_set(err, CAPZ_EINVAL, "capz_az_plugin_env_init: NULL argument");
  memset(out, 0, sizeof *out);
  const char *name = o->plugin_name ? o->plugin_name : "plugin";
  int rc = capz_az_cloud_resolve(cfg_get, cfg, &out->cloud, err);
  if (rc) return capz_err_prefix(err, "%s config: ", name), rc;
  out->drift_interval_s = (double)capz_plugin_config_duration_ms(cfg, "driftInterval") / 1000.0;
  out->poll_floor_s = (double)capz_plugin_config_duration_ms(cfg, "pollInterval") / 1000.0;
  if (out->drift_interval_s <= 0) out->drift_interval_s = 600;
  if (out->poll_floor_s <= 0) out->poll_floor_s = 0.2;
  int64_t cap = capz_plugin_config_int(cfg, "ensureCapacity");
  if (cap < 0) return capz_err_set(err, CAPZ_EINVAL, "%s config: ensureCapacity must not be negative", name);
  capz_arm_ensure_config ec = {.drift_interval_s = out->drift_interval_s,
                               .capacity = (size_t)cap,
                               .drift_reads_per_s = capz_plugin_config_float(cfg, "driftReadsPerSecond")};
  out->ensurer = capz_arm_ensurer_new(&ec);
  if (!out->ensurer) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  capz_az_session_config sc = {.cloud = &out->cloud, .user_agent = o->user_agent, .poll_default_s = out->poll_floor_s,
                               .max_retry_wait_s = 10, .default_tenant_id = o->default_tenant_id,
                               .default_client_id = o->default_client_id,
                               .default_secret_file = o->default_secret_file};
  out->sessions = capz_az_sessions_new(&sc, err);
  if (!out->sessions) {
    rc = err && err->code ? err->code : capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    capz_az_plugin_env_free(out);
    return rc;
  }
  return 0;
}

void capz_az_plugin_env_free(capz_az_plugin_env *e) {
  if (!e) return;
  capz_az_sessions_free(e->sessions);
  capz_arm_ensurer_free(e->ensurer);
  e->sessions = NULL;
  e->ensurer = NULL;
}
