/*
 * Throughput work, told to the kernel as such: a warm's loops, a
 * worker's, run as SCHED_BATCH, at the same share of the CPU as any
 * other thread of their nice value, but not woken ahead of the thread
 * that is running.  Beside varnishd on a busy machine that is what a
 * warm wants: varnishd's threads are not preempted in the middle of an
 * answer to wake a warm for that one answer; the loop runs once the
 * running thread blocks, and finds the answers of all of them ready.
 */

#ifndef STOKE_SCHED_BATCH_H
#define STOKE_SCHED_BATCH_H

/*
 * The calling thread, and the threads and processes it starts from now
 * (a browser to render with: warm work too).  0, or -1 with errno when
 * the kernel would not (nothing is changed then).
 */
int sched_batch(void);

#endif
