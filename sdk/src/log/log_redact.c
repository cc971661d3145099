/* log_redact.c — which keys are secret, and masking of secrets inside free text. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "capz/log.h"

#define REDACTED "[REDACTED]"

/* Lower-cased key without '_', '-', '.' so client_secret, client-secret and clientSecret match alike. */
static void normalise_key(const char *key, size_t len, char *out, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < len && k + 1 < n; i++) {
    char c = key[i];
    if (c == '_' || c == '-' || c == '.') continue;
    out[k++] = (char)tolower((unsigned char)c);
  }
  out[k] = '\0';
}

static bool key_is_secret_n(const char *key, size_t len) {
  static const char *const exact[] = {
      "token",      "secret",     "password",      "passwd",       "clientsecret", "privatekey",
      "key",        "authorization", "assertion",  "customdata",   "kubeconfig",   "value",
      "data",       "bootstrapdata", "apikey",     "cookie",       "setcookie",    "connectionstring",
      "accountkey", "sharedkey",  "sig",           "credentials",  "proxyauthorization"};
  static const char *const contains[] = {"secret", "token", "password", "private", "credential"};
  if (!key || len == 0) return false;
  char norm[128];
  if (len >= sizeof norm) len = sizeof norm - 1;
  normalise_key(key, len, norm, sizeof norm);
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (strcmp(norm, exact[i]) == 0) return true;
  for (size_t i = 0; i < sizeof contains / sizeof contains[0]; i++)
    if (strstr(norm, contains[i])) return true;
  return false;
}

bool capz_log_key_is_secret(const char *key) { return key && key_is_secret_n(key, strlen(key)); }

/* Bounded output writer: always NUL-terminated, silently truncating. */
typedef struct wbuf {
  char *p;
  size_t n, k;
} wbuf;

static void put(wbuf *w, const char *s, size_t len) {
  if (w->n == 0) return;
  size_t room = w->n - 1 - w->k;
  if (len > room) len = room;
  memcpy(w->p + w->k, s, len);
  w->k += len;
  w->p[w->k] = '\0';
}

static bool is_b64url(char c) { return isalnum((unsigned char)c) || c == '-' || c == '_'; }
static bool is_key_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'; }
static bool is_token68(char c) {
  return isalnum((unsigned char)c) || strchr("-._~+/=", c) != NULL;
}

/* A PEM block at s: returns its length (to the end of the END line, or of the text if unterminated). */
static size_t pem_len(const char *s) {
  if (strncmp(s, "-----BEGIN ", 11) != 0) return 0;
  const char *end = strstr(s + 11, "-----END ");
  if (!end) return strlen(s);
  const char *close = strstr(end + 9, "-----");
  return close ? (size_t)(close + 5 - s) : strlen(s);
}

/* "Bearer <token>" / "Basic <token>" at s (case-insensitive scheme): length of the scheme plus
 * separator in *keep, of the credential in the return value; 0 when none. */
static size_t auth_scheme_len(const char *s, size_t *keep) {
  static const char *const schemes[] = {"bearer", "basic"};
  for (size_t i = 0; i < 2; i++) {
    size_t sl = strlen(schemes[i]);
    if (strncasecmp(s, schemes[i], sl) != 0 || (s[sl] != ' ' && s[sl] != '\t')) continue;
    size_t j = sl;
    while (s[j] == ' ' || s[j] == '\t') j++;
    size_t t = j;
    while (s[t] && is_token68(s[t])) t++;
    if (t == j) continue;
    *keep = j;
    return t - j;
  }
  return 0;
}

/* JWT-shaped: header.payload.signature in base64url, the header starting "eyJ" ('{"'). */
static size_t jwt_len(const char *s) {
  if (strncmp(s, "eyJ", 3) != 0) return 0;
  size_t i = 0, seg = 0, seglen[3] = {0, 0, 0};
  for (;;) {
    if (is_b64url(s[i])) {
      seglen[seg]++;
      i++;
    } else if (s[i] == '.' && seg < 2) {
      seg++;
      i++;
    } else {
      break;
    }
  }
  if (seg != 2 || seglen[0] < 10 || seglen[1] < 2) return 0;
  return i;
}

