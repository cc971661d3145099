/* arm_reqlog.c — request log for GET /_sim/requests: counts by method, resource type and status, plus a
 * ring of the last N requests with their bodies (tests assert on what a controller PUT). Own mutex. */
#include "arm_sim.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct entry {
  double t;
  char method[12];
  char *path;
  char type[160];
  int status;
  char *body;
} entry;

struct arm_reqlog {
  pthread_mutex_t mu;
  cJSON *by_method, *by_type, *by_status;
  long long total;
  entry *ring;
  int keep, head, n;
};

arm_reqlog *arm_reqlog_new(int keep) {
  arm_reqlog *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  pthread_mutex_init(&l->mu, NULL);
  l->keep = keep < 1 ? 1 : keep;
  l->ring = calloc((size_t)l->keep, sizeof *l->ring);
  l->by_method = cJSON_CreateObject();
  l->by_type = cJSON_CreateObject();
  l->by_status = cJSON_CreateObject();
  return l;
}

static void clear_locked(arm_reqlog *l) {
  for (int i = 0; i < l->keep; i++) {
    free(l->ring[i].path);
    free(l->ring[i].body);
  }
  memset(l->ring, 0, (size_t)l->keep * sizeof *l->ring);
  l->head = l->n = 0;
  l->total = 0;
  cJSON_Delete(l->by_method);
  cJSON_Delete(l->by_type);
  cJSON_Delete(l->by_status);
  l->by_method = cJSON_CreateObject();
  l->by_type = cJSON_CreateObject();
  l->by_status = cJSON_CreateObject();
}

void arm_reqlog_clear(arm_reqlog *l) {
  pthread_mutex_lock(&l->mu);
  clear_locked(l);
  pthread_mutex_unlock(&l->mu);
}

void arm_reqlog_free(arm_reqlog *l) {
  if (!l) return;
  clear_locked(l);
  cJSON_Delete(l->by_method);
  cJSON_Delete(l->by_type);
  cJSON_Delete(l->by_status);
  free(l->ring);
  pthread_mutex_destroy(&l->mu);
  free(l);
}

static void bump(cJSON *o, const char *k) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (v) cJSON_SetNumberValue(v, v->valuedouble + 1);
  else cJSON_AddNumberToObject(o, k, 1);
}

/* Write-only secret members are masked in kept bodies: the log is for asserting shapes, not for leaking
 * bootstrap data or passwords. */
static bool secret_member(const char *k) {
  static const char *const names[] = {"customData", "userData", "adminPassword", "protectedSettings",
                                      "protectedSettingsFromKeyVault", "configurationProtectedSettings", "secret",
                                      "password", "clientSecret", NULL};
  for (int i = 0; k && names[i]; i++)
    if (strcasecmp(k, names[i]) == 0) return true;
  return false;
}

/* Bootstrap data is identified by a hash next to the redaction (customDataSha256, userDataSha256): the SHA-256 of
 * the decoded bytes when the value is base64 (as Compute requires), else of the text as sent. */
static bool hashed_member(const char *k) { return strcmp(k, "customData") == 0 || strcmp(k, "userData") == 0; }

