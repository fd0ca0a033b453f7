/*
 * What the control plane asks of this node (node_command.h).  What a
 * command names is checked as the purge route checks it: absolute http
 * URLs, tags without space, comma or control byte; what is not is
 * skipped and said, the rest done.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vsb.h"
#include "vtim.h"

#include "core/log.h"
#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "fetch/purger.h"
#include "node/instance.h"
#include "node_command.h"

#define PURGE_ITEMS_MAX 10000
#define PURGE_TIMEOUT 30.0
/* What a command purged, remembered this long, this many at most: its
 * invalidations come back through the log within moments. */
#define ECHO_TTL 60.0
#define ECHO_MAX 4096

struct nc_echo {
	VTAILQ_ENTRY(nc_echo) list;
	double until; /* VTIM_mono() */
	unsigned tag; /* a tag; else a URL */
	char s[];
};

struct node_command {
	unsigned magic;
#define NODE_COMMAND_MAGIC 0x6e0dc0a1
	struct event_base *eb;
	struct fetcher *f;
	char *node;
	struct instance *inst;
	struct origin_guard *guard;
	char *host; /* the website's, for tag purges */
	int64_t version; /* the website settings' */
	VTAILQ_HEAD(, nc_echo) echoes; /* oldest first */
	unsigned necho;
};

/* One purge, until its results are in. */
struct nc_purge {
	unsigned magic;
#define NC_PURGE_MAGIC 0x6e0dc0a2
	char what[64];
};

struct node_command *
nc_new(struct event_base *eb, const char *node, struct instance *inst,
    struct origin_guard *guard)
{
	struct node_command *nc;

	AN(eb);
	AN(node);
	ALLOC_OBJ(nc, NODE_COMMAND_MAGIC);
	AN(nc);
	nc->eb = eb;
	/* The node is the operator's: any address. */
	nc->f = fetcher_new(eb, 8);
	nc->node = strdup(node);
	AN(nc->node);
	nc->inst = inst;
	nc->guard = guard;
	nc->version = -1;
	VTAILQ_INIT(&nc->echoes);
	return (nc);
}

void
nc_free(struct node_command **ncp)
{
	struct node_command *nc;

	struct nc_echo *e;

	TAKE_OBJ_NOTNULL(nc, ncp, NODE_COMMAND_MAGIC);
	while ((e = VTAILQ_FIRST(&nc->echoes)) != NULL) {
		VTAILQ_REMOVE(&nc->echoes, e, list);
		free(e);
	}
	fetcher_free(&nc->f);
	free(nc->node);
	free(nc->host);
	FREE_OBJ(nc);
}

/*--------------------------------------------------------------------
 * Purges
 */

static void
nc_purged(void *priv, const struct purge_result *r, unsigned n)
{
	struct nc_purge *p;
	unsigned i, ok = 0;

	CAST_OBJ_NOTNULL(p, priv, NC_PURGE_MAGIC);
	for (i = 0; i < n; i++) {
		if (r[i].ok) {
			ok++;
			continue;
		}
		log_warning("command", "%s: PURGE %s on %s: %s", p->what,
		    r[i].subject, r[i].node,
		    r[i].error != NULL ? r[i].error : "refused");
	}
	log_info("command", "%s: %u of %u purges done", p->what, ok, n);
	FREE_OBJ(p);
}

static int
nc_url_ok(const char *u)
{
	const char *p;

	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
		return (0);
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return (0);
	return (1);
}

static int
nc_tag_ok(const char *t)
{
	const char *p;

	if (*t == '\0' || strlen(t) > 1024)
		return (0);
	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == ',' || *p == 0x7f)
			return (0);
	return (1);
}

/* The strings of a, those ok taken, at most PURGE_ITEMS_MAX; said. */
static unsigned
nc_strings(const json_t *a, int (*ok)(const char *), const char **v,
    const char *what)
{
	const json_t *s;
	unsigned n = 0;
	size_t i;

	if (a == NULL)
		return (0);
	json_array_foreach(a, i, s)
	{
		if (n == PURGE_ITEMS_MAX)
			break;
		if (!json_is_string(s) || !ok(json_string_value(s))) {
			log_warning("command", "a %s not fit to purge: skipped",
			    what);
			continue;
		}
		v[n++] = json_string_value(s);
	}
	return (n);
}

/*--------------------------------------------------------------------
 * Echoes: what the node purged on command, told apart from its own
 */

static void
nc_echo_expire(struct node_command *nc, double now)
{
	struct nc_echo *e;

	while ((e = VTAILQ_FIRST(&nc->echoes)) != NULL &&
	    (e->until < now || nc->necho > ECHO_MAX)) {
		VTAILQ_REMOVE(&nc->echoes, e, list);
		nc->necho--;
		free(e);
	}
}

