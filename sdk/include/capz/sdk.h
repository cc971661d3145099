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

CAPZ_END_DECLS
#endif
