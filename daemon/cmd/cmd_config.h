/*
 * The config file, /etc/stoke/stoked.conf: options for every command in
 * one place, read before the command line, which wins.
 *
 *	# a comment: a line whose first non-blank character is # or ;
 *	database-url = postgresql://stoke@/stoke
 *
 *	[serve]
 *	listen = 127.0.0.1:6087
 *
 * A key is an option's long name and its value what the command line
 * would take (a flag's: yes or no).  Keys before any section are the
 * options several commands share (cmd_conf_common_keys[]); each goes to
 * the commands that take it.  A section is a command's, and its keys
 * must be that command's options.  A value is the rest of its line,
 * blanks at either end cut: a '#' in it is no comment (URLs have them).
 *
 * Which file: --config FILE, else $STOKE_CONFIG, else STOKE_CONFIG_FILE
 * when it exists.  main() reads it once (cmd_conf_use()); the options'
 * code (cmd_opts.c) applies its lines as it applies argv's, so that a
 * value is checked the same wherever it comes from.
 */

#ifndef STOKE_CMD_CONFIG_H
#define STOKE_CMD_CONFIG_H

#include <stddef.h>

#ifndef STOKE_CONFIG_FILE
#define STOKE_CONFIG_FILE "/etc/stoke/stoked.conf"
#endif

struct cmd_conf_line {
	const char *section; /* "" before any */
	const char *key;
	const char *value;
	unsigned lineno;
};

struct cmd_conf {
	unsigned magic;
#define CMD_CONF_MAGIC 0x5c0dc0f1
	char *path;
	char *text; /* the file, cut in place into the lines' strings */
	struct cmd_conf_line *line;
	unsigned nline;
};

/* The keys allowed before any section, NULL-terminated. */
extern const char *const cmd_conf_common_keys[];

/*
 * Parses text as the file path (which only names it in errors); the
 * sections allowed are those named in sections (NULL-terminated).  NULL
 * with "PATH:LINE: why" in err.
 */
struct cmd_conf *cmd_conf_parse(const char *path, const char *text,
    const char *const *sections, char *err, size_t errlen);

/* Reads and parses path.  NULL with why in err. */
struct cmd_conf *cmd_conf_load(const char *path, const char *const *sections,
    char *err, size_t errlen);

void cmd_conf_free(struct cmd_conf **);

/*
 * Takes "--config FILE" (or --config=FILE) out of argv, before any "--";
 * *argc is updated.  The file named, else $STOKE_CONFIG, else the
 * default if it exists, else NULL (no file).  *explicit says the file
 * was asked for (so that its absence is an error).  -1 when --config
 * has no argument.
 */
int cmd_conf_args(int *argc, char **argv, const char **path, int *explicit);

/* The file the command's options are read from (owned), or NULL. */
void cmd_conf_use(struct cmd_conf *);
const struct cmd_conf *cmd_conf_current(void);

/* "yes"/"true"/"on"/"1": 1, "no"/"false"/"off"/"0": 0, else -1. */
int cmd_conf_bool(const char *);

#endif