/* Length of a value starting at s (after "key=" or "key:"): a quoted string incl. its quotes, or a
 * bare word up to a delimiter; an auth scheme word swallows its credential too. */
static size_t value_len(const char *s) {
  if (*s == '"' || *s == '\'') {
    char q = *s;
    size_t i = 1;
    while (s[i] && s[i] != q) i += (s[i] == '\\' && s[i + 1]) ? 2 : 1;
    return s[i] ? i + 1 : i;
  }
  if (s[0] == '\\' && s[1] == '"') { /* JSON embedded in a JSON string: \"value\" */
    const char *end = strstr(s + 2, "\\\"");
    return end ? (size_t)(end + 2 - s) : strlen(s);
  }
  if (*s == '{' || *s == '[') { /* a structured secret ("data": {...}) is masked whole */
    int depth = 0;
    size_t i = 0;
    for (; s[i]; i++) {
      if (s[i] == '"') {
        i++;
        while (s[i] && s[i] != '"') i += (s[i] == '\\' && s[i + 1]) ? 2 : 1;
        if (!s[i]) break;
      } else if (s[i] == '{' || s[i] == '[') {
        depth++;
      } else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return i;
  }
  size_t keep;
  size_t cred = auth_scheme_len(s, &keep);
  if (cred) return keep + cred;
  size_t i = 0;
  while (s[i] && !isspace((unsigned char)s[i]) && !strchr(",;&}])\"'", s[i])) i++;
  return i;
}

/* A secret "key=value", "key: value", "\"key\":\"value\"" at s (s at the key's first char, not
 * preceded by a key char). On a match sets *vstart (offset of the value) and returns the total length. */
static size_t secret_pair_len(const char *s, size_t *vstart) {
  bool quoted = *s == '"';
  size_t k0 = quoted ? 1 : 0, i = k0;
  while (is_key_char(s[i])) i++;
  if (i == k0 || !key_is_secret_n(s + k0, i - k0)) return 0;
  if (quoted) { /* "key" or, inside an escaped JSON string, "key\" */
    if (s[i] == '\\' && s[i + 1] == '"') i++;
    if (s[i] != '"') return 0;
    i++;
  }
  while (s[i] == ' ' || s[i] == '\t') i++;
  if (s[i] != '=' && s[i] != ':') return 0;
  i++;
  while (s[i] == ' ' || s[i] == '\t') i++;
  size_t v = value_len(s + i);
  if (v == 0) return 0;
  *vstart = i;
  return i + v;
}

char *capz_redact(const char *text, char *out, size_t n) {
  if (!out || n == 0) return out;
  wbuf w = {out, n, 0};
  out[0] = '\0';
  if (!text) return out;
  const char *s = text;
  while (*s && w.k + 1 < n) {
    bool at_word_start = s == text || !is_key_char(s[-1]);
    size_t len, keep, vstart;
    if ((len = pem_len(s)) > 0) {
      put(&w, "[REDACTED PEM]", 14);
      s += len;
    } else if (at_word_start && (len = auth_scheme_len(s, &keep)) > 0) {
      put(&w, s, keep);
      put(&w, REDACTED, strlen(REDACTED));
      s += keep + len;
    } else if (at_word_start && (len = jwt_len(s)) > 0) {
      put(&w, REDACTED, strlen(REDACTED));
      s += len;
    } else if ((at_word_start || *s == '"') && !(s > text && s[-1] == '/' && *s != '"') &&
               (len = secret_pair_len(s, &vstart)) > 0) {
      /* (a word right after '/' is a URL path segment such as ".../oauth2/v2.0/token: <error>", not a key) */
      put(&w, s, vstart);
      bool q = s[vstart] == '"' || s[vstart] == '\'';
      if (q) put(&w, s + vstart, 1);
      put(&w, REDACTED, strlen(REDACTED));
      if (q && len - vstart >= 2 && s[len - 1] == s[vstart]) put(&w, s + vstart, 1);
      s += len;
    } else if (at_word_start && is_key_char(*s)) {
      /* copy the whole word so a secret key name inside a longer word is not matched mid-word */
      const char *e = s;
      while (is_key_char(*e)) e++;
      put(&w, s, (size_t)(e - s));
      s = e;
    } else {
      put(&w, s, 1);
      s++;
    }
  }
  return out;
}
