/*
 * Compile and evaluate Varnish 7.1 ban expressions, so that stoked can
 * pick out of its index exactly the objects a ban drops.
 *
 * This mirrors VRT_ban_string() (the VCL ban() / std.ban() path),
 * BAN_AddTest() and ban_evaluate() of varnishd 7.1.  Every rule below was
 * checked against a real varnishd 7.1.1 with varnishtest, and where the
 * documentation and the daemon disagree we follow the daemon:
 *
 *  - Tokens are split on C-locale whitespace and nothing else: VAV_Parse()
 *    runs with ARGV_NOESC, so double quotes and backslashes are ordinary
 *    characters.  `obj.http.x == "shop"` compares with the seven characters
 *    "shop" including the quotes.  (The CLI "ban" command parses quotes and
 *    backslash escapes; that syntax is not accepted here.)
 *  - Conditions are `field operator argument`, joined by "&&".
 *  - Fields are matched as prefixes, in this order, case-sensitively:
 *    req.url, req.http., obj.status, obj.http., obj.ttl, obj.age,
 *    obj.grace, obj.keep.  So "req.urlx" is req.url, as in varnishd.  An
 *    empty header name is accepted (Varnish never finds such a header).
 *  - req.url, req.http.*, obj.http.* and obj.status are strings and take
 *    ==, !=, ~ and !~.  obj.status is compared as its three digit text.
 *  - obj.ttl, obj.age, obj.grace and obj.keep are durations and take ==,
 *    !=, >, >=, < and <=, with a VCL duration argument parsed like
 *    VNUM_duration(): [-]digits[.digits] and a unit ms|s|m|h|d|w|y.
 *  - A missing header never matches ==, ~ or !~, and always matches !=.
 *    vmod_std(3) claims !~ matches a missing header; varnishd 7.1.1 does
 *    not (ban_evaluate() returns "no match" for !~ when the header is
 *    absent), and neither do we.
 *  - obj.ttl compares t_origin + ttl with the ban time + argument, obj.age
 *    compares -t_origin with -(ban time - argument): both are pinned to
 *    the time the ban was issued.  obj.grace and obj.keep compare the
 *    stored values.
 *  - Regexes are PCRE2 with no options, as VRE_compile() does for bans.
 *    We JIT them when PCRE2 can; varnishd does not, which changes the
 *    speed and how the match limit is counted, not the answers.
 *
 * Error messages are varnishd's, without the "ban(): " that it adds in the
 * log; a regex error also gets the offset PCRE2 reports.
 *
 * Where varnishd 7.1.1 panics instead of banning, we do something safe:
 *
 *  - A header name over BAN_EXPR_HDR_MAX characters fails an assert when
 *    the ban is built, so the ban never exists: we refuse it.
 *  - A regex match that fails (match limit) trips "Missing errorhandling
 *    code in ban_evaluate()".  We stop at BAN_EXPR_MATCH_LIMIT (PCRE2's
 *    default, which varnishd uses, is ten times higher), count the error
 *    and take it as "the regex did not match": ~ is false, !~ is true.
 *  - obj.http. with an empty name (or one like ":x") panics when
 *    the ban is evaluated; we treat the header as absent, as varnishd
 *    does for req.http. with an empty name.  Names starting with ':' go
 *    to the callback like any other.
 */

#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "ban_expr.h"

/* VRT_DECIMAL_MAX from Varnish's vdef.h, 999999999999.999 */
#define BE_DECIMAL_MAX 0x1.d1a94a1fffff8p+39

/* The JIT stack grows to this; its 32 KiB default is easily exhausted. */
#define BE_JIT_STACK_MAX (1024 * 1024)

/* Longest token quoted in an error message. */
#define BE_ERR_TOKEN_MAX 1024

enum be_field {
	BE_URL,
	BE_REQHTTP,
	BE_OBJSTATUS,
	BE_OBJHTTP,
	BE_OBJTTL,
	BE_OBJAGE,
	BE_OBJGRACE,
	BE_OBJKEEP,
};

