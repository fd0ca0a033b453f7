/*
 * From VSL records to a struct txn.  Only the records stoked uses are
 * looked at; everything is length-checked, since a log line is whatever
 * VCL and clients put there.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdio.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vapi/vsl.h"

#include "txn.h"
#include "vsl_num.h"

/* Tags as xkey and Symfony/Shopware's cache tags send them. */
static const char *const tag_hdrs[] = { "xkey", "x-cache-tags", NULL };
/* What bans are written against, as in vcl/default.vcl. */
static const char *const keep_hdrs[] = { "x-url", "x-host", "content-type",
	"cache-control", NULL };

const struct txn_conf txn_conf_stoke = {
	.tag_hdrs = tag_hdrs,
	.keep_hdrs = keep_hdrs,
};

struct arena_chunk {
	struct arena_chunk *prev; /* filled before this one */
	size_t size;
	char buf[];
};

static void
arena_use(struct arena *a, struct arena_chunk *c)
{
	a->chunk = c;
	a->buf = c->buf;
	a->size = c->size;
	a->used = 0;
}

void
arena_init(struct arena *a, size_t size, size_t limit)
{
	struct arena_chunk *c;

	AN(a);
	assert(size > 0);
	memset(a, 0, sizeof *a);
	c = malloc(sizeof *c + size);
	AN(c);
	c->prev = NULL;
	c->size = size;
	arena_use(a, c);
	a->total = size;
	a->limit = limit;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c;

	AN(a->chunk);
	while ((c = a->chunk)->prev != NULL) {
		a->chunk = c->prev;
		a->total -= c->size;
		free(c);
	}
	arena_use(a, a->chunk);
	a->nnuke = 0;
}

void
arena_fini(struct arena *a)
{
	if (a->chunk != NULL) {
		arena_reset(a);
		free(a->chunk);
	}
	free(a->nuke);
	memset(a, 0, sizeof *a);
}

/*
 * Room for need bytes at buf + used: a new chunk when the one being
 * filled is full, as long as the limit allows; what was written stays
 * where it is.  -1 when there is no room.
 */
static int
arena_room(struct arena *a, size_t need)
{
	struct arena_chunk *c;
	size_t sz;

	if (a->used + need <= a->size)
		return (0);
	if (a->total >= a->limit || need > a->limit - a->total)
		return (-1);
	sz = a->size * 2 > need ? a->size * 2 : need;
	if (sz > a->limit - a->total)
		sz = a->limit - a->total;
	c = malloc(sizeof *c + sz);
	AN(c);
	c->prev = a->chunk;
	c->size = sz;
	arena_use(a, c);
	a->total += sz;
	return (0);
}

/* Copy [s, s+len) with a NUL; NULL when the arena is full. */
static const char *
arena_dup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if (arena_room(a, len + 1) != 0) {
		a->overflows++;
		return (NULL);
	}
	p = a->buf + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return (p);
}

/*
 * prev + " " + s: in place when prev is the last string of the chunk
 * being filled and there is room after it, else as a new copy.
 */
static const char *
arena_append(struct arena *a, const char *prev, const char *s, size_t len)
{
	size_t plen;
	char *p;

	if (prev == NULL)
		return (arena_dup(a, s, len));
	plen = strlen(prev);
	if (prev + plen + 1 == a->buf + a->used &&
	    a->used + len + 1 <= a->size) {
		a->buf[a->used - 1] = ' ';
		memcpy(a->buf + a->used, s, len);
		a->used += len;
		a->buf[a->used++] = '\0';
		return (prev);
	}
	if (arena_room(a, plen + len + 2) != 0) {
		a->overflows++;
		return (prev);
	}
	p = a->buf + a->used;
	memcpy(p, prev, plen);
	p[plen] = ' ';
	memcpy(p + plen + 1, s, len);
	p[plen + 1 + len] = '\0';
	a->used += plen + len + 2;
	return (p);
}

