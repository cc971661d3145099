/* kc_config.c — where the API server is and how to authenticate: kubeconfig, in-cluster, bare URL. */
#include <errno.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capz/json.h"
#include "kube/kc_internal.h"

#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

static capz_kube_config *cfg_alloc(void) {
  capz_kube_config *c = calloc(1, sizeof *c);
  if (c) pthread_mutex_init(&c->mu, NULL);
  return c;
}

static void free_strv(char **v) {
  for (size_t i = 0; v && v[i]; i++) free(v[i]);
  free(v);
}

CAPZ_API void capz_kube_config_free(capz_kube_config *c) {
  if (!c) return;
  free(c->server);
  free(c->ns);
  free(c->ca_file);
  free(c->ca_pem);
  if (c->cert_pem) OPENSSL_cleanse(c->cert_pem, strlen(c->cert_pem));
  free(c->cert_pem);
  if (c->key_pem) OPENSSL_cleanse(c->key_pem, strlen(c->key_pem));
  free(c->key_pem);
  if (c->token) OPENSSL_cleanse(c->token, strlen(c->token));
  free(c->token);
  free(c->token_file);
  free(c->exec_cmd);
  free_strv(c->exec_argv);
  free_strv(c->exec_env);
  free(c->exec_api_version);
  if (c->cached_token) OPENSSL_cleanse(c->cached_token, strlen(c->cached_token));
  free(c->cached_token);
  free(c->cached_cert);
  if (c->cached_key) OPENSSL_cleanse(c->cached_key, strlen(c->cached_key));
  free(c->cached_key);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

CAPZ_API const char *capz_kube_config_server(const capz_kube_config *c) { return c ? c->server : NULL; }
CAPZ_API const char *capz_kube_config_namespace(const capz_kube_config *c) {
  return c && c->ns && *c->ns ? c->ns : "default";
}

static int set_server(capz_kube_config *c, const char *server, capz_err *err) {
  if (!server || !*server) return capz_err_set(err, CAPZ_EINVAL, "kubeconfig: cluster has no server");
  if (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0)
    return capz_err_set(err, CAPZ_EINVAL, "kubeconfig: server %s is not an http(s) URL", server);
  c->server = strdup(server);
  if (!c->server) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  size_t n = strlen(c->server);
  while (n > 0 && c->server[n - 1] == '/') c->server[--n] = '\0';
  return 0;
}

CAPZ_API int capz_kube_config_from_url(const char *server, capz_kube_config **out, capz_err *err) {
  *out = NULL;
  capz_kube_config *c = cfg_alloc();
  if (!c) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  int rc = set_server(c, server, err);
  if (rc) {
    capz_kube_config_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

/* ---- helpers ---- */

static char *read_file(const char *path, size_t *len, capz_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    capz_err_set(err, errno == ENOENT ? CAPZ_ENOTFOUND : CAPZ_EIO, "reading %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) break;
    if (n + 1024 > cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
  }
  fclose(f);
  if (!buf) {
    capz_err_set(err, CAPZ_ENOMEM, "out of memory reading %s", path);
    return NULL;
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* Decode standard base64 (kubeconfig *-data fields); NUL-terminated result. */
static char *b64_decode(const char *in, capz_err *err, const char *field) {
  size_t n = strlen(in);
  char *clean = malloc(n + 1);
  if (!clean) return NULL;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ') clean[m++] = in[i];
  clean[m] = '\0';
  if (m % 4 != 0) {
    free(clean);
    capz_err_set(err, CAPZ_EINVAL, "kubeconfig: %s is not valid base64", field);
    return NULL;
  }
  char *out = malloc(m / 4 * 3 + 1);
  int r = out ? EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean, (int)m) : -1;
  if (r < 0) {
    free(out);
    free(clean);
    capz_err_set(err, CAPZ_EINVAL, "kubeconfig: %s is not valid base64", field);
    return NULL;
  }
  if (m >= 1 && clean[m - 1] == '=') r--;
  if (m >= 2 && clean[m - 2] == '=') r--;
  out[r] = '\0';
  free(clean);
  return out;
}

/* Resolve a path relative to the kubeconfig's directory. */
static char *rel_path(const char *base_dir, const char *p) {
  if (!p) return NULL;
  char *out = NULL;
  if (p[0] == '/' || !base_dir) return strdup(p);
  if (asprintf(&out, "%s/%s", base_dir, p) < 0) return NULL;
  return out;
}

static const cJSON *named_entry(const cJSON *arr, const char *name, const char *member) {
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
    if (n && name && strcmp(n, name) == 0) return cJSON_GetObjectItemCaseSensitive(e, member);
  }
  return NULL;
}

static const char *jstr(const cJSON *o, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k)); }

/* Take "data" (base64) or a file; store into *dst. */
static int load_blob(const cJSON *o, const char *data_key, const char *file_key, const char *base_dir, char **dst,
                     capz_err *err) {
  const char *d = jstr(o, data_key);
  if (d && *d) {
    *dst = b64_decode(d, err, data_key);
    return *dst ? 0 : (err && err->code ? err->code : CAPZ_ENOMEM);
  }
  const char *f = jstr(o, file_key);
  if (f && *f) {
    char *p = rel_path(base_dir, f);
    if (!p) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
    *dst = read_file(p, NULL, err);
    free(p);
    return *dst ? 0 : err->code;
  }
  return 0;
}

static int parse_exec(capz_kube_config *c, const cJSON *ex, const char *base_dir, capz_err *err) {
  const char *cmd = jstr(ex, "command");
  if (!cmd || !*cmd) return capz_err_set(err, CAPZ_EINVAL, "kubeconfig: exec without command");
  const char *api = jstr(ex, "apiVersion");
  c->exec_api_version = strdup(api ? api : "client.authentication.k8s.io/v1");
  /* A command with a slash but not absolute is relative to the kubeconfig, as in client-go. */
  c->exec_cmd = (strchr(cmd, '/') && cmd[0] != '/') ? rel_path(base_dir, cmd) : strdup(cmd);
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(ex, "args");
  int na = cJSON_IsArray(args) ? cJSON_GetArraySize(args) : 0;
  c->exec_argv = calloc((size_t)na + 2, sizeof(char *));
  if (!c->exec_argv || !c->exec_cmd || !c->exec_api_version) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  c->exec_argv[0] = strdup(c->exec_cmd);
  for (int i = 0; i < na; i++) {
    const char *a = cJSON_GetStringValue(cJSON_GetArrayItem(args, i));
    c->exec_argv[i + 1] = strdup(a ? a : "");
  }
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(ex, "env");
  int ne = cJSON_IsArray(env) ? cJSON_GetArraySize(env) : 0;
  c->exec_env = calloc((size_t)ne + 1, sizeof(char *));
  if (!c->exec_env) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  for (int i = 0, k = 0; i < ne; i++) {
    const cJSON *e = cJSON_GetArrayItem(env, i);
    const char *n = jstr(e, "name"), *v = jstr(e, "value");
    if (n && asprintf(&c->exec_env[k], "%s=%s", n, v ? v : "") >= 0) k++;
  }
  return 0;
}

static int parse_doc(capz_kube_config *c, const cJSON *doc, const char *context, const char *base_dir, capz_err *err) {
  const char *ctx_name = context ? context : jstr(doc, "current-context");
  if (!ctx_name || !*ctx_name) return capz_err_set(err, CAPZ_EINVAL, "kubeconfig: no current-context and none given");
  const cJSON *ctx = named_entry(cJSON_GetObjectItemCaseSensitive(doc, "contexts"), ctx_name, "context");
  if (!ctx) return capz_err_set(err, CAPZ_ENOTFOUND, "kubeconfig: context \"%s\" not found", ctx_name);
  const char *cl_name = jstr(ctx, "cluster"), *user_name = jstr(ctx, "user"), *ns = jstr(ctx, "namespace");
  const cJSON *cl = named_entry(cJSON_GetObjectItemCaseSensitive(doc, "clusters"), cl_name, "cluster");
  if (!cl) return capz_err_set(err, CAPZ_ENOTFOUND, "kubeconfig: cluster \"%s\" not found", cl_name ? cl_name : "");
  int rc = set_server(c, jstr(cl, "server"), err);
  if (rc) return rc;
  if (ns && !(c->ns = strdup(ns))) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  c->insecure = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cl, "insecure-skip-tls-verify"));
  const char *ca_d = jstr(cl, "certificate-authority-data"), *ca_f = jstr(cl, "certificate-authority");
  if (ca_d && *ca_d) {
    if (!(c->ca_pem = b64_decode(ca_d, err, "certificate-authority-data"))) return err ? err->code : CAPZ_EINVAL;
  } else if (ca_f && *ca_f) {
    c->ca_file = rel_path(base_dir, ca_f);
  }
  const cJSON *user = user_name ? named_entry(cJSON_GetObjectItemCaseSensitive(doc, "users"), user_name, "user") : NULL;
  if (user_name && !user) return capz_err_set(err, CAPZ_ENOTFOUND, "kubeconfig: user \"%s\" not found", user_name);
  if (!user) return 0;
  if ((rc = load_blob(user, "client-certificate-data", "client-certificate", base_dir, &c->cert_pem, err))) return rc;
  if ((rc = load_blob(user, "client-key-data", "client-key", base_dir, &c->key_pem, err))) return rc;
  const char *tok = jstr(user, "token"), *tokf = jstr(user, "tokenFile");
  if (tok && *tok) c->token = strdup(tok);
  else if (tokf && *tokf) c->token_file = rel_path(base_dir, tokf);
  const cJSON *ex = cJSON_GetObjectItemCaseSensitive(user, "exec");
  if (cJSON_IsObject(ex) && (rc = parse_exec(c, ex, base_dir, err))) return rc;
  return 0;
}

