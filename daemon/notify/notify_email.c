/*
 * E-mail: a MIME message (multipart/alternative of a text part and an
 * HTML part, both quoted-printable UTF-8) sent through the operator's
 * SMTP server with libcurl's SMTP, on a fetcher (fetch_req's prepare),
 * so on the loop as every other request.  STARTTLS is required
 * (CURLUSESSL_ALL) unless the server is on this machine, where it is
 * used if offered.
 *
 * The idempotency key is the Message-ID (and a Stoke-Delivery header):
 * a message sent twice has one ID, which mail clients show once.
 * Whatever comes from a tenant (a website's name in the subject) is one
 * line, and RFC 2047-encoded when it is not ASCII.
 */

#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "core/str.h"
#include "fetch/addr_policy.h"
#include "fetch/fetcher.h"
#include "notify.h"

#define NE_HDRS 6
#define NE_HDR_LEN 1000
/* Input bytes of one encoded word: 60 base64 characters. */
#define NE_WORD 45
#define NE_RCPT_MAX 16

struct notify_mail {
	unsigned magic;
#define NOTIFY_MAIL_MAGIC 0x7e0e7e05
	const struct notify_smtp *smtp;
	char hdr[NE_HDRS][NE_HDR_LEN];
	unsigned nhdr;
	char *text, *html;
	struct curl_slist *rcpt;
	curl_mime *mime;
};

/*--------------------------------------------------------------------
 * The server
 */

int
notify_smtp_check(struct notify_smtp *s, char *err, size_t errlen)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	int rv = -1;

	AN(s);
	if (s->url == NULL)
		return (0);
	if (s->from == NULL || strchr(s->from, '@') == NULL ||
	    strpbrk(s->from, "\r\n<>") != NULL) {
		snprintf(err, errlen, "--smtp-from: an address is needed");
		return (-1);
	}
	u = curl_url();
	AN(u);
	if (curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcmp(scheme, "smtp") && strcmp(scheme, "smtps"))) {
		snprintf(err, errlen,
		    "--smtp-url: smtp://HOST[:PORT] or smtps://...");
		goto out;
	}
	memset(&a4, 0, sizeof a4);
	memset(&a6, 0, sizeof a6);
	a4.sin_family = AF_INET;
	a6.sin6_family = AF_INET6;
	host[strcspn(host, "]")] = '\0';
	if (!strcmp(host, "localhost"))
		s->loopback = 1;
	else if (inet_pton(AF_INET, host, &a4.sin_addr) == 1)
		s->loopback =
		    addr_classify((struct sockaddr *)&a4) == ADDR_LOOPBACK;
	else if (inet_pton(AF_INET6, host[0] == '[' ? host + 1 : host,
	             &a6.sin6_addr) == 1)
		s->loopback =
		    addr_classify((struct sockaddr *)&a6) == ADDR_LOOPBACK;
	rv = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return (rv);
}

/*--------------------------------------------------------------------
 * The message
 */

static void
ne_header(struct notify_mail *m, const char *name, const char *value)
{
	char *h;

	assert(m->nhdr < NE_HDRS);
	h = m->hdr[m->nhdr++];
	snprintf(h, NE_HDR_LEN, "%s: %s", name, value);
	h[strcspn(h, "\r\n")] = '\0';
}

/* The subject: as it is when ASCII, else as RFC 2047 encoded words. */
static void
ne_subject(struct notify_mail *m, const char *title)
{
	char word[sodium_base64_ENCODED_LEN(NE_WORD,
	    sodium_base64_VARIANT_ORIGINAL)];
	struct vsb *vsb;
	size_t l, n, off;
	const char *p;

	for (p = title; *p != '\0' && (unsigned char)*p < 0x80; p++)
		continue;
	if (*p == '\0') {
		ne_header(m, "Subject", title);
		return;
	}
	vsb = VSB_new_auto();
	AN(vsb);
	l = strlen(title);
	if (l > 300)
		l = 300;
	for (off = 0; off < l; off += n) {
		n = l - off < NE_WORD ? l - off : NE_WORD;
		/* A word holds whole characters. */
		while (off + n < l && n > 1 &&
		    ((unsigned char)title[off + n] & 0xc0) == 0x80)
			n--;
		sodium_bin2base64(word, sizeof word,
		    (const unsigned char *)title + off, n,
		    sodium_base64_VARIANT_ORIGINAL);
		VSB_printf(vsb, "%s=?UTF-8?B?%s?=", off > 0 ? " " : "", word);
	}
	AZ(VSB_finish(vsb));
	ne_header(m, "Subject", VSB_data(vsb));
	VSB_destroy(&vsb);
}

