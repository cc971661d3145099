/* json_validate.c — strict RFC 8259 syntax check run before cJSON (which accepts 01, 1., raw
 * control characters and invalid UTF-8), giving exact error offsets. Iterative: an explicit
 * container stack bounded by JV_MAX_DEPTH, so hostile nesting cannot exhaust the C stack. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "json_validate.h"

#define JV_MAX_DEPTH 1000 /* cJSON's CJSON_NESTING_LIMIT */

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* \uXXXX at s (s[0] == '\\'), within [s, e): code unit or -1. */
static long u_escape(const char *s, const char *e) {
  if (e - s < 6 || s[0] != '\\' || s[1] != 'u') return -1;
  long v = 0;
  for (int i = 2; i < 6; i++) {
    int h = hexval(s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/* Length of a valid UTF-8 sequence at s (bytes before e), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *e) {
  size_t n;
  unsigned int cp;
  if (s[0] < 0x80) return 1;
  if ((s[0] & 0xE0) == 0xC0) n = 2, cp = s[0] & 0x1F;
  else if ((s[0] & 0xF0) == 0xE0) n = 3, cp = s[0] & 0x0F;
  else if ((s[0] & 0xF8) == 0xF0) n = 4, cp = s[0] & 0x07;
  else return 0;
  if ((size_t)(e - s) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  static const unsigned int min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* String at *p (on the opening quote). */
static const char *scan_string(const char **p, const char *e) {
  const char *s = *p + 1;
  while (s < e && *s != '"') {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20) {
      *p = s;
      return c == 0 ? "NUL byte in string" : "unescaped control character in string";
    }
    if (c == '\\') {
      if (s + 1 >= e) break;
      char x = s[1];
      if (x == 'u') {
        long u = u_escape(s, e);
        if (u < 0) {
          *p = s;
          return "bad \\u escape";
        }
        if (u >= 0xDC00 && u <= 0xDFFF) {
          *p = s;
          return "lone low surrogate escape";
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
          long lo = u_escape(s + 6, e);
          if (lo < 0xDC00 || lo > 0xDFFF) {
            *p = s;
            return "high surrogate escape without its low half";
          }
          s += 12;
        } else {
          s += 6;
        }
        continue;
      }
      if (!strchr("\"\\/bfnrt", x) || x == '\0') {
        *p = s;
        return "bad escape in string";
      }
      s += 2;
      continue;
    }
    size_t n = utf8_seq((const unsigned char *)s, (const unsigned char *)e);
    if (n == 0) {
      *p = s;
      return "invalid UTF-8 in string";
    }
    s += n;
  }
  if (s >= e) {
    *p = e;
    return "unterminated string";
  }
  *p = s + 1;
  return NULL;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number(const char **p, const char *e) {
  const char *s = *p;
  if (s < e && *s == '-') s++;
  if (s < e && *s == '0') {
    s++;
    if (s < e && is_digit(*s)) {
      *p = s;
      return "leading zero in number";
    }
  } else if (s < e && is_digit(*s)) {
    while (s < e && is_digit(*s)) s++;
  } else {
    *p = s;
    return "invalid number";
  }
  if (s < e && *s == '.') {
    s++;
    if (s >= e || !is_digit(*s)) {
      *p = s;
      return "digits expected after decimal point";
    }
    while (s < e && is_digit(*s)) s++;
  }
  if (s < e && (*s == 'e' || *s == 'E')) {
    s++;
    if (s < e && (*s == '+' || *s == '-')) s++;
    if (s >= e || !is_digit(*s)) {
      *p = s;
      return "digits expected in exponent";
    }
    while (s < e && is_digit(*s)) s++;
  }
  *p = s;
  return NULL;
}

static bool literal(const char **p, const char *e, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(e - *p) < n || memcmp(*p, lit, n) != 0) return false;
  *p += n;
  return true;
}

enum { ST_VALUE, ST_VALUE_OR_END, ST_KEY, ST_KEY_OR_END, ST_AFTER };

const char *jv_validate(const char *text, size_t len, size_t *off) {
  const char *p = text, *e = text + len;
  unsigned char stack[JV_MAX_DEPTH]; /* '{' or '[' */
  size_t depth = 0;
  int st = ST_VALUE;
  const char *why = NULL;
  for (;;) {
    while (p < e && is_ws(*p)) p++;
    if (st == ST_AFTER && depth == 0) {
      if (p < e) why = *p == '\0' ? "NUL byte" : "trailing data after value";
      break;
    }
    if (p >= e) {
      why = "unexpected end of input";
      break;
    }
    char c = *p;
    if (st == ST_AFTER) {
      char close = stack[depth - 1] == '{' ? '}' : ']';
      if (c == ',') {
        p++;
        st = stack[depth - 1] == '{' ? ST_KEY : ST_VALUE;
      } else if (c == close) {
        p++;
        depth--;
      } else {
        why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
        break;
      }
      continue;
    }
    if (st == ST_KEY || st == ST_KEY_OR_END) {
      if (c == '}' && st == ST_KEY_OR_END) {
        p++;
        depth--;
        st = ST_AFTER;
        continue;
      }
      if (c != '"') {
        why = "expected a string key";
        break;
      }
      if ((why = scan_string(&p, e))) break;
      while (p < e && is_ws(*p)) p++;
      if (p >= e || *p != ':') {
        why = "expected ':' after object key";
        break;
      }
      p++;
      st = ST_VALUE;
      continue;
    }
    /* ST_VALUE or ST_VALUE_OR_END */
    if (c == ']' && st == ST_VALUE_OR_END) {
      p++;
      depth--;
      st = ST_AFTER;
      continue;
    }
    if (c == '{' || c == '[') {
      if (depth == JV_MAX_DEPTH) {
        why = "nesting too deep";
        break;
      }
      stack[depth++] = (unsigned char)c;
      p++;
      st = c == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
      continue;
    }
    if (c == '"') why = scan_string(&p, e);
    else if (c == '-' || is_digit(c)) why = scan_number(&p, e);
    else if (!literal(&p, e, "true") && !literal(&p, e, "false") && !literal(&p, e, "null"))
      why = "unexpected character";
    if (why) break;
    st = ST_AFTER;
  }
  *off = (size_t)(p - text);
  return why;
}
