/*
 * event_store: a notification's payload read as the triggers of
 * 0010_live_events.sql write it, and nothing else taken for one.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "store/event_store.h"
#include "unit.h"

int
main(void)
{
	static const char *const bad[] = {
		"",
		"j",
		"j ",
		"j 1",
		"j 1 ",
		"j 1  2",
		"j 1 2 3",
		"j 0 2",
		"j 1 0",
		"j 01 2",
		"j -1 2",
		"j 1 +2",
		"i",
		"i 0",
		"i 1 2",
		"i 1 ",
		"x 1",
		"ji 1",
		"i 99999999999999999999",
		" i 1",
	};
	int64_t website, job;
	unsigned u;

	CHECK_INT_EQ(es_payload("j 12 345", &website, &job), 0);
	CHECK_INT_EQ(website, 12);
	CHECK_INT_EQ(job, 345);
	CHECK_INT_EQ(es_payload("i 7", &website, &job), 0);
	CHECK_INT_EQ(website, 7);
	CHECK_INT_EQ(job, 0);
	CHECK_INT_EQ(es_payload("i 9223372036854775807", &website, &job), 0);
	CHECK(website == INT64_MAX);
	CHECK_INT_EQ(es_payload(NULL, &website, &job), -1);
	for (u = 0; u < sizeof bad / sizeof bad[0]; u++) {
		if (es_payload(bad[u], &website, &job) != -1)
			printf("taken: '%s'\n", bad[u]);
		CHECK_INT_EQ(es_payload(bad[u], &website, &job), -1);
	}
	return (unit_done());
}
