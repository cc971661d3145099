/* kc_auth.c — credentials for a request: static token, token file (re-read when it rotates) or an exec
 * credential plugin (ExecCredential, cached until its expirationTimestamp). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/kc_internal.h"

extern char **environ;

#define EXEC_TIMEOUT_MS 30000

void kc_auth_free(kc_auth *a) {
  if (!a) return;
  if (a->bearer) OPENSSL_cleanse(a->bearer, strlen(a->bearer));
  free(a->bearer);
  free(a->cert_pem);
  if (a->key_pem) OPENSSL_cleanse(a->key_pem, strlen(a->key_pem));
  free(a->key_pem);
  memset(a, 0, sizeof *a);
}

static void replace_secret(char **dst, char *val) {
  if (*dst) OPENSSL_cleanse(*dst, strlen(*dst));
  free(*dst);
  *dst = val;
}

/* RFC 3339 UTC or with offset → epoch seconds; 0 when unparsable. */
static time_t parse_rfc3339(const char *s) {
  struct tm tm = {0};
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return 0;
  time_t t = timegm(&tm);
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++) {
    }
  if (*p == '+' || *p == '-') {
    int hh = 0, mm = 0;
    if (sscanf(p + 1, "%d:%d", &hh, &mm) >= 1) t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
  }
  return t;
}

static int run_exec(capz_kube_config *c, capz_err *err) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) return capz_err_set(err, CAPZ_EIO, "exec credential: pipe: %s", strerror(errno));
  size_t nenv = 0, nextra = 0;
  while (environ && environ[nenv]) nenv++;
  while (c->exec_env && c->exec_env[nextra]) nextra++;
  char **envp = calloc(nenv + nextra + 2, sizeof(char *));
  char *info = NULL;
  if (!envp || asprintf(&info, "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}",
                        c->exec_api_version) < 0) {
    free(envp);
    close(pfd[0]);
    close(pfd[1]);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < nenv; i++) envp[k++] = environ[i];
  for (size_t i = 0; i < nextra; i++) envp[k++] = c->exec_env[i];
  envp[k++] = info;
  envp[k] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  int se = posix_spawnp(&pid, c->exec_cmd, &fa, NULL, c->exec_argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(pfd[1]);
  free(envp);
  free(info);
  if (se != 0) {
    close(pfd[0]);
    return capz_err_set(err, CAPZ_EAUTH, "exec credential: cannot run %s: %s", c->exec_cmd, strerror(se));
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int64_t deadline = kc_now_ms() + EXEC_TIMEOUT_MS;
  bool timed_out = false;
  for (;;) {
    int64_t left = deadline - kc_now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0) continue;
    if (len + 4096 > cap) {
      cap = cap ? cap * 2 : 8192;
      char *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    ssize_t r = read(pfd[0], buf + len, cap - len - 1);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(pfd[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int rc = 0;
  if (timed_out) {
    rc = capz_err_set(err, CAPZ_ETIMEOUT, "exec credential: %s did not finish in time", c->exec_cmd);
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    rc = capz_err_set(err, CAPZ_EAUTH, "exec credential: %s failed (status %d)", c->exec_cmd, status);
  } else if (!buf) {
    rc = capz_err_set(err, CAPZ_EAUTH, "exec credential: %s printed nothing", c->exec_cmd);
  } else {
    buf[len] = '\0';
    cJSON *doc = cJSON_ParseWithLength(buf, len);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "kind"));
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "token"));
    const char *cert = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "clientCertificateData"));
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "clientKeyData"));
    const char *exp = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "expirationTimestamp"));
    if (!doc || !kind || strcmp(kind, "ExecCredential") != 0 || !cJSON_IsObject(st)) {
      rc = capz_err_set(err, CAPZ_EAUTH, "exec credential: %s did not print an ExecCredential", c->exec_cmd);
    } else if (!tok && !(cert && key)) {
      rc = capz_err_set(err, CAPZ_EAUTH, "exec credential: ExecCredential has neither token nor client cert/key");
    } else {
      replace_secret(&c->cached_token, tok ? strdup(tok) : NULL);
      replace_secret(&c->cached_cert, cert ? strdup(cert) : NULL);
      replace_secret(&c->cached_key, key ? strdup(key) : NULL);
      c->cached_expiry = exp ? parse_rfc3339(exp) : 0;
      c->have_cached = true;
    }
    cJSON_Delete(doc);
  }
  if (buf) OPENSSL_cleanse(buf, len);
  free(buf);
  return rc;
}

static int refresh_token_file(capz_kube_config *c, capz_err *err) {
  struct stat st;
  if (stat(c->token_file, &st) != 0)
    return capz_err_set(err, CAPZ_EAUTH, "token file %s: %s", c->token_file, strerror(errno));
  if (c->have_cached && st.st_mtim.tv_sec == c->file_mtime.tv_sec && st.st_mtim.tv_nsec == c->file_mtime.tv_nsec)
    return 0;
  FILE *f = fopen(c->token_file, "r");
  if (!f) return capz_err_set(err, CAPZ_EAUTH, "token file %s: %s", c->token_file, strerror(errno));
  char buf[16384];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = '\0';
  replace_secret(&c->cached_token, strdup(buf));
  OPENSSL_cleanse(buf, sizeof buf);
  c->file_mtime = st.st_mtim;
  c->have_cached = true;
  return 0;
}

int kc_config_auth(capz_kube_config *c, bool force_refresh, kc_auth *a, capz_err *err) {
  memset(a, 0, sizeof *a);
  a->tls.ca_file = c->ca_file;
  a->tls.ca_pem = c->ca_pem;
  a->tls.client_cert_pem = c->cert_pem;
  a->tls.client_key_pem = c->key_pem;
  a->tls.insecure_skip_verify = c->insecure;
  if (c->token) {
    a->bearer = strdup(c->token);
    return a->bearer ? 0 : capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  if (!c->token_file && !c->exec_cmd) return 0;
  pthread_mutex_lock(&c->mu);
  int rc = 0;
  if (c->exec_cmd) {
    if (force_refresh || !c->have_cached || (c->cached_expiry && time(NULL) >= c->cached_expiry))
      rc = run_exec(c, err);
  } else {
    if (force_refresh) c->have_cached = false;
    rc = refresh_token_file(c, err);
  }
  if (!rc) {
    if (c->cached_token) a->bearer = strdup(c->cached_token);
    if (c->cached_cert && c->cached_key) {
      a->cert_pem = strdup(c->cached_cert);
      a->key_pem = strdup(c->cached_key);
      a->tls.client_cert_pem = a->cert_pem;
      a->tls.client_key_pem = a->key_pem;
    }
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}
