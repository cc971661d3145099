/* kube_api.c — resource path routing (/api/v1/..., /apis/g/v/...) and the read verbs (get, list). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube_sim.h"

static void not_found_generic(kreq *r) {
  kdetails d = {0};
  resp_status(r, 404, "NotFound", &d, "the server could not find the requested resource");
}

static bool copy_seg(char *dst, size_t n, const char *s) {
  if (strlen(s) >= n || !*s) return false;
  snprintf(dst, n, "%s", s);
  return true;
}

void api_dispatch(kreq *r) {
  char path[2048];
  if (strlen(r->path) >= sizeof path) {
    not_found_generic(r);
    return;
  }
  snprintf(path, sizeof path, "%s", r->path);
  char *segs[16];
  int n = 0;
  char *save = NULL;
  for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
    if (n == 16) {
      not_found_generic(r);
      return;
    }
    segs[n++] = s;
  }
  kroute rt;
  memset(&rt, 0, sizeof rt);
  int i;
  if (n >= 2 && strcmp(segs[0], "api") == 0) {
    if (!copy_seg(rt.version, sizeof rt.version, segs[1])) goto nf;
    i = 2;
  } else if (n >= 3 && strcmp(segs[0], "apis") == 0) {
    if (!copy_seg(rt.group, sizeof rt.group, segs[1]) || !copy_seg(rt.version, sizeof rt.version, segs[2])) goto nf;
    i = 3;
  } else {
    goto nf;
  }
  int rest = n - i;
  char **s = segs + i;
  bool ok = true;
  if (rest == 1) {
    ok = copy_seg(rt.plural, sizeof rt.plural, s[0]);
  } else if (rest == 2) {
    ok = copy_seg(rt.plural, sizeof rt.plural, s[0]) && copy_seg(rt.name, sizeof rt.name, s[1]);
    rt.has_name = true;
  } else if (rest == 3 && strcmp(s[0], "namespaces") == 0 && strcmp(s[2], "status") != 0 &&
             strcmp(s[2], "finalize") != 0) {
    rt.has_ns = true;
    ok = copy_seg(rt.ns, sizeof rt.ns, s[1]) && copy_seg(rt.plural, sizeof rt.plural, s[2]);
  } else if (rest == 3) {
    rt.has_name = rt.has_sub = true;
    ok = copy_seg(rt.plural, sizeof rt.plural, s[0]) && copy_seg(rt.name, sizeof rt.name, s[1]) &&
         copy_seg(rt.sub, sizeof rt.sub, s[2]);
  } else if (rest == 4 && strcmp(s[0], "namespaces") == 0) {
    rt.has_ns = rt.has_name = true;
    ok = copy_seg(rt.ns, sizeof rt.ns, s[1]) && copy_seg(rt.plural, sizeof rt.plural, s[2]) &&
         copy_seg(rt.name, sizeof rt.name, s[3]);
  } else if (rest == 5 && strcmp(s[0], "namespaces") == 0) {
    rt.has_ns = rt.has_name = rt.has_sub = true;
    ok = copy_seg(rt.ns, sizeof rt.ns, s[1]) && copy_seg(rt.plural, sizeof rt.plural, s[2]) &&
         copy_seg(rt.name, sizeof rt.name, s[3]) && copy_seg(rt.sub, sizeof rt.sub, s[4]);
  } else {
    ok = false;
  }
  if (!ok) goto nf;

  KS_LOCK();
  rt.t = store_find_type(rt.group, rt.version, rt.plural);
  if (!rt.t || rt.has_ns != rt.t->namespaced) {
    /* A namespaced type listed across all namespaces has no namespace segment. */
    if (!(rt.t && rt.t->namespaced && !rt.has_ns && !rt.has_name)) {
      KS_UNLOCK();
      goto nf;
    }
  }
  rt.v = type_version(rt.t, rt.version);
  bool finalize = rt.has_sub && rt.t->builtin == KB_NAMESPACE && strcmp(rt.sub, "finalize") == 0;
  if (finalize && strcmp(r->method, "PUT") != 0) {
    resp_status(r, 405, "MethodNotAllowed", NULL, "%s is not supported on namespaces/finalize", r->method);
    KS_UNLOCK();
    return;
  }
  if (rt.has_sub && !finalize && (strcmp(rt.sub, "status") != 0 || !rt.v->status_sub)) {
    KS_UNLOCK();
    goto nf;
  }
  const char *m = r->method;
  if (is_review_type(rt.t)) {
    if (strcmp(m, "POST") == 0 && !rt.has_name)
      verb_review(r, &rt);
    else
      resp_status(r, 405, "MethodNotAllowed", NULL, "%s is not supported on resources of kind \"%s\"", m,
                  rt.t->kind);
  } else if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
    if (rt.has_name)
      verb_get(r, &rt);
    else
      verb_list(r, &rt);
  } else if (strcmp(m, "POST") == 0 && !rt.has_name) {
    verb_create(r, &rt);
  } else if (strcmp(m, "PUT") == 0 && rt.has_name) {
    verb_update(r, &rt);
  } else if (strcmp(m, "PATCH") == 0 && rt.has_name) {
    verb_patch(r, &rt);
  } else if (strcmp(m, "DELETE") == 0 && rt.has_name && !rt.has_sub) {
    verb_delete(r, &rt);
  } else if (strcmp(m, "DELETE") == 0 && !rt.has_name) {
    verb_deletecollection(r, &rt);
  } else {
    resp_status(r, 405, "MethodNotAllowed", NULL, "%s is not supported on resources of kind \"%s\"", m, rt.t->kind);
  }
  KS_UNLOCK();
  return;
