/* arm_engine.c — the generic resource engine: GET/list/PUT/PATCH/DELETE/actions for every type described
 * by an arm_rtype, with ARM's rules (parent checks, ETags, immutable fields, busy conflicts, LRO styles,
 * embedded children kept consistent with their child resources, cascading deletes). Types only add
 * validators, generated fields and actions. All functions run under the world lock. */
#include "arm_sim.h"

#include <capz/json.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- helpers for type files */

void arm_new_etag(arm_res *r) { arm_uuid(r->etag); }

void arm_set_state(arm_res *r, const char *state) {
  if (!r->rt->create_state && r->rt != &arm_rt_resource_group) return;
  cJSON *p = arm_props(r->doc);
  arm_jset(p, "provisioningState", cJSON_CreateString(state));
}

const char *arm_get_state(arm_res *r) {
  return capz_json_ptr_str(r->doc, "/properties/provisioningState", NULL);
}


static const char *embed_seg(const arm_rtype *child) { return strrchr(child->type, '/') + 1; }

/* Children of r of type child, in creation order (array of borrowed pointers, caller frees). */
static arm_res **children_of(arm_ctx *c, arm_res *r, const arm_rtype *child, int *n) {
  *n = 0;
  int cap = 8;
  arm_res **v = malloc((size_t)cap * sizeof *v);
  if (!v) return NULL;
  char pre[ARM_ID_MAX + 128];
  snprintf(pre, sizeof pre, "%s/%s/", r->key, embed_seg(child));
  arm_lower(pre, pre, sizeof pre);
  size_t pl = strlen(pre);
  for (arm_res *x = arm_store_first_of(c->store, child); x; x = x->tnext) {
    if (strncmp(x->key, pre, pl) != 0 || strchr(x->key + pl, '/')) continue;
    if (*n == cap) {
      cap *= 2;
      arm_res **nv = realloc(v, (size_t)cap * sizeof *nv);
      if (!nv) break;
      v = nv;
    }
    v[(*n)++] = x;
  }
  return v;
}

static void put_etag(const arm_res *r, cJSON *out, bool header_form, char *buf, size_t n) {
  if (r->rt->flags & ARM_RT_ETAG_UPPER) {
    snprintf(buf, n, "%s", r->etag);
    if (out) arm_jset(out, "eTag", cJSON_CreateString(buf));
  } else if (strncmp(r->rt->type, "Microsoft.Network/", 18) == 0 && !(r->rt->flags & ARM_RT_ETAG_HEADERS)) {
    snprintf(buf, n, "W/\"%s\"", r->etag);
    if (out) arm_jset(out, "etag", cJSON_CreateString(buf));
  } else {
    snprintf(buf, n, "\"%s\"", r->etag);
    if (out) arm_jset(out, "etag", cJSON_CreateString(header_form ? buf : buf));
  }
}

cJSON *arm_render(arm_ctx *c, arm_res *r, const arm_req *q) {
  cJSON *out = cJSON_Duplicate(r->doc, 1);
  if (!out) return cJSON_CreateObject();
  char et[96];
  if (r->rt->flags & (ARM_RT_ETAG_BODY | ARM_RT_ETAG_HEADERS | ARM_RT_ETAG_UPPER)) put_etag(r, out, false, et, sizeof et);
  for (int k = 0;; k++) {
    const arm_rtype *ch = arm_rtype_child_embedded(r->rt, k);
    if (!ch) break;
    int n = 0;
    arm_res **kids = children_of(c, r, ch, &n);
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
      cJSON *kr = arm_render(c, kids[i], q);
      if (ch->flags & ARM_RT_EMBED_FLAT) {
        /* {name, ...properties} */
        cJSON *flat = cJSON_CreateObject();
        cJSON_AddStringToObject(flat, "name", arm_id_name(kids[i]->id));
        cJSON *pp = cJSON_GetObjectItemCaseSensitive(kr, "properties");
        cJSON *it;
        cJSON_ArrayForEach(it, pp) cJSON_AddItemToObject(flat, it->string, cJSON_Duplicate(it, 1));
        cJSON_Delete(kr);
        kr = flat;
      }
      cJSON_AddItemToArray(arr, kr);
    }
    free(kids);
    arm_jset(arm_props(out), ch->embed_member, arr);
  }
  if (r->rt->render) r->rt->render(c, r, out, q);
  return out;
}

/* ---------------------------------------------------------------- references */

static bool doc_refers(const cJSON *j, const char *id) {
  if (cJSON_IsString(j)) {
    size_t L = strlen(id);
    return strncasecmp(j->valuestring, id, L) == 0 && (j->valuestring[L] == '\0' || j->valuestring[L] == '/');
  }
  if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
    const cJSON *it;
    cJSON_ArrayForEach(it, j) if (doc_refers(it, id)) return true;
  }
  return false;
}

static bool under_key(const char *key, const char *root) {
  size_t rl = strlen(root);
  return strncmp(key, root, rl) == 0 && (key[rl] == '\0' || key[rl] == '/');
}

static bool kept(const arm_ctx *c, const char *key) {
  for (size_t i = 0; i < c->nkept; i++)
    if (c->kept[i] && under_key(key, c->kept[i])) return true;
  return false;
}

bool arm_referenced(arm_ctx *c, const char *id, const char *const *from_types, char *who, size_t n) {
  char key[ARM_ID_MAX];
  arm_lower(key, id, sizeof key);
  size_t kl = strlen(key);
  for (arm_res *x = arm_store_first(c->store); x; x = x->next) {
    if (strncmp(x->key, key, kl) == 0 && (x->key[kl] == '\0' || x->key[kl] == '/')) continue;
    if (from_types) {
      bool ok = false;
      for (int i = 0; from_types[i]; i++) ok |= strcasecmp(from_types[i], x->rt->type) == 0;
      if (!ok) continue;
    }
    const char *st = arm_get_state(x);
    if (st && strcmp(st, "Deleting") == 0) continue;
    if (c->deleting_root && under_key(x->key, c->deleting_root) && !kept(c, x->key)) continue; /* goes too */
    /* the "id" of a sub-object is the referrer's own id; skip its top-level id member */
    const cJSON *it;
    cJSON_ArrayForEach(it, x->doc) {
      if (it->string && strcmp(it->string, "id") == 0) continue;
      if (doc_refers(it, id)) {
        if (who) snprintf(who, n, "%s", x->id);
        return true;
      }
    }
  }
  return false;
}

static bool under_any(const char *key, const char *const *roots, int n) {
  for (int i = 0; i < n; i++)
    if (under_key(key, roots[i])) return true;
  return false;
}

bool arm_referenced_from_outside(arm_ctx *c, const char *id, const char *const *roots, int n) {
  for (arm_res *x = arm_store_first(c->store); x; x = x->next) {
    if (under_any(x->key, roots, n)) continue;
    const cJSON *it;
    cJSON_ArrayForEach(it, x->doc) {
      if (it->string && strcmp(it->string, "id") == 0) continue;
      if (doc_refers(it, id)) return true;
    }
  }
  return false;
}

