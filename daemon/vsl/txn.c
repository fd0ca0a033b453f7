/*
 * From VSL records to a struct txn.  Only the records stoked uses are
 * looked at; everything is length-checked, since a log line is whatever
 * VCL and clients put there.
 */

#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vapi/vsl.h"

#include "txn.h"
#include "vsl_num.h"

/* Does [d, d+n) say lc, a lower-case name, in any case? */
static int
name_is(const char *d, const char *lc, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = d[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != lc[i])
			return (0);
	}
	return (1);
}

#define NAME_IS(d, lc) name_is(d, lc, sizeof lc - 1)

/*
 * Tags as xkey and Symfony/Shopware's cache tags send them; kept, what
 * bans are written against, as in vcl/default.vcl.  Told apart by
 * length first: most headers are none of these and cost one switch.
 */
static unsigned
stoke_resp_hdr(const char *d, size_t len)
{
	switch (len) {
	case 4:
		if (NAME_IS(d, "xkey"))
			return (TXN_H_TAG);
		return (NAME_IS(d, "vary") ? TXN_H_VARY : 0);
	case 5:
		return (NAME_IS(d, "x-url") ? TXN_H_KEEP : 0);
	case 6:
		return (NAME_IS(d, "x-host") ? TXN_H_KEEP : 0);
	case 10:
		return (NAME_IS(d, "set-cookie") ? TXN_H_COOKIE : 0);
	case 12:
		if (NAME_IS(d, "content-type"))
			return (TXN_H_KEEP);
		return (NAME_IS(d, "x-cache-tags") ? TXN_H_TAG : 0);
	case 13:
		return (
		    NAME_IS(d, "cache-control") ? TXN_H_KEEP | TXN_H_CC : 0);
	default:
		return (0);
	}
}

const struct txn_conf txn_conf_stoke = {
	.resp_hdr = stoke_resp_hdr,
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
 * prev + " " + s, prev plen long: in place when prev is the last string
 * of the chunk being filled and there is room after it, else as a new
 * copy.  NULL when the arena is full, prev left as it was.
 */
static const char *
arena_append(struct arena *a, const char *prev, size_t plen, const char *s,
    size_t len)
{
	char *p;

	if (prev == NULL)
		return (arena_dup(a, s, len));
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
		return (NULL);
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

/* Header names of any case, the lengths compared first. */
static int
hdr_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return (alen == blen && !strncasecmp(a, b, alen));
}

static void
keep_hdr(struct txn *t, struct arena *a, const char *d, size_t nlen,
    const char *val, size_t vlen)
{
	unsigned i;

	/* Later values replace earlier ones, as VCL's set does. */
	for (i = 0; i < t->nhdr; i++)
		if (hdr_eq(d, nlen, t->hdr_name[i], strlen(t->hdr_name[i])))
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
		if (!hdr_eq(d, nlen, t->hdr_name[i], strlen(t->hdr_name[i])))
			continue;
		t->nhdr--;
		t->hdr_name[i] = t->hdr_name[t->nhdr];
		t->hdr_val[i] = t->hdr_val[t->nhdr];
		return;
	}
}

static unsigned
req_hdr_find(const struct txn *t, const char *d, size_t nlen)
{
	unsigned i;

	for (i = 0; i < t->nreqhdr; i++)
		if (hdr_eq(d, nlen, t->reqhdr_name[i], t->reqhdr_nlen[i]))
			break;
	return (i);
}

/*
 * Request headers as VCL leaves them: set replaces, unset removes.  The
 * record is copied once, name and value cut apart in the copy; a name
 * set again keeps its first copy, with the new value.
 */
static void
req_hdr_set(struct txn *t, const char *name, size_t nlen, const char *val)
{
	unsigned i;

	i = req_hdr_find(t, name, nlen);
	if (i == TXN_MAX_REQHDRS)
		return;
	if (i == t->nreqhdr) {
		t->reqhdr_name[i] = name;
		t->reqhdr_nlen[i] = nlen;
		t->nreqhdr++;
	}
	t->reqhdr_val[i] = val;
}

static void
req_hdr_unset(struct txn *t, const char *d, size_t nlen)
{
	unsigned i;

	i = req_hdr_find(t, d, nlen);
	if (i == t->nreqhdr)
		return;
	t->nreqhdr--;
	t->reqhdr_name[i] = t->reqhdr_name[t->nreqhdr];
	t->reqhdr_nlen[i] = t->reqhdr_nlen[t->nreqhdr];
	t->reqhdr_val[i] = t->reqhdr_val[t->nreqhdr];
}

