/*
 * log: a line per message with the program, the level and the object
 * speaking; levels below the threshold left out; $STOKE_LOG_LEVEL wins;
 * journald's "<N>" prefix when standard error is the journal's stream.
 */

#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "unit.h"

static char path[] = "/tmp/test_log.XXXXXX";
static int fd;

/* What was logged since the last call. */
static const char *
logged(void)
{
	static char buf[4096];
	static off_t seen;
	ssize_t n;

	n = pread(fd, buf, sizeof buf - 1, seen);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	seen += n;
	return (buf);
}

int
main(void)
{
	char js[64], big[4000];
	struct stat st;
	int saved;

	fd = mkstemp(path);
	CHECK(fd >= 0);
	(void)unlink(path);
	saved = dup(STDERR_FILENO);
	CHECK(dup2(fd, STDERR_FILENO) == STDERR_FILENO);

	unsetenv("JOURNAL_STREAM");
	unsetenv("STOKE_LOG_LEVEL");
	log_setup("stoked worker", LL_INFO);
	log_warning("origin shop.example", "backing off to %d", 4);
	log_info(NULL, "started");
	log_debug("store", "not shown");
	CHECK_STR_EQ(logged(),
	    "stoked worker: warning: origin shop.example: backing off to 4\n"
	    "stoked worker: info: started\n");

	setenv("STOKE_LOG_LEVEL", "debug", 1);
	log_setup("stoked", LL_WARNING);
	log_debug("store", "shown: %s", "yes");
	CHECK_STR_EQ(logged(), "stoked: debug: store: shown: yes\n");
	setenv("STOKE_LOG_LEVEL", "nonsense", 1);
	log_setup("stoked", LL_WARNING);
	log_notice("store", "not shown");
	log_error("store", "shown");
	CHECK_STR_EQ(logged(), "stoked: error: store: shown\n");

	/* A long message is cut, and keeps its end of line. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	log_error(NULL, "%s", big);
	CHECK_INT_EQ((long long)strlen(logged()), 2047);

	/* journald: the level as a prefix, no program name. */
	CHECK(fstat(STDERR_FILENO, &st) == 0);
	snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_setup("stoked", LL_INFO);
	log_warning("node v1", "log overrun");
	log_info(NULL, "ready");
	CHECK_STR_EQ(logged(), "<4>node v1: log overrun\n<6>ready\n");
	/* Another stream than the one systemd connected: plain lines. */
	setenv("JOURNAL_STREAM", "1:2", 1);
	log_setup("stoked", LL_INFO);
	log_info(NULL, "ready");
	CHECK_STR_EQ(logged(), "stoked: info: ready\n");

	CHECK_INT_EQ(log_level_parse("notice"), LL_NOTICE);
	CHECK_INT_EQ(log_level_parse("loud"), -1);
	CHECK_STR_EQ(log_level_name(LL_ERROR), "error");

	(void)dup2(saved, STDERR_FILENO);
	return (unit_done());
}
