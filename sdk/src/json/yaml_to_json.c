/* yaml_to_json.c — YAML stream to a JSON array of documents, built from libyaml events with an
 * explicit stack (no recursion), a nesting limit and a node budget so hostile input (deep nesting,
 * alias "billion laughs") fails cleanly instead of exhausting the stack or memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "capz/json.h"
#include "json_internal.h"
#include "yaml_scalar.h"

#define YJ_MAX_DEPTH 512
#define YJ_MAX_NODES (1u << 20) /* nodes created, alias copies included */

/* Key index of one mapping (open addressing) so duplicate keys and merges stay O(1). */
typedef struct keyset {
  cJSON **slot;
  size_t cap, used;
} keyset;

typedef struct frame {
  cJSON *node;     /* array or object being filled */
  char *key;       /* mapping: key waiting for its value */
  bool key_merge;  /* the pending key is the merge key << */
  cJSON *merges;   /* mapping: array of merge sources (borrowed copies, owned here) */
  keyset keys;
  char *anchor;    /* anchor to register when the node ends */
  size_t start_nodes;
} frame;

typedef struct anchor_ent {
  char *name;
  cJSON *copy;  /* private copy: the tree may later drop the original (duplicate keys) */
  size_t nodes; /* size of the subtree, charged to the budget on each alias */
} anchor_ent;

typedef struct yj {
  frame stack[YJ_MAX_DEPTH];
  size_t depth;
  cJSON *root;
  anchor_ent *anchors;
  size_t n_anchors, cap_anchors;
  size_t nodes;
  capz_err *err;
} yj;

static int yj_fail(yj *s, yaml_mark_t m, const char *what) {
  capz_err_set(s->err, CAPZ_EINVAL, "yaml: line %zu, column %zu: %s", m.line + 1, m.column + 1, what);
  return -1;
}

static int yj_oom(yj *s) {
  capz_err_set(s->err, CAPZ_ENOMEM, "yaml: out of memory");
  return -1;
}

static size_t str_hash(const char *k) {
  size_t h = 1469598103934665603ull;
  for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ull;
  return h;
}

static cJSON **keyset_find(keyset *ks, const char *k) {
  size_t i = str_hash(k) & (ks->cap - 1);
  while (ks->slot[i] && strcmp(ks->slot[i]->string, k) != 0) i = (i + 1) & (ks->cap - 1);
  return &ks->slot[i];
}

static bool keyset_grow(keyset *ks) {
  keyset n = {calloc(ks->cap ? ks->cap * 2 : 16, sizeof(cJSON *)), ks->cap ? ks->cap * 2 : 16, ks->used};
  if (!n.slot) return false;
  for (size_t i = 0; i < ks->cap; i++)
    if (ks->slot[i]) *keyset_find(&n, ks->slot[i]->string) = ks->slot[i];
  free(ks->slot);
  *ks = n;
  return true;
}

/* Set key in the mapping of frame f: a later duplicate replaces the earlier value (as go-yaml). */
static bool map_set(frame *f, const char *key, cJSON *v) {
  if ((f->keys.used + 1) * 2 > f->keys.cap && !keyset_grow(&f->keys)) return false;
  cJSON **slot = keyset_find(&f->keys, key);
  if (*slot) {
    jp_swap_in(*slot, v);
    return true;
  }
  if (!cJSON_AddItemToObject(f->node, key, v)) return false;
  *slot = f->node->child->prev; /* cJSON appends at the tail; child->prev is the tail */
  f->keys.used++;
  return true;
}

static size_t count_nodes(const cJSON *n) {
  size_t c = 1;
  for (const cJSON *k = n->child; k; k = k->next) c += count_nodes(k);
  return c;
}

static int charge(yj *s, size_t n, yaml_mark_t m) {
  if (n > YJ_MAX_NODES - s->nodes) return yj_fail(s, m, "document too large (node budget exceeded; alias bomb?)");
  s->nodes += n;
  return 0;
}

