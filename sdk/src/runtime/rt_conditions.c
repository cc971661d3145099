/* rt_conditions.c — Cluster API v1beta1 conditions (see capz/conditions.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capz/conditions.h"

static const char *sev_name(capz_severity s) {
  switch (s) {
    case CAPZ_SEV_ERROR: return "Error";
    case CAPZ_SEV_WARNING: return "Warning";
    case CAPZ_SEV_INFO: return "Info";
    default: return "";
  }
}

static capz_severity sev_parse(const char *s) {
  if (!s) return CAPZ_SEV_NONE;
  if (strcmp(s, "Error") == 0) return CAPZ_SEV_ERROR;
  if (strcmp(s, "Warning") == 0) return CAPZ_SEV_WARNING;
  if (strcmp(s, "Info") == 0) return CAPZ_SEV_INFO;
  return CAPZ_SEV_NONE;
}

static const char *str(const cJSON *o, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k)); }

static cJSON *conditions(cJSON *obj, bool create) {
  cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
  if (!cJSON_IsObject(st)) {
    if (!create) return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON *cs = st ? cJSON_GetObjectItemCaseSensitive(st, "conditions") : NULL;
  if (!cJSON_IsArray(cs)) {
    if (!create || !st) return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(st, "conditions");
    cs = cJSON_AddArrayToObject(st, "conditions");
  }
  return cs;
}

CAPZ_API const cJSON *capz_cond_get(const cJSON *obj, const char *type) {
  const cJSON *cs = conditions((cJSON *)obj, false), *c;
  cJSON_ArrayForEach(c, cs) {
    const char *t = str(c, "type");
    if (t && strcmp(t, type) == 0) return c;
  }
  return NULL;
}

static bool has_status(const cJSON *obj, const char *type, const char *status) {
  const char *s = str(capz_cond_get(obj, type), "status");
  return s && strcmp(s, status) == 0;
}
CAPZ_API bool capz_cond_is_true(const cJSON *obj, const char *type) { return has_status(obj, type, "True"); }
CAPZ_API bool capz_cond_is_false(const cJSON *obj, const char *type) { return has_status(obj, type, "False"); }

/* Ready first, then alphabetical (as Cluster API sorts them). */
static int cond_cmp(const void *a, const void *b) {
  const char *x = str(*(cJSON *const *)a, "type"), *y = str(*(cJSON *const *)b, "type");
  x = x ? x : "";
  y = y ? y : "";
  bool rx = strcmp(x, CAPZ_COND_READY) == 0, ry = strcmp(y, CAPZ_COND_READY) == 0;
  if (rx != ry) return rx ? -1 : 1;
  return strcmp(x, y);
}

static void sort_conditions(cJSON *cs) {
  int n = cJSON_GetArraySize(cs);
  if (n < 2) return;
  cJSON **items = malloc((size_t)n * sizeof *items);
  if (!items) return;
  for (int i = 0; i < n; i++) items[i] = cJSON_DetachItemFromArray(cs, 0);
  qsort(items, (size_t)n, sizeof *items, cond_cmp);
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(cs, items[i]);
  free(items);
}

