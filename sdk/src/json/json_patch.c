/* json_patch.c — RFC 6902 JSON patch applied to a copy of the target. */
#include <string.h>
#include "capz/json.h"
#include "json_internal.h"

/* Link item into array before `at` (an element of array). Done by hand: the Debian cJSON 1.7.15
 * cJSON_InsertItemInArray reports failure for valid inserts. */
static void insert_before(cJSON *array, cJSON *at, cJSON *item) {
  item->next = at;
  item->prev = at->prev;
  at->prev = item;
  if (at == array->child)
    array->child = item; /* item->prev is now the tail, as cJSON expects of the first child */
  else
    item->prev->next = item;
}

/* Add value (owned) at p in *root following RFC 6902 "add": objects get the member added or
 * replaced, arrays get an insert at index (or append for "-"); the parent must exist. */
static int op_add(cJSON **root, const jp_path *p, cJSON *value, const char **why) {
  if (p->n == 0) {
    cJSON_Delete(*root);
    *root = value;
    return 0;
  }
  cJSON *parent = jp_walk(*root, p, p->n - 1);
  const char *last = p->tok[p->n - 1];
  if (!parent) {
    *why = "parent path not found";
  } else if (cJSON_IsObject(parent)) {
    cJSON *old = jp_member(parent, last);
    if (old) {
      jp_swap_in(old, value);
      return 0;
    }
    if (cJSON_AddItemToObject(parent, last, value)) return 0;
    *why = "out of memory";
  } else if (cJSON_IsArray(parent)) {
    size_t idx, size = (size_t)cJSON_GetArraySize(parent);
    if (strcmp(last, "-") == 0 || (jp_index(last, &idx) && idx == size)) {
      if (cJSON_AddItemToArray(parent, value)) return 0;
      *why = "out of memory";
    } else if (jp_index(last, &idx) && idx < size) {
      insert_before(parent, jp_child(parent, last), value);
      return 0;
    } else {
      *why = "array index out of range or not a number";
    }
  } else {
    *why = "parent is not an object or array";
  }
  cJSON_Delete(value);
  return -1;
}

/* Detach and return the node at p (never the root). */
static cJSON *op_detach(cJSON *root, const jp_path *p, const char **why) {
  if (p->n == 0) {
    *why = "cannot remove the whole document";
    return NULL;
  }
  cJSON *parent = jp_walk(root, p, p->n - 1);
  cJSON *node = parent ? jp_child(parent, p->tok[p->n - 1]) : NULL;
  if (!node) {
    *why = "path not found";
    return NULL;
  }
  return cJSON_DetachItemViaPointer(parent, node);
}

static bool is_proper_prefix(const jp_path *a, const jp_path *b) {
  if (a->n >= b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->tok[i], b->tok[i]) != 0) return false;
  return true;
}