/* The key as a Message-ID's left part: its dots, letters and digits
 * kept, the rest made dots. */
static void
ne_message_id(struct notify_mail *m, const char *key)
{
	char id[256];
	size_t i;

	for (i = 0; key[i] != '\0' && i < sizeof id - 1; i++)
		id[i] = (key[i] >= 'a' && key[i] <= 'z') ||
		        (key[i] >= 'A' && key[i] <= 'Z') ||
		        (key[i] >= '0' && key[i] <= '9') || key[i] == '-' ||
		        key[i] == '_'
		    ? key[i]
		    : '.';
	id[i] = '\0';
	snprintf(id + i, sizeof id - i, "@stoke");
	ne_header(m, "Message-ID", "");
	snprintf(m->hdr[m->nhdr - 1], NE_HDR_LEN, "Message-ID: <%s>", id);
}

static void
ne_html_escape(struct vsb *vsb, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			VSB_cat(vsb, "&amp;");
			break;
		case '<':
			VSB_cat(vsb, "&lt;");
			break;
		case '>':
			VSB_cat(vsb, "&gt;");
			break;
		case '"':
			VSB_cat(vsb, "&quot;");
			break;
		default:
			VSB_putc(vsb, *s);
		}
	}
}

static char *
ne_text(const struct notify_text *t)
{
	struct vsb *vsb;
	unsigned u;
	char *s;

	vsb = VSB_new_auto();
	AN(vsb);
	VSB_printf(vsb, "%s\n\n", t->title);
	for (u = 0; u < t->nline; u++)
		VSB_printf(vsb, "%s\n", t->line[u]);
	if (t->nfact > 0)
		VSB_putc(vsb, '\n');
	for (u = 0; u < t->nfact; u++)
		VSB_printf(vsb, "%s: %s\n", t->fact_name[u], t->fact_value[u]);
	if (t->link != NULL)
		VSB_printf(vsb, "\n%s\n", t->link);
	AZ(VSB_finish(vsb));
	s = str_dup(VSB_data(vsb));
	VSB_destroy(&vsb);
	return (s);
}

static char *
ne_html(const struct notify_text *t)
{
	struct vsb *vsb;
	unsigned u;
	char *s;

	vsb = VSB_new_auto();
	AN(vsb);
	VSB_cat(vsb, "<!DOCTYPE html>\n<html><body>\n<h2>");
	ne_html_escape(vsb, t->title);
	VSB_cat(vsb, "</h2>\n");
	for (u = 0; u < t->nline; u++) {
		VSB_cat(vsb, "<p>");
		ne_html_escape(vsb, t->line[u]);
		VSB_cat(vsb, "</p>\n");
	}
	if (t->nfact > 0)
		VSB_cat(vsb, "<table>\n");
	for (u = 0; u < t->nfact; u++) {
		VSB_cat(vsb, "<tr><th align=\"left\">");
		ne_html_escape(vsb, t->fact_name[u]);
		VSB_cat(vsb, "</th><td>");
		ne_html_escape(vsb, t->fact_value[u]);
		VSB_cat(vsb, "</td></tr>\n");
	}
	if (t->nfact > 0)
		VSB_cat(vsb, "</table>\n");
	if (t->link != NULL) {
		VSB_cat(vsb, "<p><a href=\"");
		ne_html_escape(vsb, t->link);
		VSB_cat(vsb, "\">Open in Stoke</a></p>\n");
	}
	VSB_cat(vsb, "</body></html>\n");
	AZ(VSB_finish(vsb));
	s = str_dup(VSB_data(vsb));
	VSB_destroy(&vsb);
	return (s);
}

/* "To:" and the envelope's recipients. */
static void
ne_recipients(struct notify_mail *m, json_t *to)
{
	struct vsb *vsb;
	struct curl_slist *l;
	const char *a;
	char buf[320];
	size_t i;
	json_t *v;

	vsb = VSB_new_auto();
	AN(vsb);
	json_array_foreach(to, i, v)
	{
		a = json_string_value(v);
		if (a == NULL || i >= NE_RCPT_MAX)
			continue;
		VSB_printf(vsb, "%s%s", i > 0 ? ", " : "", a);
		snprintf(buf, sizeof buf, "<%s>", a);
		l = curl_slist_append(m->rcpt, buf);
		AN(l);
		m->rcpt = l;
	}
	AZ(VSB_finish(vsb));
	ne_header(m, "To", VSB_data(vsb));
	VSB_destroy(&vsb);
}

