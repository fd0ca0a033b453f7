/*
 * The embedded cluster's life: initdb, pg_ctl start, stop, status, each
 * run through spawn.c with argv arrays.
 *
 * Its settings are not given to pg_ctl (-o) because pg_ctl hands them
 * to a shell: stoked writes them to data/stoke.conf, which
 * postgresql.conf includes.  pg_ctl still puts the data directory and
 * log paths in double quotes for that shell, so paths holding what
 * double quotes leave special are refused.
 *
 * Authentication is trust: the socket is the only way in and its
 * directory is the cluster owner's alone (mode 0700), so whoever can
 * connect could read the data files anyway.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "pg_embed.h"
#include "spawn.h"

/* Debian's layout: the server binaries of each major version. */
#define PG_LIB_DIR "/usr/lib/postgresql"
#define PG_PORT "5432"
#define PG_SOCKET_NAME "/.s.PGSQL." PG_PORT
#define PG_USER "stoke"
#define PG_DB "stoke"
#define INCLUDE_LINE "include_if_exists = 'stoke.conf'"

struct pg_embed {
	unsigned magic;
#define PG_EMBED_MAGIC 0x9e3b17a5
	char *state; /* absolute */
	char *dir; /* STATE/pg: socket, logs, lock */
	char *data; /* STATE/pg/data */
	char *ctl_log; /* what initdb and pg_ctl say */
	char *server_log;
	char *url;
	char bindir[PATH_MAX];
	int lockfd;
	struct spawn_opts so;
};

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	AN(s);
	snprintf(s, n, "%s%s", a, b);
	return (s);
}

/* For a URL's query: the socket directory may hold anything. */
static char *
url_for(const char *sockdir)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *head = "postgresql://" PG_USER "@/" PG_DB "?host=";
	const char *tail = "&port=" PG_PORT;
	char *u, *p;
	const char *s;

	u = malloc(strlen(head) + 3 * strlen(sockdir) + strlen(tail) + 1);
	AN(u);
	p = u + sprintf(u, "%s", head);
	for (s = sockdir; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("/-._~", ch) != NULL) {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	strcpy(p, tail);
	return (u);
}

struct pg_embed *
pg_embed_new(const char *state_dir, char *err, size_t errlen)
{
	struct pg_embed *pe;
	struct passwd *pw;
	char cwd[PATH_MAX];
	char *state, *cwd_slash;

	AN(state_dir);
	assert(*state_dir != '\0');
	if (state_dir[0] == '/') {
		state = join(state_dir, "");
	} else {
		if (getcwd(cwd, sizeof cwd) == NULL) {
			snprintf(err, errlen, "getcwd: %s", strerror(errno));
			return (NULL);
		}
		cwd_slash = join(cwd, "/");
		state = join(cwd_slash, state_dir);
		free(cwd_slash);
	}
	if (strpbrk(state, "\"$`\\\n") != NULL) {
		snprintf(err, errlen,
		    "the state directory's path may not hold \", $, `, \\ "
		    "or a newline (pg_ctl passes it through a shell)");
		free(state);
		return (NULL);
	}
	if (strlen(state) + strlen("/pg" PG_SOCKET_NAME) >=
	    sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		snprintf(err, errlen,
		    "the state directory's path is too long for the "
		    "PostgreSQL socket in it (%zu characters at most)",
		    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1 -
		        strlen("/pg" PG_SOCKET_NAME));
		free(state);
		return (NULL);
	}
	pe = calloc(1, sizeof *pe);
	AN(pe);
	pe->magic = PG_EMBED_MAGIC;
	pe->state = state;
	pe->dir = join(state, "/pg");
	pe->data = join(pe->dir, "/data");
	pe->ctl_log = join(pe->dir, "/ctl.log");
	pe->server_log = join(pe->dir, "/server.log");
	pe->url = url_for(pe->dir);
	pe->lockfd = -1;
	pe->so.dir = pe->dir;
	if (geteuid() == 0) {
		pw = getpwnam("postgres");
		if (pw == NULL) {
			snprintf(err, errlen,
			    "as root, stoked runs PostgreSQL as the postgres "
			    "user, and there is none: install the postgresql "
			    "package");
			pg_embed_free(&pe);
			return (NULL);
		}
		pe->so.setuser = 1;
		pe->so.uid = pw->pw_uid;
		pe->so.gid = pw->pw_gid;
	}
	return (pe);
}

void
pg_embed_free(struct pg_embed **pep)
{
	struct pg_embed *pe;

	AN(pep);
	pe = *pep;
	*pep = NULL;
	if (pe == NULL)
		return;
	CHECK_OBJ(pe, PG_EMBED_MAGIC);
	if (pe->lockfd >= 0)
		(void)close(pe->lockfd);
	free(pe->state);
	free(pe->dir);
	free(pe->data);
	free(pe->ctl_log);
	free(pe->server_log);
	free(pe->url);
	free(pe);
}

