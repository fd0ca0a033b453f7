/*
 * What a request's JSON body may hold, said as a list of fields, and
 * checked in one place: every field known (an unknown one is refused,
 * so that a misspelt setting never passes silently), of its type, within
 * its bounds; a string holds no NUL.  A handler reads the values it was
 * given and never sees a body that broke the list.
 *
 * Arrays and objects are described the same way, one level down: an
 * array's item, an object's keys (strings) and values are each a
 * struct api_field, so a list of flat objects of short strings is three
 * small descriptions, and an error names the exact place
 * ("variants[2].currency").
 */

#ifndef STOKE_API_INPUT_H
#define STOKE_API_INPUT_H

#include <stddef.h>

#include <jansson.h>

enum api_ftype {
	AF_STRING, /* min, max: length in bytes */
	AF_INT, /* min, max: the range */
	AF_BOOL,
	AF_NUMBER, /* any JSON number; min, max: the range */
	AF_ARRAY, /* min, max: items; each as item says */
	AF_OBJECT, /* min, max: members; keys as key, values as item say */
};

/* flags */
#define AF_REQUIRED 1U /* absent (or null, unless nullable): refused */
#define AF_NULLABLE 2U /* null is a value of its own (to clear a setting) */
#define AF_ABOVE_MIN 4U /* a number must be over min, not equal to it */

struct api_field {
	const char *name;
	enum api_ftype type;
	unsigned flags;
	long long min, max;
	const struct api_field *item; /* AF_ARRAY, AF_OBJECT: each value */
	const struct api_field *key; /* AF_OBJECT: each key, an AF_STRING */
	const char *charset; /* AF_STRING: the bytes it may hold; NULL: any */
};

/*
 * Why a body was refused, as the API answers it (http_api_error): the
 * status, a stable code, the field it is about ("" for none) and what
 * to fix.
 */
struct api_input_err {
	int status;
	const char *code;
	char field[256];
	char message[512];
};

void api_input_fail(struct api_input_err *, int status, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * A body (a JSON object) checked, with no request to answer: 0, with
 * each field's value in vals[i] (borrowed from the body; NULL when
 * absent, JSON null when null and nullable); or -1 with why in *err:
 * 400 for an unknown field, 422 for one missing, null where it may not
 * be, of another type or out of bounds, the field named.  A handler
 * calls api_input() (http_api.h), which answers the request with it.
 */
int api_input_check(json_t *body, const struct api_field *, unsigned n,
    json_t **vals, struct api_input_err *err);

/* A checked string field's value, or NULL when absent. */
const char *api_input_str(json_t *);

#endif