#define BE_F_REQ (1U << 0)
#define BE_F_OBJ (1U << 1)
#define BE_F_HTTP (1U << 2)
#define BE_F_DURATION (1U << 3)

/* Same names, flags and order as Varnish's tbl/ban_vars.h */
static const struct be_var {
	const char *name;
	unsigned flags;
	enum be_field field;
} be_vars[] = {
	{ "req.url", BE_F_REQ, BE_URL },
	{ "req.http.", BE_F_REQ | BE_F_HTTP, BE_REQHTTP },
	{ "obj.status", BE_F_OBJ, BE_OBJSTATUS },
	{ "obj.http.", BE_F_OBJ | BE_F_HTTP, BE_OBJHTTP },
	{ "obj.ttl", BE_F_OBJ | BE_F_DURATION, BE_OBJTTL },
	{ "obj.age", BE_F_OBJ | BE_F_DURATION, BE_OBJAGE },
	{ "obj.grace", BE_F_OBJ | BE_F_DURATION, BE_OBJGRACE },
	{ "obj.keep", BE_F_OBJ | BE_F_DURATION, BE_OBJKEEP },
	{ NULL, 0, BE_URL },
};

/* Same order as Varnish's tbl/ban_oper.h, which the help texts follow */
enum be_oper {
	BE_EQ,
	BE_NEQ,
	BE_MATCH,
	BE_NMATCH,
	BE_GT,
	BE_GTE,
	BE_LT,
	BE_LTE,
	BE_NOPER
};

static const char *const be_opers[BE_NOPER] = { "==", "!=", "~", "!~", ">",
	">=", "<", "<=" };

#define BE_OPS_STRING                                                          \
	((1U << BE_EQ) | (1U << BE_NEQ) | (1U << BE_MATCH) | (1U << BE_NMATCH))
#define BE_OPS_DURATION                                                        \
	((1U << BE_EQ) | (1U << BE_NEQ) | (1U << BE_GT) | (1U << BE_GTE) |     \
	    (1U << BE_LT) | (1U << BE_LTE))

/* What BAN_Build_Init() renders from tbl/ban_arg_oper.h */
static const char be_help_string[] = "==, !=, ~ or !~";
static const char be_help_duration[] = "==, !=, >, >=, < or <=";

/* Evaluation order: numbers, then string compares, then regexes */
enum be_cost { BE_COST_NUMBER, BE_COST_STRING, BE_COST_REGEX, BE_NCOST };

struct be_cond {
	enum be_field field;
	enum be_oper oper;
	enum be_cost cost;
	unsigned duration;
	char *hdr; /* header name, http fields */
	char *arg; /* argument, string fields */
	double darg; /* argument, duration fields */
	pcre2_code *re;
};

struct ban_expr {
	unsigned magic;
#define BAN_EXPR_MAGIC 0x6a3e51c7
	unsigned flags; /* BE_F_REQ | BE_F_OBJ */
	unsigned nconds;
	unsigned nspace;
	unsigned nregex;
	struct be_cond *conds; /* in evaluation order */
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	pcre2_match_data *md;
	uint64_t match_errors;
};

struct be_tok {
	const char *b;
	size_t l;
};

/*--------------------------------------------------------------------
 * Errors
 */

static void __attribute__((format(printf, 3, 4)))
be_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* For "%.*s": tokens can be as long as the expression. */
static int
be_tlen(const struct be_tok *t)
{
	return (t->l > BE_ERR_TOKEN_MAX ? BE_ERR_TOKEN_MAX : (int)t->l);
}

/*--------------------------------------------------------------------
 * Tokens, as VAV_Parse(str, NULL, ARGV_NOESC) makes them: runs of
 * anything but isspace() in the C locale (varnishd does not set a
 * locale), with no quoting and no escapes.
 */

static int
be_isspace(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r');
}

