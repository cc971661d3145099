/* config_validate.c — derived defaults and the rules that span several keys. */
#include <stdlib.h>
#include <string.h>
#include "config.h"

static const struct cloud {
  const char *name, *arm, *authority;
} clouds[] = {
    {"AzurePublicCloud", "https://management.azure.com/", "https://login.microsoftonline.com/"},
    {"AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn/"},
    {"AzureUSGovernmentCloud", "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us/"},
};

static int problem(FILE *diag, const host_config *cfg, const char *msg) {
  if (diag) fprintf(diag, "%s: %s\n", cfg->path ? cfg->path : "capz-host", msg);
  return 1;
}

static int fill(char **dst, const char *v) {
  if (*dst) return 0;
  return (*dst = strdup(v)) ? 0 : -1;
}

static bool is_url(const char *s) { return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0; }

int host_config_finish(host_config *cfg, FILE *diag) {
  int errors = 0;
  if (cfg->n_plugin_dirs == 0 && host_config_default_plugin_dirs(cfg) != 0)
    errors += problem(diag, cfg, "out of memory");

  if (fill(&cfg->azure.cloud, "AzurePublicCloud")) errors += problem(diag, cfg, "out of memory");
  const struct cloud *c = NULL;
  for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++)
    if (cfg->azure.cloud && strcmp(cfg->azure.cloud, clouds[i].name) == 0) c = &clouds[i];
  if (c) {
    if (fill(&cfg->azure.resource_manager_endpoint, c->arm) || fill(&cfg->azure.authority_host, c->authority))
      errors += problem(diag, cfg, "out of memory");
  } else if (cfg->azure.cloud && strcmp(cfg->azure.cloud, "Custom") == 0) {
    if (!cfg->azure.resource_manager_endpoint || !cfg->azure.authority_host)
      errors += problem(diag, cfg, "azure: cloud Custom needs resourceManagerEndpoint and authorityHost");
  } else {
    errors += problem(diag, cfg,
                      "azure.cloud: expected AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud or Custom");
  }
  if (fill(&cfg->azure.imds_endpoint, "http://169.254.169.254")) errors += problem(diag, cfg, "out of memory");
  const char *urls[] = {cfg->azure.resource_manager_endpoint, cfg->azure.authority_host, cfg->azure.imds_endpoint,
                        cfg->azure.token_audience};
  const char *names[] = {"azure.resourceManagerEndpoint", "azure.authorityHost", "azure.imdsEndpoint",
                         "azure.tokenAudience"};
  for (size_t i = 0; i < 4; i++)
    if (urls[i] && !is_url(urls[i])) {
      char m[160];
      snprintf(m, sizeof m, "%s: expected an http:// or https:// URL", names[i]);
      errors += problem(diag, cfg, m);
    }

  if (fill(&cfg->metrics_bind_address, "127.0.0.1:8080") || fill(&cfg->health_bind_address, ":9440") ||
      fill(&cfg->leader_election.lease_name, "capz-c-controller-leader-election") ||
      fill(&cfg->leader_election.lease_namespace, "capz-system"))
    errors += problem(diag, cfg, "out of memory");

  const struct host_leader_election *le = &cfg->leader_election;
  if (le->lease_duration_ms <= 0 || le->renew_deadline_ms <= 0 || le->retry_period_ms <= 0)
    errors += problem(diag, cfg, "leaderElection: leaseDuration, renewDeadline and retryPeriod must be positive");
  else if (le->renew_deadline_ms >= le->lease_duration_ms)
    errors += problem(diag, cfg, "leaderElection: renewDeadline must be shorter than leaseDuration");
  else if (le->retry_period_ms >= le->renew_deadline_ms)
    errors += problem(diag, cfg, "leaderElection: retryPeriod must be shorter than renewDeadline");
  if (cfg->sync_period_ms <= 0) errors += problem(diag, cfg, "syncPeriod must be positive");
  if (cfg->reconcile_timeout_ms <= 0) errors += problem(diag, cfg, "reconcileTimeout must be positive");
  if (cfg->kube.server && !is_url(cfg->kube.server))
    errors += problem(diag, cfg, "kubernetes.server: expected an http:// or https:// URL");
  if (cfg->watch_namespace && !*cfg->watch_namespace) {
    free(cfg->watch_namespace);
    cfg->watch_namespace = NULL;
  }
  if (cfg->watch_filter && !*cfg->watch_filter) {
    free(cfg->watch_filter);
    cfg->watch_filter = NULL;
  }
  return errors;
}
