/*
 * Signing and checking warm requests.  The HMAC is OpenSSL's; comparing
 * signatures is constant-time so that timing tells an attacker nothing.
 */

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "warm_sig.h"

#define WARM_SIG_DOMAIN "stoke-warm/1"

const char *
warm_result_name(enum warm_result r)
{
	switch (r) {
	case WARM_OK:
		return ("ok");
	case WARM_MALFORMED:
		return ("malformed");
	case WARM_EXPIRED:
		return ("expired");
	case WARM_BAD_SIGNATURE:
		return ("bad-signature");
	case WARM_NO_SECRET:
		return ("no-secret");
	}
	return ("unknown");
}

static int
id_char(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.');
}

static int
id_valid(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > WARM_ID_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (!id_char(id[i]))
			return (0);
	return (1);
}

static int
hex_lower(char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

/*
 * The grammar is strict on purpose: fields in a fixed order, no spaces,
 * nothing after the signature.  A lenient parser is an attack surface.
 */
static int
hdr_parse(const char *val, struct warm_hdr *h)
{
	const char *p;
	char *end;
	long long t;
	size_t i;

	assert(h != NULL);
	memset(h, 0, sizeof *h);
	if (val == NULL || strncmp(val, "1;t=", 4) != 0)
		return (-1);
	p = val + 4;
	/* One spelling per header: no sign, no leading zero. */
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != ';'))
		return (-1);
	errno = 0;
	t = strtoll(p, &end, 10);
	if (errno != 0 || end - p > 19 || strncmp(end, ";id=", 4) != 0)
		return (-1);
	h->t = t;
	p = end + 4;
	h->id = p;
	while (id_char(*p))
		p++;
	h->id_len = (size_t)(p - h->id);
	if (!id_valid(h->id, h->id_len) || strncmp(p, ";sig=", 5) != 0)
		return (-1);
	p += 5;
	for (i = 0; i < WARM_SIG_HEX_LEN; i++)
		if (!hex_lower(p[i]))
			return (-1);
	if (p[WARM_SIG_HEX_LEN] != '\0')
		return (-1);
	h->sig = p;
	return (0);
}

/* A header that does not parse leaves nothing behind in h. */
int
warm_hdr_parse(const char *val, struct warm_hdr *h)
{
	if (hdr_parse(val, h) == 0)
		return (0);
	memset(h, 0, sizeof *h);
	return (-1);
}

int
warm_sig_compute(const void *key, size_t keylen, const char *method,
    const char *host, const char *url, int64_t t, const char *id, size_t id_len,
    char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen, i;
	char tbuf[24], digest[] = "SHA256";
	EVP_MAC *m;
	EVP_MAC_CTX *c;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int ok;

	assert(hex != NULL);
	if (key == NULL || keylen == 0 || method == NULL || host == NULL ||
	    url == NULL || !id_valid(id, id_len))
		return (-1);
	snprintf(tbuf, sizeof tbuf, "%" PRId64, t);

	m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (m == NULL)
		return (-1);
	c = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (c == NULL)
		return (-1);
	/* OpenSSL's prototype takes char *; it only reads the name. */
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(c, key, keylen, params);
#define FEED(s, l) ok = ok && EVP_MAC_update(c, (const unsigned char *)(s), (l))
	FEED(WARM_SIG_DOMAIN "\n", sizeof WARM_SIG_DOMAIN);
	FEED(method, strlen(method));
	FEED("\n", 1);
	FEED(host, strlen(host));
	FEED("\n", 1);
	FEED(url, strlen(url));
	FEED("\n", 1);
	FEED(tbuf, strlen(tbuf));
	FEED("\n", 1);
	FEED(id, id_len);
#undef FEED
	ok = ok && EVP_MAC_final(c, mac, &outl, sizeof mac);
	EVP_MAC_CTX_free(c);
	maclen = (unsigned)outl;
	if (!ok || maclen * 2 != WARM_SIG_HEX_LEN)
		return (-1);
	for (i = 0; i < maclen; i++) {
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 0xf];
	}
	hex[WARM_SIG_HEX_LEN] = '\0';
	return (0);
}

int
warm_sig_header(const void *key, size_t keylen, const char *method,
    const char *host, const char *url, int64_t t, const char *id, char *buf,
    size_t buflen)
{
	char hex[WARM_SIG_HEX_LEN + 1];
	int n;

	if (id == NULL ||
	    warm_sig_compute(key, keylen, method, host, url, t, id, strlen(id),
	        hex) != 0)
		return (-1);
	n = snprintf(buf, buflen, "1;t=%" PRId64 ";id=%s;sig=%s", t, id, hex);
	if (n < 0 || (size_t)n >= buflen)
		return (-1);
	return (0);
}

enum warm_result
warm_sig_verify(const void *key, size_t keylen, double window, double now,
    const char *method, const char *host, const char *url, const char *hdrval,
    struct warm_hdr *h)
{
	char hex[WARM_SIG_HEX_LEN + 1];

	assert(h != NULL);
	if (warm_hdr_parse(hdrval, h) != 0)
		return (WARM_MALFORMED);
	if (key == NULL || keylen == 0)
		return (WARM_NO_SECRET);
	if (fabs(now - (double)h->t) > window)
		return (WARM_EXPIRED);
	if (warm_sig_compute(key, keylen, method, host, url, h->t, h->id,
	        h->id_len, hex) != 0)
		return (WARM_MALFORMED);
	if (CRYPTO_memcmp(hex, h->sig, WARM_SIG_HEX_LEN) != 0)
		return (WARM_BAD_SIGNATURE);
	return (WARM_OK);
}
