/*
 * vmod_stoke: the VCL surface of the Stoke cache warmer.
 *
 * Configuration (secret, variant dimensions) is per VCL and set in
 * vcl_init; per-request state (variant values, warm verdict) lives in
 * the task's workspace.  Records go to the request's own log buffer, so
 * the request path takes no lock: the counters are relaxed atomics.  A
 * request that recorded an invalidation sends one datagram as it ends,
 * when stoke.doorbell() is set: that, and only that, is a system call.
 *
 * Arguments that come from VCL code (wrong subroutine, bad declaration)
 * fail the VCL or the request, as Varnish's own VMODs do.  Arguments that
 * may come from a client (ban expressions, tag lists, headers) never fail
 * anything: they write an "error" record and the call does nothing.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "cache/cache.h"
#include "common/common_param.h"
#include "vcl.h"
#include "vrt_obj.h"
#include "vtim.h"

#include "VSC_stoke.h"
#include "vcc_stoke_if.h"

#include "proto/record.h"
#include "proto/secret.h"
#include "proto/tag_list.h"
#include "proto/warm_sig.h"

/* Tied to the exact varnishd build anyway by $ABI strict. */
extern volatile struct params *cache_param;

#define STOKE_MAX_VARIANTS 16
#define STOKE_NAME_MAX 32
#define STOKE_HDR_NAME_MAX 64
#define STOKE_BAN_MAX 8192
#define STOKE_REC_STACK 1024

struct stoke_variant {
	char name[STOKE_NAME_MAX + 1];
	char hdr[STOKE_HDR_NAME_MAX + 3]; /* Varnish's "\<len>Name:" */
	char cookie[STOKE_HDR_NAME_MAX + 1];
	size_t cookie_len;
	unsigned hash;
};

struct stoke_cfg {
	unsigned magic;
#define STOKE_CFG_MAGIC 0x2b6e7d31
	char *key;
	size_t keylen;
	double window;
	unsigned nvariant;
	struct stoke_variant variant[STOKE_MAX_VARIANTS];
	uint64_t dims_next; /* ms: when the next dims record is due */
	int bell_fd; /* stoke.doorbell()'s socket, or -1 */
	struct sockaddr_un bell;
	socklen_t bell_len;
};

struct stoke_value {
	const char *p; /* NULL: the input was absent */
	size_t len;
};

struct stoke_task {
	unsigned magic;
#define STOKE_TASK_MAGIC 0x71a4c2e9
	unsigned warm_checked;
	unsigned warm_ok;
	const char *warm_id;
	const struct stoke_cfg *cfg; /* set by stoke.hash() */
	unsigned nvalue;
	struct stoke_value value[STOKE_MAX_VARIANTS];
};

static struct VSC_stoke *vsc;
static struct vsc_seg *vsc_seg;
static unsigned vsc_refs;

#define STOKE_ADD(field, n)                                                    \
	do {                                                                   \
		if (vsc != NULL)                                               \
			(void)__atomic_add_fetch(&vsc->field, (n),             \
			    __ATOMIC_RELAXED);                                 \
	} while (0)
#define STOKE_INC(field) STOKE_ADD(field, 1)

/*--------------------------------------------------------------------
 * Lifetime
 */

static void
cfg_fini(VRT_CTX, void *p)
{
	struct stoke_cfg *cfg;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	CAST_OBJ_NOTNULL(cfg, p, STOKE_CFG_MAGIC);
	if (cfg->bell_fd >= 0)
		closefd(&cfg->bell_fd);
	if (cfg->key != NULL) {
		/* The secret should not linger in freed memory. */
		memset(cfg->key, 0, cfg->keylen);
		free(cfg->key);
	}
	FREE_OBJ(cfg);
}

static const struct vmod_priv_methods cfg_methods[1] = { {
    .magic = VMOD_PRIV_METHODS_MAGIC,
    .type = "vmod_stoke_cfg",
    .fini = cfg_fini,
} };

