/*
 * The stoke/1 record reader.  Strict about shape (so that a hostile
 * VCL_Log line written by other VCL cannot pose as ours and confuse the
 * daemon) and lenient about content (unknown events and keys are kept,
 * for the caller to ignore).
 */

#include "config.h"

#include <assert.h>
#include <string.h>

#include "record_parse.h"

static int
key_char(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-');
}

static int
val_char(char c)
{
	return (c > 0x20 && c < 0x7f);
}

int
rec_parse(const char *line, size_t len, struct rec_view *rv)
{
	const char *p, *e, *tok;
	struct rec_field *f;

	assert(rv != NULL);
	memset(rv, 0, sizeof *rv);
	if (line == NULL)
		return (-1);
	/* VSL text records carry their NUL; do not count it. */
	while (len > 0 && line[len - 1] == '\0')
		len--;
	e = line + len;
	if (len < sizeof REC_VERSION + 1 ||
	    memcmp(line, REC_VERSION " ", sizeof REC_VERSION) != 0)
		return (-1);
	p = line + sizeof REC_VERSION;
	rv->event = p;
	while (p < e && key_char(*p))
		p++;
	rv->elen = (size_t)(p - rv->event);
	if (rv->elen == 0)
		return (-1);
	while (p < e) {
		if (*p++ != ' ')
			return (-1);
		tok = p;
		while (p < e && key_char(*p))
			p++;
		if (p == tok || p == e || *p != '=')
			return (-1);
		if (rv->nfield == REC_MAX_FIELDS)
			return (-1);
		f = &rv->field[rv->nfield++];
		f->key = tok;
		f->klen = (size_t)(p - tok);
		f->val = ++p;
		while (p < e && val_char(*p))
			p++;
		f->vlen = (size_t)(p - f->val);
		if (f->klen == 5 && !memcmp(f->key, "trunc", 5))
			rv->trunc = 1;
	}
	return (0);
}

int
rec_event_is(const struct rec_view *rv, const char *event)
{
	size_t l = strlen(event);

	return (rv->elen == l && !memcmp(rv->event, event, l));
}

const char *
rec_get(const struct rec_view *rv, const char *key, size_t *vlen)
{
	size_t l = strlen(key);
	unsigned i;

	for (i = 0; i < rv->nfield; i++) {
		if (rv->field[i].klen == l &&
		    !memcmp(rv->field[i].key, key, l)) {
			if (vlen != NULL)
				*vlen = rv->field[i].vlen;
			return (rv->field[i].val);
		}
	}
	return (NULL);
}
