/*
 * What the harnesses share: the fuzzer's bytes as C strings.  An input
 * that carries several strings separates them with NUL bytes, so that
 * a seed is written by hand with printf '%s\0%s'.
 */

#ifndef STOKE_FUZZ_H
#define STOKE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The bytes as a string of their own, cut at a NUL; free() it. */
static inline char *
fuzz_str(const uint8_t *p, size_t len)
{
	char *s;

	s = malloc(len + 1);
	if (s == NULL)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return (s);
}

/*
 * The next string of the input, up to a NUL or the end, moved past;
 * free() it.  At the end, "".
 */
static inline char *
fuzz_next(const uint8_t **p, size_t *len)
{
	const uint8_t *z;
	size_t l;
	char *s;

	z = memchr(*p, '\0', *len);
	l = z != NULL ? (size_t)(z - *p) : *len;
	s = fuzz_str(*p, l);
	*p += l;
	*len -= l;
	if (*len > 0) {
		(*p)++;
		(*len)--;
	}
	return (s);
}

#endif