/* "Name: value" → name length and a pointer to the value. */
static int
hdr_split(const char *d, size_t len, size_t *nlen, const char **val,
    size_t *vlen)
{
	const char *c = memchr(d, ':', len);

	if (c == NULL)
		return (-1);
	*nlen = (size_t)(c - d);
	c++;
	while (c < d + len && (*c == ' ' || *c == '\t'))
		c++;
	*val = c;
	*vlen = (size_t)(d + len - c);
	while (*vlen > 0 && (c[*vlen - 1] == ' ' || c[*vlen - 1] == '\t'))
		(*vlen)--;
	return (0);
}

static int
hdr_is(const char *d, size_t nlen, const char *name)
{
	return (strlen(name) == nlen && !strncasecmp(d, name, nlen));
}

static int
in_list(const char *const *list, const char *d, size_t nlen)
{
	for (; list != NULL && *list != NULL; list++)
		if (hdr_is(d, nlen, *list))
			return (1);
	return (0);
}

static void
keep_hdr(struct txn *t, struct arena *a, const char *d, size_t nlen,
    const char *val, size_t vlen)
{
	unsigned i;

	/* Later values replace earlier ones, as VCL's set does. */
	for (i = 0; i < t->nhdr; i++)
		if (hdr_is(d, nlen, t->hdr_name[i]))
			break;
	if (i == TXN_MAX_HDRS)
		return;
	if (i == t->nhdr) {
		t->hdr_name[i] = arena_dup(a, d, nlen);
		if (t->hdr_name[i] == NULL)
			return;
		t->nhdr++;
	}
	t->hdr_val[i] = arena_dup(a, val, vlen);
}

static void
unset_hdr(struct txn *t, const char *d, size_t nlen)
{
	unsigned i;

	for (i = 0; i < t->nhdr; i++) {
		if (!hdr_is(d, nlen, t->hdr_name[i]))
			continue;
		t->nhdr--;
		t->hdr_name[i] = t->hdr_name[t->nhdr];
		t->hdr_val[i] = t->hdr_val[t->nhdr];
		return;
	}
}

/* Request headers as VCL leaves them: set replaces, unset removes. */
static void
req_hdr_set(struct txn *t, struct arena *a, const char *d, size_t nlen,
    const char *val, size_t vlen)
{
	unsigned i;

	for (i = 0; i < t->nreqhdr; i++)
		if (hdr_is(d, nlen, t->reqhdr_name[i]))
			break;
	if (i == TXN_MAX_REQHDRS) {
		a->overflows++;
		return;
	}
	if (i == t->nreqhdr) {
		t->reqhdr_name[i] = arena_dup(a, d, nlen);
		if (t->reqhdr_name[i] == NULL)
			return;
		t->nreqhdr++;
	}
	t->reqhdr_val[i] = arena_dup(a, val, vlen);
	if (t->reqhdr_val[i] == NULL)
		t->reqhdr_val[i] = "";
}

static void
req_hdr_unset(struct txn *t, const char *d, size_t nlen)
{
	unsigned i;

	for (i = 0; i < t->nreqhdr; i++) {
		if (!hdr_is(d, nlen, t->reqhdr_name[i]))
			continue;
		t->nreqhdr--;
		t->reqhdr_name[i] = t->reqhdr_name[t->nreqhdr];
		t->reqhdr_val[i] = t->reqhdr_val[t->nreqhdr];
		return;
	}
}

/* A request header record, client or backend alike. */
static void
header_set(struct txn *t, struct arena *a, const char *d, size_t len)
{
	const char *val;
	size_t nlen, vlen;

	if (hdr_split(d, len, &nlen, &val, &vlen))
		return;
	if (hdr_is(d, nlen, "host"))
		t->host = arena_dup(a, val, vlen);
	req_hdr_set(t, a, d, nlen, val, vlen);
}

static void
header_unset(struct txn *t, const char *d, size_t len)
{
	const char *val;
	size_t nlen, vlen;

	if (hdr_split(d, len, &nlen, &val, &vlen))
		return;
	if (hdr_is(d, nlen, "host"))
		t->host = NULL;
	req_hdr_unset(t, d, nlen);
}