int arm_check_ref_id(arm_ctx *c, const char *id, const char *type, const char *what, arm_err *e) {
  arm_res *x = arm_store_get(c->store, id);
  if (!x || (type && strcasecmp(x->rt->type, type) != 0))
    return arm_err_set(e, 400, "InvalidResourceReference", "Resource %s referenced by %s was not found.", id, what);
  const char *st = arm_get_state(x);
  if (st && strcmp(st, "Deleting") == 0)
    return arm_err_set(e, 400, "InvalidResourceReference", "Resource %s referenced by %s is being deleted.", id, what);
  return 0;
}

int arm_check_ref(arm_ctx *c, const cJSON *doc, const char *ptr, const char *type, arm_err *e) {
  const char *id = capz_json_ptr_str(doc, ptr, NULL);
  if (!id) return 0;
  return arm_check_ref_id(c, id, type, ptr, e);
}

bool arm_sku_known(arm_ctx *c, const char *name, cJSON **sku_out) {
  const cJSON *s;
  cJSON_ArrayForEach(s, c->cfg.skus) {
    if (arm_ieq(arm_jstr(s, "name"), name)) {
      if (sku_out) *sku_out = (cJSON *)s;
      return true;
    }
  }
  return false;
}

bool arm_expand(const arm_req *q, const char *what) {
  if (!q) return false;
  const char *v = arm_req_query(q, "$expand");
  return v && strcasestr(v, what) != NULL;
}

/* ---------------------------------------------------------------- ids */

/* id with canonical type casing: scope + /providers/NS/t1/n1/t2/n2 */
static void canonical_id(const arm_path *p, const arm_rtype *rt, char *out, size_t n) {
  if (rt == &arm_rt_resource_group) {
    snprintf(out, n, "/subscriptions/%s/resourceGroups/%s", p->sub, p->rg);
    return;
  }
  char tbuf[256];
  snprintf(tbuf, sizeof tbuf, "%s", rt->type);
  char *segs[16] = {tbuf};
  int ns = 0;
  char *save = NULL;
  for (char *t = strtok_r(tbuf, "/", &save); t && ns < 16; t = strtok_r(NULL, "/", &save)) segs[ns++] = t;
  int w = snprintf(out, n, "%.900s/providers/%.100s", p->scope, segs[0]);
  size_t l = w < 0 ? 0 : (size_t)w;
  int names = 0;
  for (int i = 1; i < ns && l < n; i++) {
    const char *nm = p->seg[p->prov + 3 + 2 * (i - 1)];
    l += (size_t)snprintf(out + l, n - l, "/%s/%s", segs[i], nm);
    names++;
  }
  (void)names;
}

static void child_id(const arm_res *parent, const arm_rtype *child, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s/%s", parent->id, embed_seg(child), name);
}

/* ---------------------------------------------------------------- ETags, conflicts */

static bool etag_match(const arm_res *r, const char *hdr) {
  if (strcmp(hdr, "*") == 0) return true;
  /* accept "x", W/"x", x, comma lists */
  const char *p = hdr;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    if (strncmp(p, "W/", 2) == 0) p += 2;
    if (*p == '"') p++;
    size_t L = strcspn(p, "\",");
    if (L == strlen(r->etag) && strncmp(p, r->etag, L) == 0) return true;
    p += L;
    if (*p == '"') p++;
  }
  return false;
}

/* 412 rules of the RPC (section 4 of the reference). */
static bool check_preconditions(const arm_req *q, const arm_rtype *rt, arm_res *r, bool is_put, arm_resp *out) {
  if (!(rt->flags & ARM_RT_ETAG_HEADERS)) return true;
  const char *im = arm_req_header(q, "If-Match"), *inm = arm_req_header(q, "If-None-Match");
  if (im && *im) {
    if (!r) {
      if (!is_put) return true; /* PATCH/DELETE on a missing resource: 404/204 as usual */
      arm_resp_error(out, 412, "PreconditionFailed", "The resource does not exist, so If-Match '%.80s' cannot match.", im);
      return false;
    }
    if (!etag_match(r, im)) {
      arm_resp_error(out, 412, "PreconditionFailed",
                     "The specified precondition 'If-Match = %.80s' failed: the current ETag is \"%s\".", im, r->etag);
      return false;
    }
  }
  if (is_put && inm && *inm && r) {
    if (strcmp(inm, "*") == 0 || etag_match(r, inm)) {
      arm_resp_error(out, 412, "PreconditionFailed",
                     "The specified precondition 'If-None-Match = %.80s' failed: the resource already exists.", inm);
      return false;
    }
  }
  return true;
}

static void op_url_for(arm_ctx *c, const arm_req *q, const char *opid, char *out, size_t n) {
  arm_op *op = arm_lro_get(c->lro, opid);
  if (!op) { snprintf(out, n, "%s", opid); return; }
  snprintf(out, n, "%s/subscriptions/%s/providers/%s/locations/%s/operations/%s?api-version=%s", q->base_url, op->sub,
           op->rp, op->location, op->id, op->api_version);
}

/* A write on r (or a new child under parent) while r, one of its ancestors or (for AKS) a child is busy. */
static bool busy_conflict(arm_ctx *c, const arm_req *q, const arm_rtype *rt, arm_res *r, const char *id, arm_resp *out) {
  arm_res *busy = (r && r->busy_op[0]) ? r : NULL;
  if (!busy) {
    char par[ARM_ID_MAX];
    snprintf(par, sizeof par, "%s", id);
    for (int depth = 0; depth < 4 && !busy; depth++) {
      char up[ARM_ID_MAX];
      arm_id_parent(par, up, sizeof up);
      if (!up[0] || strchr(up + 1, '/') == NULL) break;
      arm_res *x = arm_store_get(c->store, up);
      if (x && x->rt != &arm_rt_resource_group && x->busy_op[0] && rt->lro != ARM_LRO_SYNC) busy = x;
      snprintf(par, sizeof par, "%s", up);
    }
  }
  if (!busy && r && rt->lro == ARM_LRO_AKS) {
    size_t kl = strlen(r->key);
    for (arm_res *x = arm_store_first(c->store); x && !busy; x = x->next)
      if (x != r && strncmp(x->key, r->key, kl) == 0 && x->key[kl] == '/' && x->busy_op[0]) busy = x;
  }
  if (!busy) return false;
  const char *what = busy->busy_what[0] ? busy->busy_what : "Updating";
  if (rt->lro == ARM_LRO_AKS) {
    if (strstr(busy->rt->type, "agentPools"))
      arm_resp_error(out, 409, "OperationNotAllowed",
                     "Operation is not allowed: Another agentpool operation (%s - %s) is in progress, please wait for it "
                     "to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details",
                     arm_id_name(busy->id), what);
    else
      arm_resp_error(out, 409, "OperationNotAllowed",
                     "Operation is not allowed: Another operation (%s) is in progress, please wait for it to finish "
                     "before starting a new operation. See https://aka.ms/aks-pending-operation for more details", what);
  } else if (strncmp(rt->type, "Microsoft.Network/", 18) == 0) {
    char url[ARM_ID_MAX + 256];
    op_url_for(c, q, busy->busy_op, url, sizeof url);
    arm_resp_error(out, 409, "AnotherOperationInProgress",
                   "Another operation on this or dependent resource is in progress. To retrieve status of the operation "
                   "use uri: %s.", url);
  } else {
    arm_resp_error(out, 409, "Conflict",
                   "The operation cannot be performed because resource '%s' is in state '%s' and another operation is in "
                   "progress.", arm_id_name(busy->id), what);
  }
  return true;
}

