/* capz/json.h — JSON helpers over cJSON (libcjson1): JSON pointers, RFC 7386 merge patch,
 * RFC 6902 JSON patch, desired-vs-actual comparison, and YAML to JSON.
 *
 * Ownership: functions returning cJSON * return a new tree the caller frees with cJSON_Delete,
 * unless documented "borrowed". Inputs are never modified unless the parameter is named `doc`
 * and documented as modified in place.
 * Thread-safety: reentrant; a cJSON tree must not be modified by one thread while read by another.
 */
#ifndef CAPZ_JSON_H
#define CAPZ_JSON_H

#include <cJSON.h>
#include "capz/common.h"
#include "capz/err.h"

CAPZ_BEGIN_DECLS

/* ---- RFC 6901 JSON pointers ("" = whole doc, "/a/b/0", "~0" = '~', "~1" = '/') ---- */

/* Borrowed pointer to the node at ptr, or NULL when absent or ptr is malformed (no leading "/",
 * "~" not followed by 0/1, array index with leading zeros, "-" or out of range). */
CAPZ_API cJSON *capz_json_ptr_get(const cJSON *doc, const char *ptr);
/* Convenience getters: the value at ptr when it has the right type, else def. The string is
 * borrowed from doc. capz_json_ptr_int accepts integral numbers only (3.0 yes, 3.5 no) within
 * int64; cJSON stores doubles, so integers beyond 2^53 are not exact. */
CAPZ_API const char *capz_json_ptr_str(const cJSON *doc, const char *ptr, const char *def);
CAPZ_API int64_t capz_json_ptr_int(const cJSON *doc, const char *ptr, int64_t def);
CAPZ_API bool capz_json_ptr_bool(const cJSON *doc, const char *ptr, bool def);
/* Set value at ptr in doc (modified in place), creating intermediate objects as needed; an
 * existing value is replaced (keeping its place among its siblings). Takes ownership of value in
 * all cases (freed on error). "-" (or the index equal to the array size) as last array token
 * appends. ptr "" replaces the contents of doc itself. Returns 0, CAPZ_EINVAL (malformed
 * pointer, index out of range, a scalar on the path) or CAPZ_ENOMEM; doc is unchanged on error
 * except for intermediate objects already created. */
CAPZ_API int capz_json_ptr_set(cJSON *doc, const char *ptr, cJSON *value, capz_err *err);
/* Convenience setters (copy the string). */
CAPZ_API int capz_json_ptr_set_str(cJSON *doc, const char *ptr, const char *s, capz_err *err);
/* Append "/" + token, escaped (~ -> ~0, / -> ~1), to the NUL-terminated pointer in buf (size n):
 * builds pointers from keys such as label names ("cluster.x-k8s.io/cluster-name"). Returns 0, or
 * CAPZ_EINVAL when it does not fit (buf then holds a truncated pointer) or an argument is NULL. */
CAPZ_API int capz_json_ptr_append(char *buf, size_t n, const char *token);
/* Remove the node at ptr (in place). Returns 0, or CAPZ_ENOTFOUND when absent (or doc is NULL);
 * CAPZ_EINVAL for a malformed pointer or "" (the root cannot remove itself). */
CAPZ_API int capz_json_ptr_del(cJSON *doc, const char *ptr);

/* ---- RFC 7386 merge patch ---- */

/* Apply patch to target and return the result as a new tree (target unchanged).
 * target may be NULL (treated as absent); patch NULL returns a copy of target (JSON null when
 * both are NULL). NULL only on OOM. */
CAPZ_API cJSON *capz_json_merge_patch(const cJSON *target, const cJSON *patch);
/* The merge patch that turns `from` into `to`: apply(from, diff(from,to)) == to.
 * Returns an empty object when two objects are equal. Arrays are replaced whole. When either side
 * is not an object the patch is a copy of `to` (JSON null when to is NULL). Limitation of RFC 7386:
 * a member whose value in `to` is null cannot be expressed (null means "delete"). */
CAPZ_API cJSON *capz_json_merge_diff(const cJSON *from, const cJSON *to);

/* ---- RFC 6902 JSON patch ---- */

/* Apply a JSON patch (array of ops: add, remove, replace, move, copy, test) to target and
 * return the new tree. On failure returns NULL and fills err (CAPZ_EINVAL for a malformed
 * patch or missing path, CAPZ_ECONFLICT for a failed "test"), naming the op index. */
/* Details: target NULL is treated as JSON null; the patch is all-or-nothing (target is never
 * modified). Path "" in add/replace replaces the whole document; "-" appends; "~0"/"~1" escapes
 * are honoured; unknown members of an op are ignored; "test" compares with capz_json_equal and a
 * test whose path is absent also fails with CAPZ_ECONFLICT; "move" into its own child, removing ""
 * and unknown ops are CAPZ_EINVAL. Message form: "json patch op 3 (remove /a/b): path not found". */
