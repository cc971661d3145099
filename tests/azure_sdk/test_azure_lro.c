/* test_azure_lro.c — the LRO state machine fed with canned ARM responses (reference §1): every polling mode,
 * final-state-via, failures, Retry-After pacing, resume tokens. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "azure/az_lro.h"
#include "test_util.h"

#define ORIG "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
#define AAO "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/locations/eastus/operations/1"
#define LOC "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/locations/eastus/operationResults/1"

static cJSON *J(const char *s) { return s ? cJSON_Parse(s) : NULL; }

START_TEST(put_azure_async_then_final_get) {
  capz_arm_op *op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 201, AAO, NULL, 3,
                                 J("{\"properties\":{\"provisioningState\":\"Updating\"}}"), 100, 5);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_IN_PROGRESS);
  ck_assert_int_eq(op->mode, AZ_LRO_STATUS);
  ck_assert_str_eq(az_lro_poll_url(op), AAO);
  ck_assert_double_eq_tol(op->next_poll_at, 103, 1e-9); /* Retry-After */
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"InProgress\"}"), 103, NULL), 0);
  ck_assert_double_eq_tol(op->next_poll_at, 108, 1e-9); /* default 5 s when no Retry-After */
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"InProgress\"}"), 108, NULL), 0);
  ck_assert_double_eq_tol(op->next_poll_at, 118, 1e-9); /* then doubling */
  /* unreadable status: error, state unchanged */
  ck_assert_int_eq(az_lro_on_poll(op, 500, NULL, 0, J("{}"), 118, NULL), CAPZ_EPROTO);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_IN_PROGRESS);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"succeeded\"}"), 120, NULL), 0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  ck_assert(op->need_final_get);
  ck_assert_str_eq(az_lro_final_url(op), ORIG);
  az_lro_on_final(op, J("{\"name\":\"v\"}"));
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(capz_arm_op_result(op), "name")), "v");
  ck_assert_int_eq(capz_arm_op_polls(op), 4);
  capz_arm_op_free(op);
}
END_TEST

START_TEST(put_sync_and_terminal_body) {
  /* 200 with a terminal provisioningState and an Azure-AsyncOperation header: done without polling */
  capz_arm_op *op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 200, AAO, NULL, 0,
                                 J("{\"name\":\"v\",\"properties\":{\"provisioningState\":\"Succeeded\"}}"), 0, 5);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  ck_assert(!op->need_final_get);
  ck_assert_ptr_nonnull(capz_arm_op_result(op));
  ck_assert_ptr_null(az_lro_token(op));
  capz_arm_op_free(op);
  /* no provisioningState at all = Succeeded (synchronous RG / availability set PUT) */
  op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 201, NULL, NULL, 0, J("{\"name\":\"rg\"}"), 0, 5);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  capz_arm_op_free(op);
  /* terminal Failed in the initial body */
  op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 200, NULL, NULL, 0,
                    J("{\"properties\":{\"provisioningState\":\"Failed\"}}"), 0, 5);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_FAILED);
  capz_arm_op_free(op);
}
END_TEST

START_TEST(put_body_polling) {
  capz_arm_op *op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 201, NULL, NULL, 0,
                                 J("{\"properties\":{\"provisioningState\":\"Creating\"}}"), 0, 2);
  ck_assert_int_eq(op->mode, AZ_LRO_BODY);
  ck_assert_str_eq(az_lro_poll_url(op), ORIG);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"properties\":{\"provisioningState\":\"Creating\"}}"), 2, NULL),
                   0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_IN_PROGRESS);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0,
                                  J("{\"name\":\"x\",\"properties\":{\"provisioningState\":\"Succeeded\"}}"), 4, NULL), 0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  ck_assert(!op->need_final_get); /* the last poll was the resource */
  ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(capz_arm_op_result(op), "name")), "x");
  capz_arm_op_free(op);
}
END_TEST

START_TEST(delete_location) {
  capz_arm_op *op = az_lro_start("DELETE", ORIG, CAPZ_ARM_FINAL_DEFAULT, 202, NULL, LOC, 1, NULL, 0, 5);
  ck_assert_int_eq(op->mode, AZ_LRO_LOCATION);
  ck_assert_int_eq(az_lro_on_poll(op, 202, LOC "&x=2", 2, NULL, 1, NULL), 0);
  ck_assert_str_eq(az_lro_poll_url(op), LOC "&x=2"); /* Location moved */
  ck_assert_double_eq_tol(op->next_poll_at, 3, 1e-9);
  ck_assert_int_eq(az_lro_on_poll(op, 204, NULL, 0, NULL, 3, NULL), 0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  ck_assert(!op->need_final_get);
  ck_assert_ptr_null(az_lro_final_url(op));
  capz_arm_op_free(op);
  /* delete of a missing resource is done at once */
  op = az_lro_start("DELETE", ORIG, CAPZ_ARM_FINAL_DEFAULT, 204, NULL, NULL, 0, NULL, 0, 5);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  capz_arm_op_free(op);
  op = az_lro_start("DELETE", ORIG, CAPZ_ARM_FINAL_DEFAULT, 404, NULL, NULL, 0, J("{\"error\":{\"code\":\"x\"}}"), 0, 5);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  capz_arm_op_free(op);
  /* AKS-style delete: both headers, status monitor preferred, no final GET */
  op = az_lro_start("DELETE", ORIG, CAPZ_ARM_FINAL_AZURE_ASYNC, 202, AAO, LOC, 0, NULL, 0, 5);
  ck_assert_int_eq(op->mode, AZ_LRO_STATUS);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"Succeeded\"}"), 1, NULL), 0);
  ck_assert(!op->need_final_get);
  capz_arm_op_free(op);
}
END_TEST

