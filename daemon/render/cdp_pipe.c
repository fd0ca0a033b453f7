/*
 * The browser's process and the pipe's two ends.  Writes are queued in
 * an evbuffer and flushed as the pipe takes them; reads are framed and
 * each message dispatched by its "id" (an answer) or "method" (an
 * event).  The browser is told to leave nothing behind: its profile is
 * a temporary directory, removed when it is freed, and its process
 * group is killed whole, renderers included.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"

#include "core/log.h"
#include "cdp_frame.h"
#include "cdp_pipe.h"

#define CDP_MAX_MSG (64u << 20)
#define CDP_MAX_ARGS 40

struct cdp_call {
	unsigned magic;
#define CDP_CALL_MAGIC 0x2c0f7a02
	long id;
	cdp_reply_f *cb;
	void *priv;
	VTAILQ_ENTRY(cdp_call) list;
};

struct cdp_pipe {
	unsigned magic;
#define CDP_PIPE_MAGIC 0x2c0f7a03
	pid_t pid;
	int wfd, rfd; /* its fd 3, its fd 4 */
	int gone, reaped;
	long next_id;
	struct event *rev, *wev;
	struct evbuffer *out;
	struct cdp_frame *in;
	VTAILQ_HEAD(, cdp_call) calls;
	cdp_event_f *event;
	cdp_gone_f *gone_cb;
	void *priv;
	char profile[256];
};

/*--------------------------------------------------------------------
 * The profile directory
 */

/* Removes dir and all in it; what cannot be removed is left. */
static void
cdp_rmtree(const char *dir)
{
	struct dirent *de;
	struct stat st;
	char path[1024];
	DIR *d;

	d = opendir(dir);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (snprintf(path, sizeof path, "%s/%s", dir,
			        de->d_name) >= (int)sizeof path)
				continue;
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				cdp_rmtree(path);
			else
				(void)unlink(path);
		}
		(void)closedir(d);
	}
	(void)rmdir(dir);
}

/*--------------------------------------------------------------------
 * Ending
 */

static void
cdp_reap(struct cdp_pipe *p, int wait)
{
	int status;

	if (p->reaped || p->pid <= 0)
		return;
	if (waitpid(p->pid, &status, wait ? 0 : WNOHANG) == p->pid)
		p->reaped = 1;
}

/* Once: every answer due fails, then the owner is told. */
static void
cdp_gone(struct cdp_pipe *p, const char *why)
{
	struct cdp_call *c;

	if (p->gone)
		return;
	p->gone = 1;
	(void)event_del(p->rev);
	(void)event_del(p->wev);
	cdp_reap(p, 0);
	while ((c = VTAILQ_FIRST(&p->calls)) != NULL) {
		VTAILQ_REMOVE(&p->calls, c, list);
		if (c->cb != NULL)
			c->cb(c->priv, NULL, why);
		FREE_OBJ(c);
	}
	p->gone_cb(p->priv, why);
}

/*--------------------------------------------------------------------
 * Reading
 */

static void
cdp_answer(struct cdp_pipe *p, json_t *m, long id)
{
	struct cdp_call *c;
	const char *err;
	json_t *e;

	VTAILQ_FOREACH(c, &p->calls, list)
	if (c->id == id)
		break;
	if (c == NULL)
		return;
	VTAILQ_REMOVE(&p->calls, c, list);
	if (c->cb != NULL) {
		e = json_object_get(m, "error");
		if (e != NULL) {
			err = json_string_value(json_object_get(e, "message"));
			c->cb(c->priv, NULL, err != NULL ? err : "error");
		} else {
			c->cb(c->priv, json_object_get(m, "result"), NULL);
		}
	}
	FREE_OBJ(c);
}

