/*
 * A webhook: the event's payload as it is, signed so that its receiver
 * knows it came from Stoke and was not replayed long after:
 *
 *	Stoke-Signature: t=<unix time>,v1=<hex>
 *
 * where hex is HMAC-SHA256, keyed with the channel's secret (its bytes
 * as shown, "whsec_" and all), of "<t>.<body>", the body as sent.  A
 * receiver recomputes it, compares in constant time, and refuses a t
 * too far from its clock (minutes); the idempotency key (Stoke-Delivery)
 * tells it a delivery it has had already.  The scheme is described in
 * the API's openapi.json too.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "notify.h"

/* The payload, with the dashboard's page of it when there is one. */
static json_t *
nw_body(const struct notify_event *e, const struct notify_text *t)
{
	json_t *b;

	b = json_deep_copy(e->payload);
	AN(b);
	if (t->link != NULL)
		AZ(json_object_set_new(b, "link", json_string(t->link)));
	return (b);
}

static void
nw_post(const struct notify_event *e, const struct notify_text *t, double now,
    struct notify_post *p)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[24], hex[2 * sizeof mac + 1];

	CHECK_OBJ_NOTNULL(e, NOTIFY_EVENT_MAGIC);
	CHECK_OBJ_NOTNULL(t, NOTIFY_TEXT_MAGIC);
	AN(e->secret);
	notify_post_json(p, nw_body(e, t));
	snprintf(ts, sizeof ts, "%.0f", now);
	AZ(crypto_auth_hmacsha256_init(&st, (const unsigned char *)e->secret,
	    strlen(e->secret)));
	AZ(crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts,
	    strlen(ts)));
	AZ(crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1));
	AZ(crypto_auth_hmacsha256_update(&st, (const unsigned char *)p->body,
	    strlen(p->body)));
	AZ(crypto_auth_hmacsha256_final(&st, mac));
	AN(sodium_bin2hex(hex, sizeof hex, mac, sizeof mac));
	notify_post_header(p, "Stoke-Signature", "t=%s,v1=%s", ts, hex);
	sodium_memzero(&st, sizeof st);
}

const struct notify_kind notify_webhook = {
	.magic = NOTIFY_KIND_MAGIC,
	.name = "webhook",
	.post = nw_post,
};
