/* auth_arm_check.c — ARM's bearer-token validation: the 401 shapes (with WWW-Authenticate), tenant ownership of
 * the subscription, 404 SubscriptionNotFound, and per-principal subscription limits (403 AuthorizationFailed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth_internal.h"

/* ARM lists both spellings of both audiences in its audience error. */
#define ARM_AUDIENCES_TEXT                                                                                  \
  "'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/'," \
  "'https://management.azure.com'"

static void fail401(arm_auth *a, arm_http_reply *out, const char *tenant, const char *code, const char *desc,
                    const char *message) {
  char authority[AUTH_URL_MAX];
  if (a->authority[0]) {
    snprintf(authority, sizeof authority, "%s", a->authority);
  } else {
    pthread_mutex_lock(&a->mu);
    snprintf(authority, sizeof authority, "%s", a->base_url);
    pthread_mutex_unlock(&a->mu);
  }
  size_t al = strlen(authority);
  while (al > 0 && authority[al - 1] == '/') authority[--al] = '\0';
  auth_arm_error(out, 401, code, "%s", message);
  snprintf(out->www_authenticate, sizeof out->www_authenticate,
           "Bearer authorization_uri=\"%s/%s\", error=\"invalid_token\", error_description=\"%s\"", authority,
           tenant ? tenant : "", desc);
}

static void fmt_time(long t, char *out, size_t outlen) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  int h = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  snprintf(out, outlen, "%02d/%02d/%04d %02d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, h,
           tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

bool arm_auth_check(arm_auth *a, const char *authorization, const char *subscription, char *principal,
                    size_t principal_len, arm_http_reply *out) {
  if (!out) return false;
  memset(out, 0, sizeof *out);
  if (principal && principal_len) principal[0] = '\0';
  if (!a) {
    out->status = 500;
    return false;
  }
  const auth_subscription *sub = subscription ? auth_find_subscription(a, subscription) : NULL;
  const char *wtenant = sub ? sub->tenant : "";
  if (!authorization || !*authorization) {
    fail401(a, out, wtenant, "AuthenticationFailed",
            "The authentication failed because of missing 'Authorization' header.",
            "Authentication failed. The 'Authorization' header is missing.");
    return false;
  }
  const char *p = authorization;
  while (*p == ' ') p++;
  if (strncasecmp(p, "Bearer ", 7) != 0) {
    fail401(a, out, wtenant, "AuthenticationFailed",
            "The authentication scheme is not supported; use 'Bearer'.",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.");
    return false;
  }
  p += 7;
  while (*p == ' ') p++;
  size_t len = strlen(p);
  while (len > 0 && p[len - 1] == ' ') len--;

  auth_jwt j;
  if (len == 0 || auth_jwt_parse(p, len, &j) != 0) {
    fail401(a, out, wtenant, "InvalidAuthenticationToken", "The access token is invalid.",
            "The access token is invalid.");
    return false;
  }
  bool ok = false;
  const char *kid = auth_jwt_str(j.header, "kid");
  if (strcmp(j.alg, "RS256") != 0 || !kid || strcmp(kid, a->kid) != 0 || !auth_jwt_verify(&j, a->sign_key)) {
    fail401(a, out, wtenant, "InvalidAuthenticationToken", "The access token is invalid.",
            "The access token is invalid.");
    goto done;
  }
  const char *tid = auth_jwt_str(j.claims, "tid"), *oid = auth_jwt_str(j.claims, "oid");
  const char *iss = auth_jwt_str(j.claims, "iss"), *aud = auth_jwt_str(j.claims, "aud");
  double exp = 0, nbf = 0;
  char want_iss[AUTH_URL_MAX + AUTH_ID_MAX + 8];
  if (tid) auth_issuer(a, tid, want_iss, sizeof want_iss);
  if (!tid || !oid || !iss || !aud || !auth_jwt_num(j.claims, "exp", &exp) || strcmp(iss, want_iss) != 0) {
    fail401(a, out, wtenant, "InvalidAuthenticationToken", "The access token is invalid.",
            "The access token is invalid.");
    goto done;
  }
  long now = auth_now();
  if ((double)now > exp + (double)a->clock_skew) {
    char e[40], n[40], desc[200];
    fmt_time((long)exp, e, sizeof e);
    fmt_time(now, n, sizeof n);
    snprintf(desc, sizeof desc, "The access token expiry UTC time '%s' is earlier than current UTC time '%s'.", e, n);
    fail401(a, out, wtenant, "ExpiredAuthenticationToken", desc, desc);
    goto done;
  }
  if (auth_jwt_num(j.claims, "nbf", &nbf) && nbf > (double)(now + a->clock_skew)) {
    fail401(a, out, wtenant, "InvalidAuthenticationToken", "The access token is not yet valid.",
            "The access token is not yet valid.");
    goto done;
  }
  char naud[AUTH_URL_MAX];
  auth_normalize_resource(aud, strlen(aud), naud, sizeof naud);
  if (!auth_is_arm_audience(a, naud)) {
    char msg[600];
    snprintf(msg, sizeof msg,
             "The access token has been obtained for wrong audience or resource '%s'. It should exactly match with "
             "one of the allowed audiences " ARM_AUDIENCES_TEXT ".",
             aud);
    fail401(a, out, wtenant, "InvalidAuthenticationTokenAudience",
            "The access token has been obtained for wrong audience or resource.", msg);
    goto done;
  }
  if (subscription && !sub) {
    auth_arm_error(out, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.", subscription);
    goto done;
  }
  if (sub && strcasecmp(sub->tenant, tid) != 0) {
    char msg[1200], iss_tok[AUTH_URL_MAX + AUTH_ID_MAX + 8], iss_sub[AUTH_URL_MAX + AUTH_ID_MAX + 8];
    auth_issuer(a, tid, iss_tok, sizeof iss_tok);
    auth_issuer(a, sub->tenant, iss_sub, sizeof iss_sub);
    snprintf(msg, sizeof msg,
             "The access token is from the wrong issuer '%s'. It must match the tenant '%s' associated with this "
             "subscription. Please use the authority (URL) for tenant '%s' to get the token.",
             iss_tok, iss_sub, sub->tenant);
    fail401(a, out, sub->tenant, "InvalidAuthenticationTokenTenant",
            "The access token is from the wrong issuer. It must match the tenant associated with this subscription.",
            msg);
    goto done;
  }
  const auth_principal *pr = auth_find_principal_by_oid(a, oid);
  if (sub && pr && pr->limit_subscriptions && !auth_strlist_has(&pr->subscriptions, sub->id, true)) {
    const char *appid = auth_jwt_str(j.claims, "appid");
    auth_arm_error(out, 403, "AuthorizationFailed",
                   "The client '%s' with object id '%s' does not have authorization to perform this action over "
                   "scope '/subscriptions/%s' or the scope is invalid. If access was recently granted, please "
                   "refresh your credentials.",
                   appid ? appid : oid, oid, sub->id);
    goto done;
  }
  if (principal && principal_len) snprintf(principal, principal_len, "%s", oid);
  ok = true;
done:
  auth_jwt_free(&j);
  return ok;
}
