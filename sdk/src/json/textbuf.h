/* textbuf.h — a growing NUL-terminated text buffer for the SDK's renderers (canonical JSON, Prometheus text).
 * SDK-internal (hidden symbols, no capz_ prefix). A textbuf starts zeroed ({0}); once an allocation fails it
 * sets oom and ignores further writes, so a renderer checks once at the end. Not thread-safe: one buffer per
 * rendering call. */
#ifndef CAPZ_SDK_TEXTBUF_H
#define CAPZ_SDK_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct textbuf {
  char *p; /* NUL-terminated once anything (even "") was put */
  size_t len, cap;
  bool oom;
} textbuf;

/* Append n bytes of s. */
void textbuf_put(textbuf *b, const char *s, size_t n);
/* Append the string s. */
void textbuf_puts(textbuf *b, const char *s);
/* The text, handed to the caller (free), or NULL after an allocation failure (the buffer is then freed);
 * *len (len may be NULL) receives its length. The textbuf is left zeroed either way. */
char *textbuf_take(textbuf *b, size_t *len);

#endif
