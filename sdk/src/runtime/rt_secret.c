/* rt_secret.c — base64 and Secret values (capz/controller_util.h). Decoded secret bytes are the caller's to
 * wipe; the base64 copies we hold are wiped before they are freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capz/controller_util.h"
#include "capz/json.h"

static const capz_gvk GVK_SECRET = {"", "v1", "Secret", "secrets", true};

static int b64_digit(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

unsigned char *capz_b64_decode(const char *in, size_t *len) {
  if (!in || !len) return NULL;
  size_t l = strlen(in), k = 0, pad = 0;
  while (pad < 2 && l > pad && in[l - 1 - pad] == '=') pad++;
  size_t data = l - pad;
  if (pad && l % 4) return NULL;  /* padding only on a complete final quantum */
  if (data % 4 == 1) return NULL; /* 6 bits cannot end a byte */
  unsigned char *b = malloc(data / 4 * 3 + 3);
  if (!b) return NULL;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < data; i++) {
    int d = b64_digit((unsigned char)in[i]);
    if (d < 0) {
      OPENSSL_cleanse(b, data / 4 * 3 + 3);
      free(b);
      return NULL;
    }
    acc = (acc << 6) | (unsigned)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      b[k++] = (unsigned char)((acc >> bits) & 0xff);
    }
  }
  b[k] = '\0';
  *len = k;
  return b;
}

int capz_secret_value(capz_kube_client *c, const char *ns, const char *name, const char *key, unsigned char **out,
                      size_t *len, capz_err *err) {
  *out = NULL;
  *len = 0;
  if (!c || !name || !key) return capz_err_set(err, CAPZ_EINVAL, "capz_secret_value: NULL argument");
  cJSON *sec = NULL;
  int rc = capz_kube_get(c, &GVK_SECRET, ns, name, &sec, err);
  if (rc) return capz_err_prefix(err, "secret %s/%s: ", ns ? ns : "", name), rc;
  char ptr[320] = "/data";
  cJSON *item = capz_json_ptr_append(ptr, sizeof ptr, key) ? NULL : capz_json_ptr_get(sec, ptr);
  if (!cJSON_IsString(item)) {
    cJSON_Delete(sec);
    return capz_err_set(err, CAPZ_EINVAL, "secret %s/%s has no key %s", ns ? ns : "", name, key);
  }
  *out = capz_b64_decode(item->valuestring, len);
  OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
  cJSON_Delete(sec);
  if (!*out) return capz_err_set(err, CAPZ_EINVAL, "secret %s/%s: key %s is not base64", ns ? ns : "", name, key);
  return 0;
}
