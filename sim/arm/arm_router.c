/* arm_router.c — first stop of every request: /_sim/ inspection, fault injection, the token endpoint and
 * IMDS (delegated to the auth module), then for ARM paths: path and api-version checks, body parsing with
 * size/nesting caps, authentication, throttling, and the resource engine. */
#include "arm_sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void from_reply(arm_http_reply *r, arm_resp *out) {
  out->status = r->status ? r->status : 500;
  if (r->body) {
    out->text = r->body;
    r->body = NULL;
  }
  if (r->www_authenticate[0]) arm_resp_header(out, "WWW-Authenticate", "%s", r->www_authenticate);
  arm_http_reply_clear(r);
}

/* Newest and oldest api-versions each namespace answers to (dates; a "-preview" suffix is allowed). */
static const struct { const char *ns, *min, *max; } api_range[] = {
    {"Microsoft.Resources", "2014-04-01", "2025-04-01"},
    {"Microsoft.Network", "2015-05-01", "2026-07-01"},
    {"Microsoft.Compute", "2015-06-15", "2026-04-01"},
    {"Microsoft.ContainerService", "2017-08-31", "2026-10-02"},
    {"Microsoft.Authorization", "2015-07-01", "2025-12-01"},
    {"Microsoft.ManagedIdentity", "2015-08-31", "2025-05-31"},
    {"Microsoft.ResourceHealth", "2015-01-01", "2025-05-01"},
    {"Microsoft.KubernetesConfiguration", "2020-07-01", "2025-03-01"},
};

static bool api_version_wellformed(const char *v) {
  size_t L = strlen(v);
  if (L < 10) return false;
  for (int i = 0; i < 10; i++) {
    if (i == 4 || i == 7) { if (v[i] != '-') return false; }
    else if (!isdigit((unsigned char)v[i])) return false;
  }
  int mo = (v[5] - '0') * 10 + (v[6] - '0'), d = (v[8] - '0') * 10 + (v[9] - '0');
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  if (L == 10) return true;
  static const char *suffixes[] = {"-preview", "-alpha", "-beta", "-privatepreview", NULL};
  for (int i = 0; suffixes[i]; i++)
    if (strcasecmp(v + 10, suffixes[i]) == 0) return true;
  return false;
}

static bool check_api_version(arm_ctx *c, arm_req *q, const char *ns, const char *type, arm_resp *out) {
  const char *v = q->api_version;
  if (!v || !*v) {
    arm_resp_error(out, 400, "MissingApiVersionParameter",
                   "The api-version query parameter (?api-version=) is required for all requests.");
    return false;
  }
  if (!api_version_wellformed(v)) {
    arm_resp_error(out, 400, "InvalidApiVersionParameter",
                   "The api-version '%.64s' is invalid. The supported versions are of the form 'YYYY-MM-DD' or "
                   "'YYYY-MM-DD-preview'.", v);
    return false;
  }
  if (c->cfg.api_allow && ns) {
    const cJSON *it;
    cJSON_ArrayForEach(it, c->cfg.api_allow) {
      if (strcasecmp(it->string, ns) != 0) continue;
      const cJSON *e;
      bool ok = false;
      cJSON_ArrayForEach(e, it) ok |= cJSON_IsString(e) && strcasecmp(e->valuestring, v) == 0;
      if (!ok) {
        char *list = cJSON_PrintUnformatted(it);
        arm_resp_error(out, 400, "NoRegisteredProviderFound",
                       "No registered resource provider found for location 'global' and API version '%s' for type '%s'. "
                       "The supported api-versions are '%s'.", v, type, list ? list : "");
        free(list);
        return false;
      }
    }
  }
  for (size_t i = 0; ns && i < sizeof api_range / sizeof api_range[0]; i++) {
    if (strcasecmp(api_range[i].ns, ns) != 0) continue;
    if (strncmp(v, api_range[i].min, 10) < 0 || strncmp(v, api_range[i].max, 10) > 0) {
      arm_resp_error(out, 400, "NoRegisteredProviderFound",
                     "No registered resource provider found for location 'global' and API version '%s' for type '%s'. "
                     "The supported api-versions are between '%s' and '%s'.", v, type, api_range[i].min, api_range[i].max);
      return false;
    }
  }
  return true;
}

/* Maximum nesting of a JSON text, without parsing it (cJSON recurses). */
static int json_depth(const char *s, size_t n) {
  int depth = 0, maxd = 0;
  bool in_str = false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (in_str) {
      if (ch == '\\') i++;
      else if (ch == '"') in_str = false;
    } else if (ch == '"') in_str = true;
    else if (ch == '{' || ch == '[') { if (++depth > maxd) maxd = depth; }
    else if (ch == '}' || ch == ']') depth--;
  }
  return maxd;
}

static bool parse_body(arm_ctx *c, arm_req *q, arm_resp *out) {
  if (!q->body || q->body_len == 0) return true;
  size_t i = 0;
  while (i < q->body_len && isspace((unsigned char)q->body[i])) i++;
  if (i == q->body_len) return true;
  if (strlen(q->body) != q->body_len) {
    arm_resp_error(out, 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                   "unexpected NUL byte.");
    return false;
  }
  if (json_depth(q->body, q->body_len) > c->cfg.max_depth) {
    arm_resp_error(out, 400, "InvalidRequestContent",
                   "The request content was invalid and could not be deserialized: nesting deeper than %d levels.",
                   c->cfg.max_depth);
    return false;
  }
  const char *end = NULL;
  q->json = cJSON_ParseWithLengthOpts(q->body, q->body_len, &end, 0);
  if (!q->json) {
    size_t off = end ? (size_t)(end - q->body) : 0;
    arm_resp_error(out, 400, "InvalidRequestContent",
                   "The request content was invalid and could not be deserialized: 'Unexpected character encountered "
                   "while parsing value at position %zu.'", off);
    return false;
  }
  return true;
}

