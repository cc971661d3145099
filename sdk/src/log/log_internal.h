/* log_internal.h — record formatting shared by log.c and log_format.c (internal). */
#ifndef CAPZ_SDK_LOG_INTERNAL_H
#define CAPZ_SDK_LOG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include "capz/log.h"

/* Growable output buffer; on OOM it keeps what fits and sets oom. */
typedef struct lbuf {
  char *p;
  size_t len, cap;
  bool oom;
  char stack[1024]; /* most records fit here without a malloc */
} lbuf;

void lb_init(lbuf *b);
void lb_free(lbuf *b);
void lb_put(lbuf *b, const char *s, size_t n);
void lb_puts(lbuf *b, const char *s);

/* Text: value quoted (Go-style escapes) when empty or holding spaces, quotes, '=' or control bytes. */
void lb_text_value(lbuf *b, const char *s);
/* Text key: characters that would break key=value parsing become '_'. */
void lb_text_key(lbuf *b, const char *s);
/* JSON string with quotes; invalid UTF-8 bytes become U+FFFD so the line stays valid JSON. */
void lb_json_string(lbuf *b, const char *s);

/* The value to print for key: "[REDACTED]" for secret keys, else s with capz_redact applied
 * (key NULL = free text such as the message). Returns a static string, tmp (size n) or a buffer
 * it malloc'ed into *heap (caller frees *heap, which is NULL otherwise). */
const char *log_safe_value(const char *key, const char *s, char *tmp, size_t n, char **heap);

#endif
