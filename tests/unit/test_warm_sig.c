/*
 * Unit tests for warm_sig.c: the signed Stoke-Warm header.  Known-answer
 * HMAC-SHA256 vectors (computed with the openssl command line, see each
 * vector), the header format, verification against every input the
 * signature covers, the time window, and the strict header grammar.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto/warm_sig.h"
#include "unit.h"

#define KEY "0123456789abcdef"
#define KEYLEN (sizeof KEY - 1)
#define T0 1700000000
/*
 * printf 'stoke-warm/1\nGET\nexample.com\n/x\n1700000000\nabc' |
 *     openssl dgst -sha256 -hmac 0123456789abcdef
 */
#define SIG0 "d85d97a375a580b49386f3d17dbff14d0338c6140aaa659809d57f90079e6fe7"
#define HDR0 "1;t=1700000000;id=abc;sig=" SIG0

/*--------------------------------------------------------------------
 * warm_sig_compute
 */

static void
test_known_answers(void)
{
	/* printf 'stoke-warm/1\nHEAD\nh\n/\n9223372036854775807\nx...x' |
	 *     openssl dgst -sha256 -mac HMAC \
	 *     -macopt hexkey:00010203040506070008090a0b0c0d0e0f00
	 * with 64 x */
	static const unsigned char binkey[18] = { 0x00, 0x01, 0x02, 0x03, 0x04,
		0x05, 0x06, 0x07, 0x00, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
		0x0e, 0x0f, 0x00 };
	static const char id64[] =
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	char hex[WARM_SIG_HEX_LEN + 1];

	CHECK_INT_EQ(sizeof id64 - 1, 64);

	memset(hex, 'Z', sizeof hex);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, "abc", 3, hex),
	    0);
	CHECK_STR_EQ(hex, SIG0);

	/*
	 * printf 'stoke-warm/1\nPURGE\nshop.example.org:8080\n'\
	 *     '/a%%20b?q=1&x=%%C3%%A9\n0\nA-z_0.9' |
	 *     openssl dgst -sha256 -hmac 'another secret key of 32 bytes!!'
	 */
	memset(hex, 'Z', sizeof hex);
	CHECK_INT_EQ(warm_sig_compute("another secret key of 32 bytes!!", 32,
	                 "PURGE", "shop.example.org:8080",
	                 "/a%20b?q=1&x=%C3%A9", 0, "A-z_0.9", 7, hex),
	    0);
	CHECK_STR_EQ(hex,
	    "0f88a59d14c067d7b63fed5c3f4365abbfe5deac1fdb4052cd69feb27682bbb3");

	/* A key with NUL bytes, the largest time, a 64 character id */
	memset(hex, 'Z', sizeof hex);
	CHECK_INT_EQ(warm_sig_compute(binkey, sizeof binkey, "HEAD", "h", "/",
	                 INT64_MAX, id64, 64, hex),
	    0);
	CHECK_STR_EQ(hex,
	    "a55205cf3a1adece0f08eb2b8956306f7e9ce9cd1905c351a6580fbd85de1e75");

	/* id_len, not the NUL, ends the id */
	memset(hex, 'Z', sizeof hex);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, "abcdef", 3, hex),
	    0);
	CHECK_STR_EQ(hex, SIG0);

	/* A key that is only a prefix is another key */
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN - 1, "GET", "example.com",
	                 "/x", T0, "abc", 3, hex),
	    0);
	CHECK(strcmp(hex, SIG0) != 0);
}

static void
test_compute_refuses(void)
{
	char hex[WARM_SIG_HEX_LEN + 1];
	char id65[66];

	memset(id65, 'a', 65);
	id65[65] = '\0';
	CHECK_INT_EQ(warm_sig_compute(NULL, KEYLEN, "GET", "h", "/", T0, "a", 1,
	                 hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, 0, "GET", "h", "/", T0, "a", 1, hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, NULL, "h", "/", T0, "a", 1,
	                 hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", NULL, "/", T0, "a", 1,
	                 hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "h", NULL, T0, "a", 1,
	                 hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "h", "/", T0, "", 0,
	                 hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "h", "/", T0, id65,
	                 65, hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "h", "/", T0, id65,
	                 64, hex),
	    0);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "h", "/", T0, "a b",
	                 3, hex),
	    -1);
	CHECK_INT_EQ(warm_sig_compute(KEY, KEYLEN, "GET", "h", "/", T0, "a;b",
	                 3, hex),
	    -1);
}

