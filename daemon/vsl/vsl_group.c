/*
 * Grouping by request over a raw cursor.  What libvarnishapi's VSLQ does
 * for "-g request" (vsl_dispatch.c), without its copies: VSLQ keeps each
 * transaction's records, by reference into the log or copied out when
 * the log is about to overwrite them, and hands them over once the
 * group is complete, to be walked again.  Here a record is parsed when
 * it is read and only the parsed transaction is kept.
 *
 * The transactions held are found by vxid in a small chained hash.  Each
 * knows its parent and children, how many of its subtree are still open
 * and how many it holds, so that an End tells at once whether its group
 * is complete: the ancestors' counts are updated on the way up.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vapi/vsl.h"

#include "txn.h"
#include "vsl_group.h"
#include "vsl_num.h"

/*
 * Half as many buckets as transactions may be held: a few hundred are,
 * under load, and a small table stays in cache.
 */
#define VG_HASH_BITS 11
#define VG_CACHE 256 /* transactions kept for reuse */
#define VG_ARENA 2048 /* a transaction's first chunk of strings */
/*
 * What one transaction may keep of its strings: tag headers split in
 * several of 8 kB each (as xkey users do, under http_resp_hdr_len)
 * are joined, and each join may copy the list so far.
 */
#define VG_ARENA_MAX (256 * 1024)

struct vg_txn {
	unsigned magic;
#define VG_TXN_MAGIC 0x5e1a7c03
	uint32_t vxid;
	unsigned begun; /* its Begin was read: txn is being parsed */
	unsigned ended; /* its End was read, or it was closed */
	unsigned live; /* begun, not ended: txn reads its records */
	enum VSL_transaction_e type;
	unsigned n_open; /* of its subtree, itself included: not ended */
	unsigned n_held; /* in its subtree, itself included */
	double t_open;
	struct vg_txn *hnext;
	struct vg_txn *parent;
	VTAILQ_HEAD(, vg_txn) children;
	VTAILQ_ENTRY(vg_txn) sibling; /* also the cache's list */
	VTAILQ_ENTRY(vg_txn) open; /* while not ended, oldest first */
	struct txn txn;
	struct arena arena;
};

VTAILQ_HEAD(vg_list, vg_txn);

struct vsl_group {
	unsigned magic;
#define VSL_GROUP_MAGIC 0x2f6b91d8
	const struct txn_conf *conf;
	vsl_group_f *fn;
	void *priv;
	double now;
	struct vg_txn *hash[1U << VG_HASH_BITS];
	struct vg_txn *last; /* the one the previous record was for */
	struct vg_list open;
	struct vg_list cache;
	unsigned ncache;
	struct vg_txn **walk; /* a group, breadth first */
	const struct txn **out; /* what of it is delivered */
	unsigned awalk;
	struct vsl_group_stats stats;
};

/*---------------------------------------------------------------------
 * Held transactions by vxid.
 */

static struct vg_txn **
vg_bucket(struct vsl_group *g, uint32_t vxid)
{
	return (&g->hash[(vxid * 2654435761U) >> (32 - VG_HASH_BITS)]);
}

static struct vg_txn *
vg_find(struct vsl_group *g, uint32_t vxid)
{
	struct vg_txn *n;

	if (g->last != NULL && g->last->vxid == vxid)
		return (g->last);
	for (n = *vg_bucket(g, vxid); n != NULL; n = n->hnext)
		if (n->vxid == vxid)
			break;
	if (n != NULL)
		g->last = n;
	return (n);
}

