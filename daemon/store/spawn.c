/*
 * fork, exec, wait.  Between fork and exec only system calls, so that
 * this stays safe in a process with threads.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"

#include "spawn.h"

extern char **environ;

/*
 * Our environment without PG*: PGPORT, PGDATA, PGHOST and their kind
 * would point initdb and pg_ctl at a cluster other than the one asked.
 */
static char **
clean_env(void)
{
	char **env;
	size_t n = 0, i, j = 0;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 1, sizeof *env);
	if (env == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "PG", 2) != 0)
			env[j++] = environ[i];
	return (env);
}

static void
child_say(const char *a, const char *b, int e)
{
	const char *s = strerror(e);

	(void)!write(2, a, strlen(a));
	(void)!write(2, b, strlen(b));
	(void)!write(2, ": ", 2);
	(void)!write(2, s, strlen(s));
	(void)!write(2, "\n", 1);
}

static void __attribute__((noreturn)) child(char *const argv[], char **env,
    const struct spawn_opts *o, int in, int out, int maxfd)
{
	struct sigaction sa;
	sigset_t none;
	int fd;

	/* What we block or ignore is ours: the server wants defaults. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (fd = 1; fd < NSIG; fd++)
		(void)sigaction(fd, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	/* Our sockets and files are none of its business. */
	for (fd = 3; fd < maxfd; fd++)
		(void)close(fd);
	if (o->setuser &&
	    (setgroups(1, &o->gid) != 0 || setgid(o->gid) != 0 ||
	        setuid(o->uid) != 0)) {
		child_say("spawn: cannot switch user for ", argv[0], errno);
		_exit(126);
	}
	if (o->dir != NULL && chdir(o->dir) != 0) {
		child_say("spawn: cannot enter ", o->dir, errno);
		_exit(126);
	}
	(void)execve(argv[0], argv, env);
	child_say("spawn: cannot run ", argv[0], errno);
	_exit(127);
}

/* Above 2, so that the child's dup2() onto 0, 1 and 2 cannot clash. */
static int
open_high(const char *path, int flags)
{
	int fd, hi;

	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0 || fd > 2)
		return (fd);
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	(void)close(fd);
	return (hi);
}

int
spawn_run(char *const argv[], const struct spawn_opts *o, char *err,
    size_t errlen)
{
	struct rlimit rl;
	char **env;
	int in, out, st, maxfd = 1024;
	pid_t pid;

	AN(argv);
	AN(argv[0]);
	AN(o);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		maxfd = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	out = open_high(o->log != NULL ? o->log : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND);
	if (out < 0) {
		snprintf(err, errlen, "cannot open %s: %s",
		    o->log != NULL ? o->log : "/dev/null", strerror(errno));
		return (-1);
	}
	in = open_high("/dev/null", O_RDONLY);
	env = clean_env();
	if (in < 0 || env == NULL) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0],
		    strerror(errno));
		if (in >= 0)
			(void)close(in);
		(void)close(out);
		free(env);
		return (-1);
	}
	pid = fork();
	if (pid == 0)
		child(argv, env, o, in, out, maxfd);
	st = errno;
	free(env);
	(void)close(in);
	(void)close(out);
	if (pid < 0) {
		snprintf(err, errlen, "cannot run %s: fork: %s", argv[0],
		    strerror(st));
		return (-1);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for %s: %s", argv[0],
			    strerror(errno));
			return (-1);
		}
	}
	if (WIFEXITED(st))
		return (WEXITSTATUS(st));
	snprintf(err, errlen, "%s was killed by signal %d", argv[0],
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return (-1);
}
