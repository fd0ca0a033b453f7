/*
 * The client's address behind the proxies the operator trusts (a load
 * balancer, an ingress): the peer of the connection, unless it is one
 * of them; then X-Forwarded-For read from the right, past every trusted
 * hop, to the first address none of them is.  What a client writes in
 * the header itself is never believed further than the first hop that
 * is not trusted, so that rate limits and lockouts hold behind a load
 * balancer without anyone escaping them with a header.
 */

#ifndef STOKE_CLIENT_ADDR_H
#define STOKE_CLIENT_ADDR_H

#include <stddef.h>

#define CLIENT_ADDR_MAX_NETS 32
#define CLIENT_ADDR_LEN 46 /* INET6_ADDRSTRLEN */

struct client_trust;

struct client_trust *client_trust_new(void);
void client_trust_free(struct client_trust **);
/* "10.0.0.0/8", "fd00::/8", "192.0.2.7": 0, or -1 with why. */
int client_trust_add(struct client_trust *, const char *cidr, char *why,
    size_t whylen);
unsigned client_trust_n(const struct client_trust *);

/* peer is one of the proxies trusted (a NULL trust has none). */
int client_trusted(const struct client_trust *, const char *peer);

/*
 * The client's address into buf (CLIENT_ADDR_LEN): peer, the
 * connection's; xff, the X-Forwarded-For header or NULL.  A trust of
 * no networks (or NULL) gives the peer.
 */
void client_addr(const struct client_trust *, const char *peer, const char *xff,
    char *buf, size_t buflen);

#endif
