/* json_validate.h — strict JSON syntax check (internal). */
#ifndef CAPZ_SDK_JSON_VALIDATE_H
#define CAPZ_SDK_JSON_VALIDATE_H
#include <stddef.h>

/* NULL when text[0..len) is exactly one RFC 8259 JSON value (surrounding whitespace allowed, no
 * NUL bytes, valid UTF-8, nesting <= 1000); else a static message, with the byte offset of the
 * problem in *off. */
const char *jv_validate(const char *text, size_t len, size_t *off);

#endif
