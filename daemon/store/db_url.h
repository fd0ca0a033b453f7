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
 * The one rule for choosing the database, given --database-url (option)
 * and --state-dir (state_dir), either may be NULL: option; else, when
 * state_dir is given, the embedded cluster there (a --state-dir given
 * wins over $STOKE_DATABASE_URL); else $STOKE_DATABASE_URL; else the
 * embedded cluster in the default state directory.  Sets *url to the
 * URL to use, or to NULL and dir to the state directory whose embedded
 * cluster it is.  0, or -1 (err).
 */
int db_url_choose(const char *option, const char *state_dir, const char **url,
    char *dir, size_t dirlen, char *err, size_t errlen);

/*
 * The state directory: option when given, else $STATE_DIRECTORY (what
 * systemd's StateDirectory= made), else /var/lib/stoke for root,
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
 * job), as db_url_choose() says, and logged: the embedded cluster is
 * started if it is not running and then left running for the commands
 * that follow, its schema brought up to date.  Blocks: call it before
 * the event loop.  The URL, a copy to free; or NULL, with err.
 */
char *db_url_open(const char *option, const char *state_dir, char *err,
    size_t errlen);

#endif
