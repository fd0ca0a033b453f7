/*
 * Manual pages in roff, written from the options' tables (cmd_opts.h)
 * by 'stoked COMMAND --man' and 'stoked --man', so that the pages the
 * build installs say what the code does.
 */

#ifndef STOKE_CMD_MAN_H
#define STOKE_CMD_MAN_H

#include <stdio.h>

struct cmd_opt;

/* The running command's line in stoked(1), for its page's NAME. */
void cmd_man_summary(const char *);

/* stoked-WHO(1). */
void cmd_man_command(FILE *, const char *who, const char *synopsis,
    const char *about, const struct cmd_opt *);

/* Pieces of a page, for stoked(1). */
void cmd_man_head(FILE *, const char *name, const char *summary);
void cmd_man_section(FILE *, const char *title);
/* Text: blank lines part paragraphs, indented lines are kept as they are. */
void cmd_man_text(FILE *, const char *);
/* A tagged paragraph: tag in bold, then text. */
void cmd_man_item(FILE *, const char *tag, const char *text);
/*
 * FILES, ENVIRONMENT and SEE ALSO of every page; a command's sees
 * stoked(1), which may go on with its own.
 */
void cmd_man_tail(FILE *, int command);

#endif