static int register_anchor(yj *s, const char *name, const cJSON *node, size_t nodes, yaml_mark_t m) {
  if (!name) return 0;
  if (charge(s, nodes, m)) return -1;
  if (s->n_anchors == s->cap_anchors) {
    size_t cap = s->cap_anchors ? s->cap_anchors * 2 : 8;
    anchor_ent *a = realloc(s->anchors, cap * sizeof *a);
    if (!a) return yj_oom(s);
    s->anchors = a;
    s->cap_anchors = cap;
  }
  anchor_ent *e = &s->anchors[s->n_anchors];
  e->name = strdup(name);
  e->copy = cJSON_Duplicate(node, 1);
  e->nodes = nodes;
  if (!e->name || !e->copy) {
    free(e->name);
    cJSON_Delete(e->copy);
    return yj_oom(s);
  }
  s->n_anchors++;
  return 0;
}

static const anchor_ent *find_anchor(const yj *s, const char *name) {
  for (size_t i = s->n_anchors; i-- > 0;) /* the latest definition wins */
    if (strcmp(s->anchors[i].name, name) == 0) return &s->anchors[i];
  return NULL;
}

static void clear_anchors(yj *s) {
  for (size_t i = 0; i < s->n_anchors; i++) {
    free(s->anchors[i].name);
    cJSON_Delete(s->anchors[i].copy);
  }
  s->n_anchors = 0;
}

static void frame_free(frame *f) {
  cJSON_Delete(f->node);
  free(f->key);
  cJSON_Delete(f->merges);
  free(f->keys.slot);
  free(f->anchor);
  memset(f, 0, sizeof *f);
}

static void reset_doc(yj *s) {
  while (s->depth > 0) frame_free(&s->stack[--s->depth]);
  cJSON_Delete(s->root);
  s->root = NULL;
  clear_anchors(s);
}

/* Hand a finished value to its parent (or make it the document root). Takes ownership. */
static int deliver(yj *s, cJSON *v, yaml_mark_t m) {
  if (s->depth == 0) {
    cJSON_Delete(s->root);
    s->root = v;
    return 0;
  }
  frame *f = &s->stack[s->depth - 1];
  if (cJSON_IsArray(f->node)) {
    if (!cJSON_AddItemToArray(f->node, v)) {
      cJSON_Delete(v);
      return yj_oom(s);
    }
    return 0;
  }
  char *key = f->key;
  f->key = NULL;
  if (f->key_merge) {
    f->key_merge = false;
    free(key);
    bool ok = cJSON_IsObject(v);
    if (cJSON_IsArray(v)) {
      ok = true;
      for (cJSON *c = v->child; c; c = c->next) ok = ok && cJSON_IsObject(c);
    }
    if (!ok) {
      cJSON_Delete(v);
      return yj_fail(s, m, "merge key << expects a mapping or a sequence of mappings");
    }
    if (!f->merges && !(f->merges = cJSON_CreateArray())) {
      cJSON_Delete(v);
      return yj_oom(s);
    }
    cJSON_AddItemToArray(f->merges, v);
    return 0;
  }
  bool ok = map_set(f, key, v);
  free(key);
  if (!ok) {
    cJSON_Delete(v);
    return yj_oom(s);
  }
  return 0;
}

/* Merge keys: members of the merged mappings that the mapping does not define itself; among
 * several sources the earlier one wins. */
