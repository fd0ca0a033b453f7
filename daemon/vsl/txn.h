/*
 * One VSL transaction boiled down to what stoked needs: for a client
 * request, what it asked for and how the cache answered; for a backend
 * fetch, what came back and how long Varnish keeps it.  Strings are
 * copied into an arena owned by the caller, because the log records
 * themselves are valid only while the transaction is being dispatched.
 */

#ifndef STOKE_TXN_H
#define STOKE_TXN_H

#include <stddef.h>
#include <stdint.h>

struct VSL_transaction;

#define TXN_MAX_RECS 32
#define TXN_MAX_HDRS 8
#define TXN_MAX_REQHDRS 48

struct arena {
	char *buf;
	size_t size;
	size_t used;
	uint64_t overflows;
	/* Nuked objects' vxids, for all the group's transactions. */
	uint32_t *nuke;
	size_t nnuke;
	size_t anuke;
};

enum txn_handling {
	TXN_NONE = 0,
	TXN_HIT,
	TXN_MISS,
	TXN_PASS,
	TXN_PIPE,
	TXN_SYNTH,
};

enum txn_reason {
	TXN_R_OTHER = 0,
	TXN_R_RXREQ,
	TXN_R_ESI,
	TXN_R_RESTART,
	TXN_R_FETCH,
	TXN_R_BGFETCH,
	TXN_R_PASS,
};

/* Which response headers to keep: tags, and those bans may test. */
struct txn_conf {
	const char *const *tag_hdrs; /* NULL-terminated, lower case */
	const char *const *keep_hdrs; /* NULL-terminated, lower case */
};

struct txn {
	unsigned magic;
#define TXN_MAGIC 0x3b1f09d4
	uint32_t vxid;
	uint32_t parent;
	unsigned is_bereq;
	enum txn_reason reason;

	/* Client request: the URL and host as hashed (at lookup). */
	const char *method;
	const char *url;
	const char *host;
	enum txn_handling handling;
	unsigned purge;
	unsigned hit_for_miss;
	unsigned has_hit;
	uint32_t hit_vxid;
	double hit_ttl, hit_grace, hit_keep;
	int status;
	unsigned nrec;
	const char *rec[TXN_MAX_RECS]; /* stoke/1 VCL_Log lines */
	size_t rec_len[TXN_MAX_RECS];

	/* Backend fetch. */
	unsigned has_ttl;
	unsigned cacheable;
	unsigned fetch_failed;
	double ttl, grace, keep, t_origin;
	double t_start, t_beresp;
	double t_resp; /* a client request's answer, as Varnish logged it */
	uint64_t body_bytes;
	const char *tags; /* all tag headers, separators kept */
	const char *vary; /* the response's Vary header */
	const char *cache_control; /* the origin's, for why not cached */
	unsigned set_cookie; /* the origin set a cookie */
	unsigned nhdr;
	const char *hdr_name[TXN_MAX_HDRS];
	const char *hdr_val[TXN_MAX_HDRS];

	/*
	 * Objects Varnish evicted to make room for this transaction's
	 * (ExpKill LRU), by vxid: the arena's nuke[nuke0 .. nuke0+nnuke).
	 * One fetch may nuke any number.
	 */
	size_t nuke0;
	size_t nnuke;

	/*
	 * The request's headers (the client's, or the backend request's),
	 * for the Vary part of the cache key.
	 */
	unsigned nreqhdr;
	const char *reqhdr_name[TXN_MAX_REQHDRS];
	const char *reqhdr_val[TXN_MAX_REQHDRS];
};

void arena_reset(struct arena *);
void arena_fini(struct arena *);
/* Parse one transaction; consumes its cursor. */
void txn_parse(struct txn *, struct VSL_transaction *, struct arena *,
    const struct txn_conf *);

#endif
