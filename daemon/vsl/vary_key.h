/*
 * The Vary part of an object's cache key, as the index writes it:
 * "vary.<name>=<value>" for each header the object varies on, or
 * "vary.<name>" when the request did not have it, separated by spaces;
 * names in lower case, values percent-encoded (record.h's encoding).
 *
 * Accept-Encoding is left out: with http_gzip_support (Varnish's
 * default) Varnish does not vary on it, everyone gets the one object.
 */

#ifndef STOKE_VARY_KEY_H
#define STOKE_VARY_KEY_H

#include <stddef.h>

#define VARY_KEY_MAX_NAMES 8

/*
 * From a response's Vary header and its request's headers.  Returns the
 * length written (0: nothing to vary on), or -1 if dst is too small or
 * the Vary header names more than VARY_KEY_MAX_NAMES headers.
 */
int vary_key_build(char *dst, size_t dstlen, const char *vary,
    const char *const *name, const char *const *val, unsigned n);

/*
 * The same for another request, taking the names from the vary tokens
 * of an object already indexed (its whole variant string).  Returns the
 * length, 0 when that object varies on nothing, -1 on error.
 */
int vary_key_like(char *dst, size_t dstlen, const char *variant,
    const char *const *name, const char *const *val, unsigned n);

/* The vary tokens of a variant string, or "" (a pointer into it). */
const char *vary_key_of(const char *variant);

#endif
