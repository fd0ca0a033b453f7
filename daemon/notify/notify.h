/*
 * Notifications: what a project's channels are sent, from the outbox
 * (store/outbox_store.h), by a deliverer (notify_deliver.h).
 *
 * An outbox row is an event (its payload, the JSON a webhook receives)
 * and the channel to send it to.  Its words are written once for every
 * kind (notify_text.c): a title, lines, facts, a link to the dashboard.
 * Each kind then says how they are sent, as varnishd's hash slingers
 * each say how to look up:
 *
 *	webhook	the payload as it is, signed (notify_webhook.c)
 *	slack	an incoming webhook's {"text", "blocks"} (notify_slack.c)
 *	teams	an incoming webhook's Adaptive Card (notify_teams.c)
 *	email	a MIME message, text and HTML, over SMTP (notify_email.c)
 *
 * The HTTP kinds make a POST (struct notify_post), which the deliverer
 * sends to the channel's URL on a fetcher that checks the addresses it
 * connects to, as for a tenant's website; e-mail goes to the operator's
 * SMTP server.
 */

#ifndef STOKE_NOTIFY_H
#define STOKE_NOTIFY_H

#include <stdint.h>

#include <jansson.h>

struct vsb;

/* An outbox row as claimed; borrowed from the claim's JSON. */
struct notify_event {
	unsigned magic;
#define NOTIFY_EVENT_MAGIC 0x7e0e7e01
	int64_t id, attempt;
	const char *key; /* idempotency: "job.finished/42:7" */
	const char *event; /* "job.finished" */
	const char *kind; /* the channel's */
	const char *url, *secret; /* an HTTP kind's; a webhook's */
	json_t *payload;
	json_t *recipients; /* e-mail's */
};

#define NOTIFY_FACTS_MAX 12
#define NOTIFY_LINES_MAX 16

enum notify_tone {
	NT_INFO, /* a job done, a report, a test, an anomaly cleared */
	NT_WARN, /* an anomaly raised */
	NT_BAD, /* a job failed */
};

/* An event's words, whatever carries them. */
struct notify_text {
	unsigned magic;
#define NOTIFY_TEXT_MAGIC 0x7e0e7e02
	enum notify_tone tone;
	char *title; /* one line */
	unsigned nline;
	char *line[NOTIFY_LINES_MAX];
	unsigned nfact;
	char *fact_name[NOTIFY_FACTS_MAX];
	char *fact_value[NOTIFY_FACTS_MAX];
	char *link; /* the dashboard's page of it, or NULL */
};

/* The words of an event; public_url: the dashboard's root, or NULL. */
void notify_text_init(struct notify_text *, const struct notify_event *,
    const char *public_url);
void notify_text_fini(struct notify_text *);

#define NOTIFY_HDRS_MAX 6
#define NOTIFY_HDR_LEN 512

/* What an HTTP kind posts to the channel's URL. */
struct notify_post {
	unsigned magic;
#define NOTIFY_POST_MAGIC 0x7e0e7e03
	char *body; /* malloc'ed */
	unsigned nhdr;
	char hdr[NOTIFY_HDRS_MAX][NOTIFY_HDR_LEN]; /* "Name: value" */
};

/* Adds "Name: value" to a post, the value cut at a line's end. */
void notify_post_header(struct notify_post *, const char *name, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* The post of an event: its body and headers, the idempotency key's
 * among them.  now: the time, for a signature. */
typedef void notify_post_f(const struct notify_event *,
    const struct notify_text *, double now, struct notify_post *);

struct notify_kind {
	unsigned magic;
#define NOTIFY_KIND_MAGIC 0x7e0e7e04
	const char *name;
	notify_post_f *post; /* NULL: not an HTTP kind */
};

extern const struct notify_kind notify_webhook;
extern const struct notify_kind notify_slack;
extern const struct notify_kind notify_teams;
extern const struct notify_kind notify_email;

/* The kind of this name, or NULL. */
const struct notify_kind *notify_kind_of(const char *name);

/* The post's headers every HTTP kind sends: the type, the event, the
 * idempotency key (Stoke-Delivery and Idempotency-Key). */
void notify_post_init(struct notify_post *, const struct notify_event *);
void notify_post_fini(struct notify_post *);

/* A JSON value as the body, taken. */
void notify_post_json(struct notify_post *, json_t *);

/*--------------------------------------------------------------------
 * E-mail (notify_email.c)
 */

/* The operator's SMTP server (--smtp-url and the like). */
struct notify_smtp {
	const char *url; /* smtp://host:port, smtps://...; NULL: no e-mail */
	const char *from; /* the sender's address */
	const char *user, *password; /* NULL: no login */
	/* notify_smtp_check()'s: STARTTLS is required unless the server
	 * is on this machine. */
	int loopback;
};

/* The URL and the sender checked, loopback set: 0, or -1 with err. */
int notify_smtp_check(struct notify_smtp *, char *err, size_t errlen);

/* An e-mail on its way: its headers and its text and HTML parts. */
struct notify_mail;
struct fetch_req;

struct notify_mail *notify_mail_new(const struct notify_event *,
    const struct notify_text *, const struct notify_smtp *, double now);
/* The request that sends it with a fetcher (its URL, headers and SMTP
 * options); the mail must outlive the fetch. */
void notify_mail_req(struct notify_mail *, struct fetch_req *);
void notify_mail_free(struct notify_mail **);

#endif
