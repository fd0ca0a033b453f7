/*
 * curl's URL parser takes the URL apart, so that what is sent is what
 * curl itself would have sent to the URL's host.  It costs some 12,000
 * instructions a URL, as much as a third of what the rest of a warm
 * request costs us, so a URL already in the form curl leaves a URL in
 * is taken apart here, and only the others go to curl.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "vdef.h"
#include "vas.h"

#include "core/str.h"
#include "warm_url.h"

/*
 * What curl keeps as it is in a path or query (RFC 3986's unreserved,
 * sub-delims, ':', '@', '/', '?' and '%' of an escape already made);
 * not '#' (a fragment is not sent), nor spaces, controls or 8-bit bytes.
 */
static int
wu_plain(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c != '\0' && strchr("-._~!$&'()*+,;=:@/?%", c) != NULL);
}

/* A host of lower-case letters, digits, dots and dashes, not empty. */
static size_t
wu_host(const char *p)
{
	size_t n;

	for (n = 0; (p[n] >= 'a' && p[n] <= 'z') ||
	     (p[n] >= '0' && p[n] <= '9') || p[n] == '.' || p[n] == '-';
	     n++)
		continue;
	return (n);
}

/* ":1" to ":65535", no leading zero; its length, 0 if none or odd. */
static size_t
wu_port(const char *p)
{
	unsigned v = 0;
	size_t n;

	if (p[0] != ':' || p[1] < '1' || p[1] > '9')
		return (0);
	for (n = 1; p[n] >= '0' && p[n] <= '9'; n++) {
		v = v * 10 + (unsigned)(p[n] - '0');
		if (n > 5 || v > 65535)
			return (0);
	}
	return (n);
}

/*
 * "http://host[:port]/path[?query]" that curl would give back unchanged:
 * the host and port, the path and query, or -1 for curl to decide (and
 * the URL itself to go to curl, unchanged, as before).  No dot segments
 * (curl removes them), no empty query (curl drops the '?').
 */
static int
wu_fast(const char *url, const char **host, size_t *hostlen, const char **path)
{
	const char *p, *q;
	size_t n;

	if (!strncmp(url, "http://", 7))
		p = url + 7;
	else if (!strncmp(url, "https://", 8))
		p = url + 8;
	else
		return (-1);
	n = wu_host(p);
	if (n == 0)
		return (-1);
	*host = p;
	p += n;
	if (*p == ':') {
		n = wu_port(p);
		if (n == 0)
			return (-1);
		p += n;
	}
	*hostlen = (size_t)(p - *host);
	if (*p != '/')
		return (-1);
	*path = p;
	for (q = p; *q != '\0' && *q != '?'; q++)
		if (!wu_plain((unsigned char)*q) ||
		    (q[0] == '/' && q[1] == '.'))
			return (-1);
	if (*q == '?' && q[1] == '\0')
		return (-1);
	for (; *q != '\0'; q++)
		if (!wu_plain((unsigned char)*q))
			return (-1);
	return (0);
}

static int
wu_curl(const char *url, char *host, size_t hlen, char *path, size_t plen)
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
	r = 0;
out:
	curl_free(h);
	curl_free(port);
	curl_free(p);
	curl_free(q);
	curl_url_cleanup(u);
	return (r);
}

int
warm_url_split(const char *url, const char *node, char *target, size_t tlen,
    char *host, size_t hlen, char *path, size_t plen)
{
	const char *h, *p;
	size_t hl;

	AN(url);
	if (wu_fast(url, &h, &hl, &p) == 0) {
		if (hl >= hlen || str_join(path, plen, "", p) != 0)
			return (-1);
		memcpy(host, h, hl);
		host[hl] = '\0';
	} else if (wu_curl(url, host, hlen, path, plen) != 0) {
		return (-1);
	}
	/* Per URL warmed: not snprintf(). */
	if (str_join(target, tlen, node != NULL ? node : "",
	        node != NULL ? path : url) != 0)
		return (-1);
	return (0);
}
