/*
 * stoked warm: fetch URLs through each Varnish node now, as signed warm
 * requests, and say what each node did with them.
 *
 *   stoked warm --node http://10.0.0.1:6081 --node http://10.0.0.2:6081 \
 *       --secret-file /etc/varnish/stoke.secret https://shop.example/
 *
 * Each node is a cache of its own: warming through the load balancer
 * would warm one of them.  The URL gives the Host and path; the node,
 * where to connect.
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vdef.h"
#include "vtim.h"
#include "cmd.h"
#include "fetcher.h"
#include "secret.h"
#include "warm_sig.h"

#define MAX_NODES 32

struct warm_job {
	struct event_base *eb;
	struct fetcher *f;
	char *const *urls;
	unsigned nurl;
	const char *nodes[MAX_NODES];
	unsigned nnode;
	const char *hdrs[FETCH_MAX_HDRS];
	unsigned nhdr;
	const char *method;
	double timeout;
	char key[WARM_KEY_MAX + 1];
	size_t keylen;
	unsigned next, total, done, failed, unverified, concurrency;
	double t0;
};

struct warm_one {
	struct warm_job *job;
	char target[4096];
	char id[WARM_ID_MAX + 1];
	const char *url;
	const char *node;
};

/* Where to connect, which Host to send, which path to sign. */
static int
split_url(const char *url, const char *node, char *target, size_t tlen,
    char *host, size_t hlen, char *path, size_t plen)
{
	char *h = NULL, *port = NULL, *p = NULL, *q = NULL;
	CURLU *u = curl_url();
	int r = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &p, 0) != CURLUE_OK)
		goto out;
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	(void)curl_url_get(u, CURLUPART_QUERY, &q, 0);
	if ((size_t)snprintf(host, hlen, "%s%s%s", h, port ? ":" : "",
	        port ? port : "") >= hlen ||
	    (size_t)snprintf(path, plen, "%s%s%s", p, q ? "?" : "",
	        q ? q : "") >= plen)
		goto out;
	if ((size_t)snprintf(target, tlen, "%s%s", node != NULL ? node : "",
	        node != NULL ? path : url) >= tlen)
		goto out;
	r = 0;
out:
	curl_free(h);
	curl_free(port);
	curl_free(p);
	curl_free(q);
	curl_url_cleanup(u);
	return (r);
}

static void submit_next(struct warm_job *);

static void
on_done(void *priv, const struct fetch_result *res)
{
	struct warm_one *w = priv;
	struct warm_job *job = w->job;
	const char *what;
	int verified;

	job->done++;
	verified = res->warm_id != NULL && !strcmp(res->warm_id, w->id);
	if (!res->ok || res->status >= 400 || res->status == 0) {
		job->failed++;
		what = "failed";
	} else if (res->hit) {
		/* A warm request that was not honoured is served cached. */
		what = "cached";
	} else {
		what = "fetched";
	}
	if (job->keylen > 0 && res->ok && !verified)
		job->unverified++;
	printf("%3ld %-7s %7.1f ms  %s%s%s%s\n", res->status, what,
	    res->time * 1e3, w->url, w->node != NULL ? " via " : "",
	    w->node != NULL ? w->node : "",
	    job->keylen == 0 ? ""
	        : verified   ? "  [warm]"
	                     : "  [not a warm request]");
	if (!res->ok)
		printf("        %s\n", res->error);
	free(w);
	submit_next(job);
	if (job->done == job->total)
		event_base_loopbreak(job->eb);
}

static void
submit_next(struct warm_job *job)
{
	char host[1024], path[3072], hdr[WARM_HDR_MAX + 16];
	struct fetch_req rq;
	struct warm_one *w;
	unsigned u, n;

	while (job->next < job->total &&
	    fetcher_inflight(job->f) < job->concurrency) {
		u = job->next / (job->nnode > 0 ? job->nnode : 1);
		n = job->next % (job->nnode > 0 ? job->nnode : 1);
		job->next++;
		w = calloc(1, sizeof *w);
		if (w == NULL)
			abort();
		w->job = job;
		w->url = job->urls[u];
		w->node = job->nnode > 0 ? job->nodes[n] : NULL;
		memset(&rq, 0, sizeof rq);
		rq.method = job->method;
		rq.timeout = job->timeout;
		if (split_url(w->url, w->node, w->target, sizeof w->target,
		        host, sizeof host, path, sizeof path) != 0) {
			printf("  - bad URL  %s\n", w->url);
			job->failed++;
			job->done++;
			free(w);
			continue;
		}
		rq.url = w->target;
		rq.host = host;
		memcpy(rq.hdr, job->hdrs, job->nhdr * sizeof rq.hdr[0]);
		rq.nhdr = job->nhdr;
		if (job->keylen > 0) {
			snprintf(w->id, sizeof w->id, "cli-%ld-%u",
			    (long)getpid(), job->next);
			strcpy(hdr, "Stoke-Warm: ");
			if (warm_sig_header(job->key, job->keylen, job->method,
			        host, path, (int64_t)VTIM_real(), w->id,
			        hdr + 12, sizeof hdr - 12) != 0) {
				printf("  - cannot sign  %s\n", w->url);
				job->failed++;
				job->done++;
				free(w);
				continue;
			}
			rq.hdr[rq.nhdr++] = hdr;
		}
		if (fetcher_submit(job->f, &rq, on_done, w) != 0) {
			printf("  - cannot fetch  %s\n", w->url);
			job->failed++;
			job->done++;
			free(w);
		}
	}
}

