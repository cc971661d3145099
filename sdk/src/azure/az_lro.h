/* az_lro.h — the long-running-operation state machine (internal; pure: it is fed responses and the time,
 * and says what to do next, so it can be unit-tested with canned responses). Rules: reference §1.1–1.7. */
#ifndef CAPZ_SDK_AZ_LRO_H
#define CAPZ_SDK_AZ_LRO_H

#include "capz/azure_arm.h"

typedef enum az_lro_mode {
  AZ_LRO_DONE_SYNC = 0, /* finished with the initial response */
  AZ_LRO_STATUS = 1,    /* poll the Azure-AsyncOperation status resource */
  AZ_LRO_LOCATION = 2,  /* poll the Location URL (202 while running) */
  AZ_LRO_BODY = 3       /* poll the resource itself for provisioningState */
} az_lro_mode;

struct capz_arm_op {
  char method[8];
  char *orig;     /* request path or URL */
  char *poll;     /* current polling URL (NULL in DONE_SYNC) */
  char *location; /* Location header of the initial response (POST/DELETE final result), or NULL */
  az_lro_mode mode;
  capz_arm_final_via final_via;
  capz_arm_op_state state;
  bool need_final_get; /* terminal success reached; final GET of az_lro_final_url still to do */
  cJSON *result;
  capz_arm_cloud_error error;
  double next_poll_at; /* monotonic seconds */
  double next_delay;   /* default delay (no Retry-After), doubles up to 60 */
  double default_delay;
  int polls;
  char api_version[40]; /* the request's api-version override ("" = client's): the resource itself is read
                         * with the version it was written with (body polls, final GET) */
};

/* Create an op from the initial response. status must be one of 200/201/202/204 (or 404 for DELETE);
 * body is taken (freed or kept). Returns NULL on OOM. */
capz_arm_op *az_lro_start(const char *method, const char *orig, capz_arm_final_via via, int status,
                          const char *azure_async, const char *location, double retry_after, cJSON *body, double now,
                          double default_delay);

/* The URL to GET for the next poll (borrowed), or NULL when nothing to poll. */
const char *az_lro_poll_url(const capz_arm_op *op);

/* Feed one poll response (HTTP status, headers, body taken). Returns 0 when the response was understood
 * (state updated), or CAPZ_EPROTO/other when the status resource could not be read (state unchanged: poll
 * again later). */
int az_lro_on_poll(capz_arm_op *op, int status, const char *location, double retry_after, cJSON *body, double now,
                   capz_err *err);

/* After SUCCEEDED with need_final_get: the URL to GET for the final result (borrowed). */
const char *az_lro_final_url(const capz_arm_op *op);
/* Feed the final GET's body (taken). */
void az_lro_on_final(capz_arm_op *op, cJSON *body);

/* Resume token round-trip. */
char *az_lro_token(const capz_arm_op *op);
capz_arm_op *az_lro_from_token(const char *token, double now, double default_delay, capz_err *err);

/* provisioningState / status classification (case-insensitive; no provisioningState = Succeeded). */
capz_arm_op_state az_lro_classify(const char *s);

#endif