nf:
  not_found_generic(r);
}

/* ---------- serving stored objects ---------- */

static void api_version_of(const ktype *t, const kversion *v, char *out, size_t n) {
  if (t->group[0])
    snprintf(out, n, "%s/%s", t->group, v->name);
  else
    snprintf(out, n, "%s", v->name);
}

void emit_object(kbuf *b, const ktype *t, const kversion *v, const kblob *json, bool drop_tm) {
  if (t->builtin == KB_EVENT_V1) {
    cJSON *j = object_view(t, v, json);
    if (drop_tm) {
      jdel(j, "apiVersion");
      jdel(j, "kind");
    }
    char *s = json_print(j);
    kbuf_puts(b, s);
    cJSON_free(s);
    cJSON_Delete(j);
    return;
  }
  if (t->builtin == KB_CUSTOM && json->sgen != t->store->schema_gen && v->schema) {
    /* written under an older CRD: apply today's defaults on read, like kube-apiserver */
    cJSON *j = object_view(t, v, json);
    if (drop_tm) {
      jdel(j, "apiVersion");
      jdel(j, "kind");
    }
    char *s = json_print(j);
    kbuf_puts(b, s);
    cJSON_free(s);
    cJSON_Delete(j);
    return;
  }
  /* Stored text begins {"apiVersion":"<gv>","kind":"<Kind>", — splice that head. The stored
   * gv may be an older storage version, so the head is scanned rather than compared. */
  static const char a0[] = "{\"apiVersion\":\"", k0[] = "\",\"kind\":\"";
  const char *s = json->s, *rest = NULL;
  if (strncmp(s, a0, sizeof a0 - 1) == 0) {
    const char *q = strchr(s + sizeof a0 - 1, '"');
    if (q && strncmp(q, k0, sizeof k0 - 1) == 0) {
      const char *q2 = strchr(q + sizeof k0 - 1, '"');
      if (q2 && q2[1] == ',') rest = q2 + 2;
      else if (q2 && q2[1] == '}') rest = q2 + 1;
    }
  }
  if (!rest) {
    kbuf_add(b, json->s, json->len); /* not produced by the store; serve as is */
    return;
  }
  if (drop_tm) {
    kbuf_puts(b, "{");
  } else {
    char gv[300];
    api_version_of(t, v, gv, sizeof gv);
    kbuf_printf(b, "{\"apiVersion\":\"%s\",\"kind\":\"%s\"%s", gv, t->kind, *rest == '}' ? "" : ",");
  }
  kbuf_add(b, rest, json->len - (size_t)(rest - json->s));
}