static void
cdp_dispatch(struct cdp_pipe *p, const char *s, size_t len)
{
	json_error_t je;
	json_t *m, *id;
	const char *method;

	log_debug("render", "browser %jd > %.300s", (intmax_t)p->pid, s);
	m = json_loadb(s, len, 0, &je);
	if (m == NULL || !json_is_object(m)) {
		log_warning("render", "browser %jd: not JSON: %s",
		    (intmax_t)p->pid, je.text);
		if (m != NULL)
			json_decref(m);
		return;
	}
	id = json_object_get(m, "id");
	method = json_string_value(json_object_get(m, "method"));
	if (json_is_integer(id))
		cdp_answer(p, m, (long)json_integer_value(id));
	else if (method != NULL)
		p->event(p->priv,
		    json_string_value(json_object_get(m, "sessionId")), method,
		    json_object_get(m, "params"));
	json_decref(m);
}

static void
cdp_on_read(evutil_socket_t fd, short what, void *priv)
{
	struct cdp_pipe *p;
	char buf[65536];
	const char *msg;
	size_t len;
	ssize_t n;

	(void)what;
	CAST_OBJ_NOTNULL(p, priv, CDP_PIPE_MAGIC);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			cdp_gone(p, "the browser has gone");
			return;
		}
		if (cdp_frame_feed(p->in, buf, (size_t)n) != 0) {
			cdp_gone(p, "the browser sent a message too long");
			return;
		}
		/* An event may end a page, never the pipe (cdp_pipe.h). */
		while (!p->gone && (msg = cdp_frame_next(p->in, &len)) != NULL)
			cdp_dispatch(p, msg, len);
		if (p->gone || (size_t)n < sizeof buf)
			break;
	}
}

/*--------------------------------------------------------------------
 * Writing
 */

static void
cdp_flush(struct cdp_pipe *p)
{
	int n;

	while (evbuffer_get_length(p->out) > 0) {
		n = evbuffer_write(p->out, p->wfd);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			cdp_gone(p, "the browser's pipe is closed");
			return;
		}
	}
	if (evbuffer_get_length(p->out) > 0)
		AZ(event_add(p->wev, NULL));
	else
		(void)event_del(p->wev);
}

static void
cdp_on_write(evutil_socket_t fd, short what, void *priv)
{
	struct cdp_pipe *p;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(p, priv, CDP_PIPE_MAGIC);
	cdp_flush(p);
}

int
cdp_pipe_call(struct cdp_pipe *p, const char *session, const char *method,
    json_t *params, cdp_reply_f *cb, void *priv)
{
	struct cdp_call *c;
	json_t *m;
	char *s;

	CHECK_OBJ_NOTNULL(p, CDP_PIPE_MAGIC);
	AN(method);
	if (p->gone) {
		if (params != NULL)
			json_decref(params);
		return (-1);
	}
	m = json_pack("{s:I, s:s}", "id", (json_int_t)++p->next_id, "method",
	    method);
	AN(m);
	if (params != NULL)
		AZ(json_object_set_new(m, "params", params));
	if (session != NULL)
		AZ(json_object_set_new(m, "sessionId", json_string(session)));
	s = json_dumps(m, JSON_COMPACT);
	AN(s);
	json_decref(m);
	log_debug("render", "browser %jd < %.300s", (intmax_t)p->pid, s);
	/* The NUL that ends it is the frame's. */
	AZ(evbuffer_add(p->out, s, strlen(s) + 1));
	free(s);
	ALLOC_OBJ(c, CDP_CALL_MAGIC);
	AN(c);
	c->id = p->next_id;
	c->cb = cb;
	c->priv = priv;
	VTAILQ_INSERT_TAIL(&p->calls, c, list);
	cdp_flush(p);
	return (0);
}

void
cdp_pipe_forget(struct cdp_pipe *p, const void *priv)
{
	struct cdp_call *c;

	CHECK_OBJ_NOTNULL(p, CDP_PIPE_MAGIC);
	VTAILQ_FOREACH(c, &p->calls, list)
	if (c->priv == priv)
		c->cb = NULL;
}

/*--------------------------------------------------------------------
 * Starting
 */