const char *
pg_embed_url(const struct pg_embed *pe)
{
	CHECK_OBJ_NOTNULL(pe, PG_EMBED_MAGIC);
	return (pe->url);
}

const char *
pg_embed_data_dir(const struct pg_embed *pe)
{
	CHECK_OBJ_NOTNULL(pe, PG_EMBED_MAGIC);
	return (pe->data);
}

/*
 * The line of a log that says best what went wrong: the last FATAL or
 * PANIC one in its tail, else its last line.
 */
static void
log_reason(const char *path, char *buf, size_t len)
{
	char tail[8192], *line, *save = NULL, *best = NULL, *last = NULL;
	ssize_t n;
	off_t size;
	int fd;

	snprintf(buf, len, "(nothing in %s)", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof tail - 1)
		(void)lseek(fd, size - (off_t)(sizeof tail - 1), SEEK_SET);
	else
		(void)lseek(fd, 0, SEEK_SET);
	n = read(fd, tail, sizeof tail - 1);
	(void)close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	for (line = strtok_r(tail, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		last = line;
		if (strstr(line, "FATAL:") != NULL ||
		    strstr(line, "PANIC:") != NULL)
			best = line;
	}
	if (best == NULL)
		best = last;
	if (best != NULL)
		snprintf(buf, len, "%s", best);
}

/* The major version data/PG_VERSION names; 0 when there is none. */
static int
cluster_major(const struct pg_embed *pe)
{
	char *path = join(pe->data, "/PG_VERSION");
	FILE *f = fopen(path, "r");
	int v = 0;

	free(path);
	if (f == NULL)
		return (0);
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	(void)fclose(f);
	return (v);
}

/*
 * The binaries to run: those of the version that made the cluster, or
 * the newest for a new one.
 */
static int
find_bindir(struct pg_embed *pe, char *err, size_t errlen)
{
	int want = cluster_major(pe), best = 0, v;
	const char *p;
	glob_t g;
	size_t i;

	pe->bindir[0] = '\0';
	if (glob(PG_LIB_DIR "/*/bin/pg_ctl", 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			p = g.gl_pathv[i] + strlen(PG_LIB_DIR "/");
			v = atoi(p);
			if (v <= 0 || (want != 0 && v != want) || v <= best)
				continue;
			best = v;
			snprintf(pe->bindir, sizeof pe->bindir,
			    PG_LIB_DIR "/%.*s/bin", (int)strcspn(p, "/"), p);
		}
	}
	globfree(&g);
	if (best != 0)
		return (0);
	if (want != 0)
		snprintf(err, errlen,
		    "the cluster in %s was made by PostgreSQL %d, whose "
		    "server is not installed: install postgresql-%d",
		    pe->data, want, want);
	else
		snprintf(err, errlen,
		    "no PostgreSQL server in " PG_LIB_DIR "/*/bin: install "
		    "the postgresql package");
	return (-1);
}

/* Runs a tool of the bindir, output to log (NULL: none).  Its status. */
static int
tool(struct pg_embed *pe, const char *log, const char *name,
    const char *const *args, char *err, size_t errlen)
{
	char prog[PATH_MAX + 16], *argv[24];
	size_t n = 0;
	int rv;

	snprintf(prog, sizeof prog, "%s/%s", pe->bindir, name);
	argv[n++] = prog;
	while (*args != NULL) {
		assert(n < sizeof argv / sizeof argv[0] - 1);
		argv[n++] = (char *)(uintptr_t)*args++;
	}
	argv[n] = NULL;
	pe->so.log = log;
	rv = spawn_run(argv, &pe->so, err, errlen);
	pe->so.log = NULL;
	return (rv);
}

/* A tool that failed: what it said, and a hint if the user is why. */
static void
tool_failed(const struct pg_embed *pe, const char *name, int rv,
    const char *log, char *err, size_t errlen)
{
	char reason[512];

	log_reason(log, reason, sizeof reason);
	if (pe->so.setuser && strstr(reason, "cannot enter") != NULL)
		snprintf(err, errlen,
		    "%s: %s (the postgres user, which runs it, must be able "
		    "to reach %s: chmod o+x its parent directories)",
		    name, reason, pe->dir);
	else
		snprintf(err, errlen, "%s failed (exit %d): %s", name, rv,
		    reason);
}

static int
mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	char *s = join(path, ""), *p = s, c;
	int rv = 0;

	do {
		p += 1 + strcspn(p + 1, "/");
		c = *p;
		*p = '\0';
		if (mkdir(s, mode) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot make %s: %s", s,
			    strerror(errno));
			rv = -1;
		}
		*p = c;
	} while (c != '\0' && rv == 0);
	free(s);
	return (rv);
}