cJSON *object_view(const ktype *t, const kversion *v, const kblob *json) {
  cJSON *j = cJSON_ParseWithLength(json->s, json->len);
  if (!j) abort();
  if (t->builtin == KB_EVENT_V1) {
    cJSON *c = event_core_to_v1(j);
    cJSON_Delete(j);
    return c;
  }
  char gv[300];
  api_version_of(t, v, gv, sizeof gv);
  json_front(j, gv, t->kind);
  if (t->builtin == KB_CUSTOM && json->sgen != t->store->schema_gen && v->schema) {
    schema_drop_nulls(j, v->schema);
    schema_default(j, v->schema);
  }
  return j;
}

void verb_get(kreq *r, kroute *rt) {
  kobj *o = store_get(rt->t, rt->ns, rt->name);
  if (!o) {
    resp_not_found(r, rt->t, rt->name);
    return;
  }
  r->out.len = 0;
  emit_object(&r->out, rt->t, rt->v, o->json, false);
  r->status = 200;
  r->out_type = "application/json";
}

/* ---------- list ---------- */

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || s[0] == '-') return false;
  *out = v;
  return true;
}

static char *continue_encode(uint64_t rv, const char *key) {
  kbuf b = {0};
  kbuf_printf(&b, "{\"rv\":%llu,\"start\":", (unsigned long long)rv);
  kbuf_json_str(&b, key);
  kbuf_puts(&b, "}");
  char *e = b64_encode((const unsigned char *)b.s, b.len);
  kbuf_free(&b);
  for (char *p = e; *p; p++) {
    if (*p == '+') *p = '-';
    if (*p == '/') *p = '_';
  }
  return e;
}

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

static bool continue_decode(const char *tok, uint64_t *rv, char *key, size_t keyn) {
  size_t n = strlen(tok);
  if (n == 0 || n > 4096) return false;
  unsigned char *raw = malloc(n);
  if (!raw) return false;
  size_t o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    if (tok[i] == '=') break;
    int v = b64val(tok[i]);
    if (v < 0) {
      free(raw);
      return false;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw[o++] = (unsigned char)((acc >> bits) & 0xff);
    }
  }
  cJSON *j = cJSON_ParseWithLength((const char *)raw, o);
  free(raw);
  cJSON *jr = jget(j, "rv");
  const char *st = jstr(j, "start");
  bool ok = cJSON_IsNumber(jr) && st && strlen(st) < keyn && jr->valuedouble >= 0;
  if (ok) {
    *rv = (uint64_t)jr->valuedouble;
    snprintf(key, keyn, "%s", st);
  }
  cJSON_Delete(j);
  return ok;
}

/* Does o match the selectors? (obj parsed lazily when a field selector needs it) */
static bool obj_matches(const ktype *t, const kobj *o, const ksel *ls, const ksel *fs) {
  if (ls && !sel_match_labels(ls, o->labels)) return false;
  if (!fs) return true;
  if (!sel_fields_need_object(fs)) return sel_match_fields_meta(fs, o->ns, o->name);
  cJSON *j = cJSON_ParseWithLength(o->json->s, o->json->len);
  bool m = false;
  if (j) {
    if (t->builtin == KB_EVENT_V1) {
      cJSON *v1 = event_core_to_v1(j);
      cJSON_Delete(j);
      j = v1;
    }
    m = sel_match_fields(fs, j);
  }
  cJSON_Delete(j);
  return m;
}

bool parse_selectors(kreq *r, const ktype *t, ksel **ls, ksel **fs) {
  char err[512];
  *ls = *fs = NULL;
  const char *l = req_query(r, "labelSelector");
  const char *f = req_query(r, "fieldSelector");
  if (l && *l) {
    *ls = sel_parse_labels(l, err, sizeof err);
    if (!*ls) {
      resp_status(r, 400, "BadRequest", NULL, "unable to parse requirement: %s", err);
      return false;
    }
  }
  if (f && *f) {
    *fs = sel_parse_fields(t, f, err, sizeof err);
    if (!*fs) {
      sel_free(*ls);
      *ls = NULL;
      resp_status(r, 400, "BadRequest", NULL, "%s", err);
      return false;
    }
  }
  return true;
}

