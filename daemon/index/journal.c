/*
 * A ring of invalidations.  Each keeps its first JOURNAL_SAMPLE objects
 * and the full count, so a ban over a million objects costs a bounded
 * amount of memory to remember.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "journal.h"

struct journal_entry {
	unsigned magic;
#define JOURNAL_ENTRY_MAGIC 0x10a2c3e4
	double t;
	char *type;
	char *what;
	char *how;
	char *error;
	unsigned long dropped;
	unsigned nsample;
	char *sample[JOURNAL_SAMPLE][3];
};

struct journal {
	unsigned magic;
#define JOURNAL_MAGIC 0x10a2c3e5
	unsigned next;
	unsigned used;
	struct journal_entry entry[JOURNAL_ENTRIES];
};

static char *
dup_or_empty(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	AN(d);
	return (d);
}

static void
entry_clear(struct journal_entry *e)
{
	unsigned i, j;

	free(e->type);
	free(e->what);
	free(e->how);
	free(e->error);
	for (i = 0; i < e->nsample; i++)
		for (j = 0; j < 3; j++)
			free(e->sample[i][j]);
	memset(e, 0, sizeof *e);
}

struct journal *
journal_new(void)
{
	struct journal *j = calloc(1, sizeof *j);

	AN(j);
	j->magic = JOURNAL_MAGIC;
	return (j);
}

void
journal_free(struct journal **jp)
{
	struct journal *j;
	unsigned i;

	AN(jp);
	j = *jp;
	*jp = NULL;
	if (j == NULL)
		return;
	CHECK_OBJ(j, JOURNAL_MAGIC);
	for (i = 0; i < JOURNAL_ENTRIES; i++)
		entry_clear(&j->entry[i]);
	free(j);
}

struct journal_entry *
journal_begin(struct journal *j, double now, const char *type, const char *what,
    const char *how)
{
	struct journal_entry *e;

	CHECK_OBJ_NOTNULL(j, JOURNAL_MAGIC);
	e = &j->entry[j->next];
	entry_clear(e);
	e->magic = JOURNAL_ENTRY_MAGIC;
	e->t = now;
	e->type = dup_or_empty(type);
	e->what = dup_or_empty(what);
	e->how = dup_or_empty(how);
	j->next = (j->next + 1) % JOURNAL_ENTRIES;
	if (j->used < JOURNAL_ENTRIES)
		j->used++;
	return (e);
}

void
journal_error(struct journal_entry *e, const char *error)
{
	CHECK_OBJ_NOTNULL(e, JOURNAL_ENTRY_MAGIC);
	free(e->error);
	e->error = dup_or_empty(error);
}

void
journal_drop(struct journal_entry *e, const char *host, const char *url,
    const char *variant)
{
	CHECK_OBJ_NOTNULL(e, JOURNAL_ENTRY_MAGIC);
	e->dropped++;
	if (e->nsample == JOURNAL_SAMPLE)
		return;
	e->sample[e->nsample][0] = dup_or_empty(host);
	e->sample[e->nsample][1] = dup_or_empty(url);
	e->sample[e->nsample][2] = dup_or_empty(variant);
	e->nsample++;
}

static json_t *
entry_json(const struct journal_entry *e)
{
	json_t *o, *objs;
	unsigned i;

	objs = json_array();
	for (i = 0; i < e->nsample; i++)
		json_array_append_new(objs,
		    json_pack("{s:s,s:s,s:s}", "host", e->sample[i][0], "url",
		        e->sample[i][1], "variant", e->sample[i][2]));
	o = json_pack("{s:f,s:s,s:s,s:s,s:I,s:o}", "time", e->t, "type",
	    e->type, "what", e->what, "how", e->how, "dropped",
	    (json_int_t)e->dropped, "objects", objs);
	AN(o);
	if (e->error != NULL)
		json_object_set_new(o, "error", json_string(e->error));
	return (o);
}

json_t *
journal_json(const struct journal *j, unsigned limit)
{
	json_t *a = json_array();
	unsigned i, k;

	CHECK_OBJ_NOTNULL(j, JOURNAL_MAGIC);
	for (i = 0; i < j->used && i < limit; i++) {
		k = (j->next + JOURNAL_ENTRIES - 1 - i) % JOURNAL_ENTRIES;
		json_array_append_new(a, entry_json(&j->entry[k]));
	}
	return (a);
}
