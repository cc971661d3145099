/* ksim_client.h — tiny HTTP helpers for the capz-kube-sim tests (libcurl). Not thread-safe
 * except kw_* (one watch per thread). */
#ifndef KSIM_CLIENT_H
#define KSIM_CLIENT_H
#include <cJSON.h>
#include <pthread.h>
#include <stdbool.h>

#include "curlbuf.h"
#include "simproc.h"

typedef struct kresp {
  long code;
  char *body;    /* raw body (malloc) */
  cJSON *json;   /* parsed body or NULL */
  char *headers; /* raw response headers */
} kresp;

extern simproc KSIM; /* the emulator of the current test */
void ksim_start(void);   /* starts KSIM (fails the test if it cannot) */
void ksim_stop(void);

/* method, path relative to the base URL, content type (NULL = application/json), body (NULL = none). */
kresp kreq(const char *method, const char *path, const char *ctype, const char *body);
/* Same with an explicit body length (binary bodies). */
kresp kreq_n(const char *method, const char *path, const char *ctype, const char *body, size_t len);
kresp kget(const char *path);
kresp kpost(const char *path, const char *body);
kresp kput(const char *path, const char *body);
kresp kpatch(const char *path, const char *ctype, const char *body);
kresp kdel(const char *path, const char *body);
void kresp_free(kresp *r);
const char *kjs(const cJSON *j, const char *ptr); /* string at JSON pointer or "" */
double kjn(const cJSON *j, const char *ptr);      /* number at JSON pointer or -1 */

/* The Widget CRD of the spec's checklist (status subresource, size:int, color enum, default red). */
extern const char *WIDGET_CRD;
void install_widget_crd(void);
#define PFX "/apis/example.com/v1/namespaces/default/widgets"

/* Watch stream collected on a thread. */
typedef struct kwatch_t {
  pthread_t th;
  char url[1024];
  pthread_mutex_t mu;
  curlbuf got; /* the stream so far, under mu */
  long code;
  volatile int stop;
  volatile int finished;
  double timeout_s;
} kwatch_t;
kwatch_t *kw_open(const char *path, double timeout_s);
/* Wait until at least n complete lines have arrived (or timeout); returns the line count. */
int kw_wait_lines(kwatch_t *w, int n, double timeout_s);
/* Parsed line i (new tree; NULL if absent). */
cJSON *kw_line(kwatch_t *w, int i);
int kw_count(kwatch_t *w);
/* Watch of PFX starting after resourceVersion rv, with more query parameters (NULL or "" for none, else e.g.
 * "timeoutSeconds=1"): PFX?watch=1[&params]&resourceVersion=rv. */
kwatch_t *kw_open_from(const char *rv, const char *params, double timeout_s);
bool kw_wait_finished(kwatch_t *w, double timeout_s);
void kw_close(kwatch_t *w);
void sleep_ms(int ms);
/* Poll /_sim/stats (up to tries times, 50 ms apart) until the emulator counts want open watches; returns the
 * last count seen. */
int ksim_wait_watches(int want, int tries);
#endif
