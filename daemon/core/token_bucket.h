/*
 * Token buckets, one per key (a user), in a table of bounded size: a
 * key may spend burst requests at once, then rate a second.  Pure: the
 * time is the caller's (seconds, monotonic), no locking (one thread, the
 * loop's).
 *
 * A bucket that has filled up again is the same as no bucket, so it is
 * let go whenever a new key comes; the table never holds more than cap
 * keys, and when it is full of busy ones the least recently seen is let
 * go (it starts again with a full bucket: the limit is loose only past
 * cap busy keys at once).
 */

#ifndef STOKE_TOKEN_BUCKET_H
#define STOKE_TOKEN_BUCKET_H

#include <stdint.h>

struct token_buckets;

/* rate > 0 tokens a second, burst >= 1, cap >= 1 keys. */
struct token_buckets *tb_new(double rate, double burst, unsigned cap);
void tb_free(struct token_buckets **);
/* One token of key's bucket: 0 if there was one, else the seconds until
 * there will be (> 0), and none taken. */
double tb_take(struct token_buckets *, uint64_t key, double now);
/* Keys held now. */
unsigned tb_size(const struct token_buckets *);

#endif
