/* arm_filter.c — the $filter forms ARM list operations accept in practice: clauses joined by "and", each
 * `field eq 'value'` (location, name, resourceType, tagName, tagValue, principalId), `atScope()` or
 * `assignedTo('id')` (role assignments). Anything else is refused as ARM does (400
 * InvalidFilterInQueryString) rather than silently ignored. */
#include "arm_sim.h"

#include <capz/json.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const fields[] = {"location", "name", "resourceType", "tagName", "tagValue", "principalId", NULL};

static const char *skip_ws(const char *p) {
  while (*p == ' ') p++;
  return p;
}

/* 'quoted' value (two quotes stand for one); returns the position after it or NULL. */
static const char *quoted(const char *p, char *out, size_t n) {
  if (*p != '\'') return NULL;
  size_t j = 0;
  for (p++; *p; p++) {
    if (*p == '\'') {
      if (p[1] != '\'') break;
      p++;
    }
    if (j + 1 < n) out[j++] = *p;
  }
  if (*p != '\'') return NULL;
  out[j] = '\0';
  return p + 1;
}

static int bad(const char *s, arm_err *e) {
  return arm_err_set(e, 400, "InvalidFilterInQueryString", "Invalid $filter '%.200s' specified in the query string.", s);
}

int arm_filter_parse(const char *s, arm_filter *f, arm_err *e) {
  memset(f, 0, sizeof *f);
  if (!s) return 0;
  const char *p = skip_ws(s);
  if (!*p) return bad(s, e);
  bool tag_value = false, tag_name = false;
  while (*p) {
    if (f->n == (int)(sizeof f->c / sizeof f->c[0])) return bad(s, e);
    arm_filter_clause *c = &f->c[f->n];
    if (strncasecmp(p, "atScope()", 9) == 0) {
      c->kind = ARM_FILTER_AT_SCOPE;
      p += 9;
    } else if (strncasecmp(p, "assignedTo(", 11) == 0) {
      c->kind = ARM_FILTER_ASSIGNED_TO;
      p = quoted(skip_ws(p + 11), c->value, sizeof c->value);
      if (!p || *(p = skip_ws(p)) != ')') return bad(s, e);
      p++;
    } else {
      size_t L = 0;
      while (isalnum((unsigned char)p[L])) L++;
      int k = -1;
      for (int i = 0; fields[i]; i++)
        if (strlen(fields[i]) == L && strncasecmp(p, fields[i], L) == 0) k = i;
      if (k < 0) return bad(s, e);
      snprintf(c->field, sizeof c->field, "%s", fields[k]);
      tag_name |= k == 3;
      tag_value |= k == 4;
      p = skip_ws(p + L);
      if (strncasecmp(p, "eq ", 3) != 0) return bad(s, e);
      p = quoted(skip_ws(p + 3), c->value, sizeof c->value);
      if (!p) return bad(s, e);
      c->kind = ARM_FILTER_EQ;
    }
    f->n++;
    p = skip_ws(p);
    if (!*p) break;
    if (strncasecmp(p, "and ", 4) != 0) return bad(s, e);
    p = skip_ws(p + 4);
    if (!*p) return bad(s, e);
  }
  if (tag_value && !tag_name) return bad(s, e);
  return 0;
}

static bool loc_eq(const char *a, const char *b) {
  if (!a || !b) return false;
  for (;;) {
    while (*a == ' ') a++;
    while (*b == ' ') b++;
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    if (!*a) return true;
    a++, b++;
  }
}

bool arm_filter_match(const arm_filter *f, const arm_res *x) {
  const char *tag_name = NULL, *tag_value = NULL;
  for (int i = 0; i < f->n; i++) {
    const arm_filter_clause *c = &f->c[i];
    if (c->kind == ARM_FILTER_ASSIGNED_TO) {
      if (!arm_ieq(capz_json_ptr_str(x->doc, "/properties/principalId", ""), c->value)) return false;
      continue;
    }
    if (c->kind != ARM_FILTER_EQ) continue; /* atScope() is the caller's business */
    if (strcmp(c->field, "location") == 0 && !loc_eq(arm_jstr(x->doc, "location"), c->value)) return false;
    if (strcmp(c->field, "name") == 0 && !arm_ieq(arm_id_name(x->id), c->value)) return false;
    if (strcmp(c->field, "resourceType") == 0 && !arm_ieq(x->rt->type, c->value)) return false;
    if (strcmp(c->field, "principalId") == 0 && !arm_ieq(capz_json_ptr_str(x->doc, "/properties/principalId", ""), c->value))
      return false;
    if (strcmp(c->field, "tagName") == 0) tag_name = c->value;
    if (strcmp(c->field, "tagValue") == 0) tag_value = c->value;
  }
  if (tag_name) {
    const cJSON *t = NULL, *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(x->doc, "tags"))
      if (it->string && strcasecmp(it->string, tag_name) == 0) t = it;
    if (!t) return false;
    if (tag_value && !(cJSON_IsString(t) && strcmp(t->valuestring, tag_value) == 0)) return false;
  }
  return true;
}

bool arm_filter_has(const arm_filter *f, int kind) {
  for (int i = 0; i < f->n; i++)
    if (f->c[i].kind == kind) return true;
  return false;
}