static void sha256_hex(const char *text, char out[65]) {
  size_t L = strlen(text);
  unsigned char *dec = malloc(L / 4 * 3 + 3);
  const unsigned char *data = (const unsigned char *)text;
  size_t dlen = L;
  if (dec && L % 4 == 0 && L > 0) {
    int n = EVP_DecodeBlock(dec, (const unsigned char *)text, (int)L);
    if (n >= 0) {
      size_t pad = (text[L - 1] == '=') + (L > 1 && text[L - 2] == '=');
      data = dec;
      dlen = (size_t)n - pad;
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (!EVP_Digest(data, dlen, md, &mdlen, EVP_sha256(), NULL)) mdlen = 0;
  for (unsigned i = 0; i < mdlen && i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
  out[mdlen ? 64 : 0] = '\0';
  free(dec);
}

static void add_hash(cJSON *parent, cJSON *it) {
  if (!cJSON_IsString(it) || !it->string || !hashed_member(it->string)) return;
  char key[64], hex[65];
  snprintf(key, sizeof key, "%sSha256", it->string);
  sha256_hex(it->valuestring, hex);
  cJSON_DeleteItemFromObjectCaseSensitive(parent, key); /* a client cannot forge it */
  cJSON_AddStringToObject(parent, key, hex);
}

static void redact(cJSON *j) {
  for (cJSON *it = j ? j->child : NULL; it; it = it->next) {
    if (it->string && secret_member(it->string) && !cJSON_IsNull(it)) {
      add_hash(j, it);
      /* turn the member into the string "[REDACTED]" in place (keeps its key and position) */
      if (cJSON_IsString(it)) {
        cJSON_SetValuestring(it, "[REDACTED]");
      } else {
        cJSON *r = cJSON_CreateString("[REDACTED]");
        if (!r) continue;
        r->string = it->string;
        it->string = NULL;
        r->type |= (it->type & cJSON_StringIsConst);
        cJSON_ReplaceItemViaPointer(j, it, r);
        it = r;
      }
    } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
      redact(it);
    }
  }
}

static char *kept_body(const arm_req *q) {
  if (!q->body || !q->body_len || q->body_len >= (1u << 20)) return NULL;
  /* bodies refused before parsing (401, 429...) are parsed here; cJSON caps nesting itself */
  cJSON *j = q->json ? cJSON_Duplicate(q->json, 1) : cJSON_ParseWithLength(q->body, q->body_len);
  if (!j) { /* not JSON: its secrets could not be masked, so only its size is kept */
    char note[64];
    snprintf(note, sizeof note, "[%zu bytes, not JSON]", q->body_len);
    return strdup(note);
  }
  redact(j);
  char *t = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return t;
}

void arm_reqlog_add(arm_reqlog *l, const arm_req *q, int status) {
  char *body = kept_body(q);
  char st[8];
  snprintf(st, sizeof st, "%d", status);
  pthread_mutex_lock(&l->mu);
  l->total++;
  bump(l->by_method, q->method);
  bump(l->by_type, q->rtype[0] ? q->rtype : "(other)");
  bump(l->by_status, st);
  entry *e = &l->ring[l->head];
  free(e->path);
  free(e->body);
  e->t = arm_now();
  snprintf(e->method, sizeof e->method, "%s", q->method);
  size_t pl = strlen(q->path);
  const char *av = q->api_version;
  e->path = malloc(pl + (av ? strlen(av) : 0) + 16);
  if (e->path) sprintf(e->path, "%s%s%s", q->path, av ? "?api-version=" : "", av ? av : "");
  snprintf(e->type, sizeof e->type, "%s", q->rtype);
  e->status = status;
  e->body = body;
  l->head = (l->head + 1) % l->keep;
  if (l->n < l->keep) l->n++;
  pthread_mutex_unlock(&l->mu);
}

cJSON *arm_reqlog_json(arm_reqlog *l, int last_n) {
  cJSON *o = cJSON_CreateObject();
  pthread_mutex_lock(&l->mu);
  cJSON_AddNumberToObject(o, "total", (double)l->total);
  cJSON_AddItemToObject(o, "byMethod", cJSON_Duplicate(l->by_method, 1));
  cJSON_AddItemToObject(o, "byType", cJSON_Duplicate(l->by_type, 1));
  cJSON_AddItemToObject(o, "byStatus", cJSON_Duplicate(l->by_status, 1));
  cJSON *a = cJSON_AddArrayToObject(o, "requests");
  int n = last_n < 0 || last_n > l->n ? l->n : last_n;
  for (int i = n; i >= 1; i--) { /* oldest first */
    entry *e = &l->ring[(l->head - i + l->keep) % l->keep];
    cJSON *r = cJSON_CreateObject();
    char ts[48];
    arm_now_iso(ts, sizeof ts, e->t);
    cJSON_AddStringToObject(r, "time", ts);
    cJSON_AddStringToObject(r, "method", e->method);
    cJSON_AddStringToObject(r, "path", e->path ? e->path : "");
    cJSON_AddStringToObject(r, "type", e->type);
    cJSON_AddNumberToObject(r, "status", e->status);
    if (e->body) {
      cJSON *b = cJSON_Parse(e->body);
      if (b) cJSON_AddItemToObject(r, "body", b);
      else cJSON_AddStringToObject(r, "bodyText", e->body);
    }
    cJSON_AddItemToArray(a, r);
  }
  pthread_mutex_unlock(&l->mu);
  return o;
}