static int apply_merges(yj *s, frame *f, yaml_mark_t m) {
  if (!f->merges) return 0;
  for (cJSON *src = f->merges->child; src; src = src->next) {
    cJSON *first = cJSON_IsArray(src) ? src->child : src;
    for (cJSON *mp = first; mp; mp = cJSON_IsArray(src) ? mp->next : NULL) {
      for (cJSON *kv = mp->child; kv; kv = kv->next) {
        if ((f->keys.used + 1) * 2 > f->keys.cap && !keyset_grow(&f->keys)) return yj_oom(s);
        if (*keyset_find(&f->keys, kv->string)) continue;
        if (charge(s, count_nodes(kv), m)) return -1;
        cJSON *dup = cJSON_Duplicate(kv, 1);
        if (!dup || !map_set(f, kv->string, dup)) {
          cJSON_Delete(dup);
          return yj_oom(s);
        }
      }
    }
  }
  return 0;
}

static int start_collection(yj *s, const yaml_event_t *ev, bool is_map) {
  frame *top = s->depth ? &s->stack[s->depth - 1] : NULL;
  if (top && cJSON_IsObject(top->node) && !top->key)
    return yj_fail(s, ev->start_mark, "complex (non-scalar) mapping keys are not supported");
  if (s->depth == YJ_MAX_DEPTH) return yj_fail(s, ev->start_mark, "nesting too deep");
  if (charge(s, 1, ev->start_mark)) return -1;
  const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
  frame *f = &s->stack[s->depth];
  memset(f, 0, sizeof *f);
  f->node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
  f->anchor = anchor ? strdup((const char *)anchor) : NULL;
  f->start_nodes = s->nodes;
  if (!f->node || (anchor && !f->anchor)) {
    frame_free(f);
    return yj_oom(s);
  }
  s->depth++;
  return 0;
}

static int end_collection(yj *s, const yaml_event_t *ev) {
  frame *f = &s->stack[s->depth - 1];
  if (apply_merges(s, f, ev->start_mark)) return -1;
  cJSON *node = f->node;
  f->node = NULL;
  char *anchor = f->anchor;
  f->anchor = NULL;
  size_t nodes = s->nodes - f->start_nodes + 1;
  frame_free(f);
  s->depth--;
  int rc = register_anchor(s, anchor, node, nodes, ev->start_mark);
  free(anchor);
  if (rc) {
    cJSON_Delete(node);
    return -1;
  }
  return deliver(s, node, ev->start_mark);
}

/* A scalar (or an alias to a scalar) used as a mapping key. */
static int take_key(yj *s, frame *f, const cJSON *typed, bool merge, yaml_mark_t m) {
  char buf[64];
  const char *k;
  if (cJSON_IsString(typed)) k = typed->valuestring;
  else if (cJSON_IsNull(typed)) k = "null";
  else if (cJSON_IsBool(typed)) k = cJSON_IsTrue(typed) ? "true" : "false";
  else if (cJSON_IsNumber(typed)) {
    snprintf(buf, sizeof buf, "%.17g", typed->valuedouble);
    k = buf;
  } else return yj_fail(s, m, "complex (non-scalar) mapping keys are not supported");
  f->key = strdup(k);
  f->key_merge = merge;
  return f->key ? 0 : yj_oom(s);
}

