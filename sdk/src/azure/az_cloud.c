/* az_cloud.c — built-in Azure clouds, custom clouds from config, and the endpoint transport policy. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capz/azure_cloud.h"
#include "azure/az_util.h"

#define IMDS_DEFAULT "http://169.254.169.254"

typedef struct cloud_def {
  const char *name;
  const char *aliases[3];
  const char *arm, *authority, *audience;
} cloud_def;

/* Endpoints per reference §6.1 (azcore cloud.go). */
static const cloud_def CLOUDS[] = {
    {"AzurePublicCloud", {"AzureCloud", "public", ""}, "https://management.azure.com",
     "https://login.microsoftonline.com", "https://management.azure.com/"},
    {"AzureChinaCloud", {"china", NULL, NULL}, "https://management.chinacloudapi.cn",
     "https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn/"},
    {"AzureUSGovernmentCloud", {"AzureUSGovernment", "usgovernment", NULL}, "https://management.usgovcloudapi.net",
     "https://login.microsoftonline.us", "https://management.usgovcloudapi.net/"},
};

static const cloud_def *find_cloud(const char *name) {
  if (!name) name = "";
  for (size_t i = 0; i < sizeof CLOUDS / sizeof CLOUDS[0]; i++) {
    if (strcasecmp(CLOUDS[i].name, name) == 0) return &CLOUDS[i];
    for (int a = 0; a < 3; a++)
      if (CLOUDS[i].aliases[a] && strcasecmp(CLOUDS[i].aliases[a], name) == 0) return &CLOUDS[i];
  }
  return NULL;
}

static void strip_slash(char *s) {
  size_t l = strlen(s);
  while (l > 0 && s[l - 1] == '/') s[--l] = '\0';
}

int capz_az_cloud_builtin(const char *name, capz_az_cloud *out, capz_err *err) {
  const cloud_def *d = find_cloud(name);
  if (!d) return capz_err_set(err, CAPZ_EINVAL, "unknown Azure cloud \"%s\"", name ? name : "");
  memset(out, 0, sizeof *out);
  az_strlcpy(out->name, d->name, sizeof out->name);
  az_strlcpy(out->arm_endpoint, d->arm, sizeof out->arm_endpoint);
  az_strlcpy(out->authority_host, d->authority, sizeof out->authority_host);
  az_strlcpy(out->imds_endpoint, IMDS_DEFAULT, sizeof out->imds_endpoint);
  az_strlcpy(out->token_audience, d->audience, sizeof out->token_audience);
  return 0;
}

/* Extract scheme and host of an absolute URL. host excludes port and IPv6 brackets. */
static bool split_url(const char *url, char *scheme, size_t sn, char *host, size_t hn) {
  const char *p = strstr(url, "://");
  if (!p || p == url || (size_t)(p - url) >= sn) return false;
  memcpy(scheme, url, (size_t)(p - url));
  scheme[p - url] = '\0';
  const char *h = p + 3;
  const char *end = h + strcspn(h, "/?#");
  const char *at = memchr(h, '@', (size_t)(end - h));
  if (at) return false; /* userinfo in an endpoint is never legitimate */
  const char *hs = h, *he;
  if (*h == '[') {
    hs = h + 1;
    he = memchr(hs, ']', (size_t)(end - hs));
    if (!he) return false;
  } else {
    he = memchr(h, ':', (size_t)(end - h));
    if (!he) he = end;
  }
  if (he <= hs || (size_t)(he - hs) >= hn) return false;
  memcpy(host, hs, (size_t)(he - hs));
  host[he - hs] = '\0';
  return true;
}