static enum txn_reason
reason_of(enum VSL_reason_e r)
{
	switch (r) {
	case VSL_r_rxreq:
		return (TXN_R_RXREQ);
	case VSL_r_esi:
		return (TXN_R_ESI);
	case VSL_r_restart:
		return (TXN_R_RESTART);
	case VSL_r_fetch:
		return (TXN_R_FETCH);
	case VSL_r_bgfetch:
		return (TXN_R_BGFETCH);
	case VSL_r_pass:
		return (TXN_R_PASS);
	default:
		return (TXN_R_OTHER);
	}
}

/* "RFC 120 10 0 1796621229 1796621229 1796621229 0 0 cacheable" */
static void
parse_ttl(struct txn *t, const char *d)
{
	double ttl, grace, keep, ref;
	const char *p, *e;

	p = vsl_num_skip(d);
	if ((p = vsl_num_dbl(p, &ttl)) == NULL ||
	    (p = vsl_num_dbl(p, &grace)) == NULL ||
	    (p = vsl_num_dbl(p, &keep)) == NULL ||
	    (p = vsl_num_dbl(p, &ref)) == NULL)
		return;
	e = strrchr(d, ' ');
	if (e == NULL || strlen(e + 1) >= 16)
		return;
	t->has_ttl = 1;
	t->ttl = ttl;
	t->grace = grace;
	t->keep = keep;
	t->t_origin = ref;
	t->cacheable = !strcmp(e + 1, "cacheable");
}

static void
parse_timestamp(struct txn *t, const char *d)
{
	double *v;

	if (!strncmp(d, "Start: ", 7))
		v = &t->t_start;
	else if (!strncmp(d, "Beresp: ", 8))
		v = &t->t_beresp;
	else if (!strncmp(d, "Resp: ", 6))
		v = &t->t_resp;
	else
		return;
	(void)vsl_num_dbl(strchr(d, ' '), v);
}

/* "1002 119.977 10.000 0.000": the object's vxid, its time left. */
static void
parse_hit(struct txn *t, const char *d)
{
	uint64_t x;
	const char *p;

	if ((p = vsl_num_u64(d, &x)) == NULL || x > UINT32_MAX ||
	    (p = vsl_num_dbl(p, &t->hit_ttl)) == NULL ||
	    (p = vsl_num_dbl(p, &t->hit_grace)) == NULL ||
	    vsl_num_dbl(p, &t->hit_keep) == NULL)
		return;
	t->hit_vxid = (uint32_t)x;
	t->has_hit = 1;
}

/* Header, body bytes sent, received: the fifth of six is the body's. */
static void
parse_bereq_acct(struct txn *t, const char *d)
{
	uint64_t v[6];
	const char *p = d;
	unsigned i;

	for (i = 0; i < 6; i++)
		if ((p = vsl_num_u64(p, &v[i])) == NULL)
			return;
	t->body_bytes = v[4];
}

static int
parse_status(const char *d)
{
	uint64_t v;

	if (vsl_num_u64(d, &v) == NULL || v > 999)
		return (0);
	return ((int)v);
}

/* "LRU x=VXID": Varnish nuked that object to make room for ours. */
static void
parse_expkill(struct arena *a, const char *d, size_t len)
{
	unsigned long v;
	char *e;

	if (len < 7 || memcmp(d, "LRU x=", 6) != 0)
		return;
	v = strtoul(d + 6, &e, 10);
	if (e == d + 6 || v == 0 || v > UINT32_MAX)
		return;
	if (a->nnuke == a->anuke) {
		a->anuke = a->anuke ? 2 * a->anuke : 64;
		a->nuke = realloc(a->nuke, a->anuke * sizeof *a->nuke);
		AN(a->nuke);
	}
	a->nuke[a->nnuke++] = (uint32_t)v;
}

