/* kube_builtin.c — rules of the built-in kinds: Secret (stringData folding, base64, type,
 * immutable), ConfigMap (string data, immutable), Lease/Event MicroTime normalisation, the
 * events.k8s.io/v1 <-> core/v1 Event field mapping, Namespace defaults. Needs KS.lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capz/json.h"
#include "kube_sim.h"

static const char *event_map[][2] = {{"involvedObject", "regarding"},
                                     {"message", "note"},
                                     {"reportingComponent", "reportingController"},
                                     {"source", "deprecatedSource"},
                                     {"firstTimestamp", "deprecatedFirstTimestamp"},
                                     {"lastTimestamp", "deprecatedLastTimestamp"},
                                     {"count", "deprecatedCount"},
                                     {NULL, NULL}};

static cJSON *rename_fields(const cJSON *in, int from, int to) {
  cJSON *out = cJSON_Duplicate(in, 1);
  for (int i = 0; event_map[i][0]; i++) {
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(out, event_map[i][from]);
    if (v) {
      jdel(out, event_map[i][to]);
      cJSON_AddItemToObject(out, event_map[i][to], v);
    }
  }
  return out;
}

cJSON *event_core_to_v1(const cJSON *core) {
  cJSON *v1 = rename_fields(core, 0, 1);
  if (!jget(v1, "eventTime")) cJSON_AddNullToObject(v1, "eventTime");
  json_front(v1, "events.k8s.io/v1", "Event");
  return v1;
}

cJSON *event_v1_to_core(const cJSON *v1) {
  cJSON *core = rename_fields(v1, 1, 0);
  if (cJSON_IsNull(jget(core, "eventTime"))) jdel(core, "eventTime");
  json_front(core, "v1", "Event");
  return core;
}

static bool b64_valid(const char *s) {
  size_t n = strlen(s);
  if (n % 4) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              (c == '=' && i >= n - 2);
    if (!ok) return false;
  }
  return true;
}

static void normalize_micro(cJSON *obj, const char *key) {
  cJSON *v = jget(obj, key);
  if (!cJSON_IsString(v)) return;
  const char *s = v->valuestring;
  size_t n = strlen(s);
  if (n < 20 || s[n - 1] != 'Z') return;
  const char *dot = strchr(s, '.');
  char out[64];
  if (!dot) {
    snprintf(out, sizeof out, "%.*s.000000Z", (int)(n - 1), s);
  } else {
    size_t frac = (size_t)(s + n - 1 - dot - 1);
    if (frac == 6 || frac > 9) return;
    char digits[10] = "000000";
    memcpy(digits, dot + 1, frac > 6 ? 6 : frac);
    digits[6] = '\0';
    snprintf(out, sizeof out, "%.*s.%sZ", (int)(dot - s), s, digits);
  }
  jset_str(obj, key, out);
}

static int decode_error(kreq *r, ktype *t, const char *what) {
  resp_status(r, 400, "BadRequest", NULL, "%s in version \"v1\" cannot be handled as a %s: %s", t->kind, t->kind, what);
  return -1;
}

static int check_string_map(kreq *r, ktype *t, const cJSON *m, const char *field, bool b64) {
  if (!m || cJSON_IsNull(m)) return 0;
  if (!cJSON_IsObject(m)) {
    char w[200];
    snprintf(w, sizeof w, "json: cannot unmarshal into Go struct field %s.%s of type map", t->kind, field);
    return decode_error(r, t, w);
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, m) {
    if (!cJSON_IsString(c)) {
      char w[300];
      snprintf(w, sizeof w, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
               cJSON_IsNumber(c) ? "number" : cJSON_IsBool(c) ? "bool" : "object", t->kind, field,
               b64 ? "[]uint8" : "string");
      return decode_error(r, t, w);
    }
    if (b64 && !b64_valid(c->valuestring)) return decode_error(r, t, "illegal base64 data at input byte 0");
  }
  return 0;
}

static void immutable_check(ktype *t, cJSON *obj, const cJSON *old, kerrs *e) {
  if (!old || !cJSON_IsTrue(jget(old, "immutable"))) return;
  (void)t;
  if (!cJSON_IsTrue(jget(obj, "immutable")))
    kerrs_add(e, "FieldValueForbidden", "immutable", "Forbidden: field is immutable when `immutable` is set");
  static const char *fields[] = {"data", "binaryData", NULL};
  for (int i = 0; fields[i]; i++) {
    const cJSON *a = jget(obj, fields[i]), *b = jget(old, fields[i]);
    bool same = (!a && !b) || (a && b && capz_json_equal(a, b));
    if (!same) kerrs_add(e, "FieldValueForbidden", fields[i], "Forbidden: field is immutable when `immutable` is set");
  }
}

int builtin_normalize(kreq *r, ktype *t, cJSON *obj, const cJSON *old, kerrs *e) {
  switch (t->builtin) {
    case KB_SECRET: {
      if (check_string_map(r, t, jget(obj, "data"), "data", true)) return -1;
      cJSON *sd = jget(obj, "stringData");
      if (sd && !cJSON_IsNull(sd) && check_string_map(r, t, sd, "stringData", false)) return -1;
      if (cJSON_IsObject(sd)) {
        cJSON *data = jobj(obj, "data");
        const cJSON *c;
        cJSON_ArrayForEach(c, sd) {
          char *enc = b64_encode((const unsigned char *)c->valuestring, strlen(c->valuestring));
          jset_str(data, c->string, enc);
          free(enc);
        }
      }
      jdel(obj, "stringData");
      if (!jstr(obj, "type")) jset_str(obj, "type", old && jstr(old, "type") ? jstr(old, "type") : "Opaque");
      if (old && jstr(old, "type") && strcmp(jstr(old, "type"), jstr(obj, "type")) != 0)
        kerrs_add(e, "FieldValueInvalid", "type", "Invalid value: \"%s\": field is immutable", jstr(obj, "type"));
      immutable_check(t, obj, old, e);
      break;
    }
    case KB_CONFIGMAP:
      if (check_string_map(r, t, jget(obj, "data"), "data", false)) return -1;
      if (check_string_map(r, t, jget(obj, "binaryData"), "binaryData", true)) return -1;
      immutable_check(t, obj, old, e);
      break;
    case KB_LEASE: {
      cJSON *spec = jget(obj, "spec");
      normalize_micro(spec, "acquireTime");
      normalize_micro(spec, "renewTime");
      cJSON *ld = jget(spec, "leaseDurationSeconds");
      if (ld && !cJSON_IsNull(ld) && !cJSON_IsNumber(ld))
        return decode_error(r, t, "json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32");
      break;
    }
    case KB_EVENT:
      normalize_micro(obj, "eventTime");
      normalize_micro(jget(obj, "series"), "lastObservedTime");
      break;
    case KB_EVENT_V1: {
      normalize_micro(obj, "eventTime");
      normalize_micro(jget(obj, "series"), "lastObservedTime");
      static const char *req[] = {"eventTime", "reportingController", "reportingInstance", "action", "reason", NULL};
      for (int i = 0; req[i]; i++) {
        cJSON *v = jget(obj, req[i]);
        if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
          kerrs_add(e, "FieldValueRequired", req[i], "Required value");
      }
      const char *ty = jstr(obj, "type");
      if (!ty || (strcmp(ty, "Normal") != 0 && strcmp(ty, "Warning") != 0))
        kerrs_add(e, "FieldValueNotSupported", "type", "Unsupported value: \"%s\": supported values: \"Normal\", \"Warning\"",
                  ty ? ty : "");
      break;
    }
    default:
      break;
  }
  return 0;
}

void builtin_create_defaults(ktype *t, cJSON *obj) {
  if (t->builtin == KB_SECRET && !jstr(obj, "type")) jset_str(obj, "type", "Opaque");
  if (t->builtin == KB_NAMESPACE) {
    cJSON *md = jobj(obj, "metadata");
    jset_str(jobj(md, "labels"), "kubernetes.io/metadata.name", jstr(md, "name"));
    cJSON *fin = cJSON_CreateArray();
    cJSON_AddItemToArray(fin, cJSON_CreateString("kubernetes"));
    jset(jobj(obj, "spec"), "finalizers", fin);
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "phase", "Active");
    jset(obj, "status", st);
  }
}
