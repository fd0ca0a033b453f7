/*
 * vary_key: the Vary part of cache keys.  What matters is that the fetch
 * side (vary_key_build) and the hit side (vary_key_like) write the same
 * bytes for the same object, as Varnish matches Vary.
 */

#include "config.h"

#include <string.h>

#include "vsl/vary_key.h"
#include "unit.h"

static const char *const name[] = { "Host", "X-Device", "Accept-Encoding",
	"Cookie", "X-Lang" };
static const char *const val[] = { "shop", "mobile phone", "gzip", "a=1; b=2",
	"de" };

int
main(void)
{
	char b[256], l[256], small[8];
	int n;

	/* Names lower-cased, values encoded, Accept-Encoding left out. */
	n = vary_key_build(b, sizeof b, "Accept-Encoding, X-Device,X-LANG",
	    name, val, 5);
	CHECK_STR_EQ(b, "vary.x-device=mobile%20phone vary.x-lang=de");
	CHECK_INT_EQ(n, (int)strlen(b));

	/* Absent is not empty. */
	n = vary_key_build(b, sizeof b, "X-Nope", name, val, 5);
	CHECK_STR_EQ(b, "vary.x-nope");
	CHECK_INT_EQ(vary_key_build(b, sizeof b, "Accept-Encoding", name, val,
	                 5),
	    0);
	CHECK_STR_EQ(b, "");
	CHECK_INT_EQ(vary_key_build(b, sizeof b, NULL, name, val, 5), 0);
	CHECK_INT_EQ(vary_key_build(b, sizeof b, " , ", name, val, 5), 0);

	/* The hit side reads the names off an indexed variant. */
	n = vary_key_build(b, sizeof b, "Cookie, X-Device", name, val, 5);
	CHECK(n > 0);
	n = vary_key_like(l, sizeof l, b, name, val, 5);
	CHECK_STR_EQ(l, b);
	n = vary_key_like(l, sizeof l, "currency=EUR vary.x-device=tablet",
	    name, val, 5);
	CHECK_STR_EQ(l, "vary.x-device=mobile%20phone");
	CHECK_INT_EQ(vary_key_like(l, sizeof l, "currency=EUR", name, val, 5),
	    0);
	CHECK_STR_EQ(vary_key_of("currency=EUR vary.x=1 vary.y"),
	    "vary.x=1 vary.y");
	CHECK_STR_EQ(vary_key_of("vary.x=1"), "vary.x=1");
	CHECK_STR_EQ(vary_key_of("currency=vary.x"), "");

	/* Limits: too many names, too little room. */
	CHECK_INT_EQ(vary_key_build(b, sizeof b, "a b c d e f g h i", name, val,
	                 5),
	    -1);
	CHECK_INT_EQ(vary_key_build(b, sizeof b, "a b c d e f g h", name, val,
	                 5) > 0,
	    1);
	CHECK_INT_EQ(vary_key_build(small, sizeof small, "X-Device", name, val,
	                 5),
	    -1);
	CHECK_INT_EQ(vary_key_build(b, sizeof b,
	                 "X-"
	                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                 "aaaaaaaaaaaaaaaaa",
	                 name, val, 5),
	    -1);
	return (unit_done());
}