/* ---------------------------------------------------------------- delete */

static int cmp_depth_desc(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t lx = strlen(x), ly = strlen(y);
  return lx < ly ? 1 : lx > ly ? -1 : 0;
}

static bool may_lie_under(const arm_rtype *t, const arm_rtype *parent) {
  if (t == parent || parent == &arm_rt_resource_group || (t->flags & ARM_RT_EXTENSION)) return true;
  size_t L = strlen(parent->type);
  return strncasecmp(t->type, parent->type, L) == 0 && t->type[L] == '/';
}

void arm_engine_delete_tree(arm_ctx *c, arm_res *r) {
  char root[ARM_ID_MAX];
  snprintf(root, sizeof root, "%s", r->key);
  size_t kl = strlen(root);
  size_t cap = 16, n = 0;
  char **keys = malloc(cap * sizeof *keys);
  if (!keys) return;
  /* only the types that can lie under r: its own, its child types, extension resources */
  for (int t = 0; t < arm_rtype_count(); t++) {
    const arm_rtype *tt = arm_rtype_at(t);
    if (!may_lie_under(tt, r->rt)) continue;
    for (arm_res *x = arm_store_first_of(c->store, tt); x; x = x->tnext) {
      if (strncmp(x->key, root, kl) != 0 || (x->key[kl] != '\0' && x->key[kl] != '/')) continue;
      if (n == cap) {
        char **nk = realloc(keys, cap * 2 * sizeof *nk);
        if (!nk) break;
        keys = nk;
        cap *= 2;
      }
      keys[n++] = strdup(x->key);
    }
  }
  qsort(keys, n, sizeof *keys, cmp_depth_desc); /* children first */
  for (size_t i = 0; i < n; i++) {
    arm_res *x = keys[i] ? arm_store_get(c->store, keys[i]) : NULL;
    if (x) {
      if (x->busy_op[0]) {
        arm_op *op = arm_lro_get(c->lro, x->busy_op);
        if (op && op->kind != ARM_OPK_DELETE) { x->busy_op[0] = '\0'; arm_lro_finish(c, op, ARM_OP_CANCELED); }
      }
      x = arm_store_get(c->store, keys[i]);
      if (x) {
        if (x->rt->on_delete) x->rt->on_delete(c, x);
        x = arm_store_get(c->store, keys[i]);
        if (x) arm_store_remove(c->store, x);
      }
    }
    free(keys[i]);
  }
  free(keys);
}

int arm_engine_can_delete(arm_ctx *c, arm_res *r, const char *root, arm_err *e) {
  const char *saved = c->deleting_root;
  c->deleting_root = root ? root : r->key;
  int rc = r->rt->can_delete && r->rt->can_delete(c, r, e) ? -1 : 0;
  size_t kl = strlen(r->key);
  for (arm_res *x = r->next; x && !rc; x = x->next)
    if (strncmp(x->key, r->key, kl) == 0 && x->key[kl] == '/' && x->rt->can_delete && x->rt->embed_member &&
        x->rt->can_delete(c, x, e))
      rc = -1;
  c->deleting_root = saved;
  return rc;
}

static int can_delete_tree(arm_ctx *c, arm_res *r, arm_err *e) { return arm_engine_can_delete(c, r, NULL, e); }

/* ---------------------------------------------------------------- write pipeline */

static void strip_readonly(cJSON *doc, const arm_rtype *rt) {
  static const char *ro[] = {"id", "name", "type", "etag", "eTag", "systemData", NULL};
  for (int i = 0; ro[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(doc, ro[i]);
  cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "properties");
  if (cJSON_IsObject(p)) {
    cJSON_DeleteItemFromObjectCaseSensitive(p, "provisioningState");
    if (rt->flags & ARM_RT_ETAG_UPPER) cJSON_DeleteItemFromObjectCaseSensitive(p, "eTag");
  }
}

static bool valid_name(const char *n) {
  size_t L = strlen(n);
  if (L == 0 || L > 260) return false;
  for (size_t i = 0; i < L; i++) {
    unsigned char ch = (unsigned char)n[i];
    if (ch < 0x20 || strchr("<>%&\\?/#*\"", ch)) return false;
  }
  return n[L - 1] != '.' && n[L - 1] != ' ';
}

static void normalize_location(cJSON *doc) {
  cJSON *l = cJSON_GetObjectItemCaseSensitive(doc, "location");
  if (!cJSON_IsString(l)) return;
  char buf[64];
  size_t j = 0;
  for (const char *s = l->valuestring; *s && j + 1 < sizeof buf; s++)
    if (*s != ' ') buf[j++] = (char)tolower((unsigned char)*s);
  buf[j] = '\0';
  cJSON_SetValuestring(l, buf);
}

/* Check and apply one document to the store. parent_op: embedded children join the parent's op. */
static arm_res *write_one(arm_ctx *c, const arm_req *q, const arm_rtype *rt, const char *id, arm_res *existing,
                          cJSON *doc, bool keep_absent_children, arm_err *e);

static int split_embedded(const arm_rtype *rt, cJSON *doc, cJSON **members, int *nmem, const arm_rtype **ctypes,
                          arm_err *e) {
  *nmem = 0;
  cJSON *props = cJSON_GetObjectItemCaseSensitive(doc, "properties");
  for (int k = 0;; k++) {
    const arm_rtype *ch = arm_rtype_child_embedded(rt, k);
    if (!ch || k >= 8) break;
    cJSON *arr = cJSON_IsObject(props) ? cJSON_DetachItemFromObjectCaseSensitive(props, ch->embed_member) : NULL;
    if (arr && !cJSON_IsArray(arr) && !cJSON_IsNull(arr)) {
      cJSON_Delete(arr);
      for (int i = 0; i < *nmem; i++) cJSON_Delete(members[i]);
      return arm_err_set(e, 400, "InvalidRequestFormat", "properties.%s must be an array.", ch->embed_member);
    }
    if (cJSON_IsNull(arr)) { cJSON_Delete(arr); arr = NULL; }
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
      const char *nm = arm_jstr(it, "name");
      if (!nm || !valid_name(nm)) {
        cJSON_Delete(arr);
        for (int i = 0; i < *nmem; i++) cJSON_Delete(members[i]);
        return arm_err_set(e, 400, "InvalidRequestFormat", "Each element of properties.%s needs a valid 'name'.",
                           ch->embed_member);
      }
    }
    ctypes[*nmem] = ch;
    members[(*nmem)++] = arr; /* may be NULL = absent */
  }
  return 0;
}