int
vmod_event_function(VRT_CTX, struct vmod_priv *priv, enum vcl_event_e e)
{
	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	AN(priv);

	/* Events run on the CLI thread, one at a time. */
	switch (e) {
	case VCL_EVENT_LOAD:
		if (vsc_refs++ == 0) {
			AZ(vsc);
			vsc = VSC_stoke_New(NULL, &vsc_seg, "");
			AN(vsc);
		}
		break;
	case VCL_EVENT_DISCARD:
		assert(vsc_refs > 0);
		if (--vsc_refs == 0) {
			VSC_stoke_Destroy(&vsc_seg);
			vsc = NULL;
		}
		break;
	default:
		break;
	}
	return (0);
}

static struct stoke_cfg *
cfg_get(struct vmod_priv *priv)
{
	struct stoke_cfg *cfg;

	AN(priv);
	if (priv->priv == NULL) {
		ALLOC_OBJ(cfg, STOKE_CFG_MAGIC);
		AN(cfg);
		cfg->bell_fd = -1;
		priv->priv = cfg;
		priv->methods = cfg_methods;
	}
	CAST_OBJ_NOTNULL(cfg, priv->priv, STOKE_CFG_MAGIC);
	return (cfg);
}

static const struct stoke_cfg *
cfg_peek(const struct vmod_priv *priv)
{
	const struct stoke_cfg *cfg;

	AN(priv);
	if (priv->priv == NULL)
		return (NULL);
	CAST_OBJ_NOTNULL(cfg, priv->priv, STOKE_CFG_MAGIC);
	return (cfg);
}

static struct stoke_task *
task_get(VRT_CTX, struct vmod_priv *priv)
{
	struct stoke_task *task;

	AN(priv);
	if (priv->priv == NULL) {
		task = WS_Alloc(ctx->ws, sizeof *task);
		if (task == NULL) {
			VRT_fail(ctx, "stoke: out of workspace");
			return (NULL);
		}
		INIT_OBJ(task, STOKE_TASK_MAGIC);
		priv->priv = task;
	}
	CAST_OBJ_NOTNULL(task, priv->priv, STOKE_TASK_MAGIC);
	return (task);
}

/*--------------------------------------------------------------------
 * The doorbell: "read the log now", to stoked
 */

static void
bell_ring(const struct stoke_cfg *cfg)
{
	ssize_t n;

	CHECK_OBJ_NOTNULL(cfg, STOKE_CFG_MAGIC);
	assert(cfg->bell_fd >= 0);
	/* Never waits: a full queue has a ring in it already. */
	n = sendto(cfg->bell_fd, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (const struct sockaddr *)&cfg->bell, cfg->bell_len);
	if (n == 1)
		STOKE_INC(doorbell_rings);
	else
		STOKE_INC(doorbell_missed);
}

/*
 * The bell's own slot among the task's privs, apart from the calls'
 * PRIV_TASK: only a VCL with a doorbell, and only a task that
 * invalidated, has one.
 */
static const char bell_id[] = "vmod_stoke_bell";

static void
bell_fini(VRT_CTX, void *p)
{
	const struct stoke_cfg *cfg;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	CAST_OBJ_NOTNULL(cfg, p, STOKE_CFG_MAGIC);
	bell_ring(cfg);
}

static const struct vmod_priv_methods bell_methods[1] = { {
    .magic = VMOD_PRIV_METHODS_MAGIC,
    .type = "vmod_stoke_bell",
    .fini = bell_fini,
} };

/*
 * An invalidation was recorded: ring as the request's (or fetch's) task
 * ends, once however many it recorded.  That is just before varnishd
 * flushes the task's log: stoked reads at once and twice more soon
 * after.  Elsewhere (vcl_init, vcl_fini: records go straight to the
 * log, and the task's privs outlive the VCL's) or without workspace for
 * the slot, ring at once.
 */
static void
bell_later(VRT_CTX, struct vmod_priv *priv_vcl)
{
	const struct stoke_cfg *cfg;
	struct vmod_priv *p;

	cfg = cfg_peek(priv_vcl);
	if (cfg == NULL || cfg->bell_fd < 0)
		return;
	p = NULL;
	if (ctx->req != NULL || ctx->bo != NULL)
		p = VRT_priv_task(ctx, bell_id);
	if (p == NULL) {
		bell_ring(cfg);
		return;
	}
	p->priv = TRUST_ME(cfg);
	p->methods = bell_methods;
}