static struct vg_txn *
vg_new(struct vsl_group *g, uint32_t vxid, enum VSL_transaction_e type)
{
	struct vg_txn **b, *n;

	n = VTAILQ_FIRST(&g->cache);
	if (n != NULL) {
		VTAILQ_REMOVE(&g->cache, n, sibling);
		g->ncache--;
	} else {
		ALLOC_OBJ(n, VG_TXN_MAGIC);
		AN(n);
		arena_init(&n->arena, VG_ARENA, VG_ARENA_MAX);
	}
	CHECK_OBJ(n, VG_TXN_MAGIC);
	n->vxid = vxid;
	n->begun = 0;
	n->ended = 0;
	n->live = 0;
	n->type = type;
	n->n_open = 1;
	n->n_held = 1;
	n->t_open = g->now;
	n->parent = NULL;
	VTAILQ_INIT(&n->children);
	VTAILQ_INSERT_TAIL(&g->open, n, open);
	b = vg_bucket(g, vxid);
	n->hnext = *b;
	*b = n;
	g->stats.held++;
	g->last = n;
	return (n);
}

static void
vg_retire(struct vsl_group *g, struct vg_txn *n)
{
	struct vg_txn **b;

	CHECK_OBJ_NOTNULL(n, VG_TXN_MAGIC);
	AN(n->ended);
	for (b = vg_bucket(g, n->vxid); *b != n; b = &(*b)->hnext)
		AN(*b);
	*b = n->hnext;
	if (g->last == n)
		g->last = NULL;
	g->stats.arena_overflows += n->arena.overflows;
	n->arena.overflows = 0;
	AN(g->stats.held);
	g->stats.held--;
	if (g->ncache < VG_CACHE) {
		arena_reset(&n->arena);
		VTAILQ_INSERT_HEAD(&g->cache, n, sibling);
		g->ncache++;
		return;
	}
	arena_fini(&n->arena);
	FREE_OBJ(n);
}

/*---------------------------------------------------------------------
 * Begin and Link records: "req 1000 rxreq", "bereq 1002 fetch".
 */

struct vg_name {
	const char *s;
	size_t l;
};
#define VG_NAME(s)                                                             \
	{                                                                      \
		s, sizeof s - 1                                                \
	}

static const struct vg_name vg_type_name[VSL_t__MAX] = {
	[VSL_t_sess] = VG_NAME("sess"),
	[VSL_t_req] = VG_NAME("req"),
	[VSL_t_bereq] = VG_NAME("bereq"),
};

static const struct vg_name vg_reason_name[VSL_r__MAX] = {
	[VSL_r_http_1] = VG_NAME("HTTP/1"),
	[VSL_r_rxreq] = VG_NAME("rxreq"),
	[VSL_r_esi] = VG_NAME("esi"),
	[VSL_r_restart] = VG_NAME("restart"),
	[VSL_r_pass] = VG_NAME("pass"),
	[VSL_r_fetch] = VG_NAME("fetch"),
	[VSL_r_bgfetch] = VG_NAME("bgfetch"),
	[VSL_r_pipe] = VG_NAME("pipe"),
};

/*
 * The index of the word at b, ended by a blank or NUL, in names; 0 when
 * it is none of them.  *bp is moved past it.  A name's first letter
 * rules out all but one or two: compared first, before the rest.
 */
static unsigned
vg_word(const struct vg_name *names, unsigned n, const char **bp)
{
	const char *b = *bp;
	size_t l;
	unsigned i;

	for (l = 0; b[l] != '\0' && b[l] != ' '; l++)
		continue;
	*bp = b + l;
	if (l == 0)
		return (0); /* the holes in names[] have none */
	for (i = 1; i < n; i++)
		if (names[i].l == l && names[i].s[0] == b[0] &&
		    !memcmp(names[i].s, b, l))
			return (i);
	return (0);
}

static int
vg_parse_bl(const uint32_t *rec, enum VSL_transaction_e *type, uint32_t *vxid,
    enum VSL_reason_e *reason)
{
	const char *b = VSL_CDATA(rec);
	uint64_t v;

