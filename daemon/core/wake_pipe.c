/*
 * A byte a wake-up; what the byte says is nothing.
 */

#define _GNU_SOURCE /* pipe2() */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"

#include "wake_pipe.h"

int
wake_pipe(int p[2])
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
		p[0] = p[1] = -1;
		return (-1);
	}
	return (0);
}

void
wake_pipe_write(int fd)
{
	const char b = 'w';
	ssize_t n;

	do
		n = write(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	assert(n == 1 || errno == EAGAIN);
}

void
wake_pipe_drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		continue;
}