static void
client_record(struct txn *t, struct arena *a, int tag, const char *d,
    size_t len, const struct txn_conf *conf)
{
	const char *val;
	size_t nlen, vlen;

	switch (tag) {
	case SLT_ReqMethod:
		t->method = arena_dup(a, d, len);
		break;
	case SLT_ReqURL:
		t->url = arena_dup(a, d, len);
		break;
	case SLT_ReqHeader:
		header_set(t, a, d, len);
		break;
	case SLT_ReqUnset:
		header_unset(t, d, len);
		break;
	case SLT_VCL_call:
		if (!strcmp(d, "HIT"))
			t->handling = TXN_HIT;
		else if (!strcmp(d, "MISS"))
			t->handling = TXN_MISS;
		else if (!strcmp(d, "PASS"))
			t->handling = TXN_PASS;
		else if (!strcmp(d, "PIPE"))
			t->handling = TXN_PIPE;
		else if (!strcmp(d, "SYNTH") && t->handling == TXN_NONE &&
		    !t->purge)
			t->handling = TXN_SYNTH;
		else if (!strcmp(d, "PURGE"))
			t->purge = 1;
		break;
	case SLT_Hit:
		parse_hit(t, d);
		break;
	case SLT_HitMiss:
		t->hit_for_miss = 1;
		break;
	case SLT_RespStatus:
		t->status = parse_status(d);
		break;
	case SLT_RespHeader:
		/*
		 * The object's headers are logged as the answer is made from
		 * them, before vcl_deliver may unset its tags: a hit says
		 * what the object is tagged with.  Only a hit's are read.
		 */
		if (t->handling != TXN_HIT ||
		    hdr_split(d, len, &nlen, &val, &vlen))
			break;
		if (in_list(conf->tag_hdrs, d, nlen) && vlen > 0)
			t->tags = arena_append(a, t->tags, val, vlen);
		break;
	case SLT_Timestamp:
		parse_timestamp(t, d);
		break;
	case SLT_VCL_Log:
		if (len < 8 || strncmp(d, "stoke/1 ", 8) != 0)
			break;
		if (t->nrec == TXN_MAX_RECS) {
			a->overflows++;
			break;
		}
		t->rec[t->nrec] = arena_dup(a, d, len);
		if (t->rec[t->nrec] != NULL)
			t->rec_len[t->nrec++] = len;
		break;
	default:
		break;
	}
}

static void
backend_record(struct txn *t, struct arena *a, int tag, const char *d,
    size_t len, const struct txn_conf *conf)
{
	const char *val;
	size_t nlen, vlen;

	switch (tag) {
	case SLT_BereqMethod:
		t->method = arena_dup(a, d, len);
		break;
	case SLT_BereqURL:
		t->url = arena_dup(a, d, len);
		break;
	case SLT_BereqHeader:
		header_set(t, a, d, len);
		break;
	case SLT_BereqUnset:
		header_unset(t, d, len);
		break;
	case SLT_BerespStatus:
		t->status = parse_status(d);
		break;
	case SLT_BerespHeader:
		if (hdr_split(d, len, &nlen, &val, &vlen))
			break;
		if (in_list(conf->tag_hdrs, d, nlen) && vlen > 0)
			t->tags = arena_append(a, t->tags, val, vlen);
		if (hdr_is(d, nlen, "vary"))
			t->vary = arena_dup(a, val, vlen);
		if (hdr_is(d, nlen, "cache-control"))
			t->cache_control = arena_dup(a, val, vlen);
		if (hdr_is(d, nlen, "set-cookie"))
			t->set_cookie = 1;
		if (in_list(conf->keep_hdrs, d, nlen))
			keep_hdr(t, a, d, nlen, val, vlen);
		break;
	case SLT_BerespUnset:
		if (hdr_split(d, len, &nlen, &val, &vlen))
			break;
		if (in_list(conf->keep_hdrs, d, nlen))
			unset_hdr(t, d, nlen);
		if (hdr_is(d, nlen, "vary"))
			t->vary = NULL;
		break;
	case SLT_TTL:
		parse_ttl(t, d);
		break;
	case SLT_FetchError:
		t->fetch_failed = 1;
		break;
	case SLT_VCL_call:
		if (!strcmp(d, "BACKEND_ERROR"))
			t->fetch_failed = 1;
		break;
	case SLT_BereqAcct:
		parse_bereq_acct(t, d);
		break;
	case SLT_Timestamp:
		parse_timestamp(t, d);
		break;
	case SLT_VCL_Log:
		client_record(t, a, tag, d, len, conf);
		break;
	default:
		break;
	}
}