static cJSON *embedded_to_doc(const arm_rtype *ch, const cJSON *el) {
  cJSON *d = cJSON_CreateObject();
  if (ch->flags & ARM_RT_EMBED_FLAT) {
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    const cJSON *it;
    cJSON_ArrayForEach(it, el) if (strcmp(it->string, "name") != 0) cJSON_AddItemToObject(p, it->string, cJSON_Duplicate(it, 1));
  } else {
    const cJSON *it;
    cJSON_ArrayForEach(it, el) if (strcmp(it->string, "name") != 0) cJSON_AddItemToObject(d, it->string, cJSON_Duplicate(it, 1));
  }
  return d;
}

static arm_res *write_one(arm_ctx *c, const arm_req *q, const arm_rtype *rt, const char *id, arm_res *existing,
                          cJSON *doc, bool keep_absent_children, arm_err *e) {
  const char *name = arm_id_name(id);
  if (!valid_name(name)) {
    cJSON_Delete(doc);
    arm_err_set(e, 400, "InvalidResourceName", "Resource name '%.100s' is invalid.", name);
    return NULL;
  }
  strip_readonly(doc, rt);
  normalize_location(doc);
  if (rt->flags & ARM_RT_TRACKED) {
    const char *loc = arm_jstr(doc, "location");
    if (!loc && existing) {
      const char *ol = arm_jstr(existing->doc, "location");
      if (ol) cJSON_AddStringToObject(doc, "location", ol), loc = arm_jstr(doc, "location");
    }
    if (!loc || !*loc) {
      cJSON_Delete(doc);
      arm_err_set(e, 400, "LocationRequired", "The location property is required for this definition.");
      return NULL;
    }
    if (strcmp(loc, "global") != 0 && !arm_cfg_region(&c->cfg, loc)) {
      arm_err_set(e, 400, "LocationNotAvailableForResourceType",
                  "The provided location '%.64s' is not available for resource type '%s'.", loc, rt->type);
      cJSON_Delete(doc);
      return NULL;
    }
    const char *ol = existing ? arm_jstr(existing->doc, "location") : NULL;
    if (ol && strcasecmp(ol, loc) != 0) {
      arm_err_set(e, 400, "InvalidResourceLocation",
                  "The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same "
                  "name cannot be created in location '%s'. Please select a new resource name.",
                  name, ol, q->path, loc);
      cJSON_Delete(doc);
      return NULL;
    }
  }
  cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "tags");
  if (tags && !cJSON_IsObject(tags) && !cJSON_IsNull(tags)) {
    cJSON_Delete(doc);
    arm_err_set(e, 400, "InvalidRequestFormat", "tags must be an object of strings.");
    return NULL;
  }
  cJSON *props = cJSON_GetObjectItemCaseSensitive(doc, "properties");
  if (props && !cJSON_IsObject(props)) {
    cJSON_Delete(doc);
    arm_err_set(e, 400, "InvalidRequestFormat", "properties must be an object.");
    return NULL;
  }
  if (existing && rt->immutable) {
    for (int i = 0; rt->immutable[i]; i++) {
      const cJSON *ov = capz_json_ptr_get(existing->doc, rt->immutable[i]);
      const cJSON *nv = capz_json_ptr_get(doc, rt->immutable[i]);
      if (!ov) continue;
      if (!nv) { capz_json_ptr_set(doc, rt->immutable[i], cJSON_Duplicate(ov, 1), NULL); continue; }
      if (!capz_json_equal(ov, nv)) {
        bool strings_ci = cJSON_IsString(ov) && cJSON_IsString(nv) && strcasecmp(ov->valuestring, nv->valuestring) == 0;
        if (!strings_ci) {
          cJSON_Delete(doc);
          arm_err_set(e, 400, "PropertyChangeNotAllowed", "Changing property '%s' is not allowed.", rt->immutable[i] + 1);
          return NULL;
        }
      }
    }
  }
  /* the type validates the whole body (embedded children included), then children are split off */
  if (rt->validate && rt->validate(c, id, existing, doc, e)) { cJSON_Delete(doc); return NULL; }
  cJSON *members[8];
  const arm_rtype *ctypes[8];
  int nmem = 0;
  if (split_embedded(rt, doc, members, &nmem, ctypes, e)) { cJSON_Delete(doc); return NULL; }
  int rc = 0;
  /* children that would disappear must be deletable */
  if (!rc && existing) {
    for (int m = 0; m < nmem && !rc; m++) {
      if (!members[m] && (keep_absent_children || (ctypes[m]->flags & ARM_RT_EMBED_KEEP))) continue;
      int n = 0;
      arm_res **kids = children_of(c, existing, ctypes[m], &n);
      for (int i = 0; i < n && !rc; i++) {
        bool kept = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, members[m]) kept |= arm_ieq(arm_jstr(it, "name"), arm_id_name(kids[i]->id));
        if (!kept && ctypes[m]->can_delete) rc = ctypes[m]->can_delete(c, kids[i], e);
      }
      free(kids);
    }
  }
  if (rc) {
    cJSON_Delete(doc);
    for (int m = 0; m < nmem; m++) cJSON_Delete(members[m]);
    return NULL;
  }
  cJSON_AddStringToObject(doc, "id", id);
  cJSON_AddStringToObject(doc, "name", name);
  cJSON_AddStringToObject(doc, "type", rt->type);
  /* keep generated read-only properties of the old document the client did not send */
  cJSON *olddoc = existing ? cJSON_Duplicate(existing->doc, 1) : NULL;
  arm_res *r = existing ? existing : NULL;
  if (r) {
    cJSON_Delete(r->doc);
    r->doc = doc;
  } else {
    r = arm_store_put(c->store, id, rt, doc);
    if (!r) {
      for (int m = 0; m < nmem; m++) cJSON_Delete(members[m]);
      cJSON_Delete(olddoc);
      arm_err_set(e, 500, "InternalServerError", "out of memory");
      return NULL;
    }
  }
  arm_new_etag(r);
  if (rt->create_state) arm_set_state(r, existing ? "Updating" : rt->create_state);
  if (rt->fill && rt->fill(c, r, olddoc, e)) {
    /* roll back */
    if (existing) {
      cJSON_Delete(r->doc);
      r->doc = olddoc;
      olddoc = NULL;
    } else {
      arm_store_remove(c->store, r);
    }
    for (int m = 0; m < nmem; m++) cJSON_Delete(members[m]);
    cJSON_Delete(olddoc);
    return NULL;
  }
  cJSON_Delete(olddoc);
  /* write children, then drop the absent ones */
  const char *saved_embedding = c->embedding;
  c->embedding = r->key;
  for (int m = 0; m < nmem; m++) {
    const arm_rtype *ch = ctypes[m];
    if (!members[m] && (keep_absent_children || (ch->flags & ARM_RT_EMBED_KEEP))) continue;
    const cJSON *it;
    cJSON_ArrayForEach(it, members[m]) {
      char cid[ARM_ID_MAX];
      child_id(r, ch, arm_jstr(it, "name"), cid, sizeof cid);
      arm_res *old = arm_store_get(c->store, cid);
      arm_err ce;
      if (!write_one(c, q, ch, old ? old->id : cid, old, embedded_to_doc(ch, it), false, &ce)) {
        *e = ce;
        for (int k = m; k < nmem; k++) cJSON_Delete(members[k]);
        c->embedding = saved_embedding;
        return r; /* parent written; report the child's error */
      }
      arm_res *cr = arm_store_get(c->store, cid);
      if (cr && rt->create_state) arm_set_state(cr, arm_get_state(r) ? arm_get_state(r) : "Succeeded");
    }
    if (existing && !((ch->flags & ARM_RT_EMBED_KEEP) && !members[m])) {
      int n = 0;
      arm_res **kids = children_of(c, r, ch, &n);
      for (int i = 0; i < n; i++) {
        bool kept = false;
        cJSON_ArrayForEach(it, members[m]) kept |= arm_ieq(arm_jstr(it, "name"), arm_id_name(kids[i]->id));
        if (!kept) arm_engine_delete_tree(c, kids[i]);
      }
      free(kids);
    }
    cJSON_Delete(members[m]);
  }
  c->embedding = saved_embedding;
  return r;
}