static void
nc_remember(struct node_command *nc, unsigned tag, const char *s)
{
	struct nc_echo *e;
	size_t l = strlen(s) + 1;

	e = malloc(sizeof *e + l);
	AN(e);
	e->until = VTIM_mono() + ECHO_TTL;
	e->tag = tag;
	memcpy(e->s, s, l);
	VTAILQ_INSERT_TAIL(&nc->echoes, e, list);
	nc->necho++;
	nc_echo_expire(nc, 0);
}

static int
nc_remembered(const struct node_command *nc, unsigned tag, const char *s)
{
	const struct nc_echo *e;

	VTAILQ_FOREACH(e, &nc->echoes, list)
	if (e->tag == tag && !strcmp(e->s, s))
		return (1);
	return (0);
}

static char *nc_decode(const char *s, size_t l);

int
nc_echo(void *priv, const char *kind, const char *subject)
{
	struct node_command *nc;
	const char *p, *e;
	char *t;
	int all = 1, n = 0;

	CAST_OBJ_NOTNULL(nc, priv, NODE_COMMAND_MAGIC);
	if (kind == NULL || subject == NULL)
		return (0);
	nc_echo_expire(nc, VTIM_mono());
	if (!strcmp(kind, "purge"))
		return (nc_remembered(nc, 0, subject));
	if (strcmp(kind, "tag") != 0)
		return (0);
	/* Every tag of it purged on command: an echo. */
	for (p = subject; *p != '\0' && all; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		t = nc_decode(p, (size_t)(e - p));
		all = nc_remembered(nc, 1, t);
		free(t);
		n++;
	}
	return (all && n > 0);
}

/*--------------------------------------------------------------------
 * Purges, carried out
 */

static void
nc_purge(struct node_command *nc, const char *what, const char *const *url,
    unsigned nurl, const char *const *tag, unsigned ntag, int hard)
{
	const char *node = nc->node;
	struct purge_req rq;
	struct nc_purge *p;
	unsigned i;

	if (nurl + ntag == 0)
		return;
	if (ntag > 0 && nc->host == NULL) {
		log_warning("command",
		    "%s: tags, but no website host known yet: tags skipped",
		    what);
		ntag = 0;
		if (nurl == 0)
			return;
	}
	for (i = 0; i < nurl; i++)
		nc_remember(nc, 0, url[i]);
	for (i = 0; i < ntag; i++)
		nc_remember(nc, 1, tag[i]);
	ALLOC_OBJ(p, NC_PURGE_MAGIC);
	AN(p);
	snprintf(p->what, sizeof p->what, "%s", what);
	memset(&rq, 0, sizeof rq);
	rq.node = &node;
	rq.nnode = 1;
	rq.url = url;
	rq.nurl = nurl;
	rq.tag = tag;
	rq.ntag = ntag;
	rq.host = nc->host;
	rq.hard = hard;
	rq.timeout = PURGE_TIMEOUT;
	purge_send(nc->eb, nc->f, &rq, nc_purged, p);
}

static int
nc_cmd_purge(struct node_command *nc, const json_t *c, int64_t id)
{
	const char **url, **tag;
	unsigned nurl, ntag;
	char what[64];
	int hard;

	url = calloc(PURGE_ITEMS_MAX, sizeof *url);
	tag = calloc(PURGE_ITEMS_MAX, sizeof *tag);
	AN(url);
	AN(tag);
	nurl = nc_strings(json_object_get(c, "urls"), nc_url_ok, url, "URL");
	ntag = nc_strings(json_object_get(c, "tags"), nc_tag_ok, tag, "tag");
	hard = json_is_true(json_object_get(c, "hard"));
	snprintf(what, sizeof what, "purge command %" PRId64, id);
	log_info("command", "%s: %u URLs, %u tags%s", what, nurl, ntag,
	    hard ? ", hard" : "");
	nc_purge(nc, what, url, nurl, tag, ntag, hard);
	free(url);
	free(tag);
	return (0);
}