static int
be_token(const char **pp, struct be_tok *t)
{
	const char *p;

	p = *pp;
	while (be_isspace(*p))
		p++;
	if (*p == '\0') {
		*pp = p;
		return (0);
	}
	t->b = p;
	while (*p != '\0' && !be_isspace(*p))
		p++;
	t->l = (size_t)(p - t->b);
	*pp = p;
	return (1);
}

static int
be_tok_is(const struct be_tok *t, const char *s)
{
	return (t->l == strlen(s) && memcmp(t->b, s, t->l) == 0);
}

static char *
be_tok_dup(const struct be_tok *t)
{
	char *s;

	s = malloc(t->l + 1);
	if (s == NULL)
		return (NULL);
	memcpy(s, t->b, t->l);
	s[t->l] = '\0';
	return (s);
}

/*--------------------------------------------------------------------
 * Durations, as VNUM_duration(): SF_Parse_Number() in its lenient mode
 * followed by a unit.  The arithmetic is done in the same order so that
 * == and != see the same double varnishd does.
 */

static int
be_isdigit(char c)
{
	return (c >= '0' && c <= '9');
}

static int
be_number(const char **pp, double *r)
{
	const char *p;
	double v, scale;
	int64_t iv;
	int sign, ndig;

	p = *pp;
	sign = 1;
	if (*p == '-') {
		sign = -1;
		p++;
	}
	iv = 0;
	for (ndig = 0; be_isdigit(*p); p++) {
		if (++ndig > 15)
			return (-1); /* "Too many digits" */
		iv = iv * 10 + (*p - '0');
	}
	v = (double)iv;
	if (*p != '.') {
		if (ndig == 0)
			return (-1); /* "Invalid number" */
		*pp = p;
		*r = v * sign;
		return (0);
	}
	if (v > BE_DECIMAL_MAX)
		return (-1);
	if (ndig == 0 && !be_isdigit(p[1]))
		return (-1);
	p++;
	scale = 1;
	for (ndig = 0; ndig < 3; ndig++) {
		scale *= .1;
		if (!be_isdigit(*p))
			break;
		v += scale * (*p++ - '0');
	}
	/* Lenient mode: digits past the third decimal are ignored */
	while (be_isdigit(*p))
		p++;
	*pp = p;
	*r = v * sign;
	return (0);
}

static int
be_duration(const struct be_tok *t, double *d)
{
	const char *p;
	double r, sc;

	/*
	 * The token ends at whitespace or NUL, neither of which is a digit
	 * or a unit, so parsing in place stops at its end by itself.
	 */
	p = t->b;
	if (be_number(&p, &r))
		return (-1);
	switch (*p++) {
	case 's':
		sc = 1.0;
		break;
	case 'm':
		if (*p == 's') {
			sc = 1e-3;
			p++;
		} else
			sc = 60.0;
		break;
	case 'h':
		sc = 60.0 * 60.0;
		break;
	case 'd':
		sc = 60.0 * 60.0 * 24.0;
		break;
	case 'w':
		sc = 60.0 * 60.0 * 24.0 * 7.0;
		break;
	case 'y':
		sc = 60.0 * 60.0 * 24.0 * 365.0;
		break;
	default:
		return (-1);
	}
	if (p != t->b + t->l)
		return (-1);
	*d = r * sc;
	return (0);
}

/*--------------------------------------------------------------------
 * Conditions
 */

static const struct be_var *
be_find_var(const struct be_tok *t)
{
	const struct be_var *vp;
	size_t n;

	/* BAN_AddTest() in 7.1 matches with strncmp() on the name's length */
	for (vp = be_vars; vp->name != NULL; vp++) {
		n = strlen(vp->name);
		if (t->l >= n && memcmp(t->b, vp->name, n) == 0)
			return (vp);
	}
	return (NULL);
}

static int
be_find_oper(const struct be_tok *t)
{
	int i;

	for (i = 0; i < BE_NOPER; i++)
		if (be_tok_is(t, be_opers[i]))
			return (i);
	return (-1);
}

