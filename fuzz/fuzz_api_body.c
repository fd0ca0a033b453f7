/*
 * The API's request bodies as the server reads them (api/api_body.c:
 * gzip, JSON, one object, nesting) and then checks them against a
 * route's fields (api/api_input.c, the tables of api/api_bodies.h).
 * The first byte picks the route and how the rest comes:
 *	bits 0-2: the route (below);
 *	bits 3-4: 0 as sent, 1 gzipped here first (so that the inflating
 *	          reads whole streams), 2 sent as if it were gzip.
 * A body refused is refused in the one error shape; one taken gives
 * each field as its table says.
 */

#include "config.h"

#include <zlib.h>

#include "vdef.h"
#include "vas.h"

#include "api/api_bodies.h"
#include "api/api_body.h"
#include "api/http_api.h"

#include "fuzz/fuzz.h"

static const struct {
	const struct api_field *f;
	unsigned n;
} routes[] = {
	{ api_ws_create_fields, API_WS_NFIELDS },
	{ api_ws_change_fields, API_WS_NFIELDS },
	{ api_tj_fields, API_TJ_NFIELDS },
	{ api_pg_fields, API_PG_NFIELDS },
	{ api_ch_create_fields, CH__NFIELDS },
	{ api_ch_change_fields, CH_KIND },
};
#define NROUTES (sizeof routes / sizeof routes[0])

static unsigned char *
gzip(const uint8_t *p, size_t len, size_t *outlen)
{
	unsigned char *out;
	z_stream zs;

	memset(&zs, 0, sizeof zs);
	AZ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY));
	*outlen = deflateBound(&zs, len);
	out = malloc(*outlen);
	AN(out);
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)*outlen;
	assert(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	*outlen = zs.total_out;
	AZ(deflateEnd(&zs) != Z_OK);
	return (out);
}

static int
is_type(const struct api_field *f, json_t *v)
{
	switch (f->type) {
	case AF_STRING:
		return (json_is_string(v));
	case AF_INT:
		return (json_is_integer(v));
	case AF_BOOL:
		return (json_is_boolean(v));
	case AF_NUMBER:
		return (json_is_number(v));
	case AF_ARRAY:
		return (json_is_array(v));
	case AF_OBJECT:
		return (json_is_object(v));
	default:
		return (0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_input_err e;
	json_t *body, *vals[16];
	const struct api_field *f;
	unsigned char *gz = NULL;
	unsigned r, mode, i, n;
	size_t len;

	if (size < 2)
		return (0);
	r = (data[0] & 7) % NROUTES;
	mode = (data[0] >> 3) & 3;
	data++;
	size--;
	if (mode == 1) {
		gz = gzip(data, size, &len);
		data = gz;
		size = len;
	}
	memset(&e, 0, sizeof e);
	if (api_body_parse(data, size, mode != 0, API_MAX_BODY, &body, &e) !=
	    0) {
		AZ(body);
		assert(e.status == 400 || e.status == 413);
		AN(e.code);
		assert(e.message[0] != '\0');
		free(gz);
		return (0);
	}
	free(gz);
	AN(json_is_object(body));
	f = routes[r].f;
	n = routes[r].n;
	assert(n <= sizeof vals / sizeof vals[0]);
	if (api_input_check(body, f, n, vals, &e) == 0) {
		for (i = 0; i < n; i++) {
			if (vals[i] == NULL) {
				AZ(f[i].flags & AF_REQUIRED);
				continue;
			}
			if (json_is_null(vals[i]))
				AN(f[i].flags & AF_NULLABLE);
			else
				AN(is_type(&f[i], vals[i]));
			if (json_is_string(vals[i]))
				assert(strlen(api_input_str(vals[i])) ==
				    json_string_length(vals[i]));
		}
	} else {
		assert(e.status == 400 || e.status == 422);
		AN(e.code);
		assert(e.message[0] != '\0');
	}
	json_decref(body);
	return (0);
}
