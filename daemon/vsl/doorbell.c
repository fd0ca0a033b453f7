/*
 * What came is drained (up to RING_READS) before the callback: a burst
 * of purges wakes the log reader once, not once a purge.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "doorbell.h"

struct doorbell {
	unsigned magic;
#define DOORBELL_MAGIC 0x5d0b3e17
	int fd;
	char *path;
	dev_t dev; /* the socket's own file: removed only if still it */
	ino_t ino;
	struct event *ev;
	doorbell_f *fn;
	void *priv;
};

/* Datagrams read a turn, at most: a flood does not hold the loop. */
#define RING_READS 1024

static void
on_ring(evutil_socket_t fd, short what, void *priv)
{
	struct doorbell *d;
	char buf[64];
	unsigned n = 0;

	(void)what;
	CAST_OBJ_NOTNULL(d, priv, DOORBELL_MAGIC);
	while (n < RING_READS && recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
		n++;
	if (n > 0)
		d->fn(d->priv);
}

static socklen_t
addr_of(struct sockaddr_un *sa, const char *path)
{
	size_t len = strlen(path);

	assert(len < sizeof sa->sun_path);
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return ((socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1));
}

/*
 * What is at path already: nothing, or a socket nobody listens on (a
 * stoked killed before it could remove it), both fine to take.
 */
static int
path_free(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	socklen_t len;
	int fd, r, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s is there and is not a socket", path);
		return (-1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	len = addr_of(&sa, path);
	r = connect(fd, (const struct sockaddr *)&sa, len);
	e = errno;
	closefd(&fd);
	if (r == 0) {
		snprintf(err, errlen, "%s: another process listens there",
		    path);
		return (-1);
	}
	/* Refused: a socket file with nobody behind it (or gone since).
	 * Anything else (a stream socket someone serves: EPROTOTYPE) is
	 * not ours. */
	if (e == ENOENT)
		return (0);
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "%s: a socket not stoked's: %s", path,
		    strerror(e));
		return (-1);
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

struct doorbell *
doorbell_new(struct event_base *eb, const char *path, doorbell_f *fn,
    void *priv, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct doorbell *d;
	struct stat st;
	socklen_t len;

	AN(eb);
	AN(path);
	AN(fn);
	if (*path != '/') {
		snprintf(err, errlen, "%s: the path must be absolute", path);
		return (NULL);
	}
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "%s: the path is over %zu bytes", path,
		    sizeof sa.sun_path - 1);
		return (NULL);
	}
	if (path_free(path, err, errlen) != 0)
		return (NULL);
	ALLOC_OBJ(d, DOORBELL_MAGIC);
	AN(d);
	d->fn = fn;
	d->priv = priv;
	d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		FREE_OBJ(d);
		return (NULL);
	}
	len = addr_of(&sa, path);
	if (bind(d->fd, (const struct sockaddr *)&sa, len) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		closefd(&d->fd);
		FREE_OBJ(d);
		return (NULL);
	}
	d->path = strdup(path);
	AN(d->path);
	if (lstat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(path);
		doorbell_free(&d);
		return (NULL);
	}
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	/* Writing to it is all there is to do with it. */
	if (chmod(path, 0666) != 0) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		doorbell_free(&d);
		return (NULL);
	}
	d->ev = event_new(eb, d->fd, EV_READ | EV_PERSIST, on_ring, d);
	AN(d->ev);
	AZ(event_add(d->ev, NULL));
	return (d);
}

void
doorbell_free(struct doorbell **pd)
{
	struct doorbell *d;
	struct stat st;

	TAKE_OBJ_NOTNULL(d, pd, DOORBELL_MAGIC);
	if (d->ev != NULL)
		event_free(d->ev);
	closefd(&d->fd);
	/* Not a socket another stoked has put there since. */
	if (lstat(d->path, &st) == 0 && st.st_dev == d->dev &&
	    st.st_ino == d->ino)
		(void)unlink(d->path);
	free(d->path);
	FREE_OBJ(d);
}
