/* yaml_tree.c — libyaml events to a ynode tree with 1-based marks. libyaml itself rejects
 * NULs and other control characters, so arbitrary bytes end as a positioned error. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "yaml_tree.h"

void ytree_free(ynode *node) {
  if (!node) return;
  for (size_t i = 0; i < node->n; i++) {
    if (node->keys) ytree_free(node->keys[i]);
    if (node->items) ytree_free(node->items[i]);
  }
  free(node->keys);
  free(node->items);
  free(node->value);
  free(node);
}

typedef struct ybuild {
  yaml_parser_t parser;
  const char *name;
  const char *text; /* the input, to place reader errors, which libyaml reports as a byte offset */
  size_t len;
  char *msg;
  size_t n;
} ybuild;

static int fail(ybuild *b, size_t line0, size_t col0, const char *what) {
  snprintf(b->msg, b->n, "%s:%zu:%zu: %s", b->name, line0 + 1, col0 + 1, what);
  return -1;
}

static int parser_fail(ybuild *b) {
  char what[256];
  const yaml_parser_t *p = &b->parser;
  if (p->context)
    snprintf(what, sizeof what, "invalid YAML: %s %s", p->problem ? p->problem : "error", p->context);
  else
    snprintf(what, sizeof what, "invalid YAML: %s", p->problem ? p->problem : "error");
  if (p->error == YAML_MEMORY_ERROR) snprintf(what, sizeof what, "out of memory");
  if (p->error == YAML_READER_ERROR) {
    size_t line = 0, col = 0;
    for (size_t i = 0; i < p->problem_offset && i < b->len; i++) {
      if (b->text[i] == '\n') {
        line++;
        col = 0;
      } else if (((unsigned char)b->text[i] & 0xC0) != 0x80) { /* count characters, not UTF-8 continuation bytes */
        col++;
      }
    }
    return fail(b, line, col, what);
  }
  return fail(b, p->problem_mark.line, p->problem_mark.column, what);
}

static ynode *new_node(ynode_type t, const yaml_mark_t *m) {
  ynode *y = calloc(1, sizeof *y);
  if (!y) return NULL;
  y->type = t;
  y->line = (int)m->line + 1;
  y->col = (int)m->column + 1;
  return y;
}

static int append(ynode *parent, ynode *key, ynode *item) {
  ynode **ni = realloc(parent->items, (parent->n + 1) * sizeof *ni);
  if (!ni) return -1;
  parent->items = ni;
  if (parent->type == YN_MAP) {
    ynode **nk = realloc(parent->keys, (parent->n + 1) * sizeof *nk);
    if (!nk) return -1;
    parent->keys = nk;
    parent->keys[parent->n] = key;
  }
  parent->items[parent->n++] = item;
  return 0;
}

/* Build the node whose first event is ev (consumed by the caller). */
static int build(ybuild *b, yaml_event_t *ev, int depth, ynode **out) {
  *out = NULL;
  if (depth > YTREE_MAX_DEPTH) return fail(b, ev->start_mark.line, ev->start_mark.column, "nesting is too deep");
  switch (ev->type) {
  case YAML_ALIAS_EVENT:
    return fail(b, ev->start_mark.line, ev->start_mark.column, "aliases are not supported in the config file");
  case YAML_SCALAR_EVENT: {
    ynode *y = new_node(YN_SCALAR, &ev->start_mark);
    if (!y || !(y->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length))) {
      ytree_free(y);
      return fail(b, ev->start_mark.line, ev->start_mark.column, "out of memory");
    }
    y->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    *out = y;
    return 0;
  }
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    ynode *y = new_node(is_map ? YN_MAP : YN_SEQ, &ev->start_mark);
    if (!y) return fail(b, ev->start_mark.line, ev->start_mark.column, "out of memory");
    for (;;) {
      yaml_event_t e;
      if (!yaml_parser_parse(&b->parser, &e)) {
        ytree_free(y);
        return parser_fail(b);
      }
      if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(&e);
        break;
      }
      ynode *key = NULL, *val = NULL;
      int rc = build(b, &e, depth + 1, is_map ? &key : &val);
      yaml_mark_t km = e.start_mark;
      yaml_event_delete(&e);
      if (rc == 0 && is_map) {
        if (key->type != YN_SCALAR) {
          rc = fail(b, km.line, km.column, "map keys must be plain strings");
        } else if (ytree_get(y, key->value)) {
          char what[160];
          snprintf(what, sizeof what, "duplicate key '%.100s'", key->value);
          rc = fail(b, km.line, km.column, what);
        } else if (!yaml_parser_parse(&b->parser, &e)) {
          rc = parser_fail(b);
        } else {
          rc = build(b, &e, depth + 1, &val);
          yaml_event_delete(&e);
        }
      }
      if (rc == 0 && append(y, key, val) != 0) rc = fail(b, km.line, km.column, "out of memory");
      if (rc != 0) {
        ytree_free(key);
        ytree_free(val);
        ytree_free(y);
        return -1;
      }
    }
    *out = y;
    return 0;
  }
  default:
    return fail(b, ev->start_mark.line, ev->start_mark.column, "unexpected YAML event");
  }
}

