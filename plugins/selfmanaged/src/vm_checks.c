/* vm_checks.c — when a created VM is due to be read again.
 * A created VM is never re-ensured (its desired body lacks the bootstrap data, and a VM deleted out of band must
 * fail the machine, not be recreated), so the ensurer's drift clock does not cover it. This table gives the VM
 * the same clock: one read per drift interval (± 10 % jitter, so machines created together spread out), none in
 * between — a poke of a Ready machine costs no ARM request. Forgotten on delete; an entry lost (restart) only
 * means one early read. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sm_plugin.h"

typedef struct vc_entry {
  struct vc_entry *next;
  double due;   /* monotonic seconds */
  char id[];    /* VM resource ID (compared case-insensitively, as ARM IDs are) */
} vc_entry;

#define VC_BUCKETS 4096u

struct sm_vm_checks {
  pthread_mutex_t mu;
  vc_entry *b[VC_BUCKETS];
  unsigned seed;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned vc_hash(const char *s) {
  unsigned h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)(*s | 0x20)) * 16777619u;
  return h % VC_BUCKETS;
}

sm_vm_checks *sm_vm_checks_new(void) {
  sm_vm_checks *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->mu, NULL);
  c->seed = (unsigned)time(NULL);
  return c;
}

void sm_vm_checks_free(sm_vm_checks *c) {
  if (!c) return;
  for (unsigned i = 0; i < VC_BUCKETS; i++)
    for (vc_entry *e = c->b[i], *n; e; e = n) {
      n = e->next;
      free(e);
    }
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static vc_entry **vc_find(sm_vm_checks *c, const char *id) {
  vc_entry **p = &c->b[vc_hash(id)];
  while (*p && strcasecmp((*p)->id, id)) p = &(*p)->next;
  return p;
}

bool sm_vm_check_due(sm_vm_checks *c, const char *id, double *left_s) {
  if (!c) return true;
  pthread_mutex_lock(&c->mu);
  vc_entry *e = *vc_find(c, id);
  double left = e ? e->due - now_s() : 0;
  pthread_mutex_unlock(&c->mu);
  if (left_s) *left_s = left > 0 ? left : 0;
  return left <= 0;
}

void sm_vm_check_done(sm_vm_checks *c, const char *id, double interval_s) {
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  double j = 0.9 + 0.2 * ((double)(rand_r(&c->seed) % 10001) / 10000.0);
  vc_entry **p = vc_find(c, id);
  if (!*p) {
    size_t n = strlen(id) + 1;
    vc_entry *e = malloc(sizeof *e + n);
    if (e) {
      memcpy(e->id, id, n);
      e->next = NULL;
      *p = e;
    }
  }
  if (*p) (*p)->due = now_s() + interval_s * j;
  pthread_mutex_unlock(&c->mu);
}

void sm_vm_check_forget(sm_vm_checks *c, const char *id) {
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  vc_entry **p = vc_find(c, id);
  if (*p) {
    vc_entry *e = *p;
    *p = e->next;
    free(e);
  }
  pthread_mutex_unlock(&c->mu);
}