/* A request header record, client or backend alike. */
static void
header_set(struct txn *t, struct arena *a, const char *d, size_t len)
{
	const char *val;
	size_t nlen, vlen, voff;
	char *p;

	if (hdr_split(d, len, &nlen, &val, &vlen))
		return;
	if (t->nreqhdr == TXN_MAX_REQHDRS &&
	    req_hdr_find(t, d, nlen) == TXN_MAX_REQHDRS) {
		/* No room to keep it; a host is still the host. */
		a->overflows++;
		if (nlen == 4 && NAME_IS(d, "host"))
			t->host = arena_dup(a, val, vlen);
		return;
	}
	p = TRUST_ME(arena_dup(a, d, len));
	if (p == NULL)
		return;
	voff = (size_t)(val - d);
	p[nlen] = '\0';
	p[voff + vlen] = '\0';
	if (nlen == 4 && NAME_IS(d, "host"))
		t->host = p + voff;
	req_hdr_set(t, p, nlen, p + voff);
}

static void
header_unset(struct txn *t, const char *d, size_t len)
{
	const char *val;
	size_t nlen, vlen;

	if (hdr_split(d, len, &nlen, &val, &vlen))
		return;
	if (nlen == 4 && NAME_IS(d, "host"))
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

/*
 * "Resp: 1796621229.123456 0.000213 0.000011": of a request's five or
 * six, only its answer's is read; of a fetch's, its start and response.
 */
static void
parse_timestamp(struct txn *t, const char *d, size_t len)
{
	double *v;

	if (t->is_bereq) {
		if (len > 7 && !memcmp(d, "Start: ", 7))
			v = &t->t_start;
		else if (len > 8 && !memcmp(d, "Beresp: ", 8))
			v = &t->t_beresp;
		else
			return;
	} else if (len > 6 && !memcmp(d, "Resp: ", 6)) {
		v = &t->t_resp;
	} else {
		return;
	}
	(void)vsl_num_dbl(strchr(d, ' '), v);
}

/* Words as VCL_call and VCL_return log them. */
#define WORD_IS(d, len, w) ((len) == sizeof w - 1 && !memcmp(d, w, len))

/*
 * How the cache answered.  A hit also reads the answer's headers: the
 * object's, before vcl_deliver may unset its tags.
 */
static void
parse_call(struct txn *t, const char *d, size_t len)
{
	switch (d[0]) {
	case 'H':
		if (WORD_IS(d, len, "HIT"))
			t->handling = TXN_HIT;
		break;
	case 'M':
		if (WORD_IS(d, len, "MISS"))
			t->handling = TXN_MISS;
		break;
	case 'P':
		if (WORD_IS(d, len, "PASS"))
			t->handling = TXN_PASS;
		else if (WORD_IS(d, len, "PIPE"))
			t->handling = TXN_PIPE;
		else if (WORD_IS(d, len, "PURGE"))
			t->purge = 1;
		break;
	case 'S':
		if (WORD_IS(d, len, "SYNTH") && t->handling == TXN_NONE &&
		    !t->purge)
			t->handling = TXN_SYNTH;
		break;
	default:
		break;
	}
	t->side = TXN_CLIENT | (t->handling == TXN_HIT ? TXN_CLIENT_HIT : 0);
}

/* A tag header's value, added to those before. */
static void
add_tags(struct txn *t, struct arena *a, const char *val, size_t vlen)
{
	const char *p;

	if (vlen == 0)
		return;
	p = arena_append(a, t->tags, t->tags_len, val, vlen);
	if (p == NULL)
		return;
	t->tags_len = t->tags == NULL ? vlen : t->tags_len + 1 + vlen;
	t->tags = p;
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
		parse_call(t, d, len);
		break;
	case SLT_VCL_return:
		/* The cache key is made of the URL and host at lookup. */
		if (WORD_IS(d, len, "lookup")) {
			t->hash_url = t->url;
			t->hash_host = t->host;
		}
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
		if (conf->resp_hdr(d, nlen) & TXN_H_TAG)
			add_tags(t, a, val, vlen);
		break;
	case SLT_Timestamp:
		parse_timestamp(t, d, len);
		break;
	case SLT_VCL_Log:
		if (len < 8 || memcmp(d, "stoke/1 ", 8) != 0)
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

/* What a response header is to us (TXN_H_*), 0 for nothing. */
static unsigned
beresp_kind(const char *d, size_t len, const struct txn_conf *conf,
    size_t *nlen, const char **val, size_t *vlen)
{
	if (hdr_split(d, len, nlen, val, vlen))
		return (0);
	return (conf->resp_hdr(d, *nlen));
}

/* A response header, as the origin sent it or VCL set it. */
static void
beresp_hdr(struct txn *t, struct arena *a, const char *d, size_t len,
    const struct txn_conf *conf)
{
	const char *val;
	size_t nlen, vlen;
	unsigned k;

	k = beresp_kind(d, len, conf, &nlen, &val, &vlen);
	if (k == 0)
		return;
	if (k & TXN_H_TAG)
		add_tags(t, a, val, vlen);
	if (k & TXN_H_VARY)
		t->vary = arena_dup(a, val, vlen);
	if (k & TXN_H_CC)
		t->cache_control = arena_dup(a, val, vlen);
	if (k & TXN_H_COOKIE)
		t->set_cookie = 1;
	if (k & TXN_H_KEEP)
		keep_hdr(t, a, d, nlen, val, vlen);
}

static void
beresp_unset(struct txn *t, const char *d, size_t len,
    const struct txn_conf *conf)
{
	const char *val;
	size_t nlen, vlen;
	unsigned k;

	k = beresp_kind(d, len, conf, &nlen, &val, &vlen);
	if (k & TXN_H_KEEP)
		unset_hdr(t, d, nlen);
	if (k & TXN_H_VARY)
		t->vary = NULL;
}

static void
backend_record(struct txn *t, struct arena *a, int tag, const char *d,
    size_t len, const struct txn_conf *conf)
{
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
		beresp_hdr(t, a, d, len, conf);
		break;
	case SLT_BerespUnset:
		beresp_unset(t, d, len, conf);
		break;
	case SLT_TTL:
		parse_ttl(t, d);
		break;
	case SLT_FetchError:
		t->fetch_failed = 1;
		break;
	case SLT_VCL_call:
		if (WORD_IS(d, len, "BACKEND_ERROR"))
			t->fetch_failed = 1;
		break;
	case SLT_BereqAcct:
		parse_bereq_acct(t, d);
		break;
	case SLT_Timestamp:
		parse_timestamp(t, d, len);
		break;
	case SLT_VCL_Log:
		client_record(t, a, tag, d, len, conf);
		break;
	default:
		break;
	}
}

#define BOTH (TXN_CLIENT | TXN_BACKEND)
const unsigned char txn_tag_side[SLT__MAX] = {
	[SLT_ReqMethod] = TXN_CLIENT,
	[SLT_ReqURL] = TXN_CLIENT,
	[SLT_ReqHeader] = TXN_CLIENT,
	[SLT_ReqUnset] = TXN_CLIENT,
	[SLT_VCL_return] = TXN_CLIENT,
	[SLT_Hit] = TXN_CLIENT,
	[SLT_HitMiss] = TXN_CLIENT,
	[SLT_RespStatus] = TXN_CLIENT,
	[SLT_RespHeader] = TXN_CLIENT_HIT,
	[SLT_BereqMethod] = TXN_BACKEND,
	[SLT_BereqURL] = TXN_BACKEND,
	[SLT_BereqHeader] = TXN_BACKEND,
	[SLT_BereqUnset] = TXN_BACKEND,
	[SLT_BerespStatus] = TXN_BACKEND,
	[SLT_BerespHeader] = TXN_BACKEND,
	[SLT_BerespUnset] = TXN_BACKEND,
	[SLT_TTL] = TXN_BACKEND,
	[SLT_FetchError] = TXN_BACKEND,
	[SLT_BereqAcct] = TXN_BACKEND,
	[SLT_VCL_call] = BOTH,
	[SLT_Timestamp] = BOTH,
	[SLT_VCL_Log] = BOTH,
	[SLT_ExpKill] = BOTH,
};
#undef BOTH

void
txn_begin(struct txn *t, struct arena *a, uint32_t vxid, uint32_t parent,
    enum VSL_transaction_e type, enum VSL_reason_e reason)
{
	AN(t);
	AN(a);
	/* The arrays are filled up to their counts: not worth clearing. */
	memset(t, 0, offsetof(struct txn, rec));
	t->magic = TXN_MAGIC;
	t->vxid = vxid;
	t->parent = parent;
	t->is_bereq = (type == VSL_t_bereq);
	t->side = t->is_bereq ? TXN_BACKEND : TXN_CLIENT;
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
	if (!(txn_tag_side[tag] & t->side))
		return;
	d = VSL_CDATA(rec);
	/*
	 * varnishd ends each record with a NUL and counts it: one without
	 * is torn, and the parsers below may read to a NUL.
	 */
	len = VSL_LEN(rec);
	if (len == 0 || d[len - 1] != '\0')
		return;
	len--;
	/* A fetch nukes for its object, a request for its body. */
	if (tag == SLT_ExpKill) {
		parse_expkill(a, d, len);
		return;
	}
	if (t->is_bereq)
		backend_record(t, a, tag, d, len, conf);
	else
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
