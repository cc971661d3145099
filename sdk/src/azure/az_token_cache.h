/* az_token_cache.h — internal entry point of the token cache used by credentials. */
#ifndef CAPZ_SDK_AZ_TOKEN_CACHE_H
#define CAPZ_SDK_AZ_TOKEN_CACHE_H

#include "capz/azure_identity.h"

/* Fetch a fresh token: *token malloc'ed (the cache takes it), *lifetime_s seconds it is valid for. */
typedef int (*az_fetch_fn)(void *ud, char **token, double *lifetime_s, capz_err *err);

/* Return a copy of the token cached under key (64 hex), fetching it (single-flight) when absent, expired,
 * due for refresh, or equal to `rejected`. See capz_az_credential_token for semantics. */
int az_token_cache_get(capz_az_token_cache *c, const char *key, const char *rejected, az_fetch_fn fetch, void *ud,
                       char **out, capz_err *err);

/* As az_token_cache_get; also the returned token's expiry and refresh point in Unix seconds (wall clock at the
 * time it was fetched plus its lifetime / refresh offset; either pointer may be NULL). */
int az_token_cache_get_ex(capz_az_token_cache *c, const char *key, const char *rejected, az_fetch_fn fetch, void *ud,
                          char **out, int64_t *expires_unix, int64_t *refresh_unix, capz_err *err);

/* When a token of lifetime L obtained at t0 should be refreshed / considered expired (exposed for tests). */
double az_token_refresh_at(double t0, double lifetime);
double az_token_expires_at(double t0, double lifetime);

#endif
