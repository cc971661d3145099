/* arm_util.c — small helpers: ARM path parsing, ids, responses, errors, time, uuids. */
#include "arm_sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/rand.h>

void arm_lower(char *dst, const char *src, size_t n) {
  size_t i = 0;
  for (; src[i] && i + 1 < n; i++) dst[i] = (char)tolower((unsigned char)src[i]);
  if (n) dst[i] = '\0';
}

bool arm_ieq(const char *a, const char *b) { return a && b && strcasecmp(a, b) == 0; }

unsigned arm_hash32(const char *s) {
  unsigned h = 2166136261u;
  for (; *s; s++) { h ^= (unsigned char)tolower((unsigned char)*s); h *= 16777619u; }
  return h;
}

double arm_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void arm_now_iso(char *out, size_t n, double t) {
  time_t s = (time_t)t;
  struct tm tm;
  gmtime_r(&s, &tm);
  char b[32];
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, n, "%s.%07ld+00:00", b, (long)((t - (double)s) * 1e7));
}

void arm_uuid(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    for (int i = 0; i < 16; i++) b[i] = (unsigned char)rand();
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int arm_err_set(arm_err *e, int status, const char *code, const char *fmt, ...) {
  if (!e) return -1;
  e->status = status;
  snprintf(e->code, sizeof e->code, "%s", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}

/* ---------------------------------------------------------------- responses */

void arm_resp_header(arm_resp *r, const char *name, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (int i = 0; i < r->nhdr; i++) {
    if (strcasecmp(r->hdr[i].name, name) == 0) {
      free(r->hdr[i].value);
      r->hdr[i].value = strdup(buf);
      return;
    }
  }
  if (r->nhdr >= ARM_MAX_HEADERS) return;
  snprintf(r->hdr[r->nhdr].name, sizeof r->hdr[r->nhdr].name, "%s", name);
  r->hdr[r->nhdr].value = strdup(buf);
  r->nhdr++;
}

const char *arm_resp_get_header(const arm_resp *r, const char *name) {
  for (int i = 0; i < r->nhdr; i++)
    if (strcasecmp(r->hdr[i].name, name) == 0) return r->hdr[i].value;
  return NULL;
}

void arm_resp_json(arm_resp *r, int status, cJSON *body) {
  r->status = status;
  cJSON_Delete(r->body);
  free(r->text);
  r->text = NULL;
  r->body = body;
}

void arm_resp_error(arm_resp *r, int status, const char *code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cJSON *b = cJSON_CreateObject();
  cJSON *e = cJSON_AddObjectToObject(b, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", msg);
  arm_resp_json(r, status, b);
}

void arm_resp_clear(arm_resp *r) {
  cJSON_Delete(r->body);
  free(r->text);
  for (int i = 0; i < r->nhdr; i++) free(r->hdr[i].value);
  memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------- json */

cJSON *arm_props(cJSON *doc) {
  cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "properties");
  if (!cJSON_IsObject(p)) {
    if (p) cJSON_DeleteItemFromObjectCaseSensitive(doc, "properties");
    p = cJSON_AddObjectToObject(doc, "properties");
  }
  return p;
}

void arm_jset(cJSON *obj, const char *name, cJSON *v) {
  if (!obj || !v) { cJSON_Delete(v); return; }
  if (cJSON_GetObjectItemCaseSensitive(obj, name)) cJSON_ReplaceItemInObjectCaseSensitive(obj, name, v);
  else cJSON_AddItemToObject(obj, name, v);
}

const char *arm_jstr(const cJSON *obj, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *arm_ref(const char *id) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", id);
  return o;
}

/* ---------------------------------------------------------------- ids */

void arm_id_parent(const char *id, char *out, size_t n) {
  snprintf(out, n, "%s", id);
  for (int k = 0; k < 2; k++) {
    char *sl = strrchr(out, '/');
    if (!sl) { out[0] = '\0'; return; }
    *sl = '\0';
  }
  /* ".../providers/NS" is not a resource: drop it too */
  char *sl = strrchr(out, '/');
  if (sl && sl > out) {
    char *sl2 = sl - 1;
    while (sl2 > out && *sl2 != '/') sl2--;
    if (strncasecmp(sl2, "/providers/", 11) == 0) *sl2 = '\0';
  }
}

const char *arm_id_name(const char *id) {
  const char *sl = strrchr(id, '/');
  return sl ? sl + 1 : id;
}

static bool id_after(const char *id, const char *marker, char *out, size_t n) {
  const char *p = id;
  size_t ml = strlen(marker);
  while ((p = strchr(p, '/'))) {
    if (strncasecmp(p, marker, ml) == 0) {
      const char *s = p + ml, *e = strchr(s, '/');
      size_t l = e ? (size_t)(e - s) : strlen(s);
      if (l == 0 || l >= n) return false;
      memcpy(out, s, l);
      out[l] = '\0';
      return true;
    }
    p++;
  }
  return false;
}

bool arm_id_rg(const char *id, char *out, size_t n) { return id_after(id, "/resourceGroups/", out, n); }
bool arm_id_sub(const char *id, char *out, size_t n) { return id_after(id, "/subscriptions/", out, n); }

/* Path grammar: [/subscriptions/{s}[/resourceGroups/{rg}]] (/providers/{ns}/{type}/{name}...)* */
int arm_path_parse(const char *path, arm_path *p) {
  memset(p, 0, sizeof *p);
  p->prov = -1;
  if (!path || path[0] != '/' || strlen(path) >= sizeof p->buf) return -1;
  snprintf(p->buf, sizeof p->buf, "%s", path + 1);
  size_t L = strlen(p->buf);
  while (L && p->buf[L - 1] == '/') p->buf[--L] = '\0';
  char *save = NULL;
  for (char *t = strtok_r(p->buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (p->nseg >= (int)(sizeof p->seg / sizeof p->seg[0])) return -1;
    p->seg[p->nseg++] = t;
  }
  if (p->nseg == 0) return -1;
  int i = 0;
  char id[ARM_ID_MAX] = "";
  size_t idl = 0;
#define APPEND(...) do { int w_ = snprintf(id + idl, sizeof id - idl, __VA_ARGS__); if (w_ < 0 || (size_t)w_ >= sizeof id - idl) return -1; idl += (size_t)w_; } while (0)
  if (strcasecmp(p->seg[0], "subscriptions") == 0) {
    if (p->nseg == 1) { p->kind = ARM_PATH_COLLECTION; snprintf(p->type, sizeof p->type, "Microsoft.Resources/subscriptions"); return 0; }
    p->sub = p->seg[1];
    APPEND("/subscriptions/%s", p->sub);
    i = 2;
    if (i < p->nseg && strcasecmp(p->seg[i], "resourceGroups") == 0) {
      if (i + 1 >= p->nseg) {
        p->kind = ARM_PATH_COLLECTION;
        snprintf(p->type, sizeof p->type, "Microsoft.Resources/resourceGroups");
        snprintf(p->id, sizeof p->id, "%s", id);
        snprintf(p->scope, sizeof p->scope, "%s", id);
        return 0;
      }
      p->rg = p->seg[i + 1];
      APPEND("/resourceGroups/%s", p->rg);
      i += 2;
      if (i == p->nseg) {
        p->kind = ARM_PATH_RESOURCE;
        snprintf(p->type, sizeof p->type, "Microsoft.Resources/resourceGroups");
        snprintf(p->id, sizeof p->id, "%s", id);
        snprintf(p->scope, sizeof p->scope, "/subscriptions/%s", p->sub);
        p->name = p->rg;
        return 0;
      }
    } else if (i == p->nseg) {
      p->kind = ARM_PATH_RESOURCE;
      snprintf(p->type, sizeof p->type, "Microsoft.Resources/subscriptions");
      snprintf(p->id, sizeof p->id, "%s", id);
      p->name = p->sub;
      return 0;
    }
  }
  /* find the last "providers" segment at or after i, at an even distance from a name boundary */
  int last = -1;
  for (int k = i; k < p->nseg; k++)
    if (strcasecmp(p->seg[k], "providers") == 0 && k + 1 < p->nseg) last = k;
  if (last < 0) {
    /* e.g. /subscriptions/s/resourceGroups/rg/resources, /subscriptions/s/operationresults/x */
    snprintf(p->scope, sizeof p->scope, "%s", id);
    size_t tl = 0;
    for (int k = i; k < p->nseg; k++) {
      tl += (size_t)snprintf(p->type + tl, sizeof p->type - tl, "%s%s", k > i ? "/" : "", p->seg[k]);
      if (tl >= sizeof p->type) return -1;
    }
    p->kind = ARM_PATH_COLLECTION;
    snprintf(p->id, sizeof p->id, "%s", id);
    return 0;
  }
  /* the scope is everything before the last providers group */
  for (int k = i; k < last; k++) APPEND("/%s", p->seg[k]);
  snprintf(p->scope, sizeof p->scope, "%s", id);
  p->prov = last;
  p->ns = p->seg[last + 1];
  APPEND("/providers/%s", p->ns);
  int ntn = p->nseg - (last + 2); /* type/name segments */
  if (ntn <= 0) return -1;
  size_t tl = (size_t)snprintf(p->type, sizeof p->type, "%s", p->ns);
  char parent[ARM_ID_MAX];
  snprintf(parent, sizeof parent, "%s", p->scope);
  for (int k = 0; k < ntn; k++) {
    const char *s = p->seg[last + 2 + k];
    if (k % 2 == 0) {
      tl += (size_t)snprintf(p->type + tl, sizeof p->type - tl, "/%s", s);
      if (tl >= sizeof p->type) return -1;
    } else {
      APPEND("/%s/%s", p->seg[last + 2 + k - 1], s);
      if (k + 1 < ntn) snprintf(parent, sizeof parent, "%s", id);
    }
  }
  (void)parent;
  if (ntn % 2 == 0) {
    p->kind = ARM_PATH_RESOURCE;
    p->name = p->seg[p->nseg - 1];
    snprintf(p->id, sizeof p->id, "%s", id);
  } else {
    p->kind = ARM_PATH_COLLECTION;
    /* id of the parent: strip the trailing "/providers/NS" when the collection is top-level */
    if (ntn == 1) snprintf(p->id, sizeof p->id, "%s", p->scope);
    else snprintf(p->id, sizeof p->id, "%s", id);
  }
#undef APPEND
  return 0;
}
