/*
 * variant_replay: a variant sent again as exactly the cookies and
 * headers it stands for, or not at all.
 */

#include "config.h"

#include <string.h>

#include "warm/variant_replay.h"
#include "unit.h"

#define DIMS                                                                   \
	"currency=cookie:sw-currency:key device=header:X-Device "              \
	"lang=cookie:lang"

static char hdr[8][VARIANT_HDR_LEN];
static char err[256];

static int
replay(const char *variant, const char *dims, unsigned max)
{
	memset(hdr, 0, sizeof hdr);
	err[0] = '\0';
	return (variant_replay(variant, dims, hdr, 1, max, err, sizeof err));
}

int
main(void)
{
	char big[3 * VARIANT_HDR_LEN];

	/* The plain variant: nothing. */
	CHECK_INT_EQ(replay("", NULL, 8), 1);
	CHECK_INT_EQ(replay("", DIMS, 8), 1);

	/* A cookie dimension, values decoded; slot 0 left alone. */
	CHECK_INT_EQ(replay("currency=EUR", DIMS, 8), 2);
	CHECK_STR_EQ(hdr[0], "");
	CHECK_STR_EQ(hdr[1], "Cookie: sw-currency=EUR");

	/* Headers first, the cookies together in one Cookie header last. */
	CHECK_INT_EQ(replay("currency=US%20D device=m lang=de", DIMS, 8), 3);
	CHECK_STR_EQ(hdr[1], "X-Device: m");
	CHECK_STR_EQ(hdr[2], "Cookie: sw-currency=US D; lang=de");

	/* Vary headers as themselves; an absent one stays absent. */
	CHECK_INT_EQ(replay("vary.accept-language=de vary.x-nope", NULL, 8), 2);
	CHECK_STR_EQ(hdr[1], "accept-language: de");
	CHECK_INT_EQ(replay("currency=EUR vary.x-a=1", DIMS, 8), 3);
	CHECK_STR_EQ(hdr[1], "x-a: 1");
	CHECK_STR_EQ(hdr[2], "Cookie: sw-currency=EUR");

	/* An empty value is a value. */
	CHECK_INT_EQ(replay("device=", DIMS, 8), 2);
	CHECK_STR_EQ(hdr[1], "X-Device: ");

	/* A dimension whose source is not known fails, never a plain
	 * fetch. */
	CHECK_INT_EQ(replay("currency=EUR", NULL, 8), -1);
	CHECK(strstr(err, "currency") != NULL);
	CHECK_INT_EQ(replay("size=XL", DIMS, 8), -1);
	CHECK(strstr(err, "size") != NULL);
	CHECK_INT_EQ(replay("currency=EUR", "currency=query:c", 8), -1);
	/* A name is matched whole. */
	CHECK_INT_EQ(replay("curr=EUR", DIMS, 8), -1);
	CHECK_INT_EQ(replay("currency", DIMS, 8), -1);

	/* Nothing that would send something else. */
	CHECK_INT_EQ(replay("device=a%0D%0AX-Evil:%201", DIMS, 8), -1);
	CHECK_INT_EQ(replay("currency=EUR%3B%20admin=1", DIMS, 8), -1);
	CHECK_INT_EQ(replay("vary.x:y=1", NULL, 8), -1);
	CHECK_INT_EQ(replay("currency=%4", DIMS, 8), -1);
	CHECK_INT_EQ(replay("device=m", "device=header:X(D)", 8), -1);

	/* What does not fit fails whole. */
	CHECK_INT_EQ(replay("device=m vary.x-a=1", DIMS, 2), -1);
	CHECK_INT_EQ(replay("device=m vary.x-a=1", DIMS, 3), 3);
	memset(big, 'a', sizeof big);
	memcpy(big, "device=", 7);
	big[sizeof big - 1] = '\0';
	CHECK_INT_EQ(replay(big, DIMS, 8), -1);

	/* dims as given by hand. */
	CHECK_INT_EQ(variant_dims_check(DIMS, err, sizeof err), 0);
	CHECK_INT_EQ(variant_dims_check("", err, sizeof err), 0);
	CHECK_INT_EQ(variant_dims_check("currency=sw-currency", err,
	                 sizeof err),
	    -1);
	CHECK(strstr(err, "currency=sw-currency") != NULL);
	CHECK_INT_EQ(variant_dims_check("currency", err, sizeof err), -1);
	CHECK_INT_EQ(variant_dims_check("c=cookie:", err, sizeof err), -1);
	CHECK_INT_EQ(variant_dims_check("c=cookie:a:b", err, sizeof err), -1);
	CHECK_INT_EQ(variant_dims_check("c=cookie:a;b", err, sizeof err), -1);

	/* Variants as given by hand. */
	CHECK_INT_EQ(variant_check("currency=EUR vary.x-a=1 vary.x-b", err,
	                 sizeof err),
	    0);
	CHECK_INT_EQ(variant_check("", err, sizeof err), 0);
	CHECK_INT_EQ(variant_check("currency", err, sizeof err), -1);
	CHECK_INT_EQ(variant_check("=EUR", err, sizeof err), -1);
	CHECK_INT_EQ(variant_check("currency=%ZZ", err, sizeof err), -1);
	CHECK_INT_EQ(variant_check("currency=a%3Bb", err, sizeof err), -1);
	CHECK_INT_EQ(variant_check("vary.a/b=1", err, sizeof err), -1);

	return (unit_done());
}
