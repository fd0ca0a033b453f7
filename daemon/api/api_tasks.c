/*
 * A tenant's URLs and variants as a website's warm tasks hold them.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "fetch/addr_policy.h"
#include "proto/record.h"
#include "warm/variant_replay.h"
#include "api_tasks.h"
#include "http_api.h"

size_t
api_task_origin_len(const char *base)
{
	const char *p;

	p = strstr(base, "://");
	AN(p);
	p += 3;
	return ((size_t)(p - base) + strcspn(p, "/?#"));
}

/* A path: from the root if it says so, else below base's path. */
static void
api_task_resolve(struct vsb *vsb, const char *s, const char *base)
{
	const char *slash;

	if (*s == '/') {
		VSB_bcat(vsb, base, (ssize_t)api_task_origin_len(base));
	} else {
		slash = strrchr(base + api_task_origin_len(base), '/');
		if (slash == NULL) {
			VSB_bcat(vsb, base, (ssize_t)api_task_origin_len(base));
			VSB_putc(vsb, '/');
		} else {
			VSB_bcat(vsb, base, slash + 1 - base);
		}
	}
	VSB_cat(vsb, s);
}

int
api_task_url(struct api_req *r, const char *list, unsigned i, const char *s,
    const char *base, const struct addr_url *b, char **out)
{
	struct addr_url u;
	const char *why, *p;
	char field[32];
	struct vsb *vsb;

	AN(list);
	AN(s);
	AN(base);
	AN(b);
	AN(out);
	snprintf(field, sizeof field, "%s[%u]", list, i);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			http_api_error(r, 422, "invalid_url", field,
			    "%s: a URL holds no spaces or control bytes",
			    field);
			return (-1);
		}
	if (strstr(s, "://") != NULL) {
		if (addr_url_parse(s, &u, &why) != 0) {
			http_api_error(r, 422, "invalid_url", field, "%s: %s",
			    field, why);
			return (-1);
		}
		if (strcmp(u.host, b->host) != 0) {
			http_api_error(r, 422, "foreign_host", field,
			    "%s: %s is not the website's host (%s)", field,
			    u.host, b->host);
			return (-1);
		}
		*out = strdup(s);
		AN(*out);
		return (0);
	}
	vsb = VSB_new_auto();
	AN(vsb);
	api_task_resolve(vsb, s, base);
	AZ(VSB_finish(vsb));
	if (VSB_len(vsb) > ADDR_URL_MAX) {
		VSB_destroy(&vsb);
		http_api_error(r, 422, "invalid_url", field,
		    "%s: longer than %d bytes once resolved", field,
		    ADDR_URL_MAX);
		return (-1);
	}
	*out = strdup(VSB_data(vsb));
	AN(*out);
	VSB_destroy(&vsb);
	return (0);
}

static int
api_task_key_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/*
 * A variant object as the index writes one: "name=value" for each
 * input, values percent-encoded (proto/record.h), by name, since a
 * JSON object (and the jsonb a website keeps) has no order of its own.
 * {} is the plain one, "".  -1 with why (field the variant's).
 */
static int
api_task_variant(const char *field, json_t *obj, char **out, char *why,
    size_t whylen)
{
	const char *keys[API_TASK_VARIANT_KEYS_MAX], *k, *val;
	char enc[128 * 3], err[256];
	size_t len;
	struct vsb *vsb;
	unsigned n = 0, u;
	json_t *v;

	if (!json_is_object(obj) ||
	    json_object_size(obj) > API_TASK_VARIANT_KEYS_MAX) {
		/* Only a website's own can be: the API checked its own. */
		snprintf(why, whylen,
		    "%s: the website's variant is not an object of inputs",
		    field);
		return (-1);
	}
	json_object_foreach(obj, k, v) keys[n++] = k;
	qsort(keys, n, sizeof keys[0], api_task_key_cmp);
	vsb = VSB_new_auto();
	AN(vsb);
	for (u = 0; u < n; u++) {
		val = json_string_value(json_object_get(obj, keys[u]));
		if (val == NULL || strlen(val) > 128 ||
		    strchr(keys[u], '=') != NULL ||
		    strchr(keys[u], ' ') != NULL) {
			VSB_destroy(&vsb);
			snprintf(why, whylen, "%s.%s: not a short string",
			    field, keys[u]);
			return (-1);
		}
		/* Written without a NUL: its length is what it says. */
		len = rec_encode(enc, sizeof enc, val, strlen(val));
		assert(len <= sizeof enc);
		VSB_printf(vsb, "%s%s=%.*s", u > 0 ? " " : "", keys[u],
		    (int)len, enc);
	}
	AZ(VSB_finish(vsb));
	if (variant_check(VSB_data(vsb), err, sizeof err) != 0) {
		VSB_destroy(&vsb);
		snprintf(why, whylen, "%s: %s", field, err);
		return (-1);
	}
	*out = strdup(VSB_data(vsb));
	AN(*out);
	VSB_destroy(&vsb);
	return (0);
}

int
api_task_variants_of(json_t *list, char ***out, unsigned *n, char *field,
    size_t fieldlen, char *why, size_t whylen)
{
	json_t *v;
	size_t i;

	AN(out);
	AN(n);
	*n = 0;
	if (!json_is_array(list) || json_array_size(list) == 0) {
		*out = calloc(1, sizeof **out);
		AN(*out);
		(*out)[0] = strdup("");
		AN((*out)[0]);
		*n = 1;
		return (0);
	}
	*out = calloc(json_array_size(list), sizeof **out);
	AN(*out);
	if (json_array_size(list) > API_TASK_VARIANTS_MAX) {
		snprintf(field, fieldlen, "variants");
		snprintf(why, whylen, "the website has more than %d variants",
		    API_TASK_VARIANTS_MAX);
		return (-1);
	}
	json_array_foreach(list, i, v)
	{
		snprintf(field, fieldlen, "variants[%zu]", i);
		if (api_task_variant(field, v, &(*out)[i], why, whylen) != 0)
			return (-1);
		(*n)++;
	}
	return (0);
}

int
api_task_variants(struct api_req *r, json_t *list, char ***out, unsigned *n)
{
	char field[32], why[512];

	if (api_task_variants_of(list, out, n, field, sizeof field, why,
	        sizeof why) == 0)
		return (0);
	http_api_error(r, 422, "invalid", field, "%s", why);
	return (-1);
}

void
api_task_variants_free(char ***vp, unsigned n)
{
	unsigned u;

	AN(vp);
	if (*vp == NULL)
		return;
	for (u = 0; u < n; u++)
		free((*vp)[u]);
	free(*vp);
	*vp = NULL;
}

char *
api_task_sitemap_start(const char *base, const char *sitemap_url)
{
	struct vsb *vsb;
	char *s;

	AN(base);
	if (sitemap_url != NULL) {
		s = strdup(sitemap_url);
		AN(s);
		return (s);
	}
	vsb = VSB_new_auto();
	AN(vsb);
	VSB_bcat(vsb, base, (ssize_t)api_task_origin_len(base));
	VSB_putc(vsb, '/');
	AZ(VSB_finish(vsb));
	s = strdup(VSB_data(vsb));
	AN(s);
	VSB_destroy(&vsb);
	return (s);
}