START_TEST(post_actions) {
  /* location: the final Location answer is the result */
  capz_arm_op *op = az_lro_start("POST", ORIG "/start", CAPZ_ARM_FINAL_DEFAULT, 202, NULL, LOC, 0, NULL, 0, 5);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"kubeconfigs\":[]}"), 1, NULL), 0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_SUCCEEDED);
  ck_assert(!op->need_final_get);
  ck_assert_ptr_nonnull(cJSON_GetObjectItem(capz_arm_op_result(op), "kubeconfigs"));
  capz_arm_op_free(op);
  /* status monitor + Location: GET Location at the end */
  op = az_lro_start("POST", ORIG "/delete", CAPZ_ARM_FINAL_LOCATION, 202, AAO, LOC, 0, NULL, 0, 5);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"Succeeded\"}"), 1, NULL), 0);
  ck_assert(op->need_final_get);
  ck_assert_str_eq(az_lro_final_url(op), LOC);
  capz_arm_op_free(op);
  /* azure-async-operation: the result is in the status resource */
  op = az_lro_start("POST", ORIG "/x", CAPZ_ARM_FINAL_AZURE_ASYNC, 202, AAO, NULL, 0, NULL, 0, 5);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"Succeeded\",\"properties\":{\"out\":1}}"), 1, NULL),
                   0);
  ck_assert(!op->need_final_get);
  ck_assert_int_eq(cJSON_GetObjectItem(capz_arm_op_result(op), "out")->valueint, 1);
  capz_arm_op_free(op);
}
END_TEST

START_TEST(failures) {
  capz_arm_op *op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 201, AAO, NULL, 0, NULL, 0, 5);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0,
                                  J("{\"status\":\"Failed\",\"error\":{\"code\":\"AnotherOperationInProgress\","
                                    "\"message\":\"busy\"}}"), 1, NULL), 0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_FAILED);
  ck_assert_str_eq(capz_arm_op_error(op)->code, "AnotherOperationInProgress");
  ck_assert_str_eq(capz_arm_op_error(op)->message, "busy");
  ck_assert(!op->need_final_get);
  capz_arm_op_free(op);
  op = az_lro_start("PUT", ORIG, CAPZ_ARM_FINAL_DEFAULT, 201, AAO, NULL, 0, NULL, 0, 5);
  ck_assert_int_eq(az_lro_on_poll(op, 200, NULL, 0, J("{\"status\":\"Cancelled\"}"), 1, NULL), 0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_FAILED);
  ck_assert_str_eq(capz_arm_op_error(op)->code, "Cancelled");
  capz_arm_op_free(op);
  op = az_lro_start("DELETE", ORIG, CAPZ_ARM_FINAL_DEFAULT, 202, NULL, LOC, 0, NULL, 0, 5);
  ck_assert_int_eq(az_lro_on_poll(op, 409, NULL, 0, J("{\"error\":{\"code\":\"Conflict\",\"message\":\"m\"}}"), 1, NULL),
                   0);
  ck_assert_int_eq(op->state, CAPZ_ARM_OP_FAILED);
  ck_assert_str_eq(capz_arm_op_error(op)->code, "Conflict");
  capz_arm_op_free(op);
  ck_assert_int_eq(az_lro_classify("Running"), CAPZ_ARM_OP_IN_PROGRESS);
  ck_assert_int_eq(az_lro_classify("Accepted"), CAPZ_ARM_OP_IN_PROGRESS);
  ck_assert_int_eq(az_lro_classify(NULL), CAPZ_ARM_OP_SUCCEEDED);
}
END_TEST

START_TEST(resume_tokens) {
  capz_arm_op *op = az_lro_start("DELETE", ORIG, CAPZ_ARM_FINAL_LOCATION, 202, AAO, LOC, 30, NULL, 0, 5);
  char *tok = az_lro_token(op);
  ck_assert_ptr_nonnull(tok);
  ck_assert_int_lt((int)strlen(tok), 1024);
  for (const char *p = tok; *p; p++) ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
  capz_err err;
  capz_arm_op *r = az_lro_from_token(tok, 500, 5, &err);
  ck_assert_ptr_nonnull(r);
  ck_assert_str_eq(r->method, "DELETE");
  ck_assert_str_eq(r->orig, ORIG);
  ck_assert_str_eq(az_lro_poll_url(r), AAO);
  ck_assert_str_eq(r->location, LOC);
  ck_assert_int_eq(r->mode, AZ_LRO_STATUS);
  ck_assert_int_eq(r->final_via, CAPZ_ARM_FINAL_LOCATION);
  ck_assert_double_eq_tol(r->next_poll_at, 500, 1e-9); /* poll at once after a restart */
  capz_arm_op_free(r);
  free(tok);
  capz_arm_op_free(op);
  ck_assert_ptr_null(az_lro_from_token("not-a-token", 0, 5, &err));
  ck_assert_str_eq(err.reason, "InvalidResumeToken");
  ck_assert_ptr_null(az_lro_from_token("eyJ2IjoyfQ", 0, 5, &err)); /* {"v":2} */
  ck_assert_ptr_null(az_lro_from_token(NULL, 0, 5, &err));
}
END_TEST

Suite *lro_suite(void) {
  Suite *s = suite_create("azure_lro");
  TCase *tc = tcase_create("state_machine");
  tcase_add_test(tc, put_azure_async_then_final_get);
  tcase_add_test(tc, put_sync_and_terminal_body);
  tcase_add_test(tc, put_body_polling);
  tcase_add_test(tc, delete_location);
  tcase_add_test(tc, post_actions);
  tcase_add_test(tc, failures);
  tcase_add_test(tc, resume_tokens);
  suite_add_tcase(s, tc);
  return s;
}
