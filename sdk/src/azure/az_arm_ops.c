/* az_arm_ops.c — LRO driving on top of arm_send: begin, poll once, wait, resume; blocking conveniences. */
#include <stdlib.h>
#include <string.h>

#include "azure/az_arm_internal.h"
#include "azure/az_lro.h"
#include "azure/az_util.h"

int capz_arm_begin(capz_arm_client *c, const char *method, const char *path, const cJSON *body,
                   const capz_arm_req_opts *opts, capz_arm_final_via final_via, capz_arm_op **op, capz_err *err) {
  if (!c || !method || !path || !op) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_begin: NULL argument");
  *op = NULL;
  if (strcmp(method, "PUT") && strcmp(method, "PATCH") && strcmp(method, "DELETE") && strcmp(method, "POST"))
    return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_begin: %s is not a long-running verb", method);
  char *text = body ? cJSON_PrintUnformatted(body) : NULL;
  if (body && !text) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  capz_arm_response r;
  int rc = arm_send(c, method, path, text, opts, false, &r, err);
  free(text);
  bool delete_absent = rc == CAPZ_ENOTFOUND && strcmp(method, "DELETE") == 0;
  if (rc && !delete_absent) {
    capz_arm_response_free(&r);
    return rc;
  }
  if (delete_absent) capz_err_clear(err);
  if (!delete_absent && r.status != 200 && r.status != 201 && r.status != 202 && r.status != 204) {
    int st = r.status;
    capz_arm_response_free(&r);
    return az_err(err, CAPZ_EPROTO, st, "UnexpectedStatus", "ARM %s %s: unexpected HTTP %d for a long-running verb",
                  method, path, st);
  }
  /* polling URLs must stay on the ARM endpoint: the bearer token goes with every poll */
  if ((r.azure_async_operation[0] && !arm_same_origin(c, r.azure_async_operation)) ||
      (r.location[0] && !arm_same_origin(c, r.location))) {
    capz_arm_response_free(&r);
    return az_err(err, CAPZ_EPROTO, 0, "ForeignPollingURL", "ARM %s %s: polling URL is not on %s", method, path,
                  c->origin);
  }
  cJSON *b = r.body;
  r.body = NULL;
  *op = az_lro_start(method, path, final_via, r.status, r.azure_async_operation, r.location, r.retry_after_s, b,
                     az_now_mono(), c->poll_default_s);
  if (!*op) return az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  if (opts && opts->api_version) az_strlcpy((*op)->api_version, opts->api_version, sizeof (*op)->api_version);
  if ((*op)->state == CAPZ_ARM_OP_FAILED)
    return az_err(err, CAPZ_EFAILED, r.status, (*op)->error.code, "ARM %s %s: %s: %s", method, path, (*op)->error.code,
                  (*op)->error.message);
  return 0;
}

/* Options for a GET of the operation's own resource: its write's api-version, when it had one. Polling URLs
 * the service handed out (Azure-AsyncOperation, Location) carry their own and are left alone. */
static const capz_arm_req_opts *resource_opts(const capz_arm_op *op, capz_arm_req_opts *o) {
  if (!op->api_version[0]) return NULL;
  memset(o, 0, sizeof *o);
  o->api_version = op->api_version;
  return o;
}

static int finish(capz_arm_client *c, capz_arm_op *op, capz_err *err) {
  if (op->state == CAPZ_ARM_OP_FAILED)
    return az_err(err, CAPZ_EFAILED, 0, op->error.code, "ARM %s %s: operation %s: %s", op->method, op->orig,
                  op->error.code, op->error.message);
  if (op->state == CAPZ_ARM_OP_SUCCEEDED && op->need_final_get) {
    const char *url = az_lro_final_url(op);
    if (!url) {
      op->need_final_get = false;
      return 0;
    }
    capz_arm_response r;
    capz_arm_req_opts o;
    int rc = arm_send(c, "GET", url, NULL, url == op->orig ? resource_opts(op, &o) : NULL, false, &r, err);
    if (rc) {
      capz_arm_response_free(&r);
      return capz_err_prefix(err, "LRO final GET");
    }
    az_lro_on_final(op, r.body);
    r.body = NULL;
    return 0;
  }
  return op->state == CAPZ_ARM_OP_IN_PROGRESS ? CAPZ_EINPROGRESS : 0;
}

