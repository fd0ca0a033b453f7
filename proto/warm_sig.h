/*
 * The warm request header, "Stoke-Warm: 1;t=<unix>;id=<id>;sig=<hex>",
 * signed with HMAC-SHA256 over method, host, URL, time and id.  Shared by
 * vmod_stoke (verifying) and stoked (signing), so both read one spec.
 */

#ifndef STOKE_WARM_SIG_H
#define STOKE_WARM_SIG_H

#include <stddef.h>
#include <stdint.h>

#define WARM_SIG_HEX_LEN 64
#define WARM_ID_MAX 64
#define WARM_KEY_MIN 16
#define WARM_KEY_MAX 4096
/* Big enough for any header warm_sig_header() writes. */
#define WARM_HDR_MAX                                                           \
	(sizeof "1;t=;id=;sig=" + 20 + WARM_ID_MAX + WARM_SIG_HEX_LEN)

enum warm_result {
	WARM_OK = 0,
	WARM_MALFORMED,
	WARM_EXPIRED,
	WARM_BAD_SIGNATURE,
	WARM_NO_SECRET,
};

struct warm_hdr {
	int64_t t;
	const char *id; /* points into the parsed header */
	size_t id_len;
	const char *sig;
};

const char *warm_result_name(enum warm_result);

/* Parse a header value; returns 0, or -1 when it is not well formed. */
int warm_hdr_parse(const char *val, struct warm_hdr *);

/* Writes WARM_SIG_HEX_LEN hex digits and a NUL; returns 0 or -1. */
int warm_sig_compute(const void *key, size_t keylen, const char *method,
    const char *host, const char *url, int64_t t, const char *id, size_t id_len,
    char *hex);

/* Writes a complete header value into buf; returns 0 or -1. */
int warm_sig_header(const void *key, size_t keylen, const char *method,
    const char *host, const char *url, int64_t t, const char *id, char *buf,
    size_t buflen);

enum warm_result warm_sig_verify(const void *key, size_t keylen, double window,
    double now, const char *method, const char *host, const char *url,
    const char *hdrval, struct warm_hdr *);

#endif
