/*
 * Choosing the database, and keeping its password out of every message
 * about it.  A password can sit in a URL's user info
 * (postgresql://user:secret@host/db), in its query (?password=secret) or
 * in a key=value string (password='secret'); all three are masked.
 */

#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"

#include "core/log.h"

#include "db_url.h"
#include "migrate.h"
#include "pg_embed.h"

#define MASK "****"
#define MAX_SPANS 8

struct span {
	size_t off, len;
};

static size_t
add_span(struct span *sp, size_t n, size_t off, size_t len)
{
	if (n < MAX_SPANS && len > 0) {
		sp[n].off = off;
		sp[n].len = len;
		n++;
	}
	return (n);
}

static size_t
uri_spans(const char *u, const char *auth, struct span *sp)
{
	const char *p, *colon = NULL;
	size_t n = 0, vlen;

	/* As libpq reads it: user info ends at the first '@' before '/'. */
	for (p = auth; *p != '\0' && *p != '@' && *p != '/'; p++)
		if (*p == ':' && colon == NULL)
			colon = p;
	if (*p == '@' && colon != NULL)
		n = add_span(sp, n, (size_t)(colon + 1 - u),
		    (size_t)(p - colon - 1));
	for (p = strchr(p, '?'); p != NULL; p = strchr(p, '&')) {
		p++;
		if (strncmp(p, "password=", 9) == 0) {
			vlen = strcspn(p + 9, "&");
			n = add_span(sp, n, (size_t)(p + 9 - u), vlen);
		}
	}
	return (n);
}

static size_t
kv_spans(const char *s, struct span *sp)
{
	const char *p = s, *k, *v;
	size_t n = 0, klen;

	while (*p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		k = p;
		while (*p != '\0' && *p != '=' && !isspace((unsigned char)*p))
			p++;
		klen = (size_t)(p - k);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		v = p;
		if (*p == '\'') {
			for (p++; *p != '\0' && *p != '\''; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\'')
				p++;
		} else {
			while (*p != '\0' && !isspace((unsigned char)*p))
				p++;
		}
		if (klen == 8 && strncmp(k, "password", 8) == 0)
			n = add_span(sp, n, (size_t)(v - s), (size_t)(p - v));
	}
	return (n);
}

/* Where the passwords are in url, in order. */
static size_t
password_spans(const char *url, struct span *sp)
{
	if (strncmp(url, "postgresql://", 13) == 0)
		return (uri_spans(url, url + 13, sp));
	if (strncmp(url, "postgres://", 11) == 0)
		return (uri_spans(url, url + 11, sp));
	return (kv_spans(url, sp));
}

/* Appends s[0..n) to buf, truncating; *at counts what was wanted. */
static void
put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at < len) {
		size_t room = len - 1 - *at;

		memcpy(buf + *at, s, n < room ? n : room);
		buf[*at + (n < room ? n : room)] = '\0';
	}
	*at += n;
}

void
db_url_mask(const char *url, char *buf, size_t len)
{
	struct span sp[MAX_SPANS];
	size_t n, i, at = 0, from = 0;

	AN(url);
	AN(buf);
	assert(len > 0);
	buf[0] = '\0';
	n = password_spans(url, sp);
	for (i = 0; i < n; i++) {
		put(buf, len, &at, url + from, sp[i].off - from);
		put(buf, len, &at, MASK, strlen(MASK));
		from = sp[i].off + sp[i].len;
	}
	put(buf, len, &at, url + from, strlen(url + from));
}

/*
 * libpq's message, on one line, with any password of url masked: its
 * complaints about a malformed URL quote the URL.
 */
static void
clean_message(const char *msg, const char *url, char *buf, size_t len)
{
	struct span sp[MAX_SPANS];
	size_t n, i, at = 0;
	const char *p;
	int space = 0;

	n = password_spans(url, sp);
	buf[0] = '\0';
	for (p = msg; *p != '\0';) {
		for (i = 0; i < n; i++)
			if (strncmp(p, url + sp[i].off, sp[i].len) == 0)
				break;
		if (i < n) {
			put(buf, len, &at, MASK, strlen(MASK));
			p += sp[i].len;
			space = 0;
		} else if (isspace((unsigned char)*p)) {
			space = at > 0;
			p++;
		} else {
			if (space)
				put(buf, len, &at, " ", 1);
			space = 0;
			put(buf, len, &at, p++, 1);
		}
	}
}

