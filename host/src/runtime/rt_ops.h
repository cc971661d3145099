/* rt_ops.h — the operations HTTP endpoints (/healthz, /readyz, /metrics) on libmicrohttpd. */
#ifndef CAPZ_HOST_RT_OPS_H
#define CAPZ_HOST_RT_OPS_H

#include <stdbool.h>
#include "capz/err.h"
#include "capz/metrics.h"

typedef struct rt_ops rt_ops;

/* addr "host:port" (port 0 = any). ready() says whether /readyz answers 200; collect() (may be NULL) refreshes
 * gauges before /metrics renders reg. serve_metrics / serve_health choose which paths this listener answers.
 * url receives "http://host:port". */
int rt_ops_start(const char *addr, bool serve_health, bool serve_metrics, bool (*ready)(void *ud),
                 void (*collect)(void *ud), void *ud, capz_metrics_registry *reg, rt_ops **out, char *url,
                 unsigned long url_n, capz_err *err);
void rt_ops_stop(rt_ops *o);

#endif