/*--------------------------------------------------------------------
 * Writing records
 */

static void
rec_emit(VRT_CTX, struct rec *r)
{
	unsigned cut;
	size_t len;
	txt t;

	len = rec_finish(r, cache_param->vsl_reclen, &cut);
	if (cut)
		STOKE_INC(truncated);
	if (ctx->vsl != NULL) {
		t.b = r->buf;
		t.e = r->buf + len;
		VSLbt(ctx->vsl, SLT_VCL_Log, t);
	} else {
		VSL(SLT_VCL_Log, 0, "%.*s", (int)len, r->buf);
	}
}

/*
 * A record needs vsl_reclen bytes at most.  The common case fits on the
 * stack; a larger vsl_reclen borrows the workspace for the moment.
 */
#define REC_BEGIN(ctx, r, event)                                               \
	char rec_stack_[STOKE_REC_STACK];                                      \
	char *rec_buf_ = rec_stack_;                                           \
	size_t rec_cap_ = sizeof rec_stack_;                                   \
	unsigned rec_ws_ = 0;                                                  \
	if (cache_param->vsl_reclen > STOKE_REC_STACK && (ctx)->ws != NULL &&  \
	    WS_ReserveSize((ctx)->ws, cache_param->vsl_reclen) > 0) {          \
		rec_buf_ = WS_Reservation((ctx)->ws);                          \
		rec_cap_ = cache_param->vsl_reclen;                            \
		rec_ws_ = 1;                                                   \
	}                                                                      \
	rec_init((r), rec_buf_, rec_cap_, (event))

#define REC_END(ctx, r)                                                        \
	do {                                                                   \
		rec_emit((ctx), (r));                                          \
		if (rec_ws_)                                                   \
			WS_Release((ctx)->ws, 0);                              \
	} while (0)

static void
stoke_error(VRT_CTX, const char *fn, const char *reason, const char *key,
    const char *val)
{
	struct rec r[1];

	STOKE_INC(errors);
	REC_BEGIN(ctx, r, "error");
	rec_str(r, "fn", fn);
	rec_str(r, "reason", reason);
	if (key != NULL)
		rec_str(r, key, val);
	REC_END(ctx, r);
}

static void
rec_request(VRT_CTX, struct rec *r)
{
	const char *host = NULL;

	AN(ctx->http_req);
	(void)http_GetHdr(ctx->http_req, H_Host, &host);
	rec_str(r, "host", host);
	rec_str(r, "url", VRT_r_req_url(ctx));
}

static void
rec_variants(struct rec *r, const struct stoke_task *task, int key_only)
{
	const struct stoke_variant *v;
	char key[STOKE_NAME_MAX + 3];
	unsigned i;

	if (task == NULL || task->cfg == NULL)
		return;
	for (i = 0; i < task->nvalue; i++) {
		v = &task->cfg->variant[i];
		if (task->value[i].p == NULL || (key_only && !v->hash))
			continue;
		snprintf(key, sizeof key, "v.%s", v->name);
		rec_strn(r, key, task->value[i].p, task->value[i].len);
	}
}

static int
client_side(VRT_CTX, const char *fn)
{
	if (ctx->http_req != NULL && (ctx->method & VCL_MET_TASK_C) != 0)
		return (1);
	VRT_fail(ctx, "stoke.%s() is only allowed in client-side subroutines",
	    fn);
	return (0);
}

static int
init_only(VRT_CTX, const char *fn)
{
	if (ctx->method == VCL_MET_INIT)
		return (1);
	VRT_fail(ctx, "stoke.%s() is only allowed in vcl_init", fn);
	return (0);
}

static const char *
how_name(VCL_ENUM how)
{
	return (how == VENUM(soft) ? "soft" : "hard");
}

/*--------------------------------------------------------------------
 * Configuration: vcl_init only
 */

