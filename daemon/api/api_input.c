/*
 * A JSON body checked against the fields a route takes.
 */

#include "config.h"

#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "api_input.h"
#include "http_api.h"

static const char *const api_ftype_name[] = {
	[AF_STRING] = "a string",
	[AF_INT] = "a whole number",
	[AF_BOOL] = "true or false",
};

/* "name, email, password": what the route takes, for a message. */
static void
api_input_names(const struct api_field *f, unsigned n, char *buf, size_t len)
{
	size_t l = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n && l < len; i++)
		l += (size_t)snprintf(buf + l, len - l, "%s%s",
		    i > 0 ? ", " : "", f[i].name);
}

static int
api_input_one(struct api_req *r, const struct api_field *f, json_t *v)
{
	long long x;
	size_t len;

	switch (f->type) {
	case AF_STRING:
		if (!json_is_string(v))
			break;
		len = json_string_length(v);
		if (strlen(json_string_value(v)) != len) {
			http_api_error(r, 422, "invalid", f->name,
			    "%s must not hold a NUL character", f->name);
			return (-1);
		}
		if ((long long)len < f->min) {
			http_api_error(r, 422,
			    f->min == 1 ? "required" : "too_short", f->name,
			    "%s must be at least %lld characters long", f->name,
			    f->min);
			return (-1);
		}
		if ((long long)len > f->max) {
			http_api_error(r, 422, "too_long", f->name,
			    "%s must be at most %lld characters long", f->name,
			    f->max);
			return (-1);
		}
		return (0);
	case AF_INT:
		if (!json_is_integer(v))
			break;
		x = json_integer_value(v);
		if (x < f->min || x > f->max) {
			http_api_error(r, 422, "out_of_range", f->name,
			    "%s must be %lld to %lld", f->name, f->min, f->max);
			return (-1);
		}
		return (0);
	case AF_BOOL:
		if (!json_is_boolean(v))
			break;
		return (0);
	default:
		WRONG("field type");
	}
	http_api_error(r, 422, "invalid", f->name, "%s must be %s", f->name,
	    api_ftype_name[f->type]);
	return (-1);
}

int
api_input(struct api_req *r, const struct api_field *f, unsigned n,
    json_t **vals)
{
	json_t *body, *v;
	const char *k;
	char names[256];
	unsigned i;

	AN(f);
	AN(vals);
	body = api_body(r);
	AN(body);
	json_object_foreach(body, k, v)
	{
		for (i = 0; i < n; i++)
			if (!strcmp(k, f[i].name))
				break;
		if (i == n) {
			api_input_names(f, n, names, sizeof names);
			http_api_error(r, 400, "unknown_field", k,
			    "unknown field '%.64s': this takes %s", k, names);
			return (-1);
		}
	}
	for (i = 0; i < n; i++) {
		vals[i] = json_object_get(body, f[i].name);
		if (vals[i] == NULL || json_is_null(vals[i])) {
			vals[i] = NULL;
			if (!f[i].required)
				continue;
			http_api_error(r, 422, "required", f[i].name,
			    "%s is required", f[i].name);
			return (-1);
		}
		if (api_input_one(r, &f[i], vals[i]) != 0)
			return (-1);
	}
	return (0);
}

const char *
api_input_str(json_t *v)
{
	return (v != NULL ? json_string_value(v) : NULL);
}
