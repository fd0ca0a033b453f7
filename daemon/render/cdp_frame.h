/*
 * The framing of Chromium's --remote-debugging-pipe: JSON messages, each
 * ended by a NUL byte, on a byte stream.  Bytes go in as read(2) gives
 * them; whole messages come out.  Pure: nothing is read here.
 */

#ifndef STOKE_CDP_FRAME_H
#define STOKE_CDP_FRAME_H

#include <stddef.h>

struct cdp_frame;

/* max: the longest message taken (a page's response bodies come back
 * base64'd in one message; bigger ones mean a broken or hostile peer). */
struct cdp_frame *cdp_frame_new(size_t max);
void cdp_frame_free(struct cdp_frame **);

/* 0, or -1 once a message has run past max: the stream is lost. */
int cdp_frame_feed(struct cdp_frame *, const void *, size_t);

/*
 * The next whole message, NUL-terminated (len without the NUL), valid
 * until the next call of either function; NULL: none whole yet.
 */
const char *cdp_frame_next(struct cdp_frame *, size_t *len);

/* Bytes held that make no whole message yet. */
size_t cdp_frame_pending(const struct cdp_frame *);

#endif
