/* json_parse.c — strict JSON parsing over cJSON with line/column error positions. */
#include <stdio.h>
#include <string.h>
#include "capz/json.h"
#include "json_validate.h"

/* Line and column (1-based, column in bytes) of offset off in text. */
static void position_of(const char *text, size_t off, size_t *line, size_t *col) {
  size_t l = 1, c = 1;
  for (size_t i = 0; i < off; i++) {
    if (text[i] == '\n') {
      l++;
      c = 1;
    } else {
      c++;
    }
  }
  *line = l;
  *col = c;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static cJSON *fail(const char *text, size_t len, size_t off, const char *what, capz_err *err) {
  size_t line, col;
  if (off > len) off = len;
  position_of(text, off, &line, &col);
  char near[24] = "";
  size_t k = 0;
  for (size_t i = off; i < len && k < 16; i++) near[k++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
  near[k] = '\0';
  if (k)
    capz_err_set(err, CAPZ_EINVAL, "line %zu, column %zu: %s near \"%s\"", line, col, what, near);
  else
    capz_err_set(err, CAPZ_EINVAL, "line %zu, column %zu: %s at end of input", line, col, what);
  return NULL;
}

cJSON *capz_json_parse(const char *text, size_t len, capz_err *err) {
  if (!text) {
    capz_err_set(err, CAPZ_EINVAL, "line 1, column 1: no input");
    return NULL;
  }
  size_t start = 0;
  while (start < len && is_ws(text[start])) start++;
  if (start == len) return fail(text, len, len, "empty document", err);
  size_t off = 0;
  const char *why = jv_validate(text, len, &off);
  if (why) return fail(text, len, off, why, err);
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
  if (!doc) { /* valid JSON that cJSON could not take: out of memory */
    capz_err_set(err, CAPZ_ENOMEM, "line 1, column 1: out of memory parsing JSON");
    return NULL;
  }
  return doc;
}
