/*
 * Splitting xkey tag lists.  xkey separates on space and comma; we read
 * them the same way so a recorded list names exactly what xkey purged.
 */

#include "config.h"

#include <assert.h>
#include <string.h>

#include "tag_list.h"

static inline int
tag_sep(char c)
{
	return (c == ' ' || c == ',' || c == '\t');
}

const char *
tag_list_next(const char **pp, size_t *len)
{
	const char *p, *b;

	assert(pp != NULL);
	assert(len != NULL);
	p = *pp;
	if (p == NULL)
		return (NULL);
	while (tag_sep(*p))
		p++;
	if (*p == '\0') {
		*pp = p;
		return (NULL);
	}
	b = p;
	while (*p != '\0' && !tag_sep(*p))
		p++;
	*len = (size_t)(p - b);
	*pp = p;
	return (b);
}

int
tag_list_check(const char *list, const char **why)
{
	const char *p = list;
	size_t len;
	int n = 0;

	assert(why != NULL);
	*why = NULL;
	if (list == NULL || *list == '\0') {
		*why = "no tags";
		return (-1);
	}
	if (strlen(list) > TAG_LIST_MAX_BYTES) {
		*why = "tag list over 4 KiB";
		return (-1);
	}
	while (tag_list_next(&p, &len) != NULL) {
		if (++n > TAG_LIST_MAX_TAGS) {
			*why = "more than 256 tags";
			return (-1);
		}
	}
	if (n == 0)
		*why = "no tags";
	return (n == 0 ? -1 : n);
}
