/*
 * token_bucket: a burst, then the rate; the wait said when empty; keys
 * apart; idle buckets let go; the cap held with busy ones.
 */

#include "config.h"

#include "core/token_bucket.h"
#include "unit.h"

int
main(void)
{
	struct token_buckets *tb = tb_new(2, 5, 3);
	double w;
	unsigned i;

	/* A burst of 5, then none: half a second to the next at 2/s. */
	for (i = 0; i < 5; i++)
		CHECK(tb_take(tb, 1, 100.0) == 0);
	w = tb_take(tb, 1, 100.0);
	CHECK(w > 0.49 && w < 0.51);
	/* Another key has its own. */
	CHECK(tb_take(tb, 2, 100.0) == 0);
	/* Half a second later, one token; then none again. */
	CHECK(tb_take(tb, 1, 100.5) == 0);
	CHECK(tb_take(tb, 1, 100.5) > 0);
	/* Time going back (it is the caller's) gives nothing. */
	CHECK(tb_take(tb, 1, 99.0) > 0);
	CHECK(tb_size(tb) == 2);

	/* Long idle, key 2 is full again and let go when a new key comes;
	 * key 1 (seen later, also full) goes too. */
	CHECK(tb_take(tb, 3, 200.0) == 0);
	CHECK(tb_size(tb) == 1);

	/* Full of busy keys: the least recently seen goes (4, then 5). */
	for (i = 0; i < 5; i++)
		CHECK(tb_take(tb, 4, 300.0) == 0);
	CHECK(tb_take(tb, 5, 300.0) == 0);
	CHECK(tb_take(tb, 6, 300.0) == 0);
	CHECK(tb_size(tb) == 3);
	CHECK(tb_take(tb, 7, 300.0) == 0);
	CHECK(tb_size(tb) == 3);
	/* 4 was let go: a full bucket again. */
	CHECK(tb_take(tb, 4, 300.0) == 0);

	tb_free(&tb);
	CHECK(tb == NULL);

	/* Many keys, a small cap: never more than the cap. */
	tb = tb_new(1, 1, 100);
	for (i = 0; i < 10000; i++)
		(void)tb_take(tb, i, 1.0);
	CHECK(tb_size(tb) == 100);
	tb_free(&tb);
	return (unit_done());
}