static void
set_key(VRT_CTX, struct vmod_priv *priv, const char *fn, const char *key,
    size_t len, VCL_DURATION window)
{
	struct stoke_cfg *cfg;
	char err[128];

	if (secret_check(key, len, err, sizeof err) != 0) {
		VRT_fail(ctx, "stoke.%s(): %s", fn, err);
		return;
	}
	if (!(window >= 1.0 && window <= 3600.0)) {
		VRT_fail(ctx, "stoke.%s(): window must be 1s to 1h", fn);
		return;
	}
	cfg = cfg_get(priv);
	if (cfg->key != NULL) {
		memset(cfg->key, 0, cfg->keylen);
		free(cfg->key);
	}
	cfg->key = malloc(len);
	AN(cfg->key);
	memcpy(cfg->key, key, len);
	cfg->keylen = len;
	cfg->window = window;
}

VCL_VOID
vmod_secret(VRT_CTX, struct vmod_priv *priv, VCL_STRING key,
    VCL_DURATION window)
{
	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!init_only(ctx, "secret"))
		return;
	set_key(ctx, priv, "secret", key == NULL ? "" : key,
	    key == NULL ? 0 : strlen(key), window);
}

VCL_VOID
vmod_secret_file(VRT_CTX, struct vmod_priv *priv, VCL_STRING path,
    VCL_DURATION window)
{
	char key[WARM_KEY_MAX + 1], err[256];
	size_t len;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!init_only(ctx, "secret_file"))
		return;
	if (path == NULL || *path == '\0') {
		VRT_fail(ctx, "stoke.secret_file(): no path given");
		return;
	}
	if (secret_read_file(path, key, sizeof key, &len, err, sizeof err) !=
	    0) {
		VRT_fail(ctx, "stoke.secret_file(): %s", err);
		return;
	}
	set_key(ctx, priv, "secret_file", key, len, window);
	memset(key, 0, sizeof key);
}

VCL_VOID
vmod_doorbell(VRT_CTX, struct vmod_priv *priv, VCL_STRING path)
{
	struct stoke_cfg *cfg;
	size_t len;
	int fd;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!init_only(ctx, "doorbell"))
		return;
	cfg = cfg_get(priv);
	len = path == NULL ? 0 : strlen(path);
	if (len == 0 || *path != '/') {
		VRT_fail(ctx, "stoke.doorbell(): the path must be absolute");
		return;
	}
	if (len >= sizeof cfg->bell.sun_path) {
		VRT_fail(ctx, "stoke.doorbell(): the path is over %zu bytes",
		    sizeof cfg->bell.sun_path - 1);
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		VRT_fail(ctx, "stoke.doorbell(): socket: %s", strerror(errno));
		return;
	}
	if (cfg->bell_fd >= 0)
		closefd(&cfg->bell_fd);
	memset(&cfg->bell, 0, sizeof cfg->bell);
	cfg->bell.sun_family = AF_UNIX;
	memcpy(cfg->bell.sun_path, path, len + 1);
	cfg->bell_len =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	cfg->bell_fd = fd;
}

static int
name_valid(const char *s, size_t max, int allow_dot)
{
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > max)
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || (allow_dot && s[i] == '.'))
			continue;
		return (0);
	}
	return (1);
}

/* Varnish's header form for http_GetHdr(): a length byte, then "Name:" */
static void
hdr_make(char *dst, size_t dstlen, const char *name)
{
	size_t len = strlen(name);

	assert(len + 3 <= dstlen);
	dst[0] = (char)(len + 1);
	memcpy(dst + 1, name, len);
	dst[len + 1] = ':';
	dst[len + 2] = '\0';
}

