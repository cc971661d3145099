/* armtest.h — helpers for capz-arm-sim tests: start the emulator with a config, get a token from its Entra
 * endpoint with the default app credentials, and make ARM requests with libcurl. Not thread-safe.
 * Every test program ends with `return ckrun(suite());` (tests/common/ckrun.h). */
#ifndef CAPZ_TESTS_ARMTEST_H
#define CAPZ_TESTS_ARMTEST_H

#include <cJSON.h>
#include <stdbool.h>
#include "ckrun.h"
#include "simproc.h"

#define AT_TENANT "11111111-1111-4111-8111-111111111111"
#define AT_SUB "22222222-2222-4222-8222-222222222222"
#define AT_CLIENT "33333333-3333-4333-8333-333333333333"
#define AT_SECRET "capz-sim-secret"
#define AT_S "/subscriptions/" AT_SUB

typedef struct at_resp {
  long status;
  char *body;
  cJSON *json;            /* parsed body or NULL */
  char headers[8192];     /* raw response headers */
  int curl_rc;            /* CURLcode */
} at_resp;

/* Start capz-arm-sim with config text (JSON/YAML; NULL = none) and fetch a token. Returns 0 or -1. */
int at_start(simproc *p, const char *config_text);
/* SIGTERM; returns true when the emulator exited with status 0 (ASan reports leaks as a failure exit). */
bool at_stop(simproc *p);
const char *at_token(void);

/* One request; path is appended to the emulator URL; extra headers NULL-terminated (may be NULL).
 * auth: add the bearer token. The response must be freed with at_free. */
at_resp at_req(const simproc *p, const char *method, const char *path, const char *body, const char *const *hdrs, bool auth);
#define at_get(p, path) at_req(p, "GET", path, NULL, NULL, true)
#define at_put(p, path, body) at_req(p, "PUT", path, body, NULL, true)
#define at_del(p, path) at_req(p, "DELETE", path, NULL, NULL, true)
#define at_post(p, path, body) at_req(p, "POST", path, body, NULL, true)
void at_free(at_resp *r);
/* Response header value (copied into out), or false. */
bool at_header(const at_resp *r, const char *name, char *out, size_t n);
/* String at JSON pointer in the response, or "". */
const char *at_str(const at_resp *r, const char *ptr);
/* Requests whose only outcome a test checks is the status (or the error code): the response is freed here, so a
 * check stays one line. at_status authenticates; at_sim_status does not (the emulator's /_sim/ endpoints). */
long at_status(const simproc *p, const char *method, const char *path, const char *body);
#define at_get_status(p, path) at_status(p, "GET", path, NULL)
#define at_put_status(p, path, body) at_status(p, "PUT", path, body)
#define at_del_status(p, path) at_status(p, "DELETE", path, NULL)
#define at_post_status(p, path, body) at_status(p, "POST", path, body)
long at_sim_status(const simproc *p, const char *method, const char *path, const char *body);
/* /error/code of an authenticated request's answer ("" when none); static buffer, valid until the next call. */
const char *at_error_code(const simproc *p, const char *method, const char *path, const char *body);
#define at_put_error(p, path, body) at_error_code(p, "PUT", path, body)
/* "<status> <error code>" of an authenticated request, e.g. "404 ParentResourceNotFound"; static buffer. */
const char *at_status_error(const simproc *p, const char *method, const char *path, const char *body);
/* The string at JSON pointer ptr of a GET's answer ("" when absent); static buffer, valid until the next call. */
const char *at_get_str(const simproc *p, const char *path, const char *ptr);
/* Poll an Azure-AsyncOperation URL (absolute) until terminal; returns the final status string (static). */
const char *at_wait_async(const simproc *p, const char *url);
/* Path of an absolute URL served by the emulator. */
const char *at_path_of(const simproc *p, const char *url);
/* PUT and wait for the operation to finish; returns the final GET status code (200 expected). */
long at_put_wait(const simproc *p, const char *path, const char *body);
void at_sleep_ms(int ms);

#endif
