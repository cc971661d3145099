/* az_lro.c — LRO state machine: choose the polling mode from the initial response, interpret polls,
 * decide the final GET (final-state-via), pace polls by Retry-After, and (de)serialise resume tokens. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/az_lro.h"
#include "azure/az_util.h"

#define MAX_DELAY 60.0
#define MAX_RETRY_AFTER 600.0

capz_arm_op_state az_lro_classify(const char *s) {
  if (!s || !*s) return CAPZ_ARM_OP_SUCCEEDED;
  if (strcasecmp(s, "Succeeded") == 0) return CAPZ_ARM_OP_SUCCEEDED;
  if (strcasecmp(s, "Failed") == 0 || strcasecmp(s, "Canceled") == 0 || strcasecmp(s, "Cancelled") == 0)
    return CAPZ_ARM_OP_FAILED;
  return CAPZ_ARM_OP_IN_PROGRESS;
}

static const char *prov_state(const cJSON *body) {
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "properties");
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(props, "provisioningState"));
  if (!s) s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "provisioningState"));
  return s;
}

static void schedule(capz_arm_op *op, double retry_after, double now) {
  double d;
  if (retry_after > 0) {
    d = retry_after > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : retry_after;
  } else {
    d = op->next_delay;
    op->next_delay = op->next_delay * 2 > MAX_DELAY ? MAX_DELAY : op->next_delay * 2;
  }
  op->next_poll_at = now + d;
}

static void set_failed(capz_arm_op *op, const cJSON *body, const char *fallback_code, const char *fallback_msg) {
  op->state = CAPZ_ARM_OP_FAILED;
  op->need_final_get = false;
  if (!capz_arm_cloud_error_decode(body, &op->error)) {
    az_strlcpy(op->error.code, fallback_code, sizeof op->error.code);
    az_strlcpy(op->error.message, fallback_msg, sizeof op->error.message);
  }
}

static bool is_put_patch(const capz_arm_op *op) {
  return strcmp(op->method, "PUT") == 0 || strcmp(op->method, "PATCH") == 0;
}

/* Decide what, if anything, to GET once the operation has succeeded. */
static void on_success(capz_arm_op *op, cJSON *last_body) {
  op->state = CAPZ_ARM_OP_SUCCEEDED;
  op->need_final_get = false;
  bool is_post = strcmp(op->method, "POST") == 0;
  bool is_delete = strcmp(op->method, "DELETE") == 0;
  if (is_delete) return;
  if (op->mode == AZ_LRO_BODY) { /* the last poll was a GET of the resource itself */
    cJSON_Delete(op->result);
    op->result = last_body ? cJSON_Duplicate(last_body, true) : NULL;
    return;
  }
  if (is_put_patch(op)) {
    if (strcmp(op->method, "PATCH") == 0 && op->final_via == CAPZ_ARM_FINAL_LOCATION && op->location) {
      if (op->mode == AZ_LRO_LOCATION && last_body) goto take_last;
    }
    op->need_final_get = true; /* original URI (what azcore does for PUT, and PATCH by default) */
    return;
  }
  if (is_post) {
    if (op->final_via == CAPZ_ARM_FINAL_AZURE_ASYNC && op->mode == AZ_LRO_STATUS) {
      /* the result travels in the status resource */
      const cJSON *props = cJSON_GetObjectItemCaseSensitive(last_body, "properties");
      cJSON_Delete(op->result);
      op->result = props ? cJSON_Duplicate(props, true) : NULL;
      return;
    }
    if (op->final_via == CAPZ_ARM_FINAL_ORIGINAL_URI) {
      op->need_final_get = true;
      return;
    }
    if (op->mode == AZ_LRO_LOCATION) goto take_last; /* the Location poll's final answer is the result */
    if (op->location) op->need_final_get = true;
    return;
  }
  return;
take_last:
  cJSON_Delete(op->result);
  op->result = last_body ? cJSON_Duplicate(last_body, true) : NULL;
}

