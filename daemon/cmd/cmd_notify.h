/*
 * The options of notifications' deliverers (stoked worker, stoked run):
 * rows of a command's table, CMD_OPT_NOTIFY(), which fill a struct
 * cmd_notify, and the deliverer they make.  The SMTP server is the
 * operator's: its password is read from a file, never the command line.
 */

#ifndef STOKE_CMD_NOTIFY_H
#define STOKE_CMD_NOTIFY_H

#include <stddef.h>

#include "notify/notify_deliver.h"

struct event_base;
struct pg_pool;

struct cmd_notify {
	unsigned magic;
#define CMD_NOTIFY_MAGIC 0x5c0d0a7e
	struct notify_conf conf;
	int off; /* --no-notify */
	char password[256]; /* --smtp-password-file's */
	struct notify_deliver *d;
};

int cmd_notify_password_file(void *, const char *, char *, size_t);

#define CMD_OPT_NOTIFY(n)                                                      \
	{ "public-url", 0, CO_STRING, "URL", 0, 0, NULL,                       \
		"the dashboard's address, for links in notifications",         \
		&(n)->conf.public_url, NULL },                                 \
	    { "smtp-url", 0, CO_STRING, "URL", 0, 0, "no e-mail",              \
		    "the SMTP server of e-mail notifications "                 \
		    "(smtp://HOST:PORT)",                                      \
		    &(n)->conf.smtp.url, NULL },                               \
	    { "smtp-from", 0, CO_STRING, "ADDR", 0, 0, NULL,                   \
		    "the address e-mail notifications come from",              \
		    &(n)->conf.smtp.from, NULL },                              \
	    { "smtp-user", 0, CO_STRING, "NAME", 0, 0, "no login",             \
		    "the SMTP server's login", &(n)->conf.smtp.user, NULL },   \
	    { "smtp-password-file", 0, CO_CALL, "F", 0, 0, NULL,               \
		    "the SMTP login's password, the file's first line", (n),   \
		    cmd_notify_password_file },                                \
	    { "notify-poll", 0, CO_REAL, "S", 0.05, 3600, "5",                 \
		    "seconds between looks at the notifications owed",         \
		    &(n)->conf.poll, NULL },                                   \
	    { "notify-watch", 0, CO_REAL, "S", 0, 86400, "60",                 \
		    "seconds between looks for anomalies and reports (0: "     \
		    "never)",                                                  \
		    &(n)->conf.watch, NULL },                                  \
	    { "notify-retry", 0, CO_REAL, "S", 0.05, 86400, "60",              \
		    "seconds before a failed notification is sent again, "     \
		    "doubled "                                                 \
		    "each time",                                               \
		    &(n)->conf.retry.base, NULL },                             \
	    { "notify-retry-max", 0, CO_REAL, "S", 0.05, 86400, "3600",        \
		    "seconds between sends of a notification, at most",        \
		    &(n)->conf.retry.cap, NULL },                              \
	    { "notify-max-age", 0, CO_REAL, "S", 1, 86400 * 30, "172800",      \
		    "seconds after which a notification is given up",          \
		    &(n)->conf.retry.max_age, NULL },                          \
	{                                                                      \
		"no-notify", 0, CO_FLAG, NULL, 0, 0, NULL,                     \
		    "send no notifications", &(n)->off, NULL                   \
	}

/* Before the options are read: the defaults. */
void cmd_notify_init(struct cmd_notify *);
/* After: the SMTP server's settings checked (said on stderr): 0 or -1. */
int cmd_notify_check(struct cmd_notify *, const char *who);
/* The deliverer, unless --no-notify; allow_private as the command's. */
void cmd_notify_start(struct cmd_notify *, struct event_base *,
    struct pg_pool *, int allow_private);
/* Before the pool is freed. */
void cmd_notify_stop(struct cmd_notify *);
/* After. */
void cmd_notify_free(struct cmd_notify *);

#endif
