/* e2e_util.h — helpers for the managedcluster end-to-end test: plain HTTP to the emulators' /_sim endpoints,
 * template variable substitution, applying YAML files to capz-kube-sim. */
#ifndef MC_E2E_UTIL_H
#define MC_E2E_UTIL_H

#include <cJSON.h>
#include "capz/kube.h"

/* GET/DELETE url; returns the HTTP status and the parsed JSON body in *out (may be NULL). */
long e2e_http(const char *method, const char *url, cJSON **out);
/* GET url as text (*out malloc'ed). Returns the HTTP status. */
long e2e_http_text(const char *url, char **out);
/* Read a file (malloc'ed, NUL-terminated) or NULL. */
char *e2e_read_file(const char *path);
/* clusterctl-style substitution of ${VAR} and ${VAR:=default}; vars: NULL-terminated name, value pairs. */
char *e2e_subst(const char *text, const char *const *vars);
/* Create every CustomResourceDefinition document of a YAML file. Returns 0 or -1. */
int e2e_apply_crds(capz_kube_client *c, const char *path);
/* The kind's GVK (plural by lower-casing + "s"), for the kinds the test applies. */
capz_gvk e2e_gvk_of(const cJSON *obj);

#endif