/* One tag of a comma-separated, percent-encoded list, decoded. */
static char *
nc_decode(const char *s, size_t l)
{
	char *d, *o, hex[3] = { 0, 0, 0 };
	size_t i;

	d = malloc(l + 1);
	AN(d);
	for (i = 0, o = d; i < l; i++) {
		if (s[i] == '%' && i + 2 < l) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return (d);
}

/* Another node's invalidation, done here too. */
static int
nc_cmd_invalidate(struct node_command *nc, const json_t *c, int64_t id)
{
	const char *kind = NULL, *subject = NULL, *from = "?", *p, *e;
	const char *tags[64];
	char *dec[64], what[64];
	unsigned n = 0, i;

	/* "kind" is the command's own: the invalidation's is this. */
	if (json_unpack((json_t *)(uintptr_t)c, "{s:s, s:s, s?s}",
	        "invalidation", &kind, "subject", &subject, "from_node",
	        &from) != 0) {
		log_warning("command",
		    "invalidate command %" PRId64
		    ": no invalidation or subject: skipped",
		    id);
		return (0);
	}
	snprintf(what, sizeof what, "invalidate command %" PRId64, id);
	log_info("command", "%s: %s %.200s, from %.100s", what, kind, subject,
	    from);
	if (!strcmp(kind, "purge")) {
		if (!nc_url_ok(subject)) {
			log_warning("command", "%s: not a URL: skipped", what);
			return (0);
		}
		nc_purge(nc, what, &subject, 1, NULL, 0, 0);
		return (0);
	}
	if (strcmp(kind, "tag") != 0) {
		log_warning("command", "%s: kind %.32s: skipped", what, kind);
		return (0);
	}
	for (p = subject; *p != '\0' && n < 64; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		dec[n] = nc_decode(p, (size_t)(e - p));
		if (nc_tag_ok(dec[n]))
			tags[n] = dec[n], n++;
		else
			free(dec[n]);
	}
	nc_purge(nc, what, NULL, 0, tags, n, 0);
	for (i = 0; i < n; i++)
		free(dec[i]);
	return (0);
}

int
nc_command(void *priv, const json_t *c)
{
	struct node_command *nc;
	json_int_t id = 0;
	const char *kind;
	json_t *w;

	CAST_OBJ_NOTNULL(nc, priv, NODE_COMMAND_MAGIC);
	AN(c);
	(void)json_unpack((json_t *)(uintptr_t)c, "{s:I}", "id", &id);
	kind = json_string_value(json_object_get(c, "kind"));
	if (kind == NULL)
		return (-1);
	if (!strcmp(kind, "purge"))
		return (nc_cmd_purge(nc, c, (int64_t)id));
	if (!strcmp(kind, "invalidate"))
		return (nc_cmd_invalidate(nc, c, (int64_t)id));
	if (!strcmp(kind, "settings")) {
		w = json_object_get(c, "website");
		if (!json_is_object(w))
			log_warning("command",
			    "settings without a website: "
			    "skipped");
		else
			nc_website(nc, w);
		return (0);
	}
	return (-1);
}

/*--------------------------------------------------------------------
 * Settings
 */

/* {"currency": "cookie:sw-currency"} as the dims record says it. */
static char *
nc_dims(const json_t *vi)
{
	const char *name;
	const json_t *v;
	struct vsb *b;
	char *s;

	if (!json_is_object(vi) || json_object_size(vi) == 0)
		return (NULL);
	b = VSB_new_auto();
	AN(b);
	json_object_foreach((json_t *)(uintptr_t)vi, name, v)
	{
		if (!json_is_string(v) || strpbrk(name, " =") != NULL ||
		    strchr(json_string_value(v), ' ') != NULL)
			continue;
		VSB_printf(b, "%s%s=%s", VSB_len(b) > 0 ? " " : "", name,
		    json_string_value(v));
	}
	AZ(VSB_finish(b));
	s = VSB_len(b) > 0 ? strdup(VSB_data(b)) : NULL;
	VSB_destroy(&b);
	return (s);
}

/* The host of "http://host[:port]/...", or NULL. */
static char *
nc_host_of(const char *url)
{
	const char *h, *e;
	char *s;

	h = strstr(url, "://");
	if (h == NULL)
		return (NULL);
	h += 3;
	e = h + strcspn(h, "/?#");
	if (e == h)
		return (NULL);
	s = strndup(h, (size_t)(e - h));
	AN(s);
	return (s);
}

void
nc_website(void *priv, const json_t *w)
{
	struct node_command *nc;
	json_int_t version = -1, conc = 0;
	const char *base = NULL;
	double rate = 0;
	char *dims;
	json_t *r;

	CAST_OBJ_NOTNULL(nc, priv, NODE_COMMAND_MAGIC);
	(void)json_unpack((json_t *)(uintptr_t)w, "{s?I, s?s, s?I}", "version",
	    &version, "base_url", &base, "concurrency", &conc);
	r = json_object_get(w, "rate_limit");
	if (json_is_number(r) && json_number_value(r) > 0)
		rate = json_number_value(r);
	if (base != NULL) {
		free(nc->host);
		nc->host = nc_host_of(base);
	}
	if (conc > 0 && conc <= 1024 && nc->guard != NULL)
		og_set_limits(nc->guard, (unsigned)conc, rate);
	dims = nc_dims(json_object_get(w, "variant_inputs"));
	if (nc->inst != NULL)
		instance_set_dims(nc->inst, dims);
	log_notice("settings",
	    "website %s, version %" PRId64 ": concurrency %" PRId64
	    ", rate %g/s, variant inputs %s",
	    base != NULL ? base : "?", (int64_t)version, (int64_t)conc, rate,
	    dims != NULL ? dims : "from the log");
	nc->version = version;
	free(dims);
}
