/* auth_form.c — application/x-www-form-urlencoded (token request bodies, IMDS query strings). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth_internal.h"

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode [s, s+len) ('+' is a space, %XX an octet). NULL on a malformed escape or an embedded NUL. */
char *auth_url_decode(const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '+') {
      out[o++] = ' ';
    } else if (c == '%') {
      if (i + 2 >= len) {
        free(out);
        return NULL;
      }
      int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
        free(out);
        return NULL;
      }
      out[o++] = (char)(hi * 16 + lo);
      i += 2;
    } else if (c == '\0') {
      free(out);
      return NULL;
    } else {
      out[o++] = c;
    }
  }
  out[o] = '\0';
  return out;
}

void auth_form_free(auth_form *f) {
  for (size_t i = 0; i < f->n; i++) {
    free(f->names[i]);
    /* values include client secrets and assertions */
    if (f->values[i]) OPENSSL_cleanse(f->values[i], strlen(f->values[i]));
    free(f->values[i]);
  }
  free(f->names);
  free(f->values);
  memset(f, 0, sizeof *f);
}

int auth_form_parse(const char *text, size_t len, auth_form *f) {
  memset(f, 0, sizeof *f);
  if (!text) return 0;
  size_t i = 0;
  while (i < len) {
    size_t end = i;
    while (end < len && text[end] != '&') end++;
    if (end > i) {
      size_t eq = i;
      while (eq < end && text[eq] != '=') eq++;
      char *name = auth_url_decode(text + i, eq - i);
      char *value = eq < end ? auth_url_decode(text + eq + 1, end - eq - 1) : auth_url_decode("", 0);
      char **nn = realloc(f->names, (f->n + 1) * sizeof *nn);
      if (nn) f->names = nn;
      char **nv = nn ? realloc(f->values, (f->n + 1) * sizeof *nv) : NULL;
      if (nv) f->values = nv;
      if (!name || !value || !nn || !nv) {
        free(name);
        free(value);
        auth_form_free(f);
        return -1;
      }
      f->names[f->n] = name;
      f->values[f->n] = value;
      f->n++;
    }
    i = end + 1;
  }
  return 0;
}

const char *auth_form_get(const auth_form *f, const char *name, bool *dup) {
  const char *found = NULL;
  if (dup) *dup = false;
  for (size_t i = 0; i < f->n; i++) {
    if (strcmp(f->names[i], name) != 0) continue;
    if (found) {
      if (dup) *dup = true;
    } else {
      found = f->values[i];
    }
  }
  return found;
}

int auth_form_add(auth_form *f, const char *name, const char *value) {
  char **nn = realloc(f->names, (f->n + 1) * sizeof *nn);
  if (!nn) return -1;
  f->names = nn;
  char **nv = realloc(f->values, (f->n + 1) * sizeof *nv);
  if (!nv) return -1;
  f->values = nv;
  char *n = strdup(name), *v = strdup(value);
  if (!n || !v) {
    free(n);
    free(v);
    return -1;
  }
  f->names[f->n] = n;
  f->values[f->n] = v;
  f->n++;
  return 0;
}
