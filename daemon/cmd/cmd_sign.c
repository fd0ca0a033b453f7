/*
 * stoked sign: print a Stoke-Warm header value, so that an admin (or a
 * test) can check with curl that the VCL recognises warm requests:
 *
 *   curl -H "Stoke-Warm: $(stoked sign --secret-file s --url /)" ...
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/secret.h"
#include "proto/warm_sig.h"
#include "cmd.h"

static void
sign_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked sign (--secret-file FILE | --secret KEY) "
	    "--host HOST --url URL\n"
	    "                   [--method GET] [--id ID] [--time UNIX]\n"
	    "\n"
	    "Prints the value of a Stoke-Warm header that vmod_stoke's\n"
	    "stoke.is_warm() accepts for that request.  STOKE_SECRET in the\n"
	    "environment is used when neither secret option is given.\n");
}

static int
parse_time(const char *s, int64_t *t)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return (-1);
	*t = v;
	return (0);
}

int
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "method", required_argument, NULL, 'm' },
		{ "host", required_argument, NULL, 'H' },
		{ "url", required_argument, NULL, 'u' },
		{ "id", required_argument, NULL, 'i' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *method = "GET", *host = NULL, *url = NULL, *id = "manual";
	const char *secret = NULL, *secret_file = NULL;
	char key[WARM_KEY_MAX + 1], hdr[WARM_HDR_MAX], err[256];
	int64_t t = (int64_t)time(NULL);
	size_t keylen;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			secret = optarg;
			break;
		case 'f':
			secret_file = optarg;
			break;
		case 'm':
			method = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 't':
			if (parse_time(optarg, &t) != 0) {
				fprintf(stderr,
				    "stoked sign: bad --time '%s'\n", optarg);
				return (2);
			}
			break;
		case 'h':
			sign_usage(stdout);
			return (0);
		default:
			sign_usage(stderr);
			return (2);
		}
	}
	if (optind != argc || host == NULL || url == NULL) {
		sign_usage(stderr);
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
