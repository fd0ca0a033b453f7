/*
 * One line a message, written with one write(2) so that lines from
 * several processes sharing a terminal or a journal stream never mix.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"

#include "log.h"

static const char *const log_names[] = {
	[LL_ERROR] = "error",
	[LL_WARNING] = "warning",
	[LL_NOTICE] = "notice",
	[LL_INFO] = "info",
	[LL_DEBUG] = "debug",
};

static struct {
	const char *prog;
	enum log_level level;
	int journal; /* stderr is journald's stream */
} log_conf = { "stoked", LL_INFO, -1 };

int
log_level_parse(const char *s)
{
	unsigned i;

	if (s == NULL)
		return (-1);
	for (i = LL_ERROR; i <= LL_DEBUG; i++)
		if (strcmp(s, log_names[i]) == 0)
			return ((int)i);
	return (-1);
}

const char *
log_level_name(enum log_level l)
{
	assert(l >= LL_ERROR && l <= LL_DEBUG);
	return (log_names[l]);
}

/*
 * $JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected;
 * stderr is journald's only if it is still that one (a child may have
 * inherited the variable with another stderr).
 */
static int
log_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return (0);
	if (fstat(STDERR_FILENO, &st) != 0)
		return (0);
	return ((unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

void
log_setup(const char *prog, enum log_level level)
{
	int l;

	AN(prog);
	assert(level >= LL_ERROR && level <= LL_DEBUG);
	log_conf.prog = prog;
	log_conf.level = level;
	l = log_level_parse(getenv("STOKE_LOG_LEVEL"));
	if (l >= 0)
		log_conf.level = (enum log_level)l;
	log_conf.journal = log_is_journal();
}

int
log_enabled(enum log_level l)
{
	return (l <= log_conf.level);
}

void
log_msg(enum log_level l, const char *who, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	size_t n;
	int r;

	assert(l >= LL_ERROR && l <= LL_DEBUG);
	if (!log_enabled(l))
		return;
	if (log_conf.journal < 0)
		log_conf.journal = log_is_journal();
	if (log_conf.journal)
		r = snprintf(line, sizeof line, "<%d>%s%s", (int)l,
		    who != NULL ? who : "", who != NULL ? ": " : "");
	else
		r = snprintf(line, sizeof line, "%s: %s: %s%s", log_conf.prog,
		    log_names[l], who != NULL ? who : "",
		    who != NULL ? ": " : "");
	assert(r > 0);
	n = (size_t)r < sizeof line ? (size_t)r : sizeof line - 1;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof line - n ? (size_t)r
		                                 : sizeof line - n - 1;
	/* A message cut to the line's size keeps its end of line. */
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	/* Nothing better to do when standard error is gone. */
	while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		continue;
}