static void now_rfc3339(char *out, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

CAPZ_API int capz_cond_set(cJSON *obj, const char *type, const char *status, const char *reason, capz_severity sev,
                           const char *message) {
  if (!obj || !type || !*type || !status ||
      (strcmp(status, "True") && strcmp(status, "False") && strcmp(status, "Unknown")))
    return CAPZ_EINVAL;
  cJSON *cs = conditions(obj, true);
  if (!cs) return CAPZ_ENOMEM;
  const cJSON *old = capz_cond_get(obj, type);
  char ltt[32];
  const char *old_status = str(old, "status"), *old_ltt = str(old, "lastTransitionTime");
  if (old && old_status && strcmp(old_status, status) == 0 && old_ltt) snprintf(ltt, sizeof ltt, "%s", old_ltt);
  else now_rfc3339(ltt, sizeof ltt);
  cJSON *c = cJSON_CreateObject();
  if (!c) return CAPZ_ENOMEM;
  cJSON_AddStringToObject(c, "type", type);
  cJSON_AddStringToObject(c, "status", status);
  if (strcmp(status, "False") == 0 && sev != CAPZ_SEV_NONE) cJSON_AddStringToObject(c, "severity", sev_name(sev));
  cJSON_AddStringToObject(c, "lastTransitionTime", ltt);
  if (reason && *reason) cJSON_AddStringToObject(c, "reason", reason);
  if (message && *message) cJSON_AddStringToObject(c, "message", message);
  int idx = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, cs) {
    if (it == old) break;
    idx++;
  }
  if (old) cJSON_ReplaceItemInArray(cs, idx, c);
  else cJSON_AddItemToArray(cs, c);
  sort_conditions(cs);
  return 0;
}

CAPZ_API int capz_cond_mark_true(cJSON *obj, const char *type) {
  return capz_cond_set(obj, type, "True", NULL, CAPZ_SEV_NONE, NULL);
}

CAPZ_API int capz_cond_mark_false(cJSON *obj, const char *type, const char *reason, capz_severity sev, const char *fmt,
                                  ...) {
  char msg[1024] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
  }
  return capz_cond_set(obj, type, "False", reason, sev, msg);
}

CAPZ_API int capz_cond_mark_unknown(cJSON *obj, const char *type, const char *reason, const char *fmt, ...) {
  char msg[1024] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
  }
  return capz_cond_set(obj, type, "Unknown", reason, CAPZ_SEV_NONE, msg);
}

CAPZ_API int capz_cond_delete(cJSON *obj, const char *type) {
  cJSON *cs = conditions(obj, false);
  int idx = 0;
  cJSON *it;
  cJSON_ArrayForEach(it, cs) {
    const char *t = str(it, "type");
    if (t && strcmp(t, type) == 0) {
      cJSON_DeleteItemFromArray(cs, idx);
      return 0;
    }
    idx++;
  }
  return CAPZ_ENOTFOUND;
}

/* Rank for picking the condition that speaks for Ready: lower is worse. */
static int rank(const cJSON *c) {
  const char *s = str(c, "status");
  if (s && strcmp(s, "False") == 0) {
    switch (sev_parse(str(c, "severity"))) {
      case CAPZ_SEV_ERROR: return 0;
      case CAPZ_SEV_WARNING: return 1;
      case CAPZ_SEV_INFO: return 2;
      default: return 3;
    }
  }
  if (s && strcmp(s, "True") == 0) return 4;
  return 5;
}

CAPZ_API int capz_cond_set_summary(cJSON *obj, const char *const *types) {
  const cJSON *cs = conditions(obj, false), *c, *top = NULL;
  cJSON_ArrayForEach(c, cs) {
    const char *t = str(c, "type");
    if (!t || strcmp(t, CAPZ_COND_READY) == 0) continue;
    if (types) {
      bool listed = false;
      for (size_t i = 0; types[i] && !listed; i++) listed = strcmp(types[i], t) == 0;
      if (!listed) continue;
    }
    if (!top || rank(c) < rank(top)) top = c;
  }
  if (!top) return capz_cond_mark_true(obj, CAPZ_COND_READY);
  int r = rank(top);
  char reason[128], msg[1024];
  snprintf(reason, sizeof reason, "%s", str(top, "reason") ? str(top, "reason") : "");
  snprintf(msg, sizeof msg, "%s", str(top, "message") ? str(top, "message") : "");
  if (r <= 3) return capz_cond_set(obj, CAPZ_COND_READY, "False", reason, sev_parse(str(top, "severity")), msg);
  if (r == 4) return capz_cond_mark_true(obj, CAPZ_COND_READY);
  return capz_cond_set(obj, CAPZ_COND_READY, "Unknown", reason, CAPZ_SEV_NONE, msg);
}