/*
 * STATE (reachable by the postgres user when we are root) and STATE/pg,
 * the cluster owner's alone: its socket is the way in.
 */
static int
make_dirs(struct pg_embed *pe, char *err, size_t errlen)
{
	if (mkdir_p(pe->state, pe->so.setuser ? 0755 : 0700, err, errlen) != 0)
		return (-1);
	if (mkdir(pe->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", pe->dir,
		    strerror(errno));
		return (-1);
	}
	if (pe->so.setuser && chown(pe->dir, pe->so.uid, pe->so.gid) != 0) {
		snprintf(err, errlen, "cannot give %s to postgres: %s", pe->dir,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static int
lock(struct pg_embed *pe, char *err, size_t errlen)
{
	char *path = join(pe->dir, "/lock");

	assert(pe->lockfd < 0);
	pe->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (pe->lockfd < 0 || flock(pe->lockfd, LOCK_EX) != 0) {
		snprintf(err, errlen, "cannot lock %s: %s", path,
		    strerror(errno));
		free(path);
		if (pe->lockfd >= 0)
			(void)close(pe->lockfd);
		pe->lockfd = -1;
		return (-1);
	}
	free(path);
	return (0);
}

static void
unlock(struct pg_embed *pe)
{
	if (pe->lockfd >= 0)
		(void)close(pe->lockfd);
	pe->lockfd = -1;
}

/* Writes a file of the cluster, owned by the cluster's owner. */
static int
write_file(const struct pg_embed *pe, const char *path, const char *text,
    int append, char *err, size_t errlen)
{
	size_t n = strlen(text);
	int fd;

	fd = open(path,
	    O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
	    0600);
	if (fd < 0 ||
	    (pe->so.setuser && fchown(fd, pe->so.uid, pe->so.gid) != 0) ||
	    write(fd, text, n) != (ssize_t)n) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return (-1);
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* postgresql.conf includes stoke.conf; checked each start, cheap. */
static int
ensure_include(struct pg_embed *pe, char *err, size_t errlen)
{
	char *path = join(pe->data, "/postgresql.conf"), *text;
	int rv = 0, found = 0;
	struct stat st;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		if (f != NULL)
			(void)fclose(f);
		free(path);
		return (-1);
	}
	text = calloc(1, (size_t)st.st_size + 1);
	AN(text);
	if (fread(text, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
		found = strstr(text, "\n" INCLUDE_LINE "\n") != NULL;
	(void)fclose(f);
	free(text);
	if (!found)
		rv = write_file(pe, path,
		    "\n# stoked's settings, rewritten at each "
		    "start.\n" INCLUDE_LINE "\n",
		    1, err, errlen);
	free(path);
	return (rv);
}

/* The socket in STATE/pg and no TCP, written afresh: STATE may move. */
static int
write_conf(struct pg_embed *pe, char *err, size_t errlen)
{
	char *path = join(pe->data, "/stoke.conf"), *text, *p;
	const char *s;
	size_t n;
	int rv;

	n = 256 + 2 * strlen(pe->dir);
	text = malloc(n);
	AN(text);
	p = text +
	    snprintf(text, n,
	        "# Written by stoked at each start: change "
	        "postgresql.conf, not this.\n"
	        "listen_addresses = ''\n"
	        "port = " PG_PORT "\n"
	        "unix_socket_directories = '");
	/* A quote is doubled in a configuration string. */
	for (s = pe->dir; *s != '\0'; s++) {
		if (*s == '\'')
			*p++ = '\'';
		*p++ = *s;
	}
	strcpy(p, "'\n");
	rv = write_file(pe, path, text, 0, err, errlen);
	free(text);
	free(path);
	return (rv);
}

static int
initdb(struct pg_embed *pe, char *err, size_t errlen)
{
	const char *args[] = { "-D", pe->data, "-U", PG_USER, "-A", "trust",
		"-E", "UTF8", "--no-locale", NULL };
	int rv;

	rv = tool(pe, pe->ctl_log, "initdb", args, err, errlen);
	if (rv > 0)
		tool_failed(pe, "initdb", rv, pe->ctl_log, err, errlen);
	return (rv == 0 ? 0 : -1);
}

static int
running(struct pg_embed *pe, char *err, size_t errlen)
{
	const char *args[] = { "status", "-D", pe->data, NULL };
	char *path = join(pe->data, "/PG_VERSION");
	struct stat st;
	int rv, e;

	rv = stat(path, &st);
	e = errno;
	if (rv != 0 && e != ENOENT)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
	free(path);
	if (rv != 0)
		return (e == ENOENT ? 0 : -1);
	if (pe->bindir[0] == '\0' && find_bindir(pe, err, errlen) != 0)
		return (-1);
	/* pg_ctl status: 0 running, 3 not running. */
	rv = tool(pe, NULL, "pg_ctl", args, err, errlen);
	if (rv == 0 || rv == 3)
		return (rv == 0);
	if (rv > 0)
		snprintf(err, errlen, "pg_ctl status -D %s: exit %d", pe->data,
		    rv);
	return (-1);
}

int
pg_embed_running(struct pg_embed *pe, char *err, size_t errlen)
{
	CHECK_OBJ_NOTNULL(pe, PG_EMBED_MAGIC);
	return (running(pe, err, errlen));
}

static int
start_server(struct pg_embed *pe, char *err, size_t errlen)
{
	const char *args[] = { "start", "-D", pe->data, "-l", pe->server_log,
		"-w", "-t", "60", NULL };
	char reason[512];
	int rv;

	if (write_conf(pe, err, errlen) != 0)
		return (-1);
	rv = tool(pe, pe->ctl_log, "pg_ctl", args, err, errlen);
	if (rv < 0)
		return (-1);
	if (rv > 0) {
		tool_failed(pe, "pg_ctl start", rv, pe->ctl_log, err, errlen);
		if (strstr(err, "cannot enter") == NULL) {
			log_reason(pe->server_log, reason, sizeof reason);
			snprintf(err, errlen,
			    "PostgreSQL did not start: %s (see %s)", reason,
			    pe->server_log);
		}
		return (-1);
	}
	return (0);
}

/* The stoke database, made on the first start. */
static int
create_db(struct pg_embed *pe, char *err, size_t errlen)
{
	static const char *const kw[] = { "host", "port", "user", "dbname",
		"connect_timeout", NULL };
	const char *val[] = { pe->dir, PG_PORT, PG_USER, "postgres", "10",
		NULL };
	const char *pv[1] = { PG_DB }, *state;
	PGresult *r = NULL;
	PGconn *c;
	int rv = -1;

	c = PQconnectdbParams(kw, val, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen,
		    "cannot connect to the embedded "
		    "PostgreSQL: %s",
		    c != NULL ? PQerrorMessage(c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(c);
		return (-1);
	}
	r = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1,
	    NULL, pv, NULL, NULL, 0);
	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK &&
	    PQntuples(r) == 1) {
		rv = 0;
	} else if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		r = PQexec(c, "CREATE DATABASE " PG_DB);
		state =
		    r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		/* 42P04: another start made it meanwhile. */
		if (r != NULL &&
		    (PQresultStatus(r) == PGRES_COMMAND_OK ||
		        (state != NULL && !strcmp(state, "42P04"))))
			rv = 0;
	}
	if (rv != 0) {
		snprintf(err, errlen,
		    "cannot create the " PG_DB " database: %s",
		    PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
	}
	PQclear(r);
	PQfinish(c);
	return (rv);
}

static int
start_locked(struct pg_embed *pe, int *started, char *err, size_t errlen)
{
	int rv;

	if (find_bindir(pe, err, errlen) != 0)
		return (-1);
	if (cluster_major(pe) == 0 && initdb(pe, err, errlen) != 0)
		return (-1);
	if (ensure_include(pe, err, errlen) != 0)
		return (-1);
	rv = running(pe, err, errlen);
	if (rv < 0)
		return (-1);
	if (rv == 0) {
		if (start_server(pe, err, errlen) != 0)
			return (-1);
		*started = 1;
	}
	return (create_db(pe, err, errlen));
}

int
pg_embed_start(struct pg_embed *pe, int *started, char *err, size_t errlen)
{
	int rv;

	CHECK_OBJ_NOTNULL(pe, PG_EMBED_MAGIC);
	AN(started);
	*started = 0;
	if (make_dirs(pe, err, errlen) != 0 || lock(pe, err, errlen) != 0)
		return (-1);
	rv = start_locked(pe, started, err, errlen);
	unlock(pe);
	return (rv);
}

int
pg_embed_stop(struct pg_embed *pe, int *stopped, char *err, size_t errlen)
{
	const char *args[] = { "stop", "-D", pe->data, "-m", "fast", "-w", "-t",
		"60", NULL };
	struct stat st;
	int rv;

	CHECK_OBJ_NOTNULL(pe, PG_EMBED_MAGIC);
	AN(stopped);
	*stopped = 0;
	if (stat(pe->dir, &st) != 0 && errno == ENOENT)
		return (0);
	if (lock(pe, err, errlen) != 0)
		return (-1);
	rv = running(pe, err, errlen);
	if (rv == 1) {
		rv = tool(pe, pe->ctl_log, "pg_ctl", args, err, errlen);
		if (rv > 0)
			tool_failed(pe, "pg_ctl stop", rv, pe->ctl_log, err,
			    errlen);
		*stopped = rv == 0;
		rv = rv == 0 ? 0 : -1;
	}
	unlock(pe);
	return (rv);
}
