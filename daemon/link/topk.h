/*
 * The most frequent keys of a stream, in bounded memory: the
 * space-saving algorithm (Metwally, Agrawal, El Abbadi, 2005).  At most
 * cap keys are counted; a key not among them takes the place of the
 * least counted one and inherits its count, plus its own, as an error
 * it may carry.  So memory and time per key are bounded whatever the
 * visitors ask for (a crawler's million URLs cost no more than cap
 * entries), and any key seen more than total/cap times is sure to be
 * there, its true count between count - err and count.
 *
 * Chosen over a count-min sketch, which counts every key well but does
 * not say which keys are the top ones (a heap beside it would be needed
 * anyway), and over a plain bounded table, which would keep the first
 * keys seen and refuse a popular newcomer.
 */

#ifndef STOKE_TOPK_H
#define STOKE_TOPK_H

#include <stdint.h>

struct topk;

struct topk *topk_new(unsigned cap);
void topk_free(struct topk **);
/* key seen n more times (n > 0); key is copied. */
void topk_add(struct topk *, const char *key, uint64_t n);
/* Keys counted now, at most cap. */
unsigned topk_len(const struct topk *);

/* count: as counted, err: how much of it may be another key's. */
typedef void topk_f(void *priv, const char *key, uint64_t count, uint64_t err);
/*
 * The most counted keys, at most most of them, most counted first (of
 * equals, the one with less error, then by key); then every key is
 * forgotten: counting starts again.  Returns how many were handed over.
 */
unsigned topk_take(struct topk *, unsigned most, topk_f *, void *priv);

#endif
