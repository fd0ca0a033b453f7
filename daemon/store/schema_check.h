/*
 * Is the database ready for this stoked: does it answer, and is its
 * schema the one compiled in (every migration applied, none newer)?
 * Asked on the loop, for /readyz.
 */

#ifndef STOKE_SCHEMA_CHECK_H
#define STOKE_SCHEMA_CHECK_H

struct pg_pool;

/* version: the database's newest migration (0: none); want: ours.
 * err: the database's error, else NULL. */
typedef void schema_check_f(void *priv, int version, int want, const char *err);

/* 0, and cb once; or -1 with *err, and no cb. */
int schema_check(struct pg_pool *, schema_check_f *, void *, const char **err);

#endif
