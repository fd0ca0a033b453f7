/*
 * The deliverer of notifications as stoked worker and stoked run set it
 * up, from the options of cmd_notify.h.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/log.h"
#include "cmd_notify.h"

int
cmd_notify_password_file(void *var, const char *arg, char *why, size_t whylen)
{
	struct cmd_notify *n;
	FILE *f;

	CAST_OBJ_NOTNULL(n, var, CMD_NOTIFY_MAGIC);
	f = fopen(arg, "r");
	if (f == NULL) {
		snprintf(why, whylen, "--smtp-password-file: %s: cannot read",
		    arg);
		return (-1);
	}
	if (fgets(n->password, sizeof n->password, f) == NULL)
		n->password[0] = '\0';
	(void)fclose(f);
	n->password[strcspn(n->password, "\r\n")] = '\0';
	n->conf.smtp.password = n->password;
	return (0);
}

void
cmd_notify_init(struct cmd_notify *n)
{
	AN(n);
	INIT_OBJ(n, CMD_NOTIFY_MAGIC);
	notify_conf_default(&n->conf);
}

int
cmd_notify_check(struct cmd_notify *n, const char *who)
{
	char err[256];

	CHECK_OBJ_NOTNULL(n, CMD_NOTIFY_MAGIC);
	if (n->conf.retry.cap < n->conf.retry.base)
		n->conf.retry.cap = n->conf.retry.base;
	if (notify_smtp_check(&n->conf.smtp, err, sizeof err) == 0)
		return (0);
	fprintf(stderr, "stoked %s: %s\n", who, err);
	return (-1);
}

void
cmd_notify_start(struct cmd_notify *n, struct event_base *eb,
    struct pg_pool *pool, int allow_private)
{
	CHECK_OBJ_NOTNULL(n, CMD_NOTIFY_MAGIC);
	if (n->off)
		return;
	n->conf.allow_private = allow_private;
	n->d = notify_deliver_new(eb, pool, &n->conf);
	if (n->conf.smtp.url == NULL)
		log_info("notify",
		    "no --smtp-url: e-mail channels wait for one");
}

void
cmd_notify_stop(struct cmd_notify *n)
{
	CHECK_OBJ_NOTNULL(n, CMD_NOTIFY_MAGIC);
	if (n->d != NULL)
		notify_deliver_stop(n->d);
}

void
cmd_notify_free(struct cmd_notify *n)
{
	CHECK_OBJ_NOTNULL(n, CMD_NOTIFY_MAGIC);
	if (n->d != NULL)
		notify_deliver_free(&n->d);
	memset(n->password, 0, sizeof n->password);
}
