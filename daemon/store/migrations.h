/*
 * The schema migrations compiled into stoked: migrations.c is generated
 * at build time from migrations/NNNN_name.sql by gen_migrations.sh.
 * migrate.h applies them.
 */

#ifndef STOKE_MIGRATIONS_H
#define STOKE_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int version; /* from the file name: 0002_retention.sql is 2 */
	const char *name; /* the file name without .sql */
	const char *sql;
};

/* By increasing version. */
extern const struct migration migrations[];
extern const size_t migrations_n;

#endif