	/* varnishd's records end in a NUL, counted in their length. */
	if (VSL_LEN(rec) == 0 || b[VSL_LEN(rec) - 1] != '\0')
		return (-1);
	*type = vg_word(vg_type_name, VSL_t__MAX, &b);
	if (*type == VSL_t_unknown || *b != ' ')
		return (-1);
	b = vsl_num_u64(b, &v);
	if (b == NULL || v > UINT32_MAX)
		return (-1);
	*vxid = (uint32_t)v;
	while (*b == ' ')
		b++;
	*reason = vg_word(vg_reason_name, VSL_r__MAX, &b);
	return (0);
}

/*---------------------------------------------------------------------
 * The tree of a group.
 */

static struct vg_txn *
vg_root(struct vg_txn *n)
{
	while (n->parent != NULL)
		n = n->parent;
	return (n);
}

static void
vg_attach(struct vg_txn *p, struct vg_txn *c)
{
	struct vg_txn *a;

	if (c->parent != NULL || vg_root(p) == c)
		return; /* linked already, or a loop */
	c->parent = p;
	VTAILQ_INSERT_TAIL(&p->children, c, sibling);
	for (a = p; a != NULL; a = a->parent) {
		a->n_open += c->n_open;
		a->n_held += c->n_held;
	}
}

/* The group, breadth first, into g->walk; how many. */
static unsigned
vg_walk(struct vsl_group *g, struct vg_txn *root)
{
	struct vg_txn *c;
	unsigned i, n = 1;

	if (g->awalk < root->n_held) {
		g->awalk = root->n_held * 2;
		g->walk = realloc(g->walk, g->awalk * sizeof *g->walk);
		g->out = realloc(g->out, g->awalk * sizeof *g->out);
		AN(g->walk);
		AN(g->out);
	}
	g->walk[0] = root;
	for (i = 0; i < n; i++)
		VTAILQ_FOREACH(c, &g->walk[i]->children, sibling)
		{
			assert(n < root->n_held);
			g->walk[n++] = c;
		}
	assert(n == root->n_held);
	return (n);
}

/* Ended, or closed as it is: what was parsed is all there will be. */
static void
vg_close(struct vsl_group *g, struct vg_txn *n)
{
	AZ(n->ended);
	n->ended = 1;
	n->live = 0;
	VTAILQ_REMOVE(&g->open, n, open);
	if (n->begun)
		txn_end(&n->txn, &n->arena);
}

enum vg_how {
	VG_ENDED, /* its last transaction ended */
	VG_FORCED, /* delivered as it is */
	VG_DROPPED, /* let go undelivered */
};

/*
 * Hand the group over if its request was seen beginning, and let it go.
 * Request grouping delivers requests only: a group whose root is not
 * one is what was left of a request read from its middle.
 */
static void
vg_deliver(struct vsl_group *g, struct vg_txn *root, enum vg_how how)
{
	struct vg_txn *n;
	unsigned i, k, nw;

	AZ(root->parent);
	AZ(root->n_open);
	nw = vg_walk(g, root);
	if (!root->begun || root->type != VSL_t_req || how == VG_DROPPED) {
		g->stats.orphans += nw;
	} else {
		for (i = k = 0; i < nw; i++) {
			n = g->walk[i];
			if (!n->begun) {
				g->stats.orphans++;
				continue;
			}
			n->txn.parent = n->parent != NULL ? n->parent->vxid : 0;
			g->out[k++] = &n->txn;
		}
		g->stats.groups++;
		if (how == VG_FORCED)
			g->stats.incomplete++;
		g->fn(g->priv, g->out, k);
	}
	for (i = 0; i < nw; i++)
		vg_retire(g, g->walk[i]);
}

/* The group of n as it is, its open transactions closed. */
static void
vg_force(struct vsl_group *g, struct vg_txn *n, enum vg_how how)
{
	struct vg_txn *root;
	unsigned i, nw;

	CHECK_OBJ_NOTNULL(n, VG_TXN_MAGIC);
	root = vg_root(n);
	nw = vg_walk(g, root);
	for (i = 0; i < nw; i++) {
		n = g->walk[i];
		if (!n->ended)
			vg_close(g, n);
		n->n_open = 0;
	}
	vg_deliver(g, root, how);
}

