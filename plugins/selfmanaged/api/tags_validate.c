/* tags_validate.c — Azure tag limits (beyond CAPZ, which passes tags to ARM unchecked; ARM would
 * reject them at reconcile time instead of at admission). */
#include <string.h>
#include "sm_internal.h"

#define MAX_TAGS 50
#define MAX_KEY 512
#define MAX_VALUE 256

void sm_tags_validate(const cJSON *tags, const char *path, sm_errors *errs) {
  char p[SM_PATH_MAX];
  if (!cJSON_IsObject(tags)) return;
  int count = cJSON_GetArraySize(tags);
  if (count > MAX_TAGS) sm_err_invalid_n(errs, path, count, "Azure allows at most %d tags per resource", MAX_TAGS);
  const cJSON *t;
  cJSON_ArrayForEach(t, tags) {
    const char *key = t->string ? t->string : "";
    sm_path(p, "%s[%s]", path, key);
    size_t kl = strlen(key);
    if (kl == 0 || kl > MAX_KEY) sm_err_invalid_s(errs, p, key, "tag names must be 1 to %d characters long", MAX_KEY);
    if (strpbrk(key, "<>%&\\?/"))
      sm_err_invalid_s(errs, p, key, "tag names cannot contain any of the characters <>%%&\\?/");
    if (cJSON_IsString(t) && strlen(t->valuestring) > MAX_VALUE)
      sm_err_invalid_s(errs, p, t->valuestring, "tag values must be at most %d characters long", MAX_VALUE);
  }
}
