/*
 * The config file (cmd_config.h): read, cut into lines, checked for
 * what can be checked without a command's table.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/str.h"
#include "cmd_config.h"

/* Larger is no config file but a mistake (a log, a dump). */
#define CONF_MAX (1024 * 1024)

const char *const cmd_conf_common_keys[] = {
	"database-url",
	"state-dir",
	"secret-file",
	"origin-max",
	"origin-rate",
	"jwt-keys",
	"allow-private",
	"trusted-proxy",
	"dashboard",
	"sse-heartbeat",
	"max-connections",
	"public-url",
	"smtp-url",
	"smtp-from",
	"smtp-user",
	"smtp-password-file",
	NULL,
};

static struct cmd_conf *conf_current;

/*--------------------------------------------------------------------
 * Cutting lines
 */

static int
conf_blank(char c)
{
	return (c == ' ' || c == '\t' || c == '\r');
}

static char *
conf_trim(char *b, char *e)
{
	while (b < e && conf_blank(*b))
		b++;
	while (e > b && conf_blank(e[-1]))
		e--;
	*e = '\0';
	return (b);
}

static int
conf_is_key(const char *k)
{
	if (!(*k >= 'a' && *k <= 'z'))
		return (0);
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		        *k == '-'))
			return (0);
	return (1);
}

static int
conf_in(const char *const *list, const char *s)
{
	for (; list != NULL && *list != NULL; list++)
		if (!strcmp(*list, s))
			return (1);
	return (0);
}

/* One line, b to e (its end, cut off).  0, or -1 with why. */
static int
conf_line(struct cmd_conf *cf, const char **section, char *b, char *e,
    unsigned lineno, const char *const *sections, char *why, size_t whylen)
{
	struct cmd_conf_line *l;
	char *eq, *key, *value;

	b = conf_trim(b, e);
	if (*b == '\0' || *b == '#' || *b == ';')
		return (0);
	if (*b == '[') {
		e = strchr(b, '\0');
		if (e[-1] != ']' || e - b < 3) {
			snprintf(why, whylen, "a section is [COMMAND]");
			return (-1);
		}
		*section = conf_trim(b + 1, e - 1);
		if (!conf_in(sections, *section)) {
			snprintf(why, whylen, "no command is called '%s'",
			    *section);
			return (-1);
		}
		return (0);
	}
	eq = strchr(b, '=');
	if (eq == NULL) {
		snprintf(why, whylen, "not 'option = value'");
		return (-1);
	}
	key = conf_trim(b, eq);
	value = conf_trim(eq + 1, strchr(eq + 1, '\0'));
	if (!conf_is_key(key)) {
		snprintf(why, whylen, "'%s' is no option's name", key);
		return (-1);
	}
	if (**section == '\0' && !conf_in(cmd_conf_common_keys, key)) {
		snprintf(why, whylen,
		    "'%s' is not shared by the commands: "
		    "put it in its command's [section]",
		    key);
		return (-1);
	}
	if (*value == '\0') {
		snprintf(why, whylen, "'%s' has no value", key);
		return (-1);
	}
	l = &cf->line[cf->nline++];
	l->section = *section;
	l->key = key;
	l->value = value;
	l->lineno = lineno;
	return (0);
}

/*--------------------------------------------------------------------
 * The file
 */

struct cmd_conf *
cmd_conf_parse(const char *path, const char *text, const char *const *sections,
    char *err, size_t errlen)
{
	struct cmd_conf *cf;
	const char *section = "";
	char why[256], *b, *e;
	unsigned n, lineno;

	AN(path);
	AN(text);
	ALLOC_OBJ(cf, CMD_CONF_MAGIC);
	AN(cf);
	cf->path = str_dup(path);
	cf->text = str_dup(text);
	for (n = 1, b = cf->text; *b != '\0'; b++)
		n += *b == '\n';
	cf->line = calloc(n, sizeof *cf->line);
	AN(cf->line);
	for (lineno = 1, b = cf->text; b != NULL; lineno++, b = e) {
		e = strchr(b, '\n');
		if (e != NULL)
			*e++ = '\0';
		if (conf_line(cf, &section, b, strchr(b, '\0'), lineno,
		        sections, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			cmd_conf_free(&cf);
			return (NULL);
		}
	}
	return (cf);
}

/* The whole file, NUL-terminated (to free), or NULL with why. */
static char *
conf_read(const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	FILE *f;
	int bad;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	buf = malloc(CONF_MAX + 1);
	AN(buf);
	n = fread(buf, 1, CONF_MAX + 1, f);
	bad = ferror(f);
	(void)fclose(f);
	if (bad || n > CONF_MAX || memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: %s", path,
		    bad ? "cannot read it" : "not a config file");
		free(buf);
		return (NULL);
	}
	buf[n] = '\0';
	return (buf);
}

struct cmd_conf *
cmd_conf_load(const char *path, const char *const *sections, char *err,
    size_t errlen)
{
	struct cmd_conf *cf;
	char *text;

	AN(path);
	text = conf_read(path, err, errlen);
	if (text == NULL)
		return (NULL);
	cf = cmd_conf_parse(path, text, sections, err, errlen);
	free(text);
	return (cf);
}

void
cmd_conf_free(struct cmd_conf **cfp)
{
	struct cmd_conf *cf;

	TAKE_OBJ_NOTNULL(cf, cfp, CMD_CONF_MAGIC);
	if (conf_current == cf)
		conf_current = NULL;
	free(cf->path);
	free(cf->text);
	free(cf->line);
	FREE_OBJ(cf);
}

/*--------------------------------------------------------------------
 * Which file
 */

int
cmd_conf_args(int *argc, char **argv, const char **path, int *explicit)
{
	const char *env;
	int i, n;

	AN(argc);
	AN(argv);
	AN(path);
	AN(explicit);
	*path = NULL;
	*explicit = 0;
	for (i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], "--config=", 9)) {
			*path = argv[i] + 9;
			n = 1;
		} else if (!strcmp(argv[i], "--config")) {
			if (i + 1 == *argc)
				return (-1);
			*path = argv[i + 1];
			n = 2;
		} else
			continue;
		memmove(argv + i, argv + i + n,
		    (size_t)(*argc - i - n + 1) * sizeof *argv);
		*argc -= n;
		i--;
	}
	if (*path != NULL) {
		*explicit = 1;
		return (0);
	}
	env = getenv("STOKE_CONFIG");
	if (env != NULL && *env != '\0') {
		*path = env;
		*explicit = 1;
	} else if (access(STOKE_CONFIG_FILE, F_OK) == 0)
		*path = STOKE_CONFIG_FILE;
	return (0);
}

void
cmd_conf_use(struct cmd_conf *cf)
{
	if (cf != NULL)
		CHECK_OBJ(cf, CMD_CONF_MAGIC);
	conf_current = cf;
}

const struct cmd_conf *
cmd_conf_current(void)
{
	return (conf_current);
}

int
cmd_conf_bool(const char *v)
{
	AN(v);
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		return (1);
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		return (0);
	return (-1);
}