capz_arm_op *az_lro_start(const char *method, const char *orig, capz_arm_final_via via, int status,
                          const char *azure_async, const char *location, double retry_after, cJSON *body, double now,
                          double default_delay) {
  capz_arm_op *op = calloc(1, sizeof *op);
  if (!op) {
    cJSON_Delete(body);
    return NULL;
  }
  az_strlcpy(op->method, method, sizeof op->method);
  op->final_via = via;
  op->default_delay = op->next_delay = default_delay > 0 ? default_delay : 5;
  op->orig = strdup(orig);
  if (location && *location) op->location = strdup(location);
  if (!op->orig || (location && *location && !op->location)) goto oom;
  bool is_delete = strcmp(method, "DELETE") == 0;
  if (is_delete && (status == 404 || status == 204)) {
    op->mode = AZ_LRO_DONE_SYNC;
    op->state = CAPZ_ARM_OP_SUCCEEDED;
    cJSON_Delete(body);
    return op;
  }
  if (azure_async && *azure_async) {
    op->mode = AZ_LRO_STATUS;
    op->poll = strdup(azure_async);
  } else if (location && *location) {
    op->mode = AZ_LRO_LOCATION;
    op->poll = strdup(location);
  } else if (is_put_patch(op) && status != 204 && az_lro_classify(prov_state(body)) == CAPZ_ARM_OP_IN_PROGRESS) {
    op->mode = AZ_LRO_BODY;
    op->poll = strdup(orig);
  } else {
    op->mode = AZ_LRO_DONE_SYNC;
  }
  if (op->mode != AZ_LRO_DONE_SYNC && !op->poll) goto oom;
  /* a PUT/PATCH whose body is already terminal needs no polling (as azcore does for RELO) */
  capz_arm_op_state st = CAPZ_ARM_OP_IN_PROGRESS;
  if (op->mode == AZ_LRO_DONE_SYNC) st = az_lro_classify(prov_state(body));
  else if (is_put_patch(op) && prov_state(body)) st = az_lro_classify(prov_state(body));
  if (st == CAPZ_ARM_OP_IN_PROGRESS && op->mode == AZ_LRO_DONE_SYNC) st = CAPZ_ARM_OP_SUCCEEDED;
  if (st == CAPZ_ARM_OP_FAILED) {
    set_failed(op, body, "ProvisioningFailed", "the resource's provisioningState is Failed/Canceled");
  } else if (st == CAPZ_ARM_OP_SUCCEEDED) {
    op->state = CAPZ_ARM_OP_SUCCEEDED;
    op->result = body;
    body = NULL;
    op->mode = AZ_LRO_DONE_SYNC;
  } else {
    op->state = CAPZ_ARM_OP_IN_PROGRESS;
    schedule(op, retry_after, now);
  }
  cJSON_Delete(body);
  return op;
oom:
  cJSON_Delete(body);
  capz_arm_op_free(op);
  return NULL;
}

const char *az_lro_poll_url(const capz_arm_op *op) {
  return op->state == CAPZ_ARM_OP_IN_PROGRESS ? op->poll : NULL;
}

int az_lro_on_poll(capz_arm_op *op, int status, const char *location, double retry_after, cJSON *body, double now,
                   capz_err *err) {
  int rc = 0;
  op->polls++;
  switch (op->mode) {
  case AZ_LRO_STATUS: {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "status"));
    if (status != 200 || !s) {
      rc = az_err(err, CAPZ_EPROTO, status, "UnreadableOperationStatus",
                  "LRO %s: operation status answered HTTP %d without a status", op->method, status);
      break;
    }
    capz_arm_op_state st = az_lro_classify(s);
    if (st == CAPZ_ARM_OP_FAILED) set_failed(op, body, s, "the operation ended without an error body");
    else if (st == CAPZ_ARM_OP_SUCCEEDED) on_success(op, body);
    else schedule(op, retry_after, now);
    break;
  }
  case AZ_LRO_LOCATION:
    if (location && *location) {
      char *n = strdup(location); /* the Location may move between polls */
      if (n) {
        free(op->poll);
        op->poll = n;
      }
    }
    if (status == 202) {
      schedule(op, retry_after, now);
    } else if (status >= 200 && status < 300) {
      const char *ps = prov_state(body);
      if (ps && az_lro_classify(ps) == CAPZ_ARM_OP_FAILED) set_failed(op, body, ps, "provisioningState Failed");
      else if (ps && az_lro_classify(ps) == CAPZ_ARM_OP_IN_PROGRESS) schedule(op, retry_after, now);
      else on_success(op, body);
    } else if (status == 404 && strcmp(op->method, "DELETE") == 0) {
      on_success(op, NULL);
    } else {
      set_failed(op, body, "OperationFailed", "the Location poll returned an error status");
    }
    break;
  case AZ_LRO_BODY:
    if (status == 404 && strcmp(op->method, "DELETE") == 0) {
      on_success(op, NULL);
    } else if (status == 200 || status == 201) {
      capz_arm_op_state st = az_lro_classify(prov_state(body));
      if (st == CAPZ_ARM_OP_FAILED) set_failed(op, body, "ProvisioningFailed", "provisioningState Failed/Canceled");
      else if (st == CAPZ_ARM_OP_SUCCEEDED) on_success(op, body);
      else schedule(op, retry_after, now);
    } else if (status == 404) {
      set_failed(op, body, "ResourceNotFound", "the resource disappeared while being provisioned");
    } else {
      rc = az_err(err, CAPZ_EPROTO, status, "UnexpectedPollStatus", "LRO %s: resource poll answered HTTP %d",
                  op->method, status);
    }
    break;
  default:
    break;
  }
  cJSON_Delete(body);
  return rc;
}