VCL_VOID
vmod_variant(VRT_CTX, struct vmod_priv *priv, VCL_STRING name,
    VCL_STRING header, VCL_STRING cookie, VCL_BOOL hash)
{
	struct stoke_variant *v;
	struct stoke_cfg *cfg;
	unsigned i;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!init_only(ctx, "variant"))
		return;
	if (!name_valid(name, STOKE_NAME_MAX, 0)) {
		VRT_fail(ctx,
		    "stoke.variant(): name must be 1 to %d "
		    "characters of [A-Za-z0-9_-]",
		    STOKE_NAME_MAX);
		return;
	}
	if (header != NULL && *header == '\0')
		header = NULL;
	if (cookie != NULL && *cookie == '\0')
		cookie = NULL;
	if ((header == NULL) == (cookie == NULL)) {
		VRT_fail(ctx,
		    "stoke.variant(\"%s\"): give exactly one of "
		    "header or cookie",
		    name);
		return;
	}
	if (!name_valid(header != NULL ? header : cookie, STOKE_HDR_NAME_MAX,
	        1)) {
		VRT_fail(ctx, "stoke.variant(\"%s\"): bad %s name", name,
		    header != NULL ? "header" : "cookie");
		return;
	}
	cfg = cfg_get(priv);
	for (i = 0; i < cfg->nvariant; i++) {
		if (!strcmp(cfg->variant[i].name, name)) {
			VRT_fail(ctx, "stoke.variant(\"%s\"): declared twice",
			    name);
			return;
		}
	}
	if (cfg->nvariant == STOKE_MAX_VARIANTS) {
		VRT_fail(ctx, "stoke.variant(): at most %d variants",
		    STOKE_MAX_VARIANTS);
		return;
	}
	v = &cfg->variant[cfg->nvariant++];
	memset(v, 0, sizeof *v);
	strcpy(v->name, name);
	if (header != NULL) {
		hdr_make(v->hdr, sizeof v->hdr, header);
	} else {
		strcpy(v->cookie, cookie);
		v->cookie_len = strlen(cookie);
	}
	v->hash = hash ? 1 : 0;
}

/*--------------------------------------------------------------------
 * Variants
 */

static int
is_space(char c)
{
	return (c == ' ' || c == '\t');
}

/* Find name=value in a Cookie header ("a=1; b=2"). */
static int
cookie_find(const char *hdr, const char *name, size_t nlen,
    struct stoke_value *val)
{
	const char *p = hdr, *e, *ve;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		for (e = p; *e != '\0' && *e != ';'; e++)
			continue;
		if ((size_t)(e - p) > nlen && !strncmp(p, name, nlen) &&
		    p[nlen] == '=') {
			for (ve = e; ve > p + nlen + 1 && is_space(ve[-1]);
			     ve--)
				continue;
			val->p = p + nlen + 1;
			val->len = (size_t)(ve - val->p);
			return (1);
		}
		p = e;
	}
	return (0);
}

static int
variant_value(VRT_CTX, const struct stoke_variant *v, struct stoke_value *val)
{
	const char *hv = NULL;
	char *copy;

	val->p = NULL;
	val->len = 0;
	if (v->hdr[0] != '\0') {
		if (http_GetHdr(ctx->http_req, v->hdr, &hv)) {
			val->p = hv;
			val->len = strlen(hv);
		}
		return (0);
	}
	if (!http_GetHdr(ctx->http_req, H_Cookie, &hv))
		return (0);
	if (!cookie_find(hv, v->cookie, v->cookie_len, val))
		return (0);
	/* Hashing takes NUL-terminated strings. */
	copy = WS_Alloc(ctx->ws, (unsigned)val->len + 1);
	if (copy == NULL)
		return (-1);
	memcpy(copy, val->p, val->len);
	copy[val->len] = '\0';
	val->p = copy;
	return (0);
}

/*
 * Once a second at most, say where each variant dimension comes from,
 * so that stoked can replay it.  Not at vcl_init: that record would go
 * to no request's log, and a stoked started later would never see it.
 */
