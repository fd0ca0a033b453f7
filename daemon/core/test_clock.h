/*
 * The time that schedules go by: the real time, or for tests only, the
 * time a file says (stoked serve --test-clock FILE, a hidden option),
 * so that a test can move two replicas over simulated hours at once.
 * Nothing enables it but that option, which is said in the log.
 */

#ifndef STOKE_TEST_CLOCK_H
#define STOKE_TEST_CLOCK_H

#include <stdint.h>

/*
 * Seconds since the epoch: the real time when file is NULL; else the
 * whole number of seconds file holds, read at each call; -1 (and a
 * warning logged) when it holds none.
 */
int64_t test_clock_now(const char *file);

#endif
