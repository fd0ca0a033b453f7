/*
 * A variant, sent again.  The index and the queue name a variant by the
 * inputs that made it ("currency=EUR vary.accept-language=de": values
 * percent-encoded as record.h writes them); fetching it again means
 * sending what a visitor sent, and nothing else of any visitor: each
 * declared dimension as the cookie or header the VCL reads it from, as
 * the dims record says ("currency=cookie:sw-currency:key
 * device=header:X-Device"), each Vary header as itself.
 *
 * rewarm.c replays with the dims learned from the node's log; a queue
 * worker, which reads no log, with the ones it is given (--dims).
 */

#ifndef STOKE_VARIANT_REPLAY_H
#define STOKE_VARIANT_REPLAY_H

#include <stddef.h>

#define VARIANT_HDR_LEN 2048 /* one header line, with its name */

/*
 * The headers variant stands for, "Name: value" each, written from
 * hdr[first] on (cookies all in one Cookie header, last).  A bare
 * "vary.<name>" (the header was absent) adds nothing.  Returns the
 * index past the last header written, or -1 (err) when a dimension's
 * source is not in dims (NULL: none known), a value is badly encoded or
 * could not be sent as it was, or the headers do not fit below max.
 */
int variant_replay(const char *variant, const char *dims,
    char (*hdr)[VARIANT_HDR_LEN], unsigned first, unsigned max, char *err,
    size_t errlen);

/* Is dims a dims record's fields, each source a valid name?  0 or -1. */
int variant_dims_check(const char *dims, char *err, size_t errlen);

/* Is variant well formed (whatever the dims)?  0 or -1 (err). */
int variant_check(const char *variant, char *err, size_t errlen);

#endif
