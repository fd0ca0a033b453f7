/*
 * The last invalidations an instance saw, and what each one dropped from
 * the index: the answer to "what did that purge, ban or tag invalidation
 * take out of the cache?".  A fixed ring; old entries fall off.
 */

#ifndef STOKE_JOURNAL_H
#define STOKE_JOURNAL_H

#include <jansson.h>

#define JOURNAL_ENTRIES 64
#define JOURNAL_SAMPLE 100

struct journal;
struct journal_entry;

struct journal *journal_new(void);
void journal_free(struct journal **);
/* type: purge, ban, tags; what: the URL, expression or tag list. */
struct journal_entry *journal_begin(struct journal *, double now,
    const char *type, const char *what, const char *how);
void journal_error(struct journal_entry *, const char *error);
/* One object dropped (or made stale, for soft invalidations). */
void journal_drop(struct journal_entry *, const char *host, const char *url,
    const char *variant);
/* Newest first, at most limit entries. */
json_t *journal_json(const struct journal *, unsigned limit);

#endif
