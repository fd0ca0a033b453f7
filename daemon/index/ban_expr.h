/*
 * A Varnish 7.1 ban-expression evaluator.  When Varnish takes a ban,
 * vmod_stoke logs the expression; stoked compiles it here and runs it over
 * its index to find exactly the objects the ban drops, so it can warm them
 * again.  The grammar and the semantics are those of a ban string given to
 * VCL ban() / std.ban() (VRT_ban_string() in varnishd), checked against a
 * real varnishd 7.1.1; see the comment at the top of ban_expr.c for the
 * rules and the evidence.
 *
 * Things the caller must get right, because they live outside the
 * expression:
 *
 *  - Pass as "now" the time the ban was issued, not the time of
 *    evaluation: Varnish pins obj.ttl and obj.age to the ban's timestamp.
 *  - A ban only concerns objects that were in the cache before it was
 *    issued (t_origin alone is not that: an Age header moves it back).
 *  - req.* conditions are evaluated by Varnish against the request that
 *    next looks the object up, never by the ban lurker.  We evaluate them
 *    against the request the object was fetched with, which is the best
 *    guess the index has.
 */

#ifndef STOKE_BAN_EXPR_H
#define STOKE_BAN_EXPR_H

#include <stddef.h>
#include <stdint.h>

/*
 * A compiled ban.  Immutable after ban_expr_compile() except for the
 * regex match data and the error counter that ban_expr_match() uses:
 * do not call ban_expr_match() on the same ban_expr from two threads at
 * once (compile one per thread instead).
 */
struct ban_expr;

/* One cached object as the index knows it. */
struct ban_subject {
	const char *req_url; /* the URL it was requested with */
	/*
	 * req.http.<name> / obj.http.<name>, or NULL when absent.  The name
	 * is as written in the ban: compare it case-insensitively, and
	 * return the first such header with leading white space skipped,
	 * as http_GetHdr() and HTTP_GetHdrPack() do.
	 */
	const char *(*req_hdr)(const void *priv, const char *name);
	const char *(*obj_hdr)(const void *priv, const char *name);
	const void *priv;
	unsigned obj_status;
	double t_origin; /* when the object was fetched (unix time) */
	double ttl, grace, keep; /* as Varnish stored them, seconds */
};

/*
 * Upper bound on regex work per condition and object (PCRE2 match limit).
 * Hitting it counts as a match error and as "the regex did not match".
 */
#ifndef BAN_EXPR_MATCH_LIMIT
#define BAN_EXPR_MATCH_LIMIT 1000000
#endif

/* Longest header name Varnish 7.1 accepts (it asserts on longer ones). */
#define BAN_EXPR_HDR_MAX 126

/* Returns 0, or -1 with a message in err (which may be NULL). */
int ban_expr_compile(const char *text, struct ban_expr **out, char *err,
    size_t errlen);

/* Returns 1 when the ban drops the object, 0 when it does not. */
int ban_expr_match(struct ban_expr *, const struct ban_subject *, double now);

/* 1 when the ban has only obj.* conditions, so the ban lurker handles it. */
int ban_expr_lurker_friendly(const struct ban_expr *);

unsigned ban_expr_nconds(const struct ban_expr *);

/* How many regex matches failed (match limit, JIT stack, ...). */
uint64_t ban_expr_match_errors(const struct ban_expr *);

void ban_expr_free(struct ban_expr **);

#endif