static int
be_oper_ok(const struct be_cond *c, int op)
{
	unsigned mask;

	if (op < 0)
		return (0);
	mask = c->duration ? BE_OPS_DURATION : BE_OPS_STRING;
	return ((mask & (1U << op)) != 0);
}

static struct be_cond *
be_new_cond(struct ban_expr *be)
{
	struct be_cond *c;
	unsigned n;

	if (be->nconds == be->nspace) {
		n = be->nspace == 0 ? 8 : be->nspace * 2;
		c = realloc(be->conds, n * sizeof *c);
		if (c == NULL)
			return (NULL);
		be->conds = c;
		be->nspace = n;
	}
	c = &be->conds[be->nconds++];
	memset(c, 0, sizeof *c);
	return (c);
}

static int
be_compile_regex(struct ban_expr *be, struct be_cond *c, char *err,
    size_t errlen)
{
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE off;
	int code;

	/* VRE_compile(a3, 0, ...): no options, so no UTF and no caseless */
	c->re = pcre2_compile((PCRE2_SPTR)c->arg, PCRE2_ZERO_TERMINATED, 0,
	    &code, &off, NULL);
	if (c->re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
			(void)snprintf((char *)msg, sizeof msg, "error %d",
			    code);
		be_err(err, errlen, "Regex compile error: %s (at offset %zu)",
		    (const char *)msg, (size_t)off);
		return (-1);
	}
	/* Without JIT support this fails and the interpreter is used */
	(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	be->nregex++;
	return (0);
}

static int
be_add_cond(struct ban_expr *be, const struct be_tok *a1,
    const struct be_tok *a2, const struct be_tok *a3, char *err, size_t errlen)
{
	const struct be_var *vp;
	struct be_cond *c;
	size_t n;
	int op;

	vp = be_find_var(a1);
	if (vp == NULL) {
		be_err(err, errlen, "Unknown or unsupported field \"%.*s\"",
		    be_tlen(a1), a1->b);
		return (-1);
	}
	c = be_new_cond(be);
	if (c == NULL) {
		be_err(err, errlen, "Out of Memory");
		return (-1);
	}
	c->field = vp->field;
	c->duration = (vp->flags & BE_F_DURATION) != 0;
	be->flags |= vp->flags & (BE_F_REQ | BE_F_OBJ);

	if (vp->flags & BE_F_HTTP) {
		n = strlen(vp->name);
		/* varnishd asserts on these, so no ban ever has one */
		if (a1->l - n > BAN_EXPR_HDR_MAX) {
			be_err(err, errlen,
			    "Header name too long (max %d): \"%.*s\"",
			    BAN_EXPR_HDR_MAX, be_tlen(a1), a1->b);
			return (-1);
		}
		c->hdr = malloc(a1->l - n + 1);
		if (c->hdr == NULL) {
			be_err(err, errlen, "Out of Memory");
			return (-1);
		}
		memcpy(c->hdr, a1->b + n, a1->l - n);
		c->hdr[a1->l - n] = '\0';
	}

	op = be_find_oper(a2);
	if (!be_oper_ok(c, op)) {
		be_err(err, errlen, "expected conditional (%s) got \"%.*s\"",
		    c->duration ? be_help_duration : be_help_string,
		    be_tlen(a2), a2->b);
		return (-1);
	}
	c->oper = (enum be_oper)op;

	if (c->duration) {
		c->cost = BE_COST_NUMBER;
		if (be_duration(a3, &c->darg)) {
			be_err(err, errlen,
			    "expected duration "
			    "<n.nn>[ms|s|m|h|d|w|y] got \"%.*s\"",
			    be_tlen(a3), a3->b);
			return (-1);
		}
		return (0);
	}

	c->arg = be_tok_dup(a3);
	if (c->arg == NULL) {
		be_err(err, errlen, "Out of Memory");
		return (-1);
	}
	if (c->oper != BE_MATCH && c->oper != BE_NMATCH) {
		c->cost = BE_COST_STRING;
		return (0);
	}
	c->cost = BE_COST_REGEX;
	return (be_compile_regex(be, c, err, errlen));
}

/*--------------------------------------------------------------------
 * Parse a whole expression the way VRT_ban_string() walks its argv,
 * so that the first error reported is the one varnishd reports.
 */

static int
be_parse(struct ban_expr *be, const char *text, char *err, size_t errlen)
{
	struct be_tok a1, a2, a3, sep;
	const char *p;

	p = text;
	for (;;) {
		if (!be_token(&p, &a1)) {
			be_err(err, errlen, "No ban conditions found.");
			return (-1);
		}
		if (!be_token(&p, &a2)) {
			be_err(err, errlen, "Expected comparison operator.");
			return (-1);
		}
		if (!be_token(&p, &a3)) {
			be_err(err, errlen, "Expected second operand.");
			return (-1);
		}
		if (be_add_cond(be, &a1, &a2, &a3, err, errlen))
			return (-1);
		if (!be_token(&p, &sep))
			return (0);
		if (!be_tok_is(&sep, "&&")) {
			be_err(err, errlen,
			    "Expected && between conditions, "
			    "found \"%.*s\"",
			    be_tlen(&sep), sep.b);
			return (-1);
		}
	}
}

/*
 * && is commutative and the conditions have no side effects (bar the
 * error count), so test the cheap ones first.  Stable, to keep the
 * written order within a class.
 */
static int
be_order(struct ban_expr *be)
{
	struct be_cond *sorted;
	unsigned u, n;
	int cost;

	sorted = malloc(be->nconds * sizeof *sorted);
	if (sorted == NULL)
		return (-1);
	n = 0;
	for (cost = 0; cost < BE_NCOST; cost++)
		for (u = 0; u < be->nconds; u++)
			if ((int)be->conds[u].cost == cost)
				sorted[n++] = be->conds[u];
	assert(n == be->nconds);
	free(be->conds);
	be->conds = sorted;
	be->nspace = n;
	return (0);
}

static int
be_prepare_match(struct ban_expr *be)
{
	if (be->nregex == 0)
		return (0);
	be->mctx = pcre2_match_context_create(NULL);
	be->md = pcre2_match_data_create(1, NULL);
	if (be->mctx == NULL || be->md == NULL)
		return (-1);
	/* A ban is run over every object: bound the work per object */
	(void)pcre2_set_match_limit(be->mctx, BAN_EXPR_MATCH_LIMIT);
	be->jstack = pcre2_jit_stack_create(32 * 1024, BE_JIT_STACK_MAX, NULL);
	if (be->jstack != NULL)
		pcre2_jit_stack_assign(be->mctx, NULL, be->jstack);
	return (0);
}

int
ban_expr_compile(const char *text, struct ban_expr **out, char *err,
    size_t errlen)
{
	struct ban_expr *be;

	AN(text);
	AN(out);
	*out = NULL;
	if (err != NULL && errlen > 0)
		*err = '\0';

	be = calloc(1, sizeof *be);
	if (be == NULL) {
		be_err(err, errlen, "Out of Memory");
		return (-1);
	}
	be->magic = BAN_EXPR_MAGIC;
	if (be_parse(be, text, err, errlen)) {
		ban_expr_free(&be);
		return (-1);
	}
	if (be_order(be) || be_prepare_match(be)) {
		be_err(err, errlen, "Out of Memory");
		ban_expr_free(&be);
		return (-1);
	}
	*out = be;
	return (0);
}

/*--------------------------------------------------------------------
 * Evaluation, as ban_evaluate()
 */

static const char *
be_hdr(const char *(*get)(const void *, const char *), const void *priv,
    const char *name)
{
	/* An empty name asks for a header that HTTP cannot carry */
	if (get == NULL || *name == '\0')
		return (NULL);
	return (get(priv, name));
}

static int
be_regex(struct ban_expr *be, const struct be_cond *c, const char *s)
{
	int rc;

	rc = pcre2_match(c->re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0,
	    be->md, be->mctx);
	if (rc >= 0)
		return (1);
	if (rc != PCRE2_ERROR_NOMATCH)
		be->match_errors++;
	return (0);
}

static int
be_cond_match(struct ban_expr *be, const struct be_cond *c,
    const struct ban_subject *s, double now)
{
	char status[16];
	const char *a1;
	double d1, d2;

	a1 = NULL;
	d1 = d2 = NAN;
	switch (c->field) {
	case BE_URL:
		a1 = s->req_url;
		break;
	case BE_REQHTTP:
		a1 = be_hdr(s->req_hdr, s->priv, c->hdr);
		break;
	case BE_OBJHTTP:
		a1 = be_hdr(s->obj_hdr, s->priv, c->hdr);
		break;
	case BE_OBJSTATUS:
		/* The stored status line text, always three digits */
		(void)snprintf(status, sizeof status, "%03u",
		    s->obj_status % 1000);
		a1 = status;
		break;
	case BE_OBJTTL:
		d1 = s->ttl + s->t_origin;
		d2 = c->darg + now;
		break;
	case BE_OBJAGE:
		d1 = 0.0 - s->t_origin;
		d2 = 0.0 - (now - c->darg);
		break;
	case BE_OBJGRACE:
		d1 = s->grace;
		d2 = c->darg;
		break;
	case BE_OBJKEEP:
		d1 = s->keep;
		d2 = c->darg;
		break;
	default:
		assert(0);
	}

	switch (c->oper) {
	case BE_EQ:
		if (c->duration)
			return (!isnan(d1) && d1 == d2);
		return (a1 != NULL && strcmp(a1, c->arg) == 0);
	case BE_NEQ:
		if (c->duration)
			return (isnan(d1) || d1 != d2);
		return (a1 == NULL || strcmp(a1, c->arg) != 0);
	case BE_MATCH:
		return (a1 != NULL && be_regex(be, c, a1));
	case BE_NMATCH:
		/* Not the documented rule: see the top of this file */
		return (a1 != NULL && !be_regex(be, c, a1));
	case BE_GT:
		return (d1 > d2);
	case BE_GTE:
		return (d1 >= d2);
	case BE_LT:
		return (d1 < d2);
	case BE_LTE:
		return (d1 <= d2);
	default:
		assert(0);
	}
	return (0);
}

int
ban_expr_match(struct ban_expr *be, const struct ban_subject *s, double now)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(be, BAN_EXPR_MAGIC);
	AN(s);
	for (u = 0; u < be->nconds; u++)
		if (!be_cond_match(be, &be->conds[u], s, now))
			return (0);
	return (1);
}

