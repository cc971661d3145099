/* az_session.c — the credential → ARM client cache (capz/azure_session.h): one client per credential cache
 * key, kept until the cache is freed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "az_session.h"

typedef struct sess_entry {
  char key[65];
  capz_az_credential *cred;
  capz_arm_client *arm;
  struct sess_entry *next;
} sess_entry;

struct capz_az_sessions {
  capz_az_cloud cloud;
  char *user_agent;
  double poll_default_s, max_retry_wait_s;
  char *def_tenant, *def_client, *def_secret_file;
  pthread_mutex_t mu;
  sess_entry *head;
  size_t n;
};

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

capz_az_sessions *capz_az_sessions_new(const capz_az_session_config *cfg, capz_err *err) {
  if (!cfg || !cfg->cloud) {
    capz_err_set(err, CAPZ_EINVAL, "capz_az_sessions_new: cloud is required");
    return NULL;
  }
  capz_az_sessions *s = calloc(1, sizeof *s);
  if (!s) goto oom;
  s->cloud = *cfg->cloud;
  s->poll_default_s = cfg->poll_default_s;
  s->max_retry_wait_s = cfg->max_retry_wait_s;
  s->user_agent = dup_or_null(cfg->user_agent);
  s->def_tenant = dup_or_null(cfg->default_tenant_id);
  s->def_client = dup_or_null(cfg->default_client_id);
  s->def_secret_file = dup_or_null(cfg->default_secret_file);
  if ((cfg->user_agent && *cfg->user_agent && !s->user_agent) ||
      (cfg->default_tenant_id && *cfg->default_tenant_id && !s->def_tenant) ||
      (cfg->default_client_id && *cfg->default_client_id && !s->def_client) ||
      (cfg->default_secret_file && *cfg->default_secret_file && !s->def_secret_file))
    goto oom;
  pthread_mutex_init(&s->mu, NULL);
  return s;
oom:
  if (s) {
    free(s->user_agent);
    free(s->def_tenant);
    free(s->def_client);
    free(s->def_secret_file);
    free(s);
  }
  capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  return NULL;
}

void capz_az_sessions_free(capz_az_sessions *s) {
  if (!s) return;
  for (sess_entry *x = s->head, *n; x; x = n) {
    n = x->next;
    capz_arm_client_free(x->arm);
    capz_az_credential_free(x->cred);
    free(x);
  }
  pthread_mutex_destroy(&s->mu);
  free(s->user_agent);
  free(s->def_tenant);
  free(s->def_client);
  free(s->def_secret_file);
  free(s);
}

size_t capz_az_sessions_count(capz_az_sessions *s) {
  if (!s) return 0;
  pthread_mutex_lock(&s->mu);
  size_t n = s->n;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* Takes cred: either kept in a new entry or freed because its key is already cached. */
static int client_for(capz_az_sessions *s, capz_az_credential *cred, capz_arm_client **arm,
                      capz_az_credential **kept, capz_err *err) {
  const char *key = capz_az_credential_cache_key(cred);
  pthread_mutex_lock(&s->mu);
  for (sess_entry *x = s->head; x; x = x->next)
    if (strcmp(x->key, key) == 0) {
      if (arm) *arm = x->arm;
      if (kept) *kept = x->cred;
      pthread_mutex_unlock(&s->mu);
      capz_az_credential_free(cred);
      return 0;
    }
  capz_arm_client_config cc = {.cloud = &s->cloud, .credential = cred, .user_agent = s->user_agent,
                               .poll_default_s = s->poll_default_s, .max_retry_wait_s = s->max_retry_wait_s};
  capz_arm_client *c = capz_arm_client_new(&cc, err);
  sess_entry *x = c ? calloc(1, sizeof *x) : NULL;
  if (!x) {
    pthread_mutex_unlock(&s->mu);
    capz_arm_client_free(c);
    capz_az_credential_free(cred);
    return c ? capz_err_set(err, CAPZ_ENOMEM, "out of memory") : (err && err->code ? err->code : CAPZ_EINVAL);
  }
  snprintf(x->key, sizeof x->key, "%s", key);
  x->cred = cred;
  x->arm = c;
  x->next = s->head;
  s->head = x;
  s->n++;
  if (arm) *arm = c;
  if (kept) *kept = cred;
  pthread_mutex_unlock(&s->mu);
  return 0;
}

int az_session_entry_for(capz_az_sessions *s, const capz_az_identity *id, capz_arm_client **arm,
                         capz_az_credential **cred, capz_err *err) {
  capz_az_credential *c = capz_az_credential_new(&s->cloud, id, NULL, err);
  if (!c) return err && err->code ? err->code : CAPZ_EINVAL;
  return client_for(s, c, arm, cred, err);
}

int capz_az_session_for(capz_az_sessions *s, const capz_az_identity *id, capz_arm_client **arm, capz_err *err) {
  if (!s || !id || !arm) return capz_err_set(err, CAPZ_EINVAL, "capz_az_session_for: NULL argument");
  *arm = NULL;
  return az_session_entry_for(s, id, arm, NULL, err);
}

int capz_az_session_credential_for(capz_az_sessions *s, const capz_az_identity *id, capz_az_credential **cred,
                                   capz_err *err) {
  if (!s || !id || !cred) return capz_err_set(err, CAPZ_EINVAL, "capz_az_session_credential_for: NULL argument");
  *cred = NULL;
  return az_session_entry_for(s, id, NULL, cred, err);
}

int capz_az_session_default(capz_az_sessions *s, capz_arm_client **arm, capz_err *err) {
  if (!s || !arm) return capz_err_set(err, CAPZ_EINVAL, "capz_az_session_default: NULL argument");
  *arm = NULL;
  if (!s->def_client)
    return capz_err_set(err, CAPZ_EINVAL, "spec.identityRef is required (and no default identity is configured)");
  unsigned char *sec = NULL;
  size_t len = 0;
  if (s->def_secret_file) {
    int rc = az_session_read_file(s->def_secret_file, &sec, &len, err);
    if (rc) return rc;
  }
  capz_az_identity id = {.type = sec ? CAPZ_AZ_ID_SERVICE_PRINCIPAL : CAPZ_AZ_ID_WORKLOAD_IDENTITY,
                         .tenant_id = s->def_tenant, .client_id = s->def_client, .secret = sec, .secret_len = len};
  int rc = capz_az_session_for(s, &id, arm, err);
  if (sec) OPENSSL_cleanse(sec, len);
  free(sec);
  return rc;
}
