/*
 * stoked index: ask a running stoked what is cached, or what the latest
 * invalidations dropped.
 *
 *   stoked index show [--tag T | --url U [--host H]]
 *   stoked index invalidations
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cmd.h"
#include "cmd_opts.h"

#define MAX_BODY (64 * 1024 * 1024)

struct body {
	unsigned magic;
#define BODY_MAGIC 0x6b0d1e53
	char *buf;
	size_t len;
};

static size_t
on_data(char *p, size_t sz, size_t n, void *priv)
{
	struct body *b;
	size_t add = sz * n;
	char *nb;

	CAST_OBJ_NOTNULL(b, priv, BODY_MAGIC);
	if (b->len + add > MAX_BODY)
		return (0);
	nb = realloc(b->buf, b->len + add + 1);
	if (nb == NULL)
		return (0);
	b->buf = nb;
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = '\0';
	return (add);
}

/* GET api + path + query; the parsed JSON or NULL with a message. */
static json_t *
api_get(const char *api, const char *path, const char *const *params)
{
	struct body b;
	char url[4096], *esc;
	json_error_t jerr;
	json_t *j = NULL;
	const char *msg;
	size_t used;
	long code = 0;
	CURL *c;
	CURLcode rc;

	INIT_OBJ(&b, BODY_MAGIC);
	c = curl_easy_init();
	if (c == NULL)
		return (NULL);
	used = (size_t)snprintf(url, sizeof url, "%s%s", api, path);
	for (; params != NULL && params[0] != NULL; params += 2) {
		if (params[1] == NULL)
			continue;
		esc = curl_easy_escape(c, params[1], 0);
		used += (size_t)snprintf(url + used,
		    used < sizeof url ? sizeof url - used : 0, "%c%s=%s",
		    strchr(url, '?') != NULL ? '&' : '?', params[0], esc);
		curl_free(esc);
	}
	if (used >= sizeof url) {
		fprintf(stderr, "stoked index: query too long\n");
		curl_easy_cleanup(c);
		return (NULL);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "stoked index: %s: %s\n", api,
		    curl_easy_strerror(rc));
	} else {
		AZ(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code));
		j = json_loads(b.buf != NULL ? b.buf : "", 0, &jerr);
		if (j == NULL)
			fprintf(stderr, "stoked index: bad answer from %s\n",
			    url);
		else if (code != 200) {
			/* {"error": {"code", "message"}}, as every error is. */
			msg = json_string_value(
			    json_object_get(json_object_get(j, "error"),
			        "message"));
			fprintf(stderr, "stoked index: %s (HTTP %ld)\n",
			    msg != NULL ? msg : "an error", code);
			json_decref(j);
			j = NULL;
		}
	}
	free(b.buf);
	curl_easy_cleanup(c);
	return (j);
}

static void
print_objects(const json_t *j)
{
	const json_t *o, *t;
	size_t i, k;

	printf("%s: %lld objects in the index, %lld matched\n",
	    json_string_value(json_object_get(j, "instance")),
	    (long long)json_integer_value(json_object_get(j, "objects_total")),
	    (long long)json_integer_value(json_object_get(j, "matched")));
	printf("%9s %6s %6s  %s\n", "TTL-LEFT", "HITS", "STATUS",
	    "HOST URL [VARIANT] TAGS");
	json_array_foreach(json_object_get(j, "objects"), i, o)
	{
		printf("%8.0fs %6lld %6lld  %s %s",
		    json_real_value(json_object_get(o, "ttl_left")),
		    (long long)json_integer_value(json_object_get(o, "hits")),
		    (long long)json_integer_value(json_object_get(o, "status")),
		    json_string_value(json_object_get(o, "host")),
		    json_string_value(json_object_get(o, "url")));
		if (*json_string_value(json_object_get(o, "variant")) != '\0')
			printf(" [%s]",
			    json_string_value(json_object_get(o, "variant")));
		json_array_foreach(json_object_get(o, "tags"), k, t)
		    printf("%s%s", k == 0 ? "  " : ",", json_string_value(t));
		printf("\n");
	}
}