const char *az_lro_final_url(const capz_arm_op *op) {
  if (!op->need_final_get) return NULL;
  if (strcmp(op->method, "POST") == 0 && op->final_via != CAPZ_ARM_FINAL_ORIGINAL_URI) return op->location;
  return op->orig;
}

void az_lro_on_final(capz_arm_op *op, cJSON *body) {
  cJSON_Delete(op->result);
  op->result = body;
  op->need_final_get = false;
}

char *az_lro_token(const capz_arm_op *op) {
  if (op->state != CAPZ_ARM_OP_IN_PROGRESS || !op->poll) return NULL;
  cJSON *j = cJSON_CreateObject();
  if (!j) return NULL;
  cJSON_AddNumberToObject(j, "v", 1);
  cJSON_AddStringToObject(j, "m", op->method);
  cJSON_AddStringToObject(j, "u", op->orig);
  cJSON_AddStringToObject(j, "p", op->poll);
  if (op->location) cJSON_AddStringToObject(j, "l", op->location);
  cJSON_AddNumberToObject(j, "k", op->mode);
  cJSON_AddNumberToObject(j, "f", op->final_via);
  if (op->api_version[0]) cJSON_AddStringToObject(j, "a", op->api_version);
  char *txt = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if (!txt) return NULL;
  char *tok = az_b64url_encode((const unsigned char *)txt, strlen(txt));
  free(txt);
  return tok;
}

capz_arm_op *az_lro_from_token(const char *token, double now, double default_delay, capz_err *err) {
  size_t len = 0;
  unsigned char *raw = token ? az_b64_decode(token, strlen(token), &len) : NULL;
  cJSON *j = raw ? cJSON_ParseWithLength((const char *)raw, len) : NULL;
  free(raw);
  const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "m"));
  const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "u"));
  const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "p"));
  const char *l = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "l"));
  const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "k");
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "f");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "v");
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "a"); /* optional: tokens from before it existed lack it */
  bool ok = cJSON_IsNumber(v) && v->valueint == 1 && m && u && p && cJSON_IsNumber(k) && cJSON_IsNumber(f) &&
            k->valueint >= AZ_LRO_STATUS && k->valueint <= AZ_LRO_BODY && f->valueint >= 0 &&
            f->valueint <= CAPZ_ARM_FINAL_ORIGINAL_URI &&
            (strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0 || strcmp(m, "DELETE") == 0 || strcmp(m, "POST") == 0) &&
            (!a || (cJSON_IsString(a) && strlen(a->valuestring) < sizeof ((capz_arm_op *)0)->api_version));
  if (!ok) {
    cJSON_Delete(j);
    az_err(err, CAPZ_EINVAL, 0, "InvalidResumeToken", "LRO resume token is malformed");
    return NULL;
  }
  capz_arm_op *op = calloc(1, sizeof *op);
  if (op) {
    az_strlcpy(op->method, m, sizeof op->method);
    op->orig = strdup(u);
    op->poll = strdup(p);
    op->location = l ? strdup(l) : NULL;
    op->mode = (az_lro_mode)k->valueint;
    op->final_via = (capz_arm_final_via)f->valueint;
    if (a) az_strlcpy(op->api_version, a->valuestring, sizeof op->api_version);
    op->state = CAPZ_ARM_OP_IN_PROGRESS;
    op->default_delay = op->next_delay = default_delay > 0 ? default_delay : 5;
    op->next_poll_at = now; /* poll at once after a restart */
    if (!op->orig || !op->poll || (l && !op->location)) {
      capz_arm_op_free(op);
      op = NULL;
    }
  }
  if (!op) az_err(err, CAPZ_ENOMEM, 0, NULL, "out of memory");
  cJSON_Delete(j);
  return op;
}

void capz_arm_op_free(capz_arm_op *op) {
  if (!op) return;
  free(op->orig);
  free(op->poll);
  free(op->location);
  cJSON_Delete(op->result);
  free(op);
}

capz_arm_op_state capz_arm_op_get_state(const capz_arm_op *op) { return op->state; }
const cJSON *capz_arm_op_result(const capz_arm_op *op) { return op->result; }
const capz_arm_cloud_error *capz_arm_op_error(const capz_arm_op *op) { return &op->error; }
int capz_arm_op_polls(const capz_arm_op *op) { return op->polls; }
char *capz_arm_op_resume_token(const capz_arm_op *op) { return op ? az_lro_token(op) : NULL; }