int
ban_expr_lurker_friendly(const struct ban_expr *be)
{
	CHECK_OBJ_NOTNULL(be, BAN_EXPR_MAGIC);
	return ((be->flags & BE_F_REQ) == 0);
}

unsigned
ban_expr_nconds(const struct ban_expr *be)
{
	CHECK_OBJ_NOTNULL(be, BAN_EXPR_MAGIC);
	return (be->nconds);
}

uint64_t
ban_expr_match_errors(const struct ban_expr *be)
{
	CHECK_OBJ_NOTNULL(be, BAN_EXPR_MAGIC);
	return (be->match_errors);
}

void
ban_expr_free(struct ban_expr **bep)
{
	struct ban_expr *be;
	unsigned u;

	AN(bep);
	be = *bep;
	*bep = NULL;
	if (be == NULL)
		return;
	CHECK_OBJ(be, BAN_EXPR_MAGIC);
	for (u = 0; u < be->nconds; u++) {
		free(be->conds[u].hdr);
		free(be->conds[u].arg);
		pcre2_code_free(be->conds[u].re);
	}
	free(be->conds);
	pcre2_match_data_free(be->md);
	pcre2_match_context_free(be->mctx);
	pcre2_jit_stack_free(be->jstack);
	be->magic = 0;
	free(be);
}
