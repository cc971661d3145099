/* yaml_tree.h — a YAML document as a small tree that remembers where each node was, so
 * config errors can say FILE:LINE:COL. Only what a config file needs: maps with scalar keys,
 * sequences, scalars; one document; no aliases. */
#ifndef CAPZ_HOST_YAML_TREE_H
#define CAPZ_HOST_YAML_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum ynode_type { YN_SCALAR = 1, YN_MAP = 2, YN_SEQ = 3 } ynode_type;

typedef struct ynode {
  ynode_type type;
  int line, col;        /* 1-based position of the node's start */
  char *value;          /* YN_SCALAR: the text (NUL-terminated; never contains NUL) */
  bool plain;           /* YN_SCALAR: unquoted (so "~"/"null" mean null, true/false are bools) */
  struct ynode **keys;  /* YN_MAP: n scalar keys */
  struct ynode **items; /* YN_MAP: n values; YN_SEQ: n items */
  size_t n;
} ynode;

/* Largest config file accepted, and deepest nesting (both guard against hostile input). */
#define YTREE_MAX_BYTES (4u * 1024u * 1024u)
#define YTREE_MAX_DEPTH 32

/* Parse text (len bytes; may contain NULs, which are reported as errors). On success returns
 * 0 and *root (NULL for an empty document). On error returns -1 and writes
 * "<name>:LINE:COL: message" (one line) into msg (size n). Free with ytree_free. */
int ytree_parse(const char *name, const char *text, size_t len, ynode **root, char *msg, size_t n);
/* Read and parse a file; same contract (a missing file or a file over YTREE_MAX_BYTES is an error). */
int ytree_parse_file(const char *path, ynode **root, char *msg, size_t n);
void ytree_free(ynode *node);

/* The map value for key, or NULL (map must be YN_MAP). */
const ynode *ytree_get(const ynode *map, const char *key);
/* A plain scalar that YAML reads as null ("", "~", "null", "Null", "NULL"). */
bool ytree_is_null(const ynode *node);

#endif
