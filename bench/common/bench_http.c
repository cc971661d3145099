/* bench_http.c — see bench_http.h. */
#include "bench_http.h"

#include <stdlib.h>

#include "curlbuf.h"

long bhttp_req(const char *method, const char *url, const char *ctype, const char *body, const char *bearer,
               char **out) {
  if (out) *out = NULL;
  curlbuf b;
  long code = curlbuf_request(method, url, ctype, body, bearer, 120000L, &b);
  if (out && code >= 0) {
    *out = b.data ? b.data : calloc(1, 1);
    return code;
  }
  curlbuf_free(&b);
  return code;
}

long bhttp(const char *method, const char *url, const char *body, char **out) {
  return bhttp_req(method, url, NULL, body, NULL, out);
}

long bhttp_json(const char *method, const char *url, const char *body, cJSON **out) {
  char *text = NULL;
  long code = bhttp(method, url, body, &text);
  *out = text ? cJSON_Parse(text) : NULL;
  free(text);
  return code;
}
