/*
 * A request's body: gzip, JSON, one object, not too deep.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "vdef.h"
#include "vas.h"

#include "api_body.h"

/* How deep a JSON value nests: 1 for a scalar. */
static unsigned
api_body_depth(json_t *j, unsigned limit)
{
	unsigned d, m = 0;
	const char *k;
	json_t *v;
	size_t i;

	if (limit == 0)
		return (1);
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
		{
			d = api_body_depth(v, limit - 1);
			if (d > m)
				m = d;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			d = api_body_depth(v, limit - 1);
			if (d > m)
				m = d;
		}
	}
	return (m + 1);
}

/*
 * A gzipped body inflated, at most max bytes of it: what inflates past
 * that (a zip bomb) is refused before it takes more memory.  0, with
 * *out malloc()ed; -1 with err.
 */
static int
api_body_gunzip(const unsigned char *in, size_t len, size_t max, char **out,
    size_t *outlen, struct api_input_err *err)
{
	z_stream zs;
	size_t have = 0, size;
	char *buf;
	int rv;

	memset(&zs, 0, sizeof zs);
	/* 16: a gzip header and trailer, not zlib's. */
	AZ(inflateInit2(&zs, 16 + MAX_WBITS));
	size = len * 4 < max ? len * 4 + 1024 : max + 1;
	buf = malloc(size);
	AN(buf);
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	do {
		if (have == size) {
			if (size > max) {
				(void)inflateEnd(&zs);
				free(buf);
				api_input_fail(err, 413, "too_large", NULL,
				    "the body inflates to more than %zu bytes",
				    max);
				return (-1);
			}
			size = size * 2 < max + 1 ? size * 2 : max + 1;
			buf = realloc(buf, size);
			AN(buf);
		}
		zs.next_out = (unsigned char *)buf + have;
		zs.avail_out = (uInt)(size - have);
		rv = inflate(&zs, Z_NO_FLUSH);
		have = size - zs.avail_out;
	} while (rv == Z_OK && (zs.avail_in > 0 || have == size));
	(void)inflateEnd(&zs);
	if (rv != Z_STREAM_END || zs.avail_in > 0) {
		free(buf);
		api_input_fail(err, 400, "bad_gzip", NULL,
		    "the body is not one whole gzip stream");
		return (-1);
	}
	if (have > max) {
		free(buf);
		api_input_fail(err, 413, "too_large", NULL,
		    "the body inflates to more than %zu bytes", max);
		return (-1);
	}
	*out = buf;
	*outlen = have;
	return (0);
}

int
api_body_parse(const void *buf, size_t len, int gzip, size_t max, json_t **out,
    struct api_input_err *err)
{
	char *inflated = NULL;
	json_error_t je;
	json_t *j;

	AN(buf);
	AN(out);
	AN(err);
	*out = NULL;
	if (gzip) {
		if (api_body_gunzip(buf, len, max, &inflated, &len, err) != 0)
			return (-1);
		buf = inflated;
	}
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(inflated);
	if (j == NULL) {
		api_input_fail(err, 400, "bad_json", NULL,
		    "bad JSON: line %d: %s", je.line, je.text);
		return (-1);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		api_input_fail(err, 400, "bad_json", NULL,
		    "the body must be a JSON object");
		return (-1);
	}
	if (api_body_depth(j, API_MAX_DEPTH + 1) > API_MAX_DEPTH) {
		json_decref(j);
		api_input_fail(err, 400, "bad_json", NULL,
		    "the body nests deeper than %d levels", API_MAX_DEPTH);
		return (-1);
	}
	*out = j;
	return (0);
}
