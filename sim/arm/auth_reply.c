/* auth_reply.c — reply bodies in the exact shapes of Entra ID, ARM and IMDS, plus small crypto utilities. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth_internal.h"

void arm_http_reply_clear(arm_http_reply *r) {
  if (!r) return;
  free(r->body);
  r->body = NULL;
  r->status = 0;
  r->www_authenticate[0] = '\0';
}

void auth_guid(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    /* RAND_bytes only fails when the DRBG cannot be seeded; ids are then still unique enough for logs. */
    static unsigned long counter;
    unsigned long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    memset(b, 0, sizeof b);
    memcpy(b, &c, sizeof c);
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
           b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool auth_secret_equal(const char *a, const char *b) {
  /* Compare digests so the time does not depend on where the strings first differ. */
  unsigned char ha[SHA256_DIGEST_LENGTH], hb[SHA256_DIGEST_LENGTH];
  size_t la = strlen(a), lb = strlen(b);
  SHA256((const unsigned char *)a, la, ha);
  SHA256((const unsigned char *)b, lb, hb);
  int diff = CRYPTO_memcmp(ha, hb, sizeof ha);
  return diff == 0 && la == lb;
}

void auth_reply_json(arm_http_reply *out, int status, cJSON *obj) {
  out->status = status;
  free(out->body);
  out->body = obj ? cJSON_PrintUnformatted(obj) : NULL;
  if (obj && !out->body) out->status = 500;
  cJSON_Delete(obj);
}

void auth_entra_error(arm_http_reply *out, int status, const char *error, long aadsts, const char *fmt, ...) {
  char desc[1024], trace[37], corr[37], ts[32], full[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(desc, sizeof desc, fmt, ap);
  va_end(ap);
  auth_guid(trace);
  auth_guid(corr);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%SZ", &tm);
  snprintf(full, sizeof full, "AADSTS%ld: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, desc, trace,
           corr, ts);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", error);
  cJSON_AddStringToObject(o, "error_description", full);
  cJSON *codes = cJSON_AddArrayToObject(o, "error_codes");
  cJSON_AddItemToArray(codes, cJSON_CreateNumber((double)aadsts));
  cJSON_AddStringToObject(o, "timestamp", ts);
  cJSON_AddStringToObject(o, "trace_id", trace);
  cJSON_AddStringToObject(o, "correlation_id", corr);
  char uri[96];
  snprintf(uri, sizeof uri, "https://login.microsoftonline.com/error?code=%ld", aadsts);
  cJSON_AddStringToObject(o, "error_uri", uri);
  out->www_authenticate[0] = '\0';
  auth_reply_json(out, status, o);
}

void auth_arm_error(arm_http_reply *out, int status, const char *code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cJSON *o = cJSON_CreateObject();
  cJSON *e = cJSON_AddObjectToObject(o, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", msg);
  auth_reply_json(out, status, o);
}

void auth_imds_error(arm_http_reply *out, int status, const char *error, const char *desc) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", error);
  cJSON_AddStringToObject(o, "error_description", desc);
  out->www_authenticate[0] = '\0';
  auth_reply_json(out, status, o);
}