static void
cdp_child(const struct cdp_conf *cf, const char *const *argv, int r3, int w4)
{
	long fd, max;
	int a, b, dn;

	(void)setpgid(0, 0);
	/* Out of the way of 3 and 4 first: either may be one of them. */
	a = fcntl(r3, F_DUPFD, 10);
	b = fcntl(w4, F_DUPFD, 10);
	if (a < 0 || b < 0 || dup2(a, 3) != 3 || dup2(b, 4) != 4)
		_exit(126);
	dn = open("/dev/null", O_RDWR);
	if (dn >= 0)
		(void)dup2(dn, 0);
	if (cf->log != NULL) {
		fd = open(cf->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0)
			dn = (int)fd;
	}
	if (dn >= 0) {
		(void)dup2(dn, 1);
		(void)dup2(dn, 2);
	}
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 5; fd < max; fd++)
		(void)close((int)fd);
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

static int
cdp_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		return (-1);
	return (fcntl(fd, F_SETFD, FD_CLOEXEC));
}

/* The command line; its strings live in p or in static storage. */
static unsigned
cdp_args(const struct cdp_conf *cf, struct cdp_pipe *p, const char **av,
    char *profile_arg, size_t plen, char *heap_arg, size_t hlen)
{
	unsigned n = 0;

	av[n++] = cf->chromium != NULL ? cf->chromium : CDP_CHROMIUM;
	av[n++] = "--headless";
	av[n++] = "--remote-debugging-pipe";
	snprintf(profile_arg, plen, "--user-data-dir=%s", p->profile);
	av[n++] = profile_arg;
	av[n++] = "--no-first-run";
	av[n++] = "--no-default-browser-check";
	av[n++] = "--disable-gpu";
	av[n++] = "--disable-dev-shm-usage";
	av[n++] = "--disable-extensions";
	av[n++] = "--disable-background-networking";
	av[n++] = "--disable-component-update";
	av[n++] = "--disable-default-apps";
	av[n++] = "--disable-sync";
	av[n++] = "--disable-breakpad";
	av[n++] = "--disable-client-side-phishing-detection";
	av[n++] = "--disable-features=Translate,MediaRouter,"
	          "OptimizationHints,AutofillServerCommunication";
	av[n++] = "--metrics-recording-only";
	av[n++] = "--mute-audio";
	av[n++] = "--hide-scrollbars";
	/* What is not intercepted goes nowhere (cdp_pipe.h). */
	av[n++] = "--proxy-server=http://127.0.0.1:9";
	av[n++] = "--proxy-bypass-list=<-loopback>";
	/* Its sandbox needs namespaces a container seldom grants; pages
	 * are held by the interception, not by the sandbox. */
	if (geteuid() == 0)
		av[n++] = "--no-sandbox";
	if (cf->heap_mb > 0) {
		snprintf(heap_arg, hlen, "--js-flags=--max-old-space-size=%u",
		    cf->heap_mb);
		av[n++] = heap_arg;
	}
	av[n++] = "about:blank";
	av[n] = NULL;
	assert(n < CDP_MAX_ARGS);
	return (n);
}

