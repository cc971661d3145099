/* json_equal.c — deep equality of two cJSON trees (numbers by value, member order ignored). */
#include <string.h>
#include "capz/json.h"
#include "json_internal.h"

bool capz_json_equal(const cJSON *a, const cJSON *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  int ta = a->type & 0xFF, tb = b->type & 0xFF;
  if (ta != tb) return false;
  switch (ta) {
  case cJSON_False:
  case cJSON_True:
  case cJSON_NULL:
    return true;
  case cJSON_Number:
    return a->valuedouble == b->valuedouble;
  case cJSON_String:
  case cJSON_Raw:
    return a->valuestring && b->valuestring ? strcmp(a->valuestring, b->valuestring) == 0
                                            : a->valuestring == b->valuestring;
  case cJSON_Array: {
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
      if (!capz_json_equal(x, y)) return false;
    return !x && !y;
  }
  case cJSON_Object: {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
    for (const cJSON *x = a->child; x; x = x->next) {
      if (!x->string) return false;
      if (!capz_json_equal(x, jp_member(b, x->string))) return false;
    }
    /* Same size and every key of a found in b; duplicate keys in a could hide a key of b. */
    for (const cJSON *y = b->child; y; y = y->next)
      if (!y->string || !jp_member(a, y->string)) return false;
    return true;
  }
  default:
    return false;
  }
}
