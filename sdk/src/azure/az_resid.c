/* az_resid.c — ARM resource ID parsing and formatting.
 * IDs are case-insensitive in ARM (the service may echo different casing), so keywords are matched
 * case-insensitively and equality compares parsed segments without regard to case. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "capz/azure_arm.h"
#include "azure/az_util.h"

#define MAX_SEGS 64

typedef struct seg {
  const char *p;
  size_t n;
} seg;

static bool seg_is(const seg *s, const char *kw) { return strlen(kw) == s->n && strncasecmp(s->p, kw, s->n) == 0; }

static int seg_copy(char *dst, size_t cap, const seg *s, const char *what, capz_err *err) {
  if (s->n == 0) return capz_err_set(err, CAPZ_EINVAL, "resource ID: empty %s", what);
  if (s->n >= cap) return capz_err_set(err, CAPZ_EINVAL, "resource ID: %s longer than %zu characters", what, cap - 1);
  memcpy(dst, s->p, s->n);
  dst[s->n] = '\0';
  return 0;
}

int capz_arm_resid_parse(const char *id, capz_arm_resid *out, capz_err *err) {
  if (!id || id[0] != '/') return capz_err_set(err, CAPZ_EINVAL, "resource ID must start with '/'");
  seg segs[MAX_SEGS];
  int ns = 0;
  const char *p = id + 1;
  size_t total = strlen(id);
  while (total > 1 && id[total - 1] == '/') total--;
  const char *end = id + total;
  while (p < end) {
    const char *q = memchr(p, '/', (size_t)(end - p));
    if (!q) q = end;
    if (q == p) return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": empty segment", id);
    if (ns == MAX_SEGS) return capz_err_set(err, CAPZ_EINVAL, "resource ID: too many segments");
    segs[ns].p = p;
    segs[ns].n = (size_t)(q - p);
    for (size_t k = 0; k < segs[ns].n; k++)
      if (p[k] == '?' || p[k] == '#')
        return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": contains a query or fragment", id);
    ns++;
    p = q + 1;
  }
  memset(out, 0, sizeof *out);
  int i = 0, rc;
  if (ns == 0) return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": empty", id);
  if (seg_is(&segs[0], "subscriptions")) {
    if (ns < 2) return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": missing subscription id", id);
    if ((rc = seg_copy(out->subscription, sizeof out->subscription, &segs[1], "subscription id", err))) return rc;
    out->scope = CAPZ_ARM_SCOPE_SUBSCRIPTION;
    i = 2;
    if (i < ns && seg_is(&segs[i], "resourceGroups")) {
      if (i + 1 >= ns) {
        /* the resource-group collection of a subscription */
        az_strlcpy(out->provider, "Microsoft.Resources", sizeof out->provider);
        az_strlcpy(out->types[0], "resourceGroups", sizeof out->types[0]);
        out->depth = 1;
        out->collection = true;
        return 0;
      }
      if ((rc = seg_copy(out->resource_group, sizeof out->resource_group, &segs[i + 1], "resource group", err)))
        return rc;
      out->scope = CAPZ_ARM_SCOPE_RESOURCE_GROUP;
      i += 2;
    }
  } else if (!seg_is(&segs[0], "providers")) {
    return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": must start with /subscriptions/ or /providers/", id);
  }
  if (i == ns) {
    if (out->scope == CAPZ_ARM_SCOPE_RESOURCE_GROUP) {
      az_strlcpy(out->provider, "Microsoft.Resources", sizeof out->provider);
      az_strlcpy(out->types[0], "resourceGroups", sizeof out->types[0]);
      az_strlcpy(out->names[0], out->resource_group, sizeof out->names[0]);
      out->depth = 1;
    }
    return 0;
  }
  for (;;) {
    if (!seg_is(&segs[i], "providers"))
      return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": expected \"providers\" at segment %d", id, i + 1);
    if (i + 1 >= ns) return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": missing provider namespace", id);
    /* a second providers/ segment makes this an extension resource of everything before it */
    int next = -1;
    for (int k = i + 2; k < ns; k += 2)
      if (seg_is(&segs[k], "providers") && k + 1 < ns) { next = k; break; }
    if (next < 0) break;
    size_t scope_len = (size_t)(segs[next].p - 1 - id);
    if (scope_len >= sizeof out->extension_scope)
      return capz_err_set(err, CAPZ_EINVAL, "resource ID: extension scope too long");
    memcpy(out->extension_scope, id, scope_len);
    out->extension_scope[scope_len] = '\0';
    i = next;
  }
  if ((rc = seg_copy(out->provider, sizeof out->provider, &segs[i + 1], "provider namespace", err))) return rc;
  i += 2;
  if (i >= ns) return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": missing resource type", id);
  while (i < ns) {
    if (out->depth == CAPZ_ARM_MAX_DEPTH) return capz_err_set(err, CAPZ_EINVAL, "resource ID \"%s\": too deep", id);
    if ((rc = seg_copy(out->types[out->depth], sizeof out->types[0], &segs[i], "resource type", err))) return rc;
    if (i + 1 < ns) {
      if ((rc = seg_copy(out->names[out->depth], sizeof out->names[0], &segs[i + 1], "resource name", err)))
        return rc;
    } else {
      out->collection = true;
    }
    out->depth++;
    i += 2;
  }
  return 0;
}