/*---------------------------------------------------------------------
 * Records.
 */

static struct vg_txn *
vg_begin(struct vsl_group *g, struct vg_txn *n, uint32_t vxid,
    const uint32_t *rec)
{
	enum VSL_transaction_e type;
	enum VSL_reason_e reason;
	struct vg_txn *p;
	uint32_t pvxid;

	if (vg_parse_bl(rec, &type, &pvxid, &reason) != 0 || type == VSL_t_sess)
		return (n);
	if (n == NULL)
		n = vg_new(g, vxid, type);
	if (n->begun || n->ended)
		return (n);
	n->type = type;
	n->begun = 1;
	txn_begin(&n->txn, &n->arena, vxid, pvxid, type, reason);
	n->live = 1;
	/* A request a client sent is a group of its own. */
	if (pvxid == 0 || pvxid == vxid || n->parent != NULL ||
	    (type == VSL_t_req && reason == VSL_r_rxreq))
		return (n);
	p = vg_find(g, pvxid);
	if (p == NULL)
		p = vg_new(g, pvxid, VSL_t_unknown);
	vg_attach(p, n);
	g->last = n;
	return (n);
}

static void
vg_link(struct vsl_group *g, struct vg_txn *n, const uint32_t *rec)
{
	enum VSL_transaction_e type;
	enum VSL_reason_e reason;
	struct vg_txn *c;
	uint32_t cvxid;

	if (vg_parse_bl(rec, &type, &cvxid, &reason) != 0 || cvxid == 0 ||
	    cvxid == n->vxid || type == VSL_t_sess)
		return;
	c = vg_find(g, cvxid);
	if (c == NULL)
		c = vg_new(g, cvxid, type);
	vg_attach(n, c);
	g->last = n;
}

static void
vg_end(struct vsl_group *g, struct vg_txn *n)
{
	struct vg_txn *a, *root = n;

	if (n->ended)
		return;
	vg_close(g, n);
	for (a = n; a != NULL; a = a->parent) {
		AN(a->n_open);
		a->n_open--;
		root = a;
	}
	if (root->n_open == 0)
		vg_deliver(g, root, VG_ENDED);
}

/*
 * One record of vxid's, whose transaction is n (NULL when none is
 * held); returns what is held for vxid after the record.
 */
static struct vg_txn *
vg_record(struct vsl_group *g, struct vg_txn *n, uint32_t vxid,
    const uint32_t *rec)
{
	enum VSL_tag_e tag;

	tag = VSL_TAG(rec);
	if (tag == SLT_Begin)
		return (vg_begin(g, n, vxid, rec));
	if (n == NULL || n->ended)
		return (n);
	if (tag == SLT_Link) {
		vg_link(g, n, rec);
	} else if (tag == SLT_End) {
		vg_end(g, n);
		return (NULL); /* delivered, or waiting for its children */
	}
	return (n);
}

/*
 * Most records are none of Begin, Link and End: those a transaction
 * being parsed reads go straight to it, the others (most of them) are
 * skipped on their tag alone.
 */
static inline struct vg_txn *
vg_next(struct vsl_group *g, struct vg_txn *n, uint32_t vxid,
    const uint32_t *rec)
{
	enum VSL_tag_e tag = VSL_TAG(rec);

	if (tag == SLT_Begin || tag == SLT_Link || tag == SLT_End)
		return (vg_record(g, n, vxid, rec));
	if (n != NULL && n->live && (txn_tag_side[tag] & n->txn.side))
		txn_record(&n->txn, &n->arena, rec, g->conf);
	return (n);
}

/*
 * A batch holds one transaction's records: its transaction is looked up
 * once, and a session's (never held) records skipped at no cost.
 */