static bool host_is_loopback(const char *host) {
  if (strcasecmp(host, "localhost") == 0) return true;
  struct in_addr a4;
  if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  struct in6_addr a6;
  if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

int capz_az_endpoint_check(const char *url, bool allow_imds, capz_err *err) {
  char scheme[16], host[256];
  if (!url || !*url || !split_url(url, scheme, sizeof scheme, host, sizeof host))
    return capz_err_set(err, CAPZ_EINVAL, "endpoint \"%s\" is not an absolute URL", url ? url : "");
  if (strcasecmp(scheme, "https") == 0) return 0;
  if (strcasecmp(scheme, "http") == 0) {
    if (host_is_loopback(host)) return 0;
    if (allow_imds && strcmp(host, "169.254.169.254") == 0) return 0;
    return capz_err_set(err, CAPZ_EINVAL,
                        "endpoint \"%s\" uses plain http:// on a non-loopback host; https:// is required", url);
  }
  return capz_err_set(err, CAPZ_EINVAL, "endpoint \"%s\": unsupported scheme \"%s\"", url, scheme);
}

static int set_endpoint(char *dst, size_t n, const cJSON *v, const char *member, bool allow_imds, capz_err *err) {
  if (!cJSON_IsString(v)) return capz_err_set(err, CAPZ_EINVAL, "cloud.%s: must be a string", member);
  if (!az_strlcpy(dst, v->valuestring, n))
    return capz_err_set(err, CAPZ_EINVAL, "cloud.%s: longer than %zu characters", member, n - 1);
  int rc = capz_az_endpoint_check(dst, allow_imds, err);
  if (rc) return capz_err_prefix(err, "cloud.%s", member);
  return 0;
}

int capz_az_cloud_from_json(const cJSON *cfg, capz_az_cloud *out, capz_err *err) {
  if (!cfg || cJSON_IsNull(cfg)) return capz_az_cloud_builtin("AzurePublicCloud", out, err);
  if (!cJSON_IsObject(cfg)) return capz_err_set(err, CAPZ_EINVAL, "cloud: must be an object");
  static const char *known[] = {"name", "armEndpoint", "authorityHost", "imdsEndpoint", "tokenAudience"};
  for (const cJSON *m = cfg->child; m; m = m->next) {
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) ok |= strcmp(m->string, known[i]) == 0;
    if (!ok) return capz_err_set(err, CAPZ_EINVAL, "cloud.%s: unknown member", m->string);
  }
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(cfg, "name");
  if (name && !cJSON_IsString(name)) return capz_err_set(err, CAPZ_EINVAL, "cloud.name: must be a string");
  const char *nm = name ? name->valuestring : "";
  const cJSON *arm = cJSON_GetObjectItemCaseSensitive(cfg, "armEndpoint");
  const cJSON *auth = cJSON_GetObjectItemCaseSensitive(cfg, "authorityHost");
  const cJSON *imds = cJSON_GetObjectItemCaseSensitive(cfg, "imdsEndpoint");
  const cJSON *aud = cJSON_GetObjectItemCaseSensitive(cfg, "tokenAudience");
  capz_az_cloud c;
  if (find_cloud(nm)) {
    capz_az_cloud_builtin(nm, &c, NULL);
  } else {
    if (!arm || !auth)
      return capz_err_set(err, CAPZ_EINVAL, "cloud \"%s\" is not built in: armEndpoint and authorityHost are required",
                          nm);
    memset(&c, 0, sizeof c);
    az_strlcpy(c.name, nm, sizeof c.name);
    az_strlcpy(c.imds_endpoint, IMDS_DEFAULT, sizeof c.imds_endpoint);
  }
  int rc;
  if (arm && (rc = set_endpoint(c.arm_endpoint, sizeof c.arm_endpoint, arm, "armEndpoint", false, err))) return rc;
  if (auth && (rc = set_endpoint(c.authority_host, sizeof c.authority_host, auth, "authorityHost", false, err)))
    return rc;
  if (imds && (rc = set_endpoint(c.imds_endpoint, sizeof c.imds_endpoint, imds, "imdsEndpoint", true, err)))
    return rc;
  strip_slash(c.arm_endpoint);
  strip_slash(c.authority_host);
  strip_slash(c.imds_endpoint);
  if (aud) {
    if (!cJSON_IsString(aud) || !aud->valuestring[0])
      return capz_err_set(err, CAPZ_EINVAL, "cloud.tokenAudience: must be a non-empty string");
    if (!az_strlcpy(c.token_audience, aud->valuestring, sizeof c.token_audience))
      return capz_err_set(err, CAPZ_EINVAL, "cloud.tokenAudience: too long");
  } else if (!find_cloud(nm) || arm) {
    /* a custom ARM endpoint is its own audience unless told otherwise */
    if (snprintf(c.token_audience, sizeof c.token_audience, "%s/", c.arm_endpoint) >= (int)sizeof c.token_audience)
      return capz_err_set(err, CAPZ_EINVAL, "cloud.armEndpoint: too long");
  }
  *out = c;
  return 0;
}

int capz_az_cloud_scope(const capz_az_cloud *cloud, char *out, size_t n) {
  size_t l = strlen(cloud->token_audience);
  if (l > 0 && cloud->token_audience[l - 1] == '/') l--;
  int w = snprintf(out, n, "%.*s/.default", (int)l, cloud->token_audience);
  return (w < 0 || (size_t)w >= n) ? CAPZ_EINVAL : 0;
}
