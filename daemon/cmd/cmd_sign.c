/*
 * stoked sign: print a Stoke-Warm header value, so that an admin (or a
 * test) can check with curl that the VCL recognises warm requests:
 *
 *   curl -H "Stoke-Warm: $(stoked sign --secret-file s --url /)" ...
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "cmd.h"
#include "cmd_opts.h"

static const char sign_synopsis[] =
    "(--secret-file FILE | --secret KEY) --host HOST --url URL\n"
    "                   [--method GET] [--id ID] [--time UNIX]";

static const char sign_about[] =
    "Prints the value of a Stoke-Warm header that vmod_stoke's\n"
    "stoke.is_warm() accepts for that request.  STOKE_SECRET in the\n"
    "environment is used when neither secret option is given.\n";

static int
sign_opt_time(void *var, const char *s, char *why, size_t whylen)
{
	int64_t *t = var;
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		snprintf(why, whylen, "bad --time '%s'", s);
		return (-1);
	}
	*t = v;
	return (0);
}

int
cmd_sign(int argc, char **argv)
{
	const char *method = "GET", *host = NULL, *url = NULL, *id = "manual";
	const char *secret = NULL, *secret_file = NULL;
	char key[WARM_KEY_MAX + 1], hdr[WARM_HDR_MAX], err[256];
	int64_t t = (int64_t)time(NULL);
	size_t keylen;
	int arg0;
	const struct cmd_opt opts[] = {
		{ "secret-file", 0, CO_STRING, "FILE", 0, 0, NULL,
		    "the VCL's secret", &secret_file, NULL },
		{ "secret", 0, CO_STRING, "KEY", 0, 0, "$STOKE_SECRET",
		    "the secret itself", &secret, NULL },
		{ "host", 0, CO_STRING, "HOST", 0, 0, NULL,
		    "the request's Host", &host, NULL },
		{ "url", 0, CO_STRING, "URL", 0, 0, NULL, "the request's URL",
		    &url, NULL },
		{ "method", 0, CO_STRING, "M", 0, 0, "GET",
		    "the request's method", &method, NULL },
		{ "id", 0, CO_STRING, "ID", 0, 0, "manual",
		    "the warm request's id ([A-Za-z0-9_.-])", &id, NULL },
		{ "time", 0, CO_CALL, "UNIX", 0, 0, "now",
		    "when it is signed, in seconds since 1970", &t,
		    sign_opt_time },
		CMD_OPT_END,
	};

	switch (cmd_opts_parse("sign", sign_synopsis, sign_about, opts, argc,
	    argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	if (arg0 != argc || host == NULL || url == NULL) {
		cmd_opts_usage(stderr, "sign", sign_synopsis, sign_about, opts);
		return (2);
	}
	if (secret == NULL && secret_file == NULL)
		secret = getenv("STOKE_SECRET");
	if (secret_file != NULL) {
		if (secret_read_file(secret_file, key, sizeof key, &keylen, err,
		        sizeof err) != 0) {
			fprintf(stderr, "stoked sign: %s\n", err);
			return (1);
		}
	} else if (secret != NULL) {
		if (secret_check(secret, strlen(secret), err, sizeof err) !=
		    0) {
			fprintf(stderr, "stoked sign: %s\n", err);
			return (1);
		}
		keylen = strlen(secret);
		memcpy(key, secret, keylen);
	} else {
		fprintf(stderr, "stoked sign: no secret given\n");
		return (2);
	}
	if (warm_sig_header(key, keylen, method, host, url, t, id, hdr,
	        sizeof hdr) != 0) {
		fprintf(stderr,
		    "stoked sign: cannot sign (the id must be 1 to "
		    "%d characters of [A-Za-z0-9_.-])\n",
		    WARM_ID_MAX);
		return (1);
	}
	memset(key, 0, sizeof key);
	printf("%s\n", hdr);
	return (0);
}
