/*
 * Token buckets in a chained hash, with a list from the least recently
 * seen key to the most: the idle ones are at its head, where a new key
 * looks for room.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "token_bucket.h"

struct tb_bucket {
	unsigned magic;
#define TB_BUCKET_MAGIC 0x7b0c4e71
	uint64_t key;
	double tokens; /* as of last */
	double last;
	LIST_ENTRY(tb_bucket) hash;
	TAILQ_ENTRY(tb_bucket) lru;
};

LIST_HEAD(tb_chain, tb_bucket);

struct token_buckets {
	unsigned magic;
#define TOKEN_BUCKETS_MAGIC 0x7b0c4e70
	double rate, burst;
	unsigned cap, n;
	unsigned mask; /* the hash's size, a power of two, less one */
	struct tb_chain *chain;
	TAILQ_HEAD(, tb_bucket) lru;
};

struct token_buckets *
tb_new(double rate, double burst, unsigned cap)
{
	struct token_buckets *tb;
	unsigned size = 16;

	assert(rate > 0);
	assert(burst >= 1);
	assert(cap >= 1);
	ALLOC_OBJ(tb, TOKEN_BUCKETS_MAGIC);
	AN(tb);
	tb->rate = rate;
	tb->burst = burst;
	tb->cap = cap;
	while (size < cap && size < (1U << 20))
		size <<= 1;
	tb->mask = size - 1;
	tb->chain = calloc(size, sizeof *tb->chain);
	AN(tb->chain);
	TAILQ_INIT(&tb->lru);
	return (tb);
}

static void
tb_drop(struct token_buckets *tb, struct tb_bucket *b)
{
	CHECK_OBJ_NOTNULL(b, TB_BUCKET_MAGIC);
	LIST_REMOVE(b, hash);
	TAILQ_REMOVE(&tb->lru, b, lru);
	assert(tb->n > 0);
	tb->n--;
	FREE_OBJ(b);
}

void
tb_free(struct token_buckets **tbp)
{
	struct token_buckets *tb;

	TAKE_OBJ_NOTNULL(tb, tbp, TOKEN_BUCKETS_MAGIC);
	while (!TAILQ_EMPTY(&tb->lru))
		tb_drop(tb, TAILQ_FIRST(&tb->lru));
	free(tb->chain);
	FREE_OBJ(tb);
}

/* Fibonacci hashing: user ids are consecutive, the low bits alone
 * would do, but other keys may not be. */
static struct tb_chain *
tb_chain(const struct token_buckets *tb, uint64_t key)
{
	return (&tb->chain[(key * 0x9e3779b97f4a7c15ULL) >> 32 & tb->mask]);
}

/* The bucket's tokens now, refilled since it was last seen. */
static double
tb_level(const struct token_buckets *tb, const struct tb_bucket *b, double now)
{
	double t = b->tokens;

	if (now > b->last)
		t += (now - b->last) * tb->rate;
	return (t < tb->burst ? t : tb->burst);
}

/* Room for one more: the full (idle) buckets let go, then, if the table
 * is still full, the least recently seen. */
static void
tb_room(struct token_buckets *tb, double now)
{
	struct tb_bucket *b;

	while ((b = TAILQ_FIRST(&tb->lru)) != NULL &&
	    tb_level(tb, b, now) >= tb->burst)
		tb_drop(tb, b);
	if (tb->n >= tb->cap)
		tb_drop(tb, TAILQ_FIRST(&tb->lru));
}

double
tb_take(struct token_buckets *tb, uint64_t key, double now)
{
	struct tb_chain *c;
	struct tb_bucket *b;

	CHECK_OBJ_NOTNULL(tb, TOKEN_BUCKETS_MAGIC);
	c = tb_chain(tb, key);
	LIST_FOREACH(b, c, hash)
	if (b->key == key)
		break;
	if (b != NULL) {
		CHECK_OBJ(b, TB_BUCKET_MAGIC);
		b->tokens = tb_level(tb, b, now);
		TAILQ_REMOVE(&tb->lru, b, lru);
	} else {
		tb_room(tb, now);
		ALLOC_OBJ(b, TB_BUCKET_MAGIC);
		AN(b);
		b->key = key;
		b->tokens = tb->burst;
		LIST_INSERT_HEAD(c, b, hash);
		tb->n++;
	}
	if (now > b->last)
		b->last = now;
	TAILQ_INSERT_TAIL(&tb->lru, b, lru);
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return (0);
	}
	return ((1 - b->tokens) / tb->rate);
}

unsigned
tb_size(const struct token_buckets *tb)
{
	CHECK_OBJ_NOTNULL(tb, TOKEN_BUCKETS_MAGIC);
	return (tb->n);
}
