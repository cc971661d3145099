/* capz/sdk.h — process-wide setup of the SDK.
 *
 * capz_sdk_global_init() must be called once before any SDK call that talks to the network
 * (the host calls it in main; tests call it in their setup). It is the only place where
 * curl_global_init runs, and it creates the process's one HTTP connection pool (a curl share
 * of connections, DNS cache and TLS sessions).
 *
 * Thread-safety: call init/cleanup from one thread while no other SDK call is running.
 * Calls are counted: every successful init must be balanced by one cleanup; the last cleanup
 * releases the pool.
 */
#ifndef CAPZ_SDK_H
#define CAPZ_SDK_H

#include "capz/common.h"
#include "capz/err.h"

CAPZ_BEGIN_DECLS

/* Returns 0, or CAPZ_EINTERNAL/CAPZ_ENOMEM with err filled when libcurl cannot be set up. */
CAPZ_API int capz_sdk_global_init(capz_err *err);

/* Releases what capz_sdk_global_init created once the count drops to zero. */
CAPZ_API void capz_sdk_global_cleanup(void);

/* Observe every HTTP request the SDK makes (Kubernetes and Azure): called once per completed request from the
 * calling thread with method, host[:port], status (0 = no response) and duration. The host uses it for
 * rest_client_requests_total. Set once before threads start; fn NULL removes it. fn must be thread-safe. */
typedef void (*capz_request_observer_fn)(void *ud, const char *method, const char *host, long status,
                                         double seconds);
CAPZ_API void capz_sdk_set_request_observer(capz_request_observer_fn fn, void *ud);

CAPZ_END_DECLS
#endif