int capz_arm_op_poll(capz_arm_client *c, capz_arm_op *op, capz_err *err) {
  if (!c || !op) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_op_poll: NULL argument");
  if (op->state != CAPZ_ARM_OP_IN_PROGRESS) return finish(c, op, err);
  const char *url = az_lro_poll_url(op);
  capz_arm_response r;
  capz_arm_req_opts o;
  int rc = arm_send(c, "GET", url, NULL, op->mode == AZ_LRO_BODY ? resource_opts(op, &o) : NULL, true, &r, err);
  bool interpretable = rc == 0 || (op->mode == AZ_LRO_LOCATION && r.status >= 400 && r.status < 500 && r.status != 429) ||
                       (op->mode == AZ_LRO_BODY && r.status == 404);
  if (!interpretable) {
    /* the poll itself failed (after retries): the operation may still be fine; try again later */
    op->next_poll_at = az_now_mono() + (r.retry_after_s > 0 ? r.retry_after_s : op->default_delay);
    capz_arm_response_free(&r);
    return rc;
  }
  capz_err_clear(err);
  if (r.location[0] && !arm_same_origin(c, r.location)) r.location[0] = '\0';
  cJSON *b = r.body;
  r.body = NULL;
  rc = az_lro_on_poll(op, r.status, r.location, r.retry_after_s, b, az_now_mono(), err);
  if (rc) {
    op->next_poll_at = az_now_mono() + op->default_delay;
    return rc;
  }
  rc = finish(c, op, err);
  if (rc == CAPZ_EINPROGRESS)
    az_err(err, CAPZ_EINPROGRESS, 0, "InProgress", "ARM %s %s: in progress (next poll in %.1f s)", op->method,
           op->orig, capz_arm_op_next_poll_in(op));
  return rc;
}

double capz_arm_op_next_poll_in(const capz_arm_op *op) {
  if (!op || op->state != CAPZ_ARM_OP_IN_PROGRESS) return 0;
  double d = op->next_poll_at - az_now_mono();
  return d > 0 ? d : 0;
}

int capz_arm_op_wait(capz_arm_client *c, capz_arm_op *op, double timeout_s, capz_err *err) {
  if (!c || !op) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_op_wait: NULL argument");
  double deadline = timeout_s > 0 ? az_now_mono() + timeout_s : 0;
  int transient_failures = 0;
  for (;;) {
    if (op->state != CAPZ_ARM_OP_IN_PROGRESS) return finish(c, op, err);
    double d = capz_arm_op_next_poll_in(op);
    if (deadline && az_now_mono() + d > deadline)
      return az_err(err, CAPZ_ETIMEOUT, 0, "Timeout", "ARM %s %s: still in progress after %.0f s", op->method, op->orig,
                    timeout_s);
    az_sleep(d);
    int rc = capz_arm_op_poll(c, op, err);
    if (rc == 0 || rc == CAPZ_EFAILED) return rc;
    if (rc == CAPZ_EINPROGRESS) {
      transient_failures = 0;
      continue;
    }
    if (!capz_err_is_transient(rc) && rc != CAPZ_EPROTO) return rc;
    if (++transient_failures > 5) return rc;
  }
}

int capz_arm_op_resume(capz_arm_client *c, const char *token, capz_arm_op **op, capz_err *err) {
  if (!c || !op) return az_err(err, CAPZ_EINVAL, 0, NULL, "capz_arm_op_resume: NULL argument");
  *op = az_lro_from_token(token, az_now_mono(), c->poll_default_s, err);
  if (!*op) return err ? err->code : CAPZ_EINVAL;
  capz_arm_op *o = *op;
  bool ok = arm_same_origin(c, o->poll) && (!o->location || arm_same_origin(c, o->location)) &&
            (o->orig[0] == '/' || arm_same_origin(c, o->orig));
  if (!ok) {
    capz_arm_op_free(o);
    *op = NULL;
    return az_err(err, CAPZ_EINVAL, 0, "InvalidResumeToken", "LRO resume token points outside %s", c->origin);
  }
  return 0;
}

static int run_blocking(capz_arm_client *c, const char *method, const char *path, const cJSON *body,
                        const capz_arm_req_opts *opts, double timeout_s, cJSON **result, capz_err *err) {
  if (result) *result = NULL;
  capz_arm_op *op = NULL;
  int rc = capz_arm_begin(c, method, path, body, opts, CAPZ_ARM_FINAL_DEFAULT, &op, err);
  if (rc == 0) rc = capz_arm_op_wait(c, op, timeout_s, err);
  if (rc == 0 && result && op->result) {
    *result = op->result;
    op->result = NULL;
  }
  capz_arm_op_free(op);
  return rc;
}

int capz_arm_put(capz_arm_client *c, const char *id, const cJSON *body, const capz_arm_req_opts *opts,
                 double timeout_s, cJSON **result, capz_err *err) {
  return run_blocking(c, "PUT", id, body, opts, timeout_s, result, err);
}

int capz_arm_patch(capz_arm_client *c, const char *id, const cJSON *body, const capz_arm_req_opts *opts,
                   double timeout_s, cJSON **result, capz_err *err) {
  return run_blocking(c, "PATCH", id, body, opts, timeout_s, result, err);
}

int capz_arm_delete(capz_arm_client *c, const char *id, const capz_arm_req_opts *opts, double timeout_s,
                    capz_err *err) {
  return run_blocking(c, "DELETE", id, NULL, opts, timeout_s, NULL, err);
}

int capz_arm_post(capz_arm_client *c, const char *path, const cJSON *body, const capz_arm_req_opts *opts,
                  double timeout_s, cJSON **result, capz_err *err) {
  return run_blocking(c, "POST", path, body, opts, timeout_s, result, err);
}
