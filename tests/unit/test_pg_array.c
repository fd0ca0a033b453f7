/*
 * pg_array: the literals PostgreSQL reads back as the values given, what
 * ever the text holds; NULLs and non-finite numbers as NULL.
 */

#include "config.h"

#include <sys/types.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vsb.h"

#include "store/pg_array.h"
#include "unit.h"

int
main(void)
{
	struct vsb *a;

	a = pg_array_new();
	pg_array_end(a);
	CHECK_STR_EQ(VSB_data(a), "{}");
	VSB_destroy(&a);

	/* Quotes, backslashes, commas, braces, spaces: data, quoted. */
	a = pg_array_new();
	pg_array_text(a, "http://h/p?a=1,b={2}");
	pg_array_text(a, "say \"hi\"\\now");
	pg_array_text(a, "");
	pg_array_text(a, NULL);
	pg_array_text(a, "NULL");
	pg_array_end(a);
	CHECK_STR_EQ(VSB_data(a),
	    "{\"http://h/p?a=1,b={2}\",\"say \\\"hi\\\"\\\\now\",\"\",NULL,"
	    "\"NULL\"}");
	VSB_destroy(&a);

	a = pg_array_new();
	pg_array_int(a, 1);
	pg_array_int(a, INT64_MAX);
	pg_array_int(a, -7);
	pg_array_null(a);
	pg_array_end(a);
	CHECK_STR_EQ(VSB_data(a), "{1,9223372036854775807,-7,NULL}");
	VSB_destroy(&a);

	a = pg_array_new();
	pg_array_real(a, 1.5);
	pg_array_real(a, NAN);
	pg_array_real(a, INFINITY);
	pg_array_real(a, 0.25);
	pg_array_bool(a, 1);
	pg_array_bool(a, 0);
	pg_array_end(a);
	CHECK_STR_EQ(VSB_data(a), "{1.5,NULL,NULL,0.25,t,f}");
	VSB_destroy(&a);

	return (unit_done());
}