static bool is_bare_rg(const capz_arm_resid *r) {
  return r->scope == CAPZ_ARM_SCOPE_RESOURCE_GROUP && !r->extension_scope[0] && r->depth == 1 && !r->collection &&
         strcasecmp(r->provider, "Microsoft.Resources") == 0 && strcasecmp(r->types[0], "resourceGroups") == 0 &&
         strcasecmp(r->names[0], r->resource_group) == 0;
}

int capz_arm_resid_format(const capz_arm_resid *r, char *out, size_t n) {
  az_buf b = {0};
  if (r->extension_scope[0]) {
    az_buf_adds(&b, r->extension_scope);
  } else if (r->scope != CAPZ_ARM_SCOPE_TENANT) {
    az_buf_printf(&b, "/subscriptions/%s", r->subscription);
    if (r->scope == CAPZ_ARM_SCOPE_RESOURCE_GROUP) az_buf_printf(&b, "/resourceGroups/%s", r->resource_group);
    else if (r->collection && r->depth == 1 && strcasecmp(r->types[0], "resourceGroups") == 0 &&
             strcasecmp(r->provider, "Microsoft.Resources") == 0) {
      az_buf_adds(&b, "/resourceGroups");
      goto done;
    }
  }
  if (r->provider[0] && !is_bare_rg(r)) {
    az_buf_printf(&b, "/providers/%s", r->provider);
    for (int i = 0; i < r->depth; i++) {
      az_buf_printf(&b, "/%s", r->types[i]);
      if (!(r->collection && i == r->depth - 1)) az_buf_printf(&b, "/%s", r->names[i]);
    }
  }
done:
  if (b.oom || !b.p) {
    az_buf_wipe(&b);
    return -1;
  }
  int len = (int)b.len;
  bool fits = b.len < n;
  if (fits) memcpy(out, b.p, b.len + 1);
  az_buf_wipe(&b);
  return fits ? len : -1;
}

int capz_arm_resid_type(const capz_arm_resid *r, char *out, size_t n) {
  az_buf b = {0};
  if (!r->provider[0]) {
    az_buf_adds(&b, r->scope == CAPZ_ARM_SCOPE_TENANT ? "" : "Microsoft.Resources/subscriptions");
  } else {
    az_buf_adds(&b, r->provider);
    for (int i = 0; i < r->depth; i++) az_buf_printf(&b, "/%s", r->types[i]);
  }
  int len = b.p ? (int)b.len : 0;
  bool fits = !b.oom && (size_t)len < n;
  if (fits) memcpy(out, b.p ? b.p : "", (size_t)len + 1);
  az_buf_wipe(&b);
  return fits ? len : -1;
}

int capz_arm_resid_parent(const capz_arm_resid *r, capz_arm_resid *parent) {
  *parent = *r;
  parent->collection = false;
  if (r->collection) {
    /* the parent of a collection is the resource (or scope) that holds it */
    parent->depth = r->depth - 1;
    if (parent->depth > 0) return 0;
  } else if (r->depth > 1) {
    parent->names[r->depth - 1][0] = '\0';
    parent->types[r->depth - 1][0] = '\0';
    parent->depth = r->depth - 1;
    return 0;
  }
  /* top level (or bare RG): climb to the enclosing scope */
  if (r->extension_scope[0]) return capz_arm_resid_parse(r->extension_scope, parent, NULL) ? CAPZ_ENOTFOUND : 0;
  memset(parent->types, 0, sizeof parent->types);
  memset(parent->names, 0, sizeof parent->names);
  parent->depth = 0;
  parent->provider[0] = '\0';
  if (is_bare_rg(r)) {
    parent->scope = CAPZ_ARM_SCOPE_SUBSCRIPTION;
    parent->resource_group[0] = '\0';
    return 0;
  }
  if (r->scope == CAPZ_ARM_SCOPE_RESOURCE_GROUP) {
    az_strlcpy(parent->provider, "Microsoft.Resources", sizeof parent->provider);
    az_strlcpy(parent->types[0], "resourceGroups", sizeof parent->types[0]);
    az_strlcpy(parent->names[0], r->resource_group, sizeof parent->names[0]);
    parent->depth = 1;
    return 0;
  }
  if (r->scope == CAPZ_ARM_SCOPE_SUBSCRIPTION && r->provider[0]) return 0;
  return CAPZ_ENOTFOUND;
}

bool capz_arm_resid_equal(const char *a, const char *b) {
  if (!a || !b) return a == b;
  capz_arm_resid ra, rb;
  if (capz_arm_resid_parse(a, &ra, NULL) || capz_arm_resid_parse(b, &rb, NULL)) return strcasecmp(a, b) == 0;
  char fa[2048], fb[2048];
  if (capz_arm_resid_format(&ra, fa, sizeof fa) < 0 || capz_arm_resid_format(&rb, fb, sizeof fb) < 0)
    return strcasecmp(a, b) == 0;
  return strcasecmp(fa, fb) == 0;
}