/*--------------------------------------------------------------------
 * warm_sig_header
 */

static int
all_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

static void
test_header(void)
{
	char buf[WARM_HDR_MAX], id64[65], id65[66];
	const char *sig;

	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, "abc", buf, sizeof buf),
	    0);
	CHECK_STR_EQ(buf, HDR0);

	/* Only just fits; one byte short does not. */
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, "abc", buf, sizeof HDR0),
	    0);
	CHECK_STR_EQ(buf, HDR0);
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, "abc", buf, sizeof HDR0 - 1),
	    -1);

	/* The longest header there can be fits WARM_HDR_MAX. */
	memset(id64, 'Z', 64);
	id64[64] = '\0';
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "h", "/", INT64_MIN,
	                 id64, buf, sizeof buf),
	    0);
	CHECK_INT_EQ(strlen(buf),
	    strlen("1;t=-9223372036854775808;id=;sig=") + 64 + 64);
	CHECK(strncmp(buf, "1;t=-9223372036854775808;id=ZZZZ", 32) == 0);
	sig = strstr(buf, ";sig=");
	CHECK(sig != NULL);
	if (sig != NULL) {
		sig += 5;
		CHECK_INT_EQ(strlen(sig), 64);
		CHECK(all_lower_hex(sig, 64));
	}

	/* Refused ids and keys */
	memset(id65, 'a', 65);
	id65[65] = '\0';
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "h", "/", T0, id65,
	                 buf, sizeof buf),
	    -1);
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "h", "/", T0, "", buf,
	                 sizeof buf),
	    -1);
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "h", "/", T0, NULL,
	                 buf, sizeof buf),
	    -1);
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "h", "/", T0, "a/b",
	                 buf, sizeof buf),
	    -1);
	CHECK_INT_EQ(warm_sig_header(NULL, 0, "GET", "h", "/", T0, "a", buf,
	                 sizeof buf),
	    -1);
}

/*--------------------------------------------------------------------
 * warm_sig_verify
 */

static enum warm_result
verify(const char *key, double window, double now, const char *method,
    const char *host, const char *url, const char *hdr)
{
	struct warm_hdr h;

	return (warm_sig_verify(key, key == NULL ? 0 : strlen(key), window, now,
	    method, host, url, hdr, &h));
}

#define V_OK(hdr, now) verify(KEY, 30, (now), "GET", "example.com", "/x", (hdr))