static int parse_text(const char *text, size_t len, const char *context, const char *base_dir, capz_kube_config **out,
                      capz_err *err) {
  *out = NULL;
  cJSON *docs = capz_yaml_to_json(text, len, err);
  if (!docs) return capz_err_prefix(err, "kubeconfig");
  const cJSON *doc = cJSON_GetArrayItem(docs, 0);
  capz_kube_config *c = cfg_alloc();
  int rc = !c ? capz_err_set(err, CAPZ_ENOMEM, "out of memory")
               : !cJSON_IsObject(doc) ? capz_err_set(err, CAPZ_EINVAL, "kubeconfig: not a mapping")
                                      : parse_doc(c, doc, context, base_dir, err);
  cJSON_Delete(docs);
  if (rc) {
    capz_kube_config_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

CAPZ_API int capz_kube_config_parse(const char *text, size_t len, const char *context, capz_kube_config **out,
                                    capz_err *err) {
  return parse_text(text, len, context, NULL, out, err);
}

CAPZ_API int capz_kube_config_load(const char *path, const char *context, capz_kube_config **out, capz_err *err) {
  *out = NULL;
  char buf[4096];
  if (!path) {
    const char *kc = getenv("KUBECONFIG");
    if (kc && *kc) {
      size_t l = strcspn(kc, ":");
      snprintf(buf, sizeof buf, "%.*s", (int)l, kc);
    } else {
      const char *home = getenv("HOME");
      snprintf(buf, sizeof buf, "%s/.kube/config", home ? home : "");
    }
    path = buf;
  }
  size_t len = 0;
  char *text = read_file(path, &len, err);
  if (!text) return err ? err->code : CAPZ_EIO;
  char *pcopy = strdup(path);
  int rc = pcopy ? parse_text(text, len, context, dirname(pcopy), out, err) : capz_err_set(err, CAPZ_ENOMEM, "oom");
  OPENSSL_cleanse(text, len);
  free(text);
  free(pcopy);
  if (rc) capz_err_prefix(err, "%s", path);
  return rc;
}

CAPZ_API int capz_kube_config_in_cluster(const char *sa_dir, capz_kube_config **out, capz_err *err) {
  *out = NULL;
  const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return capz_err_set(err, CAPZ_ENOTFOUND, "in-cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
  if (!sa_dir) sa_dir = SA_DIR_DEFAULT;
  capz_kube_config *c = cfg_alloc();
  if (!c) return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  char url[512], p[1024];
  /* IPv6 service hosts need brackets. */
  snprintf(url, sizeof url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
  int rc = set_server(c, url, err);
  snprintf(p, sizeof p, "%s/token", sa_dir);
  struct stat st;
  if (!rc && stat(p, &st) != 0) rc = capz_err_set(err, CAPZ_ENOTFOUND, "in-cluster: no token at %s", p);
  if (!rc && !(c->token_file = strdup(p))) rc = capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  snprintf(p, sizeof p, "%s/ca.crt", sa_dir);
  if (!rc && stat(p, &st) == 0) c->ca_file = strdup(p);
  snprintf(p, sizeof p, "%s/namespace", sa_dir);
  capz_err e2;
  char *ns = rc ? NULL : read_file(p, NULL, &e2);
  if (ns) {
    ns[strcspn(ns, " \r\n")] = '\0';
    c->ns = ns;
  }
  if (rc) {
    capz_kube_config_free(c);
    return rc;
  }
  *out = c;
  return 0;
}