static int on_scalar(yj *s, const yaml_event_t *ev) {
  const char *val = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  if (memchr(val, '\0', len)) return yj_fail(s, ev->start_mark, "NUL character in scalar is not supported");
  const char *tag = (const char *)ev->data.scalar.tag;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;
  frame *top = s->depth ? &s->stack[s->depth - 1] : NULL;
  if (top && cJSON_IsObject(top->node) && !top->key) {
    const char *anchor = (const char *)ev->data.scalar.anchor;
    if (anchor) { /* an anchored key can be aliased later, as a string */
      cJSON *kv = cJSON_CreateString(val);
      int rc = kv ? register_anchor(s, anchor, kv, 1, ev->start_mark) : yj_oom(s);
      cJSON_Delete(kv);
      if (rc) return -1;
    }
    bool merge = plain && len == 2 && memcmp(val, "<<", 2) == 0;
    if (merge || !plain) /* keys keep their text as written; only null/bool/number are normalised */
      return take_key(s, top, &(cJSON){.type = cJSON_String, .valuestring = (char *)val}, merge,
                      ev->start_mark);
    const char *why;
    cJSON *typed = yj_scalar(val, len, tag, plain, &why);
    if (!typed) return why ? yj_fail(s, ev->start_mark, why) : yj_oom(s);
    cJSON text = {.type = cJSON_String, .valuestring = (char *)val};
    int rc = take_key(s, top, (cJSON_IsNull(typed) || cJSON_IsBool(typed)) ? typed : &text, false,
                      ev->start_mark);
    cJSON_Delete(typed);
    return rc;
  }
  if (charge(s, 1, ev->start_mark)) return -1;
  const char *why;
  cJSON *v = yj_scalar(val, len, tag, plain, &why);
  if (!v) return why ? yj_fail(s, ev->start_mark, why) : yj_oom(s);
  if (register_anchor(s, (const char *)ev->data.scalar.anchor, v, 1, ev->start_mark)) {
    cJSON_Delete(v);
    return -1;
  }
  return deliver(s, v, ev->start_mark);
}

static int on_alias(yj *s, const yaml_event_t *ev) {
  const anchor_ent *a = find_anchor(s, (const char *)ev->data.alias.anchor);
  if (!a) return yj_fail(s, ev->start_mark, "alias to an unknown anchor");
  frame *top = s->depth ? &s->stack[s->depth - 1] : NULL;
  if (top && cJSON_IsObject(top->node) && !top->key) return take_key(s, top, a->copy, false, ev->start_mark);
  if (charge(s, a->nodes, ev->start_mark)) return -1;
  cJSON *v = cJSON_Duplicate(a->copy, 1);
  if (!v) return yj_oom(s);
  return deliver(s, v, ev->start_mark);
}

static int on_event(yj *s, const yaml_event_t *ev, cJSON *out) {
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    reset_doc(s);
    return 0;
  case YAML_DOCUMENT_END_EVENT:
    if (s->root && !cJSON_IsNull(s->root)) { /* empty documents (and bare null) are skipped */
      cJSON_AddItemToArray(out, s->root);
      s->root = NULL;
    }
    reset_doc(s);
    return 0;
  case YAML_SEQUENCE_START_EVENT: return start_collection(s, ev, false);
  case YAML_MAPPING_START_EVENT: return start_collection(s, ev, true);
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT: return end_collection(s, ev);
  case YAML_SCALAR_EVENT: return on_scalar(s, ev);
  case YAML_ALIAS_EVENT: return on_alias(s, ev);
  default: return 0;
  }
}

cJSON *capz_yaml_to_json(const char *text, size_t len, capz_err *err) {
  if (!text && len) {
    capz_err_set(err, CAPZ_EINVAL, "yaml: no input");
    return NULL;
  }
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    capz_err_set(err, CAPZ_ENOMEM, "yaml: out of memory");
    return NULL;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
  yj *s = calloc(1, sizeof *s);
  cJSON *out = cJSON_CreateArray();
  bool ok = s && out;
  if (!ok) capz_err_set(err, CAPZ_ENOMEM, "yaml: out of memory");
  if (s) s->err = err;
  while (ok) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      const char *ctx = parser.context ? parser.context : "";
      capz_err_set(err, parser.error == YAML_MEMORY_ERROR ? CAPZ_ENOMEM : CAPZ_EINVAL,
                   "yaml: line %zu, column %zu: %s%s%s", parser.problem_mark.line + 1,
                   parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error",
                   *ctx ? " " : "", ctx);
      ok = false;
      break;
    }
    bool done = ev.type == YAML_STREAM_END_EVENT;
    if (on_event(s, &ev, out)) ok = false;
    yaml_event_delete(&ev);
    if (done) break;
  }
  if (s) {
    reset_doc(s);
    free(s->anchors);
    free(s);
  }
  yaml_parser_delete(&parser);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}
