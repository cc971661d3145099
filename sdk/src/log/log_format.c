/* log_format.c — escaping of keys and values for the text and JSON record formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log_internal.h"

void lb_init(lbuf *b) {
  b->p = b->stack;
  b->len = 0;
  b->cap = sizeof b->stack;
  b->oom = false;
  b->p[0] = '\0';
}

void lb_free(lbuf *b) {
  if (b->p != b->stack) free(b->p);
  lb_init(b);
}

void lb_put(lbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap * 2;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = b->p == b->stack ? malloc(cap) : realloc(b->p, cap);
    if (!np) {
      b->oom = true;
      n = b->cap - 1 - b->len;
    } else {
      if (b->p == b->stack) memcpy(np, b->stack, b->len);
      b->p = np;
      b->cap = cap;
    }
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void lb_puts(lbuf *b, const char *s) { lb_put(b, s, strlen(s)); }

static bool needs_quotes(const char *s) {
  if (!*s) return true;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if (*c <= ' ' || *c == '"' || *c == '=' || *c == '\\' || *c == 0x7f) return true;
  return false;
}

void lb_text_value(lbuf *b, const char *s) {
  if (!needs_quotes(s)) {
    lb_puts(b, s);
    return;
  }
  lb_put(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    char esc[8];
    switch (*c) {
    case '"': lb_put(b, "\\\"", 2); break;
    case '\\': lb_put(b, "\\\\", 2); break;
    case '\n': lb_put(b, "\\n", 2); break;
    case '\r': lb_put(b, "\\r", 2); break;
    case '\t': lb_put(b, "\\t", 2); break;
    default:
      if (*c < 0x20 || *c == 0x7f) {
        snprintf(esc, sizeof esc, "\\x%02x", *c);
        lb_puts(b, esc);
      } else {
        lb_put(b, (const char *)c, 1);
      }
    }
  }
  lb_put(b, "\"", 1);
}

void lb_text_key(lbuf *b, const char *s) {
  if (!*s) {
    lb_put(b, "_", 1);
    return;
  }
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    bool bad = *c <= ' ' || *c == '"' || *c == '=' || *c == 0x7f;
    lb_put(b, bad ? "_" : (const char *)c, 1);
  }
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s) {
  if (s[0] < 0x80) return 1;
  size_t n;
  unsigned int cp;
  if ((s[0] & 0xE0) == 0xC0) n = 2, cp = s[0] & 0x1F;
  else if ((s[0] & 0xF0) == 0xE0) n = 3, cp = s[0] & 0x0F;
  else if ((s[0] & 0xF8) == 0xF0) n = 4, cp = s[0] & 0x07;
  else return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  static const unsigned int min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void lb_json_string(lbuf *b, const char *s) {
  lb_put(b, "\"", 1);
  const unsigned char *c = (const unsigned char *)s;
  while (*c) {
    char esc[8];
    switch (*c) {
    case '"': lb_put(b, "\\\"", 2); c++; continue;
    case '\\': lb_put(b, "\\\\", 2); c++; continue;
    case '\n': lb_put(b, "\\n", 2); c++; continue;
    case '\r': lb_put(b, "\\r", 2); c++; continue;
    case '\t': lb_put(b, "\\t", 2); c++; continue;
    default: break;
    }
    if (*c < 0x20 || *c == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", *c);
      lb_puts(b, esc);
      c++;
      continue;
    }
    size_t n = utf8_len(c);
    if (n == 0) {
      lb_puts(b, "\\ufffd");
      c++;
    } else {
      lb_put(b, (const char *)c, n);
      c += n;
    }
  }
  lb_put(b, "\"", 1);
}

const char *log_safe_value(const char *key, const char *s, char *tmp, size_t n, char **heap) {
  *heap = NULL;
  if (capz_log_key_is_secret(key)) return "[REDACTED]";
  if (!s) return "(MISSING)";
  /* Masking can grow text (a 5-byte "sig=a" becomes 14 bytes): 3x + 64 always fits. */
  size_t need = strlen(s) * 3 + 64;
  if (need > n) {
    *heap = malloc(need);
    if (!*heap) return "[REDACTED: out of memory]";
    tmp = *heap;
    n = need;
  }
  return capz_redact(s, tmp, n);
}
