/* kube_evlog.c — bounded history of watch events (the emulator's "etcd revision log").
 * A watch from resourceVersion R replays the events with rv > R; when R is older than the
 * oldest retained event (the floor) the watch gets 410 Expired. Needs KS.lock. */
#include "kube_sim.h"

#include <stdlib.h>

static kevent *ring;
static size_t cap, head, count; /* head = index of the oldest */
static uint64_t floor_rv;

void evlog_init(size_t c) {
  cap = c ? c : 1;
  ring = calloc(cap, sizeof *ring);
  if (!ring) abort();
  head = count = 0;
  floor_rv = 0;
}

static void drop_oldest(void) {
  kevent *e = &ring[head];
  floor_rv = e->rv;
  kb_unref(e->obj);
  kb_unref(e->old);
  e->obj = e->old = NULL;
  head = (head + 1) % cap;
  count--;
}

void evlog_free(void) {
  while (count) drop_oldest();
  free(ring);
  ring = NULL;
}

void evlog_append(ktype *t, int type, kblob *obj, kblob *old, uint64_t rv) {
  if (count == cap) drop_oldest();
  kevent *e = &ring[(head + count) % cap];
  e->rv = rv;
  e->t = t;
  e->type = type;
  e->obj = kb_ref(obj);
  e->old = kb_ref(old);
  count++;
}

void evlog_compact(void) {
  while (count) drop_oldest();
  floor_rv = KS.rv;
}

uint64_t evlog_floor(void) { return floor_rv; }
size_t evlog_count(void) { return count; }
const kevent *evlog_at(size_t i) { return &ring[(head + i) % cap]; }

size_t evlog_first_after(uint64_t after) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (evlog_at(mid)->rv <= after)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}
