/* kube_protobuf.c — a minimal decoder for the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown)
 * carrying a Namespace, ConfigMap or Secret: what kubectl 1.32's typed commands (`create namespace`,
 * `create configmap`, `create secret generic`) send. ObjectMeta fields decoded: name, generateName,
 * namespace, resourceVersion, labels, annotations, finalizers; other fields are skipped. Every read is
 * bounds-checked; nothing here trusts lengths from the wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_sim.h"

typedef struct pb {
  const unsigned char *p, *end;
} pb;

static bool varint(pb *b, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64 && b->p < b->end; shift += 7) {
    unsigned char c = *b->p++;
    *v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

/* Next field: number, wire type, and for wire type 2 the payload. */
static bool field(pb *b, unsigned *num, unsigned *wt, pb *payload, uint64_t *ival) {
  uint64_t key;
  if (!varint(b, &key)) return false;
  *num = (unsigned)(key >> 3);
  *wt = (unsigned)(key & 7);
  switch (*wt) {
    case 0:
      return varint(b, ival);
    case 1:
      if (b->end - b->p < 8) return false;
      b->p += 8;
      return true;
    case 5:
      if (b->end - b->p < 4) return false;
      b->p += 4;
      return true;
    case 2: {
      uint64_t len;
      if (!varint(b, &len) || len > (uint64_t)(b->end - b->p)) return false;
      payload->p = b->p;
      payload->end = b->p + len;
      b->p += len;
      return true;
    }
    default:
      return false;
  }
}

static char *dup_str(const pb *s) {
  size_t n = (size_t)(s->end - s->p);
  char *r = malloc(n + 1);
  if (!r) abort();
  memcpy(r, s->p, n);
  r[n] = '\0';
  return r;
}

/* proto2 always carries optional strings; JSON omits empty ones (omitempty), so do we. */
static void set_str(cJSON *o, const char *k, const pb *s) {
  if (s->end == s->p) return;
  char *v = dup_str(s);
  jset_str(o, k, v);
  free(v);
}

/* map<string,string|bytes> entry: key=1, value=2 */
static bool map_entry(cJSON *m, const pb *entry, bool bytes) {
  pb e = *entry, k = {0}, v = {0};
  bool hk = false;
  unsigned num, wt;
  pb pl;
  uint64_t iv;
  while (e.p < e.end) {
    if (!field(&e, &num, &wt, &pl, &iv)) return false;
    if (wt == 2 && num == 1) {
      k = pl;
      hk = true;
    } else if (wt == 2 && num == 2) {
      v = pl;
    }
  }
  if (!hk) return false;
  char *key = dup_str(&k);
  if (bytes) {
    char *enc = b64_encode(v.p ? v.p : (const unsigned char *)"", (size_t)(v.end - v.p));
    jset_str(m, key, enc);
    free(enc);
  } else {
    char *val = v.p ? dup_str(&v) : strdup("");
    jset_str(m, key, val);
    free(val);
  }
  free(key);
  return true;
}

static bool object_meta(cJSON *md, pb b) {
  unsigned num, wt;
  pb pl;
  uint64_t iv;
  while (b.p < b.end) {
    if (!field(&b, &num, &wt, &pl, &iv)) return false;
    if (wt != 2) continue;
    switch (num) {
      case 1:
        set_str(md, "name", &pl);
        break;
      case 2:
        set_str(md, "generateName", &pl);
        break;
      case 3:
        set_str(md, "namespace", &pl);
        break;
      case 6:
        set_str(md, "resourceVersion", &pl);
        break;
      case 11:
        if (!map_entry(jobj(md, "labels"), &pl, false)) return false;
        break;
      case 12:
        if (!map_entry(jobj(md, "annotations"), &pl, false)) return false;
        break;
      case 14: {
        cJSON *f = jget(md, "finalizers");
        if (!f) {
          f = cJSON_CreateArray();
          cJSON_AddItemToObject(md, "finalizers", f);
        }
        char *s = dup_str(&pl);
        cJSON_AddItemToArray(f, cJSON_CreateString(s));
        free(s);
        break;
      }
      default:
        break;
    }
  }
  return true;
}

