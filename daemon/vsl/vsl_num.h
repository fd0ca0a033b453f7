/*
 * Numbers as Varnish writes them in its log: unsigned integers ("%u",
 * "%ju") and decimals ("%.6f", "%.3f"), space-separated.  Reading them
 * is most of what parsing a transaction costs with sscanf() and
 * strtod(), which handle locales, exponents and exact rounding; these
 * take the fast path for plain digits and leave anything else to
 * strtod(), so every value strtod() reads is read.
 */

#ifndef STOKE_VSL_NUM_H
#define STOKE_VSL_NUM_H

#include <stdint.h>

/*
 * Skip blanks, read one number; returns where it ends, NULL when there
 * is none.  A decimal may differ from strtod()'s in its last bit.
 */
const char *vsl_num_u64(const char *, uint64_t *);
const char *vsl_num_dbl(const char *, double *);

/* Skip blanks and one word: where the next begins, or its NUL. */
const char *vsl_num_skip(const char *);

#endif