static void
dims_record(VRT_CTX, struct stoke_cfg *cfg)
{
	const struct stoke_variant *v;
	uint64_t now_ms, due;
	struct rec r[1];
	unsigned i;

	now_ms = (uint64_t)(ctx->now * 1e3);
	due = __atomic_load_n(&cfg->dims_next, __ATOMIC_RELAXED);
	if (now_ms < due ||
	    !__atomic_compare_exchange_n(&cfg->dims_next, &due, now_ms + 1000,
	        0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	REC_BEGIN(ctx, r, "dims");
	for (i = 0; i < cfg->nvariant; i++) {
		v = &cfg->variant[i];
		rec_open(r, v->name);
		if (v->hdr[0] != '\0') {
			rec_append(r, "header:", 7);
			rec_append(r, v->hdr + 1, (size_t)v->hdr[0] - 1);
		} else {
			rec_append(r, "cookie:", 7);
			rec_append(r, v->cookie, v->cookie_len);
		}
		if (v->hash)
			rec_append(r, ":key", 4);
		rec_close(r);
	}
	REC_END(ctx, r);
}

VCL_VOID
vmod_hash(VRT_CTX, struct vmod_priv *priv_vcl, struct vmod_priv *priv_task)
{
	const struct stoke_cfg *cfg;
	const struct stoke_variant *v;
	struct stoke_task *task;
	const char *p[3];
	struct strands s;
	struct rec r[1];
	unsigned i;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (ctx->method != VCL_MET_HASH) {
		VRT_fail(ctx, "stoke.hash() is only allowed in vcl_hash");
		return;
	}
	cfg = cfg_peek(priv_vcl);
	if (cfg == NULL || cfg->nvariant == 0)
		return;
	task = task_get(ctx, priv_task);
	if (task == NULL)
		return;
	task->cfg = cfg;
	task->nvalue = 0;
	s.p = p;
	for (i = 0; i < cfg->nvariant; i++) {
		v = &cfg->variant[i];
		/*
		 * Without the value the object would be shared between
		 * variants: better to fail this one request.
		 */
		if (variant_value(ctx, v, &task->value[i]) != 0) {
			VRT_fail(ctx, "stoke.hash(): out of workspace");
			return;
		}
		task->nvalue = i + 1;
		if (!v->hash)
			continue;
		/* "name=value" or "name!" keeps absent apart from empty. */
		p[0] = v->name;
		p[1] = task->value[i].p == NULL ? "!" : "=";
		p[2] = task->value[i].p == NULL ? "" : task->value[i].p;
		s.n = 3;
		VRT_hashdata(ctx, &s);
	}
	STOKE_INC(variants);
	REC_BEGIN(ctx, r, "variant");
	rec_variants(r, task, 0);
	REC_END(ctx, r);
	/* The one writable field of the VCL's configuration. */
	dims_record(ctx, (struct stoke_cfg *)(uintptr_t)cfg);
}

/*--------------------------------------------------------------------
 * Warm requests
 */

VCL_BOOL
vmod_is_warm(VRT_CTX, struct vmod_priv *priv_vcl, struct vmod_priv *priv_task,
    VCL_STRING header)
{
	const struct stoke_cfg *cfg;
	struct stoke_task *task;
	char hdr[STOKE_HDR_NAME_MAX + 3];
	const char *val = NULL, *host = NULL;
	enum warm_result res;
	struct warm_hdr wh;
	struct rec r[1];

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!client_side(ctx, "is_warm"))
		return (0);
	task = task_get(ctx, priv_task);
	if (task == NULL)
		return (0);
	if (task->warm_checked)
		return (task->warm_ok);
	/*
	 * An ESI subrequest starts from the top request's original
	 * headers, so it carries the warm header for another URL.  Its
	 * fragments are fetched when missing anyway; forcing them would
	 * fetch a shared fragment again for every page warmed.
	 */
	if (VRT_r_req_esi_level(ctx) > 0) {
		task->warm_checked = 1;
		return (0);
	}
	if (!name_valid(header, STOKE_HDR_NAME_MAX, 1)) {
		stoke_error(ctx, "is_warm", "bad header name", "header",
		    header);
		return (0);
	}
	task->warm_checked = 1;
	hdr_make(hdr, sizeof hdr, header);
	if (!http_GetHdr(ctx->http_req, hdr, &val))
		return (0);
	(void)http_GetHdr(ctx->http_req, H_Host, &host);

	cfg = cfg_peek(priv_vcl);
	res = warm_sig_verify(cfg == NULL ? NULL : cfg->key,
	    cfg == NULL ? 0 : cfg->keylen, cfg == NULL ? 0 : cfg->window,
	    ctx->now, VRT_r_req_method(ctx), host == NULL ? "" : host,
	    VRT_r_req_url(ctx), val, &wh);

	REC_BEGIN(ctx, r, "warm");
	rec_str(r, "result", warm_result_name(res));
	if (wh.id != NULL)
		rec_strn(r, "id", wh.id, wh.id_len);
	REC_END(ctx, r);

	if (res != WARM_OK) {
		STOKE_INC(warm_refused);
		return (0);
	}
	task->warm_id = WS_Printf(ctx->ws, "%.*s", (int)wh.id_len, wh.id);
	if (task->warm_id == NULL) {
		VRT_fail(ctx, "stoke.is_warm(): out of workspace");
		return (0);
	}
	task->warm_ok = 1;
	STOKE_INC(warm_ok);
	return (1);
}

VCL_STRING
vmod_warm_id(VRT_CTX, struct vmod_priv *priv_task)
{
	const struct stoke_task *task;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	AN(priv_task);
	if (priv_task->priv == NULL)
		return ("");
	CAST_OBJ_NOTNULL(task, priv_task->priv, STOKE_TASK_MAGIC);
	return (task->warm_ok ? task->warm_id : "");
}

/*--------------------------------------------------------------------
 * What the cache loses
 */

static const struct stoke_task *
task_peek(const struct vmod_priv *priv)
{
	const struct stoke_task *task;

	AN(priv);
	if (priv->priv == NULL)
		return (NULL);
	CAST_OBJ_NOTNULL(task, priv->priv, STOKE_TASK_MAGIC);
	return (task);
}

VCL_VOID
vmod_log_miss(VRT_CTX, struct vmod_priv *priv_task)
{
	struct rec r[1];

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!client_side(ctx, "log_miss"))
		return;
	STOKE_INC(misses);
	REC_BEGIN(ctx, r, "miss");
	rec_request(ctx, r);
	rec_variants(r, task_peek(priv_task), 0);
	REC_END(ctx, r);
}

