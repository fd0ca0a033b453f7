/*
 * PostgreSQL array literals ("{...}"), to pass many rows to one statement
 * as a few array parameters (unnest($1::text[], ...)).  The values are
 * data in a parameter, never SQL.
 */

#ifndef STOKE_PG_ARRAY_H
#define STOKE_PG_ARRAY_H

#include <stdint.h>

struct vsb;

/* An empty array literal: "{" */
struct vsb *pg_array_new(void);
void pg_array_text(struct vsb *, const char *); /* NULL: SQL NULL */
void pg_array_int(struct vsb *, int64_t);
void pg_array_real(struct vsb *, double); /* not finite: NULL */
/* As pg_array_real(), every digit of a double: a float8 read back the same. */
void pg_array_double(struct vsb *, double);
void pg_array_bool(struct vsb *, int);
void pg_array_null(struct vsb *);
/* Closes the literal; its text is VSB_data(). */
void pg_array_end(struct vsb *);

#endif