static void handle_arm(arm_ctx *c, arm_req *q, arm_resp *out) {
  arm_path *p = malloc(sizeof *p);
  if (!p) { arm_resp_error(out, 500, "InternalServerError", "out of memory"); return; }
  if (arm_path_parse(q->path, p) != 0) {
    arm_resp_error(out, 400, "InvalidRequestUri", "The request URI '%.200s' is not valid.", q->path);
    free(p);
    return;
  }
  snprintf(q->rtype, sizeof q->rtype, "%.159s", p->type);
  if (p->sub) snprintf(q->subscription, sizeof q->subscription, "%.63s", p->sub);
  const char *ns = p->ns ? p->ns : "Microsoft.Resources";
  if (!check_api_version(c, q, ns, p->type, out)) { free(p); return; }
  const char *auth_hdr = arm_req_header(q, "Authorization");
  arm_http_reply ar;
  memset(&ar, 0, sizeof ar);
  if (!arm_auth_check(c->auth, auth_hdr, p->sub, q->principal, sizeof q->principal, &ar)) {
    from_reply(&ar, out);
    free(p);
    return;
  }
  arm_http_reply_clear(&ar);
  if (p->ns && !arm_namespace_known(p->ns)) {
    arm_resp_error(out, 400, "InvalidResourceNamespace", "The resource namespace '%.100s' is invalid.", p->ns);
    free(p);
    return;
  }
  if (!arm_throttle_check(c->throttle, p->sub, q->principal, q->method, p, out)) { free(p); return; }
  if (!parse_body(c, q, out)) { free(p); return; }
  arm_engine(c, q, p, out);
  free(p);
}

void arm_route(arm_ctx *c, arm_req *q, arm_resp *out) {
  const char *path = q->path ? q->path : "";
  if (strncmp(path, "/_sim/", 6) == 0 || strcmp(path, "/_sim") == 0) {
    if (!parse_body(c, q, out)) return;
    arm_inspect(c, q, out);
    return;
  }
  if (arm_faults_apply(c->faults, q, out)) {
    arm_reqlog_add(c->log, q, out->reset ? 0 : out->status);
    return;
  }
  /* Entra: /{tenant}/oauth2/v2.0/token, the legacy /{tenant}/oauth2/token, OIDC discovery and JWKS */
  char tenant[128];
  int n = 0, n1 = 0, n2 = 0, n3 = 0;
  bool v2 = sscanf(path, "/%127[^/]/oauth2/v2.0/token%n", tenant, &n) == 1 && path[n] == '\0';
  bool v1 = !v2 && sscanf(path, "/%127[^/]/oauth2/token%n", tenant, &n1) == 1 && path[n1] == '\0';
  if (v2 || v1) {
    arm_http_reply r;
    memset(&r, 0, sizeof r);
    if (strcmp(q->method, "POST") != 0) {
      arm_resp_error(out, 405, "MethodNotAllowed", "The token endpoint only accepts POST.");
    } else {
      const char *authz = arm_req_header(q, "Authorization");
      if (v2) arm_auth_token_ex(c->auth, tenant, q->body ? q->body : "", q->body_len, authz, &r);
      else arm_auth_token_v1(c->auth, tenant, q->body ? q->body : "", q->body_len, authz, &r);
      from_reply(&r, out);
    }
    snprintf(q->rtype, sizeof q->rtype, "entra/token");
    arm_req redacted = *q; /* never keep client secrets or assertions in the log */
    redacted.body = NULL;
    redacted.body_len = 0;
    arm_reqlog_add(c->log, &redacted, out->status);
    return;
  }
  if ((sscanf(path, "/%127[^/]/v2.0/.well-known/openid-configuration%n", tenant, &n2) == 1 && path[n2] == '\0') ||
      (sscanf(path, "/%127[^/]/discovery/v2.0/keys%n", tenant, &n3) == 1 && path[n3] == '\0')) {
    arm_http_reply r;
    memset(&r, 0, sizeof r);
    if (n2) arm_auth_openid_configuration(c->auth, tenant, &r);
    else arm_auth_jwks(c->auth, &r);
    from_reply(&r, out);
    snprintf(q->rtype, sizeof q->rtype, "entra/discovery");
    arm_reqlog_add(c->log, q, out->status);
    return;
  }
  if (strcmp(path, "/metadata/identity/oauth2/token") == 0) {
    arm_http_reply r;
    memset(&r, 0, sizeof r);
    arm_auth_imds(c->auth, q->raw_query ? q->raw_query : "", arm_req_header(q, "Metadata"), &r);
    from_reply(&r, out);
    snprintf(q->rtype, sizeof q->rtype, "imds/token");
    arm_reqlog_add(c->log, q, out->status);
    return;
  }
  if (strncasecmp(path, "/subscriptions", 14) == 0 || strncasecmp(path, "/providers/", 11) == 0) {
    handle_arm(c, q, out);
  } else {
    arm_resp_error(out, 404, "NotFound", "No HTTP resource was found that matches the request URI '%.200s'.", path);
  }
  arm_reqlog_add(c->log, q, out->reset ? 0 : out->status);
}