/* Apply one operation; returns 0 or an error code with *why set. */
static int apply_op(cJSON **root, const cJSON *op, const char **why) {
  const char *name = capz_json_ptr_str(op, "/op", NULL);
  const char *path = capz_json_ptr_str(op, "/path", NULL);
  const cJSON *value = jp_member(op, "value");
  const char *from = capz_json_ptr_str(op, "/from", NULL);
  if (!cJSON_IsObject(op) || !name || !path) {
    *why = "operation needs string members \"op\" and \"path\"";
    return CAPZ_EINVAL;
  }
  bool needs_value = !strcmp(name, "add") || !strcmp(name, "replace") || !strcmp(name, "test");
  bool needs_from = !strcmp(name, "move") || !strcmp(name, "copy");
  if (!needs_value && !needs_from && strcmp(name, "remove") != 0) {
    *why = "unknown op";
    return CAPZ_EINVAL;
  }
  if (needs_value && !value) {
    *why = "missing \"value\"";
    return CAPZ_EINVAL;
  }
  if (needs_from && !from) {
    *why = "missing string \"from\"";
    return CAPZ_EINVAL;
  }
  jp_path p, f = {0};
  if (jp_parse(path, &p) != JP_OK) {
    *why = "malformed \"path\" pointer";
    return CAPZ_EINVAL;
  }
  if (needs_from && jp_parse(from, &f) != JP_OK) {
    jp_free(&p);
    *why = "malformed \"from\" pointer";
    return CAPZ_EINVAL;
  }
  int rc = CAPZ_OK;
  if (!strcmp(name, "test")) {
    cJSON *cur = jp_walk(*root, &p, p.n);
    if (!cur) {
      *why = "test failed: path not found";
      rc = CAPZ_ECONFLICT;
    } else if (!capz_json_equal(cur, value)) {
      *why = "test failed: value differs";
      rc = CAPZ_ECONFLICT;
    }
  } else if (!strcmp(name, "remove")) {
    cJSON *gone = op_detach(*root, &p, why);
    if (!gone) rc = CAPZ_EINVAL;
    cJSON_Delete(gone);
  } else if (!strcmp(name, "replace")) {
    cJSON *cur = jp_walk(*root, &p, p.n);
    cJSON *dup = cJSON_Duplicate(value, 1);
    if (!cur) {
      *why = "path not found";
      rc = CAPZ_EINVAL;
      cJSON_Delete(dup);
    } else if (!dup) {
      *why = "out of memory";
      rc = CAPZ_ENOMEM;
    } else if (cur == *root) {
      cJSON_Delete(*root);
      *root = dup;
    } else {
      jp_swap_in(cur, dup);
    }
  } else if (!strcmp(name, "add")) {
    cJSON *dup = cJSON_Duplicate(value, 1);
    if (!dup) {
      *why = "out of memory";
      rc = CAPZ_ENOMEM;
    } else if (op_add(root, &p, dup, why)) {
      rc = CAPZ_EINVAL;
    }
  } else if (!strcmp(name, "copy")) {
    cJSON *src = jp_walk(*root, &f, f.n);
    cJSON *dup = src ? cJSON_Duplicate(src, 1) : NULL;
    if (!src) {
      *why = "\"from\" not found";
      rc = CAPZ_EINVAL;
    } else if (!dup) {
      *why = "out of memory";
      rc = CAPZ_ENOMEM;
    } else if (op_add(root, &p, dup, why)) {
      rc = CAPZ_EINVAL;
    }
  } else { /* move */
    if (is_proper_prefix(&f, &p)) {
      *why = "cannot move a value into one of its own children";
      rc = CAPZ_EINVAL;
    } else if (f.n == 0) {
      if (p.n != 0) {
        *why = "cannot move the whole document";
        rc = CAPZ_EINVAL;
      }
    } else {
      cJSON *moved = op_detach(*root, &f, why);
      if (!moved) {
        *why = "\"from\" not found";
        rc = CAPZ_EINVAL;
      } else if (op_add(root, &p, moved, why)) {
        rc = CAPZ_EINVAL;
      }
    }
  }
  jp_free(&p);
  jp_free(&f);
  return rc;
}

cJSON *capz_json_patch_apply(const cJSON *target, const cJSON *patch, capz_err *err) {
  if (!cJSON_IsArray(patch)) {
    capz_err_set(err, CAPZ_EINVAL, "json patch: not an array of operations");
    return NULL;
  }
  cJSON *root = target ? cJSON_Duplicate(target, 1) : cJSON_CreateNull();
  if (!root) {
    capz_err_set(err, CAPZ_ENOMEM, "json patch: out of memory");
    return NULL;
  }
  int i = 0;
  for (const cJSON *op = patch->child; op; op = op->next, i++) {
    const char *why = "failed";
    int rc = apply_op(&root, op, &why);
    if (rc != CAPZ_OK) {
      capz_err_set(err, rc, "json patch op %d (%.20s %.200s): %s", i, capz_json_ptr_str(op, "/op", "?"),
                   capz_json_ptr_str(op, "/path", "?"), why);
      cJSON_Delete(root);
      return NULL;
    }
  }
  return root;
}