static void
warm_usage(FILE *f)
{
	fprintf(f,
	    "usage: stoked warm [--node URL]... [--secret-file F | --secret "
	    "S]\n"
	    "                   [--header 'Name: value']... [--concurrency N]\n"
	    "                   [--head] [--timeout S] URL...\n"
	    "\n"
	    "Fetches each URL through each --node (a Varnish listening\n"
	    "address, e.g. http://10.0.0.1:6081; without one, the URL itself)\n"
	    "with the URL's Host.  With a secret, each request is a signed "
	    "warm\n"
	    "request, which vmod_stoke's VCL refreshes even when cached.\n"
	    "--header adds a variant input (a cookie, a device header).\n");
}

int
cmd_warm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "secret", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "header", required_argument, NULL, 'H' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "head", no_argument, NULL, 'I' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct warm_job job;
	char err[256], *end;
	long v;
	int c, rc;

	memset(&job, 0, sizeof job);
	job.method = "GET";
	job.timeout = 30;
	job.concurrency = 8;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (job.nnode == MAX_NODES) {
				fprintf(stderr,
				    "stoked warm: too many nodes\n");
				return (2);
			}
			job.nodes[job.nnode++] = optarg;
			break;
		case 's':
			if (secret_check(optarg, strlen(optarg), err,
			        sizeof err) != 0) {
				fprintf(stderr, "stoked warm: %s\n", err);
				return (2);
			}
			job.keylen = strlen(optarg);
			memcpy(job.key, optarg, job.keylen);
			break;
		case 'f':
			if (secret_read_file(optarg, job.key, sizeof job.key,
			        &job.keylen, err, sizeof err) != 0) {
				fprintf(stderr, "stoked warm: %s\n", err);
				return (2);
			}
			break;
		case 'H':
			if (job.nhdr == FETCH_MAX_HDRS - 1 ||
			    strchr(optarg, ':') == NULL ||
			    strpbrk(optarg, "\r\n") != NULL) {
				fprintf(stderr,
				    "stoked warm: bad --header '%s'\n", optarg);
				return (2);
			}
			job.hdrs[job.nhdr++] = optarg;
			break;
		case 'c':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || v < 1 || v > 256) {
				fprintf(stderr,
				    "stoked warm: --concurrency "
				    "must be 1 to 256\n");
				return (2);
			}
			job.concurrency = (unsigned)v;
			break;
		case 'I':
			job.method = "HEAD";
			break;
		case 't':
			job.timeout = strtod(optarg, &end);
			if (*end != '\0' ||
			    !(job.timeout > 0 && job.timeout <= 3600)) {
				fprintf(stderr, "stoked warm: bad --timeout\n");
				return (2);
			}
			break;
		case 'h':
			warm_usage(stdout);
			return (0);
		default:
			warm_usage(stderr);
			return (2);
		}
	}
	if (optind == argc) {
		warm_usage(stderr);
		return (2);
	}
	job.urls = argv + optind;
	job.nurl = (unsigned)(argc - optind);
	job.total = job.nurl * (job.nnode > 0 ? job.nnode : 1);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	job.eb = event_base_new();
	if (job.eb == NULL) {
		fprintf(stderr, "stoked warm: no event base\n");
		return (1);
	}
	/* The concurrency is the ceiling per node too. */
	job.f = fetcher_new(job.eb, job.concurrency);
	job.t0 = VTIM_real();
	submit_next(&job);
	if (job.done < job.total)
		(void)event_base_dispatch(job.eb);
	printf("%u warmed, %u failed in %.2f s", job.total - job.failed,
	    job.failed, VTIM_real() - job.t0);
	if (job.unverified > 0)
		printf(", %u not taken as warm requests (check the secret "
		       "and the VCL)",
		    job.unverified);
	printf("\n");
	/* Asked to warm, a request served from cache warmed nothing. */
	rc = (job.failed > 0 || job.unverified > 0) ? 1 : 0;
	fetcher_free(&job.f);
	event_base_free(job.eb);
	memset(job.key, 0, sizeof job.key);
	curl_global_cleanup();
	return (rc);
}