static void
vg_batch(struct vsl_group *g, const uint32_t *rec)
{
	const uint32_t *end;
	struct vg_txn *n;
	uint32_t vxid;

	end = VSL_END(rec, VSL_BATCHLEN(rec));
	rec = VSL_NEXT(rec);
	if (rec >= end || VSL_NEXT(rec) > end)
		return;
	vxid = VSL_ID(rec);
	if (vxid == 0)
		return; /* not a transaction's */
	n = vg_find(g, vxid);
	/* A record running past its batch is a torn one: stop there. */
	for (; rec < end && VSL_NEXT(rec) <= end; rec = VSL_NEXT(rec)) {
		if (VSL_ID(rec) == vxid) {
			n = vg_next(g, n, vxid, rec);
		} else if (VSL_ID(rec) != 0) {
			(void)vg_next(g, vg_find(g, VSL_ID(rec)), VSL_ID(rec),
			    rec);
			/* That may have ended our group, and retired n. */
			n = vg_find(g, vxid);
		}
	}
}

void
vsl_group_feed(struct vsl_group *g, const uint32_t *rec)
{
	uint32_t vxid;

	CHECK_OBJ_NOTNULL(g, VSL_GROUP_MAGIC);
	AN(rec);
	if (VSL_TAG(rec) == SLT__Batch) {
		vg_batch(g, rec);
	} else {
		vxid = VSL_ID(rec);
		if (vxid != 0)
			(void)vg_next(g, vg_find(g, vxid), vxid, rec);
	}
	while (g->stats.held > VSL_GROUP_MAX_TXN)
		vg_force(g, VTAILQ_FIRST(&g->open), VG_FORCED);
}

/*---------------------------------------------------------------------
 * Bounds and endings.
 */

void
vsl_group_tick(struct vsl_group *g, double now)
{
	struct vg_txn *n;

	CHECK_OBJ_NOTNULL(g, VSL_GROUP_MAGIC);
	g->now = now;
	while ((n = VTAILQ_FIRST(&g->open)) != NULL &&
	    now - n->t_open > VSL_GROUP_TIMEOUT)
		vg_force(g, n, VG_FORCED);
}

static void
vg_end_all(struct vsl_group *g, enum vg_how how)
{
	CHECK_OBJ_NOTNULL(g, VSL_GROUP_MAGIC);
	while (!VTAILQ_EMPTY(&g->open))
		vg_force(g, VTAILQ_FIRST(&g->open), how);
	AZ(g->stats.held);
}

void
vsl_group_flush(struct vsl_group *g)
{
	vg_end_all(g, VG_FORCED);
}

void
vsl_group_drop(struct vsl_group *g)
{
	vg_end_all(g, VG_DROPPED);
}

struct vsl_group *
vsl_group_new(const struct txn_conf *conf, vsl_group_f *fn, void *priv)
{
	struct vsl_group *g;

	AN(conf);
	AN(fn);
	ALLOC_OBJ(g, VSL_GROUP_MAGIC);
	AN(g);
	g->conf = conf;
	g->fn = fn;
	g->priv = priv;
	VTAILQ_INIT(&g->open);
	VTAILQ_INIT(&g->cache);
	return (g);
}

void
vsl_group_free(struct vsl_group **gp)
{
	struct vsl_group *g;
	struct vg_txn *n;

	TAKE_OBJ_NOTNULL(g, gp, VSL_GROUP_MAGIC);
	vsl_group_drop(g);
	while ((n = VTAILQ_FIRST(&g->cache)) != NULL) {
		VTAILQ_REMOVE(&g->cache, n, sibling);
		arena_fini(&n->arena);
		FREE_OBJ(n);
	}
	free(g->walk);
	free(g->out);
	FREE_OBJ(g);
}

const struct vsl_group_stats *
vsl_group_stats(const struct vsl_group *g)
{
	CHECK_OBJ_NOTNULL(g, VSL_GROUP_MAGIC);
	return (&g->stats);
}
