/*
 * Reading URL lists (url_list.h).
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "url_list.h"

/*--------------------------------------------------------------------
 * What counts as white space around a line: what a text editor may
 * leave there, the end of line of either kind included.
 */

static int
ul_blank(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f');
}

char *
url_list_line(char *line)
{
	char *e;

	AN(line);
	while (ul_blank(*line))
		line++;
	e = strchr(line, '\0');
	while (e > line && ul_blank(e[-1]))
		e--;
	*e = '\0';
	if (*line == '\0' || *line == '#')
		return (NULL);
	return (line);
}

int
url_list_read(const char *path, url_list_f *f, void *priv, char *err,
    size_t errlen)
{
	char *line = NULL, *url;
	size_t cap = 0;
	FILE *fp;
	int r = 0;

	AN(path);
	AN(f);
	fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while (r == 0 && getline(&line, &cap, fp) >= 0) {
		url = url_list_line(line);
		if (url != NULL)
			r = f(priv, url);
	}
	if (r == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		r = -1;
	}
	free(line);
	if (fp != stdin)
		(void)fclose(fp);
	return (r);
}