int ytree_parse(const char *name, const char *text, size_t len, ynode **root, char *msg, size_t n) {
  *root = NULL;
  if (msg && n) msg[0] = '\0';
  if (len > YTREE_MAX_BYTES) {
    snprintf(msg, n, "%s:1:1: file is too large (%zu bytes; the limit is %u)", name, len, YTREE_MAX_BYTES);
    return -1;
  }
  ybuild b = {.name = name, .text = text, .len = len, .msg = msg, .n = n};
  if (!yaml_parser_initialize(&b.parser)) {
    snprintf(msg, n, "%s:1:1: out of memory", name);
    return -1;
  }
  yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
  int rc = 0, docs = 0;
  ynode *doc = NULL;
  for (bool done = false; !done && rc == 0;) {
    yaml_event_t e;
    if (!yaml_parser_parse(&b.parser, &e)) {
      rc = parser_fail(&b);
      break;
    }
    switch (e.type) {
    case YAML_STREAM_END_EVENT:
      done = true;
      break;
    case YAML_DOCUMENT_START_EVENT:
      if (++docs > 1) rc = fail(&b, e.start_mark.line, e.start_mark.column, "only one YAML document is allowed");
      break;
    case YAML_SCALAR_EVENT: case YAML_SEQUENCE_START_EVENT: case YAML_MAPPING_START_EVENT: case YAML_ALIAS_EVENT:
      rc = build(&b, &e, 0, &doc);
      break;
    default:
      break;
    }
    yaml_event_delete(&e);
  }
  yaml_parser_delete(&b.parser);
  if (rc != 0) {
    ytree_free(doc);
    return -1;
  }
  if (doc && ytree_is_null(doc)) { /* "---\n~" or a comment-only file: empty config */
    ytree_free(doc);
    doc = NULL;
  }
  *root = doc;
  return 0;
}

int ytree_parse_file(const char *path, ynode **root, char *msg, size_t n) {
  *root = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(msg, n, "%s:1:1: cannot open: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    snprintf(msg, n, "%s:1:1: not a regular file", path);
    return -1;
  }
  if ((uint64_t)st.st_size > YTREE_MAX_BYTES) {
    close(fd);
    snprintf(msg, n, "%s:1:1: file is too large (%lld bytes; the limit is %u)", path, (long long)st.st_size,
             YTREE_MAX_BYTES);
    return -1;
  }
  size_t cap = (size_t)st.st_size + 1, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    close(fd);
    snprintf(msg, n, "%s:1:1: out of memory", path);
    return -1;
  }
  for (;;) { /* the file may change size while read: stop at the limit either way */
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(msg, n, "%s:1:1: read error: %s", path, strerror(errno));
      free(buf);
      close(fd);
      return -1;
    }
    if (r == 0) break;
    len += (size_t)r;
    if (len == cap) {
      if (cap > YTREE_MAX_BYTES) break;
      char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
  }
  close(fd);
  int rc = ytree_parse(path, buf, len, root, msg, n);
  free(buf);
  return rc;
}

const ynode *ytree_get(const ynode *map, const char *key) {
  if (!map || map->type != YN_MAP) return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (map->keys[i] && strcmp(map->keys[i]->value, key) == 0) return map->items[i];
  return NULL;
}

bool ytree_is_null(const ynode *y) {
  if (!y || y->type != YN_SCALAR || !y->plain) return false;
  const char *v = y->value;
  return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}