const char *
db_url_configured(const char *option)
{
	const char *env;

	if (option != NULL && *option != '\0')
		return (option);
	env = getenv("STOKE_DATABASE_URL");
	if (env != NULL && *env != '\0')
		return (env);
	return (NULL);
}

int
db_url_choose(const char *option, const char *state_dir, const char **url,
    char *dir, size_t dirlen, char *err, size_t errlen)
{
	AN(url);
	AN(dir);
	*url = NULL;
	if (option != NULL && *option != '\0') {
		*url = option;
		return (0);
	}
	if (state_dir == NULL)
		*url = db_url_configured(NULL);
	if (*url != NULL)
		return (0);
	return (db_url_state_dir(state_dir, dir, dirlen, err, errlen));
}

int
db_url_state_dir(const char *option, char *buf, size_t len, char *err,
    size_t errlen)
{
	const char *xdg, *home, *sd;
	struct passwd *pw;
	int n;

	if (option != NULL && *option != '\0') {
		n = snprintf(buf, len, "%s", option);
	} else if ((sd = getenv("STATE_DIRECTORY")) != NULL && sd[0] == '/') {
		/* systemd's StateDirectory=: the first, if several. */
		n = snprintf(buf, len, "%.*s", (int)strcspn(sd, ":"), sd);
	} else if (geteuid() == 0) {
		n = snprintf(buf, len, "/var/lib/stoke");
	} else if ((xdg = getenv("XDG_STATE_HOME")) != NULL && xdg[0] == '/') {
		/* The XDG spec says to ignore a relative one. */
		n = snprintf(buf, len, "%s/stoke", xdg);
	} else {
		home = getenv("HOME");
		if (home == NULL || home[0] != '/') {
			pw = getpwuid(geteuid());
			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (home == NULL || home[0] != '/') {
			snprintf(err, errlen,
			    "no home directory to keep state in: "
			    "give --state-dir");
			return (-1);
		}
		n = snprintf(buf, len, "%s/.local/state/stoke", home);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "the state directory's path is too long");
		return (-1);
	}
	return (0);
}

PGconn *
db_url_connect(const char *url, char *err, size_t errlen)
{
	/* Earlier keywords yield to what the URL itself says. */
	static const char *const kw[] = { "connect_timeout",
		"fallback_application_name", "dbname", NULL };
	const char *val[4];
	char masked[512], msg[512];
	PGconn *c;

	AN(url);
	val[0] = "10";
	val[1] = "stoked";
	val[2] = url;
	val[3] = NULL;
	c = PQconnectdbParams(kw, val, 1);
	if (c != NULL && PQstatus(c) == CONNECTION_OK)
		return (c);
	db_url_mask(url, masked, sizeof masked);
	clean_message(c != NULL ? PQerrorMessage(c) : "out of memory", url, msg,
	    sizeof msg);
	snprintf(err, errlen, "cannot connect to %s: %s", masked, msg);
	PQfinish(c);
	return (NULL);
}

static void
db_url_applied(void *priv, const struct migration *m)
{
	(void)priv;
	log_info("database", "applied %s", m->name);
}

/* Ours alone: its schema is whatever this stoked needs. */
static int
embedded_migrate(const char *url, char *err, size_t errlen)
{
	int version, rv;
	PGconn *c;

	c = db_url_connect(url, err, errlen);
	if (c == NULL)
		return (-1);
	rv = migrate_run(c, db_url_applied, NULL, &version, err, errlen);
	PQfinish(c);
	return (rv);
}

char *
db_url_open(const char *option, const char *state_dir, char *err, size_t errlen)
{
	char dir[PATH_MAX], masked[512];
	struct pg_embed *pe;
	const char *url;
	char *r = NULL;
	int started;

	AN(err);
	if (db_url_choose(option, state_dir, &url, dir, sizeof dir, err,
	        errlen) != 0)
		return (NULL);
	if (url != NULL) {
		db_url_mask(url, masked, sizeof masked);
		log_info("database", "%s", masked);
		r = strdup(url);
		AN(r);
		return (r);
	}
	pe = pg_embed_new(dir, err, errlen);
	if (pe == NULL)
		return (NULL);
	if (pg_embed_start(pe, &started, err, errlen) == 0) {
		log_info("database", "the embedded PostgreSQL in %s%s",
		    pg_embed_data_dir(pe),
		    started ? ", started (left running: 'stoked db stop' "
		              "stops it)"
		            : "");
		if (embedded_migrate(pg_embed_url(pe), err, errlen) == 0) {
			r = strdup(pg_embed_url(pe));
			AN(r);
		}
	}
	pg_embed_free(&pe);
	return (r);
}
