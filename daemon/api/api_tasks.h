/*
 * What a website's warm tasks are made of, from a tenant's input: each
 * URL made absolute and kept to the website's host, each variant
 * written as the index writes one.  Shared by the routes that queue
 * tasks (a job, a purge's re-warm), so that both hold URLs to the same
 * rules and name the same fields in their errors.
 *
 * The website's host was judged when the website was made
 * (api_websites.c); URLs held to that host need no resolving of their
 * own.  Each function answers the request on a refusal (422, the field
 * named) and returns -1.
 */

#ifndef STOKE_API_TASKS_H
#define STOKE_API_TASKS_H

#include <jansson.h>

struct addr_url;
struct api_req;

/* A variant list's bounds, whoever gives it: a job, a website. */
#define API_TASK_VARIANTS_MAX 64
#define API_TASK_VARIANT_KEYS_MAX 16

/* The end of base's scheme and authority: where a path would go. */
size_t api_task_origin_len(const char *base);

/*
 * The i-th URL of the list field ("urls"), absolute: as given when it
 * is, on the host of base (parsed in b), else a path resolved against
 * base as a browser would.  0 with *out (malloc'd), or -1.
 */
int api_task_url(struct api_req *, const char *field, unsigned i, const char *s,
    const char *base, const struct addr_url *b, char **out);

/*
 * Each variant object of list (the "variants" given, or a website's) as
 * the index writes one: "name=value ...", by name, values
 * percent-encoded.  An absent or empty list is the plain one, "".
 * *out gets a calloc'd array whose first *n strings are made, also on
 * -1 (to free).
 */
int api_task_variants(struct api_req *, json_t *list, char ***out, unsigned *n);
/* The same for no request (the scheduler's): -1 with the field and why. */
int api_task_variants_of(json_t *list, char ***out, unsigned *n, char *field,
    size_t fieldlen, char *why, size_t whylen);
/* The first n strings of *vp, and the array; *vp NULL after. */
void api_task_variants_free(char ***vp, unsigned n);

/*
 * Where a sitemap job of the website starts reading: its sitemap_url
 * (NULL: none), else its site's root, where the worker reads
 * robots.txt's Sitemap: lines, or else /sitemap.xml.  malloc'd.
 */
char *api_task_sitemap_start(const char *base, const char *sitemap_url);

#endif
