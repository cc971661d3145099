/* az_arm_internal.h — the ARM client's internals shared by its source files. */
#ifndef CAPZ_SDK_AZ_ARM_INTERNAL_H
#define CAPZ_SDK_AZ_ARM_INTERNAL_H

#include <pthread.h>
#include "capz/azure_arm.h"
#include "capz/metrics.h"

typedef struct arm_count {
  char *key; /* "METHOD\x1ftype\x1fstatus" */
  uint64_t n;
  struct arm_count *next;
} arm_count;

struct capz_arm_client {
  capz_az_cloud cloud;
  capz_az_credential *cred;
  capz_arm_limiter *lim;
  cJSON *api_versions;
  int max_retries;
  double max_retry_wait_s, backoff_base_s, poll_default_s;
  long timeout_ms;
  char user_agent[128];
  char origin[CAPZ_AZ_URL_MAX]; /* scheme://host[:port] of the ARM endpoint, lower-cased */
  pthread_mutex_t mu;           /* guards st and counts */
  capz_arm_stats st;
  arm_count *counts[64];
  capz_metric_family *m_requests, *m_retries;
  capz_metric *m_wait[3]; /* per class */
};

/* Map an HTTP status to a capz_errcode (2xx → 0). */
int arm_status_to_code(int status);

/* One logical request: limiter, token, retries, 401 refresh. body_text may be NULL. `is_poll` counts the
 * request as an LRO poll. Returns 0 for 2xx, else an error (out filled in both cases when non-NULL). */
int arm_send(capz_arm_client *c, const char *method, const char *path, const char *body_text,
             const capz_arm_req_opts *opts, bool is_poll, capz_arm_response *out, capz_err *err);

/* ARM requests sent by the calling thread (so ensure can report its own cost under concurrency). */
extern _Thread_local uint64_t az_tls_arm_requests;

/* True when url is absolute and on this client's ARM endpoint. */
bool arm_same_origin(const capz_arm_client *c, const char *url);

#endif
