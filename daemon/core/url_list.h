/*
 * Lists of URLs in a file, one a line, as `stoked warm --urls-file` and
 * `stoked job create --urls-file` read them.  White space around a line
 * is not part of it; a blank line, or one whose first character that is
 * not blank is '#', says nothing.  A '#' anywhere else belongs to the
 * URL (a fragment), so a URL cannot be followed by a comment.
 */

#ifndef STOKE_URL_LIST_H
#define STOKE_URL_LIST_H

#include <stddef.h>

/*
 * The URL on line (edited in place: trimmed), or NULL when the line is
 * blank or a comment.
 */
char *url_list_line(char *line);

/* Each URL in turn; non-zero stops the reading, and is returned. */
typedef int url_list_f(void *priv, const char *url);

/*
 * Hands each URL of the file at path ('-': standard input) to f, in
 * order.  0 when all were read, f's non-zero answer when it stopped, or
 * -1 when the file cannot be read: err says "path: why".
 */
int url_list_read(const char *path, url_list_f *f, void *priv, char *err,
    size_t errlen);

#endif
