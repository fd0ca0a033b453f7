/*
 * Running a program to completion: an argv array (no shell), stdin from
 * /dev/null, stdout and stderr appended to a log file, PG* variables
 * left out of its environment, optionally as another user.  For the
 * PostgreSQL tools the embedded cluster runs (pg_embed.c).
 */

#ifndef STOKE_SPAWN_H
#define STOKE_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawn_opts {
	const char *dir; /* working directory; NULL: ours */
	const char *log; /* output appended here; NULL: /dev/null */
	int setuser; /* run as uid and gid, not as ourselves */
	uid_t uid;
	gid_t gid;
};

/*
 * The program's exit status (0 to 255), or -1 when it could not be
 * started or was killed (err says why).  A child that cannot switch
 * user, enter dir or exec says so in the log and exits 126 or 127.
 */
int spawn_run(char *const argv[], const struct spawn_opts *, char *err,
    size_t errlen);

#endif
