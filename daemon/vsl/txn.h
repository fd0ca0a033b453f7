/*
 * One VSL transaction boiled down to what stoked needs: for a client
 * request, what it asked for and how the cache answered; for a backend
 * fetch, what came back and how long Varnish keeps it.
 *
 * A transaction is parsed one record at a time, as its records reach
 * the log (txn_begin, txn_record for each, txn_end), interleaved with
 * other transactions'.  Strings are copied at once into the
 * transaction's own arena: the log may overwrite a record any time
 * after it was read.
 */

#ifndef STOKE_TXN_H
#define STOKE_TXN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* vapi/vsl.h needs FILE */

#include "vapi/vsl.h"

#define TXN_MAX_RECS 32
#define TXN_MAX_HDRS 8
#define TXN_MAX_REQHDRS 48

/*
 * Strings that live as long as their transaction: chunks that grow up to
 * a bound, so that pointers into them stay valid while more is added.
 * buf/size/used describe the chunk being filled.
 */
struct arena_chunk;

struct arena {
	char *buf;
	size_t size;
	size_t used;
	size_t total; /* bytes in all chunks */
	size_t limit; /* what total may grow to; 0: one chunk only */
	struct arena_chunk *chunk; /* buf's; those filled before, behind it */
	uint64_t overflows;
	/* Nuked objects' vxids. */
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

/*
 * What a response header is to stoked, by its name (any case): tags,
 * kept for bans to test, and those read for what they say.
 */
#define TXN_H_TAG 0x01 /* cache tags, as xkey and Symfony/Shopware send */
#define TXN_H_KEEP 0x02 /* kept in hdr_name/hdr_val */
#define TXN_H_VARY 0x04
#define TXN_H_CC 0x08 /* Cache-Control */
#define TXN_H_COOKIE 0x10 /* Set-Cookie */
typedef unsigned txn_hdr_f(const char *name, size_t len);

struct txn_conf {
	txn_hdr_f *resp_hdr; /* TXN_H_* of a response header */
};

/*
 * The records each side reads, by tag: TXN_CLIENT, TXN_BACKEND, and
 * TXN_CLIENT_HIT for those only a hit reads.  A transaction has some 35
 * records, most of them of no interest, and those are skipped on their
 * tag alone, before anything else is done.
 */
#define TXN_CLIENT 0x01
#define TXN_BACKEND 0x02
#define TXN_CLIENT_HIT 0x04
extern const unsigned char txn_tag_side[SLT__MAX];

struct txn {
	unsigned magic;
#define TXN_MAGIC 0x3b1f09d4
	uint32_t vxid;
	uint32_t parent;
	unsigned is_bereq;
	unsigned side; /* TXN_CLIENT (| TXN_CLIENT_HIT) or TXN_BACKEND */
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
	unsigned nrec; /* stoke/1 VCL_Log lines, in rec[] */

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
	size_t tags_len; /* strlen(tags) */
	unsigned nhdr; /* kept response headers, in hdr_name/hdr_val */

	/*
	 * Objects Varnish evicted to make room for this transaction's
	 * (ExpKill LRU), by vxid: nuke[0 .. nnuke), set by txn_end().
	 * One fetch may nuke any number.
	 */
	const uint32_t *nuke;
	size_t nnuke;

	/*
	 * The request's headers (the client's, or the backend request's),
	 * for the Vary part of the cache key.
	 */
	unsigned nreqhdr;

	/* While parsing: the URL and host when the cache was looked up. */
	const char *hash_url;
	const char *hash_host;

	/*
	 * The arrays, last: txn_begin() clears what is above, these are
	 * valid up to their counts.
	 */
	const char *rec[TXN_MAX_RECS];
	size_t rec_len[TXN_MAX_RECS];
	const char *hdr_name[TXN_MAX_HDRS];
	const char *hdr_val[TXN_MAX_HDRS];
	const char *reqhdr_name[TXN_MAX_REQHDRS];
	const char *reqhdr_val[TXN_MAX_REQHDRS];
	size_t reqhdr_nlen[TXN_MAX_REQHDRS];
};

/* What stoked keeps: xkey's and Symfony/Shopware's tags, bans' fields. */
extern const struct txn_conf txn_conf_stoke;

/* size: the first chunk; limit: what all chunks may add up to. */
void arena_init(struct arena *, size_t size, size_t limit);
/* Empty again, the first chunk kept. */
void arena_reset(struct arena *);
void arena_fini(struct arena *);

/* Starts afresh on an empty arena, for the transaction's strings. */
void txn_begin(struct txn *, struct arena *, uint32_t vxid, uint32_t parent,
    enum VSL_transaction_e, enum VSL_reason_e);
/*
 * One record of the transaction's, Begin and End included or not.  The
 * caller may skip those txn_tag_side[] says are not for t->side.
 */
void txn_record(struct txn *, struct arena *, const uint32_t *rec,
    const struct txn_conf *);
/* All records seen (or all there will be): the transaction as it ended. */
void txn_end(struct txn *, const struct arena *);

#endif
