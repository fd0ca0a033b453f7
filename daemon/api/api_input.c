/*
 * A JSON body checked against the fields a route takes: the check is
 * pure (no request, no loop), so that the fuzzer drives it as the API
 * does; api_input() answers the request with what it found.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "api_input.h"

/* Where a value is: "variants[2].currency". */
#define API_INPUT_PATH 160

static const char *const api_ftype_name[] = {
	[AF_STRING] = "a string",
	[AF_INT] = "a whole number",
	[AF_BOOL] = "true or false",
	[AF_NUMBER] = "a number",
	[AF_ARRAY] = "an array",
	[AF_OBJECT] = "an object",
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

static int api_input_value(struct api_input_err *, const struct api_field *,
    json_t *, const char *path);

/* A count (of bytes, items, members) against the field's bounds. */
static int
api_input_count(struct api_input_err *r, const struct api_field *f, size_t len,
    const char *path, const char *unit)
{
	if ((long long)len < f->min) {
		api_input_fail(r, 422, f->min == 1 ? "required" : "too_short",
		    path, "%s must hold at least %lld %s", path, f->min, unit);
		return (-1);
	}
	if ((long long)len > f->max) {
		api_input_fail(r, 422, "too_long", path,
		    "%s must hold at most %lld %s", path, f->max, unit);
		return (-1);
	}
	return (0);
}

static int
api_input_string(struct api_input_err *r, const struct api_field *f, json_t *v,
    const char *path)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (strlen(s) != len) {
		api_input_fail(r, 422, "invalid", path,
		    "%s must not hold a NUL character", path);
		return (-1);
	}
	if (api_input_count(r, f, len, path, "characters") != 0)
		return (-1);
	if (f->charset != NULL && strspn(s, f->charset) != len) {
		api_input_fail(r, 422, "invalid", path,
		    "%s may hold only the characters %s", path, f->charset);
		return (-1);
	}
	return (0);
}

static int
api_input_number(struct api_input_err *r, const struct api_field *f, double x,
    const char *path)
{
	if (x < (double)f->min || x > (double)f->max ||
	    ((f->flags & AF_ABOVE_MIN) && x == (double)f->min)) {
		api_input_fail(r, 422, "out_of_range", path,
		    "%s must be %s %lld and at most %lld", path,
		    (f->flags & AF_ABOVE_MIN) ? "over" : "at least", f->min,
		    f->max);
		return (-1);
	}
	return (0);
}

static int
api_input_array(struct api_input_err *r, const struct api_field *f, json_t *v,
    const char *path)
{
	char sub[API_INPUT_PATH];
	size_t i;
	json_t *e;

	AN(f->item);
	if (api_input_count(r, f, json_array_size(v), path, "items") != 0)
		return (-1);
	json_array_foreach(v, i, e)
	{
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		if (api_input_value(r, f->item, e, sub) != 0)
			return (-1);
	}
	return (0);
}

static int
api_input_object(struct api_input_err *r, const struct api_field *f, json_t *v,
    const char *path)
{
	char sub[API_INPUT_PATH];
	const char *k;
	json_t *e, *key;
	int rv;

	AN(f->item);
	if (api_input_count(r, f, json_object_size(v), path, "members") != 0)
		return (-1);
	json_object_foreach(v, k, e)
	{
		snprintf(sub, sizeof sub, "%s.%.64s", path, k);
		if (f->key != NULL) {
			assert(f->key->type == AF_STRING);
			key = json_string(k);
			AN(key);
			rv = api_input_string(r, f->key, key, sub);
			json_decref(key);
			if (rv != 0)
				return (-1);
		}
		if (api_input_value(r, f->item, e, sub) != 0)
			return (-1);
	}
	return (0);
}

/* One value, not null, as f describes it; path names it. */
static int
api_input_value(struct api_input_err *r, const struct api_field *f, json_t *v,
    const char *path)
{
	switch (f->type) {
	case AF_STRING:
		if (!json_is_string(v))
			break;
		return (api_input_string(r, f, v, path));
	case AF_INT:
		if (!json_is_integer(v))
			break;
		return (api_input_number(r, f, (double)json_integer_value(v),
		    path));
	case AF_NUMBER:
		if (!json_is_number(v))
			break;
		return (api_input_number(r, f, json_number_value(v), path));
	case AF_BOOL:
		if (!json_is_boolean(v))
			break;
		return (0);
	case AF_ARRAY:
		if (!json_is_array(v))
			break;
		return (api_input_array(r, f, v, path));
	case AF_OBJECT:
		if (!json_is_object(v))
			break;
		return (api_input_object(r, f, v, path));
	default:
		WRONG("field type");
	}
	api_input_fail(r, 422, "invalid", path, "%s must be %s", path,
	    api_ftype_name[f->type]);
	return (-1);
}

/* A field absent or null: NULL, JSON null, or -1 once answered. */
static int
api_input_absent(struct api_input_err *r, const struct api_field *f,
    json_t **vp)
{
	if (*vp != NULL && (f->flags & AF_NULLABLE))
		return (0); /* null, a value of its own */
	if (*vp != NULL) {
		api_input_fail(r, 422,
		    (f->flags & AF_REQUIRED) ? "required" : "invalid", f->name,
		    "%s may not be null", f->name);
		return (-1);
	}
	if (!(f->flags & AF_REQUIRED))
		return (0);
	api_input_fail(r, 422, "required", f->name, "%s is required", f->name);
	return (-1);
}

void
api_input_fail(struct api_input_err *e, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	AN(e);
	assert(status >= 400 && status < 600);
	e->status = status;
	e->code = code;
	(void)snprintf(e->field, sizeof e->field, "%s",
	    field != NULL ? field : "");
	va_start(ap, fmt);
	(void)vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

int
api_input_check(json_t *body, const struct api_field *f, unsigned n,
    json_t **vals, struct api_input_err *r)
{
	json_t *v;
	const char *k;
	char names[256];
	unsigned i;

	AN(f);
	AN(vals);
	AN(r);
	AN(json_is_object(body));
	json_object_foreach(body, k, v)
	{
		for (i = 0; i < n; i++)
			if (!strcmp(k, f[i].name))
				break;
		if (i == n) {
			api_input_names(f, n, names, sizeof names);
			api_input_fail(r, 400, "unknown_field", k,
			    "unknown field '%.64s': this takes %s", k, names);
			return (-1);
		}
	}
	for (i = 0; i < n; i++) {
		vals[i] = json_object_get(body, f[i].name);
		if (vals[i] == NULL || json_is_null(vals[i])) {
			if (api_input_absent(r, &f[i], &vals[i]) != 0)
				return (-1);
			continue;
		}
		if (api_input_value(r, &f[i], vals[i], f[i].name) != 0)
			return (-1);
	}
	return (0);
}

const char *
api_input_str(json_t *v)
{
	return (v != NULL ? json_string_value(v) : NULL);
}