static void
test_verify(void)
{
	char buf[WARM_HDR_MAX], id1[2], id64[65];
	struct warm_hdr h;
	enum warm_result r;

	memset(&h, 0xa5, sizeof h);
	r = warm_sig_verify(KEY, KEYLEN, 30, T0, "GET", "example.com", "/x",
	    HDR0, &h);
	CHECK_INT_EQ(r, WARM_OK);
	CHECK_INT_EQ(h.t, T0);
	CHECK_INT_EQ(h.id_len, 3);
	CHECK(h.id == HDR0 + strlen("1;t=1700000000;id="));
	CHECK(h.sig != NULL && strcmp(h.sig, SIG0) == 0);

	/* Every input is covered by the signature. */
	CHECK_INT_EQ(verify("0123456789abcdeF", 30, T0, "GET", "example.com",
	                 "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify("0123456789abcde", 30, T0, "GET", "example.com",
	                 "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify("0123456789abcdef0", 30, T0, "GET", "example.com",
	                 "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "HEAD", "example.com", "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "get", "example.com", "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "example.org", "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "Example.com", "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "example.com:80", "/x", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "example.com", "/x?", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "example.com", "/X", HDR0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "example.com", "", HDR0),
	    WARM_BAD_SIGNATURE);
	/* Moving the separator between fields changes the signature. */
	CHECK_INT_EQ(verify(KEY, 30, T0, "GET", "example.com\n/x", "", HDR0),
	    WARM_BAD_SIGNATURE);
	/* Another id or time with the same signature */
	CHECK_INT_EQ(V_OK("1;t=1700000000;id=abd;sig=" SIG0, T0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(V_OK("1;t=1700000000;id=ab;sig=" SIG0, T0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(V_OK("1;t=1700000000;id=abcd;sig=" SIG0, T0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(V_OK("1;t=1700000001;id=abc;sig=" SIG0, T0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(V_OK("1;t=1699999999;id=abc;sig=" SIG0, T0),
	    WARM_BAD_SIGNATURE);
	/* One signature digit off, first and last */
	CHECK_INT_EQ(V_OK("1;t=1700000000;id=abc;sig=e"
	                  "85d97a375a580b49386f3d17dbff14d0338c6140aaa659809d57"
	                  "f90079e6fe7",
	                 T0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(V_OK("1;t=1700000000;id=abc;sig="
	                  "d85d97a375a580b49386f3d17dbff14d0338c6140aaa659809d5"
	                  "7f90079e6fe6",
	                 T0),
	    WARM_BAD_SIGNATURE);

	/* ids of 1 and 64 characters */
	id1[0] = 'Q';
	id1[1] = '\0';
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, id1, buf, sizeof buf),
	    0);
	CHECK_INT_EQ(V_OK(buf, T0), WARM_OK);
	CHECK_INT_EQ(warm_hdr_parse(buf, &h), 0);
	CHECK_INT_EQ(h.id_len, 1);
	memcpy(id64, "aZ09_.-", 7);
	memset(id64 + 7, '.', 57);
	id64[64] = '\0';
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x",
	                 T0, id64, buf, sizeof buf),
	    0);
	CHECK_INT_EQ(V_OK(buf, T0), WARM_OK);
	CHECK_INT_EQ(warm_hdr_parse(buf, &h), 0);
	CHECK_INT_EQ(h.id_len, 64);
	CHECK(h.id != NULL && memcmp(h.id, id64, 64) == 0);

	/* Signed and verified with a key holding NUL bytes */
	CHECK_INT_EQ(warm_sig_header("k\0ey-with-nul-bytes", 19, "GET", "h",
	                 "/", T0, "n", buf, sizeof buf),
	    0);
	CHECK_INT_EQ(warm_sig_verify("k\0ey-with-nul-bytes", 19, 30, T0, "GET",
	                 "h", "/", buf, &h),
	    WARM_OK);
	CHECK_INT_EQ(warm_sig_verify("k\0ey-with-nul-bytez", 19, 30, T0, "GET",
	                 "h", "/", buf, &h),
	    WARM_BAD_SIGNATURE);
}

static void
test_window(void)
{
	char buf[WARM_HDR_MAX];

	/* Inside, at the edge and outside the window, both ways */
	CHECK_INT_EQ(V_OK(HDR0, T0 + 29.999), WARM_OK);
	CHECK_INT_EQ(V_OK(HDR0, T0 + 30), WARM_OK);
	CHECK_INT_EQ(V_OK(HDR0, T0 - 30), WARM_OK);
	CHECK_INT_EQ(V_OK(HDR0, T0 + 30.001), WARM_EXPIRED);
	CHECK_INT_EQ(V_OK(HDR0, T0 - 30.001), WARM_EXPIRED);
	CHECK_INT_EQ(V_OK(HDR0, T0 + 31), WARM_EXPIRED);
	CHECK_INT_EQ(V_OK(HDR0, T0 - 31), WARM_EXPIRED);
	CHECK_INT_EQ(V_OK(HDR0, T0 + 86400), WARM_EXPIRED);
	CHECK_INT_EQ(V_OK(HDR0, 0), WARM_EXPIRED);

	/* Other windows */
	CHECK_INT_EQ(verify(KEY, 1, T0 + 1, "GET", "example.com", "/x", HDR0),
	    WARM_OK);
	CHECK_INT_EQ(verify(KEY, 1, T0 - 1.5, "GET", "example.com", "/x", HDR0),
	    WARM_EXPIRED);
	CHECK_INT_EQ(verify(KEY, 3600, T0 - 3600, "GET", "example.com", "/x",
	                 HDR0),
	    WARM_OK);
	CHECK_INT_EQ(verify(KEY, 3600, T0 + 3601, "GET", "example.com", "/x",
	                 HDR0),
	    WARM_EXPIRED);
	CHECK_INT_EQ(verify(KEY, 0, T0, "GET", "example.com", "/x", HDR0),
	    WARM_OK);

	/* Far-off times do not overflow into the window */
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x",
	                 INT64_MAX, "abc", buf, sizeof buf),
	    0);
	CHECK_INT_EQ(V_OK(buf, T0), WARM_EXPIRED);
	CHECK_INT_EQ(V_OK(buf, 9223372036854775807.0), WARM_OK);
	CHECK_INT_EQ(warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x", 0,
	                 "abc", buf, sizeof buf),
	    0);
	CHECK(strncmp(buf, "1;t=0;id=abc;sig=", 17) == 0);
	CHECK_INT_EQ(V_OK(buf, 0), WARM_OK);
	CHECK_INT_EQ(V_OK(buf, T0), WARM_EXPIRED);

	/* A bad signature within the window is not expired, and v.v. */
	CHECK_INT_EQ(V_OK("1;t=1700000010;id=abc;sig=" SIG0, T0),
	    WARM_BAD_SIGNATURE);
	CHECK_INT_EQ(V_OK("1;t=1700000010;id=abc;sig=" SIG0, T0 + 10),
	    WARM_BAD_SIGNATURE);
}

static void
test_no_secret(void)
{
	struct warm_hdr h;

	CHECK_INT_EQ(warm_sig_verify(NULL, 0, 30, T0, "GET", "example.com",
	                 "/x", HDR0, &h),
	    WARM_NO_SECRET);
	CHECK_INT_EQ(warm_sig_verify(NULL, KEYLEN, 30, T0, "GET", "example.com",
	                 "/x", HDR0, &h),
	    WARM_NO_SECRET);
	CHECK_INT_EQ(warm_sig_verify(KEY, 0, 30, T0, "GET", "example.com", "/x",
	                 HDR0, &h),
	    WARM_NO_SECRET);
	/* Also when the header is old: there is nothing to check it with */
	CHECK_INT_EQ(warm_sig_verify(NULL, 0, 30, T0 + 1000, "GET",
	                 "example.com", "/x", HDR0, &h),
	    WARM_NO_SECRET);
}

/*--------------------------------------------------------------------
 * The header grammar
 */

#define SIG63 "d85d97a375a580b49386f3d17dbff14d0338c6140aaa659809d57f90079e6fe"
#define ID65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_malformed(void)
{
	static const char *bad[] = {
		"",
		"1",
		"1;",
		"1;t=",
		"1;t=1700000000",
		"1;t=1700000000;",
		"1;t=1700000000;id=abc",
		"1;t=1700000000;id=abc;",
		"1;t=1700000000;id=abc;sig=",
		"1;t=1700000000;sig=" SIG0,
		"1;id=abc;sig=" SIG0,
		"1;t=1700000000;id=;sig=" SIG0,
		"t=1700000000;id=abc;sig=" SIG0,
		";t=1700000000;id=abc;sig=" SIG0,
		"2;t=1700000000;id=abc;sig=" SIG0,
		"11;t=1700000000;id=abc;sig=" SIG0,
		/* out of order */
		"1;id=abc;t=1700000000;sig=" SIG0,
		"1;t=1700000000;sig=" SIG0 ";id=abc",
		"1;sig=" SIG0 ";t=1700000000;id=abc",
		/* duplicated */
		"1;t=1700000000;t=1700000000;id=abc;sig=" SIG0,
		"1;t=1700000000;id=abc;id=abc;sig=" SIG0,
		/* upper case field names or hex */
		"1;T=1700000000;id=abc;sig=" SIG0,
		"1;t=1700000000;ID=abc;sig=" SIG0,
		"1;t=1700000000;id=abc;SIG=" SIG0,
		"1;t=1700000000;id=abc;sig="
		"D85D97A375A580B49386F3D17DBFF14D0338C6140AAA659809D57F90079E6F"
		"E7",
		"1;t=1700000000;id=abc;sig="
		"d85d97a375a580b49386f3d17dbff14d0338c6140aaa659809d57f90079e6f"
		"E7",
		/* 63 and 65 hex digits, non-hex */
		"1;t=1700000000;id=abc;sig=" SIG63,
		"1;t=1700000000;id=abc;sig=" SIG0 "0",
		"1;t=1700000000;id=abc;sig=" SIG63 "g",
		"1;t=1700000000;id=abc;sig=0x" SIG63,
		/* trailing junk */
		"1;t=1700000000;id=abc;sig=" SIG0 ";",
		"1;t=1700000000;id=abc;sig=" SIG0 ";x=1",
		"1;t=1700000000;id=abc;sig=" SIG0 " ",
		"1;t=1700000000;id=abc;sig=" SIG0 "\n",
		"1;t=1700000000;id=abc;sig=" SIG0 "\r\n",
		"1;t=1700000000;id=abc;sig=" SIG0 ",1;t=1",
		/* spaces anywhere */
		" 1;t=1700000000;id=abc;sig=" SIG0,
		"1 ;t=1700000000;id=abc;sig=" SIG0,
		"1; t=1700000000;id=abc;sig=" SIG0,
		"1;t= 1700000000;id=abc;sig=" SIG0,
		"1;t=1700000000 ;id=abc;sig=" SIG0,
		"1;t=1700000000; id=abc;sig=" SIG0,
		"1;t=1700000000;id= abc;sig=" SIG0,
		"1;t=1700000000;id=abc ;sig=" SIG0,
		"1;t=1700000000;id=abc; sig=" SIG0,
		"1;t=1700000000;id=abc;sig= " SIG0,
		"1;t=1700000000;id=a bc;sig=" SIG0,
		"1;t=1700000000;id=abc;sig=\t" SIG0,
		/* other separators */
		"1,t=1700000000,id=abc,sig=" SIG0,
		"1;t:1700000000;id=abc;sig=" SIG0,
		/* ids: too long, bad characters */
		"1;t=1700000000;id=" ID65 ";sig=" SIG0,
		"1;t=1700000000;id=a/b;sig=" SIG0,
		"1;t=1700000000;id=a;b;sig=" SIG0,
		"1;t=1700000000;id=a=b;sig=" SIG0,
		"1;t=1700000000;id=a%20b;sig=" SIG0,
		"1;t=1700000000;id=a+b;sig=" SIG0,
		"1;t=1700000000;id=a:b;sig=" SIG0,
		"1;t=1700000000;id=\xc3\xa9;sig=" SIG0,
		"1;t=1700000000;id=ab\x01;sig=" SIG0,
		/* times */
		"1;t=-1700000000;id=abc;sig=" SIG0,
		"1;t=-1;id=abc;sig=" SIG0,
		"1;t=+1700000000;id=abc;sig=" SIG0,
		"1;t=abc;id=abc;sig=" SIG0,
		"1;t=1e9;id=abc;sig=" SIG0,
		"1;t=1700000000.5;id=abc;sig=" SIG0,
		"1;t=0x10;id=abc;sig=" SIG0,
		"1;t=1700000000x;id=abc;sig=" SIG0,
		"1;t=17000000000000000000;id=abc;sig=" SIG0,
		"1;t=123456789012345678901234567890;id=abc;sig=" SIG0,
		"1;t=00000000001700000000;id=abc;sig=" SIG0,
		"1;t=9223372036854775808;id=abc;sig=" SIG0,
		"1;t=9999999999999999999;id=abc;sig=" SIG0,
	};
	struct warm_hdr h;
	unsigned i;
	size_t n;
	char withnul[sizeof HDR0 + 1];

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&h, 0xa5, sizeof h);
		if (!CHECK_INT_EQ(warm_hdr_parse(bad[i], &h), -1))
			fprintf(stderr, "\theader \"%s\"\n", bad[i]);
		/* No signature is handed out from a refused header. */
		CHECK(h.sig == NULL);
		if (!CHECK_INT_EQ(V_OK(bad[i], T0), WARM_MALFORMED))
			fprintf(stderr, "\theader \"%s\"\n", bad[i]);
	}
	CHECK_INT_EQ(warm_hdr_parse(NULL, &h), -1);
	CHECK_INT_EQ(V_OK(NULL, T0), WARM_MALFORMED);

	/* Every proper prefix of a good header is malformed. */
	for (n = 0; n < sizeof HDR0 - 1; n++) {
		memcpy(withnul, HDR0, n);
		withnul[n] = '\0';
		if (!CHECK_INT_EQ(warm_hdr_parse(withnul, &h), -1))
			fprintf(stderr, "\tprefix \"%s\"\n", withnul);
	}

	/* Malformed takes precedence over a missing secret. */
	CHECK_INT_EQ(verify(NULL, 30, T0, "GET", "example.com", "/x",
	                 "1;t=1700000000;id=abc;sig=" SIG63),
	    WARM_MALFORMED);

	/* The good ones parse */
	CHECK_INT_EQ(warm_hdr_parse(HDR0, &h), 0);
	CHECK_INT_EQ(h.t, T0);
	CHECK_INT_EQ(warm_hdr_parse("1;t=9223372036854775807;id=abc;sig=" SIG0,
	                 &h),
	    0);
	CHECK_INT_EQ(h.t, INT64_MAX);
	CHECK_INT_EQ(warm_hdr_parse("1;t=0;id=abc;sig=" SIG0, &h), 0);
	CHECK_INT_EQ(h.t, 0);
}

static void
test_result_names(void)
{
	CHECK_STR_EQ(warm_result_name(WARM_OK), "ok");
	CHECK_STR_EQ(warm_result_name(WARM_MALFORMED), "malformed");
	CHECK_STR_EQ(warm_result_name(WARM_EXPIRED), "expired");
	CHECK_STR_EQ(warm_result_name(WARM_BAD_SIGNATURE), "bad-signature");
	CHECK_STR_EQ(warm_result_name(WARM_NO_SECRET), "no-secret");
	CHECK_STR_EQ(warm_result_name((enum warm_result)99), "unknown");
}

/* Headers made by warm_sig_header() verify, for many ids and times. */
static void
test_roundtrip(void)
{
	static const char idch[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	char buf[WARM_HDR_MAX], id[WARM_ID_MAX + 1];
	struct warm_hdr h;
	unsigned i, j, n, bad = 0;
	uint32_t s = 12345;
	int64_t t;

	for (i = 0; i < 200; i++) {
		n = 1 + i % WARM_ID_MAX;
		for (j = 0; j < n; j++) {
			s = s * 1103515245 + 12345;
			id[j] = idch[(s >> 16) % (sizeof idch - 1)];
		}
		id[n] = '\0';
		t = T0 + (int64_t)i * 7919;
		if (warm_sig_header(KEY, KEYLEN, "GET", "example.com", "/x", t,
		        id, buf, sizeof buf) != 0 ||
		    warm_sig_verify(KEY, KEYLEN, 30, (double)t + 5, "GET",
		        "example.com", "/x", buf, &h) != WARM_OK ||
		    h.t != t || h.id_len != n || memcmp(h.id, id, n) != 0 ||
		    warm_sig_verify(KEY, KEYLEN, 30, (double)t + 5, "POST",
		        "example.com", "/x", buf, &h) != WARM_BAD_SIGNATURE) {
			if (bad++ < 3)
				fprintf(stderr, "\tround trip of %s\n", buf);
		}
	}
	CHECK_INT_EQ(bad, 0);
}

int
main(void)
{
	test_known_answers();
	test_compute_refuses();
	test_header();
	test_verify();
	test_window();
	test_no_secret();
	test_malformed();
	test_result_names();
	test_roundtrip();
	return (unit_done());
}
