/*
 * A storefront's start page fetched and read for what it says of the
 * shop (shopware.h): one GET of the site's root, a redirect followed
 * within the site a few times (a shop sends / to its default language's
 * domain, /en/), the page read up to a byte cap.  A start page that
 * cannot be had says "not Shopware", and why.
 */

#ifndef STOKE_SHOPWARE_PROBE_H
#define STOKE_SHOPWARE_PROBE_H

struct fetcher;
struct shopware_probe;
struct sw_shop;

/*
 * The end: what was found (the caller's now; never NULL), and err when
 * the start page could not be read.  The probe may be freed from here.
 */
typedef void sw_probed_f(void *priv, struct sw_shop *, const char *err);

/* NULL when url is not an http(s) URL; done is called from the
 * fetcher's callback, never from in here. */
struct shopware_probe *shopware_probe_new(struct fetcher *, const char *url,
    double timeout, sw_probed_f *done, void *priv);
/* Stopped while it runs, it calls nothing any more. */
void shopware_probe_free(struct shopware_probe **);

#endif