static bool decode_kind(cJSON *o, const char *kind, pb b) {
  unsigned num, wt;
  pb pl;
  uint64_t iv;
  bool ns = strcmp(kind, "Namespace") == 0, cm = strcmp(kind, "ConfigMap") == 0, sec = strcmp(kind, "Secret") == 0;
  while (b.p < b.end) {
    if (!field(&b, &num, &wt, &pl, &iv)) return false;
    if (num == 1 && wt == 2) {
      if (!object_meta(jobj(o, "metadata"), pl)) return false;
    } else if (ns && num == 2 && wt == 2) { /* NamespaceSpec { repeated string finalizers = 1 } */
      pb s = pl;
      cJSON *spec = jobj(o, "spec");
      while (s.p < s.end) {
        pb f;
        unsigned n2, w2;
        if (!field(&s, &n2, &w2, &f, &iv)) return false;
        if (n2 == 1 && w2 == 2) {
          cJSON *arr = jget(spec, "finalizers");
          if (!arr) {
            arr = cJSON_CreateArray();
            cJSON_AddItemToObject(spec, "finalizers", arr);
          }
          char *str = dup_str(&f);
          cJSON_AddItemToArray(arr, cJSON_CreateString(str));
          free(str);
        }
      }
    } else if ((cm || sec) && num == 2 && wt == 2) {
      if (!map_entry(jobj(o, "data"), &pl, sec)) return false;
    } else if (cm && num == 3 && wt == 2) {
      if (!map_entry(jobj(o, "binaryData"), &pl, true)) return false;
    } else if (cm && num == 4 && wt == 0) {
      jset(o, "immutable", cJSON_CreateBool(iv != 0));
    } else if (sec && num == 3 && wt == 2) {
      set_str(o, "type", &pl);
    } else if (sec && num == 4 && wt == 2) {
      if (!map_entry(jobj(o, "stringData"), &pl, false)) return false;
    } else if (sec && num == 5 && wt == 0) {
      jset(o, "immutable", cJSON_CreateBool(iv != 0));
    }
  }
  return true;
}

int pb_decode(const char *body, size_t len, cJSON **out, char *err, size_t errn) {
  *out = NULL;
  if (len < 4 || memcmp(body, "k8s\0", 4) != 0) return 415;
  pb b = {(const unsigned char *)body + 4, (const unsigned char *)body + len};
  char api_version[128] = "", kind[128] = "";
  pb raw = {0};
  bool have_raw = false;
  unsigned num, wt;
  pb pl;
  uint64_t iv;
  while (b.p < b.end) {
    if (!field(&b, &num, &wt, &pl, &iv)) {
      snprintf(err, errn, "malformed protobuf envelope");
      return 400;
    }
    if (num == 1 && wt == 2) { /* TypeMeta */
      pb t = pl;
      pb f;
      unsigned n2, w2;
      while (t.p < t.end) {
        if (!field(&t, &n2, &w2, &f, &iv)) {
          snprintf(err, errn, "malformed protobuf TypeMeta");
          return 400;
        }
        size_t fl = (size_t)(f.end - f.p);
        if (w2 == 2 && n2 == 1 && fl < sizeof api_version) snprintf(api_version, sizeof api_version, "%.*s", (int)fl, (const char *)f.p);
        if (w2 == 2 && n2 == 2 && fl < sizeof kind) snprintf(kind, sizeof kind, "%.*s", (int)fl, (const char *)f.p);
      }
    } else if (num == 2 && wt == 2) {
      raw = pl;
      have_raw = true;
    } else if (num == 3 && wt == 2 && pl.end > pl.p) {
      snprintf(err, errn, "protobuf content encodings are not supported");
      return 415;
    }
  }
  if (strcmp(api_version, "v1") != 0 ||
      (strcmp(kind, "Namespace") != 0 && strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0) || !have_raw)
    return 415;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "apiVersion", api_version);
  cJSON_AddStringToObject(o, "kind", kind);
  if (!decode_kind(o, kind, raw)) {
    cJSON_Delete(o);
    snprintf(err, errn, "malformed protobuf %s", kind);
    return 400;
  }
  *out = o;
  return 0;
}