arm_res *arm_engine_create(arm_ctx *c, const char *id, const char *type, cJSON *doc, arm_err *e) {
  const arm_rtype *rt = arm_rtype_find(type);
  if (!rt) { cJSON_Delete(doc); arm_err_set(e, 500, "InternalServerError", "unknown type %s", type); return NULL; }
  arm_req q;
  memset(&q, 0, sizeof q);
  q.method = "PUT";
  q.path = id;
  arm_res *old = arm_store_get(c->store, id);
  e->code[0] = '\0';
  arm_res *r = write_one(c, &q, rt, old ? old->id : id, old, doc, true, e);
  if (r && !e->code[0]) {
    if (rt->create_state || rt == &arm_rt_resource_group) arm_set_state(r, "Succeeded");
    if (rt->on_ready) rt->on_ready(c, r);
  }
  return e->code[0] ? NULL : r;
}

/* ---------------------------------------------------------------- verbs */

static const char *rp_of(const arm_rtype *rt, char *buf, size_t n) {
  snprintf(buf, n, "%s", rt->type);
  char *sl = strchr(buf, '/');
  if (sl) *sl = '\0';
  return buf;
}

static const char *location_of(arm_ctx *c, arm_res *r) {
  for (arm_res *x = r; x;) {
    const char *l = arm_jstr(x->doc, "location");
    if (l && strcmp(l, "global") != 0) return l;
    char up[ARM_ID_MAX];
    arm_id_parent(x->id, up, sizeof up);
    x = up[0] ? arm_store_get(c->store, up) : NULL;
  }
  (void)c;
  return "eastus";
}

static void respond_resource(arm_ctx *c, const arm_req *q, arm_res *r, int status, arm_resp *out) {
  cJSON *b = arm_render(c, r, q);
  if (r->rt->flags & (ARM_RT_ETAG_HEADERS | ARM_RT_ETAG_BODY | ARM_RT_ETAG_UPPER)) {
    char et[96];
    put_etag(r, NULL, true, et, sizeof et);
    arm_resp_header(out, "ETag", "%s", et);
  }
  arm_resp_json(out, status, b);
}

static void do_write(arm_ctx *c, arm_req *q, const arm_path *p, const arm_rtype *rt, arm_res *existing, cJSON *doc,
                     bool is_patch, arm_resp *out) {
  char id[ARM_ID_MAX];
  if (existing) snprintf(id, sizeof id, "%s", existing->id);
  else canonical_id(p, rt, id, sizeof id);
  if (busy_conflict(c, q, rt, existing, id, out)) { cJSON_Delete(doc); return; }
  arm_err e;
  memset(&e, 0, sizeof e);
  arm_res *r = write_one(c, q, rt, id, existing, doc, is_patch, &e);
  if (!r) { arm_resp_error(out, e.status ? e.status : 400, e.code[0] ? e.code : "BadRequest", "%s", e.msg); return; }
  if (e.code[0]) { /* an embedded child was refused after its parent was written */
    if (rt->create_state) arm_set_state(r, "Failed");
    arm_resp_error(out, e.status, e.code, "%s", e.msg);
    return;
  }
  int created = existing ? 200 : 201;
  char rp[64];
  rp_of(rt, rp, sizeof rp);
  bool nrp_tags_patch = is_patch && rt->lro == ARM_LRO_NRP;
  if (rt->lro == ARM_LRO_SYNC || rt->lro == ARM_LRO_RG || nrp_tags_patch) {
    if (rt->create_state || rt == &arm_rt_resource_group) arm_set_state(r, "Succeeded");
    if (rt->on_ready) rt->on_ready(c, r);
    respond_resource(c, q, r, created, out);
    return;
  }
  /* a type may have picked a more specific transitional state (AKS: Scaling, Upgrading) */
  const char *st = arm_get_state(r);
  bool specific = st && strcmp(st, "Succeeded") && strcmp(st, "Failed") && strcmp(st, "Canceled");
  snprintf(r->busy_what, sizeof r->busy_what, "%s",
           specific ? st : existing ? "Updating" : rt->create_state ? rt->create_state : "Updating");
  arm_op *op = arm_lro_start(c, ARM_OPK_PUT, r, rp, location_of(c, r), q);
  if (!op) { arm_resp_error(out, 500, "InternalServerError", "out of memory"); return; }
  /* NRP serialises a parent's children; AKS one operation per cluster */
  char up[ARM_ID_MAX];
  arm_id_parent(r->id, up, sizeof up);
  arm_res *parent = up[0] ? arm_store_get(c->store, up) : NULL;
  if (parent && parent->rt != &arm_rt_resource_group && (rt->lro == ARM_LRO_NRP || rt->lro == ARM_LRO_AKS)) {
    arm_lro_hold(c, op, parent);
    snprintf(parent->busy_what, sizeof parent->busy_what, "%s", "Updating");
  }
  if (rt->lro == ARM_LRO_DISK) {
    arm_set_state(r, "Updating");
    respond_resource(c, q, r, 202, out);
    arm_lro_headers(c, op, q, true, true, out);
  } else {
    respond_resource(c, q, r, is_patch && rt->lro == ARM_LRO_AKS ? 202 : created, out);
    arm_lro_headers(c, op, q, true, is_patch, out);
  }
  if (op->due <= arm_now() && op->result_status != ARM_OP_STUCK) { /* zero duration: finished by the next request */ }
}

