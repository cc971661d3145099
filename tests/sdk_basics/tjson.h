/* tjson.h — small helpers shared by the sdk_basics tests. */
#ifndef TJSON_H
#define TJSON_H
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "capz/json.h"

/* Parse a JSON literal or fail the test. */
static inline cJSON *tj(const char *s) {
  capz_err e;
  capz_err_clear(&e);
  cJSON *j = capz_json_parse(s, strlen(s), &e);
  ck_assert_msg(j != NULL, "bad test JSON %s: %s", s, e.msg);
  return j;
}

/* Assert that doc equals the JSON literal want (deep, order-insensitive). */
#define ck_assert_json_eq(doc, want)                                                        \
  do {                                                                                      \
    cJSON *w_ = tj(want);                                                                   \
    char *got_ = (doc) ? cJSON_PrintUnformatted(doc) : strdup("(NULL)");                    \
    ck_assert_msg(capz_json_equal((doc), w_), "got %s, want %s", got_, want);               \
    free(got_);                                                                             \
    cJSON_Delete(w_);                                                                       \
  } while (0)

#endif
