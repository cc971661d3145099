/* az_bucket.h — token-bucket arithmetic (internal; pure, clock passed in). */
#ifndef CAPZ_SDK_AZ_BUCKET_H
#define CAPZ_SDK_AZ_BUCKET_H

typedef struct az_bucket {
  double rate;   /* tokens per second */
  double burst;  /* capacity */
  double tokens; /* may go negative: outstanding reservations */
  double last;   /* clock of the last update */
} az_bucket;

/* A full bucket at time now. */
void az_bucket_init(az_bucket *b, double rate, double burst, double now);
/* Take one token at time now; returns the seconds the caller must wait until its token is due (0 if
 * available). Reservations accumulate, so N concurrent callers on an empty bucket wait 1/rate, 2/rate, … */
double az_bucket_reserve(az_bucket *b, double now);
/* Tokens available at time now (negative while reservations are outstanding), without taking any. */
double az_bucket_peek(const az_bucket *b, double now);

#endif
