/*
 * A website's popular paths (popularity.h), in a hash table by path.
 */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "popularity.h"
#include "url_norm.h"

/* A sitemap's value: bands of priority 0.01 wide, a level a step of
 * one; what is left of the band (lastmod) is scaled below one step. */
#define POP_BAND 0.01
#define POP_STEP (POP_BAND / (POPULARITY_LEVELS + 1))

struct pop_path {
	unsigned magic;
#define POP_PATH_MAGIC 0x9091a7e1
	char *path;
	uint64_t hits;
	UT_hash_handle hh;
};

struct popularity {
	unsigned magic;
#define POPULARITY_MAGIC 0x9091a7e2
	struct pop_path *paths;
	unsigned n;
};

struct popularity *
popularity_new(const char *json)
{
	struct popularity *p;
	struct pop_path *e;
	const char *k;
	json_t *doc, *v;

	if (json == NULL || *json == '\0')
		return (NULL);
	doc = json_loads(json, 0, NULL);
	if (!json_is_object(doc) || json_object_size(doc) == 0) {
		json_decref(doc);
		return (NULL);
	}
	ALLOC_OBJ(p, POPULARITY_MAGIC);
	AN(p);
	json_object_foreach(doc, k, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			continue;
		ALLOC_OBJ(e, POP_PATH_MAGIC);
		AN(e);
		e->path = strdup(k);
		AN(e->path);
		e->hits = (uint64_t)json_integer_value(v);
		HASH_ADD_KEYPTR(hh, p->paths, e->path, strlen(e->path), e);
		p->n++;
	}
	json_decref(doc);
	return (p);
}

void
popularity_free(struct popularity **pp)
{
	struct popularity *p;
	struct pop_path *e, *e2;

	TAKE_OBJ_NOTNULL(p, pp, POPULARITY_MAGIC);
	HASH_ITER(hh, p->paths, e, e2)
	{
		HASH_DEL(p->paths, e);
		free(e->path);
		FREE_OBJ(e);
	}
	FREE_OBJ(p);
}

unsigned
popularity_len(const struct popularity *p)
{
	CHECK_OBJ_NOTNULL(p, POPULARITY_MAGIC);
	return (p->n);
}

static uint64_t
pop_find(const struct popularity *p, const char *path, size_t len)
{
	struct pop_path *e;

	HASH_FIND(hh, p->paths, path, len, e);
	return (e != NULL ? e->hits : 0);
}

uint64_t
popularity_hits(const struct popularity *p, const char *url)
{
	const char *path;
	uint64_t h;
	size_t site;

	CHECK_OBJ_NOTNULL(p, POPULARITY_MAGIC);
	AN(url);
	site = url_norm_site_len(url);
	if (site == 0)
		return (0);
	path = url + site;
	if (*path == '\0')
		path = "/";
	h = pop_find(p, path, strcspn(path, "#"));
	if (h == 0 && strchr(path, '?') != NULL)
		h = pop_find(p, path, strcspn(path, "?#"));
	return (h);
}

unsigned
popularity_level(uint64_t hits)
{
	unsigned l = 0;

	while (hits > 0 && l < POPULARITY_LEVELS - 1) {
		hits >>= 1;
		l++;
	}
	return (l);
}

double
popularity_sitemap_value(double value, uint64_t hits)
{
	double band;

	/* A hair up: 0.29 * 100 is 28.999... */
	band = floor(value / POP_BAND + 1e-9) * POP_BAND;
	if (value < band)
		value = band;
	return (band + POP_STEP * popularity_level(hits) +
	    (value - band) * (POP_STEP / POP_BAND));
}

double
popularity_crawl_value(unsigned depth, uint64_t hits)
{
	double gap;

	/* 1 / (1 + d) - 1 / (2 + d): the next depth's value, below. */
	gap = 1.0 / ((1.0 + depth) * (2.0 + depth));
	return (1.0 / (1 + depth) +
	    gap / (POPULARITY_LEVELS + 1) * popularity_level(hits));
}
