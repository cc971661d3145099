/* kube_ssa.c — a reduced server-side apply. Each apply manager's last applied configuration is
 * kept per object; an apply merges its configuration into the live object, removes fields the
 * same manager applied before and now omits (unless another manager also applies them), and
 * reports a 409 FieldManagerConflict when it would change a leaf another apply manager set to a
 * different value (force=true takes ownership instead). Lists are atomic leaves; managedFields
 * are not emitted, and Update (non-apply) managers do not own fields. Needs KS.lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "kube_sim.h"

static bool skip_leaf(const char *ptr) {
  return strcmp(ptr, "/apiVersion") == 0 || strcmp(ptr, "/kind") == 0 || strcmp(ptr, "/metadata/name") == 0 ||
         strcmp(ptr, "/metadata/namespace") == 0 || strcmp(ptr, "/metadata/resourceVersion") == 0 ||
         strcmp(ptr, "/metadata/uid") == 0;
}

static void leaves(const cJSON *v, kbuf *path, cJSON *out) {
  if (cJSON_IsObject(v) && v->child) {
    const cJSON *c;
    cJSON_ArrayForEach(c, v) {
      size_t save = path->len;
      kbuf_puts(path, "/");
      for (const char *p = c->string; *p; p++) {
        if (*p == '~')
          kbuf_puts(path, "~0");
        else if (*p == '/')
          kbuf_puts(path, "~1");
        else
          kbuf_add(path, p, 1);
      }
      leaves(c, path, out);
      path->len = save;
      path->s[save] = '\0';
    }
    return;
  }
  const char *p = path->s ? path->s : "";
  if (*p && !skip_leaf(p)) cJSON_AddItemToArray(out, cJSON_CreateString(p));
}

static cJSON *leaf_list(const cJSON *v) {
  cJSON *out = cJSON_CreateArray();
  kbuf path = {0};
  kbuf_puts(&path, "");
  leaves(v, &path, out);
  kbuf_free(&path);
  return out;
}

static bool list_has(const cJSON *l, const char *s) {
  const cJSON *c;
  cJSON_ArrayForEach(c, l) if (strcmp(c->valuestring, s) == 0) return true;
  return false;
}

static void ptr_to_field(const char *ptr, char *out, size_t n) {
  size_t o = 0;
  for (const char *p = ptr; *p && o + 2 < n; p++) {
    if (*p == '/')
      out[o++] = '.';
    else if (*p == '~' && p[1] == '1') {
      out[o++] = '/';
      p++;
    } else if (*p == '~' && p[1] == '0') {
      out[o++] = '~';
      p++;
    } else
      out[o++] = *p;
  }
  out[o] = '\0';
}

cJSON *ssa_apply(kreq *r, kroute *rt, kobj *o, const cJSON *cur, cJSON *applied, const char *manager, bool force) {
  ktype *t = rt->t;
  cJSON *mine = leaf_list(applied);
  cJSON *conflicts = cJSON_CreateArray();
  kbuf msg = {0};
  cJSON *m;
  cJSON_ArrayForEach(m, o->managers) {
    if (strcmp(m->string, manager) == 0) continue;
    cJSON *theirs = leaf_list(m);
    const cJSON *l;
    cJSON_ArrayForEach(l, theirs) {
      if (!list_has(mine, l->valuestring)) continue;
      const cJSON *want = capz_json_ptr_get(applied, l->valuestring);
      const cJSON *have = capz_json_ptr_get(cur, l->valuestring);
      if (want && have && capz_json_equal(want, have)) continue;
      if (force) {
        capz_json_ptr_del(m, l->valuestring);
        continue;
      }
      char field[512];
      ptr_to_field(l->valuestring, field, sizeof field);
      cJSON *c = cJSON_CreateObject();
      cJSON_AddStringToObject(c, "reason", "FieldManagerConflict");
      char cm[700];
      snprintf(cm, sizeof cm, "conflict with \"%s\"", m->string);
      cJSON_AddStringToObject(c, "message", cm);
      cJSON_AddStringToObject(c, "field", field);
      cJSON_AddItemToArray(conflicts, c);
      kbuf_printf(&msg, "\n- %s: %s", cm, field);
    }
    cJSON_Delete(theirs);
  }
  int nc = cJSON_GetArraySize(conflicts);
  if (nc) {
    kdetails d = {.name = o->name, .group = t->group[0] ? t->group : NULL, .kind = t->plural, .causes = conflicts};
    resp_status(r, 409, "Conflict", &d, "Apply failed with %d conflict%s:%s", nc, nc > 1 ? "s" : "", msg.s);
    kbuf_free(&msg);
    cJSON_Delete(conflicts);
    cJSON_Delete(mine);
    return NULL;
  }
  kbuf_free(&msg);
  cJSON_Delete(conflicts);
  cJSON *res = capz_json_merge_patch(cur, applied);
  cJSON *prev = jget(o->managers, manager);
  if (prev) {
    cJSON *before = leaf_list(prev);
    const cJSON *l;
    cJSON_ArrayForEach(l, before) {
      if (list_has(mine, l->valuestring)) continue;
      bool other = false;
      cJSON_ArrayForEach(m, o->managers) {
        if (strcmp(m->string, manager) != 0 && capz_json_ptr_get(m, l->valuestring)) other = true;
      }
      if (!other) capz_json_ptr_del(res, l->valuestring);
    }
    cJSON_Delete(before);
  }
  cJSON_Delete(mine);
  return res;
}

void ssa_record(kobj *o, const char *manager, const cJSON *applied) {
  if (!applied) return;
  if (!o->managers) o->managers = cJSON_CreateObject();
  jset(o->managers, manager, cJSON_Duplicate(applied, 1));
}
