#
# shopware6.vcl: Shopware 6 behind Varnish with xkey tags, kept warm by
# Stoke.  Set Shopware's reverse proxy to this Varnish with xkey enabled.
#
# Invalidation, from the purgers ACL only:
#  - PURGE with an "xkey" header (tags separated by spaces or commas):
#    soft purge of every object with one of the tags.  Soft means the
#    stale copy may still be delivered (grace) for the moment it takes
#    Stoke to fetch the new one, so no visitor waits for the shop.
#  - PURGE with an "xkey-hard" header: the same, removing the objects.
#  - PURGE without either: that URL, every variant.
#  - BAN: everything whose URL matches the request's URL as a regex
#    (Shopware sends BAN / to clear the whole cache).
#
# The cache key is the URL and host plus Shopware's context cookies
# (sw-cache-hash, or sw-currency without it), declared once as Stoke
# variants so that stoked re-warms each currency and context in use.
#
# When the cache is full, Varnish evicts objects for space (LRU nukes).
# For stoked's index to forget them too, start varnishd with the ExpKill
# records unmasked (they are off by default):
#
#	varnishd ... -p vsl_mask=+ExpKill
#
# or at run time: varnishadm param.set vsl_mask +ExpKill
#

vcl 4.1;

import std;
import xkey;
import stoke;

include "stoke.vcl";

backend default {
	.host = "127.0.0.1";
	.port = "8080";
}

acl purgers {
	"localhost";
	"127.0.0.1";
	"::1";
}

sub vcl_init {
	stoke.secret_file("/etc/varnish/stoke.secret");
	# stoked (run or agent, --doorbell) reads the log the moment an
	# invalidation is written, not at its next poll.
	stoke.doorbell("/run/stoked/doorbell");
	stoke.variant("context", cookie = "sw-cache-hash");
	stoke.variant("currency", cookie = "sw-currency");
	stoke.variant("encoding", header = "Accept-Encoding", hash = false);
}

sub vcl_recv {
	if (req.method == "PURGE") {
		if (client.ip !~ purgers) {
			return (synth(403, "Forbidden"));
		}
		if (req.http.xkey-hard) {
			set req.http.n-gone = xkey.purge(req.http.xkey-hard);
			stoke.log_tags(req.http.xkey-hard, hard,
			    std.integer(req.http.n-gone, -1));
			return (synth(200, "Invalidated " + req.http.n-gone +
			    " objects"));
		}
		if (req.http.xkey) {
			set req.http.n-gone = xkey.softpurge(req.http.xkey);
			stoke.log_tags(req.http.xkey, soft,
			    std.integer(req.http.n-gone, -1));
			return (synth(200, "Invalidated " + req.http.n-gone +
			    " objects"));
		}
		return (purge);
	}

	if (req.method == "BAN") {
		if (client.ip !~ purgers) {
			return (synth(403, "Forbidden"));
		}
		if (stoke.ban("obj.http.x-url ~ " + req.url)) {
			return (synth(200, "Ban added"));
		}
		return (synth(400, "Bad ban"));
	}

	if (req.method != "GET" && req.method != "HEAD") {
		return (pass);
	}

	# Personal pages are never shared.
	if (req.url ~ "^/(checkout|account|admin|api|store-api|widgets/checkout)(/|\?|$)") {
		return (pass);
	}
	if (req.http.cookie ~ "sw-states=[^;]*(logged-in|cart-filled)") {
		return (pass);
	}

	# Shopware pages are the same for everyone with the same context
	# cookies, which the cache key holds; other cookies (the session)
	# do not matter here, so cache despite them.
	set req.http.Surrogate-Capability = "shopware=ESI/1.0";
	return (hash);
}

sub vcl_purge {
	return (synth(200, "Purged"));
}

sub vcl_backend_response {
	set beresp.http.x-url = bereq.url;

	if (beresp.http.Surrogate-Control ~ "ESI/1.0") {
		unset beresp.http.Surrogate-Control;
		set beresp.do_esi = true;
	}

	if (beresp.http.Cache-Control ~ "private|no-store|no-cache" ||
	    beresp.ttl <= 0s) {
		set beresp.uncacheable = true;
		set beresp.ttl = 120s;
		return (deliver);
	}

	# A shared object must never carry a session: not the visitor's,
	# not the one Shopware starts for a warm request.
	unset beresp.http.Set-Cookie;

	# Long grace: a soft-purged page is served for the moment Stoke
	# needs to refresh it, instead of making a visitor wait.
	set beresp.grace = 1h;
	return (deliver);
}

sub vcl_deliver {
	unset resp.http.x-url;
	# Tags are for the cache, not for browsers.
	unset resp.http.xkey;
}
