/*
 * Manual pages from the options' tables (cmd_man.h).
 */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "cmd_config.h"
#include "cmd_man.h"
#include "cmd_opts.h"

static const char *man_summary_text;

void
cmd_man_summary(const char *s)
{
	man_summary_text = s;
}

/*--------------------------------------------------------------------
 * roff
 */

/* len bytes of s as roff text: backslashes and hyphens escaped. */
static void
man_put(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

/* One line of text: a leading '.' or '\'' is no request. */
static void
man_line(FILE *f, const char *s, size_t len)
{
	if (len > 0 && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", f);
	man_put(f, s, len);
	fputc('\n', f);
}

static void
man_str(FILE *f, const char *s)
{
	man_put(f, s, strlen(s));
}

void
cmd_man_head(FILE *f, const char *name, const char *summary)
{
	const char *p;

	AN(name);
	fputs(".TH ", f);
	for (p = name; *p != '\0'; p++)
		fputc(toupper((unsigned char)*p), f);
	fprintf(f, " 1 \"\" \"%s %s\" \"Stoke Manual\"\n", PACKAGE_NAME,
	    PACKAGE_VERSION);
	cmd_man_section(f, "NAME");
	man_str(f, name);
	if (summary != NULL) {
		fputs(" \\- ", f);
		man_str(f, summary);
	}
	fputc('\n', f);
}

void
cmd_man_section(FILE *f, const char *title)
{
	fprintf(f, ".SH %s\n", title);
}

void
cmd_man_text(FILE *f, const char *text)
{
	const char *e;
	int lit = 0;
	size_t len;

	AN(text);
	for (; *text != '\0'; text = *e == '\0' ? e : e + 1) {
		e = strchr(text, '\n');
		if (e == NULL)
			e = strchr(text, '\0');
		len = (size_t)(e - text);
		if (len > 1 && text[0] == ' ' && text[1] == ' ') {
			if (!lit)
				fputs(".PP\n.nf\n", f);
			lit = 1;
		} else if (lit) {
			fputs(".fi\n", f);
			lit = 0;
		}
		if (len == 0)
			fputs(".PP\n", f);
		else
			man_line(f, text, len);
	}
	if (lit)
		fputs(".fi\n", f);
}

void
cmd_man_item(FILE *f, const char *tag, const char *text)
{
	fputs(".TP\n.B ", f);
	man_str(f, tag);
	fputc('\n', f);
	cmd_man_text(f, text);
}

/*--------------------------------------------------------------------
 * A command's page
 */

/*
 * The usage's synopsis, aligned for a terminal: a form per "stoked WHO"
 * ("create ...\n       stoked job show ..."), filled.
 */
static void
man_synopsis(FILE *f, const char *who, const char *synopsis)
{
	char form[64];
	const char *b, *e;
	size_t n;

	n = (size_t)snprintf(form, sizeof form, "stoked %s ", who);
	assert(n < sizeof form);
	fprintf(f, ".B stoked %s\n", who);
	for (b = synopsis; *b != '\0'; b = *e == '\0' ? e : e + 1) {
		b += strspn(b, " \t");
		e = strchr(b, '\n');
		if (e == NULL)
			e = strchr(b, '\0');
		if (!strncmp(b, form, n)) {
			fprintf(f, ".br\n.B stoked %s\n", who);
			b += n;
		}
		if (e > b)
			man_line(f, b, (size_t)(e - b));
	}
}

static void
man_option(FILE *f, const struct cmd_opt *o)
{
	fputs(".TP\n.BR ", f);
	if (o->letter != 0)
		fprintf(f, "\\-%c \", \" ", o->letter);
	fputs("\\-\\-", f);
	man_str(f, o->name);
	if (o->arg != NULL) {
		fputs(" \" \" \\fI", f);
		man_str(f, o->arg);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	man_line(f, o->help, strlen(o->help));
	if (o->def != NULL) {
		fputs("(default: ", f);
		man_str(f, o->def);
		fputs(")\n", f);
	}
}

void
cmd_man_command(FILE *f, const char *who, const char *synopsis,
    const char *about, const struct cmd_opt *opts)
{
	const struct cmd_opt *o;
	char name[64];

	snprintf(name, sizeof name, "stoked-%s", who);
	cmd_man_head(f, name, man_summary_text);
	cmd_man_section(f, "SYNOPSIS");
	man_synopsis(f, who, synopsis);
	cmd_man_section(f, "DESCRIPTION");
	cmd_man_text(f, about);
	cmd_man_section(f, "OPTIONS");
	for (o = opts; o->name != NULL; o++)
		if (o->help != NULL)
			man_option(f, o);
	cmd_man_item(f, "--config FILE",
	    "Read options from FILE first (see FILES); the command line "
	    "wins.");
	cmd_man_item(f, "-h, --help", "Print the usage and exit.");
	cmd_man_tail(f, 1);
}

void
cmd_man_tail(FILE *f, int command)
{
	cmd_man_section(f, "FILES");
	cmd_man_item(f, STOKE_CONFIG_FILE,
	    "The config file, read by every command when it exists: lines\n"
	    "'option = value' (an option's long name, the value the\n"
	    "command line would take; a flag's is yes or no), comments on\n"
	    "lines of their own starting with # or ;.  The options several\n"
	    "commands share may come before any section; the others go in\n"
	    "their command's section, [run], [serve], [worker], [agent]...\n"
	    "An option given on the command line replaces the file's, every\n"
	    "line of it.  A key the command does not take in its section, a\n"
	    "section no command has, or a bad value is an error naming the\n"
	    "file and the line.");
	cmd_man_section(f, "ENVIRONMENT");
	cmd_man_item(f, "STOKE_CONFIG",
	    "The config file to read instead of the default (--config\n"
	    "wins).");
	cmd_man_item(f, "STOKE_DATABASE_URL",
	    "The database, when --database-url is not given.");
	cmd_man_section(f, "SEE ALSO");
	fputs(".BR varnishd (1),\n.BR vmod_stoke (3)", f);
	fputs(command ? ",\n.BR stoked (1)\n" : ",\n", f);
}
