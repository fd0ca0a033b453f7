/*
 * stoked's log: one line a message, with its level and the object
 * speaking ("node v1", "origin shop.example", "job 42", "store"), on
 * standard error.  Under systemd, journald reads the level from the
 * line's "<N>" prefix (sd-daemon(3)) and keeps time and process
 * itself; elsewhere a line reads "stoked: warning: store: ...".
 *
 * A message below the threshold (log_setup(), $STOKE_LOG_LEVEL) costs
 * a comparison.  Errors the caller hands back to its own caller are not
 * logged here: only what happens while the daemon runs.
 */

#ifndef STOKE_LOG_H
#define STOKE_LOG_H

/* As syslog's priorities, which journald takes. */
enum log_level {
	LL_ERROR = 3,
	LL_WARNING = 4,
	LL_NOTICE = 5,
	LL_INFO = 6,
	LL_DEBUG = 7,
};

/*
 * prog names the process in lines not read by journald ("stoked",
 * "stoked worker"); a static string.  level: the least urgent level
 * written; $STOKE_LOG_LEVEL (a level's name) wins when set and valid.
 */
void log_setup(const char *prog, enum log_level level);
int log_enabled(enum log_level);

/* who: the object speaking, or NULL for the process itself. */
void log_msg(enum log_level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(who, ...) log_msg(LL_ERROR, who, __VA_ARGS__)
#define log_warning(who, ...) log_msg(LL_WARNING, who, __VA_ARGS__)
#define log_notice(who, ...) log_msg(LL_NOTICE, who, __VA_ARGS__)
#define log_info(who, ...) log_msg(LL_INFO, who, __VA_ARGS__)
#define log_debug(who, ...)                                                    \
	do {                                                                   \
		if (log_enabled(LL_DEBUG))                                     \
			log_msg(LL_DEBUG, who, __VA_ARGS__);                   \
	} while (0)

/* The level a name gives ("warning", "info", ...), or -1. */
int log_level_parse(const char *);
const char *log_level_name(enum log_level);

#endif
