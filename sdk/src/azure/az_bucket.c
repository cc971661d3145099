/* az_bucket.c — token bucket with reservations (the arithmetic behind the ARM client-side limiter). */
#include "azure/az_bucket.h"

void az_bucket_init(az_bucket *b, double rate, double burst, double now) {
  b->rate = rate;
  b->burst = burst < 1 ? 1 : burst;
  b->tokens = b->burst;
  b->last = now;
}

static void refill(az_bucket *b, double now) {
  if (now > b->last) {
    b->tokens += (now - b->last) * b->rate;
    if (b->tokens > b->burst) b->tokens = b->burst;
    b->last = now;
  }
}

double az_bucket_reserve(az_bucket *b, double now) {
  refill(b, now);
  b->tokens -= 1.0;
  if (b->tokens >= 0) return 0;
  return -b->tokens / b->rate;
}

double az_bucket_peek(const az_bucket *b, double now) {
  double t = b->tokens;
  if (now > b->last) {
    t += (now - b->last) * b->rate;
    if (t > b->burst) t = b->burst;
  }
  return t;
}
