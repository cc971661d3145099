/* kc_internal.h — internals shared by the Kubernetes client's files (not installed). */
#ifndef CAPZ_KC_INTERNAL_H
#define CAPZ_KC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "capz/kube.h"
#include "http/http.h"

/* Credentials and TLS material for one request (strings owned by the struct). */
typedef struct kc_auth {
  char *bearer;   /* token, or NULL */
  http_tls tls;   /* points into the strings below or into the config */
  char *cert_pem; /* from an exec plugin, or NULL */
  char *key_pem;
} kc_auth;

struct capz_kube_config {
  char *server; /* without trailing slash */
  char *ns;
  char *ca_file, *ca_pem, *cert_pem, *key_pem;
  bool insecure;
  char *token;      /* static token */
  char *token_file; /* re-read when its mtime changes */
  /* exec credential plugin */
  char *exec_cmd;
  char **exec_argv; /* NULL-terminated, argv[0] = command */
  char **exec_env;  /* "K=V", NULL-terminated, added to the environment */
  char *exec_api_version;
  pthread_mutex_t mu; /* guards the cached credentials below */
  char *cached_token;
  char *cached_cert, *cached_key;
  time_t cached_expiry; /* 0 = never expires */
  struct timespec file_mtime;
  bool have_cached;
};

/* Fill a (credentials for the next request). force_refresh drops a cached exec credential (after a 401). */
int kc_config_auth(capz_kube_config *cfg, bool force_refresh, kc_auth *a, capz_err *err);
void kc_auth_free(kc_auth *a);

/* Token bucket. */
typedef struct kc_bucket {
  pthread_mutex_t mu;
  double qps, burst, tokens;
  double last; /* monotonic seconds */
} kc_bucket;
void kc_bucket_init(kc_bucket *b, double qps, double burst);
/* Blocks until a token is available; returns true when it had to wait. */
bool kc_bucket_take(kc_bucket *b);
void kc_bucket_destroy(kc_bucket *b);

typedef struct kc_disc {
  struct kc_disc *next;
  char *group, *version, *kind, *plural;
  bool namespaced;
} kc_disc;

struct capz_kube_client {
  capz_kube_config *cfg;
  double qps;
  int burst;
  long timeout_ms;
  int max_retries;
  char *user_agent;
  kc_bucket bucket;
  atomic_bool fenced;
  atomic_uint_fast64_t n_requests, n_reads, n_writes, n_watches, n_retries, n_throttled;
  pthread_mutex_t disc_mu;
  kc_disc *disc;
};

/* One request with auth, rate limiting, retries and Status decoding. body may be NULL. On success *out gets the
 * parsed JSON body (NULL for an empty body) when out is non-NULL. fence: honour the write fence. */
int kc_do(capz_kube_client *c, const char *method, const char *path_and_query, const char *content_type,
          const char *body, size_t body_len, bool fence, cJSON **out, capz_err *err);

/* Decode a non-2xx response body into err. */
int kc_status_error(long status, const char *body, size_t len, const char *what, capz_err *err);

double kc_now(void);
int64_t kc_now_ms(void);

/* Percent-encode for a query value. out must hold 3*strlen(s)+1. */
void kc_query_escape(const char *s, char *out);

#endif