static void
print_invalidations(const json_t *j)
{
	const json_t *e, *o;
	char when[32];
	time_t t;
	size_t i, k;

	json_array_foreach(json_object_get(j, "invalidations"), i, e)
	{
		t = (time_t)json_real_value(json_object_get(e, "time"));
		strftime(when, sizeof when, "%F %T", localtime(&t));
		printf("%s %s %s %s: %lld dropped%s%s\n", when,
		    json_string_value(json_object_get(e, "how")),
		    json_string_value(json_object_get(e, "type")),
		    json_string_value(json_object_get(e, "what")),
		    (long long)json_integer_value(
		        json_object_get(e, "dropped")),
		    json_object_get(e, "error") != NULL ? ", error: " : "",
		    json_object_get(e, "error") != NULL
		        ? json_string_value(json_object_get(e, "error"))
		        : "");
		json_array_foreach(json_object_get(e, "objects"), k, o)
		    printf("    %s %s %s\n",
		        json_string_value(json_object_get(o, "host")),
		        json_string_value(json_object_get(o, "url")),
		        json_string_value(json_object_get(o, "variant")));
	}
}

static const char index_synopsis[] =
    "show [--tag T | --url U [--host H]]\n"
    "                         [--limit N] [--instance NAME] "
    "[--api URL] [--json]\n"
    "       stoked index invalidations [--limit N] [--instance NAME]\n"
    "                         [--api URL] [--json]";

static const char index_about[] =
    "Asks a running 'stoked run' (--api) what is cached, or what the\n"
    "latest purges, bans and tag invalidations dropped.\n";

int
cmd_index(int argc, char **argv)
{
	const char *api = "http://127.0.0.1:6086", *what = NULL;
	const char *params[] = { "instance", NULL, "tag", NULL, "url", NULL,
		"host", NULL, "limit", NULL, NULL };
	int arg0, json = 0, rc = 1;
	const struct cmd_opt opts[] = {
		{ "api", 0, CO_STRING, "URL", 0, 0, "http://127.0.0.1:6086",
		    "the API of the stoked run to ask", &api, NULL },
		{ "instance", 0, CO_STRING, "NAME", 0, 0, "the first",
		    "the varnishd (its -n) to ask about", &params[1], NULL },
		{ "tag", 0, CO_STRING, "T", 0, 0, NULL,
		    "show: the objects of tag T", &params[3], NULL },
		{ "url", 0, CO_STRING, "U", 0, 0, NULL,
		    "show: the variants of URL U", &params[5], NULL },
		{ "host", 0, CO_STRING, "H", 0, 0, NULL,
		    "show: with --url, of host H", &params[7], NULL },
		{ "limit", 0, CO_STRING, "N", 0, 0, NULL, "at most N entries",
		    &params[9], NULL },
		{ "json", 0, CO_FLAG, NULL, 0, 0, NULL,
		    "print the API's JSON as it is", &json, NULL },
		CMD_OPT_END,
	};
	json_t *j;
	char *s;

	/* The action first; options alone are --help or --man. */
	if (argc >= 2 &&
	    (!strcmp(argv[1], "show") || !strcmp(argv[1], "invalidations"))) {
		what = argv[1];
		argc--;
		argv++;
	}
	switch (cmd_opts_parse("index", index_synopsis, index_about, opts, argc,
	    argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (what == NULL || arg0 != argc) {
		cmd_opts_usage(stderr, "index", index_synopsis, index_about,
		    opts);
		return (2);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	j = api_get(api,
	    !strcmp(what, "show") ? "/api/v1/index" : "/api/v1/invalidations",
	    params);
	if (j != NULL) {
		if (json) {
			s = json_dumps(j, JSON_INDENT(2));
			printf("%s\n", s);
			free(s);
		} else if (!strcmp(what, "show"))
			print_objects(j);
		else
			print_invalidations(j);
		json_decref(j);
		rc = 0;
	}
	curl_global_cleanup();
	return (rc);
}