void verb_list(kreq *r, kroute *rt) {
  ktype *t = rt->t;
  ksel *ls = NULL, *fs = NULL;
  if (!parse_selectors(r, t, &ls, &fs)) return;
  const char *rvq = req_query(r, "resourceVersion");
  const char *match = req_query(r, "resourceVersionMatch");
  const char *cont = req_query(r, "continue");
  const char *lim = req_query(r, "limit");
  bool watch = req_query_bool(r, "watch");

  if (watch) {
    uint64_t from = 0;
    bool initial = !rvq || !*rvq || strcmp(rvq, "0") == 0;
    if (!initial && !parse_u64(rvq, &from)) {
      sel_free(ls);
      sel_free(fs);
      resp_status(r, 400, "BadRequest", NULL, "invalid resource version: %s", rvq);
      return;
    }
    if (!initial && from > KS.rv) {
      /* like kube-apiserver: wait up to ~3 s for the store to catch up, then 504 */
      uint64_t until = now_ms() + 3000;
      while (KS.rv < from && !KS.shutting_down && now_ms() < until) {
        struct timespec tsw;
        clock_gettime(CLOCK_REALTIME, &tsw);
        tsw.tv_nsec += 100 * 1000000L;
        if (tsw.tv_nsec >= 1000000000L) {
          tsw.tv_sec++;
          tsw.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&KS.cond, &KS.lock, &tsw);
      }
      if (KS.rv < from) {
        sel_free(ls);
        sel_free(fs);
        kdetails d = {.causes = cJSON_Parse("[{\"reason\":\"ResourceVersionTooLarge\",\"message\":\"Too large "
                                            "resource version\"}]"),
                      .retry_after = 1};
        resp_status(r, 504, "Timeout", &d, "Timeout: Too large resource version: %llu, current: %llu",
                    (unsigned long long)from, (unsigned long long)KS.rv);
        cJSON_Delete(d.causes);
        return;
      }
    }
    uint64_t to = 0;
    const char *ts = req_query(r, "timeoutSeconds");
    if (ts && *ts && !parse_u64(ts, &to)) to = 0;
    watch_start(r, rt, ls, fs, from, initial, req_query_bool(r, "allowWatchBookmarks"),
                (unsigned)(to ? (to > 86400 ? 86400 : to) : KS.watch_default_timeout));
    return;
  }

  uint64_t limit = 0, rv_req = 0, snap_rv = KS.rv;
  char start_key[700] = "";
  if (lim && *lim && !parse_u64(lim, &limit)) limit = 0;
  if (match && *match) {
    if (!rvq || !*rvq) {
      resp_status(r, 422, "Invalid", NULL,
                  "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is "
                  "provided");
      goto out;
    }
    if (strcmp(match, "Exact") != 0 && strcmp(match, "NotOlderThan") != 0) {
      resp_status(r, 422, "Invalid", NULL,
                  "resourceVersionMatch: Unsupported value: \"%s\": supported values: \"Exact\", \"NotOlderThan\"",
                  match);
      goto out;
    }
    if (strcmp(match, "Exact") == 0 && strcmp(rvq, "0") == 0) {
      resp_status(r, 422, "Invalid", NULL,
                  "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion "
                  "\"0\"");
      goto out;
    }
  }
  if (cont && *cont) {
    if (rvq && *rvq && strcmp(rvq, "0") != 0) {
      resp_status(r, 422, "Invalid", NULL,
                  "resourceVersion: Forbidden: specifying resource version is not allowed when using continue");
      goto out;
    }
    if (!continue_decode(cont, &snap_rv, start_key, sizeof start_key)) {
      resp_status(r, 400, "BadRequest", NULL, "continue key is not valid: incorrect encoded start resourceVersion "
                                              "(version meta.k8s.io/v1)");
      goto out;
    }
    if (snap_rv < evlog_floor()) {
      cJSON *st = status_json(410, "Expired", NULL,
                              "The provided continue parameter is too old to display a consistent list result. You "
                              "can start a new list without the continue parameter, or use the continue token in "
                              "this response to retrieve the remainder of the results. Continuing with the provided "
                              "token results in an inconsistent list - objects that were created, modified, or "
                              "deleted between the time the first chunk was returned and now may show up in the "
                              "list.");
      char *fresh = continue_encode(KS.rv, start_key);
      jset_str(jget(st, "metadata"), "continue", fresh);
      free(fresh);
      resp_json(r, 410, st);
      cJSON_Delete(st);
      goto out;
    }
  } else if (rvq && *rvq && strcmp(rvq, "0") != 0) {
    if (!parse_u64(rvq, &rv_req)) {
      resp_status(r, 400, "BadRequest", NULL, "invalid resource version: %s", rvq);
      goto out;
    }
    if (rv_req > KS.rv) {
      kdetails d = {.causes = cJSON_Parse("[{\"reason\":\"ResourceVersionTooLarge\",\"message\":\"Too large resource "
                                          "version\"}]"),
                    .retry_after = 1};
      resp_status(r, 504, "Timeout", &d, "Timeout: Too large resource version: %llu, current: %llu",
                  (unsigned long long)rv_req, (unsigned long long)KS.rv);
      cJSON_Delete(d.causes);
      goto out;
    }
    bool exact = (match && strcmp(match, "Exact") == 0) || (!match && limit > 0);
    if (exact && rv_req < KS.rv && rv_req < evlog_floor()) {
      resp_status(r, 410, "Expired", NULL, "The resourceVersion for the provided list is too old.");
      goto out;
    }
    if (exact) snap_rv = rv_req;
  }

  {
    ktype *st = t->store;
    bool drop_tm = t->builtin != KB_CUSTOM;
    char gv[300];
    if (t->group[0])
      snprintf(gv, sizeof gv, "%s/%s", t->group, rt->v->name);
    else
      snprintf(gv, sizeof gv, "%s", rt->v->name);
    kbuf items = {0};
    size_t begin = 0, end = st->n;
    if (rt->has_ns) {
      char pfx[600];
      snprintf(pfx, sizeof pfx, "%s/", rt->ns);
      begin = store_lower_bound(st, pfx);
      pfx[strlen(pfx) - 1] = '0'; /* '0' follows '/' in ASCII: end of this namespace's range */
      end = store_lower_bound(st, pfx);
    }
    if (start_key[0]) {
      size_t b2 = store_lower_bound(st, start_key);
      if (b2 < st->n && strcmp(st->objs[b2]->key, start_key) == 0) b2++;
      if (b2 > begin) begin = b2;
    }
    uint64_t count = 0;
    const char *last_key = NULL;
    size_t i;
    bool more = false;
    uint64_t remaining = 0;
    for (i = begin; i < end; i++) {
      kobj *o = st->objs[i];
      if (!obj_matches(t, o, ls, fs)) continue;
      if (limit && count == limit) {
        more = true;
        remaining++;
        continue;
      }
      if (count++) kbuf_puts(&items, ",");
      emit_object(&items, t, rt->v, o->json, drop_tm);
      last_key = o->key;
    }
    kbuf *b = &r->out;
    b->len = 0;
    kbuf_printf(b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\"", t->list_kind,
                gv, (unsigned long long)snap_rv);
    if (more && last_key) {
      char *tok = continue_encode(snap_rv, last_key);
      kbuf_printf(b, ",\"continue\":\"%s\",\"remainingItemCount\":%llu", tok, (unsigned long long)remaining);
      free(tok);
    }
    kbuf_puts(b, "},\"items\":[");
    if (items.len) kbuf_add(b, items.s, items.len);
    kbuf_puts(b, "]}");
    kbuf_free(&items);
    r->status = 200;
    r->out_type = "application/json";
  }
out:
  sel_free(ls);
  sel_free(fs);
}
