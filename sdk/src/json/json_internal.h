/* json_internal.h — helpers shared by the sdk/src/json/ files (not exported, not installed). */
#ifndef CAPZ_SDK_JSON_INTERNAL_H
#define CAPZ_SDK_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>

/* A JSON pointer split into unescaped reference tokens (each malloc'ed). */
typedef struct jp_path {
  char **tok;
  size_t n;
} jp_path;

enum { JP_OK = 0, JP_MALFORMED = -1, JP_NOMEM = -2 };

/* Split ptr ("" or "/a/b~1c") into tokens. Returns JP_OK, JP_MALFORMED or JP_NOMEM. */
int jp_parse(const char *ptr, jp_path *out);
void jp_free(jp_path *p);

/* RFC 6901 array index: "0" or [1-9][0-9]*, fitting in size_t. "-" is not an index. */
bool jp_index(const char *tok, size_t *idx);

/* One step: member tok of an object, element tok of an array; NULL when absent. */
cJSON *jp_child(const cJSON *node, const char *tok);

/* Walk the first `upto` tokens of p from doc; NULL when a step is absent. */
cJSON *jp_walk(const cJSON *doc, const jp_path *p, size_t upto);

/* Move the value of src into dst (dst keeps its key and its place in its parent); frees src. */
void jp_swap_in(cJSON *dst, cJSON *src);

/* Append "/" + escaped token to buf (size n, NUL-terminated, truncated on overflow). */
void jp_append_token(char *buf, size_t n, const char *tok);

/* The object member named key (case-sensitive, first match), or NULL. */
cJSON *jp_member(const cJSON *obj, const char *key);

#endif