CAPZ_API cJSON *capz_json_patch_apply(const cJSON *target, const cJSON *patch, capz_err *err);

/* ---- desired ⊆ actual ---- */

/* Comparison flags. */
enum {
  CAPZ_JSON_CMP_DEFAULT = 0,
  /* Compare strings case-insensitively (ARM normalises casing of locations, SKUs, enums). */
  CAPZ_JSON_CMP_CASEFOLD_STRINGS = 1 << 0,
  /* Compare arrays as sets: every desired element must match some actual element
   * (objects with a "name" member are matched by name, else by subset). Without it,
   * arrays must have equal length and match element-wise (each desired ⊆ actual). */
  CAPZ_JSON_CMP_ARRAYS_AS_SETS = 1 << 1
};

/* True when every field present in `desired` is present in `actual` with an equal value
 * (recursively: objects compare only the members desired has; numbers compare by value;
 * a desired null matches an absent or null actual value; types must match otherwise).
 * With CAPZ_JSON_CMP_ARRAYS_AS_SETS, name matching also honours CASEFOLD_STRINGS; a desired
 * element with a "name" that has no actual counterpart reports the element's path (".../3").
 * Owned pointers absent from desired are skipped; a malformed owned pointer makes the result
 * false and is itself written to diff_path. diff_path is "" on true (truncated to n-1 bytes).
 * `owned` optionally restricts the comparison to the listed JSON pointers (NULL-terminated
 * array; NULL = every field of desired). On false, and when diff_path is non-NULL, writes the
 * JSON pointer of the first differing field into diff_path (size n). */
CAPZ_API bool capz_json_subset(const cJSON *desired, const cJSON *actual, const char *const *owned,
                               unsigned flags, char *diff_path, size_t n);

/* Deep equality (numbers by value; object member order ignored). */
CAPZ_API bool capz_json_equal(const cJSON *a, const cJSON *b);

/* ---- parsing and printing ---- */

/* Parse text of length len (need not be NUL-terminated). Exactly one value, optionally surrounded
 * by whitespace; trailing data or an embedded NUL is an error. The grammar is strict RFC 8259
 * (checked before cJSON builds the tree): no leading zeros, "1.", raw control characters in
 * strings, invalid UTF-8, lone surrogate escapes, single quotes, NaN/Infinity or trailing commas. Nesting deeper than cJSON's limit
 * (1000) is rejected. On error returns NULL and fills err (CAPZ_EINVAL) with the line and column
 * of the problem ("line 3, column 7: ..."). */
CAPZ_API cJSON *capz_json_parse(const char *text, size_t len, capz_err *err);
/* Compact printing with object members sorted by key: a stable form for hashing/fingerprints.
 * Returns malloc'ed text the caller frees with free() (NULL only on OOM; doc NULL gives "null").
 * Keys sort bytewise (strcmp); integral numbers up to 2^53 print without exponent or fraction,
 * others in the shortest %.15g..%.17g form that reads back exactly; NaN/Inf print as null;
 * strings keep UTF-8 as is and escape only '"', '\\' and control characters. */
CAPZ_API char *capz_json_canonical(const cJSON *doc);

/* YAML (one or more documents) to JSON. Returns an array with one element per document
 * (empty documents, and documents that are just null, skipped). Plain scalars are typed as the
 * YAML 1.2 core schema does: null/Null/NULL/~/empty -> null; true/True/TRUE/false/... -> bool
 * (yes/no/on/off stay strings); ints incl. 0x.. and 0o..; a leading-zero literal of octal digits
 * (0644) is octal, as kubectl's go-yaml reads file modes; floats incl. .inf/-.inf/.nan (kept as
 * numbers; cJSON prints them as null). Quoted and block scalars are strings; explicit tags
 * !!str/!!int/!!float/!!bool/!!null are honoured, other tags ignored (value kept as a string).
 * Anchors/aliases are expanded (copies), merge keys `<<` (a mapping or a sequence of mappings;
 * explicit keys win, earlier sources win) are applied, a duplicate key's later value wins.
 * Mapping keys are the scalar text as written (null/bool keys normalised to "null"/"true"/
 * "false"); non-scalar keys are rejected. Limits: nesting depth 512, 2^20 nodes including alias
 * expansion (alias bombs fail with an error). Errors (CAPZ_EINVAL) name "line L, column C". */
CAPZ_API cJSON *capz_yaml_to_json(const char *text, size_t len, capz_err *err);

CAPZ_END_DECLS
#endif