static void do_delete(arm_ctx *c, arm_req *q, const arm_path *p, const arm_rtype *rt, arm_res *r, arm_resp *out) {
  (void)p;
  if (!r) {
    if (rt == &arm_rt_resource_group)
      arm_resp_error(out, 404, "ResourceGroupNotFound", "Resource group '%s' could not be found.", p->rg);
    else out->status = 204;
    return;
  }
  if (!check_preconditions(q, rt, r, false, out)) return;
  if (r->busy_op[0]) {
    arm_op *op = arm_lro_get(c->lro, r->busy_op);
    if (op && op->kind == ARM_OPK_DELETE) { /* already deleting: same operation */
      out->status = 202;
      arm_lro_headers(c, op, q, rt->lro != ARM_LRO_RG, true, out);
      return;
    }
    if (rt->lro == ARM_LRO_NRP && busy_conflict(c, q, rt, r, r->id, out)) return;
    if (op) arm_lro_finish(c, op, ARM_OP_CANCELED); /* Compute and AKS let a delete preempt a running PUT */
  }
  arm_err e;
  memset(&e, 0, sizeof e);
  /* a resource group always starts deleting: its contents go in dependency order when the operation runs and
   * only references from outside the group can make it fail (arm_cascade.c) */
  if (rt != &arm_rt_resource_group && can_delete_tree(c, r, &e)) {
    arm_resp_error(out, e.status, e.code, "%s", e.msg);
    return;
  }
  if (rt->lro == ARM_LRO_SYNC) {
    arm_engine_delete_tree(c, r);
    out->status = 200;
    return;
  }
  char rp[64];
  rp_of(rt, rp, sizeof rp);
  if (rt->create_state || rt == &arm_rt_resource_group) arm_set_state(r, rt->delete_state ? rt->delete_state : "Deleting");
  snprintf(r->busy_what, sizeof r->busy_what, "%s", rt->delete_state ? rt->delete_state : "Deleting");
  arm_op *op = arm_lro_start(c, ARM_OPK_DELETE, r, rp, location_of(c, r), q);
  if (!op) { arm_resp_error(out, 500, "InternalServerError", "out of memory"); return; }
  if (rt == &arm_rt_resource_group) {
    op->location_only = true;
    /* everything inside shows Deleting until the cascade runs */
    size_t kl = strlen(r->key);
    for (arm_res *x = arm_store_first(c->store); x; x = x->next)
      if (strncmp(x->key, r->key, kl) == 0 && x->key[kl] == '/' && (x->rt->create_state)) arm_set_state(x, "Deleting");
  }
  out->status = 202;
  arm_lro_headers(c, op, q, rt->lro != ARM_LRO_RG, true, out);
}

