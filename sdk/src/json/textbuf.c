/* textbuf.c — see textbuf.h. */
#include "textbuf.h"

#include <stdlib.h>
#include <string.h>

void textbuf_put(textbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = true;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void textbuf_puts(textbuf *b, const char *s) { textbuf_put(b, s, strlen(s)); }

char *textbuf_take(textbuf *b, size_t *len) {
  char *out = b->oom ? NULL : b->p;
  if (b->oom) free(b->p);
  if (len) *len = out ? b->len : 0;
  memset(b, 0, sizeof *b);
  return out;
}