static void
purge_record(VRT_CTX, struct vmod_priv *priv_vcl, struct vmod_priv *priv_task,
    VCL_ENUM how, VCL_INT count)
{
	struct rec r[1];

	STOKE_INC(purges);
	REC_BEGIN(ctx, r, "purge");
	rec_str(r, "how", how_name(how));
	rec_request(ctx, r);
	if (count >= 0)
		rec_int(r, "n", count);
	/* A purge takes every Vary variant: only the key's inputs count. */
	rec_variants(r, task_peek(priv_task), 1);
	REC_END(ctx, r);
	bell_later(ctx, priv_vcl);
}

VCL_VOID
vmod_log_purge(VRT_CTX, struct vmod_priv *priv_vcl, struct vmod_priv *priv_task,
    VCL_ENUM how, VCL_INT count)
{
	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (!client_side(ctx, "log_purge"))
		return;
	purge_record(ctx, priv_vcl, priv_task, how, count < 0 ? -1 : count);
}

VCL_INT
vmod_purge(VRT_CTX, struct vmod_priv *priv_vcl, struct vmod_priv *priv_task,
    VCL_ENUM how, VCL_DURATION ttl, VCL_DURATION grace, VCL_DURATION keep)
{
	VCL_INT n;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if ((ctx->method & (VCL_MET_HIT | VCL_MET_MISS)) == 0) {
		VRT_fail(ctx,
		    "stoke.purge() is only allowed in vcl_hit and "
		    "vcl_miss");
		return (0);
	}
	if (how == VENUM(soft))
		n = VRT_purge(ctx, ttl, grace, keep);
	else
		n = VRT_purge(ctx, 0, 0, 0);
	STOKE_ADD(purged_objects, (uint64_t)(n > 0 ? n : 0));
	purge_record(ctx, priv_vcl, priv_task, how, n);
	return (n);
}