struct cdp_pipe *
cdp_pipe_spawn(struct event_base *eb, const struct cdp_conf *cf,
    cdp_event_f *event, cdp_gone_f *gone, void *priv, char *err, size_t errlen)
{
	const char *av[CDP_MAX_ARGS];
	char parg[300], harg[64];
	const char *tmp;
	struct cdp_pipe *p;
	int in[2], out[2];

	AN(eb);
	AN(cf);
	AN(event);
	AN(gone);
	ALLOC_OBJ(p, CDP_PIPE_MAGIC);
	AN(p);
	VTAILQ_INIT(&p->calls);
	p->event = event;
	p->gone_cb = gone;
	p->priv = priv;
	p->wfd = p->rfd = -1;
	tmp = getenv("TMPDIR");
	snprintf(p->profile, sizeof p->profile, "%s/stoke-chromium.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(p->profile) == NULL) {
		snprintf(err, errlen, "a profile directory: %s",
		    strerror(errno));
		FREE_OBJ(p);
		return (NULL);
	}
	(void)cdp_args(cf, p, av, parg, sizeof parg, harg, sizeof harg);
	if (access(av[0], X_OK) != 0) {
		snprintf(err, errlen, "%s: %s", av[0], strerror(errno));
		cdp_rmtree(p->profile);
		FREE_OBJ(p);
		return (NULL);
	}
	AZ(pipe(in));
	AZ(pipe(out));
	p->pid = fork();
	if (p->pid == 0)
		cdp_child(cf, av, in[0], out[1]);
	AZ(close(in[0]));
	AZ(close(out[1]));
	p->wfd = in[1];
	p->rfd = out[0];
	if (p->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		p->gone = p->reaped = 1;
		p->gone_cb = NULL;
		AZ(close(p->wfd));
		AZ(close(p->rfd));
		cdp_rmtree(p->profile);
		FREE_OBJ(p);
		return (NULL);
	}
	AZ(cdp_nonblock(p->wfd));
	AZ(cdp_nonblock(p->rfd));
	p->out = evbuffer_new();
	AN(p->out);
	p->in = cdp_frame_new(cf->max_msg > 0 ? cf->max_msg : CDP_MAX_MSG);
	p->rev = event_new(eb, p->rfd, EV_READ | EV_PERSIST, cdp_on_read, p);
	p->wev = event_new(eb, p->wfd, EV_WRITE, cdp_on_write, p);
	AN(p->rev);
	AN(p->wev);
	AZ(event_add(p->rev, NULL));
	return (p);
}

/*--------------------------------------------------------------------
 * What it is
 */

int
cdp_pipe_alive(const struct cdp_pipe *p)
{
	CHECK_OBJ_NOTNULL(p, CDP_PIPE_MAGIC);
	return (!p->gone);
}

pid_t
cdp_pipe_pid(const struct cdp_pipe *p)
{
	CHECK_OBJ_NOTNULL(p, CDP_PIPE_MAGIC);
	return (p->pid);
}

/* Field 5 of /proc/N/stat is the process group, 24 the resident pages. */
static unsigned long
cdp_proc_rss(const char *pid, pid_t group)
{
	char path[64], buf[1024], *s;
	unsigned long rss = 0;
	long pgrp = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return (0);
	s = fgets(buf, sizeof buf, f);
	(void)fclose(f);
	/* The name may hold anything: fields start after its ')'. */
	if (s == NULL || (s = strrchr(buf, ')')) == NULL)
		return (0);
	if (sscanf(s + 2,
	        "%*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
	        "%*d %*d %*d %*d %*u %*u %lu",
	        &pgrp, &rss) != 2 ||
	    pgrp != (long)group)
		return (0);
	return (rss);
}

unsigned long
cdp_pipe_rss(const struct cdp_pipe *p)
{
	unsigned long pages = 0;
	struct dirent *de;
	DIR *d;

	CHECK_OBJ_NOTNULL(p, CDP_PIPE_MAGIC);
	if (p->gone || p->pid <= 0)
		return (0);
	d = opendir("/proc");
	if (d == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			pages += cdp_proc_rss(de->d_name, p->pid);
	(void)closedir(d);
	return (pages * ((unsigned long)sysconf(_SC_PAGESIZE) / 1024));
}

void
cdp_pipe_free(struct cdp_pipe **pp)
{
	struct cdp_pipe *p;
	struct cdp_call *c;

	TAKE_OBJ_NOTNULL(p, pp, CDP_PIPE_MAGIC);
	/* Its renderers are in its group: all of them go. */
	if (!p->reaped && p->pid > 0) {
		(void)kill(-p->pid, SIGKILL);
		cdp_reap(p, 1);
	}
	while ((c = VTAILQ_FIRST(&p->calls)) != NULL) {
		VTAILQ_REMOVE(&p->calls, c, list);
		FREE_OBJ(c);
	}
	event_free(p->rev);
	event_free(p->wev);
	evbuffer_free(p->out);
	cdp_frame_free(&p->in);
	AZ(close(p->wfd));
	AZ(close(p->rfd));
	cdp_rmtree(p->profile);
	FREE_OBJ(p);
}