struct notify_mail *
notify_mail_new(const struct notify_event *e, const struct notify_text *t,
    const struct notify_smtp *smtp, double now)
{
	struct notify_mail *m;
	char date[64];
	time_t tt;
	struct tm tm;

	CHECK_OBJ_NOTNULL(e, NOTIFY_EVENT_MAGIC);
	CHECK_OBJ_NOTNULL(t, NOTIFY_TEXT_MAGIC);
	AN(smtp);
	AN(smtp->url);
	ALLOC_OBJ(m, NOTIFY_MAIL_MAGIC);
	AN(m);
	m->smtp = smtp;
	ne_header(m, "From", smtp->from);
	ne_recipients(m, e->recipients);
	ne_subject(m, t->title);
	ne_message_id(m, e->key);
	tt = (time_t)now;
	AN(gmtime_r(&tt, &tm));
	AN(strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm));
	ne_header(m, "Date", date);
	ne_header(m, "Stoke-Delivery", e->key);
	m->text = ne_text(t);
	m->html = ne_html(t);
	return (m);
}

/*--------------------------------------------------------------------
 * Sending
 */

static curl_mimepart *
ne_part(curl_mime *mime, const char *data, const char *type)
{
	curl_mimepart *p;

	p = curl_mime_addpart(mime);
	AN(p);
	AZ(curl_mime_data(p, data, CURL_ZERO_TERMINATED));
	AZ(curl_mime_type(p, type));
	AZ(curl_mime_encoder(p, "quoted-printable"));
	return (p);
}

/* fetch_prepare_f: curl's SMTP, the envelope and the body. */
static int
ne_prepare(void *priv, void *easy)
{
	struct notify_mail *m;
	const struct notify_smtp *s;
	struct curl_slist *inl;
	curl_mimepart *p;
	curl_mime *alt;
	char from[320];

	CAST_OBJ_NOTNULL(m, priv, NOTIFY_MAIL_MAGIC);
	s = m->smtp;
	if (m->rcpt == NULL)
		return (-1);
	AZ(m->mime);
	m->mime = curl_mime_init(easy);
	alt = curl_mime_init(easy);
	AN(m->mime);
	AN(alt);
	(void)ne_part(alt, m->text, "text/plain; charset=utf-8");
	(void)ne_part(alt, m->html, "text/html; charset=utf-8");
	p = curl_mime_addpart(m->mime);
	AN(p);
	AZ(curl_mime_subparts(p, alt));
	AZ(curl_mime_type(p, "multipart/alternative"));
	inl = curl_slist_append(NULL, "Content-Disposition: inline");
	AN(inl);
	AZ(curl_mime_headers(p, inl, 1));
	snprintf(from, sizeof from, "<%s>", s->from);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, m->rcpt);
	curl_easy_setopt(easy, CURLOPT_MIMEPOST, m->mime);
	curl_easy_setopt(easy, CURLOPT_USE_SSL,
	    s->loopback ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	if (s->user != NULL) {
		curl_easy_setopt(easy, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(easy, CURLOPT_PASSWORD,
		    s->password != NULL ? s->password : "");
	}
	return (0);
}

void
notify_mail_req(struct notify_mail *m, struct fetch_req *rq)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(m, NOTIFY_MAIL_MAGIC);
	AN(rq);
	assert(m->nhdr <= FETCH_MAX_HDRS);
	rq->url = m->smtp->url;
	for (u = 0; u < m->nhdr; u++)
		rq->hdr[u] = m->hdr[u];
	rq->nhdr = m->nhdr;
	rq->prepare = ne_prepare;
	rq->prepare_priv = m;
}

void
notify_mail_free(struct notify_mail **mp)
{
	struct notify_mail *m;

	TAKE_OBJ_NOTNULL(m, mp, NOTIFY_MAIL_MAGIC);
	/* Unbound from the handle that used it, whatever became of it. */
	curl_mime_free(m->mime);
	curl_slist_free_all(m->rcpt);
	free(m->text);
	free(m->html);
	FREE_OBJ(m);
}

const struct notify_kind notify_email = {
	.magic = NOTIFY_KIND_MAGIC,
	.name = "email",
	.post = NULL,
};