static bool parent_checks(arm_ctx *c, const arm_path *p, const arm_rtype *rt, const char *id, bool write, arm_resp *out) {
  if (p->sub && !arm_auth_subscription_exists(c->auth, p->sub)) {
    arm_resp_error(out, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.", p->sub);
    return false;
  }
  if (p->rg && rt != &arm_rt_resource_group) {
    char rgid[ARM_ID_MAX];
    snprintf(rgid, sizeof rgid, "/subscriptions/%s/resourceGroups/%s", p->sub, p->rg);
    arm_res *rg = arm_store_get(c->store, rgid);
    if (!rg) {
      arm_resp_error(out, 404, "ResourceGroupNotFound", "Resource group '%s' could not be found.", p->rg);
      return false;
    }
    if (write && rg->busy_op[0]) {
      arm_resp_error(out, 409, "ResourceGroupBeingDeleted",
                     "The resource group '%s' is in deprovisioning state and cannot perform this operation.", p->rg);
      return false;
    }
  }
  /* parent resource of a child or an extension resource */
  char up[ARM_ID_MAX];
  if (rt->flags & ARM_RT_EXTENSION) snprintf(up, sizeof up, "%s", p->scope);
  else if (rt == &arm_rt_resource_group) up[0] = '\0';
  else arm_id_parent(id, up, sizeof up);
  int slashes = 0;
  for (const char *s = up; *s; s++) slashes += *s == '/';
  if (up[0] && slashes > 4) { /* deeper than /subscriptions/s/resourceGroups/rg */
    if (!arm_store_get(c->store, up)) {
      arm_resp_error(out, 404, "ParentResourceNotFound",
                     "Can not perform requested operation on nested resource. Parent resource '%s' not found.",
                     arm_id_name(up));
      return false;
    }
  }
  return true;
}

static bool under_scope(arm_ctx *c, const arm_res *x, const arm_path *p, const arm_rtype *rt) {
  (void)c;
  char up[ARM_ID_MAX];
  if (rt->flags & ARM_RT_EXTENSION) {
    /* direct extension of the scope */
    const char *pv = strstr(x->key, "/providers/");
    const char *last = pv;
    while (pv) { last = pv; pv = strstr(pv + 1, "/providers/"); }
    size_t sl = last ? (size_t)(last - x->key) : 0;
    return strlen(p->id) == sl && strncasecmp(x->key, p->id, sl) == 0;
  }
  arm_id_parent(x->id, up, sizeof up);
  if (strcasecmp(up, p->id) == 0) return true;
  /* subscription-wide listing of a top-level type */
  if (!p->rg && p->sub && !strchr(rt->type + strlen(p->ns ? p->ns : "") + 1, '/')) {
    char sub[64];
    return arm_id_sub(x->id, sub, sizeof sub) && strcasecmp(sub, p->sub) == 0;
  }
  return false;
}

/* ---------------------------------------------------------------- paging */

/* $skiptoken: "<offset>.<8 hex of a hash of the path and offset>", so a token made up or taken from another
 * list is refused instead of silently restarting the list. */
static void skip_token(const arm_req *q, long offset, char *out, size_t n) {
  char key[ARM_ID_MAX + 32];
  snprintf(key, sizeof key, "%ld:%s", offset, q->path);
  arm_lower(key, key, sizeof key);
  snprintf(out, n, "%ld.%08x", offset, arm_hash32(key));
}

/* Offset and page size of a list request; false (out filled with 400) when its $skiptoken is not ours. */
static bool page_start(arm_ctx *c, const arm_req *q, long *skip, long *page, arm_resp *out) {
  *page = c->cfg.page_size > 0 ? c->cfg.page_size : 100;
  *skip = 0;
  const char *tok = arm_req_query(q, "$skiptoken");
  if (!tok) return true;
  char *end = NULL;
  long off = strtol(tok, &end, 10);
  char want[64];
  if (end && end != tok && off >= 0 && isdigit((unsigned char)tok[0])) skip_token(q, off, want, sizeof want);
  else want[0] = '\0';
  if (!want[0] || strcmp(want, tok) != 0) {
    arm_resp_error(out, 400, "InvalidSkipToken", "The $skiptoken '%.64s' is not valid for this list.", tok);
    return false;
  }
  *skip = off;
  return true;
}

/* nextLink: the same absolute URL (api-version and other parameters kept) with the next $skiptoken. */
static void add_next_link(const arm_req *q, cJSON *b, long next) {
  char tok[64];
  skip_token(q, next, tok, sizeof tok);
  char *link = malloc(strlen(q->base_url) + strlen(q->path) + strlen(q->raw_query ? q->raw_query : "") + 96);
  if (!link) return;
  size_t l = (size_t)sprintf(link, "%s%s?", q->base_url, q->path);
  const char *rq = q->raw_query ? q->raw_query : "";
  while (*rq) {
    size_t k = strcspn(rq, "&");
    if (strncasecmp(rq, "%24skiptoken=", 13) != 0 && strncasecmp(rq, "$skiptoken=", 11) != 0) {
      memcpy(link + l, rq, k);
      l += k;
      link[l++] = '&';
    }
    rq += k;
    if (*rq == '&') rq++;
  }
  sprintf(link + l, "%%24skiptoken=%s", tok);
  cJSON_AddStringToObject(b, "nextLink", link);
  free(link);
}

/* Role assignments listed at a scope: those at the scope, above it and (unless atScope()) below it. */
static bool ra_in_scope(const arm_res *x, const char *scope, bool at_or_above) {
  const char *xs = capz_json_ptr_str(x->doc, "/properties/scope", "");
  size_t xl = strlen(xs), sl = strlen(scope);
  if (xl == sl) return strcasecmp(xs, scope) == 0;
  if (xl < sl) return strcmp(xs, "/") == 0 || (strncasecmp(scope, xs, xl) == 0 && scope[xl] == '/');
  return !at_or_above && strncasecmp(xs, scope, sl) == 0 && xs[sl] == '/';
}

static void do_list(arm_ctx *c, arm_req *q, const arm_path *p, const arm_rtype *rt, arm_resp *out) {
  if (rt->list && rt->list(c, q, p, out)) return;
  if (!parent_checks(c, p, rt, p->id, false, out)) return;
  if (rt != &arm_rt_resource_group && !(rt->flags & ARM_RT_EXTENSION)) {
    int slashes = 0;
    for (const char *s = p->id; *s; s++) slashes += *s == '/';
    if (slashes > 4 && !arm_store_get(c->store, p->id)) {
      arm_resp_error(out, 404, "ResourceNotFound", "The Resource '%s' was not found.", arm_id_name(p->id));
      return;
    }
  }
  long skip, page;
  if (!page_start(c, q, &skip, &page, out)) return;
  arm_filter f;
  arm_err fe;
  if (arm_filter_parse(arm_req_query(q, "$filter"), &f, &fe)) {
    arm_resp_error(out, fe.status, fe.code, "%s", fe.msg);
    return;
  }
  bool ra = strcasecmp(rt->type, "Microsoft.Authorization/roleAssignments") == 0;
  cJSON *b = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(b, "value");
  long seen = 0;
  bool more = false;
  for (arm_res *x = arm_store_first_of(c->store, rt); x; x = x->tnext) {
    if (rt == &arm_rt_resource_group) {
      char sub[64];
      if (!arm_id_sub(x->id, sub, sizeof sub) || strcasecmp(sub, p->sub) != 0) continue;
    } else if (ra ? !ra_in_scope(x, p->id, arm_filter_has(&f, ARM_FILTER_AT_SCOPE)) : !under_scope(c, x, p, rt)) continue;
    if (f.n && !arm_filter_match(&f, x)) continue;
    if (seen++ < skip) continue;
    if (cJSON_GetArraySize(arr) >= page) { more = true; break; }
    cJSON_AddItemToArray(arr, arm_render(c, x, q));
  }
  if (more) add_next_link(q, b, skip + page);
  arm_resp_json(out, 200, b);
}

static void subscription_get(arm_ctx *c, const arm_path *p, arm_resp *out) {
  if (!arm_auth_subscription_exists(c->auth, p->sub)) {
    arm_resp_error(out, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.", p->sub);
    return;
  }
  cJSON *b = cJSON_CreateObject();
  char id[128];
  snprintf(id, sizeof id, "/subscriptions/%s", p->sub);
  cJSON_AddStringToObject(b, "id", id);
  cJSON_AddStringToObject(b, "subscriptionId", p->sub);
  cJSON_AddStringToObject(b, "displayName", "capz-arm-sim subscription");
  cJSON_AddStringToObject(b, "state", "Enabled");
  arm_resp_json(out, 200, b);
}

static void list_locations(arm_ctx *c, const arm_path *p, arm_resp *out) {
  cJSON *b = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(b, "value");
  for (int i = 0; i < c->cfg.nregions; i++) {
    const arm_region *g = &c->cfg.regions[i];
    cJSON *o = cJSON_CreateObject();
    char id[256];
    snprintf(id, sizeof id, "/subscriptions/%s/locations/%s", p->sub, g->name);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", g->name);
    cJSON_AddStringToObject(o, "displayName", g->display);
    cJSON_AddStringToObject(o, "regionalDisplayName", g->display);
    cJSON *az = cJSON_AddArrayToObject(o, "availabilityZoneMappings");
    for (int z = 1; z <= g->nzones; z++) {
      cJSON *m = cJSON_CreateObject();
      char zs[12];
      snprintf(zs, sizeof zs, "%d", z);
      cJSON_AddStringToObject(m, "logicalZone", zs);
      cJSON_AddStringToObject(m, "physicalZone", g->name);
      cJSON_AddItemToArray(az, m);
    }
    cJSON_AddItemToArray(arr, o);
  }
  arm_resp_json(out, 200, b);
}

static bool ends_with_ci(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcasecmp(s + a - b, suf) == 0;
}

void arm_engine(arm_ctx *c, arm_req *q, const arm_path *p, arm_resp *out) {
  pthread_mutex_lock(&c->mu);
  arm_lro_advance(c);
  const char *m = q->method;
  bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
  /* operation status and results */
  if (p->kind == ARM_PATH_RESOURCE && get && ends_with_ci(p->type, "/locations/operations")) {
    arm_lro_serve_status(c, p->name, q, out);
    goto done;
  }
  if (p->kind == ARM_PATH_RESOURCE && get && ends_with_ci(p->type, "/locations/operationresults")) {
    arm_lro_serve_result(c, p->name, q, out);
    goto done;
  }
  if (!p->ns && get && strncasecmp(p->type, "operationresults/", 17) == 0) {
    arm_lro_serve_result(c, p->type + 17, q, out);
    goto done;
  }
  if (!p->ns && strcasecmp(p->type, "Microsoft.Resources/subscriptions") == 0 && p->kind == ARM_PATH_RESOURCE && get) {
    subscription_get(c, p, out);
    goto done;
  }
  if (!p->ns && get && p->sub && !p->rg && strcasecmp(p->type, "locations") == 0) {
    list_locations(c, p, out);
    goto done;
  }
  if (!p->ns && get && p->rg && strcasecmp(p->type, "resources") == 0) {
    /* every top-level resource of a group (GET .../resourceGroups/{rg}/resources) */
    if (!parent_checks(c, p, &arm_rt_resource_group, p->id, false, out)) goto done;
    if (!arm_store_get(c->store, p->id)) {
      arm_resp_error(out, 404, "ResourceGroupNotFound", "Resource group '%s' could not be found.", p->rg);
      goto done;
    }
    long skip, page, seen = 0;
    if (!page_start(c, q, &skip, &page, out)) goto done;
    arm_filter f;
    arm_err fe;
    if (arm_filter_parse(arm_req_query(q, "$filter"), &f, &fe)) {
      arm_resp_error(out, fe.status, fe.code, "%s", fe.msg);
      goto done;
    }
    cJSON *b = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(b, "value");
    for (arm_res *x = arm_store_first(c->store); x; x = x->next) {
      char up[ARM_ID_MAX];
      arm_id_parent(x->id, up, sizeof up);
      if (strcasecmp(up, p->id) != 0 || x->rt == &arm_rt_resource_group || (x->rt->flags & ARM_RT_EXTENSION)) continue;
      if (f.n && !arm_filter_match(&f, x)) continue;
      if (seen++ < skip) continue;
      if (cJSON_GetArraySize(arr) >= page) { add_next_link(q, b, skip + page); break; }
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "id", x->id);
      cJSON_AddStringToObject(o, "name", arm_id_name(x->id));
      cJSON_AddStringToObject(o, "type", x->rt->type);
      const char *loc = arm_jstr(x->doc, "location");
      if (loc) cJSON_AddStringToObject(o, "location", loc);
      cJSON *tags = cJSON_GetObjectItemCaseSensitive(x->doc, "tags");
      if (tags) cJSON_AddItemToObject(o, "tags", cJSON_Duplicate(tags, 1));
      cJSON_AddItemToArray(arr, o);
    }
    arm_resp_json(out, 200, b);
    goto done;
  }
  const arm_rtype *rt = arm_rtype_find(p->type);
  if (!rt && p->kind == ARM_PATH_COLLECTION && p->prov >= 0) {
    /* an action on a resource: .../{type}/{name}/{action} */
    char ptype[256];
    snprintf(ptype, sizeof ptype, "%s", p->type);
    char *sl = strrchr(ptype, '/');
    const char *action = sl ? sl + 1 : "";
    if (sl) *sl = '\0';
    const arm_rtype *prt = strchr(ptype, '/') ? arm_rtype_find(ptype) : NULL;
    if (prt) {
      if (!parent_checks(c, p, prt, p->id, !get, out)) goto done;
      arm_res *r = arm_store_get(c->store, p->id);
      if (!r) {
        arm_resp_error(out, 404, "ResourceNotFound", "The Resource '%s/%s' under resource group '%s' was not found.",
                       ptype, arm_id_name(p->id), p->rg ? p->rg : "");
        goto done;
      }
      if (!prt->action || prt->action(c, q, r, action, out) != 0) {
        if (!out->status)
          arm_resp_error(out, 404, "NotFound", "No HTTP resource was found that matches the request URI '%.200s'.", q->path);
      }
      goto done;
    }
  }
  if (!rt) {
    arm_resp_error(out, 400, "InvalidResourceType",
                   "The resource type '%.150s' could not be found in the namespace '%s' for api version '%s'.", p->type,
                   p->ns ? p->ns : "Microsoft.Resources", q->api_version ? q->api_version : "");
    goto done;
  }
  if (p->kind == ARM_PATH_COLLECTION) {
    if (!get) {
      arm_resp_error(out, 405, "MethodNotAllowed", "The requested resource does not support http method '%s'.", m);
      goto done;
    }
    do_list(c, q, p, rt, out);
    goto done;
  }
  if (rt->handle) {
    if (parent_checks(c, p, rt, p->id, !get, out)) rt->handle(c, q, p, out);
    goto done;
  }
  /* a single resource */
  arm_res *r = arm_store_get(c->store, p->id);
  bool write = !get;
  if (!parent_checks(c, p, rt, p->id, write && strcmp(m, "DELETE") != 0, out)) goto done;
  if (get) {
    if (!r) {
      if (rt == &arm_rt_resource_group)
        arm_resp_error(out, 404, "ResourceGroupNotFound", "Resource group '%s' could not be found.", p->rg);
      else
        arm_resp_error(out, 404, "ResourceNotFound",
                       "The Resource '%s/%s' under resource group '%s' was not found. For more details please go to "
                       "https://aka.ms/ARMResourceNotFoundFix", rt->type, p->name, p->rg ? p->rg : "");
      if (strcmp(m, "HEAD") == 0) { cJSON_Delete(out->body); out->body = NULL; }
      goto done;
    }
    if (strcmp(m, "HEAD") == 0) { out->status = 204; goto done; }
    respond_resource(c, q, r, 200, out);
    goto done;
  }
  if (strcmp(m, "DELETE") == 0) {
    if (rt->flags & ARM_RT_READONLY) {
      arm_resp_error(out, 405, "MethodNotAllowed", "The resource type '%s' does not support DELETE.", rt->type);
      goto done;
    }
    do_delete(c, q, p, rt, r, out);
    goto done;
  }
  if (strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) {
    bool patch = m[1] == 'A';
    if ((rt->flags & (ARM_RT_READONLY | ARM_RT_NO_PUT))) {
      arm_resp_error(out, 405, "MethodNotAllowed", "The resource type '%s' does not support %s.", rt->type, m);
      goto done;
    }
    if (!cJSON_IsObject(q->json)) {
      arm_resp_error(out, 400, "InvalidRequestContent",
                     "The request content was invalid and could not be deserialized: a JSON object is required.");
      goto done;
    }
    if (patch && !r) {
      arm_resp_error(out, 404, "ResourceNotFound", "The Resource '%s/%s' under resource group '%s' was not found.",
                     rt->type, p->name, p->rg ? p->rg : "");
      goto done;
    }
    if (!check_preconditions(q, rt, r, !patch, out)) goto done;
    cJSON *doc;
    if (patch) {
      cJSON *cur = cJSON_Duplicate(r->doc, 1);
      strip_readonly(cur, rt);
      doc = capz_json_merge_patch(cur, q->json);
      cJSON_Delete(cur);
      if (!doc) { arm_resp_error(out, 500, "InternalServerError", "out of memory"); goto done; }
    } else {
      doc = cJSON_Duplicate(q->json, 1);
    }
    do_write(c, q, p, rt, r, doc, patch, out);
    goto done;
  }
  arm_resp_error(out, 405, "MethodNotAllowed", "The requested resource does not support http method '%s'.", m);
done:
  pthread_mutex_unlock(&c->mu);
}
