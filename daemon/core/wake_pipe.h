/*
 * A pipe that wakes a loop from another thread: a byte written to its
 * write end makes its read end, watched by the loop, readable.  Both
 * ends non-blocking: a full pipe has a wake-up pending already.
 */

#ifndef STOKE_WAKE_PIPE_H
#define STOKE_WAKE_PIPE_H

/* 0, or -1 with errno (p then -1, -1). */
int wake_pipe(int p[2]);
void wake_pipe_write(int fd);
/* Takes every byte waiting: one wake-up for as many writes. */
void wake_pipe_drain(int fd);

#endif
