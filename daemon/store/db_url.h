/*
 * Which PostgreSQL database stoked uses, and reaching it: the
 * --database-url option, else $STOKE_DATABASE_URL, else the embedded
 * cluster (pg_embed.h) in the state directory.
 */

#ifndef STOKE_DB_URL_H
#define STOKE_DB_URL_H

#include <stddef.h>

#include <libpq-fe.h>

/* A libpq URL or key=value string; NULL: use the embedded cluster. */
const char *db_url_configured(const char *option);

/*
 * The state directory: option when given, else /var/lib/stoke for root,
 * else $XDG_STATE_HOME/stoke or ~/.local/state/stoke.  0, or -1 (err).
 */
int db_url_state_dir(const char *option, char *buf, size_t len, char *err,
    size_t errlen);

/* url with every password in it replaced by ****, for messages. */
void db_url_mask(const char *url, char *buf, size_t len);

/*
 * A connection, giving up after 10 s unless the URL sets its own
 * connect_timeout.  NULL on failure: err names the masked URL and why.
 */
PGconn *db_url_connect(const char *url, char *err, size_t errlen);

/*
 * The database of a command that works on it (stoked worker, stoked
 * job), said on stderr as "stoked WHO: ...": option, else
 * $STOKE_DATABASE_URL, else (or with a state_dir) the embedded cluster
 * there, started if it is not running and then left running for the
 * commands that follow, its schema brought up to date.  Blocks: call it
 * before the event loop.  A copy to free, or NULL (err).
 */
char *db_url_open(const char *who, const char *option, const char *state_dir,
    char *err, size_t errlen);

#endif
