/*
 * What a request's JSON body may hold, said as a list of fields, and
 * checked in one place: every field known (an unknown one is refused,
 * so that a misspelt setting never passes silently), of its type, within
 * its bounds; a string holds no NUL.  A handler reads the values it was
 * given and never sees a body that broke the list.
 */

#ifndef STOKE_API_INPUT_H
#define STOKE_API_INPUT_H

#include <stddef.h>

#include <jansson.h>

struct api_req;

enum api_ftype {
	AF_STRING, /* min, max: length in bytes */
	AF_INT, /* min, max: the range */
	AF_BOOL,
};

struct api_field {
	const char *name;
	enum api_ftype type;
	unsigned required;
	long long min, max;
};

/*
 * 0, with each field's value in vals[i] (borrowed from the body; NULL
 * when absent); or -1 once the request has been answered: 400 for an
 * unknown field, 422 for one missing, of another type or out of bounds,
 * the field named.
 */
int api_input(struct api_req *, const struct api_field *, unsigned n,
    json_t **vals);

/* A checked string field's value, or NULL when absent. */
const char *api_input_str(json_t *);

#endif
