/* arm_http.h — the HTTP listener of capz-arm-sim (libmicrohttpd, one thread per connection).
 * Thread-safety: start/stop from the main thread only; requests run on MHD threads and call arm_route. */
#ifndef CAPZ_SIM_ARM_HTTP_H
#define CAPZ_SIM_ARM_HTTP_H

#include "arm_sim.h"

typedef struct arm_http arm_http;

/* Listen on host (IPv4 literal) and port (0 = any). Returns NULL and fills err on failure. */
arm_http *arm_http_start(arm_ctx *ctx, const char *host, int port, char *err, size_t errlen);
int arm_http_port(const arm_http *h);
/* Stops accepting, waits for running handlers, frees h. */
void arm_http_stop(arm_http *h);

#endif