/*
 * The records looked at, by side: a transaction has some 35, most of
 * them of no interest, and those are skipped on their tag alone.
 */
static const unsigned char client_tags[SLT__MAX] = {
	[SLT_ReqMethod] = 1,
	[SLT_ReqURL] = 1,
	[SLT_ReqHeader] = 1,
	[SLT_ReqUnset] = 1,
	[SLT_VCL_call] = 1,
	[SLT_VCL_return] = 1,
	[SLT_Hit] = 1,
	[SLT_HitMiss] = 1,
	[SLT_RespStatus] = 1,
	[SLT_RespHeader] = 1,
	[SLT_Timestamp] = 1,
	[SLT_VCL_Log] = 1,
	[SLT_ExpKill] = 1,
};

static const unsigned char backend_tags[SLT__MAX] = {
	[SLT_BereqMethod] = 1,
	[SLT_BereqURL] = 1,
	[SLT_BereqHeader] = 1,
	[SLT_BereqUnset] = 1,
	[SLT_BerespStatus] = 1,
	[SLT_BerespHeader] = 1,
	[SLT_BerespUnset] = 1,
	[SLT_TTL] = 1,
	[SLT_FetchError] = 1,
	[SLT_VCL_call] = 1,
	[SLT_BereqAcct] = 1,
	[SLT_Timestamp] = 1,
	[SLT_VCL_Log] = 1,
	[SLT_ExpKill] = 1,
};

void
txn_begin(struct txn *t, struct arena *a, uint32_t vxid, uint32_t parent,
    enum VSL_transaction_e type, enum VSL_reason_e reason)
{
	AN(t);
	AN(a);
	memset(t, 0, sizeof *t);
	t->magic = TXN_MAGIC;
	t->vxid = vxid;
	t->parent = parent;
	t->is_bereq = (type == VSL_t_bereq);
	t->reason = reason_of(reason);
	arena_reset(a);
}

void
txn_record(struct txn *t, struct arena *a, const uint32_t *rec,
    const struct txn_conf *conf)
{
	const char *d;
	size_t len;
	int tag;

	CHECK_OBJ_NOTNULL(t, TXN_MAGIC);
	AN(rec);
	tag = VSL_TAG(rec);
	if (!(t->is_bereq ? backend_tags : client_tags)[tag])
		return;
	d = VSL_CDATA(rec);
	/* varnishd ends a record with a NUL and counts it: trust, check. */
	len = VSL_LEN(rec);
	if (len > 0 && d[len - 1] == '\0')
		len--;
	else
		len = strnlen(d, len);
	/* A fetch nukes for its object, a request for its body. */
	if (tag == SLT_ExpKill) {
		parse_expkill(a, d, len);
		return;
	}
	if (t->is_bereq) {
		backend_record(t, a, tag, d, len, conf);
		return;
	}
	/* The cache key is made of the URL and host at lookup. */
	if (tag == SLT_VCL_return && !strcmp(d, "lookup")) {
		t->hash_url = t->url;
		t->hash_host = t->host;
	}
	client_record(t, a, tag, d, len, conf);
}

void
txn_end(struct txn *t, const struct arena *a)
{
	CHECK_OBJ_NOTNULL(t, TXN_MAGIC);
	AN(a);
	if (!t->is_bereq && t->hash_url != NULL) {
		t->url = t->hash_url;
		t->host = t->hash_host;
	}
	t->nuke = a->nuke;
	t->nnuke = a->nnuke;
}
