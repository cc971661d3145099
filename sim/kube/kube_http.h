/* kube_http.h — start/stop the libmicrohttpd daemon that serves the emulator. */
#ifndef KUBE_HTTP_H
#define KUBE_HTTP_H
#include <sys/socket.h>

#include "kube_sim.h"

/* Returns the daemon handle (struct MHD_Daemon *) or NULL. */
void *http_start(const struct sockaddr *addr);
int http_port(void *daemon);
void http_stop(void *daemon);
#endif
