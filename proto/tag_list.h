/*
 * Tag lists as xkey reads them: tags separated by spaces or commas.
 */

#ifndef STOKE_TAG_LIST_H
#define STOKE_TAG_LIST_H

#include <stddef.h>

#define TAG_LIST_MAX_BYTES 4096
#define TAG_LIST_MAX_TAGS 256

/*
 * Step to the next tag at or after *pp: returns its start and sets *len,
 * or returns NULL at the end of the list.
 */
const char *tag_list_next(const char **pp, size_t *len);

/*
 * Count the tags; returns -1 with *why set when the list is unfit to
 * record (empty, too long, too many tags).
 */
int tag_list_check(const char *list, const char **why);

#endif
