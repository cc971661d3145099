/* rt_metrics.h — a small Prometheus registry for the runtime's own series (counters, gauges, histograms with
 * preformatted label strings) and its text exposition. Thread-safe. */
#ifndef CAPZ_HOST_RT_METRICS_H
#define CAPZ_HOST_RT_METRICS_H

typedef struct rtm_registry rtm_registry;

rtm_registry *rtm_new(void);
void rtm_free(rtm_registry *r);
/* Declare a family once (type: "counter", "gauge", "histogram"). */
void rtm_family(rtm_registry *r, const char *name, const char *type, const char *help);
/* labels: preformatted `a="x",b="y"` (values already escaped) or "". */
void rtm_add(rtm_registry *r, const char *name, const char *labels, double v);
void rtm_set(rtm_registry *r, const char *name, const char *labels, double v);
void rtm_observe(rtm_registry *r, const char *name, const char *labels, double v);
double rtm_get(rtm_registry *r, const char *name, const char *labels);
/* Called before each render to refresh gauges. */
void rtm_set_collector(rtm_registry *r, void (*fn)(void *ud, rtm_registry *r), void *ud);
/* malloc'ed exposition text. */
char *rtm_render(rtm_registry *r);
/* Escape a label value (\\, \", \n) into out. */
void rtm_escape(const char *v, char *out, unsigned long n);

#endif
