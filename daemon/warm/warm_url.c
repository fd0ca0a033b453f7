/*
 * curl's URL parser takes the URL apart, so that what is sent is what
 * curl itself would have sent to the URL's host.
 */

#include "config.h"

#include <stdio.h>

#include <curl/curl.h>

#include "vdef.h"
#include "vas.h"

#include "warm_url.h"

int
warm_url_split(const char *url, const char *node, char *target, size_t tlen,
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