VCL_BOOL
vmod_ban(VRT_CTX, struct vmod_priv *priv_vcl, VCL_STRING expr)
{
	const char *err;
	struct rec r[1];

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	if (expr == NULL || *expr == '\0') {
		stoke_error(ctx, "ban", "empty ban expression", NULL, NULL);
		return (0);
	}
	if (strlen(expr) > STOKE_BAN_MAX) {
		stoke_error(ctx, "ban", "ban expression over 8 KiB", NULL,
		    NULL);
		return (0);
	}
	err = VRT_ban_string(ctx, expr);
	if (err != NULL) {
		stoke_error(ctx, "ban", err, "expr", expr);
		return (0);
	}
	STOKE_INC(bans);
	REC_BEGIN(ctx, r, "ban");
	rec_str(r, "expr", expr);
	REC_END(ctx, r);
	bell_later(ctx, priv_vcl);
	return (1);
}

/*
 * A long tag list is split over as many records as it takes, each one
 * whole, rather than cut: a lost tag is an object never re-warmed.
 * Both passes below must split the same way: tags_fits() decides.
 */
#define TAGS_OVERHEAD                                                          \
	(sizeof "stoke/1 tags how=hard n=-9223372036854775808 part=256/256 "   \
	        "tags=")

static size_t
tags_budget(void)
{
	size_t reclen = cache_param->vsl_reclen;

	/* A tiny vsl_reclen gets cut records, but not an endless loop. */
	return (reclen > TAGS_OVERHEAD + 16 ? reclen - TAGS_OVERHEAD : 16);
}

static int
tags_fits(size_t used, size_t enc, size_t budget)
{
	return (used == 0 || used + 1 + enc <= budget);
}

static unsigned
tags_parts(const char *tags, size_t budget)
{
	const char *p = tags, *t;
	size_t len, enc, used = 0;
	unsigned parts = 1;

	while ((t = tag_list_next(&p, &len)) != NULL) {
		enc = rec_encode(NULL, 0, t, len);
		if (!tags_fits(used, enc, budget)) {
			parts++;
			used = 0;
		}
		used += (used > 0 ? 1 : 0) + enc;
	}
	return (parts);
}

static void
tags_record(VRT_CTX, VCL_ENUM how, VCL_INT count, unsigned part, unsigned parts,
    const char *b, const char *e)
{
	const char *p = b, *t;
	struct rec r[1];
	char pv[16];
	size_t len;
	unsigned n = 0;

	REC_BEGIN(ctx, r, "tags");
	rec_str(r, "how", how_name(how));
	if (count >= 0)
		rec_int(r, "n", count);
	if (parts > 1) {
		snprintf(pv, sizeof pv, "%u/%u", part, parts);
		rec_str(r, "part", pv);
	}
	rec_open(r, "tags");
	while ((t = tag_list_next(&p, &len)) != NULL && t < e) {
		if (n++ > 0)
			rec_append(r, ",", 1);
		rec_append(r, t, len);
	}
	rec_close(r);
	REC_END(ctx, r);
}

VCL_VOID
vmod_log_tags(VRT_CTX, struct vmod_priv *priv_vcl, VCL_STRING tags,
    VCL_ENUM how, VCL_INT count)
{
	const char *why, *p, *t, *b;
	size_t len, enc, used, budget;
	unsigned part, parts;
	int n;

	CHECK_OBJ_NOTNULL(ctx, VRT_CTX_MAGIC);
	n = tag_list_check(tags, &why);
	if (n < 0) {
		stoke_error(ctx, "log_tags", why, NULL, NULL);
		return;
	}
	STOKE_INC(tag_invalidations);
	STOKE_ADD(tags, (uint64_t)n);

	budget = tags_budget();
	parts = tags_parts(tags, budget);
	p = b = tags;
	used = 0;
	part = 1;
	while ((t = tag_list_next(&p, &len)) != NULL) {
		enc = rec_encode(NULL, 0, t, len);
		if (!tags_fits(used, enc, budget)) {
			tags_record(ctx, how, count, part++, parts, b, t);
			b = t;
			used = 0;
		}
		used += (used > 0 ? 1 : 0) + enc;
	}
	tags_record(ctx, how, count, part, parts, b, p);
	assert(part == parts);
	bell_later(ctx, priv_vcl);
}
