/*
 * stoked run: watch one or more varnishd instances and serve the API.
 */

#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api_index.h"
#include "cmd.h"
#include "loop.h"
#include "http_api.h"
#include "instance.h"

#define MAX_INSTANCES 16

static void
run_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked run [-n NAME]... [--listen ADDR:PORT] "
	    "[--index-mb MB]\n"
	    "\n"
	    "Watches the log of each varnishd -n NAME (the default instance\n"
	    "when none is given) and serves the API and /metrics on\n"
	    "--listen (default 127.0.0.1:6086; port 0 picks a free one).\n"
	    "Each instance's index of cached objects is kept within\n"
	    "--index-mb megabytes (256), evicting the least popular.\n");
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "index-mb", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *names[MAX_INSTANCES], *listen = "127.0.0.1:6086";
	struct instance *inst[MAX_INSTANCES];
	struct event_base *eb;
	struct http_api *api;
	struct api_index *ai;
	unsigned n = 0, i;
	long index_mb = 256;
	char err[256], *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:l:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (n == MAX_INSTANCES) {
				fprintf(stderr, "stoked run: at most %d -n\n",
				    MAX_INSTANCES);
				return (2);
			}
			names[n++] = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'm':
			index_mb = strtol(optarg, &end, 10);
			if (*end != '\0' || index_mb < 1 ||
			    index_mb > 1048576) {
				fprintf(stderr,
				    "stoked run: --index-mb must be "
				    "1 to 1048576\n");
				return (2);
			}
			break;
		case 'h':
			run_usage(stdout);
			return (0);
		default:
			run_usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		run_usage(stderr);
		return (2);
	}
	if (n == 0)
		names[n++] = NULL;

	eb = event_base_new();
	if (eb == NULL) {
		fprintf(stderr, "stoked run: no event base\n");
		return (1);
	}
	api = http_api_new(eb, listen, err, sizeof err);
	if (api == NULL) {
		fprintf(stderr, "stoked run: %s\n", err);
		event_base_free(eb);
		return (1);
	}
	for (i = 0; i < n; i++) {
		inst[i] =
		    instance_new(eb, names[i], (size_t)index_mb * 1024 * 1024);
		instance_register(inst[i], api);
	}
	ai = api_index_new(api, inst, n);
	printf("stoked listening on %.*s:%u\n",
	    (int)(strrchr(listen, ':') - listen), listen, http_api_port(api));
	fflush(stdout);

	if (loop_run(eb) != 0)
		fprintf(stderr, "stoked: the event loop failed\n");
	http_api_free(&api);
	api_index_free(&ai);
	for (i = 0; i < n; i++)
		instance_free(&inst[i]);
	event_base_free(eb);
	return (0);
}
